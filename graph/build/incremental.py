"""An incremental build: start from the published store instead of loading every record again.

A build leaves beside its store a state file (``alliances.build-state.json``): the version of
everything that makes a graph besides the records (``graph_version``: the package's code, the
derivations, the ontology, shapes and taxonomies, the IRI base and the label languages), the
record-cache key (graph.build.records.file_key) each source file was loaded with, and the hash
of each source's statements about each entity (graph.changes.manifest.statement_digests). The
next build, when that state matches, copies the published store with ``Store.backup`` (hard
links on the same file system), then:

1. drops the graphs of changed and removed sources, and takes their triples out of the stored
   merge (the default graph) unless another graph still states them;
2. loads the changed files' N-Quads (from the record cache, or compiled) and adds the new graphs'
   triples to the merge; changes the derived graph by its difference, deriving only for what the
   changed quads (``changed_quads``) reach (graph.build.derive);
3. runs the checks as a cold build does, with the declarations and references of the unchanged
   files taken from the previous build's index (graph.build.cache.SourceIndex); the
   duplicate-alliance, shared-name, preferred-name and one-page-one-source checks and the SHACL
   shapes only on what the changed graphs (before and after) and the changed derived triples
   reach (and, for names and pages, the entities that share one with them), the previous
   problems of the rest kept, known by
   the entities each names (Problem.about, in the state; graph.validate.integrity.Scope,
   graph.validate.shacl.shape_scope);
4. recomputes the manifest's statement hashes only for the changed sources (and for sources whose
   claims are now about other entities), and patches the previous manifest for the entities the
   change reached (graph.changes.manifest.patch_manifest).

Finding what changed reads only the files whose stat changed and one index of what every file
declares and refers to (graph.build.cache.SourceIndex), not every file and every cache entry.

When no source changed at all, nothing is dropped, derived or checked again: the graph is the
previous one, and so are its warnings, kept in the state.

The published build is the same as a cold build's (tests/test_build_incremental.py). When the
previous store cannot be trusted (no state, another graph version, a store served with
updates), the build is cold and says why.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable
from typing import Any

import orjson
import pyoxigraph as ox

from graph.build.cache import SourceIndex
from graph.build.records import library_versions
from graph.changes.manifest import MANIFEST_FILE, Manifest, read_manifest
from graph.errors import AllianceError
from graph.config import Settings
from graph.problems import Problem, Severity
from graph.rdf.batches import bound_to, chunks, iri_values
from graph.rdf.files import write_atomic
from graph.rdf.query_forms import select
from graph.rdf.store import COMPLETE_MARKER, UNION_MARKER, Lease, OxigraphStore, lease_build

STATE_FILE = "alliances.build-state.json"
# 4: each problem names the entities it is about (Problem.about), and the summary's counts are
# kept; an older state makes the build cold.
STATE_FORMAT = 4
PACKAGE = Path(__file__).resolve().parent.parent
# Libraries whose answers are part of the derived graph, the checks or the manifest.
LIBRARIES = ("pyoxigraph", "rdflib", "pyshacl")


def graph_version(settings: Settings) -> str:
    """What the graph and its checks depend on besides the records' own results: any change makes
    the next build cold. The whole package, not a list of modules, so that no rule is forgotten."""
    digest = hashlib.sha256(f"{settings.base}\0{','.join(settings.label_languages)}\0".encode())
    code = sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.rq")) + sorted(PACKAGE.rglob("*.yaml"))
    vocabulary = sorted(p for p in settings.ontology_dir.rglob("*") if p.is_file())
    # The reference lists (data/reference/) are no source graph, but the checks read them: a change
    # must check again (a build with no source changed keeps the previous problems).
    reference = sorted(p for p in (settings.data_dir / "reference").rglob("*") if p.is_file())
    for root, paths in ((PACKAGE, code), (settings.ontology_dir, vocabulary), (settings.data_dir, reference)):
        for path in paths:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(library_versions(LIBRARIES))
    return digest.hexdigest()


class Untrusted(Exception):
    """The previous build cannot be the start of this one: build cold (the message says why)."""


# A change of more sources than both of these is built cold: an incremental build costs about what
# the changed graphs hold (at 1.49 million triples and 7,197 files, 100 changed files took 16 s,
# 300 35 s and 1,000 71 s, where a cold build took 62-70 s: docs/benchmarks.md, session 14).
MOST_CHANGED = 0.10  # of the sources, before or now
FEW_CHANGED = 100  # sources: below this a change is built incrementally whatever the share


def too_many_changed(changed: int, sources: int) -> str:
    """Why a change of ``changed`` of ``sources`` sources is built cold, or "" if it is not."""
    if changed > FEW_CHANGED and changed > MOST_CHANGED * sources:
        return f"{changed} of {sources} sources changed (a cold build is faster past {MOST_CHANGED:.0%})"
    return ""


@dataclass
class State:
    """What a build left for the next one."""

    graph_version: str
    sources: dict[str, str]  # source id -> the record-cache key its graph was loaded from
    digests: dict[str, dict[str, str]]  # source id -> entity -> statement hash
    problems: list[Problem]  # the build's warnings and notes: a build with nothing changed has the same
    counts: dict[str, int]  # graph.build.pipeline.summary_counts (a count over the whole graph: 2.7 s at a million triples)

    def write(self, folder: Path) -> None:
        data = {"format": STATE_FORMAT, "graph_version": self.graph_version, "sources": self.sources, "digests": self.digests,
                "problems": [[p.file, p.line, p.rule, p.message, p.fix, p.severity.value, list(p.about)] for p in self.problems],
                "counts": self.counts}
        write_atomic(folder / STATE_FILE, orjson.dumps(data, option=orjson.OPT_SORT_KEYS))  # as json.dumps(sort_keys=True) compact

    @classmethod
    def read(cls, folder: Path) -> State | None:
        try:
            data: Any = orjson.loads((folder / STATE_FILE).read_bytes())
            if data.get("format") != STATE_FORMAT:
                return None
            problems = [Problem(str(p[0]), int(p[1]), str(p[2]), str(p[3]), str(p[4]), Severity(p[5]), tuple(map(str, p[6])))
                        for p in data["problems"]]
            counts = {str(name): int(count) for name, count in data["counts"].items()}
            return cls(str(data["graph_version"]), dict(data["sources"]), dict(data["digests"]), problems, counts)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None


@dataclass
class Previous:
    """The published build an incremental build starts from, leased while it is copied."""

    lease: Lease
    state: State
    index: SourceIndex | None  # its record files (None: the next build hashes them all)
    manifest: Manifest | None  # its manifest (None: the next build makes one from the whole graph)


def trusted_previous(settings: Settings, version: str) -> tuple[Previous | None, str]:
    """The published build if an incremental build can start from it, else None and why not."""
    if not settings.store_path.is_symlink():
        return None, "no earlier build"
    try:
        lease = lease_build(settings.store_path)
    except Exception:  # StoreMissing, or a folder gone meanwhile
        return None, "no earlier build"
    folder = lease.folder
    why = ""
    state = State.read(folder)
    if not (folder / COMPLETE_MARKER).exists():
        why = "the earlier build is not complete"
    elif (folder / UNION_MARKER).exists():
        why = "the earlier build was served with updates"
    elif state is None:
        why = "the earlier build left no build state"
    elif state.graph_version != version:
        why = "the code, ontology, shapes, taxonomies, reference lists or settings changed since the earlier build"
    if why or state is None:
        lease.release()
        return None, why
    return Previous(lease, state, SourceIndex.read(folder), _manifest(folder)), ""


def _manifest(folder: Path) -> Manifest | None:
    """The previous build's manifest to patch; None (a whole one is made) if it cannot be read."""
    try:
        return read_manifest(folder / MANIFEST_FILE)
    except AllianceError:
        return None


