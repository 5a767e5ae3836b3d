"""``alliances show``: the profile of an organisation, alliance, person, plant, material, pathway or
platform as one plain dict (the documented JSON), and a text rendering of that dict.

Every fact in a profile carries the ids of the sources that state it. Names, measures and an
alliance's year are shown as the build derived them (al:displayLabel, al:displayMeasure,
al:year with al:yearBasis), so a profile says what every query and page says.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from graph.ask.resolve import Match, display_label, kind_and_id, resolve
from graph.rdf.namespaces import WIKIDATA
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore

SKIPPED = ("http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2004/02/skos/core#altLabel",
           "http://www.w3.org/2004/02/skos/core#hiddenLabel", "https://w3id.org/alliance-graph/ontology#quote",
           "https://w3id.org/alliance-graph/ontology#participation", "https://w3id.org/alliance-graph/ontology#signing",
           "https://w3id.org/alliance-graph/ontology#announcement", "https://w3id.org/alliance-graph/ontology#statusChange",
           "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "https://schema.org/sameAs", "https://schema.org/leiCode",
           "https://w3id.org/alliance-graph/ontology#gemPlantId", "https://w3id.org/alliance-graph/ontology#plant")

LABELS = """
SELECT DISTINCT ?e ?label ?kind WHERE {
  { ?e skos:prefLabel ?label BIND ("preferred" AS ?kind) } UNION { ?e skos:altLabel ?label BIND ("alias" AS ?kind) }
} ORDER BY ?kind LANG(?label) ?label"""

TYPES = """SELECT DISTINCT ?e ?type WHERE { ?e a ?type }"""

FACTS = """
SELECT DISTINCT ?e ?p ?plabel ?o ?olabel ?g WHERE {
  GRAPH ?g { ?e ?p ?o }
  OPTIONAL { ?p al:displayLabel ?plabel }
  OPTIONAL { ?o al:displayLabel ?olabel }
} ORDER BY ?p STR(?o) ?g"""

# The source's own triples are matched with their predicate in a FILTER: the same answer as
# '?g dcterms:title ?title', in a form Oxigraph looks up for the few graphs found, instead of
# reading every source's title first and joining after.
SOURCES = """
SELECT DISTINCT ?e ?g ?title ?publisher ?published ?language ?url ?quote WHERE {
  { GRAPH ?g { ?e al:quote ?quote } }
  UNION
  { GRAPH ?g { ?e al:participation|al:signing ?part . ?part ?anything ?value } BIND ("" AS ?quote) }
  ?g ?titled ?title ; ?published_by ?publisher ; ?written_in ?language .
  FILTER (?titled = dcterms:title && ?published_by = schema:publisher && ?written_in = schema:inLanguage)
  OPTIONAL { ?g schema:datePublished ?published }
  OPTIONAL { ?g schema:url ?url }
} ORDER BY ?g ?quote"""

# A partner is a party outside the organisation's group (as in partners-of.rq): a group's own
# members are listed as members, never as partners of the group. Each OPTIONAL of more than one
# pattern is a sub-query that starts from the group and projects ?e, so that the bound ?e restricts
# it (otherwise Oxigraph computes it for every alliance before the join).
ORGANISATION_ALLIANCES = """
SELECT DISTINCT ?e ?alliance ?type ?member ?role ?partner ?partnerRole ?signed ?start ?end ?year ?basis WHERE {
  ?member al:inGroup ?e .
  ?alliance al:participation ?p . ?p al:party ?member ; al:role/al:displayLabel ?role .
  OPTIONAL { SELECT ?e ?alliance ?type WHERE {
    ?m al:inGroup ?e . ?alliance al:participation/al:party ?m ; al:allianceType/al:displayLabel ?type } }
  OPTIONAL { SELECT ?e ?alliance ?partner ?partnerRole WHERE {
    ?m al:inGroup ?e . ?alliance al:participation/al:party ?m ; al:participation ?q .
    ?q al:party ?partner ; al:role/al:displayLabel ?partnerRole
    FILTER NOT EXISTS { ?partner al:inGroup ?e } } }
  OPTIONAL { SELECT ?e ?alliance ?signed WHERE {
    ?m al:inGroup ?e . ?alliance al:participation/al:party ?m ; al:signing/schema:startDate ?signed } }
  OPTIONAL { ?alliance schema:startDate ?start }
  OPTIONAL { ?alliance schema:endDate ?end }
  OPTIONAL { ?alliance al:year ?year }
  OPTIONAL { ?alliance al:yearBasis ?basis }
} ORDER BY ?alliance ?member ?partner STR(?signed)"""

# Who signed the alliances of the organisation or its group, for which party, and who attended
# their signing: the people and posts that signatories.rq lists.
ORGANISATION_SIGNATORIES = """
SELECT DISTINCT ?e ?alliance ?took_part_as ?who ?party ?post WHERE {
  ?member al:inGroup ?e .
  ?alliance al:participation/al:party ?member .
  { ?alliance al:participation ?p . ?p al:party ?party ; al:signatory ?who BIND ("signatory" AS ?took_part_as) }
  UNION { ?alliance al:signing/schema:attendee ?who BIND ("attendee" AS ?took_part_as) }
  OPTIONAL { ?who org:holds ?post }
} ORDER BY ?alliance DESC(?took_part_as) ?party ?who ?post"""

MEMBERS = """
SELECT DISTINCT ?e ?member ?relation WHERE {
  { ?member org:subOrganizationOf ?e BIND ("part of" AS ?relation) }
  UNION { ?member al:jointVentureOf ?e BIND ("joint venture of" AS ?relation) }
} ORDER BY ?member"""

PARTIES = """
SELECT DISTINCT ?e ?party ?role ?signatory ?post WHERE {
  ?e al:participation ?p . ?p al:party ?party ; al:role/al:displayLabel ?role .
  OPTIONAL { ?p al:signatory ?signatory
             OPTIONAL { ?signatory org:holds ?post . ?post org:postIn/al:inGroup ?party } }
} ORDER BY ?party"""

YEAR = """SELECT ?e ?year ?basis WHERE { ?e al:yearBasis ?basis OPTIONAL { ?e al:year ?year } }"""

SIGNING = """
SELECT DISTINCT ?e ?p ?o ?g WHERE { ?e al:signing ?s . GRAPH ?g { ?s ?p ?o } FILTER (?p != rdf:type) } ORDER BY ?p STR(?o) ?g"""

ANNOUNCEMENT = """
SELECT DISTINCT ?e ?p ?o ?g WHERE { ?e al:announcement ?s . GRAPH ?g { ?s ?p ?o } FILTER (?p != rdf:type) } ORDER BY ?p STR(?o) ?g"""

# In time order as current-status.rq reads it: undated first, then by date as written, then by stage.
STATUS_HISTORY = """
SELECT DISTINCT ?e ?status ?label ?date ?basis ?g WHERE {
  ?e al:statusChange ?change .
  GRAPH ?g { ?change al:status ?status }
  ?status al:displayLabel ?label ; skos:notation ?stage .
  OPTIONAL { ?change schema:startDate ?date }
  OPTIONAL { ?change al:dateBasis ?basis }
} ORDER BY COALESCE(STR(?date), "") ?stage ?g"""

CURRENT_STATUS = """SELECT ?e ?label WHERE { ?e al:currentStatus/al:displayLabel ?label }"""

PERSON_ROLES = """
SELECT DISTINCT ?e ?alliance ?how ?post WHERE {
  { ?alliance al:participation/al:signatory ?e BIND ("signed" AS ?how) }
  UNION { ?alliance al:signing/schema:attendee ?e BIND ("attended the signing" AS ?how) }
  UNION { ?e org:holds ?post BIND ("holds post" AS ?how) }
} ORDER BY ?how ?alliance ?post"""

CONCEPT_ALLIANCES = """
SELECT DISTINCT ?e ?alliance ?concept ?party WHERE {
  ?concept skos:broader* ?e .
  ?alliance al:material|al:pathway|al:indicator|al:allianceType ?concept .
  OPTIONAL { ?alliance al:participation/al:party ?party }
} ORDER BY ?alliance ?party"""

PLATFORM_ALLIANCES = """SELECT DISTINCT ?e ?alliance WHERE { ?alliance al:platform ?e } ORDER BY ?alliance"""

CLAIMS_ABOUT = """
SELECT DISTINCT ?e ?claim ?value ?unit ?kind ?measure ?g WHERE {
  GRAPH ?g { ?claim al:about ?target ; schema:value ?value ; schema:unitText|schema:currency ?unit }
  ?claim al:displayMeasure ?measure ; al:quantityKind ?kind .
  ?target skos:broader* ?e .
} ORDER BY ?claim"""

# The quantities stated about each alliance of an organisation or its group: volumes, money, shares.
ALLIANCE_QUANTITIES = """
SELECT DISTINCT ?e ?alliance ?claim ?value ?unit ?kind ?measure WHERE {
  ?member al:inGroup ?e .
  ?alliance al:participation/al:party ?member .
  ?claim al:about ?alliance ; schema:value ?value ; schema:unitText|schema:currency ?unit ;
         al:quantityKind ?kind ; al:displayMeasure ?measure .
} ORDER BY ?alliance ?claim"""

ALLIANCE_STATUS = """
SELECT DISTINCT ?e ?alliance ?label WHERE {
  ?member al:inGroup ?e . ?alliance al:participation/al:party ?member ; al:currentStatus/al:displayLabel ?label }"""

# Identifiers other datasets share, each with the sources that give it.
IDENTIFIERS = """
SELECT DISTINCT ?e ?scheme ?identifier ?g WHERE {
  { GRAPH ?g { ?e schema:sameAs ?item } FILTER (STRSTARTS(STR(?item), "%s"))
    BIND ("Wikidata" AS ?scheme) BIND (STRAFTER(STR(?item), "%s") AS ?identifier) }
  UNION { GRAPH ?g { ?e schema:leiCode ?code } BIND ("LEI" AS ?scheme) BIND (STR(?code) AS ?identifier) }
  UNION { GRAPH ?g { ?e al:gemPlantId ?gem } BIND ("Global Energy Monitor" AS ?scheme) BIND (STR(?gem) AS ?identifier) }
} ORDER BY ?scheme ?identifier ?g""" % (WIKIDATA, WIKIDATA)
LOOKUP = {"Wikidata": "https://www.wikidata.org/wiki/{}", "LEI": "https://search.gleif.org/#/record/{}"}

ALLIANCE_PLANTS = """SELECT DISTINCT ?e ?plant WHERE { ?e al:plant ?plant } ORDER BY ?plant"""
OPERATED_PLANTS = """SELECT DISTINCT ?e ?plant WHERE { ?member al:inGroup ?e . ?plant al:operator ?member } ORDER BY ?plant"""
PLANT_OPERATORS = """SELECT DISTINCT ?e ?operator WHERE { ?e al:operator ?operator } ORDER BY ?operator"""
PLANT_ALLIANCES = """
SELECT DISTINCT ?e ?alliance ?year ?basis ?status WHERE {
  ?alliance al:plant ?e
  OPTIONAL { ?alliance al:year ?year } OPTIONAL { ?alliance al:yearBasis ?basis }
  OPTIONAL { ?alliance al:currentStatus/al:displayLabel ?status }
} ORDER BY ?year ?alliance"""

CONCEPT_LINKS = """
SELECT DISTINCT ?e ?relation ?other WHERE {
  { ?e skos:broader ?other BIND ("broader" AS ?relation) } UNION { ?other skos:broader ?e BIND ("narrower" AS ?relation) }
} ORDER BY ?relation ?other"""


# Friendly names for reused properties that have no English rdfs:label in our ontology graph.
PROPERTY_NAMES = {
    "addressCountry": "country", "addressRegion": "region", "subOrganizationOf": "part of",
    "startDate": "start", "endDate": "end", "postIn": "post in", "holds": "holds",
    "datePublished": "published", "inLanguage": "language", "unitText": "unit", "value": "value",
}


def _rows(store: GraphStore, sparql: str, iri: str) -> list[ox.QuerySolution]:
    return list(select(store, sparql, {"e": ox.NamedNode(iri)}))


def _value(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    return None if term is None else term.value


class _Namer:
    """Labels for IRIs, looked up once each."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.cache: dict[str, dict[str, str]] = {}

    def ref(self, iri: str) -> dict[str, str]:
        if iri not in self.cache:
            kind, ident = kind_and_id(iri)
            self.cache[iri] = {"kind": kind, "id": ident, "label": display_label(self.store, iri)}
        return self.cache[iri]


