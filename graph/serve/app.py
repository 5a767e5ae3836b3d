"""The Starlette application: the SPARQL endpoint at /sparql and the explorer pages.

Every response allows any origin to read it (CORS, no credentials). Updates need
``--allow-update``, the token given at start as ``Authorization: Bearer TOKEN``, and a ``Host``
(and ``Origin``, if sent) that names this server (graph/serve/hosts.py): a form posted from
another site can set neither the token nor our origin, and a page whose name was re-pointed at
this machine (DNS rebinding) names itself, not us.

Reads do not check ``Host``: they are public and open to every origin by CORS already, so a
rebinding page learns nothing it could not read cross-origin, while a check would refuse readers
who reach the server by a name it was not told (a proxy, a LAN address) for no gain. Redirects
never name a host (their Location is a path), so no Host the server was not configured for is
ever sent back in one.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hmac
import time
from collections.abc import AsyncIterator

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

from graph.errors import AllianceError
from graph.rdf.formats import GRAPHS, listed, offers
from graph.rdf.store import read_link
from graph.serve.access_log import CLIENT_CLOSED, configure_access_log, log_request
from graph.serve.cache import CacheKey, ResultCache, negotiated
from graph.serve.context import ServerContext, ServeSettings
from graph.serve.description import service_description
from graph.serve.fastpath import CachedAnswers, given_operation
from graph.serve.hosts import HostPolicy
from graph.serve.protocol import Operation, apply_using, choose_format, negotiate, read_operation
from graph.serve.safety import Refused, check_operation
from graph.serve.execute import Limits, Outcome
from graph.serve.workers import QueryPool

HTML = ("text/html", "application/xhtml+xml")  # the query page, for a browser that opens /sparql
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Content-Type, Content-Length, Retry-After",
        "Vary": "Accept"}


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"the request body is {int(declared):,} bytes; the limit is {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"the request body is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _log(request: Request, op: Operation | None, status: int, rows: int | None, started: float) -> None:
    log_request(request.client.host if request.client else None, request.method, request.url.path,
                op.kind if op else None, op.text if op else "", status, rows, started)


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers=CORS)


def _response(outcome: Outcome) -> Response:
    return Response(outcome.body, status_code=outcome.status, media_type=outcome.content_type,
                    headers={**CORS, **outcome.headers} if outcome.headers else CORS)


class Endpoint:
    """The /sparql route, bound to a server context."""

    def __init__(self, context: ServerContext) -> None:
        self.context = context
        self.settings = context.settings
        self.hosts = HostPolicy(self.settings.host, self.settings.port, self.settings.allowed_hosts)
        self.store_path = self.settings.store_path.absolute()

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        op: Operation | None = None
        client = request.client.host if request.client else ""
        if request.method == "OPTIONS":
            _log(request, None, 204, None, started)
            return Response(status_code=204, headers={**CORS, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                                                      "Access-Control-Allow-Headers": "Content-Type, Accept",
                                                      "Access-Control-Max-Age": "600"})
        given = given_operation(request.scope)  # read already by graph.serve.fastpath, with its cache key
        key = given[1] if given is not None else None
        try:
            if given is not None:
                op = given[0]
            else:
                body = await _read_body(request, self.settings.max_body_bytes) if request.method == "POST" else b""
                op = read_operation(request.method, request.url.query, request.headers.get("content-type", ""), body,
                                    request.headers.get("accept", "*/*"))
                if op is None:
                    response = self.describe(request)
                    _log(request, None, response.status_code, None, started)
                    return response
                op = dataclasses.replace(op, base=str(request.url.replace(query="")))
            if op.kind == "update":
                self.authorise_update(request, op)
            held = await self.context.pool.admit(client)  # a client waiting after a fault waits here, before any lexing
            if held is not None:
                _log(request, op, held.status, None, started)
                return Response(held.body, status_code=held.status, media_type=held.content_type, headers={**CORS, **(held.headers or {})})
            check_operation(op.text, self.settings.max_query_chars)
            if op.kind == "update":
                op = dataclasses.replace(op, text=apply_using(op.text, op.default_graphs, op.named_graphs))
        except Refused as refused:
            if refused.fault:  # a shape that crashes workers: its client waits, as after a crash
                self.context.pool.fault(client)
            _log(request, op, refused.status, None, started)
            return _plain(refused.status, refused.message)
        except ClientDisconnect:  # the client left, or its body was too slow (connections.py): no one to answer
            _log(request, op, CLIENT_CLOSED, None, started)
            return Response(status_code=CLIENT_CLOSED)
        cache = self.context.cache
        if cache is None or op.kind != "query":
            outcome: Outcome = await self.context.pool.run(op, client)
            _log(request, op, outcome.status, outcome.rows, started)
            return _response(outcome)
        key = key or CacheKey(op.text, op.default_graphs, op.named_graphs, op.base, negotiated(op.accept))
        cached = cache.get(key, read_link(self.store_path))
        if cached is not None:  # a client held after a fault, now let through
            _log(request, op, cached.outcome.status, cached.outcome.rows, started)
            return _response(cached.outcome)
        outcome, build = await self.context.pool.run_on_build(op, client)
        response = _response(outcome)
        cache.put(key, build, outcome, response.raw_headers)
        _log(request, op, outcome.status, outcome.rows, started)
        return response

    def authorise_update(self, request: Request, op: Operation) -> None:
        if not self.settings.allow_update:
            raise Refused(403, "this endpoint is read-only; start it with --allow-update and a token to accept updates")
        host = request.headers.get("host")
        if not self.hosts.allows_host(host, request.url.scheme):
            raise Refused(403, f"updates must name this server in Host, not {host!r}; start it with "
                               f"--allowed-host NAME to accept another name for it")
        origin = request.headers.get("origin")
        if origin is not None and not self.hosts.allows_origin(origin):
            raise Refused(403, f"updates from pages of another origin ({origin}) are refused")
        given = request.headers.get("authorization", "")
        expected = f"Bearer {self.settings.update_token}"
        if not self.settings.update_token or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Refused(403, "an update needs the header 'Authorization: Bearer TOKEN' with the token given at start")


    def describe(self, request: Request) -> Response:
        """The service description as RDF, or for a client that prefers HTML (a browser) the
        query page. HTML is offered after RDF, so that a client that accepts anything gets RDF."""
        accept = request.headers.get("accept")
        if "/query" in {getattr(r, "path", "") for r in request.app.routes}:
            if negotiate(accept, [*offers(GRAPHS), *HTML]) in HTML:
                return RedirectResponse("/query", status_code=303, headers=CORS)
        chosen = choose_format(accept, GRAPHS)
        if chosen is None:
            return _plain(406, f"the service description is available as {listed(GRAPHS)}")
        media, rdf = chosen
        endpoint = str(request.url.replace(query=""))
        graphs = self.context.store.named_graphs() if self.context.store is not None else []
        body = ox.serialize(service_description(endpoint, self.settings.allow_update, graphs), format=rdf.format)
        return Response(body, media_type=media, headers=CORS)


def create_app(settings: ServeSettings, explorer: bool = True) -> Starlette:
    """The ASGI application. Workers start with the application (lifespan) and stop with it."""
    from graph.rdf.store import PublishedStore

    limits = Limits(settings.max_rows, settings.max_result_bytes, settings.memory_limit(), settings.client_workers, settings.client_queue)
    pool: QueryPool
    if settings.remote is not None:  # forwarded (graph.serve.forward): no store folder, no pages, no cache
        if settings.allow_update:
            raise AllianceError("updates are not forwarded to a remote store; serve it without --allow-update "
                                "and send updates to the store's own update endpoint")
        from graph.serve.forward import RemotePool

        pool, store, cache = RemotePool(settings.remote, settings.workers, settings.deadline_s, limits), None, None
    else:
        # The link, not the folder it points at now: workers and pages follow each published build.
        pool = QueryPool(settings.store_path.absolute(), settings.workers, settings.deadline_s, limits, writable=settings.allow_update)
        # With updates on, the only handle on the store is the read-write worker (see workers.py).
        store = None if settings.allow_update else PublishedStore(settings.store_path.absolute())
        # Updates change the store in place, not by publishing a build: no answer could be kept safely.
        cache = ResultCache(settings.cache_bytes) if settings.cache_bytes and not settings.allow_update else None
    context = ServerContext(settings, store, pool, cache)
    routes: list[BaseRoute] = [Route("/sparql", Endpoint(context).handle, methods=["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])]
    if explorer and store is not None:
        routes += _explorer_routes(context)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    app = _Application(routes=routes, lifespan=lifespan)
    app.answers = CachedAnswers(functools.partial(Starlette.__call__, app), context) if cache is not None else None
    app.router.redirect_slashes = False  # Starlette's redirect copies the Host header into its Location
    app.router.default = _SlashRedirect(app.router)
    app.state.context = context
    return app


class _Application(Starlette):
    """Starlette, with cached answers served before its layers (graph.serve.fastpath)."""

    answers: CachedAnswers | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.answers is not None:
            await self.answers(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class _SlashRedirect:
    """``GET /query/`` -> 307 to ``/query``, as Starlette does, but with a path as Location, so the
    Host header (which the client chose) is never sent back; anything else is a 404."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        target = path.rstrip("/")
        if scope["type"] == "http" and path != target and target.startswith("/") and not target.startswith("//"):
            probe = {**scope, "path": target}
            if any(route.matches(probe)[0] is not Match.NONE for route in self.router.routes):
                query = scope.get("query_string", b"").decode("latin-1")
                location = str(scope.get("root_path", "")) + target + (f"?{query}" if query else "")
                await RedirectResponse(location, status_code=307, headers=CORS)(scope, receive, send)
                return
        await self.router.not_found(scope, receive, send)


