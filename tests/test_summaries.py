"""The lists the build makes for answers (graph/build/derivations/summaries/) say what the graph
says: each is the entity's related display labels, each once, in code-point order, recomputed here
in Python from the facts they summarise."""
from __future__ import annotations

from collections import defaultdict

from graph.config import TAXONOMY_NS
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore


def _stored(store: OxigraphStore, prop: str) -> dict[str, str]:
    return {row["e"].value: row["v"].value for row in select(store, f"SELECT ?e ?v WHERE {{ ?e {prop} ?v }}")}


def _expected(store: OxigraphStore, pattern: str, separator: str = ", ") -> dict[str, str]:
    names: dict[str, set[str]] = defaultdict(set)
    for row in select(store, f"SELECT ?e ?name WHERE {{ {pattern} }}"):
        names[row["e"].value].add(row["name"].value)
    return {entity: separator.join(sorted(found)) for entity, found in names.items()}


def test_an_alliance_lists_its_materials_and_parties(store: OxigraphStore) -> None:
    materials = _expected(store, "?e al:material/al:displayLabel ?l BIND (STR(?l) AS ?name)")
    parties = _expected(store, """?e al:participation ?p . ?p al:party/al:displayLabel ?n ; al:role/al:displayLabel ?r .
                                  BIND (CONCAT(STR(?n), " (", STR(?r), ")") AS ?name)""")
    assert len(materials) > 10 and len(parties) > 10
    assert _stored(store, "al:materialNames") == materials
    assert _stored(store, "al:partyNames") == parties


def test_an_organisation_lists_the_groups_above_it(store: OxigraphStore) -> None:
    groups = _expected(store, "?e al:inGroup ?g FILTER (?g != ?e) ?g al:displayLabel ?l BIND (STR(?l) AS ?name)")
    assert groups
    assert _stored(store, "al:groupNames") == groups


def test_a_pathway_counts_the_alliances_under_it(store: OxigraphStore) -> None:
    titles = _expected(store, "?a al:pathway/skos:broader* ?e ; al:displayLabel ?l BIND (STR(?l) AS ?name)", " | ")
    assert titles
    assert _stored(store, "al:pursuingAllianceNames") == titles
    counts = {row["e"].value: int(row["v"].value) for row in select(store, "SELECT ?e ?v WHERE { ?e al:pursuingAllianceCount ?v }")}
    alliances: dict[str, set[str]] = defaultdict(set)
    for row in select(store, "SELECT ?e ?a WHERE { ?a al:pathway/skos:broader* ?e }"):
        alliances[row["e"].value].add(row["a"].value)
    assert counts == {pathway: len(found) for pathway, found in alliances.items()}


def _pairs(store: OxigraphStore, pattern: str) -> set[tuple[str, str]]:
    return {(row["x"].value, row["y"].value) for row in select(store, f"SELECT ?x ?y WHERE {{ {pattern} }}")}


def test_an_alliance_is_about_each_material_it_names_and_every_broader_one(store: OxigraphStore) -> None:
    broader: dict[str, set[str]] = defaultdict(set)
    for narrow, broad in _pairs(store, "?x skos:broader ?y"):
        broader[narrow].add(broad)

    def above(material: str) -> set[str]:
        found, todo = {material}, [material]
        while todo:
            for broad in broader[todo.pop()] - found:
                found.add(broad)
                todo.append(broad)
        return found

    named = _pairs(store, "?x al:material ?y")
    expected = {(alliance, about) for alliance, material in named for about in above(material)}
    assert expected - named  # some are about a broader material than they name
    assert _pairs(store, "?x al:aboutMaterial ?y") == expected


def test_an_automakers_participation_leads_to_its_suppliers_in_the_alliance(store: OxigraphStore) -> None:
    party = dict(_pairs(store, "?x al:party ?y"))
    role = dict(_pairs(store, "?x al:role ?y"))
    sectors: dict[str, set[str]] = defaultdict(set)
    for organisation, sector in _pairs(store, "?x al:sector ?y"):
        sectors[organisation].add(sector)
    tax = TAXONOMY_NS
    metals = {tax + "sector/steel", tax + "sector/aluminium"}
    participations: dict[str, set[str]] = defaultdict(set)
    for alliance, participation in _pairs(store, "?x al:participation ?y"):
        participations[alliance].add(participation)
    expected = {(car, supplier) for taking_part in participations.values() for car in taking_part for supplier in taking_part
                if car in party and supplier in party and supplier in role
                and tax + "sector/automotive" in sectors[party[car]] and party[supplier] != party[car]
                and (sectors[party[supplier]] & metals or role[supplier] == tax + "role/supplier")}
    assert len(expected) > 3
    assert _pairs(store, "?x al:supplierParticipation ?y") == expected
