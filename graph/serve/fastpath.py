"""Cached answers served straight from the ASGI scope, before Starlette.

A cached answer (graph.serve.cache) costs no worker, so what is left of its cost is the server's
own work per request; measured (docs/endpoint-benchmark.md), Starlette's layers (middleware,
routing, ``Request``, ``URL``, ``Response``) were most of it. This ASGI layer in front of the
application answers a query to /sparql whose answer is cached from the scope alone: it reads the
body within the same limit, reads the operation with the same function (graph.serve.protocol),
makes the same key, and sends the header fields Starlette rendered when the answer was kept.

Anything else goes on to the application unchanged, with the body it already read handed on: a
miss (it runs the query and keeps the answer), an update, a refusal or an error (the application
answers them, with the same messages as always), a GET without a query (the service description),
a client held after a fault (``QueryPool.held``), a request whose body is over the limit or did not
arrive whole. So every rule the application applies to a request still applies, and a cached
answer is only ever one the application made under the same rules for the same key.
"""
from __future__ import annotations

import dataclasses
import functools
import time
from typing import TYPE_CHECKING

from starlette.datastructures import URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.rdf.store import read_link
from graph.serve.access_log import log_request
from graph.serve.cache import CacheKey, negotiated
from graph.serve.protocol import Operation, read_operation
from graph.serve.safety import Refused

if TYPE_CHECKING:
    from graph.serve.context import ServerContext

OPERATION = "alliances.operation"  # scope key: the operation and its cache key, read here, for the application


@functools.lru_cache(maxsize=256)
def base_of(scheme: str, server: tuple[str, int] | None, path: str, host: str | None) -> str:
    """The endpoint's URL as the request names it (the base IRI of its query), exactly as
    Starlette's ``request.url.replace(query="")``; the same few values come in every request."""
    headers = [] if host is None else [(b"host", host.encode("latin-1"))]
    scope = {"type": "http", "scheme": scheme, "server": server, "path": path, "query_string": b"", "headers": headers}
    return str(URL(scope=scope).replace(query=""))


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("latin-1")


class CachedAnswers:
    """The ASGI layer: cached answers for /sparql, everything else to ``app``."""

    def __init__(self, app: ASGIApp, context: ServerContext) -> None:
        self.app, self.context = app, context
        self.cache = context.cache
        self.limit = context.settings.max_body_bytes
        self.store_path = context.settings.store_path.absolute()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cache is None or scope["type"] != "http" or scope["path"] != "/sparql" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])  # the last of repeated fields: only for a hit, which needs them as the application took them
        if len(headers) != len(scope["headers"]):  # a field given twice: the application reads it its own way
            await self.app(scope, receive, send)
            return
        body, messages = b"", list[Message]()
        if scope["method"] == "POST":
            declared = _header(headers, b"content-length")
            if declared is None or not declared.isdigit() or int(declared) > self.limit:
                await self.app(scope, receive, send)  # chunked, or over the limit: the application says so
                return
            read, messages = await _read_whole(receive, int(declared))
            if read is None:  # the client left, or sent other than it declared: the application answers that
                await self.app(scope, _replay(messages, receive), send)
                return
            body = read
        try:
            op = read_operation(scope["method"], scope["query_string"].decode(), _header(headers, b"content-type") or "",
                                body, _header(headers, b"accept") or "*/*")
        except (Refused, UnicodeDecodeError):
            op = None
        if op is None or op.kind != "query":
            await self.app(scope, _replay(messages, receive), send)
            return
        base = base_of(scope.get("scheme", "http"), scope.get("server"), scope["path"], _header(headers, b"host"))
        key = CacheKey(op.text, op.default_graphs, op.named_graphs, base, negotiated(op.accept))
        client = scope["client"][0] if scope.get("client") else ""
        cached = None if self.context.pool.held(client) else self.cache.get(key, read_link(self.store_path))
        if cached is None:
            given = (dataclasses.replace(op, base=base), key)
            await self.app({**scope, OPERATION: given}, _replay(messages, receive), send)
            return
        await send({"type": "http.response.start", "status": cached.outcome.status, "headers": cached.head})
        await send({"type": "http.response.body", "body": cached.outcome.body})
        log_request(client, scope["method"], scope["path"], op.kind, op.text, cached.outcome.status, cached.outcome.rows, started)


def given_operation(scope: Scope) -> tuple[Operation, CacheKey] | None:
    """The operation CachedAnswers read from this request, and its cache key, if it did."""
    found: tuple[Operation, CacheKey] | None = scope.get(OPERATION)
    return found


async def _read_whole(receive: Receive, declared: int) -> tuple[bytes | None, list[Message]]:
    """The body if exactly ``declared`` bytes arrive before its end (else None), and the messages
    read, to hand on to the application as they came."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        size += len(message.get("body", b""))
        if size > declared:
            return None, messages
        if not message.get("more_body", False):
            body = b"".join(m.get("body", b"") for m in messages)
            return (body, messages) if size == declared else (None, messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` for the application: the messages already read, then the connection's own."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
