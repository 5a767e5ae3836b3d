"""The lexical check (graph/serve/safety.py, graph/rdf/sparql_text.py) against Oxigraph's own reading.

Oxigraph's reading is observed, not modelled: each generated query or update runs on an in-memory
pyoxigraph Store with its SERVICE or LOAD pointed at a listener on 127.0.0.1, under its own path.
A text that the check lets through must never reach the listener. The store holds triples that
every context below matches, so that Oxigraph does evaluate a SERVICE that it reads; each family of
variants must also reach the listener at least once, so that the property cannot hold vacuously.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.rdf.sparql_text import inspect, tokens
from graph.serve.safety import Refused, check_operation

from network_support import Listener

MAX_CHARS = 100_000
WEIRD = "http://a"  # a namespace to which a local name cannot always be appended (see graph/rdf/sparql_text.py)
PROLOGUE = "PREFIX u: <{url}> PREFIX : <{url}> PREFIX e: <http://e/> PREFIX w: <" + WEIRD + ">\n"
OBJECTS: list[ox.NamedNode | ox.Literal] = [
    ox.Literal(True), ox.NamedNode("http://e/x.y"), ox.NamedNode(WEIRD), ox.NamedNode("http://a/#"), ox.Literal("x"),
    ox.Literal("1e5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#double"))]

# What can end right before the keyword, in a group (queries) or an update request.
QUERY_CONTEXTS = [
    "", "?s ?p ?o", "?s ?p ?o.", "?s ?p ?o .", "?s ?p ?o;", "?s ?p true", "?s ?p true.", "?s ?p e:x.y.",
    "?s ?p w:", "?s ?p 1e5", "?s ?p ?o FILTER(?o != 1e5)", "?s ?p ?o FILTER(true)", "BIND(1 AS ?v)", "{ ?s ?p ?o }",
    "?s ?p ?o OPTIONAL { ?s ?p ?o }", "?s ?p ?o VALUES ?v { 1e5 }", '?s ?p "x"', "?s ?p 'x'", "_:b ?p ?o.",
    "[] ?p ?o", "?s ?p ?o FILTER(?o<?b)",
]
UPDATE_CONTEXTS = ["", "INSERT DATA {};", "DROP SILENT ALL ;", "CLEAR SILENT DEFAULT;", "BASE <http://e/>",
                   "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o };"]
SEPARATORS = ["", " ", "\n", "\r", "\t", "\r\n", "# c\r", "#c\r\n", "# c\n", "#\r", "\x0b", "\x0c", "\u00a0",
              "\u2028", "\x85"]
SERVICE_SPELLINGS = ["SERVICE", "service", "SeRvIcE", "\u017fERVICE", "\\u0053ERVICE"]
LOAD_SPELLINGS = ["LOAD", "load", "LoAd", "\\u004cOAD"]
AFTER_KEYWORD = [" ", "", "\r", "#c\r", " SILENT ", "SILENT", "SILENT\r", "\t"]
SERVICE_TARGETS = ["<{url}>", "u:x", ":x"]
LOAD_TARGETS = ["<{url}>", "u:x", ":x"]
GROUP = " { ?a ?b ?c }"


class Oxigraph:
    """Runs texts on in-memory stores and tells which ones made Oxigraph call the listener."""

    def __init__(self, listening: Listener) -> None:
        self.listening = listening
        self.paths = (f"/v{n}/" for n in itertools.count())

    def run(self, template: str, kind: str) -> str:
        """Run the text (``{url}`` replaced by a fresh path on the listener); return that path."""
        path = next(self.paths)
        text = template.replace("{url}", self.listening.url + path)
        store = ox.Store()
        for obj in OBJECTS:
            store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), obj, ox.DefaultGraph()))
        try:
            if kind == "query":
                result = store.query(text)
                if isinstance(result, (ox.QuerySolutions, ox.QueryTriples)):
                    list(result)
            else:
                store.update(text)
        except (SyntaxError, OSError, ValueError, RuntimeError):
            pass  # a syntax error, or the listener hanging up: whether it was called is what counts
        return path


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[Oxigraph]:
    with Listener() as listening:
        yield Oxigraph(listening)


def passes(text: str) -> bool:
    try:
        check_operation(text, MAX_CHARS)
    except Refused:
        return False
    return True


def assert_agrees(oxigraph: Oxigraph, texts: list[str], kind: str) -> int:
    """Check the property for every text; return how many reached the listener."""
    ran = [(text, oxigraph.run(text, kind)) for text in texts]
    oxigraph.listening.settle()
    called = [text for text, path in ran if oxigraph.listening.contacted(path)]
    missed = [text for text in called if passes(text.replace("{url}", "http://127.0.0.1:9/"))]
    assert not missed, f"the check let through {len(missed)} texts that Oxigraph ran with {kind.upper()}: {missed[:5]!r}"
    return len(called)


def query(context: str, separator: str, keyword: str, after: str, target: str) -> str:
    return PROLOGUE + "SELECT * WHERE { " + context + separator + keyword + after + target + GROUP + " }"


def update(context: str, separator: str, keyword: str, after: str, target: str) -> str:
    return PROLOGUE + context + separator + keyword + after + target


# ------------------------------------------------------------------ generated variants

def test_oxigraph_is_observed_calling_out(oxigraph: Oxigraph) -> None:
    """The oracle itself: a plain SERVICE and a plain LOAD do reach the listener."""
    path = oxigraph.run(query("", " ", "SERVICE", " ", "<{url}>"), "query")
    load = oxigraph.run(update("", "", "LOAD", " ", "<{url}>"), "update")
    oxigraph.listening.settle()
    assert oxigraph.listening.contacted(path) and oxigraph.listening.contacted(load)


def test_service_after_every_context_and_separator(oxigraph: Oxigraph) -> None:
    texts = [query(c, s, "SERVICE", " ", "<{url}>") for c, s in itertools.product(QUERY_CONTEXTS, SEPARATORS)]
    assert assert_agrees(oxigraph, texts, "query") >= 100


def test_service_in_every_spelling_and_glue(oxigraph: Oxigraph) -> None:
    texts = [query(c, s, k, a, t) for c, s, k, a, t in itertools.product(
        ["?s ?p ?o", "?s ?p ?o.", "?s ?p true"], ["", " ", "#\r"], SERVICE_SPELLINGS, AFTER_KEYWORD, SERVICE_TARGETS)]
    assert assert_agrees(oxigraph, texts, "query") >= 100


def test_load_after_every_context_separator_spelling_and_glue(oxigraph: Oxigraph) -> None:
    texts = [update(c, s, k, a, t) for c, s, k, a, t in itertools.product(
        UPDATE_CONTEXTS, SEPARATORS, LOAD_SPELLINGS, AFTER_KEYWORD[:5], LOAD_TARGETS)]
    assert assert_agrees(oxigraph, texts, "update") >= 100


# Pieces of group patterns and of updates, and what may glue them, for random compositions.
FRAGMENTS = [".", ";", ",", "?o", "$o", "true", "false", "1e5", "1", "1.5", ".5", "FILTER(?o<?b)", "FILTER(?o<=?b)",
             "FILTER(true)", "<http://e/x>", "e:x.y", "e:x", "w:", "w:x", "[]", "[ ?p ?o ]", "_:b", "_:b.x", "'x'",
             '"x"', "'''x'''", '"x"@en', '"x"^^e:t', "(1 2)", "()", "?s ?p", "?s ?p ?o", "a", "BIND(1 AS ?v)", "{}",
             "OPTIONAL{}", "VALUES ?v {1}", "MINUS{}", "e:x\\#", "u:", ":", "e:", "<<", "(", ")", "#>", "'", '"""']
