"""The landscape of the build being published, kept in its folder before the swap, so that the first
``network``, ``path`` or export on a new build loads it (graph.network.landscape_cache) instead of
reading the store: 11 s of CPU for the 1.5 million rows of 15,000 organisations (docs/benchmarks.md).

- Kept for each set of parts a command asks for (``KEPT``): every part (exports, drawings, the
  explorer), none (``network`` and ``path`` without topic filters) and the topics (a filter by
  material, pathway, type, status or year; the timeline), all three from one reading.
- A cold build reads them whole from its complete store, the store read once for all three; a
  large one in a second process while it finishes (graph.build.landscape_apart).
- An incremental build patches the previous build's kept landscapes: it reads again only the
  alliances, organisations and sources the change reaches (``reached``), the rest of the rows kept
  as they were (a kept landscape is one row a line: graph.network.landscape_cache.encode). What a
  change reaches: every IRI the changed source graphs state or point at, before and after
  (``Update.touched``), the graphs themselves, the nodes of the derived triples that changed (a
  display label or a group name is derived, and changes for entities no changed file names), and
  one step on: the alliances whose participations or signing events are among them, and the
  alliances their claims are about.
- Where a patch cannot be sure (no previous landscape for this code and these parts, a change to
  a concept, more than ``MAX_REACHED`` IRIs reached), the landscape is read whole when the graph is
  small (``WHOLE_READ_TRIPLES``), else none is kept and the first command reads it as before.
- Written after the store is closed (the hash of its files is part of the cache's key:
  graph.network.landscape_cache.store_files; a read-only open, as commands make, writes none) and
  before the build is published. A failed build discards its folder with everything in it; the
  previous build's landscapes are only read. A build for a remote store keeps none.
- The rows are patched in the payload's bytes (``Section``), written here by hand: the kept landscape
  stays one JSON document that every command parses in one orjson call, and no library patches
  lines of a sorted file in place; splitting the payload into rows and joining them again took
  0.67-0.82 s at 15,000 organisations against 0.27 s in place (docs/benchmarks.md, session 10).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pyoxigraph as ox

from graph.build.landscape_apart import APART_FROM, ApartFailed, ReadApart
from graph.config import TAXONOMY_NS, Settings
from graph.network import landscape_cache as cache
from graph.network.landscape import PARTS, SOURCE_GRAPHS, Landscape, Part, _ident, _only, cycles_uncollected, read_landscapes
from graph.rdf.batches import chunks
from graph.rdf.namespaces import PREFIXES
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

if TYPE_CHECKING:
    from graph.build.pipeline import Update

KEPT: tuple[frozenset[Part], ...] = (PARTS, frozenset(), frozenset(("topics",)))
MAX_KEY = 4096  # bytes of a key read: an IRI longer than that makes the patch unsure
MAX_REACHED = 20_000  # IRIs: a change that reaches more is read whole or not kept (a bound on the queries' VALUES)
WHOLE_READ_TRIPLES = 100_000  # an incremental build reads a landscape whole below this (about 1 s of CPU)
AL, SKOS = PREFIXES["al"], PREFIXES["skos"]
CONCEPT_LINKS = {SKOS + "broader", SKOS + "inScheme"}  # with a concept's al:displayLabel: what graph.network.landscape.CONCEPTS reads
NEIGHBOURS = """
SELECT DISTINCT ?a WHERE {
  { ?a al:participation|al:signing ?n } UNION { ?n al:about ?a }
}"""  # limited to some ?n by ``_only``
BATCH = 500  # IRIs in one VALUES block
GALLOP = 512  # bytes of a kept payload: the first step of a search from the row found before (a few rows)


class NotSure(Exception):
    """A patch could not be sure to give what a whole reading gives (the message says why)."""


class LandscapeKeeper:
    """Keeps the landscapes of one local build: ``start`` and ``prepare`` with the complete store
    still open, ``write`` once it is closed, before it is published; ``stop`` when the build ends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.payloads: dict[frozenset[Part], bytes | list[bytes | memoryview]] = {}
        self.how = ""  # "read whole", "patched" or why none is kept (tests and the benchmark read it)
        self.apart: ReadApart | None = None
        self.unstarted = ""  # why a second process that should have read could not start

    def start(self, store: OxigraphStore, update: Update | None, build_path: Path, triples: int) -> None:
        """Begin reading a large cold build's landscapes in a second process (graph.build.landscape_apart),
        while the build finishes; ``prepare`` takes them."""
        if update is None and triples >= APART_FROM:
            try:
                self.apart = ReadApart(store, build_path, KEPT)
            except ApartFailed as failure:
                self.unstarted = str(failure)

    def prepare(self, store: OxigraphStore, update: Update | None) -> None:
        if self.apart is not None:
            try:
                self.payloads, self.how = dict(self.apart.payloads()), "read whole apart"
                return
            except ApartFailed as failure:
                self._read_whole(store, f"read whole: the second process failed ({failure})")
                return
            finally:
                self.apart = None
        if update is None:
            self._read_whole(store, f"read whole: the second process failed ({self.unstarted})" if self.unstarted else "read whole")
            return
        try:
            self.payloads = patched(store, update, self.settings)
            self.how = "patched"
        except NotSure as why:
            if update.previous.counts.get("triples", WHOLE_READ_TRIPLES) < WHOLE_READ_TRIPLES:
                self._read_whole(store, f"read whole: {why}")
            else:
                self.payloads, self.how = {}, f"none kept: {why}"

    def _read_whole(self, store: OxigraphStore, how: str) -> None:
        self.payloads, self.how = dict(read_whole(store, KEPT)), how

    def stop(self) -> None:
        """Stop a reading still running in a second process (the build failed before ``prepare``)."""
        if self.apart is not None:
            self.apart.stop()
            self.apart = None

    def write(self, folder: Path) -> None:
        for parts, payload in self.payloads.items():
            cache.write_payload(cache.cache_file(folder, parts), cache.header_of(folder, parts), payload)
        self.payloads = {}


