"""The one table of formats (graph.rdf.formats) on top of pyoxigraph's own, and its users:
the command line's names, the endpoint's content negotiation and the explorer's downloads."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox
import pytest

from graph.ask.export import ExportFormat
from graph.ask.results import OutputFormat
from graph.config import PROJECT_ROOT
from graph.rdf.formats import GRAPHS, RESULTS, Format, for_media_type, listed, named, offers
from graph.serve.protocol import choose_format


@pytest.mark.parametrize("fmt", GRAPHS + RESULTS, ids=lambda f: f.name)
def test_each_alias_is_one_pyoxigraph_reads_as_that_format(fmt: Format[Any]) -> None:
    """The aliases are pyoxigraph's, not ours: each maps to the format in pyoxigraph itself."""
    for media in fmt.media_types:
        assert type(fmt.format).from_media_type(media) == fmt.format, media
    assert type(fmt.format).from_extension(fmt.extension) == fmt.format


def test_names_and_media_types_name_one_format_each() -> None:
    tables: tuple[Sequence[Format[Any]], ...] = (GRAPHS, RESULTS)
    for formats in tables:
        names = [name for f in formats for name in (f.name, *f.other_names)]
        assert len(names) == len(set(names))
        assert len(offers(formats)) == len(set(offers(formats)))
        for f in formats:
            assert named(formats, f.name) is f
            assert all(for_media_type(formats, media) is f for media in f.media_types)
    assert for_media_type(RESULTS, "TEXT/CSV; charset=utf-8") is named(RESULTS, "csv")
    assert named(GRAPHS, "xml") is named(GRAPHS, "rdfxml")  # `alliances query --format xml` on a graph


def test_the_command_line_names_are_formats_of_the_table() -> None:
    assert {f.rdf_format for f in ExportFormat} == {ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS, ox.RdfFormat.TURTLE,
                                                    ox.RdfFormat.JSON_LD}
    for member in OutputFormat:
        if member is not OutputFormat.TABLE:
            assert member.results_format is not None or member.rdf_format is not None, member
    assert OutputFormat.XML.results_format == ox.QueryResultsFormat.XML
    assert OutputFormat.XML.rdf_format == ox.RdfFormat.RDF_XML
    assert OutputFormat.JSON.rdf_format is None and OutputFormat.JSONLD.results_format is None


@pytest.mark.parametrize("accept, formats, expected", [
    (None, RESULTS, ("application/sparql-results+json", "json")),
    ("*/*", GRAPHS, ("text/turtle", "turtle")),
    ("application/json", RESULTS, ("application/json", "json")),  # an alias is answered under its own name
    ("application/json", GRAPHS, ("application/json", "jsonld")),
    ("text/xml", RESULTS, ("text/xml", "xml")),
    ("text/plain", GRAPHS, ("text/plain", "ntriples")),
    ("text/csv;q=0.5, application/sparql-results+xml", RESULTS, ("application/sparql-results+xml", "xml")),
])
def test_choose_format(accept: str | None, formats: Sequence[Format[Any]], expected: tuple[str, str]) -> None:
    chosen = choose_format(accept, formats)
    assert chosen is not None and (chosen[0], chosen[1].name) == expected


def test_choose_format_none_when_nothing_fits() -> None:
    assert choose_format("image/png", GRAPHS) is None
    assert choose_format("text/plain", RESULTS) is None  # pyoxigraph reads it as CSV; the endpoint does not offer it


def test_listed() -> None:
    assert listed(RESULTS) == ("application/sparql-results+json, application/sparql-results+xml, text/csv "
                               "or text/tab-separated-values")


def test_no_other_module_keeps_a_table_of_media_types() -> None:
    """Every RDF and results media type is written in graph/rdf/formats.py only (one home)."""
    types = {f.media_type for f in GRAPHS + RESULTS}
    pattern = re.compile("|".join(re.escape(f'"{media}') for media in sorted(types)))
    found = [f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
             for path in sorted((PROJECT_ROOT / "graph").rglob("*.py")) if path.name != "formats.py"
             for match in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert not found, found
