"""The Python API: every command of ``alliances`` is one call here.

>>> from graph import api
>>> api.build()                                   # doctest: +SKIP
>>> store = api.open_store()                      # doctest: +SKIP
>>> api.show(store, "河钢")["id"]                  # doctest: +SKIP
'hbis'
"""
from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from graph.build import BuildSummary, build as _build, check
from graph.config import Settings
from graph.export import ExportFormat, export as _export
from graph.problems import Problem
from graph.profile import profile
from graph.records import record_files
from graph.query import NamedQuery, named_queries, run_named, run_sparql
from graph.render import render_matches, render_profile
from graph.resolve import Match, resolve, search as _search
from graph.results import OutputFormat, format_results
from graph.store import GraphStore, OxigraphStore, QueryResult

__all__ = ["build", "validate", "open_store", "query", "ask", "show", "search", "resolve", "export",
           "named_queries", "render_profile", "render_matches", "Settings", "OutputFormat", "ExportFormat",
           "BuildSummary", "Problem", "Match", "NamedQuery"]


def build(settings: Settings | None = None) -> BuildSummary:
    """Build the graph from data/ and ontology/; raises InvalidData and keeps the old graph if invalid."""
    return _build(settings)


def validate(settings: Settings | None = None, files: list[Path] | None = None) -> list[Problem]:
    """Problems of the records as they are now (the built graph is not touched).

    With ``files``, they are checked together with every record in data/ (which they may refer
    to), and only their own problems are returned.
    """
    settings = settings or Settings()
    if not files:
        return check(settings)
    known = record_files(settings.data_dir)
    extra = [f for f in files if f.resolve() not in {k.resolve() for k in known}]
    shown = {settings.display(f) for f in files}
    return [p for p in check(settings, known + extra) if p.file in shown]


def open_store(settings: Settings | None = None) -> OxigraphStore:
    """The built graph, read-only."""
    return OxigraphStore.open((settings or Settings()).store_path)


def query(store: GraphStore, name: str | None = None, sparql: str | None = None,
          params: dict[str, str] | None = None) -> QueryResult:
    """Results of a named query (with params) or of SPARQL text."""
    if name is not None:
        return run_named(store, name, params)
    if sparql is None:
        raise ValueError("give a query name or SPARQL text")
    return run_sparql(store, sparql)


def ask(store: GraphStore, name: str | None = None, sparql: str | None = None, params: dict[str, str] | None = None,
        fmt: OutputFormat = OutputFormat.TABLE, settings: Settings | None = None) -> bytes:
    """Like ``query``, formatted as the command line prints it."""
    return format_results(query(store, name, sparql, params), fmt, settings)


def show(store: GraphStore, name: str) -> dict[str, Any]:
    """The profile (documented JSON) of the entity ``name`` resolves to."""
    return profile(store, name)


def search(store: GraphStore, text: str, kind: str | None = None, limit: int = 10) -> list[Match]:
    return _search(store, text, kind=kind, limit=limit)


def export(store: GraphStore, output: IO[bytes], fmt: ExportFormat) -> None:
    _export(store, output, fmt)
