"""Render an alliance view as one self-contained HTML page that opens offline.

The page inlines vis-network (the copy pyvis ships in its wheel), its own CSS and JavaScript, and
the view's data as JSON. It loads nothing from any address: a Content-Security-Policy forbids every
request, so even a bug cannot make one. pyvis' own template is not used, because it loads Bootstrap
and vis-network from CDNs and inserts text unescaped.

Every string of the view may come from data and may contain HTML. The template autoescapes; the
data travels as JSON in a ``<script type="application/json">`` block with ``<``, ``>``, ``&``,
U+2028 and U+2029 escaped, and the page builds its panels with DOM text nodes only.

Year filter (a choice documented in the page too): alliances whose year is unknown stay visible
until a year range is set; once "from" or "to" holds a year, only alliances with a known year in
the range are shown. The year slider ("Growth by year") is the "to" end of that same filter: at a
year Y it shows the alliances of known year up to Y and the organisations they link; its last step,
"All years", empties "to", so alliances of unknown year appear only there.
"""
from __future__ import annotations

import base64
import copy
import gzip
import json
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import jinja2
import orjson
import pyvis
from markupsafe import Markup

from graph.rdf.files import write_atomic
from graph.errors import AllianceError
from graph.network.landscape import cycles_uncollected

PAGE_DIR = Path(__file__).parent / "page"
VIS_DIR = Path(pyvis.__file__).parent / "lib" / "vis-9.1.2"

#: Nothing may be fetched: no script, style, font, image, frame or connection from any address.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
    "worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'"
)

FONT_STACK = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"

#: vis-network options the page starts from; the view's own options are merged over them.
DEFAULT_OPTIONS: dict[str, Any] = {
    "autoResize": True,
    "layout": {"randomSeed": 7, "improvedLayout": False},
    "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "keyboard": False,
                    "multiselect": False, "selectConnectedEdges": True},
    "nodes": {"font": {"face": FONT_STACK, "size": 18, "color": "#1b1f24",
                       "strokeWidth": 4, "strokeColor": "#ffffff"},
              "borderWidth": 1.5, "borderWidthSelected": 3},
    "edges": {"smooth": False, "selectionWidth": 2, "hoverWidth": 1.5},
}
#: Options the page needs whatever the view says: a fixed picture and its own hover events.
ENFORCED_OPTIONS: dict[str, Any] = {
    "physics": {"enabled": False},
    "configure": {"enabled": False},
    "interaction": {"hover": True},
}
#: Above this many nodes, edges are hidden while the view is dragged or zoomed, to keep it fluid.
LARGE_NETWORK = 2000
#: Above this many bytes of JSON, the data is embedded gzip-compressed in base64 (the browser
#: inflates it with DecompressionStream): 5,000 organisations fit in a few MB instead of over 10.
COMPRESS_ABOVE = 1_000_000

_COLOR = re.compile(
    r"#[0-9a-fA-F]{3,8}|(?:rgb|rgba|hsl|hsla)\(\s*[0-9.%,\s/-]+\)|[a-zA-Z]{3,30}"
)
_SHAPES = {"dot", "circle", "ellipse", "box", "square", "diamond", "triangle", "triangleDown",
           "star", "hexagon", "database", "text"}


class NetworkLike(Protocol):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    options: Any


class ViewLike(Protocol):
    """What the renderer needs: an ``AllianceView`` from ``graph.visualise.view`` fits."""

    network: NetworkLike
    data: dict[str, Any]


@dataclass
class StoredView:
    """A view read back from JSON (tests and benchmarks); it has the shape of an AllianceView."""

    network: Any
    data: dict[str, Any]


def view_from_json(path: str | os.PathLike[str]) -> StoredView:
    """Read a view stored as ``{"network_nodes", "network_edges", "options", "data"}``."""
    from pyvis.network import Network

    stored = json.loads(Path(path).read_text(encoding="utf-8"))
    network = Network()
    network.nodes = stored["network_nodes"]
    network.edges = stored["network_edges"]
    network.options = stored.get("options", {})
    return StoredView(network=network, data=stored["data"])


