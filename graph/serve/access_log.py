"""The access log: one JSON line per request on standard error, written by the application for the
requests it answers and by the HTTP protocol (graph/serve/connections.py) for those it refuses
before the application sees them.

Fields: time, client, method, path, kind (query/update), query_hash, status, rows, ms. One
status is never sent: 499 means the connection closed before the whole request arrived (the
client left, or its body did not arrive within ``--request-timeout``); nothing was answered.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sys
import time

access_log = logging.getLogger("alliances.access")
CLIENT_CLOSED = 499  # nginx's code for "the client closed the connection before the answer"


def log_request(client: str | None, method: str | None, path: str | None, kind: str | None, text: str,
                status: int, rows: int | None, started: float) -> None:
    """Write one line; ``text`` (the operation) is logged as a hash only, never in full."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    access_log.info(json.dumps({
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "client": client, "method": method, "path": path,
        "kind": kind, "query_hash": hashlib.sha256(text.encode()).hexdigest()[:16] if text else None,
        "status": status, "rows": rows, "ms": round((time.perf_counter() - started) * 1000, 1)}))


def configure_access_log(enabled: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.handlers[:] = [handler]
    access_log.setLevel(logging.INFO if enabled else logging.WARNING)
    access_log.propagate = False
