"""The explorer: HTML pages over the graph, served next to ``/sparql``, that load nothing from
any other address.

Routes (``explorer_routes`` gives them to the application):
- ``GET /``: title, counts, the landscape network, the organisations and alliances, the questions
  the named queries answer, and the SPARQL endpoint;
- ``GET /network``: the network page of ``alliances export html``, with its filters as query
  parameters (material, pathway, type, sector, country, from, to, focus, depth) and ``orgs=a,b``
  (graph.serve.explorer.network);
- ``GET /query``: a SPARQL editor that sends queries to ``/sparql`` from the browser, with the
  named queries as examples (graph.serve.explorer.query);
- ``GET /id/{kind}/{ident}`` and ``GET /taxonomy/{scheme}/{ident}``: each entity at its IRI, as
  HTML or RDF by content negotiation (graph.serve.explorer.entity);
- ``GET /scorecard/supplier/{id}``, ``GET /scorecard/buyer/{id}`` and ``GET /suppliers?material=&region=``:
  the scorecards of ``alliances supplier|buyer|suppliers`` (graph.serve.explorer.scorecard);
- ``GET /changes.atom`` and ``GET /id/organisation/{id}/changes.atom``: Atom feeds of what changed
  since the previous build, for the graph and for one organisation (graph.serve.explorer.feeds);
- ``GET /assets/...``: the explorer's stylesheet and script.

The server's own queries (counts, profiles, the landscape) run on ``context.store``, read-only;
a query a user types only ever runs at ``/sparql``.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from graph.network.landscape import Landscape
from graph.ask.query import named_queries
from graph.build.pipeline import summary_counts
from graph.serve.context import ServerContext
from graph.serve.explorer.entity import EntityPages
from graph.serve.explorer.feeds import Feeds
from graph.serve.explorer.network import NetworkPages, network_endpoint
from graph.serve.explorer.query import QueryPage
from graph.serve.explorer.render import ASSETS_DIR, Links, render_page
from graph.serve.explorer.scorecard import ScorecardPages

def explorer_routes(context: ServerContext) -> list[BaseRoute]:
    """The explorer's routes, to mount at the root of the application next to ``/sparql``."""
    base = context.settings.base
    networks = NetworkPages(context.store, base)
    entities = EntityPages(context.store, base, context.settings.store_path)
    feeds = Feeds(context.settings.store_path, base)
    query = QueryPage(context.store, base)

    def landing(request: Request) -> Response:
        return render_page(request, "landing.html.j2", Links.of(request, base),
                           **landing_data(context.store, networks.landscape()))

    return [
        Route("/", landing, methods=["GET", "HEAD"], name="explorer-landing"),
        Route("/network", network_endpoint(networks, base), methods=["GET", "HEAD"], name="explorer-network"),
        Route("/query", query.page, methods=["GET", "HEAD"], name="explorer-query"),
        *ScorecardPages(context.store, base).routes(),
        Route("/changes.atom", feeds.everything, methods=["GET", "HEAD"], name="explorer-changes-feed"),
        Route("/id/organisation/{ident}/changes.atom", feeds.organisation, methods=["GET", "HEAD"],
              name="explorer-organisation-feed"),  # before the entity route, which would take the path
        Route("/id/{kind}/{ident:path}", entities.entity, methods=["GET", "HEAD"], name="explorer-entity"),
        Route("/taxonomy/{scheme}", entities.concept, methods=["GET", "HEAD"], name="explorer-scheme"),
        Route("/taxonomy/{scheme}/{ident:path}", entities.concept, methods=["GET", "HEAD"], name="explorer-concept"),
        Mount("/assets", app=StaticFiles(directory=ASSETS_DIR), name="explorer-assets"),
    ]


def counts(store: Any) -> dict[str, int]:
    """The counts the build prints (graph.build.pipeline.summary_counts), under the landing page's names."""
    summary = summary_counts(store)
    return {"alliances": summary.get("alliances", 0), "organisations": summary.get("organisations", 0),
            "people": summary.get("people", 0), "claims": summary.get("quantitative claims", 0),
            "sources": summary.get("sources", 0)}


def landing_data(store: Any, landscape: Landscape) -> dict[str, Any]:
    """What the landing page lists: counts, organisations, alliances, topics and questions."""
    alliances_of: dict[str, int] = {}
    for alliance in landscape.alliances.values():
        for party in {p for p, _ in alliance.parties}:
            alliances_of[party] = alliances_of.get(party, 0) + 1
    organisations = []
    for org in sorted(landscape.organisations.values(), key=lambda o: o.label.casefold()):
        other = [name for lang in ("zh", "de") if lang != _language_of(org.label, org.names)
                 for name in org.names.get(lang, [])[:1]]
        organisations.append({"id": org.id, "label": org.label, "other": [n for n in other if n != org.label],
                              "kind": org.kind, "sector": landscape.label(org.sector) if org.sector else None,
                              "country": org.country, "alliances": alliances_of.get(org.iri, 0)})
    labels = {o.iri: o.label for o in landscape.organisations.values()}
    alliances = [{"id": a.id, "title": a.title, "type": landscape.label(a.type_key) if a.type_key else None,
                  "year": a.year, "parties": sorted({labels.get(p, p.rsplit("/", 1)[-1]) for p, _ in a.parties})}
                 for a in sorted(landscape.alliances.values(), key=lambda a: (-(a.year or 0), a.title))]
    topics = {}
    for scheme, attribute in (("material", "materials"), ("pathway", "pathways")):
        keys = {k for a in landscape.alliances.values() for k in getattr(a, attribute)}
        topics[scheme] = [{"id": k.split("/", 1)[1], "label": landscape.label(k)} for k in sorted(keys, key=landscape.label)]
    questions = [{"name": q.name, "question": q.question} for q in named_queries().values()]
    return {"counts": counts(store), "organisations": organisations, "alliances": alliances, "topics": topics,
            "questions": questions, "data_date": landscape.data_date}


def _language_of(label: str, names: dict[str, list[str]]) -> str | None:
    return next((lang for lang, values in names.items() if values and values[0] == label), None)