def profile(store: GraphStore, name: str) -> dict[str, Any]:
    """The profile of whatever ``name`` resolves to (any label, alias or id)."""
    return profile_of(store, resolve(store, name))


def profile_of(store: GraphStore, match: Match) -> dict[str, Any]:
    namer = _Namer(store)
    iri = match.iri
    result: dict[str, Any] = {"kind": match.kind, "id": match.id, "iri": iri, "label": match.label}
    labels: dict[str, dict[str, list[str]]] = {"preferred": defaultdict(list), "alias": defaultdict(list)}
    for row in _rows(store, LABELS, iri):
        bucket = labels[row["kind"].value][row["label"].language or ""]
        if row["label"].value not in bucket:
            bucket.append(row["label"].value)
    result["names"] = {k: dict(v) for k, v in labels.items()}
    result["types"] = sorted(kind_and_id(r["type"].value)[1].split("#")[-1] for r in _rows(store, TYPES, iri))
    result["facts"] = _facts(store, iri, namer)
    section = {"organisation": _organisation, "alliance": _alliance, "person": _person, "platform": _platform,
               "plant": _plant}.get(match.kind, _concept)
    result.update(section(store, iri, namer))
    claims = _rows(store, CLAIMS_ABOUT, iri)
    if claims:
        result["claims"] = [{"id": kind_and_id(r["claim"].value)[1], "value": r["value"].value, "unit": r["unit"].value,
                             "kind": r["kind"].value, "measure": r["measure"].value, "source": kind_and_id(r["g"].value)[1]}
                            for r in claims]
    result["sources"] = _sources(store, iri)
    return result


