"""Pictures people can present: the PNG and the SVG are one drawing with one label layout; names are
placed by importance without overlapping, at least 30 on the seed landscape at 1920x1080; Chinese and
German names render; edges show deal status and volume; the source list stays out of the slide.

The browser tests run in the system Chromium (skipped with how to install it, unless
ALLIANCES_REQUIRE_BROWSER is set); the rest checks the view the page draws from."""
from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from itertools import combinations
from typing import Any

import pytest

from graph.network.landscape import Alliance, load_landscape
from graph.visualise.image import LabelBox, RenderedImage, render_image
from graph.visualise.view import AllianceView, alliance_volume, build_view, edge_status, importance_ranks

from landscape_support import synthetic_landscape

SVG = "{http://www.w3.org/2000/svg}"
WIDTH, HEIGHT = 1920, 1080


@pytest.fixture(scope="module")
def synthetic() -> AllianceView:
    return build_view(synthetic_landscape(1000), edge_width="volume")


@pytest.fixture(scope="module")
def seed(store: Any) -> AllianceView:
    return build_view(load_landscape(store))


def top_names(view: AllianceView, count: int) -> list[str]:
    ranked = sorted((info["rank"], info["label"]) for info in view.data["nodes"].values() if "rank" in info)
    return [label for _, label in ranked[:count]]


def svg_labels(svg: str) -> list[tuple[str, str]]:
    root = ElementTree.fromstring(svg.encode("utf-8"))
    group = root.find(f".//{SVG}g[@id='labels']")
    assert group is not None, "the SVG has no group of labels"
    return [(text.get("data-node") or "", text.text or "") for text in group.iter(f"{SVG}text")]


def assert_no_overlap(labels: list[LabelBox]) -> None:
    for a, b in combinations(labels, 2):
        assert not a.intersects(b), f"the names {a.text!r} and {b.text!r} overlap"


# ---------------------------------------------------------------- the view (no browser)

def test_ranks_follow_the_size_measure_and_brokers_come_first_by_constraint() -> None:
    labels = {"a": "A", "b": "B", "c": "C"}
    assert importance_ranks({"a": 0.1, "b": 0.5, "c": 0.3}, "pagerank", labels) == {"b": 1, "c": 2, "a": 3}
    assert importance_ranks({"a": 0.1, "b": 0.5, "c": 0.3}, "constraint", labels) == {"a": 1, "c": 2, "b": 3}


def test_every_organisation_has_a_rank_and_hubs_none(synthetic: AllianceView) -> None:
    ranks = [info.get("rank") for info in synthetic.data["nodes"].values() if info["kind"] != "alliance-hub"]
    assert sorted(ranks) == list(range(1, synthetic.graph.number_of_nodes() + 1))
    assert all("rank" not in info for info in synthetic.data["nodes"].values() if info["kind"] == "alliance-hub")


def deal(status_keys: set[str], claims: list[dict[str, str]] | None = None) -> Alliance:
    return Alliance("x", "x", status_keys=status_keys, claims=claims or [])


def test_an_edge_is_binding_when_one_of_its_deals_is() -> None:
    assert edge_status([deal({"status/non-binding"}), deal({"status/delivering", "status/binding"})]) == "binding"
    assert edge_status([deal({"status/announced"}), deal(set())]) == "non-binding"
    assert edge_status([deal({"status/cancelled"})]) == "cancelled"
    assert edge_status([deal(set())]) == "unknown"


def test_a_deal_volume_is_its_largest_yearly_tonnage() -> None:
    claims = [{"value": "500", "unit": "kilotonne / year", "measure": "volume"},
              {"value": "1.2", "unit": "megametric_ton / year", "measure": "volume"},
              {"value": "30", "unit": "percent", "measure": "share"},
              {"value": "9", "unit": "EUR", "measure": "money"}]
    assert alliance_volume(deal(set(), claims)) == (1_200_000.0, "t/yr")
    assert alliance_volume(deal(set(), [{"value": "80", "unit": "tonne", "measure": "volume"}])) == (80.0, "t")
    assert alliance_volume(deal(set(), claims[2:])) is None