def _explorer_routes(context: ServerContext) -> list[BaseRoute]:
    """The explorer's pages. A server that cannot load them stops at start with the reason, rather
    than serving /sparql alone while / answers 404."""
    try:
        from graph.serve.explorer import explorer_routes
    except ImportError as error:
        raise AllianceError(f"the explorer pages (graph.serve.explorer) cannot be loaded: {error}; "
                            f"reinstall the project with its dependencies (scripts/setup, or pip install -e .)") from error
    return explorer_routes(context)


# Full collections at most once per this many collections of the middle generation (Python's
# default: 10). A page that builds a landscape or draws a network makes a million containers and no
# cycles, and each full collection walks them all: measured at 15,000 organisations, drawing took
# 18-20 s CPU with the default, 15 s with the collector paused and 12 s with this, and loading a kept
# landscape 2.6, 1.5 and 1.3 s (docs/benchmarks.md). Young collections go on as usual, so short-lived
# cycles are still freed at once. The collector is never paused in a server
# (graph.network.landscape.cycles_uncollected): a pause would hold for every request's thread.
FULL_COLLECTION_EVERY = 1000


def rarer_full_collections() -> None:
    """Set for the whole server process, once, before it answers: no request changes it."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def serve(settings: ServeSettings) -> None:
    """Run the production ASGI server (uvicorn) until interrupted."""
    import socket

    import uvicorn

    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as error:
            raise AllianceError(f"cannot listen on {settings.host}:{settings.port} ({error.strerror}); "
                                f"another program uses the port: choose one with --port or ALLIANCES_PORT") from None
    from graph.serve.connections import uvicorn_options

    configure_access_log(settings.access_log)
    rarer_full_collections()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, **uvicorn_options(settings))

