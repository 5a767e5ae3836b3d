"""The rules of graph.safe_output on their own: CSV cells a spreadsheet could run, SPARQL CSV and
TSV as Oxigraph writes them, characters XML 1.0 forbids, control characters on a terminal.

Results come from real queries on an in-memory Oxigraph store, so the tests see what Oxigraph
actually writes (quoting, Turtle escapes, bare numbers)."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from wcwidth import wcswidth

from graph.safe_output import (
    FORMULA_START, csv_cell, neutralise_csv, neutralise_tsv, safe_serialisation, terminal_safe, xml_safe,
)

CSV = ox.QueryResultsFormat.CSV
TSV = ox.QueryResultsFormat.TSV
XML = ox.QueryResultsFormat.XML
JSON = ox.QueryResultsFormat.JSON
RISKY = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "\x00=1", '=HYPERLINK("http://evil.example/","x")',
         "-", "+", "-3 ", "-INF", "=x, with a comma", '=say "hi"']
NUMBERS = ["-3", "+3", "2.2", "-2.5", ".5", "-.5", "1.0E6", "-1e-3", "0", "42"]
HARMLESS = ["", "a7", "4,4", "河钢集团", "http://example.org/s1", "'quoted", " =not at the start"]
# a SPARQL query that makes one row of these strings (Oxigraph decodes the \\u escapes)
QUERY_VALUES = RISKY + HARMLESS


def sparql_string(text: str) -> str:
    return '"' + "".join(f"\\u{ord(c):04X}" for c in text) + '"'


def one_row_query(values: list[str]) -> str:
    return "SELECT " + " ".join(f"({sparql_string(v)} AS ?v{i})" for i, v in enumerate(values)) + " (-3 AS ?n) {}"


@pytest.fixture(scope="module")
def memory() -> ox.Store:
    return ox.Store()


def serialise(store: ox.Store, query: str, fmt: ox.QueryResultsFormat) -> bytes:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return result.serialize(format=fmt) or b""


# ------------------------------------------------------------------ CSV

@pytest.mark.parametrize("text", RISKY)
def test_a_cell_that_could_run_gets_a_quote(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", NUMBERS + HARMLESS)
def test_plain_numbers_and_other_text_stay(text: str) -> None:
    assert csv_cell(text) == text


def test_values_that_are_not_text() -> None:
    assert csv_cell(None) == "" and csv_cell(-3) == "-3" and csv_cell(0.25) == "0.25"
    assert csv_cell(float("-inf")) == "'-inf"  # not a plain number: a spreadsheet would read a formula


def test_sparql_csv_is_neutralised_cell_by_cell(memory: ox.Store) -> None:
    body = serialise(memory, one_row_query(QUERY_VALUES), CSV)
    header, row = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert row[: len(RISKY)] == RISKY  # as Oxigraph writes them: ready to run in a spreadsheet
    safe = neutralise_csv(body)
    safe_header, safe_row = list(csv.reader(io.StringIO(safe.decode(), newline="")))
    assert safe_header == header
    assert safe_row == [csv_cell(value) for value in QUERY_VALUES] + ["-3"]
    assert safe_row[: len(RISKY)] == ["'" + value for value in RISKY]
    assert safe.startswith(body.split(b"\r\n")[0] + b"\r\n") and safe.endswith(b"\r\n")  # SPARQL CSV keeps CRLF


def test_sparql_csv_without_risky_cells_is_left_byte_for_byte(memory: ox.Store) -> None:
    body = serialise(memory, one_row_query(HARMLESS + NUMBERS), CSV)
    assert neutralise_csv(body) == body


def test_a_literal_longer_than_csv_field_limit(memory: ox.Store) -> None:
    long = "=" + "x" * 200_000
    safe = neutralise_csv(serialise(memory, f'SELECT ("{long}" AS ?x) {{}}', CSV))
    assert safe.decode().splitlines()[1] == "'" + long


# ------------------------------------------------------------------ TSV

def tsv_values(body: bytes) -> list[ox.Literal]:
    solution = next(iter(ox.parse_query_results(body, format=TSV)))  # type: ignore[arg-type]
    return [solution[i] for i in range(len(QUERY_VALUES) + 1)]


def test_sparql_tsv_escapes_the_first_character_and_loses_nothing(memory: ox.Store) -> None:
    query = one_row_query(QUERY_VALUES)
    body = serialise(memory, query, TSV)
    safe = neutralise_tsv(body)
    assert safe != body
    assert tsv_values(safe) == tsv_values(body)  # a SPARQL client reads the same terms back
    assert [t.value for t in tsv_values(safe)[: len(QUERY_VALUES)]] == QUERY_VALUES
    for cell in safe.decode().split("\n")[1].split("\t"):
        as_spreadsheet_reads_it = cell[1:] if cell.startswith('"') else cell  # the quotes are stripped
        assert as_spreadsheet_reads_it[:1] not in FORMULA_START or cell == "-3", cell


def test_sparql_tsv_typed_and_tagged_literals(memory: ox.Store) -> None:
    query = ('PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT ("=1"@en AS ?a) ("-1+1"^^xsd:integer AS ?b) '
             '("-1.5E3"^^xsd:double AS ?c) (-3 AS ?d) {}')
    safe = neutralise_tsv(serialise(memory, query, TSV)).decode()
    assert safe.split("\n")[1].split("\t") == [
        '"\\u003D1"@en', '"\\u002D1+1"^^<http://www.w3.org/2001/XMLSchema#integer>',
        '"\\u002D1500"^^<http://www.w3.org/2001/XMLSchema#double>', "-3"]
    parsed = ox.parse_query_results(safe.encode(), format=TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    assert next(iter(parsed))["b"] == ox.Literal("-1+1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


# ------------------------------------------------------------------ XML

CONTROL = "a\x00b\x01c\x0bd\x1b[2Je\ufffe"


def test_sparql_xml_results_become_well_formed(memory: ox.Store) -> None:
    body = serialise(memory, f"SELECT ({sparql_string(CONTROL)} AS ?x) ('河钢' AS ?y) {{}}", XML)
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    safe = xml_safe(body)
    root = ET.fromstring(safe)
    literals = [e.text for e in root.iter("{http://www.w3.org/2005/sparql-results#}literal")]
    assert literals == ["a\ufffdb\ufffdc\ufffdd\ufffd[2Je\ufffd", "河钢"]
    assert b"<!-- 5 characters that XML 1.0 forbids" in safe and safe.startswith(b'<?xml version="1.0"?>\n<!--')


def test_rdf_xml_becomes_well_formed() -> None:
    triple = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal(CONTROL))
    body = ox.serialize([triple], format=ox.RdfFormat.RDF_XML) or b""
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    parsed = list(ox.parse(safe_serialisation(body, ox.RdfFormat.RDF_XML), format=ox.RdfFormat.RDF_XML))
    assert [t.object.value for t in parsed] == ["a\ufffdb\ufffdc\ufffdd\ufffd[2Je\ufffd"]


def test_xml_without_forbidden_characters_is_left_as_it_is(memory: ox.Store) -> None:
    body = serialise(memory, "SELECT ('tab\\there, 河钢, line\\nbreak' AS ?x) {}", XML)
    assert xml_safe(body) == body


def test_other_formats_pass_unchanged(memory: ox.Store) -> None:
    body = serialise(memory, f"SELECT ({sparql_string(CONTROL)} AS ?x) {{}}", JSON)
    assert safe_serialisation(body, JSON) == body


# ------------------------------------------------------------------ terminal

def test_control_characters_are_shown_not_sent() -> None:
    shown = terminal_safe("HBIS\x1b[2J\x00\x01\x0b\x7f\x9b\u202e\tend\r\nnext 河钢集团")
    assert shown == "HBIS\\x1b[2J\\x00\\x01\\x0b\\x7f\\x9b\\u202e\\tend\\r\nnext 河钢集团"
    assert all(c == "\n" or c.isprintable() for c in shown)
    assert wcswidth(shown.split("\n")[1]) == len("next ") + 8  # wide characters stay wide
