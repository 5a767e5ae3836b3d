"""``show`` of an organisation agrees with the named queries: its partners are outside its group
(as in ``partners-of``), and its alliances carry the signatories that ``query signatories`` lists."""
from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from graph.ask.profile import profile
from graph.ask.query import run_named
from graph.ask.render import render_profile
from graph.ask.resolve import kind_and_id
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

GROUPS_IN_ALLIANCES = """
SELECT DISTINCT ?group WHERE { ?member al:inGroup ?group FILTER (?member != ?group) ?a al:participation/al:party ?member }"""
GROUP = "SELECT ?g ?m WHERE { ?m al:inGroup ?g }"
FIRST_PARTY = "SELECT ?a (MIN(?party) AS ?first) WHERE { ?a al:participation/al:party ?party } GROUP BY ?a"

Signatory = tuple[str, str, str, frozenset[str]]  # took part as, person or post, signed for, post titles


def test_sms_group_is_not_a_partner_of_itself(store: OxigraphStore) -> None:
    sms = profile(store, "SMS group")
    boden = next(a for a in sms["alliances"] if a["id"] == "sms-group-h2-green-steel-boden-plant")
    assert {m["id"] for m in boden["members"]} == {"sms-group", "paul-wurth"}
    partners = {p["id"] for p in boden["partners"]}
    assert "stegra" in partners and not partners & {"sms-group", "paul-wurth"}
    assert "with SMS group as" not in render_profile(sms)


def test_no_group_lists_its_own_members_as_its_partners(store: OxigraphStore) -> None:
    groups = [row["group"].value for row in select(store, GROUPS_IN_ALLIANCES)]
    assert len(groups) >= 10
    for iri in groups:
        own = {kind_and_id(row["m"].value) for row in select(store, GROUP, {"g": ox.NamedNode(iri)})}
        shown = profile(store, iri)
        partners = {(p["kind"], p["id"]) for a in shown["alliances"] for p in a["partners"]}
        assert partners and not partners & own, f"{shown['id']} lists members of its own group as partners: {sorted(partners & own)}"


def _from_query(row: dict[str, str]) -> Signatory:
    posts = frozenset(text.rsplit(" (", 1)[0] for text in row.get("post", "").split("; ") if text)
    if "person" in row:
        return row["took_part_as"], row["person"], row.get("signed_for", ""), posts
    return row["took_part_as"], next(iter(posts)), row.get("signed_for", ""), frozenset()  # only the post is named


def _from_profile(entry: dict[str, object]) -> Signatory:
    signed_for = entry.get("signed_for")
    return (str(entry["took_part_as"]), str(entry["label"]), signed_for["label"] if isinstance(signed_for, dict) else "",
            frozenset(post["label"] for post in entry["posts"]))  # type: ignore[attr-defined]


def test_organisation_profile_lists_the_signatories_of_its_alliances(store: OxigraphStore) -> None:
    expected: dict[str, set[Signatory]] = defaultdict(set)
    solutions = run_named(store, "signatories", {})
    assert isinstance(solutions, ox.QuerySolutions)
    for solution in solutions:
        row = {name: solution[name].value for name in ("alliance_id", "took_part_as", "person", "post", "signed_for")
               if solution[name] is not None}
        if row["took_part_as"] != "none named":
            expected[row["alliance_id"]].add(_from_query(row))
    assert len(expected) >= 10
    first_party = {row["a"].value: row["first"].value for row in select(store, FIRST_PARTY)}
    for alliance, people in sorted(expected.items()):
        organisation = profile(store, first_party[alliance])
        entry = next(a for a in organisation["alliances"] if a["id"] == kind_and_id(alliance)[1])
        assert {_from_profile(person) for person in entry["signatories"]} == people, f"{organisation['id']}: {alliance}"
    baowu = next(a for a in profile(store, "China Baowu")["alliances"] if a["id"] == "rio-tinto-china-baowu-decarbonisation-projects-mou")
    assert {(p["label"], p["signed_for"]["label"]) for p in baowu["signatories"]} == {
        ("Hou Angui", "China Baowu Steel Group"), ("Alf Barrios", "Rio Tinto")}
    assert "signed by Hou Angui [person/hou-angui] (Vice General Manager, Vice President) for China Baowu Steel Group" in render_profile(profile(store, "China Baowu"))
