"""``GET /network``: the network page of the HTML export, served, with the export's filters as
query parameters, and ``orgs=a,b,c`` for a chosen set of organisations ("Show as network" on the
query page).

The landscape is read once per published build (the server follows each build,
graph.rdf.store.PublishedStore), from the file kept beside the build where there is one
(graph.network.landscape_cache), and pages are kept for the most recent builds and parameter sets. Drawing takes a lock: the layout seeds igraph's global random
number generator, and two layouts at once would not be reproducible.
"""
from __future__ import annotations

from collections.abc import Callable

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from graph.errors import AllianceError
from graph.network.filters import NetworkFilter
from graph.network.landscape import Alliance, Landscape, Organisation
from graph.network.landscape_cache import answering, landscape_of
from graph.network.options import make_filter
from graph.ask.resolve import ID_LIKE
from graph.serve.explorer.render import NETWORK_POLICY, SECURITY_HEADERS, Links, error_page

MAX_DEPTH = 5
MAX_SELECTED = 2000
CACHED_PAGES = 16
FILTER_PARAMS = {"material": "material", "pathway": "pathway", "type": "alliance_type", "sector": "sector",
                 "country": "country", "status": "status", "focus": "focus"}
NUMBER_PARAMS = {"from": "year_from", "to": "year_to", "depth": "depth"}


@dataclass(frozen=True)
class SelectedOrganisations(NetworkFilter):
    """Only the chosen organisations, and only the alliances that two or more of them share."""

    only: frozenset[str] = frozenset()

    def keeps_organisation(self, o: Organisation | None) -> bool:
        return o is not None and o.iri in self.only and super().keeps_organisation(o)

    def keeps_alliance(self, a: Alliance) -> bool:
        return super().keeps_alliance(a) and len({party for party, _ in a.parties if party in self.only}) >= 2

    def summary(self, landscape: Landscape) -> str:
        shared = {party for a in landscape.alliances.values() if self.keeps_alliance(a)
                  for party, _ in a.parties if party in self.only}
        alone = len(self.only - shared)
        text = f"{len(self.only)} selected organisations and the alliances they share"
        if alone:
            text += f" ({alone} share none with another and are not drawn)"
        rest = super().summary(landscape)
        return text if rest == "all alliances" else f"{text}; {rest}"


class NetworkPages:
    """The landscape of one server's store, and its rendered network pages."""

    def __init__(self, store: Any, base: str) -> None:
        self.store, self.base = store, base
        self._landscape: tuple[Any, Landscape] | None = None  # (build folder, its landscape)
        self._lock = threading.Lock()  # the kept pages
        self._reading = threading.Lock()  # the landscape: cached pages are answered while it is read
        self._draw = threading.Lock()
        self._pages: OrderedDict[tuple[Any, tuple[tuple[str, str], ...]], str] = OrderedDict()

    def landscape(self) -> Landscape:
        """The landscape of the build answering now: kept in memory for this build, else loaded from
        the file kept beside the build (or read from the store and kept there for the next server
        or command). One request reads it while the others wait for it."""
        with self._reading:
            store = answering(self.store)
            folder = getattr(store, "folder", None)
            if self._landscape is None or self._landscape[0] != folder:
                self._landscape = (folder, landscape_of(store))
            return self._landscape[1]

    def page(self, params: dict[str, str]) -> str:
        """The page for these query parameters; raises AllianceError for a parameter to fix."""
        chosen = tuple(sorted((k, v) for k, v in params.items() if k in FILTER_PARAMS or k in NUMBER_PARAMS or k == "orgs"))
        key = (self.store.folder, chosen)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        html = self._render(dict(chosen))
        with self._lock:
            self._pages[key] = html
            while len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
        return html

    def _render(self, params: dict[str, str]) -> str:
        from graph.visualise.html import render_html
        from graph.visualise.view import build_view

        landscape = self.landscape()
        flt = self.network_filter(params, landscape)
        title = None
        if flt.focus:
            focus = landscape.organisations.get(flt.focus)
            title = f"Alliances around {focus.label if focus else flt.focus}"
        elif isinstance(flt, SelectedOrganisations):
            title = "Alliances among selected organisations"
        with self._draw:
            view = build_view(landscape, flt, title=title)
        return render_html(view)

    def network_filter(self, params: dict[str, str], landscape: Landscape) -> NetworkFilter:
        options: dict[str, Any] = {FILTER_PARAMS[k]: v.strip() for k, v in params.items() if k in FILTER_PARAMS and v.strip()}
        for name, option in NUMBER_PARAMS.items():
            value = params.get(name, "").strip()
            if value:
                if not value.lstrip("-").isdigit():
                    raise AllianceError(f"'{name}={value}': give a whole number")
                options[option] = int(value)
        if options.get("depth", 1) > MAX_DEPTH:
            raise AllianceError(f"'depth={options['depth']}': the largest depth is {MAX_DEPTH}")
        flt = make_filter(self.store, **options)
        if "orgs" not in params:
            return flt
        return SelectedOrganisations(**asdict(flt), only=frozenset(self.selected(params["orgs"], landscape)))

    def selected(self, text: str, landscape: Landscape) -> list[str]:
        """Organisation IRIs from ``orgs=hbis,bmw-group`` (ids, or the organisations' IRIs)."""
        prefix = f"{self.base}organisation/"
        wanted = [part.strip() for part in text.split(",") if part.strip()]
        if not wanted:
            raise AllianceError("'orgs': give organisation ids separated by commas, e.g. orgs=hbis,bmw-group")
        if len(wanted) > MAX_SELECTED:
            raise AllianceError(f"'orgs': at most {MAX_SELECTED} organisations can be shown at once")
        iris, unknown = [], []
        for part in wanted:
            ident = part.removeprefix(prefix)
            iri = prefix + ident
            if ID_LIKE.fullmatch(ident) and "/" not in ident and iri in landscape.organisations:
                iris.append(iri)
            else:
                unknown.append(part)
        if unknown:
            raise AllianceError(f"'orgs': no organisation has the id {', '.join(unknown[:10])}")
        return iris


def network_endpoint(pages: NetworkPages, base: str) -> Callable[[Request], Response]:
    def network(request: Request) -> Response:
        links = Links.of(request, base)
        try:
            html = pages.page(dict(request.query_params))
        except AllianceError as error:
            return error_page(request, links, 400, "This network cannot be drawn", str(error))
        return HTMLResponse(html, headers={"Content-Security-Policy": NETWORK_POLICY, **SECURITY_HEADERS})
    return network
