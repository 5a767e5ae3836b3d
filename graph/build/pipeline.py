"""Compile ``data/`` and ``ontology/`` into a store: records stream in one file at a time.

``build`` writes a new on-disk store, validates it and only then makes it the current graph;
``check`` runs the same compilation into a throw-away in-memory store (``alliances validate``).
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings
from graph.build.derive import derive
from graph.changes.manifest import archive_manifest, make_manifest, write_manifest
from graph.errors import InvalidData
from graph.problems import Problem, Severity, has_violations
from graph.rdf.location import RemoteEndpoint
from graph.records import emit_record, read_record, record_files
from graph.records.emit import Emitted, Reference
from graph.records.read import RecordProblems
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore, OxigraphStore, discard, ensure_publishable, new_build_dir, publish
from graph.records.taxonomy import Taxonomy, load_taxonomy, taxonomy_files
from graph.validate import check_graph


@dataclass
class Compiled:
    """What the records declared and referred to, for the checks that span files."""

    files: int = 0
    declared: list[tuple[str, str, str, int]] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    whole: bool = True  # every record of the data folder, not a chosen few (cross-file checks need all)

    def add(self, emitted: Emitted) -> None:
        self.declared.extend(emitted.declared)
        self.references.extend(emitted.references)


@dataclass
class BuildSummary:
    """Printed after a build; also returned to Python callers."""

    store: str
    files: int
    graphs: int
    triples: int
    counts: dict[str, int]
    warnings: list[Problem]  # warnings and notes: everything short of a violation
    seconds: float

    def text(self) -> str:
        lines = [f"Built {self.store} from {self.files} record files in {self.seconds:.1f} s:",
                 f"  {self.triples} triples in {self.graphs} named graphs"]
        lines += [f"  {count:>5} {name}" for name, count in self.counts.items()]
        warnings = sum(1 for p in self.warnings if p.severity is Severity.WARNING)
        notes = len(self.warnings) - warnings
        if self.warnings:
            lines.append(f"  {warnings} warning(s) and {notes} note(s); see: alliances validate --all")
        return "\n".join(lines)


def load_vocabulary(store: OxigraphStore, settings: Settings) -> None:
    """The ontology, the taxonomies and the shapes, each in a graph of its own."""
    store.load((settings.ontology_dir / "alliance.ttl").read_bytes(), ox.RdfFormat.TURTLE, settings.graph_iri("ontology"))
    for path in taxonomy_files(settings.ontology_dir):
        store.load(path.read_bytes(), ox.RdfFormat.TURTLE, settings.graph_iri("taxonomies"))


def compile_records(store: OxigraphStore, settings: Settings, taxonomy: Taxonomy, files: list[Path] | None = None) -> Compiled:
    """Read every record, write its graph to one N-Quads stream, and bulk-load that stream.

    Only one record's RDF is in rdflib at a time, so memory stays flat however many files
    there are. A file that fails its own checks is left out and its problems are kept.
    """
    compiled = Compiled(whole=files is None)
    with tempfile.TemporaryFile() as stream:
        for path in files if files is not None else record_files(settings.data_dir):
            compiled.files += 1
            try:
                record = read_record(path, settings.display(path))
            except RecordProblems as failure:
                compiled.problems.extend(failure.problems)
                continue
            emitted = emit_record(record, settings, taxonomy)
            compiled.add(emitted)
            stream.write(_as_nquads(emitted))
        stream.seek(0)
        store.load(stream, ox.RdfFormat.N_QUADS)
    return compiled


def _as_nquads(emitted: Emitted) -> bytes:
    """The record's graph as N-Quads in its source's named graph."""
    graph = ox.NamedNode(str(emitted.graph.identifier))
    triples = ox.parse(emitted.graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize((ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples), format=ox.RdfFormat.N_QUADS) or b""


def compile_all(store: OxigraphStore, settings: Settings, files: list[Path] | None = None) -> tuple[Compiled, list[Problem]]:
    """Load vocabulary and records, derive, and check; return what was found."""
    taxonomy = load_taxonomy(settings.ontology_dir)
    load_vocabulary(store, settings)
    compiled = compile_records(store, settings, taxonomy, files)
    if compiled.problems:  # fix each file first: cross-file checks would only repeat the noise
        return compiled, sorted(compiled.problems)
    derive(store, settings)
    return compiled, sorted(check_graph(store, settings, taxonomy, compiled))


def check(settings: Settings | None = None, files: list[Path] | None = None) -> list[Problem]:
    """Validate the records as they are now, without touching the built graph."""
    settings = settings or Settings()
    _, problems = compile_all(OxigraphStore.in_memory(), settings, files)
    return problems


def build(settings: Settings | None = None) -> BuildSummary:
    """Build the graph into a new folder and publish it only if it is valid.

    Raises InvalidData (and leaves the previous graph answering) when any violation is found.
    """
    settings = settings or Settings()
    started = time.perf_counter()
    ensure_publishable(settings.store_path)
    settings.store_path.parent.mkdir(parents=True, exist_ok=True)
    lease = new_build_dir(settings.store_path)  # held until published or discarded: no pruning takes it
    try:
        try:
            files, problems, counts, graphs = _build_into(lease.folder, settings)
        except BaseException:
            discard(lease.folder)
            raise
        publish(settings.store_path, lease.folder)
        archive_manifest(settings.store_path, lease.folder)
    finally:
        lease.release()
    warnings = [p for p in problems if p.severity.value != "violation"]
    triples = counts.pop("triples")
    return BuildSummary(str(settings.store_path), files, graphs, triples, counts, warnings, time.perf_counter() - started)


def build_remote(settings: Settings, endpoint: RemoteEndpoint) -> BuildSummary:
    """Build as ``build`` does, into a temporary folder, and publish the valid build to a remote
    SPARQL store (graph.rdf.publish_remote); nothing is sent unless the build is valid. The
    folder and its manifest are removed afterwards: ``alliances changes`` needs a local store."""
    from graph.rdf.publish_remote import RemotePublisher

    started = time.perf_counter()
    publisher = RemotePublisher(endpoint)
    try:
        publisher.check_reachable()  # before minutes of work
        with tempfile.TemporaryDirectory(prefix="alliances-remote-build-") as folder:
            files, problems, counts, graphs = _build_into(Path(folder) / "build", settings,
                                                          then=lambda store: publisher.publish(store, settings.base))
    finally:
        publisher.reader.close()
    warnings = [p for p in problems if p.severity.value != "violation"]
    triples = counts.pop("triples")
    return BuildSummary(str(endpoint), files, graphs, triples, counts, warnings, time.perf_counter() - started)


def _build_into(build_path: Path, settings: Settings, then: Callable[[OxigraphStore], object] | None = None
                ) -> tuple[int, list[Problem], dict[str, int], int]:
    """Compile into a new store at ``build_path``; closed on return, so the folder can be
    published or discarded. ``then`` gets the valid, complete store before it is closed."""
    store = OxigraphStore.create(build_path)
    try:
        compiled, problems = compile_all(store, settings)
        if has_violations(problems):
            raise InvalidData(problems)
        store.materialise_union()  # after validation, which checks that no fact sits outside a source graph
        counts = summary_counts(store)
        graphs = len(store.named_graphs())
        write_manifest(build_path, make_manifest(store, settings, build_path.name))  # before publish: no build without one
        store.flush()
        if then is not None:
            then(store)
        return compiled.files, problems, counts, graphs
    finally:
        store.close()


SUMMARY_QUERY = """
SELECT ?name ?n WHERE {
 { SELECT ("triples" AS ?name) (COUNT(*) AS ?n) (0 AS ?order) WHERE { GRAPH ?g { ?s ?p ?o } } }
 UNION
 { SELECT ?name (COUNT(DISTINCT ?x) AS ?n) ?order WHERE {
  VALUES (?class ?name ?order) {
    (al:Alliance "alliances" 1) (org:Organization "organisations" 2) (foaf:Person "people" 3)
    (al:Claim "quantitative claims" 4) (schema:CreativeWork "sources" 5) }
  ?x a ?class .
 } GROUP BY ?name ?order }
} ORDER BY ?order
"""


def summary_counts(store: GraphStore) -> dict[str, int]:
    return {str(row["name"].value): int(row["n"].value) for row in select(store, SUMMARY_QUERY)}
