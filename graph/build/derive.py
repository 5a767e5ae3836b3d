"""Derived facts (partners, group membership, the alliance's year, display labels, matchable
labels, the lists that answers show), made by every build into their own graph.

Each ``derivations/*.rq`` file is a CONSTRUCT over the source graphs; its triples go into the
``derived`` graph, so a derived fact never pretends to come from a source. Display labels
(graph.build.display) and normalised labels (graph.records.names) need Python, so they are made here.
The summaries (``derivations/summaries/*.rq``) run second, because they read the display labels,
groups and years of the first stage; the columns (``derivations/columns/*.rq``) run third, because
they read the summaries (the rows of a named query made once per build from its summary's pairs).

A cold build runs every derivation over the whole graph, the derivations of a stage at the same
time on a small pool of threads (pyoxigraph lets go of the GIL while it evaluates and serialises,
so a stage uses every core); their triples are written in the stage's fixed order, so that what is
loaded is the same as one after the other. The costliest derivations take there a faster route
over every key that makes the same triples (graph.build.whole). An incremental build keeps the
previous derived graph and changes it by its difference: each derivation runs only for the keys (the
subjects of its triples) that the changed quads reach (graph.build.reach, from the ``#@reads``
paths of its file; ``#@scope ?key`` lines become a VALUES block of those keys), its triples are
compared with the derived triples those keys had, and only what differs is removed and added,
in the derived graph and in the stored merge. A derivation whose keys are too many runs whole
(and is compared whole), and the build says so.
"""
from __future__ import annotations

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

import pyoxigraph as ox

from graph.build.display import DISPLAYED, READS as DISPLAY_READS, display_triples
from graph.build.records import usable_cores
from graph.build.reach import Changes, Step, TooWide, can_scope, expand, keys, parse_path, reads_of, scoped
from graph.build.whole import WHOLE
from graph.config import Settings
from graph.records.names import normalise
from graph.rdf.batches import chunks, iri_values
from graph.rdf.query_forms import construct, select
from graph.rdf.merge import Merge
from graph.rdf.store import OxigraphStore

DERIVATIONS = Path(__file__).with_name("derivations")

# Entities with a name but no normalised label from their source (the taxonomies' concepts). The
# derived graph's own hidden labels are not looked at: an incremental build keeps them in the merge.
UNMATCHABLE_LABELS = """
SELECT DISTINCT ?entity ?label WHERE {
  #@scope ?entity
  ?entity skos:prefLabel|skos:altLabel ?label .
  FILTER NOT EXISTS { GRAPH ?g { ?entity skos:hiddenLabel ?any } FILTER (?g != <%s>) }
}"""
HIDDEN_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#hiddenLabel")
# More keys than this and a derivation runs whole: a VALUES block that long costs more than it saves.
MAX_KEYS = 20_000
# More changed quads than this and every derivation runs whole (a large part of the graph changed).
MAX_CHANGES = 200_000
NT = ox.RdfFormat.N_TRIPLES
# The slowest derivations start first in a cold build's pool, so that no core waits alone at the
# end of a stage for one of them: CPU seconds of each at 1.49 million triples, over Oxigraph's union
# as a cold build derives (session 12, load average about 4). Only the order they start in; the
# order their triples are written in stays the stage's.
SLOW = {"alliance-lists": 4.8, "display values": 3.0, "alliance-year": 2.2, "supplier-pairs": 2.0,
        "organisation-alliances": 1.9, "pathway-pursuers": 1.9, "year-lists": 1.6, "alliance-date": 1.5,
        "partners": 1.4, "pathway-alliances": 1.1, "material-closure": 1.0}


@dataclass(frozen=True)
class Derivation:
    """One derivation: its name, what it reads from a key (graph.build.reach), the predicates of the
    triples it makes, and how it makes them (as N-Triples), for some keys or (None) every key."""

    name: str
    reads: tuple[tuple[Step, ...], ...]
    makes: frozenset[str]
    make: Callable[[OxigraphStore, Settings, set[str] | None], bytes]
    scopable: bool = True


