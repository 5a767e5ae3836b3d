"""The SPARQL endpoint (graph/serve): status codes, refusals, content negotiation, CORS, the
service description, deadlines, concurrency, limits, the access log, and ``alliances serve``.

Every test runs against a real uvicorn server (endpoint_support.running_server): queries run in
spawned worker processes.
"""
from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from datetime import datetime
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from graph.config import PROJECT_ROOT, Settings
from graph.rdf.store import OxigraphStore

from network_support import Listener
from endpoint_support import CACHE, Server, captured_access_log, csv_rows, make_store, running_server

JSON = "application/sparql-results+json"
SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
TOKEN = "endpoint-test-token"
EX = "http://example.org/"
PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
DEADLINE_S = 2.0  # the tight server's deadline
PROJECT_DEADLINE_S = 5.0
RESULT_LIMIT_STATUS = 400  # graph/serve/workers.py execute(): a result over max_rows / max_result_bytes


# ------------------------------------------------------------------ servers

@pytest.fixture(scope="module")
def project(built: Settings) -> Iterator[Server]:
    """The project's built graph, read-only, with a 5 s deadline and four workers."""
    with running_server(built.store_path, deadline_s=PROJECT_DEADLINE_S, workers=4, cache_bytes=CACHE) as server:
        yield server


@pytest.fixture(scope="module")
def tight(built: Settings) -> Iterator[Server]:
    """The project's graph with a 2 s deadline and small limits, to reach each of them cheaply."""
    with running_server(built.store_path, deadline_s=DEADLINE_S, workers=2, cache_bytes=CACHE, max_rows=5, max_query_chars=2_000,
                        max_body_bytes=10_000, max_result_bytes=1_000_000) as server:
        yield server


SMALL_DATA = f"<{EX}s> <{EX}p> <{EX}o> .\n"


@pytest.fixture(scope="module")
def writable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("writable")
    data = folder / "small.nt"
    data.write_text(SMALL_DATA)
    store = make_store(folder / "store", [(data, f"{EX}g")])
    with running_server(store, allow_update=True, update_token=TOKEN, deadline_s=3) as server:
        yield server


@pytest.fixture
def writable(writable_server: Server) -> Server:
    """A throwaway store served with --allow-update, holding one triple in graph <http://example.org/g>
    at the start of each test."""
    reset = post_update(writable_server, f"DROP ALL ; INSERT DATA {{ GRAPH <{EX}g> {{ {SMALL_DATA} }} }}",
                        authorization=f"Bearer {TOKEN}")
    assert reset.status_code in (200, 204), reset.text
    return writable_server


@contextlib.contextmanager
def listener() -> Iterator[Listener]:
    with Listener() as listening:
        yield listening


def assert_no_connection(listening: Listener) -> None:
    listening.settle()  # every connection made so far is recorded
    calls = listening.calls()
    assert not calls, f"the endpoint connected to a URL named in the request: {calls[0][:80]!r}"


def _timeout(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("timeout", 30.0)  # above every deadline here, on a loaded machine too
    return kwargs


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, **_timeout(kwargs))


