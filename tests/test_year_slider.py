"""The year slider of the network page in a real, offline headless Chromium, on the project's data.

What is visible at each year is compared with the years of the view's own data, read here in
Python: an edge is shown at year Y when one of its alliances has a known year up to Y, and an
organisation when one of its edges is shown. Play is stepped with Playwright's fake clock, so no
assertion depends on how fast the machine is.

Needs Chromium and the playwright package (see tests/test_browser.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from graph.network.landscape import load_landscape
from graph.rdf.store import OxigraphStore
from graph.visualise.html import StoredView, render_html, write_html
from graph.visualise.image import PageReport, offline_page, wait_until_drawn
from graph.visualise.view import AllianceView, build_view

STEP_MS = 1000  # GROWTH_STEP_MS of page.js


@pytest.fixture(scope="module")
def seed(store: OxigraphStore) -> AllianceView:
    return build_view(load_landscape(store))


@pytest.fixture(scope="module")
def page_url(seed: AllianceView, tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_html(seed, tmp_path_factory.mktemp("slider") / "seed.html").as_uri()


@pytest.fixture
def report() -> PageReport:
    return PageReport()


@pytest.fixture
def page(browser: Any, page_url: str, report: PageReport) -> Iterator[Any]:
    """The seed view, drawn; afterwards, no request outside the file was attempted and no error raised."""
    page = offline_page(browser, 1920, 1080, report)
    page.goto(page_url)
    wait_until_drawn(page, 60_000)
    yield page
    page.context.close()
    assert report.blocked == [], "the page tried to reach the network"
    assert report.errors == [], "console errors, page errors or dialogs"


def known_years(view: AllianceView) -> list[int]:
    return sorted({a["year"] for a in view.data["alliances"].values() if isinstance(a.get("year"), int)})


def expected_at(view: AllianceView, year: int | None) -> tuple[set[str], set[str]]:
    """Edges and nodes shown up to ``year``; None (all years, no range): every edge and node."""
    if year is None:
        return {e["id"] for e in view.network.edges}, {n["id"] for n in view.network.nodes}
    alliances = view.data["alliances"]

    def shown(alliance_id: str) -> bool:
        found = alliances.get(alliance_id, {}).get("year")
        return isinstance(found, int) and found <= year

    edges = {e["id"] for e in view.network.edges
             if any(shown(a) for a in view.data["edges"].get(e["id"], {}).get("alliances", []))}
    nodes = {end for e in view.network.edges if e["id"] in edges for end in (e["from"], e["to"])}
    return edges, nodes


def visible(page: Any) -> tuple[set[str], set[str]]:
    edges, nodes = page.evaluate("""() => [
        window.allianceGraph.edges.get({filter: e => !e.hidden}).map(e => e.id),
        window.allianceGraph.nodes.get({filter: n => !n.hidden}).map(n => n.id)]""")
    return set(edges), set(nodes)


def test_seed_data_has_years_to_replay(seed: AllianceView) -> None:
    """The tests below need several years, and alliances that appear after the first one."""
    years = known_years(seed)
    assert len(years) >= 3
    assert seed.data["filters"]["years"] == [years[0], years[-1]]
    first, _ = expected_at(seed, years[0])
    assert 0 < len(first) < len(seed.network.edges)


def test_slider_sits_in_the_page_with_its_bounds(seed: AllianceView) -> None:
    page = render_html(seed)
    years = known_years(seed)
    assert f'<input id="growth-year" type="range" min="{years[0]}" max="{years[-1] + 1}"' in page
    assert '<button id="growth-play" class="button play" type="button"' in page
    # No inline handler or style on the controls: the page's script wires them (the CSP allows no more).
    controls = Attributes()
    controls.feed(page)
    for ident in ("growth-year", "growth-play", "growth-label"):
        assert not [name for name in controls.by_id[ident] if name.startswith("on") or name == "style"], ident


class Attributes(HTMLParser):
    """The attribute names of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id")
        if ident:
            self.by_id[ident] = [name for name, _ in attrs]


def test_no_slider_without_known_years(seed: AllianceView) -> None:
    """A view whose alliances have no year gets no slider (there is nothing to replay)."""
    data = dict(seed.data, filters=dict(seed.data["filters"], years=[None, None]))
    page = render_html(StoredView(network=seed.network, data=data))
    assert 'id="growth-year"' not in page


def test_each_year_shows_the_alliances_up_to_it(page: Any, seed: AllianceView) -> None:
    """Moved with the keyboard: Home is the first year, each ArrowRight a year later, End all years."""
    years = known_years(seed)
    slider = page.locator("#growth-year")
    slider.focus()
    page.keyboard.press("Home")
    for year in range(years[0], years[-1] + 1):
        assert page.locator("#growth-label").inner_text() == f"Up to {year}"
        assert visible(page) == expected_at(seed, year), f"at {year}"
        assert page.input_value("#year-to") == str(year)  # one filter: the slider is its "to" end
        page.keyboard.press("ArrowRight")
    assert page.locator("#growth-label").inner_text() == "All years"
    assert visible(page) == expected_at(seed, None)
    assert slider.get_attribute("aria-valuetext", timeout=1000).startswith("All years")


def test_typing_a_to_year_moves_the_slider(page: Any, seed: AllianceView) -> None:
    years = known_years(seed)
    middle = years[len(years) // 2]
    page.fill("#year-to", str(middle))
    assert page.input_value("#growth-year") == str(middle)
    assert page.locator("#growth-label").inner_text() == f"Up to {middle}"
    page.click("#reset")
    assert page.input_value("#growth-year") == str(years[-1] + 1)
    assert visible(page) == expected_at(seed, None)


def test_play_steps_through_the_years_and_stops_at_the_last(page: Any, seed: AllianceView) -> None:
    years = known_years(seed)
    page.clock.install()
    page.locator("#growth-play").focus()  # pressed with the keyboard
    page.keyboard.press("Enter")
    play = page.locator("#growth-play")
    for year in range(years[0], years[-1] + 1):
        assert page.locator("#growth-label").inner_text() == f"Up to {year}"
        assert visible(page) == expected_at(seed, year), f"at {year}"
        assert play.get_attribute("data-playing") == ("true" if year < years[-1] else "false")
        page.clock.run_for(STEP_MS)
    # stopped at the last year: more time changes nothing
    page.clock.run_for(5 * STEP_MS)
    assert page.locator("#growth-label").inner_text() == f"Up to {years[-1]}"
    assert play.inner_text() == "Play"


def test_pause_keeps_the_year(page: Any, seed: AllianceView) -> None:
    years = known_years(seed)
    page.clock.install()
    page.click("#growth-play")
    page.clock.run_for(STEP_MS)
    page.click("#growth-play")
    assert page.locator("#growth-play").inner_text() == "Play"
    page.clock.run_for(3 * STEP_MS)
    assert page.locator("#growth-label").inner_text() == f"Up to {years[0] + 1}"
