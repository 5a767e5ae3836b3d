"""How named queries are written so that they stay fast at a million triples (graph/ask/query.py).

Speed itself is measured in ``scripts/bench query``, never asserted here; these tests check the
rule the speed rests on: in a query about one entity (a parameter), every sub-query projects the
parameter's variable, so that Oxigraph's substitution restricts it to that entity instead of
computing it for every entity of the graph before the join.
"""
from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from graph.ask.query import ENTITY_PARAM_TYPES, named_queries

# Queries allowed to compute a sub-query for every entity, with the reason.
WHOLE_GRAPH_SUBQUERIES: dict[str, str] = {
    "alliances-by-material": "its lists and type name are scanned whole and joined by hash: one scan of a property "
                             "(about 1 µs a triple) costs less than a look-up per row (7-12 µs) for the materials "
                             "of most alliances (docs/benchmarks.md, session 10: steel 1.44 s -> 0.85 s at 1M)",
    "alliances-timeline": "its status name and materials are scanned whole and joined by hash, as in "
                          "alliances-by-material (steel 0.83 s -> 0.65 s at 1M)",
}
ENTITY_QUERIES = sorted(name for name, query in named_queries().items()
                        if any(p.type in ENTITY_PARAM_TYPES for p in query.parameters))
INLINE_COMMENT = re.compile(r"(^|\s)#\s.*$", re.MULTILINE)


def sub_query_projections(text: str) -> list[str]:
    """The projection (between SELECT and WHERE) of every sub-query, comments left out."""
    body = INLINE_COMMENT.sub("", text)
    projections = re.findall(r"SELECT\s+(.*?)\s+WHERE", body, flags=re.DOTALL)
    return projections[1:]  # the first is the query's own


def test_the_rule_is_checked_on_queries_with_sub_queries() -> None:
    checked = [name for name in ENTITY_QUERIES if sub_query_projections(named_queries()[name].text)]
    assert {"partners-of", "agreements-of", "group-members"} <= set(checked)


def test_the_queries_allowed_whole_graph_sub_queries_exist_and_have_them() -> None:
    """An exemption names a real query about an entity that still needs it (else remove it)."""
    for name in WHOLE_GRAPH_SUBQUERIES:
        assert name in ENTITY_QUERIES, f"{name}: no such query about an entity; remove its exemption"
        query = named_queries()[name]
        params = [p.name for p in query.parameters if p.type in ENTITY_PARAM_TYPES]
        assert any(f"?{param}" not in projection.split() for projection in sub_query_projections(query.text)
                   for param in params), f"{name} now follows the rule: remove its exemption"


@pytest.mark.parametrize("name", [name for name in ENTITY_QUERIES if name not in WHOLE_GRAPH_SUBQUERIES])
def test_every_sub_query_projects_the_entity_asked_about(name: str) -> None:
    query = named_queries()[name]
    for param in (p for p in query.parameters if p.type in ENTITY_PARAM_TYPES):
        for projection in sub_query_projections(query.text):
            assert f"?{param.name}" in projection.split(), (
                f"{query.path.name}: a sub-query does not project ?{param.name} ({projection.strip()[:60]}...), so the "
                f"bound {param.name} does not restrict it: start it from ?{param.name} and select ?{param.name}")


def test_substitution_reaches_a_sub_query_that_projects_the_variable() -> None:
    """The Oxigraph behaviour the rule relies on: a bound variable restricts a sub-query that
    projects it (SEP-0007), and leaves alone one that does not."""
    store = ox.Store()
    store.update("INSERT DATA { <http://e/a> <http://e/p> 1, 2 . <http://e/b> <http://e/p> 3 }")
    counted = """SELECT ?s ?n WHERE { { SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s } }"""
    unprojected = """SELECT ?s ?n WHERE { ?s <http://e/p> 1 { SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } } }"""
    bound: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {ox.Variable("s"): ox.NamedNode("http://e/a")}
    assert [int(row["n"].value) for row in store.query(counted, substitutions=bound)] == [2]  # type: ignore[union-attr]
    assert [int(row["n"].value) for row in store.query(unprojected, substitutions=bound)] == [3]  # type: ignore[union-attr]