def post(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(url, **_timeout(kwargs))


def options(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.options(url, **_timeout(kwargs))


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, url, **_timeout(kwargs))


def ask(server: Server, query: str, **headers: str) -> bool:
    response = get(server.sparql, params={"query": query}, headers={"accept": JSON, **headers})
    assert response.status_code == 200, response.text
    answer = response.json()["boolean"]
    assert isinstance(answer, bool), response.text
    return answer


def post_update(server: Server, update: str, **headers: str) -> httpx.Response:
    return post(server.sparql, content=update.encode(), headers={"content-type": "application/sparql-update", **headers})


def is_plain_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.strip(), "an error needs a message"


# ------------------------------------------------------------------ status codes

def test_400_for_a_syntax_error(project: Server) -> None:
    response = get(project.sparql, params={"query": "SELEC * WHERE { ?s ?p ?o"})
    is_plain_error(response, 400)
    assert "syntax" in response.text.lower()


SERVICE_QUERIES = {
    "plain": "SELECT * WHERE { SERVICE <{url}/sparql> { ?s ?p ?o } }",
    "lower case": "select * where { service <{url}/sparql> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{url}/sparql> { ?s ?p ?o } }",
    "in optional": "SELECT * WHERE { ?x ?y ?z OPTIONAL { SERVICE <{url}/sparql> { ?s ?p ?o } } }",
    "variable endpoint": "SELECT * WHERE { BIND(<{url}/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "prefixed endpoint": "PREFIX e: <{url}/>\nSELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
    "in a subquery": "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}/sparql> { ?s ?p ?o } } } }",
    "after a comment": "SELECT * WHERE { # a comment with a quote ' and a brace }\n SERVICE <{url}/sparql> { ?s ?p ?o } }",
    "after a long string": 'SELECT * WHERE { BIND(""" x \' " "" """ AS ?v) SERVICE <{url}/sparql> { ?s ?p ?o } }',
    # SPARQL allows escapes that the lexer must not read as the start of a comment or a string:
    # PN_LOCAL_ESC in a prefixed name (ex:a\# , ex:a\') and UCHAR in an IRI (<...\u0041#f>)
    "after an escaped # in a prefixed name":
        "PREFIX ex: <http://e/> SELECT * WHERE { BIND(ex:a\\# AS ?v) SERVICE <{url}/sparql> { ?s ?p ?o } }",
    "after an escaped quote in a prefixed name":
        "PREFIX ex: <http://e/> SELECT * WHERE { BIND(ex:a\\' AS ?v) SERVICE <{url}/sparql> { ?s ?p ?o } FILTER(?v != 'q') }",
    "after a # in an IRI with a \\u escape":
        "SELECT * WHERE { BIND(<http://e/\\u0041#f> AS ?v) SERVICE <{url}/sparql> { ?s ?p ?o } }",
    "after a quote in an IRI with a \\u escape":
        "SELECT * WHERE { BIND(<http://e/\\u0041'f> AS ?v) SERVICE <{url}/sparql> { ?s ?p ?o } FILTER(?v != 'q') }",
}


@pytest.mark.parametrize("query", list(SERVICE_QUERIES.values()), ids=list(SERVICE_QUERIES))
def test_service_is_refused_before_evaluation(query: str, project: Server) -> None:
    with listener() as listening:
        text = query.replace("{url}", listening.url)
        responses = [get(project.sparql, params={"query": text}),
                     post(project.sparql, content=text.encode(), headers={"content-type": "application/sparql-query"})]
        assert_no_connection(listening)
    for response in responses:
        is_plain_error(response, 400)
        assert "SERVICE" in response.text and "refused" in response.text


@pytest.mark.parametrize("query", [
    "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ?o } LIMIT 1",
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o } LIMIT 1",
    'SELECT * WHERE { ?s ?p "SERVICE <http://example.org/> { }" } LIMIT 1',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://example.org/> and LOAD\nLIMIT 1",
    "PREFIX load: <http://example.org/> SELECT * WHERE { ?s load:x ?o } LIMIT 1",
])
def test_the_words_service_and_load_elsewhere_are_fine(query: str, project: Server) -> None:
    response = get(project.sparql, params={"query": query}, headers={"accept": JSON})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("body, content_type", [
    (f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}", "application/sparql-update"),
    ("update=" + quote(f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}"), "application/x-www-form-urlencoded"),
    ("DROP ALL", "application/sparql-update"),
])
def test_403_for_an_update_without_allow_update(body: str, content_type: str, project: Server) -> None:
    response = post(project.sparql, content=body.encode(),
                    headers={"content-type": content_type, "authorization": "Bearer anything"})
    is_plain_error(response, 403)
    assert "--allow-update" in response.text
    assert ask(project, "ASK { ?s ?p ?o }")
    assert not ask(project, f"ASK {{ <{EX}a> ?p ?o }}")


def test_403_for_an_update_with_a_wrong_or_missing_token(writable: Server) -> None:
    insert = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}"
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN},
                    {"authorization": f"Bearer {TOKEN}x"}, {"authorization": f"Basic {TOKEN}"}):
        response = post_update(writable, insert, **headers)
        is_plain_error(response, 403)
        assert "token" in response.text.lower()
    assert not ask(writable, f"ASK {{ <{EX}a> ?p ?o }}")


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1", "http://localhost:1"])
def test_403_for_an_update_from_another_origin_even_with_the_token(origin: str, writable: Server) -> None:
    insert = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}"
    response = post_update(writable, insert, authorization=f"Bearer {TOKEN}", origin=origin)
    is_plain_error(response, 403)
    form = post(writable.sparql, data={"update": insert}, headers={"authorization": f"Bearer {TOKEN}", "origin": origin})
    is_plain_error(form, 403)
    assert not ask(writable, f"ASK {{ <{EX}a> ?p ?o }}")


