"""SHACL shapes (ontology/shapes.ttl) run with pySHACL, on the nodes that may break them.

pySHACL is slow on a large graph (58-76% of a build at scale), and almost every node conforms:
graph.validate.shape_filter finds with SPARQL the focus nodes that may fail a shape, and only
those go to pySHACL, so every message is still pySHACL's. When the filter cannot narrow a shape,
every source graph is validated, one batch at a time.

pySHACL needs an rdflib graph. Copying the whole store into rdflib would double the memory of a
large landscape, so each batch gets only the entities it validates, with all that any source says
about them (shapes such as "at least one party" must see every source), plus the types of the
nodes they point at and the vocabulary.
"""
from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node
from rdflib.namespace import RDF, SH

from graph.config import Settings
from graph.problems import Problem, Severity
from graph.rdf.batches import bound_to, chunks
from graph.rdf.query_forms import construct, select
from graph.rdf.store import OxigraphStore
from graph.validate.integrity import Scope
from graph.validate.locations import Locations
from graph.validate.shape_filter import candidate_focus_nodes

SOURCES_PER_BATCH = 500
SEVERITY: dict[Node | None, Severity] = {SH.Violation: Severity.VIOLATION, SH.Warning: Severity.WARNING, SH.Info: Severity.INFO}

SUBJECTS_QUERY = "SELECT DISTINCT ?s WHERE { %s GRAPH ?g { ?s ?p ?o } }"
BATCH_QUERY = """
CONSTRUCT { ?s ?p ?o . ?o a ?type }
WHERE {
  { SELECT DISTINCT ?s WHERE { %s GRAPH ?g { ?s ?anything ?value } } }
  ?s ?p ?o .
  OPTIONAL { ?o a ?type }
}
"""
# The same for chosen subjects, of which only those that some source describes are validated.
DESCRIBED_QUERY = "SELECT DISTINCT ?s ?g WHERE { %s GRAPH ?g { ?s ?p ?o } }"
NODES_QUERY = """
CONSTRUCT { ?s ?p ?o . ?o a ?type }
WHERE { %s ?s ?p ?o . OPTIONAL { ?o a ?type } }
"""
NODES_PER_BATCH = 2000


def shapes_graph(settings: Settings) -> Graph:
    return Graph().parse(settings.ontology_dir / "shapes.ttl", format="turtle")


def vocabulary_graph(store: OxigraphStore, settings: Settings) -> Graph:
    graph = Graph()
    for name in ("ontology", "taxonomies"):
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(settings.graph_iri(name)))
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


# The nodes that point at the given ones: their sh:class constraints read the given ones' types.
POINTING_AT = "SELECT DISTINCT ?f WHERE { %s ?f ?p ?o FILTER (isIRI(?f)) }"


def shape_scope(store: OxigraphStore, locations: Locations, scope: Scope) -> set[str] | None:
    """The focus nodes whose shape results a change can alter: pySHACL sees of a node its own
    triples (the merge's, derived ones included), the types of the nodes it points at, and the
    vocabulary (unchanged in an incremental build); its problems name the place of its entry, or
    of its owner's (Locations.owner: a participation's alliance). So: the nodes whose own
    statements changed (``Scope.described``; else every touched node), the nodes that point at a
    node whose types changed, and the focus nodes of previous problems whose owner, before or
    after the change, is touched (``Problem.about``: focus, then owner). A node the change only
    points at (a class, a concept, a partner) keeps its results: the shapes use no inverse path,
    and a value's own shape here (alsh:DateValue) looks at a literal. None (check every node) if a
    previous shape problem does not name its focus node."""
    previous = [p for p in scope.previous if p.rule.startswith("shape")]
    if any(not p.about for p in previous):
        return None
    nodes = set(scope.touched if scope.described is None else scope.described)
    for batch in chunks(sorted(scope.retyped), 500):
        nodes |= {row["f"].value for row in select(store, POINTING_AT % bound_to("?o", batch))}
    for problem in previous:
        focus = problem.about[0]
        owner_now = locations.owner(focus)
        if any(iri in scope.touched for iri in problem.about) or (owner_now is not None and owner_now in scope.touched):
            nodes.add(focus)
    return nodes


def shacl_problems(store: OxigraphStore, settings: Settings, locations: Locations, scope: Scope | None = None) -> list[Problem]:
    """pySHACL's results for the nodes that may break a shape (all nodes if that is not known).
    With ``scope`` (an incremental build's change), only the nodes in ``shape_scope`` are asked
    about, and the previous problems of the others are kept."""
    shapes = shapes_graph(settings)
    within = None if scope is None else shape_scope(store, locations, scope)
    candidates = candidate_focus_nodes(store, shapes, within)
    if candidates is None:
        return all_shacl_problems(store, settings, locations, shapes)
    problems: set[Problem] = set()
    if scope is not None and within is not None:
        problems |= {p for p in scope.previous if p.rule.startswith("shape") and p.about[0] not in within}
    vocabulary: Graph | None = None
    for batch in chunks(sorted(candidates), NODES_PER_BATCH):
        nodes = bound_to("?s", batch)
        described = {row["s"].value for row in select(store, DESCRIBED_QUERY % nodes) if row["g"].value in locations.file_of_source}
        if described:
            vocabulary = vocabulary if vocabulary is not None else vocabulary_graph(store, settings)
            problems |= _validate(store, NODES_QUERY % nodes, vocabulary, shapes, locations, described)
    return sorted(problems)


def all_shacl_problems(store: OxigraphStore, settings: Settings, locations: Locations, shapes: Graph | None = None) -> list[Problem]:
    """pySHACL on every source graph, one batch at a time: what the filter must agree with."""
    shapes = shapes if shapes is not None else shapes_graph(settings)
    vocabulary = vocabulary_graph(store, settings)
    sources = [g for g in store.named_graphs() if g in locations.file_of_source]
    problems: set[Problem] = set()
    for batch in chunks(sources, SOURCES_PER_BATCH):
        graphs = bound_to("?g", batch)
        described = {row["s"].value for row in select(store, SUBJECTS_QUERY % graphs)}
        problems |= _validate(store, BATCH_QUERY % graphs, vocabulary, shapes, locations, described)
    return sorted(problems)


def _validate(store: OxigraphStore, query: str, vocabulary: Graph, shapes: Graph, locations: Locations,
              described: set[str]) -> set[Problem]:
    data = Graph()
    data.parse(data=ox.serialize(construct(store, query), format=ox.RdfFormat.N_TRIPLES), format="nt")
    data += vocabulary
    _, report, _ = shacl_validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    # Nodes that are only pointed at are validated with the batch that describes them.
    return {p for focus, p in _read_report(report, locations) if focus in described}


def _read_report(report: Graph, locations: Locations) -> Iterator[tuple[str, Problem]]:
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = str(report.value(result, SH.focusNode))
        severity = SEVERITY.get(report.value(result, SH.resultSeverity), Severity.VIOLATION)
        message = str(report.value(result, SH.resultMessage) or "does not match its shape")
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        file, line = locations.of(focus)
        owner = locations.owner(focus)
        shown = locations.kind_and_id(focus)
        detail = f" (value {value})" if isinstance(value, (Literal, URIRef)) and value != URIRef(focus) else ""
        rule = f"shape:{_short(path)}" if path is not None else "shape"
        about = (focus, owner) if owner is not None and owner != focus else (focus,)
        yield focus, Problem(file, line, rule, f"{shown}: {message}{detail}", "", severity, about)


def _short(iri: object) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
