"""What every explorer page shares: the templates, the static assets, the Content-Security-Policy,
links from IRIs to the explorer's own pages, and content negotiation.

Pages load nothing from any other address: scripts, styles and frames come from this server
('self'), and the page's own script may only talk to this server (connect-src 'self'). Text from
the data reaches the pages through Jinja2 with autoescape on, and through ``textContent`` in
JavaScript; a link from data is only ever an http(s) address.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from graph.config import TAXONOMY_NS
from graph.rdf.namespaces import PREFIXES
from graph.ask.resolve import KINDS
from graph.visualise.html import CONTENT_SECURITY_POLICY as NETWORK_PAGE_POLICY, json_for_script

PAGES_DIR = Path(__file__).with_name("pages")  # templates
ASSETS_DIR = PAGES_DIR / "assets"  # served at /assets: the stylesheet and the script

#: The explorer's pages: everything from this server, nothing from anywhere else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; child-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; manifest-src 'none'; worker-src 'none'"
)
#: Only a header can say who may frame a page; the meta element carries the rest.
HEADER_POLICY = CONTENT_SECURITY_POLICY + "; frame-ancestors 'self'"
#: The network page inlines its script and data and makes no request at all.
NETWORK_POLICY = NETWORK_PAGE_POLICY + "; frame-ancestors 'self'"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

ENTITY_KINDS = ("organisation", "alliance", "person", "plant", "platform", "post", "claim")
TAXONOMY_KINDS = tuple(kind for kind in KINDS if kind not in ENTITY_KINDS)
_WEB_URL = re.compile(r"https?://[^\s\"'<>\\]+", re.IGNORECASE)


@lru_cache(maxsize=None)
def asset_version(name: str) -> str:
    """A short hash of an asset, appended to its URL so that a changed file is fetched anew."""
    return hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()[:12]


def web_url(value: Any) -> str | None:
    """``value`` if it is a plain http(s) address (a source's link), else None: no javascript: links."""
    return value if isinstance(value, str) and _WEB_URL.fullmatch(value) else None


def compact(iri: str) -> str:
    """``al:Agreement`` for an IRI under one of the project's prefixes, else the IRI itself."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri.removeprefix(namespace)}"
    return iri


@dataclass(frozen=True)
class Links:
    """Addresses of the explorer's pages, under the prefix the app is mounted at."""

    root: str
    base: str

    @classmethod
    def of(cls, request: Request, base: str) -> "Links":
        return cls(str(request.scope.get("root_path", "")).rstrip("/"), base)

    def page(self, path: str) -> str:
        return f"{self.root}{path}"

    def entity(self, kind: str, ident: str) -> str:
        """The page of a profile reference (``{kind, id}`` as graph.ask.profile writes it)."""
        if kind in TAXONOMY_KINDS:
            return f"{self.root}/taxonomy/{kind}/{ident}" if ident else f"{self.root}/taxonomy/{kind}"
        return f"{self.root}/id/{kind}/{ident}"

    def iri(self, iri: str) -> str | None:
        """The explorer page of an IRI of this graph, or None for any other IRI."""
        if iri.startswith(TAXONOMY_NS):
            return f"{self.root}/taxonomy/{iri.removeprefix(TAXONOMY_NS)}"
        if iri.startswith(self.base):
            return f"{self.root}/id/{iri.removeprefix(self.base)}"
        return None

    def compact(self, iri: str) -> str:
        """``organisation/hbis`` for an IRI of this graph, ``al:Agreement`` for a known prefix."""
        if iri.startswith(self.base) and len(iri) > len(self.base):
            return iri.removeprefix(self.base)
        return compact(iri)

    def asset(self, name: str) -> str:
        return f"{self.root}/assets/{name}?v={asset_version(name)}"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PAGES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["web_url"] = web_url
    env.filters["compact"] = compact
    env.filters["words"] = lambda name: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name)).lower()
    env.filters["json_script"] = lambda value: Markup(json_for_script(value))
    return env


def render_page(request: Request, template: str, links: Links, status_code: int = 200,
                headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A page from ``pages/<template>`` with the policy in a header and a meta element."""
    html = environment().get_template(template).render(csp=CONTENT_SECURITY_POLICY, links=links, **context)
    return HTMLResponse(html, status_code=status_code,
                        headers={"Content-Security-Policy": HEADER_POLICY, **SECURITY_HEADERS, **(headers or {})})


def error_page(request: Request, links: Links, status_code: int, title: str, message: str,
               headers: dict[str, str] | None = None, suggestions: list[Any] | None = None) -> HTMLResponse:
    return render_page(request, "error.html.j2", links, status_code=status_code, headers=headers,
                       title=title, message=message, status=status_code, suggestions=suggestions or [])