@cycles_uncollected()
def render_html(view: ViewLike, *, compress: bool | None = None) -> str:
    """The page of a view, as one string. The same view always gives the same bytes.

    ``compress``: embed the data gzip-compressed; by default only above COMPRESS_ABOVE bytes.
    """
    data = view.data
    meta = data.get("meta", {})
    legend = data.get("legend", {})
    network = {
        "nodes": _clean_items(view.network.nodes, "node"),
        "edges": _clean_items(view.network.edges, "edge"),
        "options": vis_options(view.network),
    }
    context = {
        "csp": CONTENT_SECURITY_POLICY,
        "meta": {
            "title": meta.get("title") or "Alliance network",
            "subtitle": meta.get("subtitle") or "",
            "filter_summary": meta.get("filter_summary") or "",
            "data_date": meta.get("data_date") or "",
            "measure": meta.get("measure") or "",
        },
        "legend": _safe_legend(legend),
        "filters": data.get("filters", {}),
        "unknown_years": sum(1 for a in data.get("alliances", {}).values() if not isinstance(a.get("year"), int)),
        "vis_css": Markup(_inline_css(_vis_file("vis-network.css"))),
        "page_css": Markup(_inline_css(_page_file("page.css"))),
        "vis_js": Markup(_inline_js(_vis_file("vis-network.min.js"))),
        "page_js": Markup(_inline_js(_page_file("page.js"))),
        "payloads": _payloads({"alliance-data": data, "alliance-network": network}, compress),
    }
    return _environment().get_template("template.html.j2").render(context)


def write_html(view: ViewLike, path: str | os.PathLike[str], *, compress: bool | None = None) -> Path:
    """Write the page of a view to ``path`` atomically (a reader never sees half a file)."""
    return write_atomic(Path(path), render_html(view, compress=compress).encode("utf-8"))