@cycles_uncollected()
def read_whole(store: OxigraphStore, wanted: tuple[frozenset[Part], ...]) -> dict[frozenset[Part], bytes]:
    """The landscapes ``wanted`` read whole and encoded, with the cycle collector paused throughout:
    they are gone before it runs again, where a pause for the reading alone ended in a collection
    walking every object the reading made (0.5-0.8 s of CPU at 35,000 alliances, session 11)."""
    return {parts: cache.encode(landscape) for parts, landscape in read_landscapes(store, wanted).items()}


def patched(store: OxigraphStore, update: Update, settings: Settings) -> dict[frozenset[Part], bytes | list[bytes | memoryview]]:
    """The previous build's kept landscapes with the rows of what the change reaches read again."""
    folder = update.folder
    if folder is None:
        raise NotSure("the earlier build's folder is not known")
    previous: dict[frozenset[Part], bytes] = {}
    for parts in KEPT:
        payload = cache.kept_payload(cache.cache_file(folder, parts), cache.header_of(folder, parts))
        if payload is None:
            raise NotSure(f"the earlier build kept no landscape of {'-'.join(sorted(parts)) or 'base'} for this code")
        previous[parts] = payload
    nodes = reached(store, update, settings)
    if not nodes:
        return dict(previous)
    again = read_landscapes(store, KEPT, subset=nodes)
    gone = {"sources": _keys(source_ids(store, nodes, settings)), "organisations": _keys(nodes), "alliances": _keys(nodes)}
    return {parts: _spliced(previous[parts], again[parts], gone) for parts in KEPT}


def reached(store: OxigraphStore, update: Update, settings: Settings) -> set[str]:
    """The IRIs whose rows may differ from the previous build's (module docstring); NotSure when a
    concept changed (its broader links and label decide every alliance's topic keys) or too many."""
    derived = list(ox.parse(update.derived, format=ox.RdfFormat.N_TRIPLES)) if update.derived else []
    statements: list[ox.Quad | ox.Triple] = [*update.quads, *derived]
    for statement in statements:  # derived counts of each concept change with any alliance: they are not read
        predicate, subject = statement.predicate.value, statement.subject
        if predicate in CONCEPT_LINKS or (predicate == AL + "displayLabel" and isinstance(subject, ox.NamedNode)
                                          and subject.value.startswith(TAXONOMY_NS)):
            raise NotSure("a concept changed")
    nodes = set(update.touched) | {settings.entity_iri("source", source) for source in update.changed}
    for statement in statements:
        nodes |= {term.value for term in (statement.subject, statement.object) if isinstance(term, ox.NamedNode)}
    nodes |= {quad.graph_name.value for quad in update.quads if isinstance(quad.graph_name, ox.NamedNode)}
    if len(nodes) > MAX_REACHED:
        raise NotSure(f"the change reaches {len(nodes)} IRIs")
    for batch in chunks(sorted(nodes), BATCH):
        nodes |= {row["a"].value for row in select(store, _only(NEIGHBOURS, batch, var="n")) if isinstance(row["a"], ox.NamedNode)}
    if len(nodes) > MAX_REACHED:
        raise NotSure(f"the change reaches {len(nodes)} IRIs")
    return nodes


def source_ids(store: OxigraphStore, nodes: set[str], settings: Settings) -> set[str]:
    """The ids of the sources among ``nodes``: the source graphs now, and those that were (every
    source is loaded into its graph under ``entity_iri("source", id)``: graph.build.pipeline)."""
    prefix = settings.entity_iri("source", "")
    graphs = {iri for iri in nodes if iri.startswith(prefix)}
    for batch in chunks(sorted(nodes), BATCH):
        graphs |= {row[0].value for row in select(store, _only(SOURCE_GRAPHS, batch))}
    return {_ident(iri) for iri in graphs}


