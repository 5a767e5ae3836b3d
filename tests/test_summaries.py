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


def test_a_year_list_counts_and_names_the_alliances_of_its_year_and_basis(store: OxigraphStore) -> None:
    titles: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    alliances: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for row in select(store, "SELECT ?a ?y ?b ?l WHERE { ?a al:yearBasis ?b ; al:displayLabel ?l OPTIONAL { ?a al:year ?y } }"):
        year = row["y"].value if row["y"] is not None else None
        titles[(year, row["b"].value)].add(row["l"].value)
        alliances[(year, row["b"].value)].add(row["a"].value)
    assert len(titles) > 3 and (None, "no date known") in titles
    stored = {}
    for row in select(store, """SELECT ?list ?y ?b ?n ?t WHERE { ?list al:listedYearBasis ?b ; al:yearAllianceCount ?n ;
                                  al:yearAllianceNames ?t OPTIONAL { ?list al:listedYear ?y } }"""):
        stored[(row["y"].value if row["y"] is not None else None, row["b"].value)] = (int(row["n"].value), row["t"].value)
    assert stored == {key: (len(alliances[key]), " | ".join(sorted(found))) for key, found in titles.items()}
    # each alliance points to the list of its own year and basis (the key by which a change finds the list)
    assert not list(select(store, """SELECT ?a WHERE { ?a al:yearList ?list ; al:yearBasis ?b .
        OPTIONAL { ?a al:year ?y } OPTIONAL { ?list al:listedYear ?ly } ?list al:listedYearBasis ?lb
        FILTER (?b != ?lb || COALESCE(?y, -1) != COALESCE(?ly, -1)) }"""))


def test_an_alliance_s_record_stages_are_itself_and_every_record_it_succeeds(store: OxigraphStore) -> None:
    succeeds: dict[str, set[str]] = defaultdict(set)
    for later, earlier in _pairs(store, "?x al:succeeds ?y"):
        succeeds[later].add(earlier)
    expected = set()
    for row in select(store, "SELECT ?a WHERE { ?a a al:Alliance }"):
        found, todo = {row["a"].value}, [row["a"].value]
        while todo:
            for earlier in succeeds[todo.pop()] - found:
                found.add(earlier)
                todo.append(earlier)
        expected |= {(row["a"].value, stage) for stage in found}
    assert any(alliance != stage for alliance, stage in expected)  # the data has deals with earlier records
    assert _pairs(store, "?x al:recordStage ?y") == expected


def test_an_organisation_names_its_kinds(store: OxigraphStore) -> None:
    kinds = _expected(store, """?e a ?class . ?class rdfs:subClassOf ?super ; al:displayLabel ?l
                                FILTER (?super IN (org:Organization, org:FormalOrganization)) BIND (STR(?l) AS ?name)""")
    assert any(", " in names for names in kinds.values())  # some organisations are of several kinds
    assert _stored(store, "al:kindNames") == kinds
