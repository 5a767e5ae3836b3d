"""The ontology, the taxonomies and the AL namespace agree, and every term is documented."""
from __future__ import annotations

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from graph.config import ONTOLOGY_NS, PROJECT_ROOT
from graph.namespaces import AL
from graph.taxonomy import load_taxonomy, taxonomy_files

ONTOLOGY = Graph().parse(PROJECT_ROOT / "ontology" / "alliance.ttl")
OWN_TERMS = sorted({s for s in ONTOLOGY.subjects() if str(s).startswith(ONTOLOGY_NS)})


def test_namespace_class_is_current_with_the_ontology() -> None:
    assert {str(t)[len(ONTOLOGY_NS):] for t in OWN_TERMS} == set(AL.__annotations__)


def test_namespace_refuses_typos() -> None:
    with pytest.raises(AttributeError):
        AL.partys  # noqa: B018


@pytest.mark.parametrize("term", OWN_TERMS, ids=lambda t: str(t).rsplit("#", 1)[-1])
def test_every_own_term_has_an_english_label_and_comment(term: object) -> None:
    assert any(isinstance(l, Literal) and l.language == "en" for l in ONTOLOGY.objects(term, RDFS.label))
    assert any(isinstance(c, Literal) and c.language == "en" for c in ONTOLOGY.objects(term, RDFS.comment))


def test_every_concept_is_labelled_in_english_chinese_and_german() -> None:
    graph = Graph()
    for path in taxonomy_files(PROJECT_ROOT / "ontology"):
        graph.parse(path)
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 40
    for concept in concepts:
        languages = {l.language for l in graph.objects(concept, SKOS.prefLabel)}
        assert {"en", "zh", "de"} <= languages, concept


def test_every_alliance_type_names_its_class() -> None:
    taxonomy = load_taxonomy(PROJECT_ROOT / "ontology")
    assert set(taxonomy.alliance_class) == set(taxonomy.concepts["alliance-type"])
    assert all((cls, RDF.type, OWL.Class) in ONTOLOGY for cls in taxonomy.alliance_class.values())


def test_shapes_parse() -> None:
    assert len(Graph().parse(PROJECT_ROOT / "ontology" / "shapes.ttl")) > 100