def _key(row: bytes | memoryview) -> bytes:
    """The key a row starts with (an id or an IRI), as its JSON bytes: UTF-8, whose order is the
    code points' (the order of ``sorted`` over the keys), without escapes (else: NotSure)."""
    row = bytes(row[:2 + MAX_KEY])
    end = row.find(b'"', 2)
    if not row.startswith(b'["') or end < 0:
        raise NotSure("a kept row without a key")
    key = row[2:end]
    if b"\\" in key:
        raise NotSure("a kept key with an escape")
    return key


class Section:
    """The rows of one section of a kept payload, between two offsets, one a line and in the order of
    their keys: a row is found by bisection on the bytes (a few keys read of hundreds of thousands),
    and the section is written again as views of the rows kept between those changed."""

    def __init__(self, payload: bytes, start: int, end: int) -> None:
        self.payload, self.start, self.end = payload, start, end

    def _start(self, low: int, position: int) -> int:
        """Where the row holding the byte before ``position`` starts, or ``low`` if that is later (``low`` starts a row)."""
        return max(self.payload.rfind(b"\n", low, position) + 1, low)

    def _row_at(self, at: int) -> tuple[bytes, int]:
        """The key of the row starting at ``at`` and where the next one starts (``end`` after the last)."""
        newline = self.payload.find(b"\n", at, self.end)
        return _key(memoryview(self.payload)[at:self.end if newline < 0 else newline]), self.end if newline < 0 else newline + 1

    def find(self, key: bytes, since: int | None = None) -> tuple[int, bool]:
        """Where the first row whose key is not below ``key`` starts (``end`` if none), and whether its
        key is ``key``; ``since``: a row start before which every key is below ``key`` (where the
        previous of keys found in their order was). From there the search gallops (steps doubling)
        before it bisects, so that keys found in their order cost a few reads each when they are
        many (the 15,000 IRIs a change of 300 files reached, in 9 sections: 5.9 s by bisection
        from the start) and about two bisections each when they are few."""
        low, high = self.start if since is None else since, self.end
        step = GALLOP
        while low + step < high:
            at = self._start(low, low + step)
            found, after = self._row_at(at)
            if found >= key:
                high = at
                break
            low, step = after, step * 2
        while low < high:
            at = self._start(low, (low + high) // 2)
            found, after = self._row_at(at)
            if found < key:
                low = after
            else:
                high = at
        return low, low < self.end and self._row_at(low)[0] == key

    def patched(self, gone: set[bytes], fresh: list[bytes]) -> list[bytes | memoryview]:
        """The section's bytes without the rows keyed ``gone``, with the rows ``fresh`` in their places:
        views of the runs of rows kept, the fresh rows, and the separators between them."""
        removed: dict[int, int] = {}  # start of a row taken out -> start of the next
        at = self.start
        for key in sorted(gone):
            at, there = self.find(key, at)
            if there:
                removed[at] = self._row_at(at)[1]
        added: dict[int, list[bytes]] = {}
        at = self.start
        for row in sorted(fresh, key=_key):
            at, there = self.find(_key(row), at)
            if there and at not in removed:
                raise NotSure(f"a row read again was not taken out: {_key(row)!r}")
            added.setdefault(at, []).append(row)
        view = memoryview(self.payload)
        runs: list[bytes | memoryview] = []
        kept_from = self.start
        for at in sorted(removed.keys() | added.keys()):
            if at > kept_from:
                runs.append(view[kept_from:at - 2 if at < self.end else at])  # without the ",\n" after the last
            runs.extend(added.get(at, ()))
            kept_from = removed.get(at, at)
        if kept_from < self.end:
            runs.append(view[kept_from:self.end])
        pieces: list[bytes | memoryview] = []
        for run in runs:
            pieces.extend((b",\n", run) if pieces else (run,))
        return pieces


def _spliced(previous: bytes, again: Landscape, gone: dict[str, set[bytes]]) -> list[bytes | memoryview]:
    """``previous`` without the rows whose keys are ``gone``, with ``again``'s rows in their places, in pieces."""
    try:
        labels, bounds = cache.section_bounds(previous)
    except ValueError as error:
        raise NotSure(f"the earlier landscape is not one row a line: {error}") from error
    if cache.labels_of(again) != labels:
        raise NotSure("the concepts' labels changed")
    fresh = cache.sections_of(again)
    pieces: list[bytes | memoryview] = [cache.LABELS + labels + b",\n"]
    for name in cache.SECTIONS:
        rows = Section(previous, *bounds[name]).patched(gone[name], fresh[name])
        pieces.append(f'"{name}":[\n'.encode())
        pieces.extend(rows)
        pieces.append((b"\n" if rows else b"") + (b"],\n" if name != cache.SECTIONS[-1] else b"]}"))
    return pieces


def _keys(values: Iterable[str]) -> set[bytes]:
    return {orjson.dumps(value)[1:-1] for value in values}

