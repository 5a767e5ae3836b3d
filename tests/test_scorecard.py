"""Supplier and buyer scorecards and the ranking of suppliers (graph/ask/scorecard.py, the commands
``alliances supplier|buyer|suppliers``, the explorer's scorecard pages) on the graph built from data/.

Expected facts are read from the YAML records themselves (``Records``), not written here, so that
a scorecard that loses or invents a deal, a volume, a pledge or a source fails.
"""
from __future__ import annotations

import copy
import json
import re
import warnings
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from graph.ask.resolve import display_label
from graph.ask.scorecard import _gap, buyer_scorecard, supplier_scorecard
from graph.ask.scorecard_ranking import rank_suppliers
from graph.ask.scorecard_chart import chart_svg
from graph.cli import main
from graph.config import PROJECT_ROOT, TAXONOMY_NS, Settings
from graph.network.coverage import in_region, region_names
from graph.records.quantities import read_quantity
from graph.rdf.store import OxigraphStore

from conftest import XSS_IMG, browser_unavailable, chromium_or_skip, explorer_context

with warnings.catch_warnings():  # starlette asks for httpx2; the project's test extra installs httpx
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

SCHEMA = json.loads((PROJECT_ROOT / "docs" / "schemas" / "scorecard.schema.json").read_text(encoding="utf-8"))
VOLUME_KINDS = ("mass", "mass per year")
COALITION_TYPES = ("coalition-membership", "community", "programme")
EXIT_ERROR = 2


class Records:
    """What the records of data/sources/ state, by file (a source's id is its file name)."""

    def __init__(self, folder: Path) -> None:
        self.alliances: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)  # id -> [(source, entry)]
        self.claims: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        self.parents: dict[str, set[str]] = defaultdict(set)
        self.sectors: dict[str, str] = {}
        self.countries: dict[str, str] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        for path in sorted(folder.glob("*.yaml")):
            record = yaml.safe_load(path.read_text(encoding="utf-8"))
            self.sources[path.stem] = record["source"]
            for entry in record.get("alliances", []):
                self.alliances[entry["id"]].append((path.stem, entry))
            for entry in record.get("claims", []):
                self.claims[entry["id"]].append((path.stem, entry))
            for org in record.get("organisations", []):
                self.parents[org["id"]] |= set(org.get("part_of", [])) | set(org.get("joint_venture_of", []))
                if "sector" in org:
                    self.sectors[org["id"]] = org["sector"]
                if "country" in org:
                    self.countries[org["id"]] = org["country"]

    def group(self, org: str) -> set[str]:
        """The organisation and every organisation below it (part of it, or a joint venture of it)."""
        found, changed = {org}, True
        while changed:
            below = {child for child, parents in self.parents.items() if parents & found}
            changed = not below <= found
            found |= below
        return found

    def parties(self, alliance: str) -> set[tuple[str, str]]:
        return {(p["organisation"], p["role"]) for _, entry in self.alliances[alliance] for p in entry.get("parties", [])}

    def deals(self, org: str, own_role: str, other_role: str) -> set[tuple[str, str]]:
        """(alliance, counterparty) where the group takes own_role and a party outside it other_role."""
        group = self.group(org)
        found = set()
        for alliance in self.alliances:
            parties = self.parties(alliance)
            if any(o in group and r == own_role for o, r in parties):
                found |= {(alliance, o) for o, r in parties if r == other_role and o not in group}
        return found

    def stating(self, alliance: str, party: str) -> set[str]:
        """The sources whose records list ``party`` among the alliance's parties."""
        return {source for source, entry in self.alliances[alliance]
                if any(p["organisation"] == party for p in entry.get("parties", []))}

    def volumes(self, alliance: str) -> set[str]:
        """The claims that are a volume of this alliance alone."""
        found = set()
        for claim, entries in self.claims.items():
            for _, entry in entries:
                about = entry.get("about", [])
                deals = [a for a in about if a.startswith("alliance:")]
                if deals == [f"alliance:{alliance}"] and "unit" in entry \
                        and read_quantity(str(entry["value"]), entry["unit"]).kind in VOLUME_KINDS:
                    found.add(claim)
        return found


@pytest.fixture(scope="module")
def records() -> Records:
    return Records(PROJECT_ROOT / "data" / "sources")


@pytest.fixture(scope="module")
def ssab(store: OxigraphStore) -> dict[str, Any]:
    return supplier_scorecard(store, "SSAB")


@pytest.fixture(scope="module")
def volvo(store: OxigraphStore) -> dict[str, Any]:
    return buyer_scorecard(store, "Volvo Cars")


def deals_of(scorecard: dict[str, Any]) -> list[dict[str, Any]]:
    parties = scorecard["buyers"] if scorecard["kind"] == "supplier" else scorecard["suppliers"]
    return [deal for party in parties for deal in party["deals"]]


def cited(value: Any) -> set[str]:
    """Every source id a scorecard's facts cite."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "sources" and isinstance(item, list):
                found |= set(item)
            elif key != "sources":
                found |= cited(item)
    elif isinstance(value, list):
        for item in value:
            found |= cited(item)
    return found


def schema_errors(data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)]


# ------------------------------------------------------------------ the queries

def test_the_scorecard_queries_are_standard_sparql_that_say_what_they_ask() -> None:
    """Each file parses in a second engine (rdflib) with only the documented prefixes, and opens with
    its question; a parameter it declares is a variable it selects (so that it can be bound)."""
    from rdflib.plugins.sparql import prepareQuery

    from graph.ask.scorecard import QUERY_DIR
    from graph.rdf.namespaces import PREFIXES

    files = sorted(QUERY_DIR.glob("*.rq"))
    assert len(files) >= 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# question: "), path.name
        prepareQuery(text, initNs=PREFIXES)
        for name in re.findall(r"^# param: (\w+)", text, flags=re.MULTILINE):
            assert re.search(rf"SELECT DISTINCT[^\n]*\?{name}\b|SELECT[^\n]*\?{name}\b", text), (path.name, name)


# ------------------------------------------------------------------ the supplier scorecard

def test_the_supplier_scorecard_lists_every_buyer_deal_of_the_records(ssab: dict[str, Any], records: Records) -> None:
    expected = records.deals("ssab", "supplier", "buyer")
    assert len(expected) >= 10  # SSAB is the organisation the data holds best: the test has something to check
    assert {(d["alliance"]["id"], d["counterparty"]["id"]) for d in deals_of(ssab)} == expected
    group = records.group("ssab")
    assert all(party["id"] in group for deal in deals_of(ssab) for party in deal["own_parties"])


def test_each_deal_cites_the_records_that_state_it(ssab: dict[str, Any], records: Records) -> None:
    for deal in deals_of(ssab):
        stating = records.stating(deal["alliance"]["id"], deal["counterparty"]["id"])
        assert stating and stating <= set(deal["sources"]), deal["alliance"]["id"]


def test_volumes_status_and_dates_match_the_records(store: OxigraphStore, records: Records) -> None:
    stegra = supplier_scorecard(store, "stegra")
    with_volume = [d for d in deals_of(stegra) if d["volumes"]]
    assert with_volume, "Stegra's deals state volumes in data/"
    for deal in deals_of(stegra):
        alliance = deal["alliance"]["id"]
        assert {v["id"] for v in deal["volumes"]} <= records.volumes(alliance)
        stated = {s["status"] for _, entry in records.alliances[alliance] for s in entry.get("status", [])}
        assert {s["status"] for s in deal["status_history"]} == {display_label(store, f"{TAXONOMY_NS}status/{s}") for s in stated}
        signed = {str(e["signing"]["date"]) for _, e in records.alliances[alliance] if "date" in e.get("signing", {})}
        assert {s["value"] for s in deal["signed"]} == signed
    for deal in with_volume:
        for volume in deal["volumes"]:
            (_, claim), *_ = records.claims[volume["id"]]
            assert (volume["value"], volume["unit"]) == (str(claim["value"]), claim["unit"])


def test_every_fact_has_a_source_with_publisher_date_and_address(ssab: dict[str, Any], records: Records) -> None:
    ids = cited({k: v for k, v in ssab.items() if k != "sources"})
    assert ids and ids == set(ssab["sources"])
    for ident, source in ssab["sources"].items():
        record = records.sources[ident]
        assert source["publisher"] == record["publisher"]
        assert source["url"] == record.get("url")
        assert source["published"] == (str(record["published"]) if "published" in record else None)
    assert ssab["organisation"]["sector"]["value"] == records.sectors["ssab"]
    assert ssab["organisation"]["country"]["value"] == records.countries["ssab"]
    for section in ("buyers", "materials", "pathways", "plants", "claims", "coalitions"):
        assert ssab[section], section  # each section has data for SSAB
    for deal in deals_of(ssab):
        assert deal["sources"]
        for volume in deal["volumes"]:
            assert volume["sources"]


def test_claims_keep_baseline_and_scope_or_say_not_recorded(store: OxigraphStore, records: Records) -> None:
    with_baseline = {claim: entries[0][1] for claim, entries in records.claims.items()
                     if any("compared_to" in e for _, e in entries)}
    assert with_baseline
    shenhuo = supplier_scorecard(store, "henan-shenhuo-group")
    claims = {c["id"]: c for c in shenhuo["claims"]} | {c["id"]: c for m in shenhuo["coalitions"] + shenhuo["standards"] for c in m["claims"]}
    compared = [c for c in claims.values() if c["id"] in with_baseline]
    assert compared, "Henan Shenhuo's claims include one with a baseline"
    for claim in compared:
        assert claim["baseline"] is not None
        assert claim["baseline"]["id"] == with_baseline[claim["id"]]["compared_to"].split(":", 1)[1]
    for claim in claims.values():
        if claim["id"] not in with_baseline:
            assert claim["baseline"] is None


def test_standards_are_the_memberships_a_standards_body_convenes(store: OxigraphStore, records: Records) -> None:
    scorecard = supplier_scorecard(store, "arcelormittal")
    bodies = {org for org, sector in records.sectors.items() if sector == "standards-and-data"}
    group = records.group("arcelormittal")
    expected = set()
    for alliance in records.alliances:
        parties = records.parties(alliance)
        conveners = {o for o, r in parties if r == "convener" and o not in group}
        if conveners and conveners <= bodies and any(o in group for o, _ in parties):
            expected.add(alliance)
    assert "arcelormittal-responsiblesteel-first-site-certifications" in expected
    assert {s["alliance"]["id"] for s in scorecard["standards"]} == expected


# ------------------------------------------------------------------ the buyer scorecard

def test_the_buyer_scorecard_lists_suppliers_and_pledges_of_the_records(volvo: dict[str, Any], records: Records) -> None:
    assert {(d["alliance"]["id"], d["counterparty"]["id"]) for d in deals_of(volvo)} == records.deals("volvo-cars", "buyer", "supplier")
    group = records.group("volvo-cars")
    memberships = {a for a in records.alliances
                   if any(e.get("type") in COALITION_TYPES for _, e in records.alliances[a])
                   and any(o in group for o, _ in records.parties(a))}
    assert {"steelzero-2022-new-members", "volvo-cars-first-movers-coalition-aluminium"} <= memberships
    assert memberships <= {p["alliance"]["id"] for p in volvo["pledges"]}
    by_material = {m["material"]["id"]: set(m["suppliers"]) for m in volvo["by_material"]}
    for deal in deals_of(volvo):
        for material in deal["materials"]:
            assert deal["counterparty"]["id"] in by_material[material["id"]]


def test_a_percentage_pledge_is_not_compared_with_tonnes(volvo: dict[str, Any], records: Records) -> None:
    percent = [g for g in volvo["gap"] if g["pledged_unit"] == "percent"]
    assert percent
    for gap in percent:
        (_, claim), *_ = records.claims[gap["claim"]]
        assert gap["pledged"] == str(claim["value"])
        assert gap["comparable"] is False and gap["gap"] is None and gap["note"].startswith("not comparable")


def _deal(ident: str, binding: str, value: str, unit: str, groups: list[str]) -> dict[str, Any]:
    return {"alliance": {"kind": "alliance", "id": ident, "label": ident}, "binding": binding, "year": 2024,
            "material_groups": [{"kind": "material", "id": g, "label": g} for g in groups],
            "volumes": [{"id": f"{ident}-volume", "value": value, "unit": unit, "kind": "mass", "normalised_value": value,
                         "normalised_unit": unit, "measure": "volume", "sources": ["s"]}]}


def _pledge(claims: list[dict[str, Any]], groups: list[str]) -> dict[str, Any]:
    return {"alliance": {"kind": "alliance", "id": "pledge", "label": "pledge"},
            "material_groups": [{"kind": "material", "id": g, "label": g} for g in groups], "claims": claims}


def _claim(ident: str, value: str, unit: str, kind: str, own: bool = True) -> dict[str, Any]:
    return {"id": ident, "value": value, "unit": unit, "kind": kind, "normalised_value": value, "normalised_unit": unit,
            "measure": ident, "own": own, "sources": ["s"]}


def test_the_gap_is_pledged_minus_binding_of_the_same_material_and_unit() -> None:
    deals = {"steelmaker": [_deal("a", "binding", "30000", "tonne / year", ["steel"]),
                            _deal("b", "non-binding", "500000", "tonne / year", ["steel"])],
             "smelter": [_deal("c", "binding", "7000", "tonne / year", ["aluminium"])]}
    claims = [_claim("own-volume", "100000", "tonne / year", "mass per year"), _claim("share", "10", "percent", "share"),
              _claim("collective", "2300000", "tonne / year", "mass per year", own=False),
              _claim("in-tonnes", "5000", "tonne", "mass")]
    gaps = {g["claim"]: g for g in _gap(deals, [_pledge(claims, ["steel"])])}
    assert (gaps["own-volume"]["binding"], gaps["own-volume"]["gap"], gaps["own-volume"]["comparable"]) == ("30000", "70000", True)
    for other in ("share", "collective", "in-tonnes"):
        assert gaps[other]["comparable"] is False and gaps[other]["gap"] is None, other
    assert "whole coalition" in gaps["collective"]["note"]


# ------------------------------------------------------------------ the ranking

def test_the_ranking_holds_the_region_s_suppliers_in_order(store: OxigraphStore, records: Records) -> None:
    ranking = rank_suppliers(store, "green-steel", "EU")
    suppliers = ranking["suppliers"]
    assert suppliers and [s["rank"] for s in suppliers] == list(range(1, len(suppliers) + 1))
    green = {"green-steel", "low-carbon-automotive-steel"}
    expected = {o for a, entries in records.alliances.items() if any(green & set(e.get("materials", [])) for _, e in entries)
                for o, r in records.parties(a) if r == "supplier" and in_region(records.countries.get(o), "EU")}
    assert {s["organisation"]["id"] for s in suppliers} == expected
    for entry in suppliers:
        assert len(entry["alliances"]) == entry["deals"]
        for alliance in entry["alliances"]:
            assert (entry["organisation"]["id"], "supplier") in records.parties(alliance)

    def tonnes_a_year(entry: dict[str, Any]) -> Decimal:
        return sum((Decimal(v["value"]) for v in entry["binding_volume"] if v["unit"] == "tonne / year"), Decimal(0))
    volumes = [tonnes_a_year(s) for s in suppliers]
    assert volumes == sorted(volumes, reverse=True) and volumes[0] > 0
    assert all(s["binding_buyers"] <= s["buyers"] and s["binding_deals"] <= s["deals"] for s in suppliers)


def test_regions_are_those_of_the_coverage() -> None:
    assert in_region("SE", "EU") and in_region("SE", "europe") and in_region("FR", "Europe outside Germany")
    assert not in_region("DE", "Europe outside Germany") and not in_region("CN", "EU") and not in_region(None, "EU")
    assert in_region("KR", "Japan and Korea")
    assert len(region_names()) == len(set(region_names()))
    with pytest.raises(ValueError, match="unknown region 'Mars'"):
        in_region("SE", "Mars")


# ------------------------------------------------------------------ the command line

def run(runner: CliRunner, built: Settings, *args: str) -> Any:
    return runner.invoke(main, ["--store", str(built.store_path), *args])


@pytest.mark.parametrize("args", [("supplier", "SSAB"), ("buyer", "Volvo Cars"), ("suppliers", "--material", "green-steel", "--region", "EU"),
                                  ("supplier", "henan-shenhuo-group"), ("buyer", "general-motors")])
def test_json_output_validates_against_its_schema(runner: CliRunner, built: Settings, args: tuple[str, ...]) -> None:
    result = run(runner, built, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert schema_errors(data) == []
    drifted = copy.deepcopy(data)
    drifted["since"] = 2020
    assert schema_errors(drifted)


def test_the_schema_refuses_a_deal_without_sources(ssab: dict[str, Any]) -> None:
    changed = copy.deepcopy(ssab)
    del changed["buyers"][0]["deals"][0]["sources"]
    assert schema_errors(changed)
    changed = copy.deepcopy(ssab)
    changed["buyers"][0]["deals"][0]["binding"] = "sort of"
    assert schema_errors(changed)


def test_text_shows_sources_and_says_not_recorded(runner: CliRunner, built: Settings, ssab: dict[str, Any]) -> None:
    result = run(runner, built, "supplier", "SSAB")
    assert result.exit_code == 0, result.output
    assert "not recorded" in result.stdout  # SSAB's page shows no GEM id, and several deals no volume
    listing = result.stdout.split("\nSources\n", 1)[1]
    for number, source in enumerate(ssab["sources"].values(), start=1):
        assert f"[{number}] {source['publisher']}" in listing
        assert source["url"] in listing


@pytest.mark.parametrize("args", [("supplier", "No Such Steelmaker Ltd"), ("buyer", "zzzz-nobody")])
def test_an_unknown_name_is_a_clear_error(runner: CliRunner, built: Settings, args: tuple[str, ...]) -> None:
    result = run(runner, built, *args)
    assert result.exit_code == EXIT_ERROR
    assert f"No entity is called '{args[1]}'" in result.stderr and "Traceback" not in result.output


def test_an_unknown_region_or_material_is_a_clear_error(runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, "suppliers", "--material", "green-steel", "--region", "Mars")
    assert result.exit_code == EXIT_ERROR and "--region Mars" in result.stderr and "EU" in result.stderr
    result = run(runner, built, "suppliers", "--material", "kryptonite")
    assert result.exit_code == EXIT_ERROR and "kryptonite" in result.stderr


def test_output_is_for_png_only(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    result = run(runner, built, "supplier", "SSAB", "-o", str(tmp_path / "x.txt"))
    assert result.exit_code == EXIT_ERROR and "--format png" in result.output


def test_the_png_is_drawn_in_chromium(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        browser_unavailable("The playwright package is missing: pip install -e '.[images]'.")
    chromium_or_skip()
    target = tmp_path / "ranking.png"
    result = run(runner, built, "suppliers", "--material", "green-steel", "--region", "EU", "--format", "png", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_chart_escapes_text_from_the_data(ssab: dict[str, Any]) -> None:
    hostile = copy.deepcopy(ssab)
    hostile["buyers"][0]["organisation"]["label"] = XSS_IMG
    svg = chart_svg(hostile)
    assert XSS_IMG not in svg and "&lt;img" in svg
    assert "<script" not in svg


# ------------------------------------------------------------------ the explorer

@pytest.fixture(scope="module")
def client(built: Settings, store: OxigraphStore) -> Any:
    from starlette.applications import Starlette

    from graph.serve.context import ServeSettings
    from graph.serve.explorer import explorer_routes

    context = explorer_context(ServeSettings(store_path=built.store_path, base=built.base), store)
    with TestClient(Starlette(routes=explorer_routes(context))) as test_client:
        yield test_client


def test_the_scorecard_pages_render_with_their_facts(client: Any, ssab: dict[str, Any], volvo: dict[str, Any]) -> None:
    for path, data in (("/scorecard/supplier/ssab", ssab), ("/scorecard/buyer/volvo-cars", volvo)):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "Content-Security-Policy" in page.headers
        for deal in deals_of(data):
            assert f'href="/id/alliance/{deal["alliance"]["id"]}"' in page.text
        for ident in data["sources"]:
            assert f'id="source-{ident}"' in page.text
        assert "<svg" in page.text and "<script" not in page.text
    ranking = client.get("/suppliers", params={"material": "green-steel", "region": "EU"})
    assert ranking.status_code == 200 and 'href="/scorecard/supplier/stegra"' in ranking.text


def test_the_organisation_page_links_to_its_scorecards(client: Any) -> None:
    page = client.get("/id/organisation/ssab")
    assert page.status_code == 200
    assert 'href="/scorecard/supplier/ssab"' in page.text and 'href="/scorecard/buyer/ssab"' in page.text


@pytest.mark.parametrize("path,status", [("/scorecard/supplier/no-such-steelmaker", 404), ("/scorecard/seller/ssab", 404),
                                         ("/scorecard/supplier/Bad%20Id", 404), ("/suppliers", 400),
                                         ("/suppliers?material=green-steel&region=Mars", 400),
                                         ("/suppliers?material=kryptonite", 400)])
def test_a_scorecard_page_that_cannot_be_made_says_why(client: Any, path: str, status: int) -> None:
    page = client.get(path)
    assert page.status_code == status
    assert "Traceback" not in page.text