def _query_derivation(path: Path) -> Derivation:
    query = path.read_text(encoding="utf-8")
    template = re.search(r"CONSTRUCT\s*\{(.*?)\}\s*WHERE", query, re.DOTALL)
    if template is None:
        raise ValueError(f"{path}: a derivation is a CONSTRUCT query; write it as one")
    makes = frozenset(expand(token) for token in re.findall(r"[^\s;.,]+", template.group(1)) if not token.startswith("?"))
    whole = WHOLE.get(path.stem)  # a faster route over every key (graph.build.whole)

    def make(store: OxigraphStore, settings: Settings, iris: set[str] | None) -> bytes:
        if iris is None and whole is not None:
            return whole(store)
        return construct(store, scoped(query, iris)).serialize(format=NT) or b""

    return Derivation(path.stem, reads_of(query), makes, make, can_scope(query))


def _matchable_labels(store: OxigraphStore, settings: Settings, iris: set[str] | None) -> bytes:
    """Concepts of the taxonomies get the same normalised labels as records (graph.records.names),
    so that one exact-match lookup finds "绿钢" or "Green Steel" as it finds "HBIS"."""
    triples = set()
    for row in select(store, scoped(UNMATCHABLE_LABELS % settings.graph_iri("derived"), iris)):
        if key := normalise(row["label"].value):
            triples.add(ox.Triple(row["entity"], HIDDEN_LABEL, ox.Literal(key)))
    return ox.serialize(triples, format=NT) or b""


def _display(store: OxigraphStore, settings: Settings, iris: set[str] | None) -> bytes:
    return ox.serialize(display_triples(store, settings, iris), format=NT) or b""


# The folders of the stages after the first, in order: each reads what the stages before it made.
LATER_STAGES = ("summaries", "columns")


def stages() -> tuple[list[Derivation], ...]:
    """The derivations of each stage, in order: the first over the source graphs, then one for each
    folder of LATER_STAGES (the summaries, then the columns that read them)."""
    first = [_query_derivation(path) for path in sorted(DERIVATIONS.glob("*.rq"))]
    first.append(Derivation("matchable labels", tuple(parse_path(p) for p in ("skos:prefLabel", "skos:altLabel", "skos:hiddenLabel")),
                            frozenset({HIDDEN_LABEL.value}), _matchable_labels))
    first.append(Derivation("display values", tuple(parse_path(p) for p in DISPLAY_READS),
                            frozenset(str(display) for _, display, _ in DISPLAYED), _display))
    return (first, *([_query_derivation(path) for path in sorted((DERIVATIONS / folder).glob("*.rq"))] for folder in LATER_STAGES))


class Difference(NamedTuple):
    """What deriving by difference changed: the derived triples removed or added (N-Triples), and
    how many more triples the derived graph holds (added less removed: the build's count of triples
    follows it instead of counting the whole graph again)."""

    triples: bytes
    growth: int


def derive(store: OxigraphStore, settings: Settings, changes: Iterable[ox.Quad] | None = None,
           note: Callable[[str], None] = lambda text: None, merge: Merge | None = None,
           workers: int | None = None) -> Difference:
    """Make the derived graph: whole (``changes`` None), or, in a copy of the previous build
    (an incremental build's), by its difference after the source quads ``changes`` were added or
    removed. Returns what changed (nothing when whole). A whole derived graph's triples are
    written to ``merge`` too (a cold build's stored merge). ``workers``: the threads that make a
    stage's derivations at once (default: one per core)."""
    if changes is None:
        for stage in stages():
            with tempfile.TemporaryFile() as made:
                for triples in _made_whole(store, settings, stage, workers):
                    made.write(triples)
                _load(store, made, settings)
                if merge is not None:
                    merge.add_triples(made, settings.graph_iri("derived"))
        return Difference(b"", 0)
    if not store.holds_merge:  # the difference is applied to the stored merge as well
        raise ValueError("derive by difference needs a copy of a published build (a store that holds its merge); pass changes=None")
    return _by_difference(store, settings, Changes(changes), note)