def test_an_update_with_the_token_is_applied(writable: Server) -> None:
    insert = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}"
    response = post_update(writable, insert, authorization=f"Bearer {TOKEN}")
    assert response.status_code in (200, 204), response.text
    assert ask(writable, f"ASK {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}")
    same_origin = post_update(writable, f"DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}",
                              authorization=f"Bearer {TOKEN}", origin=writable.base)
    assert same_origin.status_code in (200, 204), same_origin.text
    assert not ask(writable, f"ASK {{ <{EX}a> ?p ?o }}")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_405_for_other_methods(method: str, project: Server) -> None:
    response = request(method, project.sparql, params={"query": "ASK {}"}, content=b"ASK {}",
                       headers={"content-type": "application/sparql-query"})
    is_plain_error(response, 405)


def test_405_for_an_update_by_get(writable: Server) -> None:
    response = get(writable.sparql, params={"update": "DROP ALL"}, headers={"authorization": f"Bearer {TOKEN}"})
    is_plain_error(response, 405)
    assert ask(writable, "ASK { ?s ?p ?o }")


@pytest.mark.parametrize("query, accept", [
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "image/png"),
    ("ASK {}", "text/turtle"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "application/sparql-results+json"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "text/csv"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "text/csv;q=0, image/*"),
])
def test_406_for_an_unacceptable_accept(query: str, accept: str, project: Server) -> None:
    response = get(project.sparql, params={"query": query}, headers={"accept": accept})
    is_plain_error(response, 406)


def test_406_for_the_service_description(project: Server) -> None:
    is_plain_error(get(project.sparql, headers={"accept": "image/png"}), 406)


def test_413_for_a_long_query(project: Server, tight: Server) -> None:
    padding = "#" + "x" * 2_100 + "\n"
    long_query = padding + "ASK {}"
    is_plain_error(get(tight.sparql, params={"query": long_query}), 413)
    response = post(tight.sparql, content=long_query.encode(), headers={"content-type": "application/sparql-query"})
    is_plain_error(response, 413)
    assert "2,000" in response.text
    # the default limit: 100,000 characters
    huge = "#" + "x" * 100_000 + "\nASK {}"
    is_plain_error(post(project.sparql, content=huge.encode(), headers={"content-type": "application/sparql-query"}), 413)
    assert get(tight.sparql, params={"query": "ASK {}"}).status_code == 200


