"""Entity pages at their IRIs: ``GET /id/{kind}/{ident}`` and ``GET /taxonomy/{scheme}[/{ident}]``.

One address, several representations (content negotiation on Accept, or ``?format=``):
- HTML: the profile of ``alliances show`` (names in every language, facts with their sources,
  alliances, claims, sources with quotes), a small network, links to the entities it names, and
  for alliances and organisations their history (when each source's facts entered the graph) and,
  for an organisation, its Atom feed of changes;
- RDF: the entity's statements, those of its participations, signing, announcement and status changes, and the statements that
  point at it, as Turtle, JSON-LD, N-Triples or RDF/XML, or with the source graph of each
  statement as TriG or N-Quads. A source's IRI is also the name of its graph: its RDF is that graph.

An IRI nobody states anything about is 404; an Accept header that allows none of these is 406.
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from graph.changes.history import Entered, entity_history
from graph.config import TAXONOMY_NS
from graph.rdf.formats import GRAPHS, Format, for_media_type, named
from graph.rdf.namespaces import PREFIXES
from graph.ask.profile import profile_of
from graph.ask.profile import PROPERTY_NAMES
from graph.ask.resolve import ID_LIKE, KINDS, Match, display_label, search
from graph.safe_output import safe_serialisation
from graph.serve.explorer.render import (
    ENTITY_KINDS, SECURITY_HEADERS, TAXONOMY_KINDS, Links, compact, error_page, render_page,
)
from graph.serve.protocol import negotiate

HTML = "text/html"
OFFERS = [HTML, "application/xhtml+xml"] + [f.media_type for f in GRAPHS]  # no aliases: a page answers under its own types
GRAPH_KINDS = ("source", "graph")
MAX_STATEMENTS = 2000

EXISTS = "ASK { ?e ?p ?o }"
GRAPH_EXISTS = "ASK { GRAPH ?e { ?s ?p ?o } }"
DESCRIPTION = """
SELECT DISTINCT ?e ?s ?p ?o ?g WHERE {
  { GRAPH ?g { ?e ?p ?o } BIND (?e AS ?s) }
  UNION { ?e al:participation|al:signing|al:announcement|al:statusChange ?s . GRAPH ?g { ?s ?p ?o } }
  UNION { GRAPH ?g { ?s ?p ?e } BIND (?e AS ?o) }
}"""
GRAPH_CONTENT = "SELECT ?e ?s ?p ?o WHERE { GRAPH ?e { ?s ?p ?o } }"
SCHEME_CONCEPTS = """
SELECT ?e ?concept ?broader WHERE {
  ?concept skos:inScheme ?e OPTIONAL { ?concept skos:broader ?broader }
} ORDER BY ?concept"""
HIDDEN = "http://www.w3.org/2004/02/skos/core#hiddenLabel"
QUOTE = "https://w3id.org/alliance-graph/ontology#quote"


class EntityPages:
    def __init__(self, store: Any, base: str, store_path: Path | None = None) -> None:
        self.store, self.base = store, base
        self.store_path = store_path  # where the build manifests are, for each entity's history

    # ---------------------------------------------------------------- routes
    def entity(self, request: Request) -> Response:
        kind, ident = request.path_params["kind"], request.path_params["ident"]
        iri = f"{self.base}{kind}/{ident}"
        links = Links.of(request, self.base)
        if kind in TAXONOMY_KINDS and not self._exists(iri, kind) and self._exists(f"{TAXONOMY_NS}{kind}/{ident}", kind):
            return RedirectResponse(links.entity(kind, ident), status_code=301)
        return self._answer(request, links, iri, kind, ident)

    def concept(self, request: Request) -> Response:
        scheme, ident = request.path_params["scheme"], request.path_params.get("ident", "")
        return self._answer(request, Links.of(request, self.base), f"{TAXONOMY_NS}{scheme}" + (f"/{ident}" if ident else ""),
                            scheme, ident)

    def _answer(self, request: Request, links: Links, iri: str, kind: str, ident: str) -> Response:
        wanted = self._wanted(request)
        headers = {"Vary": "Accept", **SECURITY_HEADERS}
        if wanted is None:
            return PlainTextResponse(
                "406 Not Acceptable: this resource is available as " + ", ".join(OFFERS) + ".\n", status_code=406,
                headers=headers)
        valid = all(ID_LIKE.fullmatch(part) for part in f"{kind}/{ident}".rstrip("/").split("/"))
        if not valid or not self._exists(iri, kind):
            if wanted == HTML:
                return error_page(request, links, 404, "Not in the graph", f"The graph states nothing about {iri}.",
                                  headers=headers, suggestions=self._suggestions(ident, kind))
            return PlainTextResponse(f"404 Not Found: the graph states nothing about {iri}\n", status_code=404, headers=headers)
        if isinstance(wanted, Format):
            return Response(self.rdf(iri, kind, wanted.format), media_type=wanted.media_type, headers=headers)
        return self.html(request, links, iri, kind, ident, headers)

    def _wanted(self, request: Request) -> Format[ox.RdfFormat] | str | None:
        """The RDF format the request asks for, HTML, or None if it accepts neither."""
        name = request.query_params.get("format")
        if name == "html":
            return HTML
        if name:
            return named(GRAPHS, name)
        chosen = negotiate(request.headers.get("accept"), OFFERS)
        if chosen in (HTML, "application/xhtml+xml"):
            return HTML
        return for_media_type(GRAPHS, chosen) if chosen is not None else None

    def _suggestions(self, ident: str, kind: str) -> list[dict[str, str]]:
        text = ident.rsplit("/", 1)[-1].replace("-", " ")[:100]
        matches = search(self.store, text, kind=kind if kind in KINDS else None, limit=5) if text.strip() else []
        return [{"kind": m.kind, "id": m.id, "label": m.label} for m in matches]

    def _exists(self, iri: str, kind: str) -> bool:
        return bool(self.store.query(GRAPH_EXISTS if kind in GRAPH_KINDS else EXISTS, {"e": ox.NamedNode(iri)}))

    # ---------------------------------------------------------------- RDF
    def quads(self, iri: str, kind: str) -> list[ox.Quad]:
        node = ox.NamedNode(iri)
        if kind in GRAPH_KINDS:
            rows = self.store.query(GRAPH_CONTENT, {"e": node})
            return [ox.Quad(r["s"], r["p"], r["o"], node) for r in rows]
        return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in self.store.query(DESCRIPTION, {"e": node})]

    def rdf(self, iri: str, kind: str, rdf_format: ox.RdfFormat) -> bytes:
        quads = sorted(set(self.quads(iri, kind)), key=str)
        prefixes = {**PREFIXES, "id": self.base}
        if rdf_format.supports_datasets:
            return ox.serialize(quads, format=rdf_format, prefixes=prefixes) or b""
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
        return safe_serialisation(ox.serialize(triples, format=rdf_format, prefixes=prefixes) or b"", rdf_format)

    # ---------------------------------------------------------------- HTML
    def html(self, request: Request, links: Links, iri: str, kind: str, ident: str, headers: dict[str, str]) -> Response:
        formats = [(f.name, f.label + (" (with sources)" if f.keeps_graphs else "")) for f in GRAPHS]
        common: dict[str, Any] = {"iri": iri, "formats": formats, "kind": kind}
        if kind == "source":
            return render_page(request, "source.html.j2", links, headers=headers, **common, **self.source(iri))
        if (kind in ENTITY_KINDS or kind in TAXONOMY_KINDS) and "/" not in ident:
            label = display_label(self.store, iri)
            data = profile_of(self.store, Match(iri, kind, ident, label, ident, 100.0))
            if kind in TAXONOMY_KINDS and not ident:
                data["concepts"] = self.scheme_concepts(iri)
            sources = data.get("sources", [])
            numbers = {source["id"]: n for n, source in enumerate(sources, start=1)}
            titles = {source["id"]: f"{source['title']} ({source['publisher']})" for source in sources}
            return render_page(request, "entity.html.j2", links, headers=headers, **common, p=data,
                               numbers=numbers, titles=titles, network=self._network_address(links, data),
                               history=self.history(kind, ident),
                               feed=links.page(f"/id/organisation/{ident}/changes.atom") if kind == "organisation" else None)
        if kind in GRAPH_KINDS:
            label, common["kind"] = f"The {ident} graph", "named graph"
        else:
            label = self._label(iri)
            common["kind"] = label.split(" ", 1)[0] if "/" in ident else kind
        return render_page(request, "resource.html.j2", links, headers=headers, **common, label=label,
                           statements=self.statements(iri, kind, links))

    def history(self, kind: str, ident: str) -> list[Entered]:
        """When the entity's facts entered the graph, from the manifests of kept builds (graph.changes.history)."""
        if self.store_path is None or kind not in ("alliance", "organisation"):
            return []
        folder = getattr(self.store, "folder", None)
        return entity_history(self.store_path, kind, ident, folder.name if folder is not None else None)

    def _network_address(self, links: Links, data: dict[str, Any]) -> str | None:
        if data["kind"] == "organisation" and data.get("alliances"):
            return links.page(f"/network?focus={data['id']}&depth=1")
        if data["kind"] == "alliance":
            parties = sorted({p["id"] for p in data.get("parties", []) if p["kind"] == "organisation"})
            if len(parties) >= 3:  # two parties and one line say no more than the table
                return links.page("/network?orgs=" + ",".join(parties))
        return None

    def scheme_concepts(self, iri: str) -> list[dict[str, Any]]:
        """The concepts of a scheme as an indented list: each under its broader concept."""
        children: dict[str | None, list[str]] = defaultdict(list)
        concepts = set()
        for row in self.store.query(SCHEME_CONCEPTS, {"e": ox.NamedNode(iri)}):
            concept = row["concept"].value
            concepts.add(concept)
            broader = row["broader"].value if row["broader"] is not None else None
            if concept not in children[broader]:
                children[broader].append(concept)
        listed: list[dict[str, Any]] = []

        def walk(parent: str | None, depth: int) -> None:
            for concept in sorted(children.get(parent, []), key=lambda c: display_label(self.store, c)):
                if any(entry["iri"] == concept for entry in listed):
                    continue
                listed.append({"iri": concept, "label": display_label(self.store, concept), "depth": depth})
                walk(concept, depth + 1)

        walk(None, 0)
        for parent in sorted(p for p in children if p is not None and p not in concepts):
            walk(parent, 0)  # broader concepts from outside the scheme
        return listed

    def source(self, iri: str) -> dict[str, Any]:
        """A source: its description, and what its graph states, by subject, with the quotes."""
        meta: dict[str, list[str]] = defaultdict(list)
        subjects: dict[str, dict[str, Any]] = {}
        for quad in sorted(self.quads(iri, "source"), key=str):
            if isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple):
                continue  # an RDF 1.2 triple term: records never state one
            subject, predicate, obj = quad.subject.value, quad.predicate.value, quad.object
            if subject == iri:
                meta[_local(predicate)].append(obj.value)
                continue
            if predicate == HIDDEN:
                continue
            entry = subjects.setdefault(subject, {"iri": subject, "label": self._label(subject),
                                                  "quotes": [], "statements": []})
            if predicate == QUOTE:
                entry["quotes"].append(obj.value)
            else:
                entry["statements"].append(self._statement(predicate, obj))
        for entry in subjects.values():
            entry["quotes"].sort()
        title = (meta.get("title") or [iri.rsplit("/", 1)[-1]])[0]
        return {"label": title, "meta": dict(meta), "subjects": sorted(subjects.values(), key=lambda e: e["iri"])}

    def statements(self, iri: str, kind: str, links: Links) -> list[dict[str, Any]]:
        """Statements about any other resource (participations, posts' events, named graphs)."""
        rows = []
        for quad in sorted(set(self.quads(iri, kind)), key=str)[:MAX_STATEMENTS]:
            if quad.predicate.value == HIDDEN:
                continue
            subject = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else None
            rows.append({"subject": subject, "subject_label": self._label(subject) if subject and subject != iri else None,
                         **self._statement(quad.predicate.value, quad.object),
                         "graph": quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else None})
        return rows

    def _label(self, iri: str) -> str:
        """A name for any IRI: its preferred label, 'participation of <party>', 'signing', 'status change to binding (2023-06)', or al:Term."""
        if not iri.startswith((self.base, TAXONOMY_NS)):
            return compact(iri)
        path = iri.removeprefix(self.base).split("/")
        if len(path) == 5 and path[2] == "status":  # a status change: alliance/<id>/status/<status>/<date or undated>
            return f"status change to {path[3].replace('-', ' ')} ({path[4]})"
        if len(path) > 2:  # a participation, a signing or an announcement of an alliance
            return f"participation of {path[-1]}" if path[-2] == "party" else path[-1].replace("-", " ")
        return display_label(self.store, iri)

    def _statement(self, predicate: str, obj: Any) -> dict[str, Any]:
        name = _property_name(predicate)
        if isinstance(obj, ox.NamedNode):
            return {"property": name, "predicate": predicate, "iri": obj.value, "language": None, "value": self._label(obj.value)}
        return {"property": name, "predicate": predicate, "value": obj.value, "iri": None,
                "language": getattr(obj, "language", None)}


OWN_NAMES = {"prefLabel": "name", "altLabel": "alias", "type": "type", "editorialNote": "note"}


def _property_name(iri: str) -> str:
    """'alliance type' for al:allianceType, 'part of' for org:subOrganizationOf."""
    local = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    name = OWN_NAMES.get(local) or PROPERTY_NAMES.get(local) or local
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
