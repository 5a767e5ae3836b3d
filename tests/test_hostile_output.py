"""Hostile text in the graph reaches no spreadsheet formula, no ill-formed XML and no terminal
escape sequence, through the command line, the network exports, the endpoint and the explorer.

The build refuses control characters in records, so the hostile label is put into a copy of the
built store directly: HBIS's English name becomes a formula followed by control characters and
Chinese, in every graph that held the old name.
"""
from __future__ import annotations

import csv
import gc
import io
import json
import shutil
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import networkx as nx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from starlette.applications import Starlette
from wcwidth import wcswidth

from graph.cli import main
from graph.config import Settings
from graph.safe_output import FORMULA_START, csv_cell
from graph.serve.context import ServeSettings
from graph.serve.explorer import explorer_routes
from graph.rdf.store import OxigraphStore

from conftest import explorer_context
from endpoint_support import Server, running_server

with warnings.catch_warnings():  # starlette asks for httpx2; the project's test extra installs httpx
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

HOSTILE = '=HYPERLINK("http://evil.example/","HBIS")\x00\x01\x0b\x1b[2J河钢'
IN_XML = HOSTILE.translate({0x00: "\ufffd", 0x01: "\ufffd", 0x0B: "\ufffd", 0x1B: "\ufffd"})
ON_TERMINAL = '=HYPERLINK("http://evil.example/","HBIS")\\x00\\x01\\x0b\\x1b[2J河钢'
RAW_CONTROLS = ("\x00", "\x01", "\x0b", "\x1b")
BASE = "https://w3id.org/alliance-graph/id/"
HBIS = f"{BASE}organisation/hbis"
PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
DISPLAY_LABEL = ox.NamedNode("https://w3id.org/alliance-graph/ontology#displayLabel")
LABEL_QUERY = f'SELECT ?label WHERE {{ <{HBIS}> skos:prefLabel ?label FILTER (LANG(?label) = "en") }}'
TABLE_QUERY = ('SELECT ?name ?lang WHERE { VALUES (?name ?lang) { ("河钢集团" "zh") ("HBIS\\u001B[2J\\u0000\\u0001" "x") '
               '("HBIS Group" "en") ("河钢\\u000B集团" "y") } }')
CONSTRUCT = f"CONSTRUCT {{ <{HBIS}> skos:prefLabel ?label }} WHERE {{ <{HBIS}> skos:prefLabel ?label }}"


