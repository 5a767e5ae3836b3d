"""Third-party SPARQL clients against the real endpoint, on the project's own data.

The same SELECT, ASK, CONSTRUCT and DESCRIBE queries go through
- SPARQLWrapper (JSON for SELECT/ASK, by GET, form POST and direct POST; Turtle for CONSTRUCT,
  N-Triples for DESCRIBE),
- rdflib's SPARQLStore (``Graph(SPARQLStore(url)).query``: SPARQL XML results, RDF/XML graphs),
- Comunica (``node tests/interop/comunica-query.mjs URL QUERY``; @comunica/query-sparql 4, as
  Comunica 5 needs Node 22),
and each answer must equal pyoxigraph's answer in process on the same store: sets of bindings
(every term with its kind, lexical form, datatype and language), booleans, sets of triples.

The Comunica tests skip when node or tests/interop/node_modules is missing (install with
``npm ci --prefix tests/interop``); with ALLIANCES_REQUIRE_INTEROP set (CI) they fail instead.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from endpoint_support import running_server

from graph.config import Settings
from graph.rdf.store import OxigraphStore

INTEROP = Path(__file__).parent / "interop"
COMUNICA_SCRIPT = INTEROP / "comunica-query.mjs"
COMUNICA_TIMEOUT_S = 120
INSTALL_HINT = "Install Comunica with: npm ci --prefix tests/interop (needs Node 18 or later and the npm registry)."
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

ID = "https://w3id.org/alliance-graph/id/"
PREFIXES = """PREFIX al: <https://w3id.org/alliance-graph/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""

# Queries on the real data. The default graph is the union of the named graphs, where a triple
# stated by several sources occurs once per source; DISTINCT keeps row counts client-independent.
QUERIES: dict[str, str] = {
    "select-chinese-labels": PREFIXES + """
SELECT DISTINCT ?org ?label WHERE {
  ?org a org:Organization ; skos:prefLabel ?label .
  FILTER(lang(?label) = "zh")
}""",
    "select-parties-per-alliance": PREFIXES + """
SELECT ?alliance (COUNT(DISTINCT ?party) AS ?parties) (MIN(?type) AS ?kind) WHERE {
  ?alliance a al:Alliance ; al:participation/al:party ?party .
  OPTIONAL { ?alliance al:allianceType ?type }
} GROUP BY ?alliance""",
    "select-typed-literals": PREFIXES + """
SELECT DISTINCT ?s ?p ?o WHERE {
  ?s ?p ?o .
  FILTER(isLiteral(?o) && datatype(?o) != xsd:string && datatype(?o) != rdf:langString)
}""",
    "ask-sms-ansteel-memorandum": PREFIXES + f"""
ASK {{
  ?mou a al:Alliance ;
       skos:prefLabel "SMS group and Ansteel Group memorandum on green steel technologies"@en ;
       al:participation/al:party <{ID}organisation/sms-group>, <{ID}organisation/ansteel> .
}}""",
    "ask-no-such-memorandum": PREFIXES + f"""
ASK {{
  ?mou a al:Alliance ;
       al:participation/al:party <{ID}organisation/sms-group>, <{ID}organisation/nissan> .
}}""",
    "construct-organisation-labels": PREFIXES + f"""
CONSTRUCT {{ <{ID}organisation/sms-group> ?property ?label }}
WHERE {{
  <{ID}organisation/sms-group> ?property ?label .
  FILTER(?property IN (skos:prefLabel, skos:altLabel, skos:hiddenLabel))
}}""",
    "describe-organisation": f"DESCRIBE <{ID}organisation/ansteel>",
}
SELECTS = [name for name in QUERIES if name.startswith("select")]
ASKS = [name for name in QUERIES if name.startswith("ask")]
GRAPHS = [name for name in QUERIES if name.startswith(("construct", "describe"))]

Term = tuple[str, ...]


# ------------------------------------------------------------------ a real server in a thread

@dataclass
class Endpoint:
    url: str
    store_path: Path


