"""Every fact the four seed documents state can be found, with the source that states it.

Each test asks the graph the way a strategist would (``show`` profiles, SPARQL) and checks the
fact and that it sits in the graph of the seed's own record.
"""
from __future__ import annotations

from typing import Any

import pytest

import pyoxigraph as ox

from graph.ask.profile import profile
from graph.ask.resolve import kind_and_id
from graph.config import DEFAULT_BASE, TAXONOMY_NS
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

FAW = "2024-08-29-faw-volkswagen-baosteel-green-steel-memorandum"
ALU = "2023-12-aluminium-expo-bmw-green-aluminium"
SMS = "2025-01-16-sms-group-ansteel-memorandum"
RMI = "2024-07-05-rmi-automotive-steel-carbon-footprint-pilot"


def facts(p: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["property"], f["value"], s) for f in p["facts"] for s in f["sources"]}


def parties(p: dict[str, Any]) -> dict[str, str]:
    return {party["id"]: party["role"] for party in p["parties"]}


def party_sources(store: OxigraphStore, alliance: str, organisation: str) -> set[str]:
    """The ids of the sources whose graphs make the organisation a party of the alliance."""
    rows = select(store, "SELECT DISTINCT ?g ?a ?o WHERE { GRAPH ?g { ?a al:participation/al:party ?o } }",
                  {"a": ox.NamedNode(f"{DEFAULT_BASE}alliance/{alliance}"),
                   "o": ox.NamedNode(f"{DEFAULT_BASE}organisation/{organisation}")})
    return {kind_and_id(row["g"].value)[1] for row in rows}


def test_faw_volkswagen_baosteel_memorandum(store: OxigraphStore) -> None:
    p = profile(store, "Carbon-Neutral 'Green Steel' Cooperation Memorandum")
    assert parties(p) == {"faw-volkswagen": "buyer", "baosteel": "supplier"}
    assert ("alliance type", "cooperation memorandum", FAW) in facts(p)
    assert ("material", "green steel", FAW) in facts(p)
    # The article's general account of green steel (DRI, renewable energy) is not a fact about this deal.
    assert [f for f in p["facts"] if f["property"] == "pathway"] == []
    assert {("place", "Shanghai", FAW)} <= {(s["property"], s["value"], src) for s in p["signing"] for src in s["sources"]}
    source = next(s for s in p["sources"] if s["id"] == FAW)
    assert source["published"] == "2024-08-29" and source["language"] == "en"
    names = profile(store, "一汽-大众")["names"]["preferred"]
    assert names["en"] == ["FAW-Volkswagen"] and names["zh"] == ["一汽-大众"]
    assert "宝山钢铁股份有限公司" in profile(store, "Baosteel")["names"]["preferred"]["zh"]


def test_gem_closed_loop_memorandum_was_signed_by_mercedes_benz_china_not_the_group(store: OxigraphStore) -> None:
    alliance = "mercedes-benz-gem-catl-brunp-closed-loop-battery-recycling-mou"
    roles = parties(profile(store, alliance))
    assert roles["mercedes-benz-china"] == "supplier" and "mercedes-benz-group" not in roles
    # stated by GEM's own announcement (the original publisher), not only by a news mirror
    assert "2023-02-28-zqrb-gem-mercedes-benz-china-catl-brunp-announcement" in party_sources(store, alliance, "mercedes-benz-china")


def test_elysis_is_a_party_of_the_rio_tinto_bmw_memorandum(store: OxigraphStore) -> None:
    assert parties(profile(store, "rio-tinto-bmw-low-carbon-aluminium-mou"))["elysis"] == "technology provider"


def test_hyundai_steel_is_a_party_of_the_2021_posco_hyundai_hydrogen_agreement(store: OxigraphStore) -> None:
    roles = parties(profile(store, "posco-hyundai-motor-hydrogen-business-agreement"))
    assert {"hyundai-motor", "posco", "hyundai-steel"} <= set(roles)
    assert "hyundai-steel" in {m["id"] for m in profile(store, "hyundai-motor-group")["members"]}


def test_chery_holding_and_chery_automobile_are_two_organisations(store: OxigraphStore) -> None:
    memorandum = "baosteel-chery-green-steel-supply-chain-memorandum"
    assert party_sources(store, memorandum, "chery") >= {"kcomber-baosteel-chery-green-steel-memorandum"}
    assert party_sources(store, memorandum, "chery-automobile") == {"2023-12-18-steelorbis-baosteel-chery-carbon-reduced-steel"}
    holding, automobile = profile(store, "chery"), profile(store, "chery-automobile")
    assert "Chery Automobile Company" not in holding["names"].get("alias", {}).get("en", [])
    assert "Chery Automobile Company" in automobile["names"]["alias"]["en"]
    assert "chery-automobile" in {m["id"] for m in holding["members"]}
    signatory = next(party for party in profile(store, memorandum)["parties"] if party["id"] == "chery")["signatory"]
    assert signatory["label"] == "Qi Shilong"  # who signs for the holding holds a post at Chery Automobile
    assert [r["id"] for r in profile(store, "Qi Shilong")["roles"] if r["how"] == "holds post"] == ["chery-deputy-general-manager"]
    assert ("post in", "Chery Automobile Co. Ltd.", "kcomber-baosteel-chery-green-steel-memorandum") in facts(
        profile(store, "chery-deputy-general-manager"))


