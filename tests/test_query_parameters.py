"""A query parameter's name, resolved once per opened build (graph/ask/resolve.py, ``resolve_iri``):
the same name asked again of the same read-only store is not looked up again, while a name that
resolves to nothing still gets its error with suggestions, every time and for every named query that
takes a name; a store that can change is asked every time."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.ask.query import ENTITY_PARAM_TYPES, named_queries, run_named
from graph.ask.resolve import resolve, resolve_iri
from graph.config import DEFAULT_BASE, Settings
from graph.errors import AllianceError, UnknownName
from graph.rdf.store import OxigraphStore, QueryResult

from test_named_queries import first_example

# A misspelt name per kind, near a name of data/ (so that the error has suggestions to give).
MISSPELT = {"organisation": "Baotou Steal", "alliance": "Memorandum of Understandig on Buildin a Greem",
            "material": "alumnium", "status": "bindng"}
NAMED_QUERIES_WITH_A_NAME = sorted(name for name, query in named_queries().items()
                                   if any(p.type in ENTITY_PARAM_TYPES for p in query.parameters))


class Counting:
    """Counts the SPARQL an opened store is asked, as the store itself (resolve_iri keeps names for it)."""

    def __init__(self, store: OxigraphStore, patch: pytest.MonkeyPatch) -> None:
        self.asked = 0
        original = store.query

        def query(sparql: str, substitutions: dict[str, object] | None = None) -> QueryResult:
            self.asked += 1
            return original(sparql, substitutions)  # type: ignore[arg-type]
        patch.setattr(store, "query", query)


def test_every_kind_of_name_a_query_takes_has_a_misspelling_here() -> None:
    kinds = {p.type for name in NAMED_QUERIES_WITH_A_NAME for p in named_queries()[name].parameters}
    assert NAMED_QUERIES_WITH_A_NAME and kinds <= set(MISSPELT), kinds - set(MISSPELT)


def _rows(answer: object) -> list[ox.QuerySolution]:
    """A SELECT's rows, read here: a QuerySolutions kept in the test's frame would sit in the cycle
    that ``pytest.raises``' traceback makes, and pyoxigraph cannot free it on another thread (a build's
    garbage collection on a derivation thread then raised "unsendable" in a later test)."""
    assert isinstance(answer, ox.QuerySolutions)
    return list(answer)


@pytest.mark.parametrize("name", NAMED_QUERIES_WITH_A_NAME)
def test_an_unknown_name_gets_the_same_error_before_and_after_a_name_was_resolved(built: Settings, name: str) -> None:
    query = named_queries()[name]
    store = OxigraphStore.open(built.store_path)  # its own: nothing resolved on it yet
    param = next(p for p in query.parameters if p.type in ENTITY_PARAM_TYPES)
    misspelt = {param.name: MISSPELT[param.type]}
    with pytest.raises(UnknownName) as expected:
        resolve(store, MISSPELT[param.type], param.type)
    assert expected.value.suggestions, f"no suggestion for {MISSPELT[param.type]!r}: choose a nearer misspelling"
    with pytest.raises(UnknownName) as first:
        run_named(store, name, misspelt)
    assert _rows(run_named(store, name, first_example(query)))  # a known name, now kept for this store
    for _ in range(2):
        with pytest.raises(UnknownName) as again:
            run_named(store, name, misspelt)
        assert str(again.value) == str(first.value) == str(expected.value)
        assert again.value.suggestions == expected.value.suggestions


def test_a_name_is_looked_up_once_per_opened_build(built: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    store = OxigraphStore.open(built.store_path)
    counting = Counting(store, monkeypatch)
    iri = resolve_iri(store, "hbis", "organisation")
    assert counting.asked
    asked = counting.asked
    assert resolve_iri(store, "hbis", "organisation") == iri == f"{DEFAULT_BASE}organisation/hbis"
    assert counting.asked == asked
    assert resolve_iri(OxigraphStore.open(built.store_path), "hbis", "organisation") == iri  # another store: its own look-up
    monkeypatch.setenv("ALLIANCES_BASE", "https://example.org/other/")  # an id's IRI is made with the base
    with pytest.raises(AllianceError):  # no such IRI: 'hbis' is then the start of three names
        resolve_iri(store, "hbis", "organisation")
    assert counting.asked > asked


TURTLE = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
<{base}organisation/acme> a org:Organization ; skos:prefLabel "Acme" ; skos:hiddenLabel "acme" .
"""


def test_a_store_that_can_change_is_asked_every_time() -> None:
    import pyoxigraph as ox

    store = OxigraphStore.in_memory()
    with pytest.raises(UnknownName):
        resolve_iri(store, "acme", "organisation")
    store.load(TURTLE.format(base=DEFAULT_BASE).encode(), ox.RdfFormat.TURTLE, "urn:test:one")
    assert resolve_iri(store, "acme", "organisation") == f"{DEFAULT_BASE}organisation/acme"
    store.remove_graph("urn:test:one")  # 'acme' is now the name of another organisation
    store.load(TURTLE.format(base=DEFAULT_BASE).replace("/acme>", "/acme-corporation>").encode(),
               ox.RdfFormat.TURTLE, "urn:test:two")
    assert resolve_iri(store, "acme", "organisation") == f"{DEFAULT_BASE}organisation/acme-corporation"
