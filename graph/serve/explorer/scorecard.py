"""Scorecard pages: ``GET /scorecard/supplier/{id}``, ``GET /scorecard/buyer/{id}`` and
``GET /suppliers?material=...&region=...`` (graph.ask.scorecard), linked from each organisation's
page. They show what ``alliances supplier|buyer|suppliers`` print, each fact with its numbered
sources, and the same SVG chart as the PNG (graph.ask.scorecard_chart), inline: no script.

An unknown organisation is 404; an unknown material or region, or a missing material, is 400.
"""
from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from graph.ask.resolve import ID_LIKE
from graph.ask.scorecard import buyer_scorecard, supplier_scorecard
from graph.ask.scorecard_ranking import rank_suppliers
from graph.ask.scorecard_chart import chart_svg
from graph.errors import AllianceError
from graph.rdf.query_forms import ask
from graph.serve.explorer.render import SECURITY_HEADERS, Links, error_page, render_page

VIEWS = {"supplier": supplier_scorecard, "buyer": buyer_scorecard}


class ScorecardPages:
    def __init__(self, store: Any, base: str) -> None:
        self.store, self.base = store, base

    def routes(self) -> list[BaseRoute]:
        return [Route("/scorecard/{view}/{ident}", self.scorecard, methods=["GET", "HEAD"], name="explorer-scorecard"),
                Route("/suppliers", self.ranking, methods=["GET", "HEAD"], name="explorer-suppliers")]

    def scorecard(self, request: Request) -> Response:
        view, ident = request.path_params["view"], request.path_params["ident"]
        links = Links.of(request, self.base)
        if view not in VIEWS or not ID_LIKE.fullmatch(ident):
            return error_page(request, links, 404, "No such scorecard", "Scorecards are /scorecard/supplier/ID and /scorecard/buyer/ID.",
                              headers=SECURITY_HEADERS)
        iri = f"{self.base}organisation/{ident}"
        if not ask(self.store, "ASK { ?e a org:Organization }", {"e": ox.NamedNode(iri)}):
            return error_page(request, links, 404, "Not in the graph", f"The graph has no organisation '{ident}'.",
                              headers=SECURITY_HEADERS)
        return self._page(request, links, VIEWS[view](self.store, iri))

    def ranking(self, request: Request) -> Response:
        links = Links.of(request, self.base)
        material = request.query_params.get("material", "")
        region = request.query_params.get("region") or None
        if not material:
            return error_page(request, links, 400, "Which material?", "Give a material: /suppliers?material=green-steel&region=EU.",
                              headers=SECURITY_HEADERS)
        try:
            data = rank_suppliers(self.store, material, region)
        except AllianceError as error:
            return error_page(request, links, 400, "Cannot rank these suppliers", str(error), headers=SECURITY_HEADERS)
        return self._page(request, links, data)

    def _page(self, request: Request, links: Links, data: dict[str, Any]) -> Response:
        sources = data.get("sources", {})
        numbers = {ident: n for n, ident in enumerate(sources, start=1)}
        titles = {ident: f"{s['title']} ({s['publisher']})" for ident, s in sources.items()}
        return render_page(request, "scorecard.html.j2", links, headers=SECURITY_HEADERS, s=data, numbers=numbers,
                           titles=titles, chart=Markup(chart_svg(data)))  # chart_svg escapes every text from the data