def json_for_script(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no data can close the element."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise AllianceError(f"The view cannot be written as JSON: {error}") from error
    return _script_safe(text)


def page_json(value: Any) -> str:
    """``json_for_script``'s JSON, written by orjson: the same values (a number may be spelt
    otherwise, 1e-05 as 0.00001), six times faster on the page of 15,000 organisations (0.4 s against 2.4 s).
    What orjson writes otherwise than ``json`` or refuses (a number that is not finite, which orjson
    would write as null; keys that are not text; integers over 64 bits) is left to ``json_for_script``."""
    return page_json_bytes(value).decode("utf-8")


def page_json_bytes(value: Any) -> bytes:
    """``page_json`` encoded in UTF-8, made safe as bytes: a compressed page never decodes the JSON
    orjson wrote to text and encodes it again (68 MB at 15,000 organisations, 0.3 s of CPU with the
    escapes done on the text). The escapes are the same: ``<``, ``>`` and ``&`` are one byte each in
    UTF-8, and U+2028 and U+2029 are three bytes that cannot start inside another character."""
    try:
        raw = _checked_orjson(value)
    except orjson.JSONEncodeError:
        raw = None
    if raw is None:
        return json_for_script(value).encode("utf-8")
    safe = raw.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    # U+2028 and U+2029 are E2 80 A8 and E2 80 A9: without the byte E2 (found by memchr, 3 ms for the
    # 68 MB of 15,000 organisations) neither is there, and their two searches (0.1 s) are skipped.
    if b"\xe2" in safe:
        safe = safe.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
    return safe


def _script_safe(text: str) -> str:
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _checked_orjson(value: Any) -> bytes | None:
    """orjson's JSON of ``value``, or None when a float in it is not finite (which orjson writes as
    null). orjson writes every such float as ``null``, so only a part whose JSON holds ``null`` (a
    None, or the word in a text) is walked by ``_finite``: a dict with text keys is written member by
    member, the bytes orjson writes for the whole dict. On the page of 15,000 organisations only the
    edges' member holds null: the walk of every value took 1.2-2.7 s of CPU (docs/benchmarks.md)."""
    if type(value) is dict and all(type(key) is str for key in value):
        chunks = [b"{"]  # joined once: each copy of the 68 MB of 15,000 organisations costs a tenth of a second
        for key, member in value.items():
            raw = orjson.dumps(member)
            if b"null" in raw and not _finite(member):
                return None
            chunks += (b"," if len(chunks) > 1 else b"", orjson.dumps(key), b":", raw)
        chunks.append(b"}")
        return b"".join(chunks)
    raw = orjson.dumps(value)
    return None if b"null" in raw and not _finite(value) else raw


def _finite(value: Any) -> bool:
    """No float in ``value`` is infinite or not a number."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is int or item is None or kind is bool:
            continue
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return True


def vis_options(network: NetworkLike) -> dict[str, Any]:
    """The vis-network options of the page: defaults, then the view's, then what the page needs."""
    options = network.options
    # pyvis' own default Options object asks for physics and curved edges; only a dict set by the
    # view is the view's choice.
    own = copy.deepcopy(options) if isinstance(options, dict) else {}
    merged = _merge(copy.deepcopy(DEFAULT_OPTIONS), own)
    if len(network.nodes) > LARGE_NETWORK:
        interaction = merged.setdefault("interaction", {})
        interaction.setdefault("hideEdgesOnDrag", True)
        interaction.setdefault("hideEdgesOnZoom", True)
    return _merge(merged, copy.deepcopy(ENFORCED_OPTIONS))


def safe_color(value: Any, default: str = "#8a8f98") -> str:
    """A CSS colour from data, or ``default`` if it could be anything else."""
    if isinstance(value, str) and _COLOR.fullmatch(value.strip()):
        return value.strip()
    return default


def read_payloads(page: str) -> dict[str, Any]:
    """The JSON blocks of a rendered page by element id, compressed or not (for tests and tools)."""
    found = {}
    for match in re.finditer(r'<script type="([^"]+)" id="([^"]+)"(?: data-encoding="([^"]+)")?>(.*?)</script>',
                             page, flags=re.DOTALL):
        kind, ident, encoding, text = match.groups()
        if encoding == "gzip+base64":
            text = gzip.decompress(base64.b64decode(text)).decode("utf-8")
        elif kind != "application/json":
            continue
        found[ident] = json.loads(text)
    return found


def _payloads(blocks: dict[str, Any], compress: bool | None) -> list[dict[str, Any]]:
    texts = {ident: page_json_bytes(value) for ident, value in blocks.items()}
    if compress is None:  # counted in characters, as when the JSON was text
        compress = _characters_over(list(texts.values()), COMPRESS_ABOVE)
    payloads: list[dict[str, Any]] = []
    for ident, text in texts.items():
        if compress:
            packed = base64.b64encode(gzip.compress(text, compresslevel=6, mtime=0)).decode("ascii")
            payloads.append({"id": ident, "type": "application/gzip", "encoding": "gzip+base64", "text": packed})
        else:
            payloads.append({"id": ident, "type": "application/json", "encoding": None, "text": Markup(text.decode("utf-8"))})
    return payloads


def _characters_over(texts: list[bytes], limit: int) -> bool:
    """Whether UTF-8 texts hold more than ``limit`` characters, decoding them only when their bytes
    cannot tell (a character is one to four bytes)."""
    size = sum(len(text) for text in texts)
    if size <= limit or size > 4 * limit:
        return size > limit
    return sum(len(text.decode("utf-8")) for text in texts) > limit


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _clean_items(items: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """Nodes or edges without ``title`` (vis-network would show it as a tooltip of its own),
    checked for what would break the page: a missing or repeated id, a position that is not finite."""
    cleaned, seen = [], set()
    for item in items:
        ident = item.get("id")
        if ident is None or ident in seen:
            problem = "has no id" if ident is None else f"repeats the id {ident!r}"
            raise AllianceError(f"A {what} of the view {problem}; every {what} needs its own id.")
        seen.add(ident)
        for key, value in item.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise AllianceError(f"The {what} {ident!r} has a {key} that is not a finite number: {value}")
        # The item itself when it has no title: a copy of each of 100,000 items is a tenth of a second.
        cleaned.append({key: value for key, value in item.items() if key != "title"} if "title" in item else item)
    return cleaned


def _safe_legend(legend: dict[str, Any]) -> dict[str, Any]:
    edge = legend.get("edge") or {}
    return {
        "sector": [{**item, "color": safe_color(item.get("color"))} for item in legend.get("sector", [])],
        "kind": [{**item, "shape": item.get("shape") if item.get("shape") in _SHAPES else "dot"}
                 for item in legend.get("kind", [])],
        "edge": {"by": edge.get("by", "material"),
                 "items": [{**item, "color": safe_color(item.get("color"))} for item in edge.get("items", [])]},
        "status": [{"key": str(item.get("key", "")), "label": item.get("label", ""), "dashes": bool(item.get("dashes")),
                    "opacity": float(item.get("opacity", 1))} for item in legend.get("status", [])],
        "size": legend.get("size", ""),
        "width": legend.get("width", ""),
    }


def _inline_js(text: str) -> str:
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _inline_css(text: str) -> str:
    if re.search(r"</style", text, flags=re.IGNORECASE):
        raise AllianceError("A stylesheet to inline contains '</style'; it cannot be inlined safely.")
    return text


@lru_cache(maxsize=None)
def _vis_file(name: str) -> str:
    path = VIS_DIR / name
    if not path.is_file():
        raise AllianceError(
            f"vis-network is missing from the pyvis installation ({path}). Reinstall pyvis==0.3.2."
        )
    return path.read_text(encoding="utf-8")


def _page_file(name: str) -> str:
    return (PAGE_DIR / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PAGE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
