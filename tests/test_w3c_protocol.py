"""The W3C SPARQL 1.1 Protocol tests (tests/w3c/protocol/manifest.ttl), every entry.

Each entry is read from the manifest: its requests (method, path and query string, headers, body
and its character encoding) are sent to a real server in order, and each response is checked
against the manifest's expected status classes and, where given, its format ("boolean",
"tabular", "RDF") and boolean value.

- The manifest's ``/sparql/`` path prefix is replaced by this endpoint's ``/sparql``, as the
  manifest's comment asks; the connection authority "www.example" becomes the test server.
- Data: ``ut:graphData`` gives data1.nt..data3.nt under the graph IRIs in their rdfs:label
  (http://kasei.us/2009/09/sparql/data/dataN.rdf; see tests/w3c/SOURCE.txt). data0.rdf has no
  file: it is only used with ``ASK {}``, true whatever the data.
- Entries that only query share one read-only server over a store holding data1..data3 (a query
  cannot change it). An entry with an update operation gets a fresh store and a server started
  as ``--allow-update`` with a token, and every one of its requests carries
  ``Authorization: Bearer TOKEN``; so the ``bad_update_*`` entries test the protocol checks, not
  the read-only refusal.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from rdflib import RDFS, Graph, Namespace
from rdflib.collection import Collection

from endpoint_support import W3C, Server, make_store, running_server

PROTOCOL = W3C / "protocol"
MANIFEST = PROTOCOL / "manifest.ttl"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
TOKEN = "w3c-protocol-test-token"

RESULTS_FORMATS = {  # media type -> results format, for "boolean" and "tabular" responses
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
BOOLEAN_TYPES = {"application/sparql-results+xml", "application/sparql-results+json"}
RDF_FORMATS = {  # the manifest: "expect one of: RDF/XML, Turtle, N-Triples, RDFa"
    "application/rdf+xml": ox.RdfFormat.RDF_XML, "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}


@dataclass
class Request:
    method: str
    path: str  # path and query string, as in the manifest
    headers: dict[str, str]
    body: bytes | None
    expected_status: set[str]  # "2xx", "3xx", "4xx", ...
    expected_format: str | None
    expected_boolean: bool | None

    def is_update(self) -> bool:
        """Does the request carry an update operation (in the URL, a form body or a direct body)?"""
        if "application/sparql-update" in self.headers.get("content-type", ""):
            return True
        params = parse_qs(urlsplit(self.path).query)
        if self.body is not None:
            try:
                params.update(parse_qs(self.body.decode("utf-8")))
            except UnicodeDecodeError:
                pass
        return "update" in params


@dataclass
class Entry:
    id: str
    name: str
    graph_data: list[tuple[Path, str]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    @property
    def updates(self) -> bool:
        """An update entry: a request carries an update, or the entry says it invokes one
        (bad_update_wrong_media_type sends "CLEAR NAMED" as text/plain)."""
        return any(request.is_update() for request in self.requests) or "update" in self.name.lower()


def _items(graph: Graph, head: Any) -> list[Any]:
    return list(Collection(graph, head)) if head is not None else []


def read_manifest() -> list[Entry]:
    graph = Graph().parse(MANIFEST, format="turtle", publicID=BASE)
    manifest = next(graph.subjects(MF.entries, None))
    entries = []
    for node in _items(graph, graph.value(manifest, MF.entries)):
        entry = Entry(str(node).removeprefix(BASE), str(graph.value(node, MF.name)))
        for data in graph.objects(node, UT.graphData):
            file = PROTOCOL / str(graph.value(data, UT.graph)).rsplit("/", 1)[-1]  # next to the manifest
            entry.graph_data.append((file, str(graph.value(data, RDFS.label))))
        action = graph.value(node, MF.action)
        for request in _items(graph, graph.value(action, HT.requests)):
            headers = {str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
                       for h in _items(graph, graph.value(request, HT.headers))}
            body_node = graph.value(request, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            response = graph.value(request, HT.resp)
            expected_boolean = graph.value(response, MF.expectedBoolean)
            expected_format = graph.value(response, MF.expectedFormat)
            entry.requests.append(Request(
                method=str(graph.value(request, HT.methodName)),
                path=str(graph.value(request, HT.absolutePath)),
                headers=headers, body=body,
                expected_status={str(s).removeprefix(HTS).lower() for s in graph.objects(response, MF.expectedStatus)},
                expected_format=str(expected_format) if expected_format is not None else None,
                expected_boolean=expected_boolean.toPython() if expected_boolean is not None else None))
        entries.append(entry)
    return entries


ENTRIES = read_manifest()
QUERY_GRAPH_DATA = sorted({pair for entry in ENTRIES if not entry.updates for pair in entry.graph_data})
KASEI = "http://kasei.us/2009/09/sparql/data/"


def test_the_manifest_is_read_completely() -> None:
    """All 34 entries (ENTRIES.tsv), each with its requests and an expected status."""
    listed = [line.split("\t")[0] for line in (PROTOCOL / "ENTRIES.tsv").read_text().splitlines()[1:] if line]
    assert [entry.id for entry in ENTRIES] == listed and len(listed) == 34
    for entry in ENTRIES:
        assert entry.requests and all(r.expected_status for r in entry.requests), entry.id
    assert {file.name for file, _ in QUERY_GRAPH_DATA} == {"data1.nt", "data2.nt", "data3.nt"}


@pytest.fixture(scope="module")
def query_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = make_store(tmp_path_factory.mktemp("w3c-protocol") / "store", QUERY_GRAPH_DATA)
    with running_server(store, workers=2, deadline_s=10) as server:
        yield server


def endpoint_path(path: str) -> str:
    """The manifest's /sparql/ prefix becomes this endpoint's path (see the manifest's comment)."""
    assert path.startswith("/sparql/"), path
    return "/sparql" + path.removeprefix("/sparql/")


def check_response(entry: Entry, index: int, request: Request, response: httpx.Response) -> None:
    where = f"{entry.id} request {index + 1} ({request.method} {request.path[:80]})"
    status_class = f"{response.status_code // 100}xx"
    assert status_class in request.expected_status, (
        f"{where}: status {response.status_code}, expected {sorted(request.expected_status)}; body: {response.text[:300]}")
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.expected_format == "boolean":
        assert media in BOOLEAN_TYPES, f"{where}: a boolean result as {media!r}"
        parsed = ox.parse_query_results(response.content, format=RESULTS_FORMATS[media])
        assert isinstance(parsed, ox.QueryBoolean), f"{where}: not a boolean result: {response.text[:300]}"
        if request.expected_boolean is not None:
            assert bool(parsed) is request.expected_boolean, f"{where}: ASK answered {bool(parsed)}"
    elif request.expected_format == "tabular":
        assert media in RESULTS_FORMATS, f"{where}: a SELECT result as {media!r}"
        parsed = ox.parse_query_results(response.content, format=RESULTS_FORMATS[media])
        assert isinstance(parsed, ox.QuerySolutions), f"{where}: not a table of solutions"
        list(parsed)
    elif request.expected_format == "RDF":
        assert media in RDF_FORMATS, f"{where}: an RDF graph as {media!r}"
        list(ox.parse(response.content, format=RDF_FORMATS[media]))
    else:
        assert request.expected_format is None, f"{where}: unknown expected format {request.expected_format}"


def run_entry(entry: Entry, server: Server, token: str | None) -> None:
    with server.client() as client:
        for index, request in enumerate(entry.requests):
            headers = dict(request.headers)
            if token:
                headers["authorization"] = f"Bearer {token}"
            response = client.request(request.method, endpoint_path(request.path), headers=headers,
                                      content=request.body)
            check_response(entry, index, request, response)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e.updates], ids=lambda e: e.id)
