"""The SPARQL 1.1 Protocol: reading an operation from a request, and content negotiation.

Status codes: 400 malformed request or query, 403 update not allowed, 405 wrong method,
406 no acceptable result format, 413 request too large, 415 unsupported media type.

Text is UTF-8. A POST body (direct or form-encoded) that declares another charset, or whose bytes
are not UTF-8 (also once a form value is percent-decoded), is 415: the body is in an encoding we
do not take, and saying so tells the client what to change. Percent-encoded bytes in the URL that
are not UTF-8 are 400: a URL has no media type to be unsupported.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

import pyoxigraph as ox

from graph.rdf.formats import F, Format, for_media_type, offers
from graph.rdf.sparql_text import has_keyword, insert, update_where_offsets
from graph.serve.safety import Refused


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
    except UnicodeDecodeError as error:
        raise Refused(415, f"the body is not UTF-8 (byte {error.object[error.start]:#04x} at offset {error.start}); "
                           f"send it UTF-8 encoded") from None


def _parameters(encoded: str, status: int, where: str) -> dict[str, list[str]]:
    """The parameters of a query string or form body; percent-encoded bytes must be UTF-8."""
    try:
        return parse_qs(encoded, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Refused(status, f"a parameter in the {where} is not UTF-8 once percent-decoded; "
                              f"percent-encode the UTF-8 bytes of the text") from None


def _graphs(params: dict[str, list[str]], name: str) -> tuple[str, ...]:
    """The IRIs of a dataset parameter (default-graph-uri, named-graph-uri, using-...), checked
    by Oxigraph's own IRI parser so that the engine never sees one it refuses."""
    values = tuple(params.get(name, []))
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as error:
            raise Refused(400, f"'{name}' must be an absolute IRI; {value!r} is not ({error})") from None
    return values


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise Refused(400, f"the request gives '{name}' {len(values)} times; give exactly one")
    return values[0] if values else None


def read_operation(method: str, query_string: str, content_type: str, body: bytes, accept: str) -> Operation | None:
    """The operation of a protocol request; None for a GET without one (the service description)."""
    media = content_type.split(";")[0].strip().lower()
    url = _parameters(query_string, 400, "URL")
    if method == "GET":
        params = url
    elif method == "POST" and media == "application/x-www-form-urlencoded":
        if "query" in url or "update" in url:
            raise Refused(400, "a form POST carries 'query' or 'update' in its body, not also in the URL")
        params = _parameters(_decode(body, content_type), 415, "form body")
        for name, values in url.items():  # dataset parameters may also sit in the URL: both count
            params[name] = values + params.get(name, [])
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
        return Operation("query", query, _graphs(params, "default-graph-uri"), _graphs(params, "named-graph-uri"), accept)
    return Operation("update", update or "", _graphs(params, "using-graph-uri"), _graphs(params, "using-named-graph-uri"),
                     accept)


def _media_ranges(accept: str) -> list[tuple[str, str, float, int]]:
    """(type, subtype, q, specificity) for each media range of an Accept header."""
    ranges = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        specificity = 0 if main == "*" else (1 if sub == "*" else 2)
        ranges.append((main, sub, q, specificity))
    return ranges


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers most (ties go to the earlier offer), or None if it accepts none.

    No Accept header, or an empty one, accepts anything: the first offer.
    """
    if not accept or not accept.strip():
        return offers[0] if offers else None
    ranges = _media_ranges(accept)
    best, best_q = None, 0.0
    for offer in offers:
        main, _, sub = offer.partition("/")
        matching = [(spec, q) for m, s, q, spec in ranges
                    if (m == "*" or m == main) and (s == "*" or s == sub)]
        if not matching:
            continue
        q = max(matching)[1]  # the most specific range decides
        if q > best_q:
            best, best_q = offer, q
    return best


def choose_format(accept: str | None, formats: Sequence[Format[F]]) -> tuple[str, Format[F]] | None:
    """The media type to answer with and its format (graph.rdf.formats), or None if the client
    accepts none. A client that names an alias (application/json) gets the answer under that name."""
    media = negotiate(accept, offers(formats))
    chosen = for_media_type(formats, media) if media is not None else None
    return (media, chosen) if media is not None and chosen is not None else None


def apply_using(text: str, default_graphs: tuple[str, ...], named_graphs: tuple[str, ...]) -> str:
    """Give every DELETE/INSERT ... WHERE operation the protocol's using-graph-uri and
    using-named-graph-uri as USING clauses; refuse an update that has its own USING or WITH.
    The graphs are IRIs already (read_operation checks them), so they cannot end the ``<...>``."""
    if not default_graphs and not named_graphs:
        return text
    if has_keyword(text, "USING", "WITH"):
        raise Refused(400, "the update has USING or WITH and the request gives using-graph-uri or "
                           "using-named-graph-uri: give the dataset in one place only")
    clause = "".join(f" USING <{g}>" for g in default_graphs) + "".join(f" USING NAMED <{g}>" for g in named_graphs) + " "
    return insert(text, [(offset, clause) for offset in update_where_offsets(text)])
