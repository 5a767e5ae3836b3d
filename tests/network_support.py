"""A local TCP listener that records every connection made to it, to see whether a query made
Oxigraph (or a worker) call out. It closes each connection at once, so that an engine that does
connect fails fast instead of waiting for an answer.

    with Listener() as listening:
        store.query(f"SELECT * WHERE {{ SERVICE <{listening.url}/q1> {{ ?s ?p ?o }} }}")
        assert listening.contacted("/q1")
"""
from __future__ import annotations

import itertools
import socket
import threading
import time
from types import TracebackType

SETTLE_TIMEOUT_S = 10.0


class Listener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests: list[bytes] = []
        self._markers = itertools.count()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(0.5)
                try:
                    self.requests.append(connection.recv(300))
                except OSError:
                    self.requests.append(b"")

    def settle(self) -> None:
        """Return once every connection made so far is recorded: connections are accepted in
        order, so a marker connection made now is recorded after them."""
        marker = f"settle-{next(self._markers)}".encode()
        with socket.create_connection(self.sock.getsockname()[:2], timeout=SETTLE_TIMEOUT_S) as probe:
            probe.sendall(marker)
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while marker not in self.requests and time.monotonic() < deadline:
            time.sleep(0.01)

    def contacted(self, path: str) -> bool:
        """Whether a request for ``path`` (a marker placed in the URL) arrived."""
        needle = f" {path}".encode()
        return any(needle in request for request in self.requests)

    def calls(self) -> list[bytes]:
        """Every request except this module's own markers."""
        return [r for r in self.requests if not r.startswith(b"settle-")]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()