def _facts(store: GraphStore, iri: str, namer: _Namer) -> list[dict[str, Any]]:
    """Each statement about the entity, with the sources that make it (labels and quotes aside)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _rows(store, FACTS, iri):
        predicate = row["p"].value
        if predicate in SKIPPED:
            continue
        source = kind_and_id(row["g"].value)[1]
        if source == "derived":  # partners and groups are shown in their own sections
            continue
        local = predicate.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        name = _value(row["plabel"]) or PROPERTY_NAMES.get(local, local)
        obj = row["o"]
        shown = _value(row["olabel"]) or (namer.ref(obj.value)["label"] if isinstance(obj, ox.NamedNode) else obj.value)
        entry = merged.setdefault((name, shown), {"property": name, "value": shown, "sources": []})
        if isinstance(obj, ox.Literal) and obj.language:
            entry["language"] = obj.language
        if isinstance(obj, ox.NamedNode):
            entry["ref"] = namer.ref(obj.value)
        if source not in entry["sources"]:
            entry["sources"].append(source)
    return list(merged.values())


def _sources(store: GraphStore, iri: str) -> list[dict[str, Any]]:
    sources: dict[str, dict[str, Any]] = {}
    for row in _rows(store, SOURCES, iri):
        ident = kind_and_id(row["g"].value)[1]
        entry = sources.setdefault(ident, {
            "id": ident, "title": row["title"].value, "publisher": row["publisher"].value,
            "published": _value(row["published"]), "language": row["language"].value, "url": _value(row["url"]), "quotes": []})
        if row["quote"].value and row["quote"].value not in entry["quotes"]:
            entry["quotes"].append(row["quote"].value)
    return list(sources.values())


def _organisation(store: GraphStore, iri: str, namer: _Namer) -> dict[str, Any]:
    alliances: dict[str, dict[str, Any]] = {}
    for row in _rows(store, ORGANISATION_ALLIANCES, iri):
        key = row["alliance"].value
        entry = alliances.setdefault(key, {**namer.ref(key), "type": _value(row["type"]), "members": [],
                                           "partners": [], "signed": [], "start": _value(row["start"]), "end": _value(row["end"]),
                                           **_year(row), "signatories": []})
        member = {**namer.ref(row["member"].value), "role": row["role"].value}
        if member not in entry["members"]:
            entry["members"].append(member)
        if row["partner"] is not None:
            partner = {**namer.ref(row["partner"].value), "role": row["partnerRole"].value}
            if partner not in entry["partners"]:
                entry["partners"].append(partner)
        if row["signed"] is not None and row["signed"].value not in entry["signed"]:
            entry["signed"].append(row["signed"].value)
    signatories: dict[tuple[str, str, str, str | None], dict[str, Any]] = {}
    for row in _rows(store, ORGANISATION_SIGNATORIES, iri):
        party = _value(row["party"])
        key = (row["alliance"].value, row["took_part_as"].value, row["who"].value, party)
        if key not in signatories:
            signatories[key] = {**namer.ref(row["who"].value), "took_part_as": key[1],
                                **({"signed_for": namer.ref(party)} if party else {}), "posts": []}
            alliances[key[0]]["signatories"].append(signatories[key])
        if row["post"] is not None and (post := namer.ref(row["post"].value)) not in signatories[key]["posts"]:
            signatories[key]["posts"].append(post)
    for entry in alliances.values():
        entry.update(status=None, quantities=[])
    for row in _rows(store, ALLIANCE_STATUS, iri):
        alliances[row["alliance"].value]["status"] = row["label"].value
    for row in _rows(store, ALLIANCE_QUANTITIES, iri):
        alliances[row["alliance"].value]["quantities"].append(_quantity(row))
    members = [{**namer.ref(r["member"].value), "relation": r["relation"].value} for r in _rows(store, MEMBERS, iri)]
    plants = [namer.ref(r["plant"].value) for r in _rows(store, OPERATED_PLANTS, iri)]
    return {"alliances": list(alliances.values()), "members": members, "plants": plants, "identifiers": _identifiers(store, iri)}


def _quantity(row: ox.QuerySolution) -> dict[str, Any]:
    return {"id": kind_and_id(row["claim"].value)[1], "value": row["value"].value, "unit": row["unit"].value,
            "kind": row["kind"].value, "measure": row["measure"].value}


def _identifiers(store: GraphStore, iri: str) -> list[dict[str, Any]]:
    """Wikidata items, LEIs and Global Energy Monitor ids, with where to look them up and their sources."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _rows(store, IDENTIFIERS, iri):
        scheme, ident = row["scheme"].value, row["identifier"].value
        entry = found.setdefault((scheme, ident), {"scheme": scheme, "id": ident,
                                                   "link": LOOKUP[scheme].format(ident) if scheme in LOOKUP else None, "sources": []})
        if (source := kind_and_id(row["g"].value)[1]) not in entry["sources"]:
            entry["sources"].append(source)
    return list(found.values())