def test_query_entry(entry: Entry, query_server: Server) -> None:
    run_entry(entry, query_server, token=None)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.updates], ids=lambda e: e.id)
def test_update_entry(entry: Entry, tmp_path: Path) -> None:
    """On a fresh store holding the entry's own data, with updates enabled and the token sent."""
    store = make_store(tmp_path / "store", entry.graph_data)
    with running_server(store, allow_update=True, update_token=TOKEN, deadline_s=10) as server:
        run_entry(entry, server, token=TOKEN)


def test_update_entries_are_refused_without_allow_update(query_server: Server) -> None:
    """The same successful update requests against the read-only server: 403, nothing changes."""
    successful = [r for e in ENTRIES if e.updates for r in e.requests if r.is_update() and "2xx" in r.expected_status]
    assert successful
    with query_server.client() as client:
        for request in successful:
            headers = {**request.headers, "authorization": f"Bearer {TOKEN}"}
            response = client.request(request.method, endpoint_path(request.path), headers=headers, content=request.body)
            assert response.status_code == 403, (request.path, response.text)
        ask = client.get("/sparql", params={"query": f"ASK {{ GRAPH <{KASEI}data1.rdf> {{ ?s ?p ?o }} }}"},
                         headers={"accept": "application/sparql-results+json"})
        assert ask.json()["boolean"] is True


