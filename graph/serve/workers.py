"""Queries run in worker processes that are killed at the deadline.

pyoxigraph has no query timeout, and a runaway query cannot be interrupted from another thread.
A process can be killed, so each worker holds its own read-only handle on the store and runs one
operation at a time; the server hands operations to idle workers, waits at most the deadline,
and kills and replaces a worker that overruns. Results are serialised completely in the worker,
so a client gets either the whole answer or an error, never a truncated 200. A slow query holds
one worker and delays no other request while workers are free.

With updates allowed there is one read-write worker (Oxigraph does not support a reader beside a
writer in another process), so operations run one at a time.
"""
from __future__ import annotations

import asyncio
import csv
import io
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from graph.namespaces import PREFIXES  # the same predeclared prefixes as `alliances query`
from graph.serve.lexer import tokens
from graph.serve.protocol import DEFAULT_GRAPH, DEFAULT_RESULTS, GRAPH_TYPES, RESULT_TYPES, Operation, negotiate

_CONTEXT = multiprocessing.get_context("spawn")  # no forked copies of the server's threads


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_result_bytes: int


@dataclass(frozen=True)
class Outcome:
    status: int
    content_type: str
    body: bytes
    rows: int | None = None


def _text(status: int, message: str) -> Outcome:
    return Outcome(status, "text/plain; charset=utf-8", (message + "\n").encode())


class _TooLarge(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.cap:
            raise _TooLarge()
        return super().write(data)


def _count_rows(body: bytes, fmt: object) -> int:
    import pyoxigraph as ox
    if fmt == ox.QueryResultsFormat.CSV:
        return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1)
    parsed = ox.parse_query_results(body, format=fmt)
    return sum(1 for _ in parsed) if isinstance(parsed, ox.QuerySolutions) else 1


def _default_graph_is_empty(store: object) -> bool:
    import pyoxigraph as ox
    return next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None  # type: ignore[attr-defined]


def has_dataset_clause(text: str) -> bool:
    if "FROM" not in text.upper():  # the common case, without lexing
        return False
    return any(token.keyword == "FROM" and token.depth == 0 for token in tokens(text))


def execute(store: object, op: Operation, limits: Limits, union: bool | None = None) -> Outcome:
    """Run one operation on a pyoxigraph Store and serialise its result (in the worker).

    ``union``: whether the store lacks a merged default graph, so that Oxigraph's union must stand
    in; None to look it up now (a read-write store can change between operations)."""
    import pyoxigraph as ox
    if op.kind == "update":
        try:
            store.update(op.text, base_iri=op.base)  # type: ignore[attr-defined]
        except SyntaxError as error:
            return _text(400, f"SPARQL update syntax error: {error}")
        return Outcome(204, "text/plain", b"")
    kwargs: dict[str, object] = {"base_iri": op.base, "prefixes": PREFIXES}
    if op.default_graphs or op.named_graphs:  # the protocol's dataset replaces the query's (SPARQL 1.1 Protocol 2.1.4)
        kwargs["default_graph"] = [ox.NamedNode(g) for g in op.default_graphs]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in op.named_graphs]
    elif not has_dataset_clause(op.text) and (union if union is not None else _default_graph_is_empty(store)):
        # A built store holds the merge of its named graphs as its default graph (graph.store);
        # for any other store, Oxigraph's union stands in.
        kwargs["use_default_graph_as_union"] = True
    try:
        result = store.query(op.text, **kwargs)  # type: ignore[attr-defined]
    except SyntaxError as error:
        return _text(400, f"SPARQL syntax error: {error}")
    except ValueError as error:
        return _text(400, f"bad request: {error}")
    try:
        if isinstance(result, ox.QueryTriples):
            media = negotiate(op.accept, [DEFAULT_GRAPH, *GRAPH_TYPES])
            if media is None:
                return _text(406, "no acceptable RDF format; accept text/turtle, application/n-triples, "
                                  "application/ld+json, application/rdf+xml, application/n-quads or application/trig")
            triples = []
            for triple in result:
                triples.append(triple)
                if len(triples) > limits.max_rows:
                    return _text(400, f"the result has more than {limits.max_rows:,} triples; add LIMIT or narrow the query")
            buffer = _CappedBuffer(limits.max_result_bytes)
            ox.serialize(triples, buffer, format=GRAPH_TYPES[media])
            return Outcome(200, media, buffer.getvalue(), len(triples))
        media = negotiate(op.accept, [DEFAULT_RESULTS, *RESULT_TYPES])
        if media is None:
            return _text(406, "no acceptable results format; accept application/sparql-results+json, "
                              "application/sparql-results+xml, text/csv or text/tab-separated-values")
        fmt = RESULT_TYPES[media]
        buffer = _CappedBuffer(limits.max_result_bytes)
        result.serialize(buffer, format=fmt)
        body = buffer.getvalue()
        rows = _count_rows(body, fmt)
        if rows > limits.max_rows:
            return _text(400, f"the result has {rows:,} rows, over the limit of {limits.max_rows:,}; add LIMIT")
        charset = "" if "xml" in media else "; charset=utf-8"
        return Outcome(200, media + charset, body, rows)
    except _TooLarge:
        return _text(400, f"the result is larger than {limits.max_result_bytes:,} bytes; add LIMIT or narrow the query")


