"""Shared helpers for the endpoint tests: throwaway Oxigraph stores and real servers.

Queries run in spawned worker processes (graph/serve/workers.py), so tests that run queries use a
real uvicorn server on 127.0.0.1 and a free port, in a background thread of the test process,
rather than Starlette's TestClient.

    store = make_store(tmp / "store", [(DATA / "data1.nt", "http://example/g1")])
    with running_server(store, deadline_s=2, allow_update=True, update_token="t") as server:
        httpx.get(server.sparql, params={"query": "ASK {}"})
"""
from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import gc
import io
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from graph.serve.app import create_app
from graph.serve.connections import uvicorn_options
from graph.serve.context import ServeSettings

W3C = Path(__file__).with_name("w3c")  # the W3C SPARQL 1.1 tests used here (see w3c/SOURCE.txt)
STARTUP_TIMEOUT_S = 60.0
CACHE = 16 * 2**20  # a result cache for the tests that want one

_FORMATS = {".nt": ox.RdfFormat.N_TRIPLES, ".ttl": ox.RdfFormat.TURTLE, ".nq": ox.RdfFormat.N_QUADS,
            ".trig": ox.RdfFormat.TRIG, ".rdf": ox.RdfFormat.RDF_XML, ".jsonld": ox.RdfFormat.JSON_LD}


# ------------------------------------------------------------------ throwaway stores

def make_store(path: Path, files: Iterable[tuple[Path, str | None]]) -> Path:
    """Create an Oxigraph store at ``path`` holding each file in the given named graph
    (None: the default graph), then release the handle so that servers can open it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(path))
    for file, graph in files:
        to_graph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        base = file.resolve().as_uri()
        store.load(path=str(file), format=_FORMATS[file.suffix], base_iri=base, to_graph=to_graph)
    store.flush()
    del store
    gc.collect()  # pyoxigraph closes the database when the handle is released
    return path


# ------------------------------------------------------------------ a real server in a thread

@dataclasses.dataclass
class Server:
    """A running endpoint: ``base`` is http://127.0.0.1:PORT and ``sparql`` the endpoint URL."""

    settings: ServeSettings
    host: str
    port: int
    app: Any = None  # the Starlette application, to look at its worker pool (app.state.context.pool)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.base, **kwargs)


def free_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening-ready TCP socket bound to a free port (no race between choosing and binding)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


@contextlib.contextmanager
def running_server(store_path: Path, explorer: bool = False, **overrides: Any) -> Iterator[Server]:
    """Run ``create_app(ServeSettings(store_path=..., **overrides))`` with uvicorn in a thread on
    127.0.0.1 and a free port, with the options ``alliances serve`` gives uvicorn; wait until
    /sparql answers; stop it (and its workers) at the end. The server shares the test process,
    so its access log can be captured (captured_access_log)."""
    import uvicorn

    sock = free_socket()
    host, port = sock.getsockname()[:2]
    overrides.setdefault("workers", 2)
    overrides.setdefault("deadline_s", 10.0)
    # No result cache unless a test asks for one (cache_bytes=CACHE): tests of the workers count on
    # every query reaching a worker. The protocol tests (test_endpoint.py) and the cache's own run with it.
    overrides.setdefault("cache_bytes", 0)
    settings = ServeSettings(store_path=store_path, host=host, port=port, **overrides)
    app = create_app(settings, explorer=explorer)
    config = uvicorn.Config(app, lifespan="on", **uvicorn_options(settings))
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as error:  # reported to the test, never left to the thread
            failure.append(error)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    handle = Server(settings, host, port, app)
    try:
        _wait_until_answering(handle, thread, failure)
        yield handle
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"the test server on port {port} did not stop")
    if failure:
        raise failure[0]


def _wait_until_answering(server: Server, thread: threading.Thread, failure: list[BaseException]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if failure or not thread.is_alive():
                raise RuntimeError(f"the test server did not start: {failure[0] if failure else 'thread ended'}")
            try:
                if client.get(server.sparql, params={"query": "ASK {}"}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"the test server on port {server.port} did not answer within {STARTUP_TIMEOUT_S} s")


# ------------------------------------------------------------------ capturing the access log

class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(record.getMessage()) for record in self.records]


@contextlib.contextmanager
def captured_access_log() -> Iterator[ListHandler]:
    """Turn the access log on (as ``alliances serve`` does) and collect its records."""
    from graph.serve.access_log import access_log, configure_access_log

    saved = (list(access_log.handlers), access_log.level, access_log.propagate)
    configure_access_log(True)
    handler = ListHandler()
    access_log.handlers[:] = [handler]
    try:
        yield handler
    finally:
        access_log.handlers[:], level, access_log.propagate = saved[0], saved[1], saved[2]
        access_log.setLevel(level)


# ------------------------------------------------------------------ reading results

def csv_rows(text: str) -> list[list[str]]:
    """The rows of a CSV document (RFC 4180 quoting; pyoxigraph does not parse CSV results)."""
    return list(csv.reader(io.StringIO(text, newline="")))
