"""The SPARQL 1.1 Protocol: reading an operation from a request, and content negotiation.

Status codes: 400 malformed request or query, 403 update not allowed, 405 wrong method,
406 no acceptable result format, 413 request too large, 415 unsupported media type.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

import pyoxigraph as ox

from graph.serve.lexer import tokens
from graph.serve.safety import Refused

RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON, "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML, "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML, "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE, "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD, "application/json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/xml": ox.RdfFormat.RDF_XML,
}
DEFAULT_RESULTS = "application/sparql-results+json"
DEFAULT_GRAPH = "text/turtle"


@dataclass(frozen=True)
class Operation:
    """A query or an update, with the dataset the protocol request gives."""

    kind: str  # "query" | "update"
    text: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    accept: str = "*/*"
    base: str | None = None


def _decode(body: bytes, content_type: str) -> str:
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset not in ("utf-8", "utf8"):
        raise Refused(415, f"the body must be UTF-8 encoded, not {charset}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not valid UTF-8") from None


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise Refused(400, f"the request gives '{name}' {len(values)} times; give exactly one")
    return values[0] if values else None


def read_operation(method: str, query_string: str, content_type: str, body: bytes, accept: str) -> Operation | None:
    """The operation of a protocol request; None for a GET without one (the service description)."""
    media = content_type.split(";")[0].strip().lower()
    url = parse_qs(query_string, keep_blank_values=True)
    if method == "GET":
        params = url
    elif method == "POST" and media == "application/x-www-form-urlencoded":
        params = parse_qs(_decode(body, content_type), keep_blank_values=True)
        for name, values in url.items():  # dataset parameters may also sit in the URL
            params.setdefault(name, values)
    elif method == "POST" and media in ("application/sparql-query", "application/sparql-update"):
        if "query" in url or "update" in url:
            raise Refused(400, "a direct POST carries the operation in its body, not also in the URL")
        params = {**url, ("query" if media.endswith("query") else "update"): [_decode(body, content_type)]}
    elif method == "POST":
        raise Refused(415, f"POST needs Content-Type application/x-www-form-urlencoded, application/sparql-query or "
                           f"application/sparql-update, not '{media or 'none'}'")
    else:
        raise Refused(405, f"{method} is not a SPARQL protocol method; use GET or POST")
    query, update = _one(params, "query"), _one(params, "update")
    if query is not None and update is not None:
        raise Refused(400, "give either 'query' or 'update', not both")
    if update is not None and method == "GET":
        raise Refused(405, "an update must be sent with POST")
    if query is None and update is None:
        if method == "GET":
            return None
        raise Refused(400, "the request has no 'query' or 'update'")
    if query is not None:
        return Operation("query", query, tuple(params.get("default-graph-uri", [])), tuple(params.get("named-graph-uri", [])), accept)
    return Operation("update", update or "", tuple(params.get("using-graph-uri", [])),
                     tuple(params.get("using-named-graph-uri", [])), accept)


def _accepted(accept: str) -> list[tuple[str, float]]:
    """Media ranges by preference (q-value, then order)."""
    ranges = []
    for index, item in enumerate(accept.split(",") if accept else ["*/*"]):
        parts = [p.strip() for p in item.split(";")]
        if not parts[0]:
            continue
        quality = 1.0
        for part in parts[1:]:
            key, _, value = part.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((parts[0].lower(), quality, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(media, q) for media, q, _ in ranges if q > 0] or [("*/*", 1.0)]


def negotiate(accept: str, offers: dict[str, object], default: str) -> str | None:
    """The offered media type the client prefers most, or None (answer 406)."""
    for media, _ in _accepted(accept):
        if media in ("*/*", "*"):
            return default
        if media.endswith("/*"):
            prefix = media[:-1]
            if default.startswith(prefix):
                return default
            for offer in offers:
                if offer.startswith(prefix):
                    return offer
        elif media in offers:
            return media
    return None


def apply_using(text: str, default_graphs: tuple[str, ...], named_graphs: tuple[str, ...]) -> str:
    """Give every DELETE/INSERT ... WHERE operation the protocol's using-graph-uri and
    using-named-graph-uri as USING clauses; refuse an update that has its own USING or WITH."""
    if not default_graphs and not named_graphs:
        return text
    found = list(tokens(text))
    if any(t.keyword in ("USING", "WITH") and t.depth == 0 for t in found):
        raise Refused(400, "the update has USING or WITH and the request gives using-graph-uri or "
                           "using-named-graph-uri: give the dataset in one place only")
    clause = "".join(f" USING <{g}>" for g in default_graphs) + "".join(f" USING NAMED <{g}>" for g in named_graphs) + " "
    for graph in default_graphs + named_graphs:
        if any(c in graph for c in '<>"{}|^`\\ '):
            raise Refused(400, f"'{graph}' is not an IRI")
    positions = [t.start for i, t in enumerate(found)
                 if t.keyword == "WHERE" and t.depth == 0 and not (i and found[i - 1].keyword == "DELETE")]
    for position in reversed(positions):
        text = text[:position] + clause + text[position:]
    return text