def _worker_main(connection: Connection, store_path: str, writable: bool, limits: Limits) -> None:
    from graph.serve.sandbox import isolate_network
    isolate_network()  # first: no SERVICE or LOAD can reach the network from here, whatever got past safety.py
    import pyoxigraph as ox
    store = ox.Store(store_path) if writable else ox.Store.read_only(store_path)
    union = None if writable else _default_graph_is_empty(store)  # a read-only store does not change
    connection.send("ready")
    while True:
        try:
            op = connection.recv()
        except EOFError:
            return
        if op is None:
            return
        try:
            outcome = execute(store, op, limits, union)
        except Exception as error:  # the worker must answer whatever happens
            outcome = _text(500, f"the query failed: {type(error).__name__}: {error}")
        connection.send(outcome)


class _Worker:
    def __init__(self, store_path: Path, writable: bool, limits: Limits) -> None:
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_worker_main, args=(child, str(store_path), writable, limits), daemon=True)
        self.process.start()
        child.close()
        if not self.connection.poll(60) or self.connection.recv() != "ready":
            self.kill()
            raise RuntimeError(f"a query worker could not open the store at {store_path}")

    def roundtrip(self, op: Operation) -> Outcome:
        self.connection.send(op)
        return self.connection.recv()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class QueryPool:
    """Idle workers wait in a queue; each request borrows one for at most the deadline."""

    def __init__(self, store_path: Path, size: int, deadline_s: float, limits: Limits, writable: bool = False) -> None:
        self.store_path, self.deadline_s, self.limits, self.writable = store_path, deadline_s, limits, writable
        self.size = 1 if writable else max(1, size)
        self._executor = ThreadPoolExecutor(max_workers=self.size + 2, thread_name_prefix="sparql-worker")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: list[_Worker] = []
        self._lock = threading.Lock()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(loop.run_in_executor(self._executor, self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.store_path, self.writable, self.limits)
        with self._lock:
            self._all.append(worker)
        return worker

    async def run(self, op: Operation) -> Outcome:
        assert self._idle is not None, "QueryPool.start() was not awaited"
        loop = asyncio.get_running_loop()
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.deadline_s)
        except asyncio.TimeoutError:
            return _text(503, f"every query worker stayed busy for {self.deadline_s:g} s; try again later")
        try:
            outcome = await asyncio.wait_for(loop.run_in_executor(self._executor, worker.roundtrip, op), timeout=self.deadline_s)
        except asyncio.TimeoutError:
            self._replace(worker, loop)
            return _text(503, f"the query was stopped at the {self.deadline_s:g} s deadline; narrow it or add LIMIT")
        except (EOFError, OSError):
            self._replace(worker, loop)
            return _text(500, "the query worker stopped unexpectedly; it has been restarted")
        self._idle.put_nowait(worker)
        return outcome

    def _replace(self, worker: _Worker, loop: asyncio.AbstractEventLoop) -> None:
        """Kill an overrunning worker and start another in the background. Only the signal is sent
        on the event loop: reaping a process that holds gigabytes takes long enough to stall it."""
        worker.process.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

        def respawn() -> None:
            worker.kill()
            replacement = self._spawn()
            loop.call_soon_threadsafe(self._idle.put_nowait, replacement)  # type: ignore[union-attr]

        loop.run_in_executor(self._executor, respawn)

    async def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), []
        for worker in workers:
            worker.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)
