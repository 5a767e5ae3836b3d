"""The W3C SPARQL 1.1 result-format tests (json-res, csv-tsv-res) through the endpoint.

For each manifest entry: its data (qt:data) is loaded into a throwaway store, the query
(qt:query) is sent to a real server with the Accept header of the expected file's format, and
the response is compared with the expected .srj / .tsv / .csv file:

- JSON and TSV are parsed (pyoxigraph) and compared as result sets: the same variables (as a set;
  SELECT * leaves their order open) and the same solutions, in order when the query has ORDER BY,
  blank nodes matched by a consistent renaming. Literals are compared by value, as the SPARQL 1.1
  test suite's description of result comparison allows (a runner may bring lexical forms to a
  canonical form and compare those): both sides are put in the canonical form Oxigraph's store
  gives a literal (an in-memory pyoxigraph Store round trip).
  That matters for tsv03: the store keeps "1.0E6"^^xsd:double as the value 1e6 (written
  "1000000") and "-3"^^xsd:negativeInteger as "-3"^^xsd:integer.
- CSV carries no term types, so it is compared as CSV text: the header names the columns, each
  row is the cells of those columns, blank node labels renamed consistently. The one allowance is
  the same canonical form: a cell that is the lexical form of a literal in the test's data may
  also appear in that literal's canonical form (csv03: 1.0E6 as 1000000).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection

from endpoint_support import W3C, Server, csv_rows, make_store, running_server

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
MANIFESTS = {"json-res": W3C / "json-res", "csv-tsv-res": W3C / "csv-tsv-res"}
ACCEPT = {".srj": "application/sparql-results+json", ".tsv": "text/tab-separated-values", ".csv": "text/csv"}
FORMATS = {".srj": ox.QueryResultsFormat.JSON, ".tsv": ox.QueryResultsFormat.TSV}


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # the mf:QueryEvaluationTest or mf:CSVResultFormatTest
    query: Path
    data: tuple[Path, ...]
    result: Path

    @property
    def ordered(self) -> bool:
        return re.search(r"\bORDER\s+BY\b", self.query.read_text(), re.IGNORECASE) is not None


def read_manifest(folder: Path) -> list[Entry]:
    base = f"http://example.org/{folder.name}/"
    graph = Graph().parse(folder / "manifest.ttl", format="turtle", publicID=base)
    manifest = next(graph.subjects(MF.entries, None))

    def local(node: object) -> Path:
        return folder / str(node).rsplit("/", 1)[-1]

    entries = []
    head = graph.value(manifest, MF.entries)
    assert head is not None
    for node in Collection(graph, head):
        action = graph.value(node, MF.action)
        entries.append(Entry(
            id=f"{folder.name}/{str(node).rsplit('#', 1)[-1]}",
            kind=str(graph.value(node, RDF.type)).rsplit("#", 1)[-1],
            query=local(graph.value(action, QT.query)),
            data=tuple(sorted(local(d) for d in graph.objects(action, QT.data))),
            result=local(graph.value(node, MF.result))))
    return entries


ENTRIES = [entry for folder in MANIFESTS.values() for entry in read_manifest(folder)]
DATA_FILES = sorted({file for entry in ENTRIES for file in entry.data})


def test_the_manifests_are_read_completely() -> None:
    assert [e.id for e in ENTRIES] == [
        "json-res/jsonres01", "json-res/jsonres02", "json-res/jsonres03", "json-res/jsonres04",
        "csv-tsv-res/csv01", "csv-tsv-res/tsv01", "csv-tsv-res/csv02", "csv-tsv-res/tsv02",
        "csv-tsv-res/csv03", "csv-tsv-res/tsv03"]
    for entry in ENTRIES:
        assert entry.query.is_file() and entry.result.is_file() and entry.data and all(d.is_file() for d in entry.data)
    assert {e.kind for e in ENTRIES} == {"QueryEvaluationTest", "CSVResultFormatTest"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[Path, ...], Server]]:
    """One read-only server per distinct data set (data.ttl of json-res, data.ttl and data2.ttl
    of csv-tsv-res), each on a store holding only that data in its default graph."""
    import contextlib

    with contextlib.ExitStack() as stack:
        found: dict[tuple[Path, ...], Server] = {}
        for data in sorted({entry.data for entry in ENTRIES}):
            folder = tmp_path_factory.mktemp("w3c-results")
            store = make_store(folder / "store", [(file, None) for file in data])
            found[data] = stack.enter_context(running_server(store, workers=1, deadline_s=10))
        yield found


# ------------------------------------------------------------------ canonical forms

@functools.cache
def _store() -> ox.Store:
    return ox.Store()


_SUBJECT, _PREDICATE = ox.NamedNode("urn:x-test:s"), ox.NamedNode("urn:x-test:p")


@functools.cache
def canonical(term: ox.Literal) -> ox.Literal:
    """The literal as Oxigraph's store gives it back: its value in canonical form."""
    store = _store()
    store.clear()
    store.add(ox.Quad(_SUBJECT, _PREDICATE, term))
    (quad,) = list(store)
    assert isinstance(quad.object, ox.Literal)
    return quad.object


