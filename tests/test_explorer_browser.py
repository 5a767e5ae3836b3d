"""The explorer in a real headless Chromium, served by a real uvicorn server on 127.0.0.1 (the
application of graph.serve.app, with the real /sparql): the
query page runs typed and named queries through /sparql, shows tables, booleans and graphs,
downloads results and draws the organisations of a result; the landing and entity pages draw
their networks. No request may leave 127.0.0.1, and no page may log an error (a CSP violation is
one) or run data as code.

Needs Chromium and the playwright package (Debian: apt-get install chromium, or set
ALLIANCES_CHROMIUM). Without them the tests skip, unless ALLIANCES_REQUIRE_BROWSER is set.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Collection, Iterator
from urllib.parse import parse_qs
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox
import pytest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from graph.config import Settings
from graph.rdf.store import OxigraphStore
from graph.serve.context import ServeSettings
from graph.serve.explorer import explorer_routes

from conftest import EMPTY_ON_DATA, XSS_IMG, explorer_context

if TYPE_CHECKING:  # the tests skip where playwright is missing, so the module must import without it
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Frame, Page
    from playwright.sync_api import Route as BrowserRoute

RESULT_FORMATS = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
                  "application/sparql-results+xml": ox.QueryResultsFormat.XML,
                  "text/csv": ox.QueryResultsFormat.CSV, "text/tab-separated-values": ox.QueryResultsFormat.TSV}
GRAPH_FORMATS = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
                 "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}
TRIPWIRE = """
for (const name of ["alert", "confirm", "prompt"]) {
  const original = window[name];
  window[name] = function (...args) { window.__injected = (window.__injected || 0) + 1; return original.apply(this, args); };
}
"""
READY = 'body[data-ready="true"]'




def stand_in_sparql(store: OxigraphStore) -> Route:
    """A minimal /sparql for these tests (the real endpoint lives in graph.serve.app): GET ?query=,
    POST form or POST application/sparql-query, run read-only on the store, answered in the
    format the Accept header names first."""
    async def sparql(request: Request) -> Response:
        if request.method == "POST":
            body = (await request.body()).decode("utf-8")
            if request.headers.get("content-type", "").startswith("application/sparql-query"):
                text = body
            else:  # a form, parsed here: Starlette's form parser needs python-multipart
                text = parse_qs(body).get("query", [""])[0]
        else:
            text = request.query_params.get("query", "")
        wanted = [part.split(";")[0].strip() for part in request.headers.get("accept", "").split(",")]

        def media(formats: Collection[str]) -> str:
            return next((m for m in wanted if m in formats), next(iter(formats)))

        def answer() -> Response:
            try:
                result = store.query(text)
            except (SyntaxError, ValueError, OSError) as error:
                return PlainTextResponse(f"Bad query: {error}", status_code=400)
            if isinstance(result, ox.QueryTriples):
                graph = media(GRAPH_FORMATS)
                return Response(result.serialize(format=GRAPH_FORMATS[graph]), media_type=graph)
            results = media(RESULT_FORMATS)
            return Response(result.serialize(format=RESULT_FORMATS[results]), media_type=results)
        return await run_in_threadpool(answer)
    return Route("/sparql", sparql, methods=["GET", "POST"])


@dataclass
class Server:
    url: str


@dataclass
class Report:
    """What the pages of one test did besides their work."""

    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def application(built: Settings, store: OxigraphStore) -> Starlette:
    """The server's own application (graph.serve.app: the real /sparql with its worker processes,
    and the explorer), or the explorer with the stand-in /sparql where that is not there."""
    settings = ServeSettings(store_path=built.store_path, base=built.base, workers=2, access_log=False)
    try:
        from graph.serve.app import create_app
    except ImportError:
        context = explorer_context(settings, store)
        return Starlette(routes=[stand_in_sparql(store), *explorer_routes(context)])
    return create_app(settings)


@pytest.fixture(scope="module")
def server(built: Settings, store: OxigraphStore) -> Iterator[Server]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(application(built, store), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on", ws="none", http="h11")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}")
    running.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture
def report() -> Report:
    return Report()


@pytest.fixture
def page(browser: Browser, server: Server, report: Report) -> Iterator[Page]:
    """A page that may only reach the test server; afterwards: nothing else was attempted, no
    console error, page error or dialog, and no data ran as code."""
    blocked, errors = report.blocked, report.errors
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US", timezone_id="UTC",
                                  service_workers="block", accept_downloads=True)

    def route(request_route: BrowserRoute) -> None:
        url = request_route.request.url
        if url.startswith((server.url + "/", "data:", "blob:", "about:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort("blockedbyclient")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    def on_dialog(dialog: Dialog) -> None:
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    context.route("**/*", route)
    page = context.new_page()
    page.add_init_script(TRIPWIRE)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", on_console)
    page.on("dialog", on_dialog)
    yield page
    injected = sum(frame.evaluate("window.__injected || 0") for frame in page.frames if not frame.is_detached())
    context.close()
    assert blocked == [], "a page tried to reach another address"
    assert errors == [], "console errors, page errors or dialogs"
    assert injected == 0, "data ran as code"


def open_query_page(page: Page, server: Server, suffix: str = "") -> None:
    page.goto(f"{server.url}/query{suffix}")
    page.wait_for_selector(READY, state="attached")


def run_query(page: Page, text: str | None = None) -> None:
    """Run the editor's query (or ``text``) and wait for its answer.

    Waits on an attribute, not with wait_for_function: Playwright evaluates that predicate with
    eval, which the page's Content-Security-Policy forbids.
    """
    if text is not None:
        page.fill("#editor", text)
    done = int(page.get_attribute("body", "data-runs") or 0)
    page.click("#run")
    page.wait_for_selector(f'body[data-runs="{done + 1}"]', state="attached")


def network_frame(page: Page, part: str) -> Frame:
    """The frame showing /network…part, once its drawing is done."""
    frame = None
    deadline = time.monotonic() + 30
    while frame is None and time.monotonic() < deadline:
        frame = next((f for f in page.frames if "/network" in f.url and part in f.url), None)
        if frame is None:
            page.wait_for_timeout(50)
    assert frame is not None, f"no frame shows /network with {part}"
    frame.wait_for_selector(READY, state="attached", timeout=60_000)
    return frame


def test_a_typed_query_shows_a_table(page: Page, server: Server) -> None:
    open_query_page(page, server)
    run_query(page, "SELECT DISTINCT ?org ?name WHERE { ?org a org:Organization ; skos:prefLabel ?name "
                    'FILTER (LANG(?name) = "zh") } ORDER BY ?name')
    headers = page.locator("#results-table thead th").all_inner_texts()
    assert headers == ["#", "org", "name"]
    assert page.locator("#results-table tbody tr").count() >= 10
    assert "河钢集团" in page.locator("#results-table").inner_text()
    link = page.locator("#results-table a", has_text="organisation/hbis")
    assert link.get_attribute("href") == "/id/organisation/hbis"
    assert "rows in" in page.locator("#status").inner_text()
    assert page.locator("#show-network").is_enabled()


def test_text_from_results_is_never_html(page: Page, server: Server) -> None:
    open_query_page(page, server)
    run_query(page, f'SELECT ?x ?y WHERE {{ BIND ("{XSS_IMG}" AS ?x) BIND ("javascript:alert(3)" AS ?y) }}')
    assert page.locator("#results-table td", has_text=XSS_IMG).count() == 1
    assert page.locator("#results img").count() == 0
    assert page.locator("#results a").count() == 0
    assert page.locator("#show-network").is_disabled()


def test_ask_construct_and_errors(page: Page, server: Server, report: Report) -> None:
    open_query_page(page, server)
    run_query(page, "ASK { ?a a al:Alliance }")
    assert page.locator("#boolean-result").inner_text() == "true"
    run_query(page, "CONSTRUCT { ?a a al:Alliance } WHERE { ?a a al:Alliance }")
    assert "alliance/bmw-hbis-green-low-carbon-steel-supply-chain-mou" in page.locator("#graph-result").inner_text()
    assert page.locator("#downloads-graph").is_visible() and not page.locator("#downloads-results").is_visible()
    run_query(page, "SELECT WHERE {")
    assert page.locator("#error").is_visible()
    assert "400" in page.locator("#error").inner_text()
    assert page.locator("#results").inner_text() == ""
    # Chromium logs the failed request itself; that one console error is expected.
    report.errors[:] = [e for e in report.errors if "status of 400" not in e]


def test_a_named_example_runs_and_shows_as_network(page: Page, server: Server) -> None:
    open_query_page(page, server)
    page.click('button.example[data-example="partners-of"]')
    editor = page.input_value("#editor")
    bound = re.search(r"VALUES \?org \{ <(https://w3id.org/alliance-graph/id/organisation/[a-z0-9-]+)> \}", editor)
    assert bound, editor
    assert editor.index("PREFIX al:") < editor.index("SELECT")
    assert page.locator("#example-question").inner_text().startswith("Who are the partners")
    assert page.url.endswith("/query?example=partners-of")
    run_query(page)
    assert page.locator("#results-table tbody tr").count() >= 1
    page.click("#show-network")
    frame = network_frame(page, "orgs=")
    nodes = frame.evaluate("window.allianceGraph.nodes.getIds()")
    assert bound.group(1) in nodes
    assert all(node.startswith(("https://w3id.org/alliance-graph/id/organisation/", "hub:")) for node in nodes)
    assert len(nodes) >= 2


def test_every_named_example_runs_at_the_endpoint(page: Page, server: Server) -> None:
    open_query_page(page, server)
    for name in page.eval_on_selector_all("button.example", "buttons => buttons.map(b => b.dataset.example)"):
        page.click(f'button.example[data-example="{name}"]')
        run_query(page)
        assert page.locator("#error").is_hidden(), f"{name}: {page.locator('#error').inner_text()}"
        if name in EMPTY_ON_DATA:  # answers nothing on data/ for a stated reason; the page says so
            assert page.locator("#results-table tbody tr").count() == 0, f"{name} answers now: remove it from EMPTY_ON_DATA"
        else:
            assert page.locator("#results-table tbody tr").count() >= 1, name


def test_results_download_in_each_format(page: Page, server: Server) -> None:
    open_query_page(page, server, "?example=claims")
    for label, first in (("CSV", "value,"), ("TSV", "?value\t"), ("JSON", '{"head"'), ("XML", "<?xml")):
        with page.expect_download() as info:
            page.click(f'#downloads-results button:text-is("{label}")')
        download = info.value
        assert download.suggested_filename.startswith("results.")
        with open(download.path(), encoding="utf-8") as handle:
            assert handle.read().startswith(first), label
    page.fill("#editor", "DESCRIBE <https://w3id.org/alliance-graph/id/organisation/hbis>")
    page.dispatch_event("#editor", "input")
    with page.expect_download() as info:
        page.click('#downloads-graph button:text-is("N-Triples")')
    with open(info.value.path(), encoding="utf-8") as handle:
        assert "<https://w3id.org/alliance-graph/id/organisation/hbis>" in handle.read()


def test_landing_page_draws_the_landscape(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    assert page.locator("h1").inner_text() == "Decarbonization alliances"
    assert int(page.locator("#count-alliances").inner_text()) >= 5
    frame = network_frame(page, "")
    assert frame.evaluate("window.allianceGraph.nodes.length") >= 10


def test_entity_page_renders_with_its_network(page: Page, server: Server) -> None:
    page.goto(server.url + "/id/organisation/hbis")
    assert page.locator("h1").inner_text() == "HBIS Group"
    assert "河钢集团" in page.locator(".entity-side").inner_text()
    assert page.locator("#sources-heading").is_visible()
    frame = network_frame(page, "focus=hbis")
    assert "https://w3id.org/alliance-graph/id/organisation/hbis" in frame.evaluate("window.allianceGraph.nodes.getIds()")
    page.click('.entity-main a[href="/id/organisation/bmw-group"] >> nth=0')
    page.wait_for_load_state()
    assert page.url.endswith("/id/organisation/bmw-group")


def test_one_organisation_in_the_results_shows_its_partners(page: Page, server: Server) -> None:
    open_query_page(page, server, "?example=agreements-of")
    run_query(page)
    page.click("#show-network")
    frame = network_frame(page, "focus=")
    organisations = [n for n in frame.evaluate("window.allianceGraph.nodes.getIds()") if not n.startswith("hub:")]
    assert len(organisations) >= 2


# ------------------------------------------------------------------ result views (#defaultView)

def view_buttons(page: Page) -> list[str]:
    views: list[str] = page.eval_on_selector_all("#view-bar button", "buttons => buttons.map(b => b.dataset.view)")
    return views


def test_a_bar_chart_draws_each_row_of_a_query_that_asks_for_it(page: Page, server: Server) -> None:
    open_query_page(page, server)
    run_query(page, "#defaultView:BarChart\nSELECT ?material (COUNT(DISTINCT ?a) AS ?alliances) WHERE {\n"
                    "  ?a al:material/al:displayLabel ?label BIND (STR(?label) AS ?material) }\n"
                    "GROUP BY ?material ORDER BY DESC(?alliances) ?material LIMIT 12")
    assert page.get_attribute("body", "data-view") == "BarChart"
    assert view_buttons(page) == ["Table", "BarChart"]
    assert page.locator("#view-table").is_hidden() and page.locator("#view-barchart").is_visible()
    table = [[row[1], row[2]] for row in
             page.eval_on_selector_all("#results-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")]
    bars = page.eval_on_selector_all("#view-barchart g.bar", "bars => bars.map(b => [b.dataset.label, b.dataset.value])")
    assert bars == table and len(bars) >= 3
    widths = page.eval_on_selector_all("#view-barchart rect.bar-rect", "rects => rects.map(r => r.getBBox().width)")
    counts = [int(value) for _, value in bars]
    assert widths == sorted(widths, reverse=True) and counts == sorted(counts, reverse=True)
    assert widths[0] / widths[-1] == pytest.approx(counts[0] / counts[-1], rel=0.05)
    page.click('#view-bar button[data-view="Table"]')
    assert page.locator("#view-table").is_visible() and page.locator("#view-barchart").is_hidden()
    assert page.get_attribute('#view-bar button[data-view="Table"]', "aria-selected") == "true"


def test_the_timeline_example_places_each_alliance_at_its_date(page: Page, server: Server) -> None:
    open_query_page(page, server, "?example=alliances-timeline")
    assert "#defaultView:Timeline" in page.input_value("#editor")
    run_query(page)
    assert page.get_attribute("body", "data-view") == "Timeline"
    assert "Timeline" in view_buttons(page) and "Graph" not in view_buttons(page)
    dates = page.eval_on_selector_all("#results-table tbody tr", "rows => rows.map(r => r.cells[1].innerText)")
    events = page.eval_on_selector_all("#view-timeline g.event", "gs => gs.map(g => g.dataset.date)")
    assert events == dates[:200] and len(events) >= 5
    # Later dates sit further right; no two labels overlap.
    xs = page.eval_on_selector_all("#view-timeline circle.event-dot", "cs => cs.map(c => c.cx.baseVal.value)")
    assert xs == sorted(xs)
    boxes = page.eval_on_selector_all("#view-timeline text.event-label",
                                      "ts => ts.map(t => { const b = t.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; })")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"labels overlap: {a} {b}"
    years = page.eval_on_selector_all("#view-timeline text.tick-label", "ts => ts.map(t => Number(t.textContent))")
    assert years[0] <= int(dates[0][:4]) and years[-1] >= int(dates[-1][:4])


def test_a_view_that_does_not_fit_falls_back_to_the_table_and_says_why(page: Page, server: Server) -> None:
    open_query_page(page, server)
    run_query(page, "#defaultView:Timeline\nSELECT ?a WHERE { ?a a al:Alliance } LIMIT 3")
    assert page.get_attribute("body", "data-view") == "Table"
    assert "needs a column of dates" in page.locator("#status").inner_text()
    assert page.locator("#view-bar").count() == 0  # only the table fits: no bar of one button
    run_query(page, "#defaultView:PieChart\nSELECT ?a WHERE { ?a a al:Alliance } LIMIT 3")
    assert "#defaultView:PieChart is not a view here" in page.locator("#status").inner_text()
    run_query(page, "SELECT ?a WHERE { ?a a al:Alliance } LIMIT 3")  # no comment: the table, no note
    assert page.get_attribute("body", "data-view") == "Table"
    assert "view" not in page.locator("#status").inner_text()


def test_the_graph_view_draws_the_organisations_of_the_results(page: Page, server: Server) -> None:
    open_query_page(page, server)
    run_query(page, "#defaultView:Graph\nSELECT ?org WHERE { VALUES ?org { <https://w3id.org/alliance-graph/id/organisation/hbis> } }")
    assert page.get_attribute("body", "data-view") == "Graph"
    frame = network_frame(page, "focus=hbis")
    assert "https://w3id.org/alliance-graph/id/organisation/hbis" in frame.evaluate("window.allianceGraph.nodes.getIds()")
    page.click('#view-bar button[data-view="Table"]')
    assert page.locator("#network-panel").is_hidden()
    page.click('#view-bar button[data-view="Graph"]')
    assert page.locator("#network-panel").is_visible()