GLUES = ["", " ", "\r", "\n", "#\r", "# c\r\n", "\t"]
UPDATE_FRAGMENTS = ["INSERT DATA {}", ";", "DROP SILENT ALL", "CLEAR SILENT DEFAULT", "BASE <http://e/>",
                    "PREFIX v: <{url}>", "INSERT DATA { <http://e/s> <http://e/p> 'x' }", "'", "#", "<", ">"]
RANDOM = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])


@RANDOM
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(GLUES)), min_size=1, max_size=4),
       st.sampled_from(["SERVICE", "service"]), st.sampled_from(AFTER_KEYWORD),
       st.sampled_from(SERVICE_TARGETS + ["u:", "?e"]))
def test_random_compositions_around_service(oxigraph: Oxigraph, pieces: list[tuple[str, str]], keyword: str,
                                            after: str, target: str) -> None:
    context = "?s ?p ?o " + "".join(fragment + glue for fragment, glue in pieces)
    assert_agrees(oxigraph, [query(context, "", keyword, after, target)], "query")


@RANDOM
@given(st.lists(st.tuples(st.sampled_from(UPDATE_FRAGMENTS), st.sampled_from(GLUES)), min_size=1, max_size=4),
       st.sampled_from(["LOAD", "load"]), st.sampled_from(AFTER_KEYWORD), st.sampled_from(LOAD_TARGETS + ["v:x"]))
def test_random_compositions_around_load(oxigraph: Oxigraph, pieces: list[tuple[str, str]], keyword: str,
                                         after: str, target: str) -> None:
    context = "".join(fragment + glue for fragment, glue in pieces)
    assert_agrees(oxigraph, [update(context, "", keyword, after, target)], "update")


