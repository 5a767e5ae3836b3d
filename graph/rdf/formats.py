"""The RDF and SPARQL results formats, under the short names the command line and the pages use.

pyoxigraph's ``RdfFormat`` and ``QueryResultsFormat`` know each format's media type, file
extension and the aliases clients send (``RdfFormat.from_media_type("application/json")`` is
JSON-LD). This module adds only what is ours: the names (``turtle``, ``jsonld``, ``csv``), labels
for pages, the order in which the endpoint offers the formats (the first is the default), and which
of pyoxigraph's aliases the endpoint also answers under. Every front end reads these two tables:
``alliances query`` and ``export``, the endpoint's content negotiation, the explorer's downloads
and entity pages.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import pyoxigraph as ox

F = TypeVar("F", ox.RdfFormat, ox.QueryResultsFormat)


@dataclass(frozen=True)
class Format(Generic[F]):
    """One format: pyoxigraph's, with our name and label and the aliases the endpoint answers under."""

    name: str
    label: str
    format: F
    aliases: tuple[str, ...] = ()  # other media types that pyoxigraph maps to ``format`` (tests/test_formats.py)
    other_names: tuple[str, ...] = ()  # e.g. 'xml' for RDF/XML, as `alliances query --format xml` says for a graph

    @property
    def media_type(self) -> str:
        """The media type without parameters (pyoxigraph gives CSV and TSV with '; charset=utf-8')."""
        return self.format.media_type.split(";")[0].strip()

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)

    @property
    def extension(self) -> str:
        return self.format.file_extension

    @property
    def keeps_graphs(self) -> bool:
        """Whether the format writes named graphs (quads), so each statement keeps its source."""
        return bool(getattr(self.format, "supports_datasets", False))  # results formats have no such notion


# SELECT and ASK results, in the endpoint's order of preference.
RESULTS: tuple[Format[ox.QueryResultsFormat], ...] = (
    Format("json", "JSON", ox.QueryResultsFormat.JSON, ("application/json",)),
    Format("xml", "XML", ox.QueryResultsFormat.XML, ("application/xml", "text/xml")),
    Format("csv", "CSV", ox.QueryResultsFormat.CSV),
    Format("tsv", "TSV", ox.QueryResultsFormat.TSV),
)
# CONSTRUCT and DESCRIBE results, entity pages and exports, in the endpoint's order of preference.
GRAPHS: tuple[Format[ox.RdfFormat], ...] = (
    Format("turtle", "Turtle", ox.RdfFormat.TURTLE, ("application/x-turtle",)),
    Format("ntriples", "N-Triples", ox.RdfFormat.N_TRIPLES, ("text/plain",)),
    Format("nquads", "N-Quads", ox.RdfFormat.N_QUADS),
    Format("trig", "TriG", ox.RdfFormat.TRIG),
    Format("jsonld", "JSON-LD", ox.RdfFormat.JSON_LD, ("application/json",)),
    Format("rdfxml", "RDF/XML", ox.RdfFormat.RDF_XML, ("application/xml",), other_names=("xml",)),
)


def named(formats: Sequence[Format[F]], name: str) -> Format[F] | None:
    """The format a project name means in ``formats`` ('turtle', 'csv', 'xml'), or None."""
    return next((f for f in formats if name == f.name or name in f.other_names), None)


def offers(formats: Sequence[Format[F]]) -> list[str]:
    """The media types to negotiate over, in order of preference: each format's own type, then
    its aliases, so that a client that names an alias gets it and any other client the type."""
    return [media for f in formats for media in f.media_types]


def for_media_type(formats: Sequence[Format[F]], media: str) -> Format[F] | None:
    """The format of ``formats`` that a media type (or one of its aliases) names; parameters are ignored."""
    media = media.split(";")[0].strip().lower()
    return next((f for f in formats if media in f.media_types), None)


def listed(formats: Sequence[Format[F]]) -> str:
    """The media types for a message: 'text/turtle, application/n-triples or application/trig'."""
    types = [f.media_type for f in formats]
    return ", ".join(types[:-1]) + " or " + types[-1] if len(types) > 1 else "".join(types)