def test_413_for_a_big_body(project: Server, tight: Server) -> None:
    body = b"query=ASK%20%7B%7D&pad=" + b"x" * 20_000
    form = {"content-type": "application/x-www-form-urlencoded"}
    is_plain_error(post(tight.sparql, content=body, headers=form), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        for _ in range(30):
            yield b"x" * 1_000

    is_plain_error(post(tight.sparql, content=chunks(), headers=form), 413)
    is_plain_error(post(project.sparql, content=b"x" * 1_000_001, headers=form), 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_415_for_an_unsupported_media_type(content_type: str | None, project: Server) -> None:
    headers = {"content-type": content_type} if content_type else {}
    is_plain_error(post(project.sparql, content=b"ASK {}", headers=headers), 415)


# ------------------------------------------------------------------ no files, no fetching

LOAD_UPDATES = {
    "file": "LOAD <file:///etc/passwd>",
    "url": "LOAD <{url}/data.ttl>",
    "silent into graph": "LOAD SILENT <{url}/data.ttl> INTO GRAPH <http://example.org/loaded>",
    "lower case": "load <{url}/data.ttl>",
    "second operation": "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> } ; LOAD <{url}/x>",
    "after an escaped # in a prefixed name":
        "PREFIX ex: <http://example.org/> INSERT DATA { ex:a ex:b ex:c\\# } ; LOAD <{url}/data.ttl>",
    "after a # in an IRI with a \\u escape":
        "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/\\u0063#x> } ; LOAD <{url}/data.ttl>",
}


@pytest.mark.parametrize("update", list(LOAD_UPDATES.values()), ids=list(LOAD_UPDATES))
def test_load_is_refused(update: str, writable: Server, project: Server) -> None:
    with listener() as listening:
        text = update.replace("{url}", listening.url)
        with_token = post_update(writable, text, authorization=f"Bearer {TOKEN}")
        read_only = post_update(project, text)
        assert_no_connection(listening)
    is_plain_error(with_token, 400)
    assert "LOAD" in with_token.text and "refused" in with_token.text
    assert read_only.status_code in (400, 403)
    assert not ask(writable, f"ASK {{ <{EX}a> ?p ?o }}")
    assert not ask(writable, f"ASK {{ GRAPH <{EX}loaded> {{ ?s ?p ?o }} }}")


def _rows(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["results"]["bindings"]
    return rows


FROM_FILE = [
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * FROM <file:///etc/passwd> FROM NAMED <file:///etc/passwd> WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
]


@pytest.mark.parametrize("query", FROM_FILE)
def test_from_a_file_reads_nothing(query: str, project: Server) -> None:
    """The dataset is the graph named file:///etc/passwd of the store: there is none, so it is empty."""
    response = get(project.sparql, params={"query": query}, headers={"accept": JSON})
    assert "root:" not in response.text
    assert _rows(response) == [], f"{len(_rows(response))} rows from a dataset that names no graph of the store"


@pytest.mark.parametrize("clause", ["FROM <{url}/data.ttl>", "FROM NAMED <{url}/data.ttl>"])
def test_from_a_url_fetches_nothing(clause: str, project: Server) -> None:
    with listener() as listening:
        dataset = clause.replace("{url}", listening.url)
        query = f"SELECT * {dataset} WHERE {{ {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
        response = get(project.sparql, params={"query": query}, headers={"accept": JSON})
        assert_no_connection(listening)
    assert _rows(response) == [], f"{len(_rows(response))} rows from a dataset that names no graph of the store"


def test_the_default_graph_is_the_union_of_all_graphs(project: Server, store: OxigraphStore) -> None:
    # The build stores the merge of the named graphs as the default graph (OxigraphStore.materialise_union).
    response = get(project.sparql, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                   headers={"accept": JSON})
    count = int(_rows(response)[0]["n"]["value"])
    triples = len({(q.subject, q.predicate, q.object) for q in store.quads() if not isinstance(q.graph_name, ox.DefaultGraph)})
    assert count == triples, (
        f"the default graph has {triples} triples (the RDF merge of the named graphs), but ?s ?p ?o matched "
        f"{count} times: a triple stated in several named graphs is counted once per graph")


@pytest.mark.xfail(strict=True, reason="pyoxigraph 0.5.13 counts a triple once per graph in its union default graph "
                   "(oxigraph/oxigraph#1919, fixed upstream by #1920, not yet released). Built stores avoid it by holding "
                   "the merge as their default graph; a store changed by updates on a server started with --allow-update does not.")
def test_a_triple_in_two_graphs_is_one_triple_of_the_default_graph(writable: Server) -> None:
    """The default graph is the union (RDF merge) of the named graphs: a set of triples."""
    copy = post_update(writable, f"INSERT DATA {{ GRAPH <{EX}g2> {{ {SMALL_DATA} }} }}", authorization=f"Bearer {TOKEN}")
    assert copy.status_code in (200, 204), copy.text
    in_graphs = get(writable.sparql, params={"query": "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                    headers={"accept": JSON})
    assert len(_rows(in_graphs)) == 2
    response = get(writable.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"accept": JSON})
    assert len(_rows(response)) == 1, f"one triple in two graphs matched {len(_rows(response))} times"


# ------------------------------------------------------------------ content negotiation

# No ORDER BY (a sort of the whole graph is slow on a loaded machine): the same query on the same
# read-only store gives the same solutions, compared here as sorted lists.
SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 7"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 7"
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def _media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def _triples(body: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    """The triples of an RDF document (N-Quads and TriG give quads: their graph names are dropped)."""
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=fmt)}


def _values(response: httpx.Response, accept: str) -> list[list[str]]:
    """The rows of a SELECT result as the string values of ?s ?p ?o (CSV is parsed as CSV text:
    pyoxigraph does not parse the lossy CSV results format)."""
    if accept == "text/csv":
        header, *rows = csv_rows(response.text)
        assert header == ["s", "p", "o"]
        return [row for row in rows if row]
    solutions = ox.parse_query_results(response.content, format=RESULT_FORMATS[accept])
    assert isinstance(solutions, ox.QuerySolutions)
    assert [v.value for v in solutions.variables] == ["s", "p", "o"]
    return [[solution[name].value for name in ("s", "p", "o")] for solution in solutions]


@pytest.mark.parametrize("accept", list(RESULT_FORMATS))
def test_select_in_each_results_format(accept: str, project: Server) -> None:
    reference = _rows(get(project.sparql, params={"query": SELECT}, headers={"accept": JSON}))
    response = get(project.sparql, params={"query": SELECT}, headers={"accept": accept})
    assert response.status_code == 200 and _media(response) == accept
    values = _values(response, accept)
    assert sorted(values) == sorted([row[name]["value"] for name in ("s", "p", "o")] for row in reference)
    assert len(values) == 7


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
@pytest.mark.parametrize("query, expected", [("ASK { ?s ?p ?o }", True), (f"ASK {{ <{EX}nothing> ?p ?o }}", False)])
def test_ask_in_each_boolean_format(accept: str, query: str, expected: bool, project: Server) -> None:
    response = get(project.sparql, params={"query": query}, headers={"accept": accept})
    assert response.status_code == 200 and _media(response) == accept
    assert bool(ox.parse_query_results(response.content, format=RESULT_FORMATS[accept])) is expected


@pytest.mark.parametrize("accept", list(GRAPH_FORMATS))
@pytest.mark.parametrize("query", [CONSTRUCT, "DESCRIBE ?s WHERE { ?s a ?type } LIMIT 1"])
def test_graphs_in_each_rdf_format(accept: str, query: str, project: Server) -> None:
    reference = get(project.sparql, params={"query": query}, headers={"accept": "application/n-triples"})
    expected = _triples(reference.content, ox.RdfFormat.N_TRIPLES)
    assert expected
    response = post(project.sparql, content=query.encode(),
                    headers={"content-type": "application/sparql-query", "accept": accept})
    assert response.status_code == 200 and _media(response) == accept, response.text
    assert _triples(response.content, GRAPH_FORMATS[accept]) == expected


@pytest.mark.parametrize("accept, query, expected", [
    ("*/*", SELECT, "application/sparql-results+json"),
    ("*/*", CONSTRUCT, "text/turtle"),
    ("text/csv;q=0.5, application/sparql-results+xml", SELECT, "application/sparql-results+xml"),
    ("application/sparql-results+xml;q=0.1, text/tab-separated-values;q=0.9", SELECT, "text/tab-separated-values"),
    ("text/html, application/xhtml+xml, */*;q=0.8", SELECT, "application/sparql-results+json"),
    ("application/rdf+xml;q=0.2, application/n-triples", CONSTRUCT, "application/n-triples"),
    ("text/*", SELECT, "text/csv text/tab-separated-values text/xml"),
    ("application/*", CONSTRUCT, "application/n-triples application/n-quads application/trig application/ld+json "
                                 "application/rdf+xml application/json application/xml application/x-turtle"),
])
def test_accept_preferences(accept: str, query: str, expected: str, project: Server) -> None:
    response = get(project.sparql, params={"query": query}, headers={"accept": accept})
    assert response.status_code == 200 and _media(response) in expected.split(), _media(response)


# ------------------------------------------------------------------ CORS

def test_cors_allows_any_origin_without_credentials(project: Server) -> None:
    origin = {"origin": "https://someone.example"}
    for response in (get(project.sparql, params={"query": "ASK {}"}, headers=origin),
                     get(project.sparql, params={"query": "ASK {"}, headers=origin),  # an error too
                     get(project.sparql, headers=origin)):  # the service description
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers


def test_cors_preflight(project: Server) -> None:
    response = options(project.sparql, headers={
        "origin": "https://someone.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})
    assert 200 <= response.status_code < 300
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    methods = {m.strip().upper() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST"} <= methods
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert "content-type" in allowed
    assert "authorization" not in allowed  # a page of another origin cannot send the update token


# ------------------------------------------------------------------ the service description

@pytest.mark.parametrize("accept, fmt", [
    ("*/*", ox.RdfFormat.TURTLE), ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_service_description(accept: str, fmt: ox.RdfFormat, project: Server, store: OxigraphStore) -> None:
    response = get(project.sparql, headers={"accept": accept})
    assert response.status_code == 200
    triples = _triples(response.content, fmt)
    endpoint = ox.NamedNode(project.sparql)
    assert ox.Triple(endpoint, RDF_TYPE, ox.NamedNode(SD + "Service")) in triples
    assert ox.Triple(endpoint, ox.NamedNode(SD + "endpoint"), endpoint) in triples  # W3C sd test has-endpoint-triple
    assert ox.Triple(endpoint, ox.NamedNode(SD + "supportedLanguage"), ox.NamedNode(SD + "SPARQL11Query")) in triples
    assert ox.Triple(endpoint, ox.NamedNode(SD + "supportedLanguage"), ox.NamedNode(SD + "SPARQL11Update")) not in triples
    assert ox.Triple(endpoint, ox.NamedNode(SD + "feature"), ox.NamedNode(SD + "UnionDefaultGraph")) in triples
    names = {t.object.value for t in triples if t.predicate == ox.NamedNode(SD + "name") and isinstance(t.object, ox.NamedNode)}
    assert names == set(store.named_graphs())


def test_service_description_with_updates(writable: Server) -> None:
    response = get(writable.sparql, headers={"accept": "application/n-triples"})
    triples = _triples(response.content, ox.RdfFormat.N_TRIPLES)
    endpoint = ox.NamedNode(writable.sparql)
    assert ox.Triple(endpoint, ox.NamedNode(SD + "supportedLanguage"), ox.NamedNode(SD + "SPARQL11Update")) in triples


# ------------------------------------------------------------------ deadline and concurrency

def _timed_get(url: str, query: str, source: str | None = None) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    if source is None:
        response = get(url, params={"query": query}, headers={"accept": JSON})
    else:  # from another client address: one client's queries run one at a time (graph/serve/turns.py)
        with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30.0) as client:
            response = client.get(url, params={"query": query}, headers={"accept": JSON})
    return response, time.perf_counter() - started


def test_a_slow_query_does_not_delay_light_ones(project: Server) -> None:
    """While another client's pathological query holds one worker (until the 5 s deadline), 20
    light queries keep their latency."""
    heavy: list[tuple[httpx.Response, float]] = []
    thread = threading.Thread(target=lambda: heavy.append(_timed_get(project.sparql, PATHOLOGICAL, source="127.0.0.2")))
    thread.start()
    time.sleep(0.3)  # the pathological query is running in a worker
    latencies = []
    with project.client() as client:
        for _ in range(20):
            started = time.perf_counter()
            response = client.get("/sparql", params={"query": "ASK {}"}, headers={"accept": JSON})
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200 and response.json()["boolean"] is True
    assert thread.is_alive(), "the pathological query ended before the light ones: nothing was measured"
    thread.join(30)
    assert max(latencies) < 0.5, sorted(latencies)
    assert heavy and heavy[0][0].status_code == 503
    assert heavy[0][1] >= PROJECT_DEADLINE_S - 0.2


def test_a_pathological_query_is_stopped_at_the_deadline(tight: Server) -> None:
    response, elapsed = _timed_get(tight.sparql, PATHOLOGICAL)
    is_plain_error(response, 503)
    assert "deadline" in response.text and f"{DEADLINE_S:g} s" in response.text
    assert DEADLINE_S - 0.2 <= elapsed < DEADLINE_S + 1.5, elapsed
    # the server keeps answering, at once and with results
    light, light_elapsed = _timed_get(tight.sparql, "ASK { ?s ?p ?o }")
    assert light.status_code == 200 and light.json()["boolean"] is True and light_elapsed < 1.0
    with tight.client() as client:  # and keeps answering while the killed worker is replaced
        for _ in range(8):
            assert client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"}).status_code == 200


# ------------------------------------------------------------------ result limits

def test_max_rows_is_an_error_not_a_truncated_result(tight: Server) -> None:
    # LIMIT 50 keeps each result far under the byte limit, whatever the size of the data
    for query, accept in (("SELECT * WHERE { ?s ?p ?o } LIMIT 50", JSON), ("SELECT * WHERE { ?s ?p ?o } LIMIT 50", "text/csv"),
                          ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 50", "text/turtle"),
                          ("SELECT * WHERE { ?s ?p ?o } LIMIT 6", JSON)):
        response = get(tight.sparql, params={"query": query}, headers={"accept": accept})
        is_plain_error(response, RESULT_LIMIT_STATUS)
        assert "5" in response.text and "limit" in response.text.lower() and "LIMIT" in response.text
    ok = get(tight.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}, headers={"accept": JSON})
    assert len(_rows(ok)) == 5


def test_max_result_bytes_is_an_error_not_a_truncated_result(tight: Server) -> None:
    # one row of about 2 MB: 4,000 triples concatenated, four times (a fixed number, so that the
    # query stays well within the time limit however much data/ grows)
    query = ("SELECT (GROUP_CONCAT(CONCAT(STR(?s), STR(?p), STR(?o))) AS ?all) "
             "WHERE { { SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 4000 } VALUES ?n { 1 2 3 4 } }")
    response = get(tight.sparql, params={"query": query}, headers={"accept": JSON})
    is_plain_error(response, RESULT_LIMIT_STATUS)
    assert "1,000,000" in response.text and "bytes" in response.text


# ------------------------------------------------------------------ the access log

LOG_FIELDS = {"time", "client", "query_hash", "status", "rows", "ms"}


def test_one_structured_log_line_per_request(project: Server) -> None:
    with captured_access_log() as log:
        requests = [
            (get(project.sparql, params={"query": SELECT}, headers={"accept": JSON}), 200, 7),
            (get(project.sparql, params={"query": SELECT}, headers={"accept": "text/csv"}), 200, 7),
            (get(project.sparql, params={"query": "SELEC"}), 400, None),
            (post(project.sparql, content=b"DROP ALL", headers={"content-type": "application/sparql-update"}), 403, None),
            (get(project.sparql, params={"query": "ASK {}"}), 200, "1 or None"),
            (get(project.sparql), 200, None),
        ]
        lines = log.lines()
    assert len(lines) == len(requests), lines
    for line, (response, status, rows) in zip(lines, requests):
        assert response.status_code == status
        assert LOG_FIELDS <= set(line), line
        assert line["status"] == status and line["client"] == "127.0.0.1"
        assert line["rows"] in (1, None) if rows == "1 or None" else line["rows"] == rows, line
        assert isinstance(line["ms"], (int, float)) and line["ms"] >= 0
        datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%S%z")
    hashes = [line["query_hash"] for line in lines]
    assert hashes[0] == hashes[1] and re.fullmatch(r"[0-9a-f]{8,}", hashes[0])
    assert len({hashes[0], hashes[2], hashes[3], hashes[4]}) == 4
    assert SELECT not in json.dumps(lines)  # the log holds a hash, never the query text
    for record in log.records:
        json.loads(record.getMessage())  # one JSON document per line
        assert "\n" not in record.getMessage()


def test_a_preflight_is_logged_too(project: Server) -> None:
    with captured_access_log() as log:
        response = options(project.sparql, headers={"origin": "https://someone.example",
                                                    "access-control-request-method": "POST"})
        lines = log.lines()
    assert len(lines) == 1, f"one access log line per request; an OPTIONS request got {len(lines)}"
    assert lines[0]["status"] == response.status_code


def test_a_deadline_is_logged(tight: Server) -> None:
    with captured_access_log() as log:
        response = get(tight.sparql, params={"query": PATHOLOGICAL})
        lines = log.lines()
    assert response.status_code == 503
    assert len(lines) == 1 and lines[0]["status"] == 503 and lines[0]["rows"] is None
    assert lines[0]["ms"] >= DEADLINE_S * 1000 - 200


# ------------------------------------------------------------------ alliances serve

def test_serve_on_a_taken_port_exits_2_naming_the_port(built: Settings) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", "from graph.cli import main; main()", "--store", str(built.store_path),
             "serve", "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr
