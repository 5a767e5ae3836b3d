"""The explorer's routes without a browser: landing, query page and examples, entity pages with
content negotiation, the served network page, and that no page loads anything from elsewhere or
lets data run as HTML."""
from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from graph.config import Settings
from graph.network.landscape import Landscape, load_landscape
from graph.ask.query import named_queries, run_named
from graph.serve.context import ServeSettings
from graph.serve.explorer import explorer_routes
from graph.serve.explorer.query import example_values
from graph.serve.explorer.render import ASSETS_DIR
from graph.serve.protocol import negotiate
from graph.rdf.store import OxigraphStore
from graph.visualise.html import read_payloads

from conftest import EMPTY_ON_DATA, XSS_IMG, XSS_SCRIPT, explorer_context

with warnings.catch_warnings():  # starlette asks for httpx2; the project's test extra installs httpx
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

BASE = "https://w3id.org/alliance-graph/id/"
HBIS = f"{BASE}organisation/hbis"
BMW = f"{BASE}organisation/bmw-group"
MOU = "bmw-hbis-green-low-carbon-steel-supply-chain-mou"
SOURCE = "2024-08-29-faw-volkswagen-baosteel-green-steel-memorandum"
PAGES = ["/", "/query", "/query?example=agreements-of", "/id/organisation/hbis", f"/id/alliance/{MOU}",
         "/id/alliance/rmi-automotive-steel-carbon-footprint-pilot", "/id/person/jochen-burg", f"/id/source/{SOURCE}",
         "/taxonomy/material/steel", "/taxonomy/material", f"/id/alliance/{MOU}/party/hbis", "/id/graph/taxonomies",
         "/id/claim/steel-share-of-vehicle-weight", "/id/post/sms-group-ceo", "/id/platform/cices",
         "/id/organisation/no-such-thing", "/network?focus=nobody"]
LOADING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "frame": "src", "embed": "src",
           "object": "data", "source": "src", "video": "src", "audio": "src", "track": "src", "form": "action"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def client(built: Settings, store: OxigraphStore) -> Iterator[TestClient]:
    context = explorer_context(ServeSettings(store_path=built.store_path, base=built.base), store)
    with TestClient(Starlette(routes=explorer_routes(context))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def landscape(store: OxigraphStore) -> Landscape:
    return load_landscape(store)


def network_nodes(html: str) -> set[str]:
    return set(read_payloads(html)["alliance-data"]["nodes"])


# ------------------------------------------------------------------ landing

def test_landing_shows_counts_and_links(client: TestClient, store: OxigraphStore, landscape: Landscape) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    expected = {
        "alliances": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a al:Alliance }",
        "organisations": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a org:Organization }",
        "people": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a foaf:Person }",
        "claims": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a al:Claim }",
        "sources": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a schema:CreativeWork }",
    }
    for name, sparql in expected.items():
        solutions = store.query(sparql)
        assert isinstance(solutions, ox.QuerySolutions)
        count = int(next(iter(solutions))["n"].value)
        assert count > 0
        assert f'<strong id="count-{name}">{count}</strong>' in html
    hrefs = {a.get("href") for tag, a in tags(html) if tag == "a"}
    assert {"/query", "/sparql", "/network"} <= hrefs
    assert {f"/query?example={name}" for name in named_queries()} <= hrefs
    assert {f"/id/organisation/{o.id}" for o in landscape.organisations.values()} <= hrefs
    assert {f"/id/alliance/{a.id}" for a in landscape.alliances.values()} <= hrefs
    frames = [a["src"] for tag, a in tags(html) if tag == "iframe"]
    assert frames == ["/network#export"]
    assert "河钢集团" in html and "HBIS Group" in html


def test_head_requests_are_answered(client: TestClient) -> None:
    for path in ("/", "/query", "/id/organisation/hbis"):
        response = client.head(path)
        assert response.status_code == 200 and response.content == b""


def test_links_follow_the_mount_prefix(built: Settings, store: OxigraphStore) -> None:
    context = explorer_context(ServeSettings(store_path=built.store_path, base=built.base), store)
    with TestClient(Starlette(routes=[Mount("/explorer", routes=explorer_routes(context))])) as mounted:
        html = mounted.get("/explorer/").text
        hrefs = {a.get("href") or a.get("src") for tag, a in tags(html) if tag in ("a", "iframe", "link")}
        local = {h for h in hrefs if h and h.startswith("/")}
        assert "/explorer/id/organisation/hbis" in local and "/explorer/query" in local
        assert all(h.startswith("/explorer/") for h in local), sorted(h for h in local if not h.startswith("/explorer/"))
        asset = next(a["href"] for tag, a in tags(html) if tag == "link" and a.get("rel") == "stylesheet")
        assert mounted.get(asset).status_code == 200


# ------------------------------------------------------------------ query page

def query_config(html: str) -> dict[str, Any]:
    block = re.search(r'<script type="application/json" id="explorer-config">(.*?)</script>', html, re.DOTALL)
    assert block, "the query page carries its configuration as a JSON block"
    config: dict[str, Any] = json.loads(block.group(1))
    return config


def test_query_page_lists_every_named_query(client: TestClient) -> None:
    response = client.get("/query")
    assert response.status_code == 200
    html = response.text
    config = query_config(html)
    examples = {e["name"]: e for e in config["examples"]}
    assert set(examples) == set(named_queries())
    for name, query in named_queries().items():
        assert f'data-example="{name}"' in html
        assert examples[name]["question"] == query.question
        assert examples[name]["problem"] is None
        text = examples[name]["text"]
        for param in query.parameters:
            assert re.search(rf"VALUES \?{param.name} \{{ (<https://[^>]+>|\"[^\"]*\"|-?\d+) \}}", text), name
        assert "PREFIX al: <https://w3id.org/alliance-graph/ontology#>" in text or "al:" not in text
    assert config["sparql"] == "/sparql"
    assert config["organisationPrefix"] == f"{BASE}organisation/"
    assert config["initial"]["query"].lstrip().startswith("#")
    scripts = [src for tag, a in tags(html) if tag == "script" and (src := a.get("src"))]
    assert [s.split("?v=")[0] for s in scripts] == ["/assets/views.js", "/assets/query.js"]


def test_query_page_opens_an_example_or_a_given_query(client: TestClient) -> None:
    assert query_config(client.get("/query?example=claims").text)["initial"] == {"example": "claims"}
    typed = "DESCRIBE <https://w3id.org/alliance-graph/id/organisation/hbis>"
    assert query_config(client.get("/query?query=" + quote(typed)).text)["initial"] == {"query": typed}
    assert query_config(client.get("/query?example=no-such-query").text)["initial"]["query"]


def test_examples_answer_as_their_named_queries(built: Settings, store: OxigraphStore) -> None:
    """Each example, run without the predeclared prefixes and without substitutions (as /sparql
    runs it), gives the rows of ``alliances query NAME --param ...``."""
    from graph.serve.explorer.query import prepare_example

    plain = ox.Store.read_only(str(built.store_path.resolve()))
    for name, query in named_queries().items():
        example = prepare_example(store, query, built.base)
        values = example_values(example.command)
        named, answer = run_named(store, name, values), plain.query(example.text)  # the merged default graph, as /sparql reads it
        assert isinstance(named, ox.QuerySolutions) and isinstance(answer, ox.QuerySolutions), name
        expected = [[str(term) for term in row] for row in named]
        got = [[str(term) for term in row] for row in answer]
        assert got == expected, name
        assert expected or name in EMPTY_ON_DATA, f"{name}: the example should find something"


def test_example_with_a_hostile_value_stays_a_literal(store: OxigraphStore) -> None:
    from graph.ask.query import Parameter
    from graph.serve.explorer.query import bind_parameter, with_values

    binding = bind_parameter(store, Parameter("x", "string", None, ""), '" } DROP ALL ; #\n', BASE)
    text = with_values("SELECT ?x WHERE {\n  ?s ?p ?x\n}\n", [binding])
    assert 'VALUES ?x { "\\" } DROP ALL ; #\\n" }' in text
    solutions = ox.Store().query(text)
    assert isinstance(solutions, ox.QuerySolutions)
    assert list(solutions) == []


# ------------------------------------------------------------------ entity pages

def test_organisation_page_shows_names_facts_and_sources(client: TestClient) -> None:
    response = client.get("/id/organisation/hbis", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["vary"] == "Accept"
    html = response.text
    assert "<h1>HBIS Group</h1>" in html
    for name in ("河钢集团", "河钢", "Hebei Iron and Steel Group", "Hesteel Group"):
        assert name in html
    assert 'id="sources-heading"' in html and 'id="source-hbis-group-perceptiode"' in html
    assert "BMW Group inks green steel supply cooperation memorandum with Hebei Iron and Steel Group" in html
    assert 'href="#source-hbis-group-perceptiode"' in html  # a fact cites its source
    assert f'href="/id/alliance/{MOU}"' in html and 'href="/id/organisation/bmw-group"' in html
    assert 'href="/taxonomy/sector/steel"' in html
    external = [a for tag, a in tags(html) if tag == "a" and (a.get("href") or "").startswith("http")]
    assert external and all(a.get("rel") == "noopener noreferrer nofollow" for a in external)
    frames = [a["src"] for tag, a in tags(html) if tag == "iframe"]
    assert frames == ["/network?focus=hbis&depth=1#export"]


@pytest.mark.parametrize("path, text", [
    (f"/id/alliance/{MOU}", "打造绿色低碳钢铁供应链合作备忘录"),
    ("/id/person/jochen-burg", "柏尧瀚"),
    ("/taxonomy/material/steel", "钢铁"),
    ("/taxonomy/material", "green electrolytic aluminium"),
    (f"/id/source/{SOURCE}", "Baosteel, with its extensive experience"),
    (f"/id/alliance/{MOU}/party/hbis", "participation of hbis"),
    ("/id/graph/taxonomies", "The taxonomies graph"),
    ("/id/claim/steel-share-of-vehicle-weight", "share of vehicle weight"),
    ("/id/platform/cices", "CICES"),
])
def test_every_kind_of_entity_has_a_page(client: TestClient, path: str, text: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    assert text in response.text


def test_a_concept_under_id_is_redirected_to_the_taxonomy(client: TestClient) -> None:
    response = client.get("/id/material/steel", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/taxonomy/material/steel"


@pytest.mark.parametrize("accept, media, fmt", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("text/html;q=0.5, text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
])
def test_the_same_iri_answers_in_rdf(client: TestClient, accept: str, media: str, fmt: ox.RdfFormat) -> None:
    response = client.get("/id/organisation/hbis", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    triples = [(q.subject.value, q.predicate.value, q.object.value) for q in ox.parse(response.content, format=fmt)]
    assert (HBIS, "http://www.w3.org/2004/02/skos/core#prefLabel", "河钢集团") in triples
    assert (HBIS, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/ns/org#Organization") in triples
    # statements that point at it: the participations it is the party of
    assert any(o == HBIS and p.endswith("#party") for _, p, o in triples)


def test_rdf_with_sources_keeps_each_statement_in_its_source_graph(client: TestClient) -> None:
    response = client.get(f"/id/alliance/{MOU}?format=trig")
    assert response.headers["content-type"].startswith("application/trig")
    quads = list(ox.parse(response.content, format=ox.RdfFormat.TRIG))
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    assert f"{BASE}source/2022-08-08-ecar168-bmw-hbis-green-steel-memorandum" in graphs
    signing = f"{BASE}alliance/{MOU}/signing"
    assert any(q.subject.value == signing for q in quads), "the signing event's statements come along"


def test_a_source_iri_gives_its_graph(client: TestClient) -> None:
    response = client.get(f"/id/source/{SOURCE}", headers={"Accept": "application/n-quads"})
    quads = list(ox.parse(response.content, format=ox.RdfFormat.N_QUADS))
    assert quads and {q.graph_name.value for q in quads} == {f"{BASE}source/{SOURCE}"}


@pytest.mark.parametrize("path", ["/id/organisation/no-such-thing", "/id/organisation/HBIS", "/id/nothing/hbis",
                                  "/taxonomy/material/no-such-material", "/id/organisation/hbis/extra"])
def test_unknown_entities_are_404(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not in the graph" in page.text
    rdf = client.get(path, headers={"Accept": "text/turtle"})
    assert rdf.status_code == 404 and rdf.headers["content-type"].startswith("text/plain")


def test_a_near_miss_suggests_the_entity(client: TestClient) -> None:
    page = client.get("/id/organisation/hbiss").text
    assert 'href="/id/organisation/hbis"' in page


@pytest.mark.parametrize("accept", ["image/png", "application/pdf, text/csv", "text/html;q=0"])
def test_unacceptable_accept_is_406(client: TestClient, accept: str) -> None:
    response = client.get("/id/organisation/hbis", headers={"Accept": accept})
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_unknown_format_parameter_is_406(client: TestClient) -> None:
    assert client.get("/id/organisation/hbis?format=pdf").status_code == 406


def test_negotiation_weighs_and_prefers_the_specific() -> None:
    offers = ["text/html", "text/turtle", "application/ld+json"]
    assert negotiate(None, offers) == "text/html"
    assert negotiate("*/*", offers) == "text/html"
    assert negotiate("text/*;q=0.5, application/ld+json", offers) == "application/ld+json"
    assert negotiate("text/turtle;q=0.9, text/html;q=0.8", offers) == "text/turtle"
    assert negotiate("text/*, text/html;q=0", offers) == "text/turtle"
    assert negotiate("image/*", offers) is None
    assert negotiate("text/turtle;q=bogus", offers) is None


# ------------------------------------------------------------------ network

def test_network_page_is_the_export(client: TestClient, landscape: Landscape) -> None:
    response = client.get("/network")
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    assert "connect-src 'none'" in response.headers["content-security-policy"]
    nodes = network_nodes(response.text)
    organisations = {n for n in nodes if not n.startswith("hub:")}
    assert HBIS in organisations and BMW in organisations and len(organisations) > 10


def shares_an_alliance(landscape: Landscape, a: str, b: str) -> bool:
    return any({a, b} <= {party for party, _ in alliance.parties} for alliance in landscape.alliances.values())


def test_network_around_an_organisation(client: TestClient, landscape: Landscape) -> None:
    response = client.get("/network?focus=hbis&depth=1")
    assert response.status_code == 200
    organisations = {n for n in network_nodes(response.text) if not n.startswith("hub:")}
    assert HBIS in organisations and BMW in organisations
    assert all(shares_an_alliance(landscape, HBIS, other) for other in organisations - {HBIS})
    assert "Alliances around HBIS Group" in response.text


def test_network_of_chosen_organisations_shows_only_them(client: TestClient) -> None:
    response = client.get("/network?orgs=hbis,bmw-group")
    assert response.status_code == 200
    data = read_payloads(response.text)
    assert {n for n in data["alliance-data"]["nodes"] if not n.startswith("hub:")} == {HBIS, BMW}
    assert MOU in data["alliance-data"]["alliances"]
    for alliance in data["alliance-data"]["alliances"].values():  # only the alliances they share
        assert {"hbis", "bmw-group"} <= {party["id"] for party in alliance["parties"]}
    assert (BMW, HBIS) in [(e["from"], e["to"]) for e in data["alliance-network"]["edges"]]
    assert "2 selected organisations" in response.text


def test_network_of_chosen_organisations_says_which_share_nothing(client: TestClient, landscape: Landscape) -> None:
    alone = next(o for iri, o in sorted(landscape.organisations.items())
                 if not shares_an_alliance(landscape, iri, HBIS) and not shares_an_alliance(landscape, iri, BMW))
    response = client.get(f"/network?orgs=hbis,bmw-group,{alone.id}")
    assert {n for n in network_nodes(response.text) if not n.startswith("hub:")} == {HBIS, BMW}
    assert "1 share none with another and are not drawn" in response.text


@pytest.mark.parametrize("query, message", [
    ("orgs=hbis,no-such-org", "no organisation has the id no-such-org"),
    ("orgs=,", "give organisation ids"),
    ("focus=nobody-at-all", "No entity is called"),
    ("depth=two&focus=hbis", "give a whole number"),
    ("depth=9&focus=hbis", "the largest depth is 5"),
    ("material=unobtainium", "No entity is called"),
    ("from=2025&to=2020", "is after"),
])
def test_network_parameters_to_fix_are_400(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/network?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text


def test_network_filters_by_material(client: TestClient, landscape: Landscape) -> None:
    nodes = network_nodes(client.get("/network?material=aluminium").text)
    expected = {party for a in landscape.alliances.values() if "material/aluminium" in a.material_keys
                for party, _ in a.parties}
    assert {n for n in nodes if not n.startswith("hub:")} == expected
    assert f"{BASE}organisation/bmw-brilliance" in nodes


# ------------------------------------------------------------------ nothing from elsewhere, nothing as HTML

@pytest.mark.parametrize("path", PAGES)
def test_no_page_loads_anything_from_another_address(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (200, 400, 404)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    html = response.text
    metas = [a for tag, a in tags(html) if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    if path.startswith("/network"):
        return
    assert "connect-src 'self'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
    for tag, attributes in tags(html):
        if tag in LOADING:
            value = attributes.get(LOADING[tag]) or ""
            assert not re.match(r"(?i)\s*(https?:)?//", value), f"{path}: <{tag}> loads {value}"
        assert not any(name.startswith("on") for name in attributes), f"{path}: inline handler on <{tag}>"
        if tag == "a":
            assert not (attributes.get("href") or "").lower().lstrip().startswith(("javascript:", "data:"))
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", html), "inline script"
    assert " style=" not in html, "inline styles need 'unsafe-inline'"


def test_assets_are_served_and_write_no_html() -> None:
    script = (ASSETS_DIR / "query.js").read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                      "http://", "https://"):
        assert forbidden not in script, forbidden
    assert "url(" not in (ASSETS_DIR / "explorer.css").read_text(encoding="utf-8")


def test_assets_route(client: TestClient) -> None:
    response = client.get("/assets/explorer.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert client.get("/assets/query.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert client.get("/assets/../entity.html.j2").status_code == 404
    assert client.get("/assets/entity.html.j2").status_code == 404


HOSTILE = f"""
@prefix al: <https://w3id.org/alliance-graph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
<{BASE}source/evil> {{
  <{BASE}organisation/evil> a org:Organization, al:Company ;
      skos:prefLabel {json.dumps(XSS_IMG)}@en, {json.dumps(XSS_SCRIPT)}@zh ;
      al:quote {json.dumps(XSS_SCRIPT)} .
  <{BASE}source/evil> a schema:CreativeWork ; dcterms:title {json.dumps(XSS_IMG)} ;
      schema:publisher "<b>bold</b>" ; schema:inLanguage "en" ; schema:url "javascript:alert(1)" .
}}
"""


def test_data_never_becomes_html() -> None:
    store = OxigraphStore.in_memory()
    store.load(HOSTILE.encode("utf-8"), ox.RdfFormat.TRIG)
    context = explorer_context(ServeSettings(base=BASE), store)
    with TestClient(Starlette(routes=explorer_routes(context))) as hostile:
        for path in ("/id/organisation/evil", "/id/source/evil"):
            html = hostile.get(path).text
            assert "<img src=x" not in html and "<script>alert" not in html and "<b>bold" not in html, path
            assert "&lt;img src=x onerror=alert(1)&gt;" in html, path
            assert not any(tag == "img" for tag, _ in tags(html)), path
            values = [value or "" for _, attributes in tags(html) for value in attributes.values()]
            assert not any(v.strip().lower().startswith("javascript:") for v in values), path


def test_iris_resolve_when_the_base_points_at_the_server(tmp_path: Path) -> None:
    """With ALLIANCES_BASE=http://testserver/id/ the entity IRIs are this server's addresses."""
    from graph.build.pipeline import build

    settings = Settings(store_path=tmp_path / "store", base="http://testserver/id/")
    build(settings)
    store = OxigraphStore.open(settings.store_path)
    context = explorer_context(ServeSettings(store_path=settings.store_path, base=settings.base), store)
    with TestClient(Starlette(routes=explorer_routes(context)), base_url="http://testserver") as local:
        iri = "http://testserver/id/organisation/hbis"
        turtle = local.get(iri, headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200
        assert any(q.subject.value == iri for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
        page = local.get(iri).text
        assert "<h1>HBIS Group</h1>" in page and 'href="/id/organisation/bmw-group"' in page
        config = query_config(local.get("/query").text)
        assert config["organisationPrefix"] == "http://testserver/id/organisation/"
        assert "VALUES ?org { <http://testserver/id/organisation/hbis> }" in {e["name"]: e for e in config["examples"]}["agreements-of"]["text"]


def test_an_alliance_page_shows_its_status_changes(client: TestClient) -> None:
    page = client.get("/id/alliance/h2-green-steel-mercedes-benz-supply-agreement-2023").text
    assert 'Status: binding</h2>' in page
    assert "2023-06 (&#34;now&#34; in an article dated 2023-06-07)" in page or "2023-06 (&quot;now&quot; in an article dated 2023-06-07)" in page


def test_a_plant_page_shows_its_place_operator_and_the_deals_that_name_it(client: TestClient) -> None:
    page = client.get("/id/plant/stegra-boden-plant").text
    assert "Boden" in page and "Operated by" in page and "Alliances that name it" in page
    assert "/id/organisation/stegra" in page
    assert "/id/alliance/h2-green-steel-mercedes-benz-supply-agreement-2023" in page
