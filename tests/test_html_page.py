"""The network page as text (no browser): offline, escaped, strict, deterministic."""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from graph.errors import AllianceError
from graph.visualise.html import (
    COMPRESS_ABOVE,
    VIS_DIR,
    json_for_script,
    read_payloads,
    StoredView,
    render_html,
    view_from_json,
    vis_options,
    write_html,
)

from conftest import SMALL_VIEW as SMALL, XSS_IMG, XSS_SCRIPT
URL = re.compile(r"""https?://[^\s"'<>()\\]+""")
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "srcset", "data", "background",
                  "xlink:href", "ping", "manifest", "cite", "longdesc", "codebase"}


class PageParser(HTMLParser):
    """Tags, attributes and the raw text of <script> and <style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: tuple[str, dict[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("script", "style"):
            self._open = (tag, attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is None:
            return
        tag, attributes = self._open
        if tag == "script":
            self.scripts.append((attributes, data))
        else:
            self.styles.append(data)


@pytest.fixture
def view() -> StoredView:
    return view_from_json(SMALL)


@pytest.fixture
def page(view: StoredView) -> str:
    return render_html(view)


@pytest.fixture
def parsed(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def embedded(parsed: PageParser, element_id: str) -> Any:
    (text,) = [text for attributes, text in parsed.scripts if attributes.get("id") == element_id]
    return json.loads(text)


def test_fixture_has_what_the_tests_rely_on(view: StoredView) -> None:
    kinds = {node["kind"] for node in view.data["nodes"].values()}
    labels = {node["label"] for node in view.data["nodes"].values()}
    assert "alliance-hub" in kinds
    assert {XSS_IMG, XSS_SCRIPT} <= labels
    assert any(node["names"]["zh"] for node in view.data["nodes"].values())
    assert any(node["names"]["de"] for node in view.data["nodes"].values())
    assert {n["id"] for n in view.network.nodes} == set(view.data["nodes"])
    assert {e["id"] for e in view.network.edges} == set(view.data["edges"])


def test_no_tag_loads_from_an_address(parsed: PageParser) -> None:
    for tag, attributes in parsed.tags:
        assert tag not in {"link", "iframe", "object", "embed", "img", "base", "frame", "audio", "video"}, tag
        if tag == "script":
            assert "src" not in attributes
        for name, value in attributes.items():
            if name in URL_ATTRIBUTES and value:
                assert not re.match(r"\s*(https?:)?//", value, re.IGNORECASE), (tag, name, value)


def test_css_loads_nothing(parsed: PageParser) -> None:
    css = "\n".join(parsed.styles)
    css += "\n".join(style for _, a in parsed.tags if (style := a.get("style")))
    assert "@import" not in css
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", css, flags=re.IGNORECASE):
        assert target.startswith("data:"), target
    assert "@font-face" not in css


def test_only_known_addresses_appear_anywhere(page: str, view: StoredView) -> None:
    allowed = set(URL.findall(_vis_text()))  # licence and namespace strings in vis-network's code
    allowed.add("http://www.w3.org/2000/svg")  # the namespace of the SVG export
    sources = [s["url"] for s in view.data["meta"]["sources"] if s["url"]]
    for alliance in view.data["alliances"].values():
        sources += [s["url"] for s in alliance["sources"] if s["url"]]
    allowed |= {url.replace("&", "\\u0026") for url in sources}
    found = set(URL.findall(page))
    assert found <= allowed, found - allowed
    assert {url for url in sources if url.startswith("http")} <= found  # sources stay in the data


def test_content_security_policy_forbids_every_request(page: str, parsed: PageParser) -> None:
    policies = [a for tag, a in parsed.tags
                if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(policies) == 1
    content = policies[0]["content"]
    assert content is not None
    policy = {part.split()[0]: part.split()[1:] for part in content.split(";") if part.strip()}
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'none'"]
    assert policy["script-src"] == ["'unsafe-inline'"]
    assert policy["style-src"] == ["'unsafe-inline'"]
    assert policy["img-src"] == ["data:"]
    # The policy must come before anything it governs.
    assert page.index("Content-Security-Policy") < min(page.index("<style"), page.index("<script"))


def test_injected_labels_appear_only_escaped(page: str, parsed: PageParser, view: StoredView) -> None:
    assert "<img src=x onerror" not in page
    assert "alert(2)</script>" not in page
    assert "<script>alert" not in page
    assert "javascript:alert" in page.replace("\\u003c", "<")  # the bad link stays data, never an href
    # Only the four script elements of the page open and close; no data ends one early.
    assert page.lower().count("</script") == 4
    assert [t for t, _ in parsed.tags if t == "script"] == ["script"] * 4
    assert embedded(parsed, "alliance-data") == view.data


def test_strings_in_the_page_shell_are_escaped(view: StoredView) -> None:
    hostile = copy.deepcopy(view.data)
    hostile["meta"].update(title=XSS_SCRIPT, subtitle=XSS_IMG, filter_summary=XSS_IMG, data_date=XSS_IMG)
    hostile["legend"]["sector"][0]["label"] = XSS_IMG
    hostile["legend"]["sector"][1]["color"] = "red; background-image: url(https://example.org/x)"
    hostile["legend"]["size"] = XSS_SCRIPT
    hostile["filters"]["materials"][0] = {"key": '"><img src=x onerror=alert(1)>', "label": XSS_IMG}
    view.data = hostile
    page = render_html(view)
    assert "<img src=x onerror" not in page
    assert "alert(2)</script>" not in page
    assert "example.org" not in page.split('id="alliance-data"')[0]  # the colour was refused
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert page.lower().count("</script") == 4


def test_embedded_json_cannot_close_the_script() -> None:
    text = json_for_script({"a": "</script><!-- \u2028\u2029 & <b>"})
    for forbidden in ("<", ">", "&", "\u2028", "\u2029"):
        assert forbidden not in text
    assert json.loads(text) == {"a": "</script><!-- \u2028\u2029 & <b>"}


def test_data_that_is_not_json_is_refused(view: StoredView, tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text("previous", encoding="utf-8")
    view.data["nodes"]["bmw"]["measure"] = float("nan")
    with pytest.raises(AllianceError, match="JSON"):
        write_html(view, target)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_large_data_is_embedded_compressed(view: StoredView) -> None:
    plain = render_html(view, compress=False)
    packed = render_html(view, compress=True)
    assert read_payloads(packed) == read_payloads(plain)
    assert read_payloads(packed)["alliance-data"] == view.data
    assert 'data-encoding="gzip+base64"' in packed and "BMW Group" not in packed.split("<script")[-4]
    assert render_html(view, compress=True) == packed  # still deterministic
    assert 'data-encoding' not in render_html(view)    # small views stay readable JSON
    big = copy.deepcopy(view.data)
    big["meta"]["subtitle"] = "x" * (COMPRESS_ABOVE + 1)
    view.data = big
    assert 'data-encoding="gzip+base64"' in render_html(view)


@pytest.mark.parametrize("break_it, message", [
    (lambda v: v.network.edges[0].pop("id"), "edge of the view has no id"),
    (lambda v: v.network.nodes.append(dict(v.network.nodes[0])), "repeats the id 'bmw'"),
    (lambda v: v.network.nodes[0].update(x=float("inf")), "not a finite number"),
])
def test_views_that_would_break_the_page_are_refused(
        view: StoredView, break_it: Callable[[StoredView], object], message: str) -> None:
    break_it(view)
    with pytest.raises(AllianceError, match=message):
        render_html(view)


def test_two_renders_are_identical(page: str) -> None:
    assert render_html(view_from_json(SMALL)) == page


def test_write_html_replaces_the_file_in_one_step(view: StoredView, tmp_path: Path) -> None:
    target = tmp_path / "out" / "alliances.html"
    with pytest.raises(AllianceError, match="does not exist"):  # a folder is never made behind the user's back
        write_html(view, target)
    assert not target.parent.exists()
    target.parent.mkdir()
    assert write_html(view, target) == target
    first = target.read_bytes()
    write_html(view, target)
    assert target.read_bytes() == first == render_html(view).encode("utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["alliances.html"]


def test_size_is_reasonable(page: str) -> None:
    vis = len(_vis_text().encode("utf-8"))
    size = len(page.encode("utf-8"))
    assert vis < size < vis + 150_000


def test_page_is_readable_without_javascript(page: str) -> None:
    assert '<h1 id="page-title">Decarbonisation alliances: automakers and their material suppliers</h1>' in page
    assert "2025-11-07" in page
    for label in ("Automotive", "Corporate group", "Battery materials", "PageRank in the alliance network"):
        assert label in page.split('id="alliance-data"')[0]


def test_print_stylesheet_hides_controls_and_keeps_the_legend(parsed: PageParser) -> None:
    css = parsed.styles[-1]
    block = css[css.index("@media print"):]
    assert ".toolbar" in block and "display: none" in block
    assert ".legend" not in block.split("display: none")[0].split("{")[-2]


def test_options_keep_the_picture_fixed(view: StoredView) -> None:
    view.network.options = {"physics": {"enabled": True, "solver": "barnesHut"}, "nodes": {"shape": "box"}}
    options = vis_options(view.network)
    assert options["physics"]["enabled"] is False
    assert options["nodes"]["shape"] == "box"
    assert options["interaction"]["hover"] is True


def test_pyvis_default_options_are_not_taken_for_the_views(view: StoredView) -> None:
    from pyvis.network import Network

    view.network.options = Network().options
    options = vis_options(view.network)
    assert options["physics"] == {"enabled": False}
    assert options["edges"]["smooth"] is False


def test_vis_titles_are_dropped(view: StoredView, parsed: PageParser) -> None:
    view.network.nodes[0]["title"] = XSS_IMG
    network = embedded(_parse(render_html(view)), "alliance-network")
    assert all("title" not in item for item in network["nodes"] + network["edges"])


def _parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def _vis_text() -> str:
    return (VIS_DIR / "vis-network.min.js").read_text(encoding="utf-8") + (
        VIS_DIR / "vis-network.css").read_text(encoding="utf-8")