def test_kobe_steel_invests_in_h2_green_steel(store: OxigraphStore) -> None:
    roles = parties(profile(store, "kobe-steel-h2-green-steel-equity-investment"))
    assert roles == {"kobe-steel": "investor", "stegra": "party"}


def test_kobe_steel_nissan_arrangement_is_a_dated_supply_agreement_with_its_aluminium_supplier(store: OxigraphStore) -> None:
    p = profile(store, "kobe-steel-nissan-kobenable-steel")
    assert {f["value"] for f in p["facts"] if f["property"] == "alliance type"} == {"supply agreement"}
    assert parties(p)["ega"] == "supplier"
    timings = {s["value"]: s["sources"] for s in p["signing"] if s["property"] == "timing"}
    assert timings == {"announced on 19 December 2022": ["2022-12-20-newswitch-nissan-kobe-steel-green-materials"]}


def test_us_government_leads_the_first_movers_coalition_that_ford_joins(store: OxigraphStore) -> None:
    roles = parties(profile(store, "ford-first-movers-coalition-steel-aluminium-commitment"))
    assert roles["us-government"] == "convener" and roles["world-economic-forum"] == "convener"


def test_no_source_url_carries_tracking_parameters(store: OxigraphStore) -> None:
    urls = [row["url"].value for row in select(store, "SELECT DISTINCT ?url WHERE { ?s schema:url ?url }")]
    assert urls, "the graph has source URLs"
    tracking = ("utm_", "ref=rss", "cid=", "srsltid=", "fbclid=", "gclid=", "spm=", "from=", "share")
    assert [url for url in urls if "?" in url and any(t in url.partition("?")[2] for t in tracking)] == []


def test_the_technology_development_pathway_is_not_labelled_as_steel_only(store: OxigraphStore) -> None:
    """It is used on aluminium alliances too, so a label naming steel would answer a green-steel
    question with aluminium deals; the material says which industry."""
    pathway = ox.NamedNode(f"{TAXONOMY_NS}pathway/green-technology-innovation")
    assert store.query("ASK { ?a al:pathway ?p ; al:material/skos:broader* ?m }",
                       {"p": pathway, "m": ox.NamedNode(f"{TAXONOMY_NS}material/aluminium")})
    labels = [label for names in profile(store, "green-technology-innovation")["names"]["preferred"].values() for label in names]
    assert len(labels) == 3 and [label for label in labels if any(w in label.lower() for w in ("steel", "stahl", "钢"))] == []


def test_baosteel_rolls_up_to_china_baowu(store: OxigraphStore) -> None:
    baowu = profile(store, "宝武")
    assert "baosteel" in {m["id"] for m in baowu["members"]}
    assert "faw-volkswagen-baosteel-green-steel-memorandum" in {a["id"] for a in baowu["alliances"]}


def test_bmw_brilliance_aluminium_memoranda(store: OxigraphStore) -> None:
    for ident, material, pathway in (("bmw-brilliance-green-electrolytic-aluminium-mou", "green electrolytic aluminium", "renewable energy in production"),
                                     ("bmw-brilliance-recycled-aluminium-mou", "recycled aluminium", "higher recycled content")):
        p = profile(store, ident)
        assert parties(p)["bmw-brilliance"] == "buyer"
        assert {("material", material, ALU), ("pathway", pathway, ALU), ("start", "2024", ALU), ("end", "2030", ALU)} <= facts(p)
        unnamed = [party for party in p["parties"] if party["id"].startswith("henan-aluminium-company")]
        assert len(unnamed) == 1


def test_ninety_percent_claim_against_primary_aluminium(store: OxigraphStore) -> None:
    p = profile(store, "green-and-recycled-aluminium-90-percent-lower-emissions")
    assert {("value", "90", ALU), ("unit", "percent", ALU), ("compared to", "primary aluminium", ALU)} <= facts(p)
    about = {f["value"] for f in p["facts"] if f["property"] == "about"}
    assert about == {"green electrolytic aluminium", "recycled aluminium"}


