"""The Python API: every command of ``alliances`` is one call here.

Build the graph of data/ (into ``ALLIANCES_STORE``, else ``.alliances/store``), open it, and ask
it in any language (these examples run in the tests, tests/test_doctests.py):

>>> from graph import api
>>> summary = api.build()
>>> print(summary.text())  # doctest: +ELLIPSIS
Built ... from ... record files in ... s:
  ... triples in ... named graphs
...
>>> store = api.open_store()
>>> api.show(store, "河钢")["id"]
'hbis'
>>> api.resolve(store, "西马克").label
'SMS group'
>>> table = api.ask(store, sparql='SELECT ?name WHERE { ?o skos:prefLabel ?name, "HBIS Group"@en } ORDER BY ?name')
>>> print(table.decode(), end="")
name
----------
HBIS Group
河钢集团
(2 rows)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from graph.config import Settings
from graph.ask.export import ExportFormat, export as _export
from graph.problems import Problem
from graph.ask.profile import profile
from graph.records import record_files
from graph.ask.query import NamedQuery, named_queries, run_named, run_sparql
from graph.ask.render import render_matches, render_profile
from graph.ask.resolve import Match, resolve, search as _search
from graph.network.landscape import cycles_uncollected
from graph.ask.results import OutputFormat, format_results
from graph.rdf.store import GraphStore, OxigraphStore, QueryResult

if TYPE_CHECKING:
    from graph.build.pipeline import BuildSummary
    from graph.changes.compare import Comparison
    from graph.network.filters import NetworkFilter
    from graph.network.projections import Level
    from graph.network.timeline import By
    from graph.visualise.view import AllianceView, EdgeBy, EdgeWidth

__all__ = ["build", "validate", "open_store", "query", "ask", "show", "search", "resolve", "export",
           "named_queries", "render_profile", "render_matches", "Settings", "OutputFormat", "ExportFormat",
           "BuildSummary", "Problem", "Match", "NamedQuery", "rank", "connections", "timeline", "network_view",
           "export_network", "network_filter", "changes"]


def build(settings: Settings | None = None) -> BuildSummary:
    """Build the graph from data/ and ontology/; raises InvalidData and keeps the old graph if invalid."""
    from graph.build.pipeline import build as _build  # pySHACL and the build load only when needed

    return _build(settings)


def validate(settings: Settings | None = None, files: list[Path] | None = None) -> list[Problem]:
    """Problems of the records as they are now (the built graph is not touched).

    With ``files``, they are checked together with every record in data/ (which they may refer
    to), and only their own problems are returned.
    """
    from graph.build.pipeline import check

    settings = settings or Settings()
    if not files:
        return check(settings)
    known = record_files(settings.data_dir)
    extra = [f for f in files if f.resolve() not in {k.resolve() for k in known}]
    shown = {settings.display(f) for f in files}
    return [p for p in check(settings, known + extra) if p.file in shown]


def changes(settings: Settings | None = None, since: str | None = None, watch: list[str] | None = None) -> Comparison:
    """What changed since the build ``since`` names (a kept build id, a git revision or a date;
    the previous build by default), optionally only what concerns the ``watch`` organisations."""
    from graph.changes.builds import changes_since

    return changes_since(settings or Settings(), since, watch or [])


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


# ------------------------------------------------------------------ networks

def network_filter(store: GraphStore, **filters: Any) -> "NetworkFilter":
    """A NetworkFilter from names: material, pathway, alliance_type, sector, country, status, year_from,
    year_to, focus, depth (see graph.network.options.make_filter)."""
    from graph.network.options import make_filter
    return make_filter(store, **filters)


@cycles_uncollected()  # the whole command: a collection between its steps walks all they made
def rank(store: GraphStore, by: str = "pagerank", level: Level = "company", **filters: Any) -> "Ranking":
    """Organisations ranked by a measure, with degree, community and component (the other measures
    are not computed)."""
    from graph.network.landscape_cache import landscape_of
    from graph.network.measures import measure, ranked
    from graph.network.projections import organisation_network
    flt = network_filter(store, **filters)
    landscape = landscape_of(store, flt.needs)  # organisations and parties, and topics only to filter by them
    report = measure(organisation_network(landscape, flt, level, details=False), only=by)
    rows = [{k: v for k, v in row.items() if k != "iri"} for row in ranked(report, by)]
    for row in rows:
        row["sector"] = landscape.label(row["sector"]) if row["sector"] else None
    return Ranking(rows, report.notes)


@dataclass
class Ranking:
    rows: list[dict[str, Any]]
    notes: list[str]


@dataclass
class Connections:
    a: str
    b: str
    paths: list[Any]

    def text(self) -> str:
        from graph.network.paths import render_paths
        return render_paths(self.paths, self.a, self.b)

    def as_json(self) -> dict[str, Any]:
        from graph.network.paths import paths_as_json
        return {"from": self.a, "to": self.b, "paths": paths_as_json(self.paths)}


@cycles_uncollected()  # the whole command: a collection between its steps walks all they made
def connections(store: GraphStore, a: str, b: str, **filters: Any) -> Connections:
    """Shortest connections between two organisations (any names), each hop explained."""
    from graph.network.landscape_cache import landscape_of
    from graph.network.paths import explain_paths
    first, second = resolve(store, a, "organisation"), resolve(store, b, "organisation")
    flt = network_filter(store, **filters)
    landscape = landscape_of(store, flt.needs)  # the hops' alliances are read in full once found
    return Connections(first.label, second.label, explain_paths(landscape, first.iri, second.iri, flt, store=store))


def timeline(store: GraphStore, by: By = "material", **filters: Any) -> list[dict[str, Any]]:
    from graph.network.landscape_cache import landscape_of
    from graph.network.timeline import timeline as _timeline
    return _timeline(landscape_of(store, frozenset(("topics",))), by, network_filter(store, **filters))


@cycles_uncollected()  # the whole command: a collection between its steps walks all they made
def network_view(store: GraphStore, level: Level = "company", size_by: str = "pagerank", edge_colour: EdgeBy = "material",
                 title: str | None = None, edge_width: "EdgeWidth" = "alliances", **filters: Any) -> "AllianceView":
    """The drawing of the network as an object (a pyvis Network and the page's data)."""
    from graph.network.landscape_cache import landscape_of
    from graph.visualise.view import build_view
    return build_view(landscape_of(store), network_filter(store, **filters), level, size_by, edge_colour, title,
                      edge_width)


@cycles_uncollected()  # the whole command: a collection between its steps walks all they made
def export_network(store: GraphStore, fmt: str, path: Path, level: Level = "company", size_by: str = "pagerank",
                   edge_colour: EdgeBy = "material", title: str | None = None, width: int = 1920, height: int = 1080,
                   edge_width: EdgeWidth = "alliances", sources: str = "compact", progress: "Stage | None" = None,
                   **filters: Any) -> Path:
    """Write the network as html, png, svg, graphml, gexf or csv; nothing is written on failure.

    ``edge_width``: line width by the number of shared alliances or by contracted volume;
    ``sources``: images list their sources in one line (compact) or in full below the picture;
    ``progress``: told each step as it starts (the CLI shows them on a terminal)."""
    from graph.network.landscape_cache import landscape_of
    stage = progress or _quiet
    stage("reading the network")
    landscape = landscape_of(store)
    flt = network_filter(store, **filters)
    if fmt in ("graphml", "gexf", "csv"):  # the network and its measures only: no layout, no page data
        from graph.network.files import write_network_file
        from graph.network.measures import measure
        from graph.network.projections import organisation_network
        graph = organisation_network(landscape, flt, level)
        if fmt != "csv":
            stage("measuring")
        report = None if fmt == "csv" else measure(graph, only=size_by)  # CSV has no measures
        stage(f"writing {path.name}")
        write_network_file(graph, report, path, fmt)
        return path
    from graph.visualise.view import build_view
    stage("measuring and laying out")
    view = build_view(landscape, flt, level, size_by, edge_colour, title, edge_width, details=False)  # drawn, then dropped
    if fmt == "html":
        from graph.visualise.html import write_html
        stage(f"writing {path.name}")
        return write_html(view, path)
    if fmt in ("png", "svg"):
        from graph.visualise.image import export_image
        stage(f"drawing {path.name} in Chromium")
        return export_image(view, path, fmt, width=width, height=height, sources=sources)
    raise ValueError(fmt)


Stage = Callable[[str], None]


def _quiet(_: str) -> None:
    """No progress to show."""


def __getattr__(name: str) -> object:
    """``api.BuildSummary`` without loading the build (and pySHACL) on ``import graph.api``."""
    if name == "BuildSummary":
        from graph.build.pipeline import BuildSummary

        return BuildSummary
    raise AttributeError(f"module 'graph.api' has no attribute '{name}'")
