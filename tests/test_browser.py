"""The network page in a real, offline headless Chromium: drawing, search, filters, highlighting,
escaping, and the PNG and SVG exports.

Needs Chromium and the playwright package (no browser download: the system Chromium is used).
Debian: apt-get install chromium, or set ALLIANCES_CHROMIUM to a Chromium/Chrome executable;
in CI, .ci/run installs it.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from graph.errors import AllianceError
from graph.visualise.html import view_from_json, write_html
from graph.visualise.image import (
    ImageExportUnavailable,
    PageReport,
    export_image,
    offline_page,
    wait_until_drawn,
)

from conftest import SMALL_VIEW as SMALL, XSS_IMG, XSS_SCRIPT

if TYPE_CHECKING:  # playwright stays optional: the export tests run without it
    from playwright.sync_api import Browser, Page

SVG = "{http://www.w3.org/2000/svg}"
# Wraps alert/confirm/prompt so that a label run as code would leave a mark as well as a dialog.
TRIPWIRE = """
for (const name of ["alert", "confirm", "prompt"]) {
  const original = window[name];
  window[name] = function (...args) { window.__injected = (window.__injected || 0) + 1; return original.apply(this, args); };
}
"""




@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_html(view_from_json(SMALL), tmp_path_factory.mktemp("page") / "small.html")
    return path.as_uri()


@pytest.fixture
def report() -> PageReport:
    return PageReport()


@pytest.fixture
def page(browser: Browser, page_url: str, report: PageReport) -> Iterator[Page]:
    """The small view, drawn; afterwards, no request was attempted, no error and no dialog."""
    page = offline_page(browser, 1920, 1080, report)
    page.add_init_script(TRIPWIRE)
    page.goto(page_url)
    wait_until_drawn(page, 30_000)
    assert page.evaluate("window.allianceGraphReady") is True
    yield page
    injected = page.evaluate("window.__injected || 0")
    page.context.close()
    assert report.blocked == [], "the page tried to reach the network"
    assert report.errors == [], "console errors, page errors or dialogs"
    assert injected == 0, "data ran as code"


def counts(page: Page) -> dict[str, int]:
    visible: dict[str, int] = page.evaluate("window.allianceGraph.visibleCounts()")
    return visible


def click_node(page: Page, node_id: str) -> None:
    x, y = page.evaluate(
        """(id) => {
            const network = window.allianceGraph.network;
            const p = network.canvasToDOM(network.getPositions([id])[id]);
            const box = document.querySelector('#network canvas').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""", node_id)
    page.mouse.click(x, y)


def test_draws_every_node_and_edge(page: Page) -> None:
    assert page.evaluate("window.allianceGraph.nodes.length") == 8
    assert page.evaluate("window.allianceGraph.edges.length") == 9
    assert page.evaluate("Object.keys(window.allianceGraph.network.getPositions()).length") == 8
    assert page.evaluate("document.body.dataset.ready") == "true"
    assert counts(page) == {"nodes": 8, "organisations": 7, "hubs": 1, "edges": 9}
    assert page.locator("#count").inner_text() == "7 organisations, 9 links shown"
    painted = page.evaluate("""() => {
        const canvas = document.querySelector('#network canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3] > 0) coloured++;
        return coloured;
    }""")
    assert painted > 10_000


def test_positions_are_the_given_ones(page: Page) -> None:
    positions = page.evaluate("window.allianceGraph.network.getPositions(['bmw', 'hbis'])")
    assert positions == {"bmw": {"x": -260, "y": -20}, "hbis": {"x": -20, "y": -230}}


def test_search_by_chinese_name_focuses_the_node(page: Page) -> None:
    page.fill("#search", "河钢")
    assert page.locator("#search-results li").first.inner_text().startswith("HBIS Group")
    page.keyboard.press("Enter")
    assert page.evaluate("window.allianceGraph.network.getSelectedNodes()") == ["hbis"]
    centre = page.evaluate("window.allianceGraph.network.getViewPosition()")
    assert abs(centre["x"] - -20) < 1 and abs(centre["y"] - -230) < 1
    assert page.locator("#details-body h3").inner_text() == "HBIS Group"
    assert "河钢集团" in page.locator("#details-body").inner_text()


@pytest.mark.parametrize("query, expected", [
    ("bayerische", "bmw"),       # German name, lower case
    ("HBIS GROUP", "hbis"),      # case-insensitive
    ("一汽", "fawvw"),            # Chinese prefix
    ("volkswagen", "fawvw"),     # part of a name
])
def test_search_matches_any_name(page: Page, query: str, expected: str) -> None:
    matches = page.evaluate("(q) => window.allianceGraph.findMatches(q).map(m => m.id)", query)
    assert matches[0] == expected


def test_material_filter_hides_edges_that_do_not_match(page: Page) -> None:
    page.select_option("#filter-material", "aluminium")
    assert counts(page) == {"nodes": 3, "organisations": 3, "hubs": 0, "edges": 2}
    hidden = page.evaluate("window.allianceGraph.edges.get({filter: e => e.hidden}).map(e => e.id).sort()")
    assert "bmw|hbis" in hidden and "bmw|xss1" not in hidden
    # A broader material finds the narrower ones (green, low-carbon and automotive steel).
    page.select_option("#filter-material", "steel")
    assert counts(page) == {"nodes": 5, "organisations": 4, "hubs": 1, "edges": 6}
    assert page.locator("#count").inner_text() == "4 organisations, 6 links shown"
    page.select_option("#filter-material", "green-steel")
    assert counts(page)["edges"] == 2
    page.select_option("#filter-type", "programme")
    assert counts(page)["edges"] == 0
    page.click("#reset")
    assert counts(page)["edges"] == 9


def test_year_range_changes_what_is_shown(page: Page) -> None:
    page.fill("#year-from", "2023")
    # 2023 and 2024 alliances; the alliance of unknown year is hidden once a range is set.
    assert counts(page) == {"nodes": 5, "organisations": 4, "hubs": 1, "edges": 6}
    page.fill("#year-from", "")
    page.fill("#year-to", "2019")
    assert counts(page) == {"nodes": 2, "organisations": 2, "hubs": 0, "edges": 1}
    page.fill("#year-to", "")
    assert counts(page)["edges"] == 9  # no range: unknown years are visible


def pixel(page: Page, node_id: str) -> list[int]:
    """The colour drawn at the centre of a node (device pixels, scale factor 1)."""
    colour: list[int] = page.evaluate(
        """(id) => {
            const network = window.allianceGraph.network;
            const p = network.canvasToDOM(network.getPositions([id])[id]);
            const canvas = document.querySelector('#network canvas');
            return Array.from(canvas.getContext('2d').getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data);
        }""", node_id)
    return colour


def test_clicking_a_node_dims_the_others_and_empty_space_resets(page: Page) -> None:
    steel_before, hbis_before = pixel(page, "baosteel"), pixel(page, "hbis")
    click_node(page, "bmw")
    dimmed = page.evaluate("window.allianceGraph.dimmed()")
    assert dimmed["nodes"] == ["baosteel", "fawvw", "xss2"]
    # Only the links of the clicked node stay, even between two of its neighbours.
    assert dimmed["edges"] == ["fawvw|baosteel", "rmi-pilot|baosteel", "rmi-pilot|fawvw", "rmi-pilot|hbis", "xss1|xss2"]
    page.wait_for_timeout(100)  # the redraw runs on the next animation frame
    assert sum(pixel(page, "baosteel")[:3]) > sum(steel_before[:3]) + 150  # veiled: much lighter
    assert pixel(page, "hbis") == hbis_before  # a neighbour is drawn as it was
    assert page.locator("#details-body h3").inner_text() == "BMW Group"
    box = page.locator("#network").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 30, box["y"] + 30)
    assert page.evaluate("window.allianceGraph.dimmed()") == {"nodes": [], "edges": []}
    assert page.evaluate("window.allianceGraph.network.getSelectedNodes()") == []
    page.wait_for_timeout(100)
    assert pixel(page, "baosteel") == steel_before


def test_clicking_a_line_shows_its_alliances(page: Page) -> None:
    x, y = page.evaluate(
        """() => {
            const network = window.allianceGraph.network;
            const p = network.getPositions(['bmw', 'hbis']);
            const mid = network.canvasToDOM({x: (p.bmw.x + p.hbis.x) / 2, y: (p.bmw.y + p.hbis.y) / 2});
            const box = document.querySelector('#network canvas').getBoundingClientRect();
            return [box.left + mid.x, box.top + mid.y];
        }""")
    page.mouse.click(x, y)
    details = page.locator("#details-body")
    assert details.locator("h3").inner_text() == "BMW Group — HBIS Group"
    assert details.locator("section.alliance h4").all_inner_texts() == [
        "BMW–HBIS green steel memorandum", "HBIS supplies low-carbon steel to BMW Brilliance"]
    text = details.inner_text()
    for expected in ("Memorandum of understanding", "2022-08-05", "buyer", "supplier", "green steel",
                     "hydrogen-based direct reduction", "95 % — CO₂ reduction by 2030 (target)", "SteelOrbis"):
        assert expected in text
    link = details.locator("a")
    assert link.count() == 1  # the second alliance's source has no address
    rel = link.get_attribute("rel")
    assert link.get_attribute("target") == "_blank" and rel is not None and "noopener" in rel
    assert page.evaluate("window.allianceGraph.dimmed()")["nodes"] == [
        "baosteel", "fawvw", "huayou", "rmi-pilot", "xss1", "xss2"]


def test_asking_for_a_hidden_node_clears_the_filters(page: Page) -> None:
    page.select_option("#filter-material", "aluminium")
    assert counts(page)["edges"] == 2
    page.fill("#search", "huayou")
    assert "hidden by the filters" in page.locator("#search-results li").first.inner_text()
    page.keyboard.press("Enter")
    assert counts(page)["edges"] == 9
    assert page.input_value("#filter-material") == ""
    assert page.evaluate("window.allianceGraph.network.getSelectedNodes()") == ["huayou"]
    assert "Filters were cleared" in page.locator("#search-status").inner_text()


def test_hostile_labels_show_as_text(page: Page) -> None:
    click_node(page, "xss1")
    assert page.locator("#details-body h3").inner_text() == XSS_IMG
    page.locator("#details-body ul.alliance-list button", has_text=XSS_IMG).click()
    details = page.locator("#details-body")
    assert XSS_SCRIPT in details.inner_text()
    assert page.locator("#details img, .tooltip img, #source-list img").count() == 0
    assert page.locator("script").count() == 4
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(href.startswith("https://") for href in hrefs)  # javascript: is not a link
    assert XSS_SCRIPT in page.locator("#source-list").inner_text()
    page.fill("#search", "onerror")
    assert page.locator("#search-results li").first.inner_text() == XSS_IMG


def test_hover_shows_a_text_tooltip(page: Page) -> None:
    x, y = page.evaluate(
        """() => {
            const network = window.allianceGraph.network;
            const p = network.canvasToDOM(network.getPositions(['xss2']).xss2);
            const box = document.querySelector('#network canvas').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""")
    page.mouse.move(x - 40, y - 40)
    page.mouse.move(x, y, steps=4)
    page.wait_for_selector("#tooltip:not([hidden])")
    assert page.locator("#tooltip strong").inner_text() == XSS_SCRIPT


def test_svg_of_the_page(page: Page) -> None:
    svg = page.evaluate("window.allianceGraph.toSVG()")
    root = ElementTree.fromstring(svg.encode("utf-8"))
    assert (root.get("width"), root.get("height")) == ("1920", "1080")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert XSS_IMG in texts and XSS_SCRIPT in texts
    assert len(list(root.iter(f"{SVG}line"))) >= 9


def test_compressed_page_draws_the_same(browser: Browser, tmp_path: Path, report: PageReport) -> None:
    path = write_html(view_from_json(SMALL), tmp_path / "compressed.html", compress=True)
    page = offline_page(browser, 1280, 800, report)
    page.goto(path.as_uri())
    wait_until_drawn(page, 30_000)
    assert counts(page) == {"nodes": 8, "organisations": 7, "hubs": 1, "edges": 9}
    assert page.evaluate("window.allianceGraph.findMatches('宝马')[0].id") == "bmw"
    page.context.close()
    assert report.blocked == [] and report.errors == []


def test_export_png_and_svg(browser: Browser, tmp_path: Path) -> None:  # `browser`: skipped without Chromium
    view = view_from_json(SMALL)
    png = export_image(view, tmp_path / "network.png", "png")
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 1920
    assert int.from_bytes(header[20:24], "big") == 1080

    again = export_image(view, tmp_path / "again.png")  # the format follows the extension
    assert again.read_bytes() == png.read_bytes()  # same machine, same bytes

    first = export_image(view, tmp_path / "first.svg", "svg").read_bytes()
    second = export_image(view, tmp_path / "second.svg", "svg").read_bytes()
    assert first == second
    root = ElementTree.fromstring(first)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert view.data["meta"]["title"] in texts
    assert "LEGEND" in texts
    assert {item["label"] for item in view.data["legend"]["sector"]} <= set(texts)
    assert root.find(f"{SVG}g[@id='legend']") is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "first.svg", "network.png", "second.svg"]


def test_export_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(AllianceError, match="png or .svg"):
        export_image(view_from_json(SMALL), tmp_path / "network.jpg")
    with pytest.raises(AllianceError, match="png or svg"):
        export_image(view_from_json(SMALL), tmp_path / "network.png", "gif")
    assert list(tmp_path.iterdir()) == []


def test_export_without_chromium_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCES_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(ImageExportUnavailable, match="apt-get install chromium") as caught:
        export_image(view_from_json(SMALL), tmp_path / "network.png")
    assert "ALLIANCES_CHROMIUM" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_export_without_playwright_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCES_CHROMIUM", sys.executable)  # any executable passes the first check
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    with pytest.raises(ImageExportUnavailable, match="playwright"):
        export_image(view_from_json(SMALL), tmp_path / "network.svg", "svg")
    assert list(tmp_path.iterdir()) == []