@pytest.fixture(scope="module")
def endpoint(built: Settings) -> Iterator[Endpoint]:
    """``create_app`` on the built graph, served by uvicorn on 127.0.0.1 and a free port."""
    with running_server(built.store_path, workers=2, deadline_s=30.0) as server:
        yield Endpoint(server.sparql, built.store_path)


def _literal(value: str, datatype: str | None, language: str | None) -> Term:
    if language:
        return ("literal", value, LANG_STRING, language.lower())
    return ("literal", value, datatype or XSD_STRING, "")


def _ox_term(term: Any) -> Term:
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)  # the data has none; a blank node would only need to be of the same kind
    if isinstance(term, ox.Literal):
        return _literal(term.value, term.datatype.value, term.language)
    raise AssertionError(f"unexpected term {term!r}")


def _rdflib_term(term: Any) -> Term:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ("iri", str(term))
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, Literal):
        return _literal(str(term), str(term.datatype) if term.datatype else None, term.language)
    raise AssertionError(f"unexpected term {term!r}")


def _comunica_term(term: dict[str, str]) -> Term:
    kind = term["termType"]
    if kind == "NamedNode":
        return ("iri", term["value"])
    if kind == "BlankNode":
        return ("bnode",)
    if kind == "Literal":
        return _literal(term["value"], term.get("datatype"), term.get("language"))
    raise AssertionError(f"unexpected term {term!r}")


def _rows(rows: list[dict[str, Term]]) -> frozenset[tuple[tuple[str, Term], ...]]:
    return frozenset(tuple(sorted(row.items())) for row in rows)


def _triples(triples: Any, convert: Any) -> frozenset[tuple[Term, Term, Term]]:
    return frozenset((convert(s), convert(p), convert(o)) for s, p, o in triples)


def expected(store: OxigraphStore, name: str) -> Any:
    """pyoxigraph's answer in process, on the same store (the union default graph)."""
    result = store.query(QUERIES[name])
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QueryTriples):
        return _triples(((t.subject, t.predicate, t.object) for t in result), _ox_term)
    variables = [v.value for v in result.variables]
    return _rows([{v: _ox_term(row[v]) for v in variables if row[v] is not None} for row in result])


@pytest.fixture(scope="module")
def oracle(endpoint: Endpoint) -> dict[str, Any]:
    store = OxigraphStore.open(endpoint.store_path)
    answers = {name: expected(store, name) for name in QUERIES}
    store.close()
    return answers


def test_the_queries_have_answers_worth_comparing(oracle: dict[str, Any]) -> None:
    """Guard against vacuous agreement: every answer is non-trivial on the project's data."""
    assert oracle["ask-sms-ansteel-memorandum"] is True
    assert oracle["ask-no-such-memorandum"] is False
    for name in SELECTS + GRAPHS:
        assert len(oracle[name]) >= 3, name
    chinese = {dict(row)["label"] for row in oracle["select-chinese-labels"]}
    assert ("literal", "西马克集团", LANG_STRING, "zh") in chinese
    counts = [dict(row)["parties"] for row in oracle["select-parties-per-alliance"]]
    assert ("literal", "2", "http://www.w3.org/2001/XMLSchema#integer", "") in counts


# ------------------------------------------------------------------ (a) SPARQLWrapper

SPARQLWRAPPER_METHODS = ["GET", "POST-form", "POST-direct"]


def _sparqlwrapper(url: str, name: str, method: str) -> Any:
    from SPARQLWrapper import JSON, N3, POST, POSTDIRECTLY, TURTLE, URLENCODED, SPARQLWrapper

    client = SPARQLWrapper(url, agent="alliance-graph interop test")
    client.setQuery(QUERIES[name])
    client.setTimeout(60)
    if method != "GET":
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY if method == "POST-direct" else URLENCODED)
    if name in GRAPHS:
        from rdflib import Graph

        if name.startswith("describe"):
            client.setReturnFormat(N3)
            client.addCustomHttpHeader("Accept", "application/n-triples")
            rdf_format, media = "nt", "application/n-triples"
        else:
            client.setReturnFormat(TURTLE)
            rdf_format, media = "turtle", "text/turtle"
        result = client.query()
        assert result.info()["content-type"].startswith(media)
        data = result.convert()
        assert isinstance(data, (str, bytes))
        graph = Graph().parse(data=data, format=rdf_format)
        return _triples(graph, _rdflib_term)
    client.setReturnFormat(JSON)
    result = client.query()
    assert result.info()["content-type"].startswith("application/sparql-results+json")
    document = result.convert()
    assert isinstance(document, dict)
    if "boolean" in document:
        return document["boolean"]
    return _rows([{var: _json_term(value) for var, value in binding.items()}
                  for binding in document["results"]["bindings"]])


