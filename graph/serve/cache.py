"""Answers of read queries, kept for the published build they were computed on.

A published build never changes (graph.rdf.store: a build is a folder that the store link points
at, replaced whole by the next build), so the answer to the same query text, over the same
dataset, in the same format, from the same build is the same bytes: a client that asks again can
be answered without a worker. The key holds everything the answer depends on:

- the query text, exactly as sent (no normalisation: two texts that differ by a space are two keys);
- the protocol's dataset (default-graph-uri, named-graph-uri), in the order given;
- the base IRI the query is read against (the endpoint's URL as the request named it);
- the media types negotiated from ``Accept`` (for a solution or boolean result, and for a graph
  result), so an alias (application/json) and its type are two keys, as they are two answers;
- the build's id (the store link as read, graph.rdf.store.read_link). Whether the default graph
  is the union of the named graphs is a property of the build (union_default_graph), so the build
  id covers it.

Only complete 200 answers to queries are kept: never an error, a refusal, a query stopped at its
deadline or over its memory (those are 4xx/5xx), and never an update. Every answer kept was made
within this server's limits (rows, bytes, deadline, memory), and the limits do not change while the
server runs, so a cached answer is one the limits allowed. Checks made on the request before any
evaluation (SERVICE, LOAD, size, nesting) depend on the text alone, which is in the key: a text
refused once is never in the cache.

Bounded in bytes (bodies, texts and a fixed overhead per entry), least recently used out first;
an answer over an eighth of the bound is not kept, so one large answer does not empty the cache.
When a request names another build than the entries were made on (a build was published), every
entry is dropped at once. Not used with ``--allow-update`` (updates change the store in place)
nor in front of a remote store (it changes without telling us): see graph.serve.app.

Hand-written: an ``OrderedDict`` LRU in thirty lines; the libraries (cachetools) bound entries by a
size function too, but not dropping everything on a new build, and this is the hot path.
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from typing import NamedTuple

from graph.rdf.formats import GRAPHS, RESULTS
from graph.serve.execute import Outcome
from graph.serve.protocol import choose_format

ENTRY_OVERHEAD = 1_000  # bytes of the Python objects around an entry (key, Outcome, header fields, dict slot), roughly


class CacheKey(NamedTuple):
    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    base: str | None
    formats: tuple[str | None, str | None]  # the media types negotiated for results and for graphs


@functools.lru_cache(maxsize=256)
def negotiated(accept: str) -> tuple[str | None, str | None]:
    """The media types a query's answer would have under this ``Accept`` (results, graphs): the
    format part of the key. Cached: clients send few distinct Accept headers."""
    results, graphs = choose_format(accept, RESULTS), choose_format(accept, GRAPHS)
    return (results[0] if results else None, graphs[0] if graphs else None)


class Cached(NamedTuple):
    outcome: Outcome
    head: list[tuple[bytes, bytes]]  # the response's header fields as the application rendered them, made once


class ResultCache:
    """Answers of read queries on one build, within ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.build: str | None = None
        self.size = 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[CacheKey, Cached] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey, build: str | None) -> Cached | None:
        """The answer kept for ``key`` on ``build``; naming another build than the entries' drops them all."""
        if build != self.build:
            self.clear(build)
        cached = self._entries.get(key)
        if cached is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return cached

    def put(self, key: CacheKey, build: str | None, outcome: Outcome, head: list[tuple[bytes, bytes]]) -> None:
        """Keep a complete answer of ``build``, the build the last ``get`` named; anything else
        (an error, a refusal, another build's answer) is not kept."""
        if outcome.status != 200 or not self.max_bytes or build != self.build:
            return  # build: ``get`` saw a newer one since this query started, or its worker held an older one
        cost = _cost(key, outcome)
        if cost > self.max_bytes // 8 or key in self._entries:
            return
        self._entries[key] = Cached(outcome, head)
        self.size += cost
        while self.size > self.max_bytes:
            old_key, old = self._entries.popitem(last=False)
            self.size -= _cost(old_key, old.outcome)

    def clear(self, build: str | None = None) -> None:
        """Drop every entry; what is kept from now on belongs to ``build``."""
        self._entries.clear()
        self.size = 0
        self.build = build


def _cost(key: CacheKey, outcome: Outcome) -> int:
    return (ENTRY_OVERHEAD + len(outcome.body) + len(key.text) + len(key.base or "")
            + sum(map(len, key.default_graphs)) + sum(map(len, key.named_graphs)))
