"""``alliances --store URL serve``: the endpoint in front of a remote SPARQL store.

Queries are forwarded with the remote store's client (graph.rdf.remote.RemoteStore: SPARQL 1.1
Protocol, the project's prefixes declared, redirects refused, credentials from the environment),
and their answers are made here as for the embedded store (graph.serve.execute): the same
formats, the same row and byte limits, the same safe output. Every limit of the endpoint holds:

- before anything is sent, the request passes the same checks (graph.serve.safety: size, SERVICE,
  LOAD, nesting and operators), so the remote engine never sees a SERVICE or LOAD from us;
- at most ``workers`` queries are forwarded at once, in the same fair turns per client
  (graph.serve.turns: ``--client-workers``, ``--client-queue``, 503 and 429 beyond) and with the
  same hold after a refused crashing shape (``QueryPool.admit``);
- the deadline bounds the whole exchange: the client gets 503 at the deadline, and the HTTP
  client's own timeouts (each phase within the deadline) end the exchange soon after;
- the remote answer is read within a byte bound (four times ``max_result_bytes``: the SPARQL JSON
  it comes in is larger than most formats the client may ask for), then serialised within the
  limits as any answer;
- updates are not forwarded: ``--allow-update`` with a remote store is refused at start;
- the protocol's dataset (default-graph-uri, named-graph-uri) is refused with 400 saying to use
  FROM and FROM NAMED in the query: RemoteStore sends the query text only.

Only SELECT and ASK are forwarded (the remote client reads SPARQL JSON results); a CONSTRUCT or
DESCRIBE ends with the remote's refusal as 502. The store can change at any time without our
knowing, so no answer is cached (graph.serve.cache).
"""
from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from graph.errors import AllianceError
from graph.rdf.location import RemoteEndpoint
from graph.rdf.remote import RemoteStore, TimedOut, TooLarge, http_client
from graph.serve.execute import Limits, Outcome, execute, text_outcome
from graph.serve.protocol import Operation
from graph.serve.turns import Turns
from graph.serve.workers import QueryPool

REMOTE_BYTES_FACTOR = 4  # the remote's SPARQL JSON may be this many times the answer's byte limit


class _Forwarding:
    """The remote store as ``execute`` calls a pyoxigraph Store: ``query(text, base_iri=...)``."""

    def __init__(self, remote: RemoteStore) -> None:
        self.remote = remote

    def query(self, text: str, base_iri: str | None = None, prefixes: object = None, default_graph: object = None,
              named_graphs: object = None, use_default_graph_as_union: bool = False) -> object:
        if default_graph is not None or named_graphs is not None:
            raise ValueError("default-graph-uri and named-graph-uri are not forwarded to the remote store; "
                             "name the graphs with FROM and FROM NAMED in the query")
        return self.remote.query(f"BASE <{base_iri}>\n{text}" if base_iri else text)


class RemotePool(QueryPool):
    """Forwards each query to the remote store, in the fair turns and with the holds of the
    worker pool (graph.serve.workers), in threads instead of worker processes."""

    def __init__(self, endpoint: RemoteEndpoint, size: int, deadline_s: float, limits: Limits) -> None:
        super().__init__(Path("."), size, deadline_s, limits)
        self.endpoint = endpoint
        self.slots: Turns[int] = Turns(limits.client_workers, limits.client_queue)
        self._remote: RemoteStore | None = None

    async def start(self) -> None:
        # Each phase of the exchange (connect, write, every read) within the deadline.
        self._remote = RemoteStore(self.endpoint, client=http_client(self.endpoint, self.deadline_s, self.size))
        self._remote.max_bytes = REMOTE_BYTES_FACTOR * self.limits.max_result_bytes
        for slot in range(self.size):
            self.slots.add(slot)

    async def close(self) -> None:
        self._closed = True
        self.slots.close()
        if self._remote is not None:
            self._remote.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _past_deadline(self) -> Outcome:
        return text_outcome(503, f"the query was stopped at the {self.deadline_s:g} s deadline; narrow it or add LIMIT")

    def _forward(self, op: Operation) -> Outcome:
        assert self._remote is not None, "the pool was not started"
        try:
            return execute(_Forwarding(self._remote), op, self.limits, union=False)
        except TimedOut:  # a read waited the whole deadline: the same answer, whichever clock ran out first
            return self._past_deadline()
        except TooLarge:  # RemoteStore's bound on what it reads
            return text_outcome(400, f"the result is larger than {self.limits.max_result_bytes:,} bytes; add LIMIT or "
                                     "narrow the query")
        except AllianceError as error:
            return text_outcome(502, str(error))

    async def run_on_build(self, op: Operation, client: str = "") -> tuple[Outcome, str | None]:
        turn = await self.wait_turn(client, self.slots)
        if isinstance(turn, Outcome):
            return turn, None
        key, slot = turn
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._executor, functools.partial(self._forward, op))
            return await asyncio.wait_for(future, self.deadline_s), None
        except asyncio.TimeoutError:
            return self._past_deadline(), None
        finally:
            self.slots.give_back(key, slot)