def _json_term(value: dict[str, str]) -> Term:
    """A term of SPARQL 1.1 Query Results JSON."""
    if value["type"] == "uri":
        return ("iri", value["value"])
    if value["type"] == "bnode":
        return ("bnode",)
    return _literal(value["value"], value.get("datatype"), value.get("xml:lang"))


@pytest.mark.parametrize("method", SPARQLWRAPPER_METHODS)
@pytest.mark.parametrize("name", list(QUERIES))
def test_sparqlwrapper_agrees_with_pyoxigraph(endpoint: Endpoint, oracle: dict[str, Any], name: str, method: str) -> None:
    assert _sparqlwrapper(endpoint.url, name, method) == oracle[name]


# ------------------------------------------------------------------ (b) rdflib SPARQLStore

def _rdflib_store(url: str, name: str) -> Any:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from rdflib.query import ResultRow

    store = SPARQLStore(query_endpoint=url, timeout=60)  # SPARQL XML results; RDF/XML graphs
    try:
        result = Graph(store=store).query(QUERIES[name])
        if result.type == "ASK":
            return bool(result.askAnswer)
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return _triples(result.graph, _rdflib_term)
        assert result.vars is not None
        variables = [str(v) for v in result.vars]
        rows = []
        for row in result:
            assert isinstance(row, ResultRow)
            rows.append({var: _rdflib_term(row[var]) for var in variables if row[var] is not None})
        return _rows(rows)
    finally:
        store.close()


@pytest.mark.parametrize("name", list(QUERIES))
def test_rdflib_sparqlstore_agrees_with_pyoxigraph(endpoint: Endpoint, oracle: dict[str, Any], name: str) -> None:
    assert _rdflib_store(endpoint.url, name) == oracle[name]


# ------------------------------------------------------------------ (c) Comunica

def _unavailable(reason: str) -> None:
    """Skip, or fail where the interop tests must run (CI sets ALLIANCES_REQUIRE_INTEROP)."""
    if os.environ.get("ALLIANCES_REQUIRE_INTEROP"):
        pytest.fail(f"{reason} ALLIANCES_REQUIRE_INTEROP is set, so the Comunica tests must run.")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        _unavailable(f"node is not installed. {INSTALL_HINT}")
    for package in ("@comunica/query-sparql", "rdf-data-factory"):
        if not (INTEROP / "node_modules" / package / "package.json").is_file():
            _unavailable(f"{package} is not installed in tests/interop/node_modules. {INSTALL_HINT}")
    return executable  # type: ignore[return-value]


def _comunica(node: str, url: str, name: str) -> Any:
    try:
        completed = subprocess.run([node, str(COMUNICA_SCRIPT), url, QUERIES[name]], cwd=INTEROP, capture_output=True,
                                   text=True, timeout=COMUNICA_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Comunica did not answer {name} within {COMUNICA_TIMEOUT_S} s")
    assert completed.returncode == 0, f"Comunica failed on {name}:\n{completed.stderr[-3000:]}"
    document = json.loads(completed.stdout)
    if document["type"] == "boolean":
        return document["boolean"]
    if document["type"] == "quads":
        return _triples(((q["subject"], q["predicate"], q["object"]) for q in document["quads"]), _comunica_term)
    assert document["type"] == "bindings", document["type"]
    return _rows([{var: _comunica_term(term) for var, term in row.items()} for row in document["bindings"]])


@pytest.mark.parametrize("name", list(QUERIES))
def test_comunica_agrees_with_pyoxigraph(node: str, endpoint: Endpoint, oracle: dict[str, Any], name: str) -> None:
    assert _comunica(node, endpoint.url, name) == oracle[name]