@pytest.fixture(scope="module")
def hostile(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the built graph where HBIS's English name, and so its display label, is HOSTILE."""
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "store.builds" / "1"
    shutil.copytree(built.store_path.resolve(), folder)
    (root / "store").symlink_to(folder)
    store = ox.Store(str(folder))
    old = [q for predicate in (PREF_LABEL, DISPLAY_LABEL) for q in store.quads_for_pattern(ox.NamedNode(HBIS), predicate, None, None)
           if isinstance(q.object, ox.Literal) and q.object.language == "en"]
    assert {q.predicate for q in old} == {PREF_LABEL, DISPLAY_LABEL}, "HBIS has an English name in the seed data"
    for quad in old:
        store.remove(quad)
        store.add(ox.Quad(quad.subject, quad.predicate, ox.Literal(HOSTILE, language="en"), quad.graph_name))
    store.flush()
    del store
    gc.collect()  # pyoxigraph releases the database with the handle
    return Settings(store_path=root / "store")


def run(settings: Settings, *args: str) -> Result:
    """The command as a terminal would run it: click leaves escape sequences in (color=True)."""
    return CliRunner().invoke(main, ["--store", str(settings.store_path), *args], color=True)


def assert_terminal_safe(output: str) -> None:
    assert not any(c in output for c in RAW_CONTROLS), repr(output)


# ------------------------------------------------------------------ terminal

@pytest.mark.parametrize("args", [("show", "hbis"), ("search", "hbis"), ("query", "--sparql", LABEL_QUERY),
                                  ("network", "--limit", "200"), ("path", "hbis", "bmw-group")])
def test_terminal_output_shows_control_characters_as_escapes(hostile: Settings, args: tuple[str, ...]) -> None:
    result = run(hostile, *args)
    assert result.exit_code == 0, result.output
    assert_terminal_safe(result.output)
    assert ON_TERMINAL[:45] in result.output  # '...")\\x00': visible (tables may wrap the rest)


def test_query_table_stays_aligned_with_escapes_and_chinese(hostile: Settings) -> None:
    result = run(hostile, "query", "--sparql", TABLE_QUERY)
    assert result.exit_code == 0, result.output
    assert_terminal_safe(result.output)
    lines = result.output.splitlines()[:-1]  # the last line counts the rows
    assert any("河钢集团" in line for line in lines) and any("\\x1b[2J" in line for line in lines)
    rule = lines[1]  # "-----  ----": where each column starts and ends
    second_column = rule.index(" -") + 1
    for line in lines[2:]:
        lang = line.rstrip().rsplit(" ", 1)[-1]
        assert wcswidth(line.rstrip()) == second_column + len(lang), line  # the language column starts in one place


def test_error_messages_show_control_characters_as_escapes(hostile: Settings) -> None:
    result = run(hostile, "show", "nobody\x1b[2J\x07")
    assert result.exit_code == 2
    message = result.output.replace("\x1b[31m", "").replace("\x1b[0m", "")  # our own red, on a terminal
    assert_terminal_safe(message)
    assert "\x07" not in message and "nobody\\x1b[2J\\x07" in message


def test_json_output_stays_json(hostile: Settings) -> None:
    result = run(hostile, "show", "hbis", "--format", "json")
    assert json.loads(result.stdout)["label"] == HOSTILE


# ------------------------------------------------------------------ CSV and TSV

def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert cell[:1] not in FORMULA_START or csv_cell(cell) == cell, cell  # only plain numbers


def test_csv_outputs_neutralise_formula_cells(hostile: Settings, tmp_path: Path) -> None:
    query = run(hostile, "query", "--sparql", LABEL_QUERY, "--format", "csv")
    network = run(hostile, "network", "--format", "csv")
    target = tmp_path / "edges.csv"
    export = run(hostile, "export", "csv", "-o", str(target))
    assert query.exit_code == network.exit_code == export.exit_code == 0, (query.output, network.output, export.output)
    for text in (query.stdout, network.stdout, target.read_text(encoding="utf-8")):
        rows = csv_cells(text)
        assert "'" + HOSTILE in {cell for row in rows for cell in row}
        assert_no_formula(rows)


def test_tsv_output_escapes_the_formula_and_keeps_the_value(hostile: Settings) -> None:
    result = run(hostile, "query", "--sparql", LABEL_QUERY, "--format", "tsv")
    assert result.exit_code == 0
    assert result.stdout_bytes.split(b"\n")[1].startswith(b'"\\u003DHYPERLINK(')
    parsed = list(ox.parse_query_results(result.stdout_bytes, format=ox.QueryResultsFormat.TSV))  # type: ignore[arg-type]
    assert parsed[0]["label"] == ox.Literal(HOSTILE, language="en")


# ------------------------------------------------------------------ XML

def parse_xml(body: bytes) -> ET.Element:
    root = ET.fromstring(body)  # well-formed
    assert b"replaced by U+FFFD" in body  # and the document says what happened
    return root


def test_xml_outputs_are_well_formed(hostile: Settings, tmp_path: Path) -> None:
    results = run(hostile, "query", "--sparql", LABEL_QUERY, "--format", "xml")
    rdf = run(hostile, "query", "--sparql", CONSTRUCT, "--format", "xml")
    assert results.exit_code == rdf.exit_code == 0
    literals = [e.text for e in parse_xml(results.stdout_bytes).iter("{http://www.w3.org/2005/sparql-results#}literal")]
    assert literals == [IN_XML]
    assert ox.Literal(IN_XML, language="en") in {t.object for t in ox.parse(rdf.stdout_bytes, format=ox.RdfFormat.RDF_XML)}
    parse_xml(rdf.stdout_bytes)
    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        target = tmp_path / f"n.{fmt}"
        assert run(hostile, "export", fmt, "-o", str(target)).exit_code == 0
        parse_xml(target.read_bytes())
        graph = read(target)
        assert IN_XML in {data.get("label") for _, data in graph.nodes(data=True)}


# ------------------------------------------------------------------ the endpoint and the explorer

@pytest.fixture(scope="module")
def server(hostile: Settings) -> Iterator[Server]:
    with running_server(hostile.store_path, workers=1) as running:
        yield running


def ask(server: Server, query: str, accept: str) -> bytes:
    response = httpx.get(server.sparql, params={"query": query}, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def test_endpoint_csv_and_tsv_neutralise_formula_cells(server: Server) -> None:
    rows = csv_cells(ask(server, LABEL_QUERY, "text/csv").decode())
    assert rows == [["label"], ["'" + HOSTILE]]
    tsv = ask(server, LABEL_QUERY, "text/tab-separated-values")
    assert tsv.split(b"\n")[1].startswith(b'"\\u003DHYPERLINK(')
    parsed = list(ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV))  # type: ignore[arg-type]
    assert parsed[0]["label"] == ox.Literal(HOSTILE, language="en")


def test_endpoint_xml_results_and_rdf_xml_are_well_formed(server: Server) -> None:
    results = parse_xml(ask(server, LABEL_QUERY, "application/sparql-results+xml"))
    assert [e.text for e in results.iter("{http://www.w3.org/2005/sparql-results#}literal")] == [IN_XML]
    made = parse_xml(ask(server, 'SELECT ("a\\u0001b" AS ?x) {}', "application/sparql-results+xml"))
    assert [e.text for e in made.iter("{http://www.w3.org/2005/sparql-results#}literal")] == ["a\ufffdb"]
    rdf = ask(server, CONSTRUCT, "application/rdf+xml")
    parse_xml(rdf)
    assert ox.Literal(IN_XML, language="en") in {t.object for t in ox.parse(rdf, format=ox.RdfFormat.RDF_XML)}


def test_explorer_rdf_xml_is_well_formed(hostile: Settings) -> None:
    store = OxigraphStore.open(hostile.store_path)
    context = explorer_context(ServeSettings(store_path=hostile.store_path, base=hostile.base), store)
    with TestClient(Starlette(routes=explorer_routes(context))) as client:
        response = client.get("/id/organisation/hbis", params={"format": "rdfxml"})
    store.close()
    assert response.status_code == 200
    parse_xml(response.content)
    assert ox.Literal(IN_XML, language="en") in {t.object for t in ox.parse(response.content, format=ox.RdfFormat.RDF_XML)}
