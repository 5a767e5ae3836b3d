"""The SHACL filter (graph/validate/shape_filter.py) only chooses which nodes pySHACL validates: the
problems must equal pySHACL's on every source graph, word for word, on valid data and on data that
breaks every shape of ontology/shapes.ttl."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, URIRef
from rdflib.namespace import RDF, RDFS, SH

from graph.build.pipeline import compile_all
from graph.config import Settings
from graph.rdf.store import OxigraphStore
from graph.validate.locations import Locations
from graph.validate.shacl import all_shacl_problems, shacl_problems, shapes_graph
from graph.validate.shape_filter import candidate_focus_nodes

from conftest import FIXTURES, seed_corpus

SHAPE_FIXTURES = [p for p in sorted((FIXTURES / "records" / "invalid").glob("*.yaml"))
                  if p.read_text(encoding="utf-8").startswith("# must fail: shape")]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
AL = "https://w3id.org/alliance-graph/ontology#"


def _compiled(files: list[Path]) -> tuple[OxigraphStore, Settings, Locations]:
    settings = Settings()
    store = OxigraphStore.in_memory()
    compiled, _ = compile_all(store, settings, files)
    return store, settings, Locations.from_declared(settings, compiled.declared)


def _name(subject: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
    """A subject's IRI or blank node id: the compiled records quote no triples."""
    assert isinstance(subject, (ox.NamedNode, ox.BlankNode)), subject
    return subject.value


def _break_every_shape(store: OxigraphStore, settings: Settings) -> int:
    """For each path a shape constrains: drop its values from one subject, give another a second
    IRI value, a plain text and an ill-typed date; and drop the type of one node that others point
    at. Returns how many changes were made."""
    raw: ox.Store = store._store  # the test changes the graph under the filter's feet on purpose
    shapes = shapes_graph(settings)
    paths = sorted({str(p) for p in shapes.objects(None, SH.path) if not str(p).startswith("_")})
    party = next(raw.quads_for_pattern(None, ox.NamedNode("https://w3id.org/alliance-graph/ontology#party"), None, None))
    changes = 0
    used: set[str] = set()
    for path in paths:
        quads = [q for q in raw.quads_for_pattern(None, ox.NamedNode(path), None, None)
                 if isinstance(q.graph_name, ox.NamedNode) and _name(q.subject) not in used]
        if len(quads) < 2:
            continue
        first, second = quads[0], quads[-1]
        used |= {_name(first.subject), _name(second.subject)}
        for quad in list(raw.quads_for_pattern(first.subject, first.predicate, None, None)):
            raw.remove(quad)
        graph = second.graph_name
        for value in (ox.NamedNode(settings.entity_iri("organisation", "nobody")), ox.Literal("x y"),
                      ox.Literal("2024-13-99", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))):
            raw.add(ox.Quad(second.subject, second.predicate, value, graph))
        changes += 2
    assert isinstance(party.object, (ox.NamedNode, ox.BlankNode)), party.object
    for quad in list(raw.quads_for_pattern(party.object, RDF_TYPE, None, None)):
        raw.remove(quad)
    return changes + 1


def test_filter_finds_what_pyshacl_finds_on_data_that_breaks_every_shape() -> None:
    store, settings, locations = _compiled(seed_corpus())
    assert _break_every_shape(store, settings) > 20
    expected = all_shacl_problems(store, settings, locations)
    assert len({p.rule for p in expected}) > 10, "the changes must break many shapes, or the test proves little"
    assert shacl_problems(store, settings, locations) == expected


@pytest.mark.parametrize("path", SHAPE_FIXTURES, ids=lambda p: p.stem)
def test_filter_finds_what_pyshacl_finds_on_each_shape_fixture(path: Path) -> None:
    store, settings, locations = _compiled(seed_corpus() + [path])
    expected = all_shacl_problems(store, settings, locations)
    assert expected, f"{path.name} must break a shape"
    assert shacl_problems(store, settings, locations) == expected
    # The form for a few nodes (an incremental build's, each node's types tested in the group of
    # its VALUES) finds the same candidates as the whole form, among those nodes.
    shapes = shapes_graph(settings)
    whole = candidate_focus_nodes(store, shapes)
    assert whole, f"{path.name} must make a candidate"
    subjects = sorted({q.subject.value for q in store.quads() if isinstance(q.subject, ox.NamedNode)})
    for within in (set(subjects[::2]), set(subjects[1::2])):
        assert candidate_focus_nodes(store, shapes, within) == whole & within