def test_bmw_hbis_huayou_plan_and_community(store: OxigraphStore) -> None:
    hbis = profile(store, "bmw-hbis-green-low-carbon-steel-supply-chain-mou")
    assert parties(hbis) == {"bmw-group": "buyer", "hbis": "supplier"}
    assert ("material", "low-carbon automotive steel", ALU) in facts(hbis)
    huayou = profile(store, "bmw-huayou-closed-loop-battery-recycling")
    assert set(parties(huayou)) == {"bmw-group", "huayou-cycle"}
    assert {("pathway", "closed-loop recycling", ALU), ("material", "battery raw materials", ALU)} <= facts(huayou)
    plan = profile(store, "China Supply Chain Emission Reduction Plan")
    assert ("start", "2021", ALU) in facts(plan) and "Programme" in plan["types"]
    community = profile(store, "BMW Sustainable Development Community")
    assert parties(community) == {"bmw-group": "convener"} and "Community" in community["types"]


def test_sms_group_ansteel_memorandum(store: OxigraphStore) -> None:
    p = profile(store, "sms-group-ansteel-green-steel-mou")
    by_party = {party["id"]: party for party in p["parties"]}
    assert by_party["sms-group"]["signatory"]["label"] == "Peter Langner"
    assert by_party["sms-group"]["signatory_post"]["id"] == "sms-group-china-ceo"
    assert by_party["ansteel"]["signatory_post"]["id"] == "ansteel-head-of-strategic-planning"
    assert "signatory" not in by_party["ansteel"]  # the source names the post, not the person
    signing = {(s["property"], s["value"], src) for s in p["signing"] for src in s["sources"]}
    assert {("date", "--01-16", SMS), ("attendee", "Jochen Burg", SMS), ("attendee", "Tan Chengxu", SMS)} <= signing
    assert ("date", "2025-01-16", "2025-01-24-sms-group-ansteel-memorandum-zh") in signing
    goals = [f["value"] for f in p["facts"] if f["property"] == "goal"]
    assert any("CO2-Neutralität" in g for g in goals)
    assert p["names"]["preferred"]["de"] == ["Absichtserklärung zwischen SMS group und Ansteel Group"]
    burg = profile(store, "Jochen Burg")
    assert {("holds post", "sms-group-ceo")} <= {(r["how"], r["id"]) for r in burg["roles"]}
    assert profile(store, "Tan Chengxu")["roles"][0]["how"] in {"attended the signing", "holds post"}


def test_rmi_pilot(store: OxigraphStore) -> None:
    p = profile(store, "车企用钢碳足迹核算试点")
    roles = parties(p)
    assert {k for k, v in roles.items() if v == "convener"} == {"rmi", "china-automotive-carbon-digital-technology-center"}
    assert {"baowu", "ansteel", "hbis", "baotou-steel", "volvo", "nio", "dongfeng-nissan", "rmi-pilot-fourth-automaker"} == {
        k for k, v in roles.items() if v == "participant"}
    assert {("start", "2023-07", RMI), ("duration", "P9M", RMI), ("data platform", "CICES", RMI),
            ("indicator", "comparative boundary carbon emissions", RMI), ("indicator", "recycling steel ratio", RMI),
            ("pathway", "carbon footprint accounting and data exchange", RMI)} <= facts(p)
    assert {"落基山研究所", "RMI"} <= set(profile(store, "Rocky Mountain Institute")["names"]["preferred"].get("zh", []) +
                                        profile(store, "Rocky Mountain Institute")["names"]["preferred"]["en"])
    assert profile(store, "rmi-pilot-fourth-automaker")["types"] == ["Organization", "UnnamedParty"]


@pytest.mark.parametrize("claim, value, scope_word", [
    ("rmi-pilot-share-of-global-steel-supply", "11.98", "global steel supply"),
    ("steel-industry-share-of-china-carbon-emissions", "15", "China"),
    ("steel-share-of-vehicle-weight", "50", "weight"),
    ("steel-share-of-vehicle-material-phase-emissions", "33", "material production phase"),
])
def test_rmi_quantitative_claims(store: OxigraphStore, claim: str, value: str, scope_word: str) -> None:
    p = profile(store, claim)
    assert ("value", value, RMI) in facts(p)
    assert any(f["property"] == "scope" and scope_word in f["value"] for f in p["facts"])
    assert p["sources"][0]["quotes"]


def test_every_statement_about_a_seed_alliance_has_a_quote_in_its_graph(store: OxigraphStore) -> None:
    missing = list(select(store, """
        SELECT DISTINCT ?g ?s WHERE {
          GRAPH ?g { ?s a ?type FILTER (?type IN (al:Alliance, org:Organization, foaf:Person, org:Post, al:Claim, al:DataPlatform))
                     FILTER NOT EXISTS { ?s al:quote ?q } }
        }"""))
    assert missing == []