def _made_whole(store: OxigraphStore, settings: Settings, stage: list[Derivation], workers: int | None) -> Iterator[bytes]:
    """Each derivation's triples over the whole graph, in the stage's order. The derivations of a
    stage read the source graphs and earlier stages only, so they may run at the same time: each
    on a thread of the pool, pyoxigraph evaluating and serialising without the GIL (measured in
    docs/benchmarks.md). One worker runs them one after the other, in this thread."""
    workers = min(len(stage), workers if workers is not None else usable_cores())
    if workers < 2:
        yield from (derivation.make(store, settings, None) for derivation in stage)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="derive") as pool:
        started = {index: pool.submit(stage[index].make, store, settings, None)
                   for index in sorted(range(len(stage)), key=lambda index: -SLOW.get(stage[index].name, 0.0))}
        try:
            yield from (started.pop(index).result() for index in range(len(stage)))  # each kept until written
        finally:  # one failed (or the caller stopped): the others that have not started never will
            for future in started.values():
                future.cancel()


def _load(store: OxigraphStore, triples: IO[bytes], settings: Settings) -> None:
    """Load into the derived graph and, in a store that holds the merge of its graphs, into the merge too."""
    for graph in (settings.graph_iri("derived"), None) if store.holds_merge else (settings.graph_iri("derived"),):
        triples.seek(0)
        store.load(triples, NT, graph)


OLD_TRIPLES = """
CONSTRUCT { ?s ?p ?o } WHERE {
  #@scope ?s
  VALUES ?p { %s }
  GRAPH <%s> { ?s ?p ?o }
}"""


def _by_difference(store: OxigraphStore, settings: Settings, changes: Changes, note: Callable[[str], None]) -> Difference:
    derived = settings.graph_iri("derived")
    whole = changes.count > MAX_CHANGES
    if whole:
        note(f"derived graph made again whole: {changes.count} quads changed")
    changed: list[bytes] = []
    growth = 0
    for stage in stages():
        removed: set[bytes] = set()
        added: set[bytes] = set()
        known: dict[tuple[str, frozenset[ox.NamedNode | ox.Literal | ox.BlankNode]], set[str]] = {}
        for derivation in stage:
            iris: set[str] | None = None
            if not whole and derivation.scopable:
                try:
                    iris = keys(store, derivation.reads, changes, MAX_KEYS, known)
                except TooWide as wide:
                    note(f"derivation '{derivation.name}' made again whole: {wide}")
            elif not whole:
                note(f"derivation '{derivation.name}' made again whole: it has no #@scope line")
            if iris is not None and not iris:
                continue
            new = set(derivation.make(store, settings, iris).splitlines())
            old_query = scoped(OLD_TRIPLES % (iri_values(sorted(derivation.makes)), derived), iris)
            old = set((construct(store, old_query).serialize(format=NT) or b"").splitlines())
            removed |= old - new
            added |= new - old
        _apply(store, derived, sorted(removed), sorted(added))
        growth += len(added) - len(removed)  # added: none was in the graph; removed: each was
        difference = sorted(removed | added)
        changes.add(ox.parse(b"\n".join(difference), format=NT))  # the next stage reads this one
        changed += difference
    return Difference(b"".join(line + b"\n" for line in changed), growth)


BATCH = 5_000  # triples per update


def _apply(store: OxigraphStore, derived: str, removed: list[bytes], added: list[bytes]) -> None:
    """Remove and add derived triples, in the derived graph and in the stored merge; a removed
    triple stays in the merge while another graph states it."""
    for batch in chunks(removed, BATCH):
        lines = b"\n".join(batch)
        rows = " ".join(f"({t.subject} {t.predicate} {t.object})" for t in ox.parse(lines, format=NT))
        store.update(f"DELETE DATA {{ GRAPH <{derived}> {{ {lines.decode()} }} }} ;\n"
                     f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES (?s ?p ?o) {{ {rows} }} FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}")
    for batch in chunks(added, BATCH):
        text = b"\n".join(batch).decode()
        store.update(f"INSERT DATA {{ GRAPH <{derived}> {{ {text} }}\n{text} }}")