def test_candidates_within_some_nodes_are_the_candidates_among_them() -> None:
    """An incremental build asks only about the nodes a change reaches (``within``): on data that
    breaks every shape, the answer is the whole answer restricted to them, for any split."""
    store, settings, _ = _compiled(seed_corpus())
    _break_every_shape(store, settings)
    # An agreement typed no more as an alliance, without its alliance type: a candidate of the
    # alliance shape only through the subclass (both forms must follow rdfs:subClassOf).
    raw: ox.Store = store._store
    agreement = next(raw.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(AL + "Agreement"), None)).subject
    assert isinstance(agreement, ox.NamedNode)
    for predicate, value in ((RDF_TYPE, ox.NamedNode(AL + "Alliance")), (ox.NamedNode(AL + "allianceType"), None)):
        for quad in list(raw.quads_for_pattern(agreement, predicate, value, None)):
            raw.remove(quad)
    shapes = shapes_graph(settings)
    whole = candidate_focus_nodes(store, shapes)
    assert whole is not None and agreement.value in whole
    subjects = sorted({q.subject.value for q in store.quads() if isinstance(q.subject, ox.NamedNode)})
    for within in (set(subjects[::2]), set(subjects[1::3]), set(sorted(whole)[:3]) | {"https://example.org/nowhere"}, {agreement.value}):
        assert candidate_focus_nodes(store, shapes, within) == whole & within
    assert candidate_focus_nodes(store, shapes, set()) == set()


def test_valid_data_leaves_few_candidates() -> None:
    """The point of the filter: on the seed corpus, pySHACL sees a small part of the nodes."""
    store, settings, _ = _compiled(seed_corpus())
    candidates = candidate_focus_nodes(store, shapes_graph(settings))
    assert candidates is not None
    subjects = {_name(q.subject) for q in store.quads() if isinstance(q.graph_name, ox.NamedNode)}
    assert len(candidates) < len(subjects) / 4


def test_a_target_the_filter_cannot_follow_sends_every_node_to_pyshacl() -> None:
    """An implicit class target (a shape that is also a class) or a SPARQL-based sh:target would be
    missed by a filter that only knows sh:targetClass and its kin: it must give up instead."""
    store, settings, _ = _compiled(seed_corpus())
    for extra in ((RDF.type, RDFS.Class), (SH.target, BNode())):
        shapes = shapes_graph(settings)
        shapes.add((URIRef("https://w3id.org/alliance-graph/shapes#Alliance"), *extra))
        assert candidate_focus_nodes(store, shapes) is None


XSD = "http://www.w3.org/2001/XMLSchema#"
# Values that fail a datatype, pattern or sh:in test, spelled as the store keeps them: the filter
# names the failing ones back to the store (VALUES), so each must come back as the same term.
AWKWARD_VALUES: list[ox.NamedNode | ox.Literal] = [
    ox.Literal('say "hi"\\ \n\tthen 中文'), ox.Literal("de", language="en-gb"),
    ox.Literal("2024-13-99", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("0012", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal(" 1.50 ", datatype=ox.NamedNode(XSD + "decimal")),
    ox.Literal("nope", datatype=ox.NamedNode(XSD + "gYear")),
    ox.NamedNode("https://example.org/a%20value?x=1#y")]


def test_values_of_any_spelling_that_fail_a_shape_are_found() -> None:
    """For each path whose values a shape checks (datatype, pattern, sh:in, nested shapes), its
    subjects get one failing value each, in awkward spellings, or (schema:startDate, which no
    count constrains) a blank node, which cannot be named in a query: the problems stay pySHACL's
    on the whole graph."""
    store, settings, locations = _compiled(seed_corpus())
    raw: ox.Store = store._store
    shapes = shapes_graph(settings)
    checked = {shape for predicate in (SH.datatype, SH.pattern, SH["in"], SH.node, SH["or"]) for shape in shapes.subjects(predicate, None)}
    paths = sorted({str(path) for shape in checked for path in shapes.objects(shape, SH.path)})
    blank = ox.BlankNode()
    given: set[str] = set()
    for path in paths:
        firsts = {q.subject: q for q in raw.quads_for_pattern(None, ox.NamedNode(path), None, None)
                  if isinstance(q.graph_name, ox.NamedNode)}
        values: list[ox.NamedNode | ox.BlankNode | ox.Literal] = [blank] if path == "https://schema.org/startDate" else list(AWKWARD_VALUES)
        for index, quad in enumerate(firsts.values()):
            raw.add(ox.Quad(quad.subject, quad.predicate, values[index % len(values)], quad.graph_name))
            given.add(str(values[index % len(values)]))
    assert given == {str(value) for value in [blank, *AWKWARD_VALUES]}, "each value must be given, or the test proves little"
    expected = all_shacl_problems(store, settings, locations)
    assert len({p.rule for p in expected}) > 5
    assert shacl_problems(store, settings, locations) == expected