def _plant(store: GraphStore, iri: str, namer: _Namer) -> dict[str, Any]:
    alliances = [{**namer.ref(r["alliance"].value), **_year(r), "status": _value(r["status"])} for r in _rows(store, PLANT_ALLIANCES, iri)]
    return {"operators": [namer.ref(r["operator"].value) for r in _rows(store, PLANT_OPERATORS, iri)],
            "alliances": alliances, "identifiers": _identifiers(store, iri)}


def _year(row: ox.QuerySolution) -> dict[str, Any]:
    """The alliance's derived year and what it rests on (graph/build/derivations/alliance-year.rq)."""
    year = row["year"]
    return {"year": int(year.value) if year is not None else None, "year_basis": _value(row["basis"])}


def _alliance(store: GraphStore, iri: str, namer: _Namer) -> dict[str, Any]:
    parties = []
    for row in _rows(store, PARTIES, iri):
        party = {**namer.ref(row["party"].value), "role": row["role"].value}
        if row["signatory"] is not None:
            signatory = namer.ref(row["signatory"].value)
            if signatory["kind"] == "post":  # the source names the post, not the person
                party["signatory_post"] = signatory
            else:
                party["signatory"] = signatory
                if row["post"] is not None:
                    party["signatory_post"] = namer.ref(row["post"].value)
        parties.append(party)
    years = _rows(store, YEAR, iri)
    current = _rows(store, CURRENT_STATUS, iri)
    return {**(_year(years[0]) if years else {"year": None, "year_basis": None}), "parties": parties,
            "signing": _event(store, SIGNING, iri, namer), "announcement": _event(store, ANNOUNCEMENT, iri, namer),
            "status": current[0]["label"].value if current else None, "status_history": _status_history(store, iri),
            "plants": [namer.ref(r["plant"].value) for r in _rows(store, ALLIANCE_PLANTS, iri)]}


