"""Rewriting SPARQL text on the lexer (graph.rdf.sparql_text): USING clauses for the protocol's
using-graph-uri (graph.serve.protocol.apply_using) and VALUES clauses for the explorer's examples
(graph.serve.explorer.query.with_values). A WHERE, a brace or a '#' inside a string, an IRI or a
comment must not be taken for code. No HTTP: each rewritten text is run by pyoxigraph itself."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.rdf.sparql_text import has_keyword, insert, undeclared_prefixes, update_where_offsets, where_body_offset
from graph.serve.explorer.query import Binding, with_values
from graph.serve.protocol import apply_using
from graph.serve.safety import Refused

EX = "http://example.org/"


def _store() -> ox.Store:
    """Two things with labels, and a graph <g> for updates to read."""
    store = ox.Store()
    for name in ("a", "b"):
        store.add(ox.Quad(ox.NamedNode(EX + name), ox.NamedNode(EX + "label"), ox.Literal(name.upper())))
        store.add(ox.Quad(ox.NamedNode(EX + name), ox.NamedNode(EX + "p"), ox.Literal(name), ox.NamedNode(EX + "g")))
    return store


def _bound(name: str = "s", term: str = f"<{EX}a>", given: str = "a") -> Binding:
    return Binding(name, "organisation", given, term, given)


def _subjects(text: str) -> list[str]:
    return sorted(row["s"].value for row in _store().query(text))  # type: ignore[union-attr]


# ------------------------------------------------------------------ the functions on the lexer

def test_has_keyword_sees_code_only() -> None:
    assert has_keyword(f"SELECT * FROM <{EX}g> WHERE {{ ?s ?p ?o }}", "FROM")
    assert not has_keyword('SELECT * WHERE { ?s ?p "FROM" }', "FROM")
    assert not has_keyword("SELECT * WHERE { ?s ?p ?o } # FROM <x>", "FROM")
    assert not has_keyword(f"SELECT * WHERE {{ ?s <{EX}FROM> ?o }}", "FROM")
    assert not has_keyword("SELECT * WHERE { { SELECT * FROM <x> WHERE { ?s ?p ?o } } }", "FROM")  # depth 1: not the query's
    assert not has_keyword("SELECT ?from WHERE { ?s ?p ?from }", "FROM")  # a variable


def test_insert_places_each_string_at_its_original_offset() -> None:
    assert insert("abcdef", [(4, "Y"), (1, "X"), (6, "Z")]) == "aXbcdYefZ"
    assert insert("abc", []) == "abc"


@pytest.mark.parametrize("text, expected", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT * WHERE {"),
    ('SELECT (CONCAT("WHERE {", ?o) AS ?x) WHERE { ?s ?p ?o }', 'SELECT (CONCAT("WHERE {", ?o) AS ?x) WHERE {'),
    (f"SELECT (<{EX}#WHERE> AS ?k) WHERE {{ ?s ?p ?o }}", f"SELECT (<{EX}#WHERE> AS ?k) WHERE {{"),
    ("SELECT * # WHERE { here\nWHERE { ?s ?p ?o }", "SELECT * # WHERE { here\nWHERE {"),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }", "SELECT * WHERE {"),
    ("SELECT * { ?s ?p ?o }", "SELECT * {"),  # WHERE may be left out
    ("ASK { ?s ?p ?o }", "ASK {"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE {"),
])
def test_where_body_offset_is_just_inside_the_where_clause(text: str, expected: str) -> None:
    offset = where_body_offset(text)
    assert offset is not None and text[:offset] == expected


@pytest.mark.parametrize("text", ["CONSTRUCT { ?s ?p ?o }", "DESCRIBE <http://example.org/a>", 'SELECT * WHERE "{"'])
def test_where_body_offset_none_without_a_where_clause(text: str) -> None:
    assert where_body_offset(text) is None


def test_update_where_offsets_skip_delete_where_and_text_that_is_not_code() -> None:
    text = ('INSERT { GRAPH <g> { ?s ?p "WHERE" } } # WHERE\nWHERE { ?s ?p ?o } ;\n'
            "DELETE WHERE { ?s ?p ?o } ;\n"
            "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    offsets = update_where_offsets(text)
    assert [text[o:o + 7] for o in offsets] == ["WHERE {", "WHERE {"]
    assert offsets[0] == text.index("\nWHERE") + 1 and offsets[1] == text.rindex("WHERE")


def test_undeclared_prefixes() -> None:
    text = ('PREFIX al: <https://w3id.org/alliance-graph/ontology#>\n'
            'SELECT * WHERE { ?x al:party ?y ; skos:prefLabel "org:not-code" . ?y <http://e/#rdfs:x> ?z } # foaf:name')
    assert undeclared_prefixes(text) == ["skos"]


# ------------------------------------------------------------------ USING clauses (the protocol)

def test_apply_using_adds_using_to_each_where_operation() -> None:
    update = (f'INSERT {{ GRAPH <{EX}out> {{ ?s <{EX}q> "WHERE {{" }} }} # WHERE {{\nWHERE {{ ?s ?p ?o }} ;\n'
              f"DELETE WHERE {{ GRAPH <{EX}none> {{ ?s ?p ?o }} }}")
    rewritten = apply_using(update, (f"{EX}g",), ())
    assert rewritten.count(f"USING <{EX}g>") == 1
    store = _store()
    store.update(rewritten)
    copied = []
    for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(f"{EX}out")):
        assert isinstance(quad.subject, ox.NamedNode), quad
        copied.append(quad.subject.value)
    assert sorted(copied) == [f"{EX}a", f"{EX}b"], "the WHERE read graph <g>, as using-graph-uri says"


def test_apply_using_without_graphs_leaves_the_text() -> None:
    assert apply_using("INSERT DATA { <a> <b> <c> }", (), ()) == "INSERT DATA { <a> <b> <c> }"


@pytest.mark.parametrize("update", [f"WITH <{EX}g> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
                                    f"DELETE {{ ?s ?p ?o }} USING <{EX}g> WHERE {{ ?s ?p ?o }}"])
def test_apply_using_refuses_a_second_dataset(update: str) -> None:
    with pytest.raises(Refused) as refused:
        apply_using(update, (f"{EX}g",), ())
    assert refused.value.status == 400


def test_apply_using_is_not_fooled_by_using_in_a_string() -> None:
    update = f'INSERT {{ GRAPH <{EX}out> {{ ?s <{EX}q> "USING WITH" }} }} WHERE {{ ?s ?p ?o }}'
    assert f"USING <{EX}g> WHERE" in apply_using(update, (f"{EX}g",), ())


# ------------------------------------------------------------------ VALUES clauses (the explorer)

def test_with_values_binds_in_the_where_clause() -> None:
    text = with_values(f"# header\nSELECT ?s WHERE {{ ?s <{EX}label> ?label }}\n", [_bound()])
    assert text.startswith("# header\n")
    assert _subjects(text) == [f"{EX}a"]


def test_with_values_is_not_fooled_by_a_string_that_says_where() -> None:
    """The regex this replaced put the VALUES clause inside the string (a syntax error)."""
    query = f'SELECT ?s (CONCAT("WHERE {{ ", STR(?label)) AS ?shown) WHERE {{ ?s <{EX}label> ?label }}'
    assert _subjects(with_values(query, [_bound()])) == [f"{EX}a"]


def test_with_values_is_not_fooled_by_a_hash_in_an_iri() -> None:
    """The regex this replaced took the '#' of an IRI for a comment and skipped the real WHERE."""
    query = f"SELECT ?s (<{EX}#kind> AS ?k) WHERE {{ ?s <{EX}label> ?label }}"
    assert _subjects(with_values(query, [_bound()])) == [f"{EX}a"]


def test_with_values_is_not_fooled_by_a_comment() -> None:
    query = f"SELECT ?s # bound below, WHERE {{ starts\nWHERE {{\n  ?s <{EX}label> ?label # WHERE {{\n}}"
    assert _subjects(with_values(query, [_bound()])) == [f"{EX}a"]


def test_with_values_without_the_where_keyword() -> None:
    assert _subjects(with_values(f"SELECT ?s {{ ?s <{EX}label> ?label }}", [_bound()])) == [f"{EX}a"]


def test_with_values_keeps_a_line_break_in_a_value_inside_its_comment() -> None:
    """The comment after a VALUES clause repeats the value as given; a line break in it would end
    the comment and make the rest of the value code (here a filter that drops every row)."""
    binding = Binding("label", "string", "A\nFILTER (false)", '"A\\nFILTER (false)"', "A")
    text = with_values(f"SELECT ?s WHERE {{ ?s <{EX}label> ?other }}", [binding])
    assert _subjects(text) == [f"{EX}a", f"{EX}b"]


def test_with_values_declares_only_the_prefixes_it_lacks() -> None:
    query = ('PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n'
             'SELECT ?s WHERE { ?s skos:prefLabel ?l ; al:x "rdfs:label" }')
    text = with_values(query, [])
    assert "PREFIX al: <https://w3id.org/alliance-graph/ontology#>" in text
    assert text.count("PREFIX skos:") == 1 and "PREFIX rdfs:" not in text
    solutions = ox.Store().query(text)
    assert isinstance(solutions, ox.QuerySolutions) and list(solutions) == []


def test_with_values_without_a_where_clause_says_so() -> None:
    from graph.errors import AllianceError

    with pytest.raises(AllianceError, match="no WHERE"):
        with_values(f"DESCRIBE <{EX}a>", [_bound()])