def test_union_default_graph_without_a_protocol_dataset(query_server: Server) -> None:
    """Without default-graph-uri, the default graph is the union of all named graphs."""
    query = ("ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?t . "
             "<http://kasei.us/2009/09/sparql/data/data3.rdf> a ?t }")
    with query_server.client() as client:
        response = client.get("/sparql", params={"query": query}, headers={"accept": "application/sparql-results+json"})
        assert response.status_code == 200 and response.json()["boolean"] is True
        only1 = client.get("/sparql", params={"query": query, "default-graph-uri": "http://kasei.us/2009/09/sparql/data/data1.rdf"},
                           headers={"accept": "application/sparql-results+json"})
        assert only1.status_code == 200 and only1.json()["boolean"] is False


# ------------------------------------------------------------------ the protocol's dataset, beyond the manifest
# SPARQL 1.1 Protocol, section 2.1.4: when a request gives default-graph-uri or named-graph-uri,
# the dataset is exactly the graphs it names (no parameter of a kind: no graph of that kind), and
# it replaces any dataset the query gives with FROM / FROM NAMED. Without either, the query's own
# FROM / FROM NAMED define the dataset (SPARQL 1.1 Query, section 13.2). The union default graph
# is this service's dataset only when neither the request nor the query gives one.
# The manifest's entries all ask for something that is true whatever the extra graphs, so these
# checks also ask for what must be false.

DATASET_CASES = [
    ("named-graph-uri only: the default graph is empty",
     f"ASK {{ <{KASEI}data3.rdf> a ?t }}", {"named-graph-uri": [KASEI + "data1.rdf"]}, False),
    ("named-graph-uri only: GRAPH sees only the given graphs",
     f"ASK {{ GRAPH ?g {{ <{KASEI}data2.rdf> a ?t }} }}", {"named-graph-uri": [KASEI + "data1.rdf"]}, False),
    ("default-graph-uri only: no named graphs",
     f"ASK {{ GRAPH ?g {{ <{KASEI}data2.rdf> a ?t }} }}", {"default-graph-uri": [KASEI + "data1.rdf"]}, False),
    ("default-graph-uri: the default graph is the given graph",
     f"ASK {{ <{KASEI}data2.rdf> a ?t }}", {"default-graph-uri": [KASEI + "data1.rdf"]}, False),
    ("the protocol dataset overrides FROM",
     f"ASK FROM <{KASEI}data3.rdf> {{ <{KASEI}data3.rdf> a ?t }}", {"named-graph-uri": [KASEI + "data1.rdf"]}, False),
    ("the protocol default graph overrides FROM",
     f"ASK FROM <{KASEI}data3.rdf> {{ <{KASEI}data1.rdf> a ?t }}", {"default-graph-uri": [KASEI + "data1.rdf"]}, True),
    ("FROM without a protocol dataset: the default graph is the FROM graph",
     f"ASK FROM <{KASEI}data3.rdf> {{ <{KASEI}data1.rdf> a ?t }}", {}, False),
    ("FROM without a protocol dataset: the FROM graph is seen",
     f"ASK FROM <{KASEI}data3.rdf> {{ <{KASEI}data3.rdf> a ?t }}", {}, True),
    ("FROM NAMED: GRAPH sees only the FROM NAMED graphs",
     f"ASK FROM NAMED <{KASEI}data3.rdf> {{ GRAPH ?g {{ <{KASEI}data1.rdf> a ?t }} }}", {}, False),
    ("no dataset anywhere: the union of all graphs",
     f"ASK {{ <{KASEI}data1.rdf> a ?t . <{KASEI}data2.rdf> a ?t . <{KASEI}data3.rdf> a ?t }}", {}, True),
]


@pytest.mark.parametrize(("query", "params", "expected"), [case[1:] for case in DATASET_CASES],
                         ids=[case[0] for case in DATASET_CASES])
def test_protocol_and_query_dataset(query: str, params: dict[str, list[str]], expected: bool, query_server: Server) -> None:
    with query_server.client() as client:
        for response in (client.get("/sparql", params={"query": query, **params}),
                         client.post("/sparql", params=params, content=query.encode(),
                                     headers={"content-type": "application/sparql-query"})):
            assert response.status_code == 200, response.text
            assert response.json()["boolean"] is expected, (query, params)