def _event(store: GraphStore, sparql: str, iri: str, namer: _Namer) -> list[dict[str, Any]]:
    """What the sources say about the signing or the announcement, each fact with its sources."""
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _rows(store, sparql, iri):
        if (source := kind_and_id(row["g"].value)[1]) == "derived":  # the display place: shown as stated instead
            continue
        local = row["p"].value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        name = {"startDate": "date", "location": "place", "dateBasis": "basis"}.get(local, local)
        value = namer.ref(row["o"].value)["label"] if isinstance(row["o"], ox.NamedNode) else row["o"].value
        entry = facts.setdefault((name, value), {"property": name, "value": value, "sources": []})
        if source not in entry["sources"]:
            entry["sources"].append(source)
    return list(facts.values())


def _status_history(store: GraphStore, iri: str) -> list[dict[str, Any]]:
    """The status changes in time order (graph/build/derivations/current-status.rq), each with its sources."""
    changes: dict[tuple[str, str | None], dict[str, Any]] = {}
    for row in _rows(store, STATUS_HISTORY, iri):
        key = (row["status"].value, _value(row["date"]))
        entry = changes.setdefault(key, {"status": row["label"].value, "date": key[1], "basis": _value(row["basis"]), "sources": []})
        if (source := kind_and_id(row["g"].value)[1]) not in entry["sources"]:
            entry["sources"].append(source)
    return list(changes.values())