def term_key(term: Any, bnodes: dict[str, str]) -> tuple[str, ...]:
    if term is None:
        return ("unbound",)
    if isinstance(term, ox.BlankNode):
        return ("bnode", bnodes.setdefault(term.value, f"b{len(bnodes)}"))
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    literal = canonical(term)
    return ("literal", literal.value, literal.datatype.value, literal.language or "")


def result_set(body: bytes, fmt: ox.QueryResultsFormat, ordered: bool) -> Any:
    """A comparable form: a bool, or (variables, rows). Rows keep their order when ``ordered``
    (blank nodes are then renamed in order of appearance: an isomorphism check); otherwise they
    are sorted with every blank node as one wildcard, and the number of distinct blank nodes kept."""
    parsed = ox.parse_query_results(body, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    variables = sorted(v.value for v in parsed.variables)
    bnodes: dict[str, str] = {}
    rows = [tuple(term_key(solution[name], bnodes) for name in variables) for solution in parsed]
    if ordered:
        return variables, rows
    wildcard = [tuple(("bnode", "*") if key[0] == "bnode" else key for key in row) for row in rows]
    return variables, sorted(wildcard), len(bnodes)


@functools.cache
def data_literals(data: tuple[Path, ...]) -> dict[str, set[str]]:
    """Lexical form of each literal in the data -> its lexical forms once stored."""
    forms: dict[str, set[str]] = {}
    for file in data:
        for triple in ox.parse(path=str(file), format=ox.RdfFormat.TURTLE):
            if isinstance(triple.object, ox.Literal):
                forms.setdefault(triple.object.value, {triple.object.value}).add(canonical(triple.object).value)
    return forms


def csv_table(text: str, ordered: bool, forms: dict[str, set[str]] | None = None) -> Any:
    """CSV as (sorted column names, rows of cells in that column order), blank nodes renamed.
    With ``forms``, a cell is replaced by the set of lexical forms the store may give it."""
    header, *lines = csv_rows(text)
    columns = sorted(range(len(header)), key=lambda i: header[i])
    bnodes: dict[str, str] = {}

    def cell(value: str) -> Any:
        if value.startswith("_:"):
            return "_:" + (bnodes.setdefault(value, f"b{len(bnodes)}") if ordered else "*")
        return frozenset(forms.get(value, {value})) if forms is not None else value

    rows = [tuple(cell(line[i]) for i in columns) for line in lines if line]
    return sorted(header), rows


def csv_matches(expected: Any, actual: Any, ordered: bool) -> bool:
    (expected_header, expected_rows), (actual_header, actual_rows) = expected, actual
    if expected_header != actual_header or len(expected_rows) != len(actual_rows):
        return False

    def row_matches(want: tuple[Any, ...], got: tuple[Any, ...]) -> bool:
        return all(g in w if isinstance(w, frozenset) else g == w for w, g in zip(want, got))

    if ordered:
        return all(row_matches(w, g) for w, g in zip(expected_rows, actual_rows))
    remaining = list(actual_rows)
    for want in expected_rows:
        match = next((i for i, got in enumerate(remaining) if row_matches(want, got)), None)
        if match is None:
            return False
        remaining.pop(match)
    return True


# ------------------------------------------------------------------ the tests

@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_result_format(entry: Entry, servers: dict[tuple[Path, ...], Server]) -> None:
    server = servers[entry.data]
    accept = ACCEPT[entry.result.suffix]
    with server.client() as client:
        response = client.post("/sparql", content=entry.query.read_bytes(),
                               headers={"content-type": "application/sparql-query", "accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == accept
    if entry.result.suffix == ".csv":
        assert entry.kind == "CSVResultFormatTest"
        actual = csv_table(response.content.decode("utf-8"), entry.ordered)
        expected = csv_table(entry.result.read_text(encoding="utf-8"), entry.ordered, data_literals(entry.data))
        assert csv_matches(expected, actual, entry.ordered), f"expected:\n{entry.result.read_text()}\nactual:\n{response.text}"
        return
    fmt = FORMATS[entry.result.suffix]
    expected = result_set(entry.result.read_bytes(), fmt, entry.ordered)
    actual = result_set(response.content, fmt, entry.ordered)
    assert actual == expected, f"expected:\n{entry.result.read_text()}\nactual:\n{response.text}"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.result.suffix != ".csv"], ids=lambda e: e.id)
@pytest.mark.parametrize("accept", ["application/sparql-results+xml", "application/sparql-results+json",
                                    "text/tab-separated-values"])
def test_same_results_in_every_typed_format(entry: Entry, accept: str, servers: dict[tuple[Path, ...], Server]) -> None:
    """The expected results, whichever typed results format the client asks for."""
    formats = {"application/sparql-results+xml": ox.QueryResultsFormat.XML,
               "application/sparql-results+json": ox.QueryResultsFormat.JSON,
               "text/tab-separated-values": ox.QueryResultsFormat.TSV}
    expected = result_set(entry.result.read_bytes(), FORMATS[entry.result.suffix], entry.ordered)
    if isinstance(expected, bool) and accept == "text/tab-separated-values":
        return  # TSV has no boolean form (SPARQL 1.1 Query Results CSV and TSV Formats)
    with servers[entry.data].client() as client:
        response = client.get("/sparql", params={"query": entry.query.read_text()}, headers={"accept": accept})
    assert response.status_code == 200, response.text
    assert result_set(response.content, formats[accept], entry.ordered) == expected