def test_edges_carry_status_styles_and_width_by_volume(synthetic: AllianceView) -> None:
    edges = {edge["id"]: edge for edge in synthetic.network.edges}
    info = synthetic.data["edges"]
    binding = [e for e in edges if info[e]["status"] == "binding"]
    non_binding = [e for e in edges if info[e]["status"] == "non-binding"]
    assert binding and non_binding
    assert all(edges[e]["dashes"] is False for e in binding) and all(edges[e]["dashes"] for e in non_binding)
    with_volume = [e for e in edges if info[e]["volume"]]
    without = [e for e in edges if not info[e]["volume"]]
    assert with_volume and without
    largest = max(with_volume, key=lambda e: info[e]["volume"])
    assert edges[largest]["width"] == max(edges[e]["width"] for e in edges) > 1
    assert all(edges[e]["width"] == 1 for e in without)
    assert {item["key"] for item in synthetic.data["legend"]["status"]} >= {"binding", "non-binding", "member"}
    assert "contracted volume" in synthetic.data["legend"]["width"]


def test_the_subtitle_says_what_the_filters_kept(store: Any) -> None:
    from graph.network.filters import NetworkFilter

    view = build_view(load_landscape(store), NetworkFilter(material="material/steel"))
    assert view.data["meta"]["subtitle"].startswith("Material: steel")


# ---------------------------------------------------------------- in Chromium

@pytest.fixture(scope="module")
def seed_png(browser: Any, seed: AllianceView) -> RenderedImage:
    return render_image(seed, "png", WIDTH, HEIGHT)


def test_seed_png_names_at_least_30_organisations_without_overlap(seed_png: RenderedImage, seed: AllianceView) -> None:
    assert seed_png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(seed_png.content[16:20], "big") == WIDTH
    assert int.from_bytes(seed_png.content[20:24], "big") == HEIGHT
    organisations = [label for label in seed_png.labels if seed.data["nodes"][label.node]["kind"] != "alliance-hub"]
    assert len(organisations) >= 30
    assert min(label.size for label in seed_png.labels) >= 16  # readable on a slide
    assert_no_overlap(seed_png.labels)
    names = {text for _, text in svg_labels(seed_png.svg)}
    assert set(top_names(seed, 10)) <= names


def test_png_and_svg_share_one_drawing(seed_png: RenderedImage, seed: AllianceView) -> None:
    svg = render_image(seed, "svg", WIDTH, HEIGHT)
    assert svg.content == seed_png.svg.encode("utf-8")  # the PNG is this SVG, rendered
    assert svg.labels == seed_png.labels
    assert [(label.node, label.text) for label in svg.labels] == svg_labels(svg.svg)


def test_synthetic_1000_names_without_overlap_in_every_script(browser: Any, synthetic: AllianceView) -> None:
    image = render_image(synthetic, "svg", WIDTH, HEIGHT)
    assert_no_overlap(image.labels)
    assert len(image.labels) >= 30
    names = {text for _, text in svg_labels(image.svg)}
    assert set(top_names(synthetic, 5)) <= names
    assert any("ß" in n or "ü" in n or "ö" in n or "ä" in n for n in names), "no German name was placed"
    assert any("集团" in n for n in names), "no Chinese name was placed"
    root = ElementTree.fromstring(image.content)
    dashes = [line.get("stroke-dasharray") for line in root.iter(f"{SVG}line")]
    assert any(d for d in dashes) and any(d is None for d in dashes)


