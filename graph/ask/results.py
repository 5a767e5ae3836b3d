"""Query results as a readable table or in a standard format.

SELECT and ASK results use the SPARQL results formats that Oxigraph writes itself (JSON, XML,
CSV, TSV); CONSTRUCT and DESCRIBE results use RDF formats. Both pass through graph.safe_output
(CSV/TSV cells a spreadsheet could run, characters XML forbids). The table uses tabulate, with
wcwidth so that Chinese names line up, and shows control characters as escapes.
"""
from __future__ import annotations

from enum import Enum

import pyoxigraph as ox
from tabulate import tabulate

from graph.config import Settings
from graph.errors import AllianceError
from graph.rdf.formats import GRAPHS, RESULTS, named
from graph.safe_output import safe_serialisation, terminal_safe
from graph.rdf.store import QueryResult


class OutputFormat(str, Enum):
    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    XML = "xml"
    TURTLE = "turtle"
    JSONLD = "jsonld"
    NTRIPLES = "ntriples"

    @property
    def results_format(self) -> ox.QueryResultsFormat | None:
        found = named(RESULTS, self.value)
        return found.format if found is not None else None

    @property
    def rdf_format(self) -> ox.RdfFormat | None:
        """For a CONSTRUCT or DESCRIBE result ('xml' is RDF/XML here)."""
        found = named(GRAPHS, self.value)
        return found.format if found is not None else None


def short(term: object, base: str) -> str:
    """A cell: entity IRIs as kind/id, literals as their text."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value.removeprefix(base).removeprefix("https://w3id.org/alliance-graph/taxonomy/")
    return str(getattr(term, "value", term))


def format_results(result: QueryResult, fmt: OutputFormat, settings: Settings | None = None) -> bytes:
    base = (settings or Settings()).base
    if isinstance(result, ox.QueryTriples):
        rdf = fmt.rdf_format or (ox.RdfFormat.TURTLE if fmt is OutputFormat.TABLE else None)
        if rdf is None:
            raise AllianceError(f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt.value}; use turtle, jsonld, ntriples or xml")
        from graph.rdf.namespaces import PREFIXES
        return safe_serialisation(ox.serialize(result, format=rdf, prefixes=PREFIXES if rdf is ox.RdfFormat.TURTLE else None) or b"", rdf)
    if fmt.results_format is not None:
        return safe_serialisation(result.serialize(format=fmt.results_format) or b"", fmt.results_format)
    if fmt is not OutputFormat.TABLE:
        raise AllianceError(f"a SELECT or ASK result cannot be written as {fmt.value}; use table, csv, tsv, json or xml")
    if isinstance(result, ox.QueryBoolean):
        return b"true\n" if bool(result) else b"false\n"
    names = [variable.value for variable in result.variables]
    rows = [[terminal_safe(short(row[name], base)) for name in names] for row in result]
    table = tabulate(rows, headers=names, tablefmt="simple", disable_numparse=True, maxcolwidths=60)
    return f"{table}\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n".encode()