# Each of these made Oxigraph call out while the check of the time let it through.
BYPASSES = {
    "comment ended by CR": "SELECT * WHERE { # x\rSERVICE <{url}> { ?s ?p ?o } }",
    "comment ended by CR before LOAD": "#x\r\nLOAD <{url}>",
    "variable then dot": "SELECT * WHERE { ?s ?p ?x.SERVICE <{url}> { ?a ?b ?c } }",
    "true then dot": "SELECT * WHERE { ?s ?p true.SERVICE <{url}> { ?a ?b ?c } }",
    "true glued": "SELECT * WHERE { ?s ?p trueSERVICE <{url}> { ?a ?b ?c } }",
    "SILENT glued": "SELECT * WHERE { SERVICESILENT <{url}> { ?a ?b ?c } }",
    "prefixed name glued": "PREFIX e: <{url}> SELECT * WHERE { SERVICEe:x { ?a ?b ?c } }",
    "empty prefix glued": "PREFIX : <{url}> SELECT * WHERE { SERVICE:x { ?a ?b ?c } }",
    "lower case, empty prefix glued": "PREFIX : <{url}> SELECT * WHERE { service:x { ?a ?b ?c } }",
    "less-than read as an IRI": "PREFIX u: <{url}> SELECT * WHERE { ?s ?p ?o FILTER(?o<?b)SERVICEu:x#>\n{ ?x ?y ?z } }",
    "second dot group of a local name": "PREFIX u: <{url}> PREFIX e: <http://e/> SELECT * WHERE { ?s ?p e:x.y.SERVICE u:x { ?a ?b ?c } }",
    "prefix fallback, host only": "PREFIX : <{url}> PREFIX w: <http://a> SELECT * WHERE { ?s ?p w:SERVICE:x { ?a ?b ?c } }",
    "prefix fallback, second #": "PREFIX : <{url}> PREFIX w: <http://a/#> SELECT * WHERE { ?s ?p w:SERVICE:x\\# { ?a ?b ?c } }",
    "number with exponent glued": "SELECT * WHERE { ?s ?p 1e5SERVICE <{url}> { ?a ?b ?c } }",
    "LOAD with SILENT glued": "LOADSILENT<{url}>",
    "LOAD glued to a prefixed name": "PREFIX : <{url}> LOAD:x",
}


@pytest.mark.parametrize("text", list(BYPASSES.values()), ids=list(BYPASSES))
def test_known_bypasses_are_refused_and_did_call_out(text: str, oxigraph: Oxigraph) -> None:
    kind = "query" if "SELECT" in text else "update"
    path = oxigraph.run(text, kind)
    oxigraph.listening.settle()
    assert oxigraph.listening.contacted(path), "Oxigraph no longer reads this as SERVICE or LOAD: update the example"
    assert not passes(text.replace("{url}", oxigraph.listening.url + path))


# ------------------------------------------------------------------ no refusal without cause

HARMLESS = [
    "SELECT ?service ?load WHERE { ?service ?p ?load } LIMIT 1",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ?o . ?o ex:load ?x } LIMIT 1",
    "SELECT * WHERE { ?s schema:serviceType ?o } LIMIT 1",
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o } LIMIT 1",
    "SELECT * WHERE { ?s <http://dbpedia.org/resource/Service_(economics)> ?o } LIMIT 1",
    'SELECT * WHERE { ?s ?p "SERVICE <http://example.org/> { }" } LIMIT 1',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://example.org/> and LOAD\nLIMIT 1",
    "PREFIX load: <http://example.org/> SELECT * WHERE { ?s load:x ?o } LIMIT 1",
    "SELECT * WHERE { ?s ?p 'a\\'SERVICE <x> {}' }",
    'SELECT * WHERE { ?s ?p """ SERVICE <x> {} \\""" """ }',
    "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3) } # SERVICE\r",
]


@pytest.mark.parametrize("text", HARMLESS)
def test_service_and_load_as_names_strings_and_comments_pass(text: str) -> None:
    check_operation(text, MAX_CHARS)


def test_the_project_queries_pass() -> None:
    from graph.ask.query import QUERY_DIR
    from graph.build.derive import DERIVATIONS
    files = sorted(QUERY_DIR.glob("*.rq")) + sorted(DERIVATIONS.glob("*.rq"))
    assert files
    for file in files:
        check_operation(file.read_text(encoding="utf-8"), MAX_CHARS)


def test_the_likely_reading_ends_comments_at_cr() -> None:
    words = [t.text for t in tokens("SELECT * # a comment\rFROM <http://e/g> WHERE { ?s ?p ?o }")]
    assert words == ["SELECT", "FROM", "WHERE", "{", "?s", "?p", "?o", "}"]


def test_stray_backslashes_are_found_once_for_all_checks() -> None:
    found = inspect("SELECT * WHERE { \\u0053ERVICE <http://e/> { } }")
    assert found.stray_backslash
    assert not inspect("PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\#b 'c\\'' }").stray_backslash
