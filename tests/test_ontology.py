"""The ontology, the taxonomies, the shapes, the queries and the AL namespace agree: every term
they use is defined, and every term of our own is documented."""
from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, XSD, DefinedNamespace

from graph.config import ONTOLOGY_NS, PROJECT_ROOT, TAXONOMY_NS
from graph.rdf.namespaces import AL
from graph.records.taxonomy import load_taxonomy, taxonomy_files

ONTOLOGY = Graph().parse(PROJECT_ROOT / "ontology" / "alliance.ttl")
OWN_TERMS = sorted({s for s in ONTOLOGY.subjects() if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY_NS)})
SHAPES = Graph().parse(PROJECT_ROOT / "ontology" / "shapes.ttl")
SHAPES_NS = "https://w3id.org/alliance-graph/shapes#"
# The vocabularies the project reuses, as rdflib defines them (each knows its own terms).
REUSED: tuple[type[DefinedNamespace], ...] = (RDF, RDFS, OWL, XSD, SH, SKOS, ORG, FOAF, SDO, PROV, DCTERMS)


def taxonomies() -> Graph:
    graph = Graph()
    for path in taxonomy_files(PROJECT_ROOT / "ontology"):
        graph.parse(path)
    return graph


TAXONOMIES = taxonomies()
CONCEPTS_AND_SCHEMES = set(TAXONOMIES.subjects(RDF.type, SKOS.Concept)) | set(TAXONOMIES.subjects(RDF.type, SKOS.ConceptScheme))


def undefined(terms: Iterable[object]) -> list[str]:
    """The IRIs among ``terms`` that a vocabulary we know does not define: our own terms must be
    in ontology/alliance.ttl, concepts in ontology/taxonomies/, shapes in shapes.ttl, and terms of
    a reused vocabulary in that vocabulary. IRIs of other vocabularies (links such as
    skos:closeMatch to FIBO) are not checked."""
    shapes = set(SHAPES.subjects(RDF.type, SH.NodeShape))
    missing = set()
    for term in terms:
        if not isinstance(term, URIRef):
            continue
        if term.startswith(ONTOLOGY_NS):
            known = term in OWN_TERMS
        elif term.startswith(TAXONOMY_NS):
            known = term in CONCEPTS_AND_SCHEMES
        elif term.startswith(SHAPES_NS):
            known = term in shapes
        else:
            vocabulary = next((ns for ns in REUSED if term.startswith(str(ns._NS))), None)
            # the vocabulary's own IRI is fine too (owl:imports <http://www.w3.org/ns/org#>)
            known = vocabulary is None or str(term) == str(vocabulary._NS) or term in vocabulary
        if not known:
            missing.add(str(term))
    return sorted(missing)


def used_terms(graph: Graph) -> set[object]:
    return {term for triple in graph for term in triple}


def test_namespace_class_is_current_with_the_ontology() -> None:
    assert {str(t)[len(ONTOLOGY_NS):] for t in OWN_TERMS} == set(AL.__annotations__)


def test_namespace_refuses_typos() -> None:
    with pytest.raises(AttributeError):
        AL.partys  # noqa: B018


@pytest.mark.parametrize("term", OWN_TERMS, ids=lambda t: str(t).rsplit("#", 1)[-1])
def test_every_own_term_has_an_english_label_and_comment(term: URIRef) -> None:
    assert any(isinstance(l, Literal) and l.language == "en" for l in ONTOLOGY.objects(term, RDFS.label))
    assert any(isinstance(c, Literal) and c.language == "en" for c in ONTOLOGY.objects(term, RDFS.comment))


def test_every_concept_is_labelled_in_english_chinese_and_german() -> None:
    concepts = set(TAXONOMIES.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 40
    for concept in concepts:
        languages = set()
        for label in TAXONOMIES.objects(concept, SKOS.prefLabel):
            assert isinstance(label, Literal), (concept, label)
            languages.add(label.language)
        assert {"en", "zh", "de"} <= languages, concept


def test_every_alliance_type_names_its_class() -> None:
    taxonomy = load_taxonomy(PROJECT_ROOT / "ontology")
    assert set(taxonomy.alliance_class) == set(taxonomy.concepts["alliance-type"])
    assert all((cls, RDF.type, OWL.Class) in ONTOLOGY for cls in taxonomy.alliance_class.values())


def test_ontology_and_taxonomies_use_only_defined_terms() -> None:
    assert undefined(used_terms(ONTOLOGY)) == []
    assert undefined(used_terms(TAXONOMIES)) == []


def test_shapes_use_only_defined_terms() -> None:
    """A typo in a shape (sh:minCont, al:partys, org:Organisation) is not an error for SHACL: the
    constraint would silently check nothing."""
    assert undefined(used_terms(SHAPES)) == []
    targets = set(SHAPES.objects(None, SH.targetClass)) | set(SHAPES.objects(None, SH["class"]))
    assert len(targets) >= 10
    assert [str(t) for t in targets if str(t).startswith(ONTOLOGY_NS) and (t, RDF.type, OWL.Class) not in ONTOLOGY] == []


def _record_fields() -> set[str]:
    """Every key the record format (graph/records/record.schema.yaml) defines, at any depth."""
    def keys(node: object) -> Iterable[str]:
        if isinstance(node, dict):
            yield from node.get("properties", {}) if isinstance(node.get("properties"), dict) else ()
            for value in node.values():
                yield from keys(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys(value)

    schema = yaml.safe_load((PROJECT_ROOT / "graph" / "records" / "record.schema.yaml").read_text(encoding="utf-8"))
    return set(keys(schema))


def test_every_shape_message_names_a_field_of_the_record_format() -> None:
    """shapes.ttl promises that each message names, in brackets, the record field to change; a shape
    on what the build derives says instead that a violation is a fault of the build."""
    fields = _record_fields()
    properties = list(SHAPES.objects(None, SH.property))
    assert len(properties) >= 30
    for shape in properties:
        message = str(SHAPES.value(shape, SH.message) or "")
        if "a fault of the build, not of the record" in message:
            continue
        named = re.findall(r"\[([\w/]+)\]", message)
        assert named, f"a shape on {SHAPES.value(shape, SH.path)} has no message naming its field: {message!r}"
        unknown = [part for path in named for part in path.split("/") if part not in fields]
        assert not unknown, f"{message!r} names {unknown}, which the record format does not have"


def test_queries_use_only_defined_terms() -> None:
    """The named queries and the build's derivations (graph/**/*.rq) use our own terms as the
    ontology defines them."""
    files = sorted((PROJECT_ROOT / "graph").rglob("*.rq"))
    assert len(files) >= 10
    used = {ONTOLOGY_NS + name for path in files for name in re.findall(r"\bal:([A-Za-z_][\w-]*)", path.read_text(encoding="utf-8"))}
    assert len(used) >= 10
    assert undefined(URIRef(term) for term in used) == []