@pytest.mark.parametrize("which", ["seed", "synthetic"])
def test_rendered_text_stays_inside_its_box(browser: Any, request: pytest.FixtureRequest, which: str, tmp_path: Any) -> None:
    """The boxes are measured before drawing; the text Chromium draws from the SVG must fit them."""
    view = request.getfixturevalue(which)
    image = render_image(view, "svg", WIDTH, HEIGHT)
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page.set_content("<!DOCTYPE html><html><body style='margin:0'>" + image.svg.split("?>", 1)[1] + "</body></html>")
        drawn = page.evaluate("""() => Array.from(document.querySelectorAll('#labels text')).map(t => {
            const b = t.getBBox(); return [t.dataset.node, b.x, b.y, b.width, b.height]; })""")
    finally:
        page.close()
    assert len(drawn) == len(image.labels)
    for (node, x, y, w, h), box in zip(drawn, image.labels):
        assert node == box.node
        assert box.x - 1 <= x and x + w <= box.x + box.width + 1, f"{box.text!r} is wider than its box"
        assert box.y - 1 <= y and y + h <= box.y + box.height + 1, f"{box.text!r} is taller than its box"


def test_chinese_names_are_drawn_with_a_cjk_font(browser: Any, synthetic: AllianceView) -> None:
    if not shutil.which("fc-list") or "CJK" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout:
        pytest.skip("No CJK font: apt-get install fonts-noto-cjk (CI installs it in .ci/run).")
    image = render_image(synthetic, "svg", WIDTH, HEIGHT)
    chinese = [label for label in image.labels if "集团" in label.text]
    assert chinese
    for label in chinese:  # an ideograph of a CJK font is one em wide; missing glyphs are not
        ideographs = sum(1 for ch in label.text if "\u4e00" <= ch <= "\u9fff")
        digits = len(label.text) - ideographs
        assert label.width - 6 >= ideographs * label.size * 0.95 + digits * label.size * 0.4


def test_sources_are_one_line_unless_asked_for_in_full(browser: Any, synthetic: AllianceView) -> None:
    compact = render_image(synthetic, "svg", 1280, 720)
    full = render_image(synthetic, "svg", 1280, 720, sources="full")
    count = len(synthetic.data["meta"]["sources"])
    assert compact.height == 720 and full.height > 720 + 20 * count
    texts = [t.text or "" for t in ElementTree.fromstring(compact.content).iter(f"{SVG}text")]
    assert any(t.startswith(f"Sources: {count:,} public documents") for t in texts)
    assert not any(t.startswith("1. Source") for t in texts)
    full_texts = [t.text or "" for t in ElementTree.fromstring(full.content).iter(f"{SVG}text")]
    assert sum(1 for t in full_texts if t[:1].isdigit() and ". Source " in t) == count
    assert full.labels == compact.labels  # the list adds a page below; the slide stays as it was


def test_the_html_page_names_the_top_organisations(browser: Any, synthetic: AllianceView, tmp_path: Any) -> None:
    from graph.visualise.html import write_html
    from graph.visualise.image import PageReport, offline_page, wait_until_drawn

    report = PageReport()
    page = offline_page(browser, WIDTH, HEIGHT, report)
    try:
        page.goto(write_html(synthetic, tmp_path / "page.html").as_uri())
        wait_until_drawn(page, 60_000)
        labels = page.evaluate("window.allianceGraph.labels()")
    finally:
        page.context.close()
    assert report.errors == [] and report.blocked == []
    boxes = [LabelBox(l["id"], l["text"], l["size"], l["x"], l["y"], l["w"], l["h"]) for l in labels]
    assert_no_overlap(boxes)
    assert set(top_names(synthetic, 5)) <= {box.text for box in boxes}
    assert len(boxes) < synthetic.graph.number_of_nodes()  # the rest on hover


def test_cli_exports_with_full_sources_and_volume_widths(browser: Any, built: Any, runner: Any, tmp_path: Any) -> None:
    from graph.cli import main

    target = tmp_path / "steel.svg"
    result = runner.invoke(main, ["--store", str(built.store_path), "export", "svg", "--material", "steel",
                                  "--edge-width", "volume", "--sources", "full", "--width", "1280", "--height", "720",
                                  "-o", str(target)])
    assert result.exit_code == 0, result.output
    root = ElementTree.fromstring(target.read_bytes())
    assert int(root.get("height") or 0) > 720  # the list of sources below the slide
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(t.startswith("Material: steel") for t in texts)
    assert any(t.startswith("Line width: contracted volume") for t in texts)
    assert root.find(f".//{SVG}g[@id='sources']") is not None