def copy_store(previous: Path, folder: Path) -> OxigraphStore:
    """The previous store, copied into the (empty) build folder ``folder`` with hard links, open
    for writing, its default graph the stored merge of its named graphs."""
    incoming = folder / "incoming"
    ox.Store.read_only(str(previous)).backup(str(incoming))
    for entry in os.listdir(incoming):
        os.replace(incoming / entry, folder / entry)
    os.rmdir(incoming)
    return OxigraphStore(ox.Store(str(folder)), folder=folder, union=False)


def drop_graphs(store: OxigraphStore, graphs: list[str]) -> None:
    """Remove ``graphs`` and take their triples out of the stored merge, except those another
    graph still states."""
    if not graphs:
        return
    store.update(f"""
DELETE {{ ?s ?p ?o }} WHERE {{
  {bound_to("?g", graphs)}
  GRAPH ?g {{ ?s ?p ?o }}
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} FILTER (?h NOT IN ({", ".join(iri_values([g]) for g in graphs)})) }}
}}""")
    for graph in graphs:  # a DELETE first: measured 30% faster than remove_graph on a graph of 200,000 triples
        store.update(f"DELETE WHERE {{ GRAPH {iri_values([graph])} {{ ?s ?p ?o }} }}")
        store.remove_graph(graph)