def _person(store: GraphStore, iri: str, namer: _Namer) -> dict[str, Any]:
    roles = []
    for row in _rows(store, PERSON_ROLES, iri):
        target = row["post"] if row["post"] is not None else row["alliance"]
        roles.append({"how": row["how"].value, **namer.ref(target.value)})
    return {"roles": roles}


def _platform(store: GraphStore, iri: str, namer: _Namer) -> dict[str, Any]:
    return {"alliances": [namer.ref(r["alliance"].value) for r in _rows(store, PLATFORM_ALLIANCES, iri)]}


def _concept(store: GraphStore, iri: str, namer: _Namer) -> dict[str, Any]:
    links = [{"relation": r["relation"].value, **namer.ref(r["other"].value)} for r in _rows(store, CONCEPT_LINKS, iri)]
    alliances: dict[str, dict[str, Any]] = {}
    for row in _rows(store, CONCEPT_ALLIANCES, iri):
        entry = alliances.setdefault(row["alliance"].value, {**namer.ref(row["alliance"].value),
                                                             "via": namer.ref(row["concept"].value)["label"], "parties": []})
        if row["party"] is not None and namer.ref(row["party"].value) not in entry["parties"]:
            entry["parties"].append(namer.ref(row["party"].value))
    return {"links": links, "alliances": list(alliances.values())}
