"""graph.rdf.query_forms: each helper returns its form's result, and refuses a query of another form."""
from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
import pytest

from graph.rdf.query_forms import ask, construct, select
from graph.rdf.store import OxigraphStore

DATA = b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"


@pytest.fixture
def store() -> OxigraphStore:
    store = OxigraphStore.in_memory()
    store.load(DATA, ox.RdfFormat.N_TRIPLES, "http://example.org/graph")
    return store


def test_select_returns_the_solutions(store: OxigraphStore) -> None:
    rows = select(store, "SELECT ?s ?o WHERE { ?s ?p ?o }", {"s": ox.NamedNode("http://example.org/a")})
    assert [row["o"] for row in rows] == [ox.NamedNode("http://example.org/b")]


def test_construct_returns_the_triples(store: OxigraphStore) -> None:
    triples = list(construct(store, "CONSTRUCT { ?o ?p ?s } WHERE { ?s ?p ?o }"))
    assert triples == [ox.Triple(ox.NamedNode("http://example.org/b"), ox.NamedNode("http://example.org/p"),
                                 ox.NamedNode("http://example.org/a"))]


def test_ask_returns_a_bool(store: OxigraphStore) -> None:
    assert ask(store, "ASK { ?s ?p ?o }", {"s": ox.NamedNode("http://example.org/a")}) is True
    assert ask(store, "ASK { ?s ?p ?o }", {"s": ox.NamedNode("http://example.org/b")}) is False


@pytest.mark.parametrize("helper, sparql", [
    (select, "ASK { ?s ?p ?o }"),
    (construct, "SELECT * WHERE { ?s ?p ?o }"),
    (ask, "CONSTRUCT WHERE { ?s ?p ?o }"),
])
def test_a_query_of_another_form_is_refused_where_it_runs(store: OxigraphStore, helper: Callable[[OxigraphStore, str], object],
                                                          sparql: str) -> None:
    with pytest.raises(TypeError, match="gave Query"):
        helper(store, sparql)