TOUCHED_QUERY = """
SELECT DISTINCT ?node WHERE {
  %s
  GRAPH ?g { { ?node ?p ?o } UNION { ?s ?p ?node } }
  FILTER (isIRI(?node))
}"""


def touched_nodes(store: OxigraphStore, graphs: list[str]) -> set[str]:
    """The IRIs that ``graphs`` state something about or point at: what a change of those graphs
    can reach (graph.validate.integrity.Scope)."""
    if not graphs:
        return set()
    return {row["node"].value for row in select(store, TOUCHED_QUERY % bound_to("?g", graphs)) if isinstance(row["node"], ox.NamedNode)}


def nodes_of(data: bytes, format: ox.RdfFormat) -> tuple[set[str], set[str]]:
    """The IRIs that the quads or triples ``data`` are about or point at, and those they give a type."""
    nodes: set[str] = set()
    typed: set[str] = set()
    for quad in ox.parse(data, format=format):
        nodes |= {term.value for term in (quad.subject, quad.object) if isinstance(term, ox.NamedNode)}
        if quad.predicate == RDF_TYPE and isinstance(quad.subject, ox.NamedNode):
            typed.add(quad.subject.value)
    return nodes, typed


def subjects_of(statements: Iterable[ox.Quad] | Iterable[ox.Triple]) -> set[str]:
    """The IRIs ``statements`` say something about: the nodes whose own statements they change."""
    return {statement.subject.value for statement in statements if isinstance(statement.subject, ox.NamedNode)}


RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
TYPES_QUERY = "SELECT ?node ?type WHERE { %s ?node rdf:type ?type }"


def types_of(store: OxigraphStore, iris: set[str]) -> dict[str, set[str]]:
    """The types the stored merge gives ``iris``."""
    types: dict[str, set[str]] = {}
    for batch in chunks(sorted(iris), 500):
        for row in select(store, TYPES_QUERY % bound_to("?node", batch)):
            types.setdefault(row["node"].value, set()).add(row["type"].value)
    return types


def changed_quads(store: OxigraphStore, graphs: list[str], nquads: bytes) -> tuple[set[ox.Quad], int]:
    """The quads that replacing ``graphs`` (as the store holds them) with ``nquads`` adds or
    removes: what the derived graph's difference starts from (graph.build.derive); a quad that an
    edited file states before and after is no change, whatever else in the file changed. And how
    many more quads those graphs hold after (fewer: negative), for the build's count of triples."""
    before = {quad for graph in graphs for quad in store.quads(graph)}
    after = set(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    return before ^ after, len(after) - len(before)


def loaded_graphs(nquads: bytes) -> set[str] | None:
    """The named graphs of ``nquads``; None if some quad is in the default graph: a stored merge
    would hide it, so such a build is made cold, where the integrity check reports it."""
    graphs: set[str] = set()
    for quad in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        if not isinstance(quad.graph_name, ox.NamedNode):
            return None
        graphs.add(quad.graph_name.value)
    return graphs
