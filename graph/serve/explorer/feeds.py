"""The explorer's Atom feeds (graph.changes.atom): ``GET /changes.atom``, every change from the
previous kept build to the one answering, and ``GET /id/organisation/{id}/changes.atom``, the
changes that concern one organisation (as ``alliances changes --watch``). A feed reader can follow
the whole graph or one company.

Safety, as for every page: the only part of a request used is an id that must match ``ID_LIKE``
and name an organisation of one of the two builds (else 404, without echoing it); links in the
feed are paths, never the request's Host; text is escaped by the XML writer; a feed holds at most
``MAX_ENTRIES`` entries. With no earlier build kept, the feed is valid and empty, and says why.
"""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from graph.ask.resolve import ID_LIKE
from graph.changes.atom import render_atom
from graph.changes.builds import baseline, current_manifest
from graph.changes.compare import Comparison, compare
from graph.changes.manifest import BuildInfo, Manifest
from graph.config import Settings
from graph.errors import AllianceError
from graph.serve.explorer.render import SECURITY_HEADERS, Links

ATOM = "application/atom+xml; charset=utf-8"
HEADERS = {**SECURITY_HEADERS, "Access-Control-Allow-Origin": "*"}
TITLE = "Changes in the decarbonization alliance graph"


class Feeds:
    def __init__(self, store_path: Path, base: str) -> None:
        self.settings = Settings(store_path=store_path, base=base)

    def builds(self) -> tuple[Manifest, Manifest | None, str]:
        """The manifest of the build answering, the previous kept one (or None), and why none."""
        current = current_manifest(self.settings)
        try:
            return current, baseline(self.settings, None, current).manifest, "the previous build"
        except AllianceError:
            return current, None, "no earlier build is kept"

    def comparison(self, watch: tuple[str, ...] = ()) -> Comparison:
        current, previous, how = self.builds()
        if previous is None:
            info = BuildInfo.of(current)
            return Comparison(info, info, how, [], watch)
        return compare(previous, current, how, watch)

    def everything(self, request: Request) -> Response:
        links = Links.of(request, self.settings.base)
        try:
            body = render_atom(self.comparison(), TITLE, "all", links.page("/changes.atom"), links.root)
        except AllianceError as error:
            return _unavailable(error)
        return Response(body, media_type=ATOM, headers=HEADERS)

    def organisation(self, request: Request) -> Response:
        ident = request.path_params["ident"]
        links = Links.of(request, self.settings.base)
        try:
            current, previous, _ = self.builds()
        except AllianceError as error:
            return _unavailable(error)
        known = ID_LIKE.fullmatch(ident) and "/" not in ident and any(
            ident in m["organisations"] for m in (current, previous) if m is not None)
        if not known:
            return PlainTextResponse("404 Not Found: no organisation has this id in the graph\n", status_code=404,
                                     headers=SECURITY_HEADERS)
        entry = current["organisations"].get(ident) or (previous or {}).get("organisations", {}).get(ident, {})
        path = links.page(f"/id/organisation/{ident}/changes.atom")
        body = render_atom(self.comparison((ident,)), f"{TITLE}: {entry.get('label', ident)}", f"organisation:{ident}",
                           path, links.root)
        return Response(body, media_type=ATOM, headers=HEADERS)


def _unavailable(error: AllianceError) -> Response:  # the error names paths of the server: not sent
    """The build answering has no manifest (made before builds wrote one): say how to get one."""
    return PlainTextResponse("503 Service Unavailable: the build answering has no manifest, so no feed of changes; "
                             "build the graph again (alliances build)\n", status_code=503, headers=SECURITY_HEADERS)
