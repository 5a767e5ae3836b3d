"""Records become pyoxigraph quads directly (graph/records/emit.py), written as rdflib wrote them
when each record went through an rdflib graph: the graph, its goldens and its manifests stay
the same."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Literal
from rdflib.namespace import RDF

from graph.config import Settings
from graph.rdf.namespaces import AL
from graph.records import emit, emit_record, read_record, record_files
from graph.records.taxonomy import load_taxonomy

from conftest import FIXTURES

def test_typed_literals_have_the_form_rdflib_gives_them() -> None:
    """rdflib writes a duration "P18M" as "P1Y6M", a decimal "1.50" as "1.5"; the quads must too."""
    settings = Settings()
    taxonomy = load_taxonomy(settings.ontology_dir)
    typed = 0
    for path in record_files(settings.data_dir) + sorted((FIXTURES / "records" / "valid").glob("*.yaml")):
        for quad in emit_record(read_record(path), settings, taxonomy).quads:
            value = quad.object
            if isinstance(value, ox.Literal) and not value.language:
                typed += 1
                assert str(Literal(value.value, datatype=value.datatype.value)) == value.value, (path.name, value)
    assert typed > 1000


def test_a_triple_stated_twice_is_written_once() -> None:
    settings = Settings()
    path = FIXTURES / "records" / "valid" / "minimal-new-deal.yaml"
    emitted = emit_record(read_record(path), settings, load_taxonomy(settings.ontology_dir))
    emitted.quads.append(emitted.quads[0])
    lines = emitted.nquads().decode().splitlines()
    assert len(lines) == len(set(lines)) == len(set(emitted.quads))


def test_vocabulary_terms_are_rdflib_s_iris_and_unknown_ones_are_refused() -> None:
    """emit keeps each namespace's terms as pyoxigraph IRIs made once; they must be rdflib's, and
    AL must still refuse a term the ontology does not define."""
    assert emit.RDF.type == ox.NamedNode(str(RDF.type)) and emit.RDF.type is emit.RDF.type
    assert emit.AL.Alliance == ox.NamedNode(str(AL.Alliance))
    with pytest.raises(AttributeError):
        emit.AL.partys  # noqa: B018 - the look-up is the test
