"""Faster whole runs of the costliest derivations: ``partners.rq`` and, of the summaries,
``alliance-lists``, ``organisation-alliances``, ``year-lists``, ``pathway-pursuers`` and
``supplier-pairs``.

Their ``.rq`` file stays the rule, its ``#@reads`` paths and the run for some keys (an incremental
build's); a cold build, which runs them over every key, takes the route here, which must make
exactly the same triples (tests/test_whole.py compares the two, on the seed corpus and on a graph
made to try the order of names, duplicates and keys without a list).

Why: Oxigraph evaluates a join of triple patterns as a loop of index look-ups, about 10 µs each,
and sorts for ORDER BY by decoding every term. A pattern put in a sub-select of its own is
evaluated once and joined by hashing; grouping and sorting the names is then cheaper in Python
(str sorts in code-point order, as SPARQL's ORDER BY of simple literals). CPU s at 1.5 million
triples, over the union as a cold build derives, before -> after (docs/benchmarks.md, session 12):
alliance-lists 10.4 -> 4.7, partners 5.5 -> 1.4, organisation-alliances 4.6 -> 2.0, supplier-pairs
2.0 -> 1.0, pathway-pursuers 1.9 -> 0.9, year-lists 1.6 -> 1.1; every derivation 39.7 -> 24.7.
The hashed form only pays over every key: scoped to five alliances it evaluates each side whole
(alliance-lists: 3.7 s against 4 ms), so a scoped run keeps the ``.rq`` file's look-ups.
"""
from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from graph.rdf.namespaces import AL
from graph.rdf.query_forms import construct, select
from graph.rdf.store import OxigraphStore

NT = ox.RdfFormat.N_TRIPLES
Node = ox.NamedNode | ox.BlankNode | ox.Literal

# Each participation's alliance and party, each pair once (a triple stated by several sources is
# returned once per source by Oxigraph's union).
ALLIANCE_PARTIES = """
SELECT DISTINCT ?alliance ?party WHERE {
  { SELECT ?alliance ?p WHERE { ?alliance al:participation ?p } }
  { SELECT ?p ?party WHERE { ?p al:party ?party } }
}"""

PARTNER = ox.NamedNode(str(AL.partner))
ALLIANCES = "SELECT DISTINCT ?a WHERE { ?a a al:Alliance }"
# Each list of summaries/alliance-lists.rq: its predicate, and its (alliance, name) rows.
ALLIANCE_LISTS = (
    (ox.NamedNode(str(AL.materialNames)), """SELECT ?a ?name WHERE {
        { SELECT ?a ?m WHERE { ?a al:material ?m } }
        { SELECT ?m ?l WHERE { ?m al:displayLabel ?l } }
        BIND (STR(?l) AS ?name) }"""),
    (ox.NamedNode(str(AL.pathwayNames)), """SELECT ?a ?name WHERE {
        { SELECT ?a ?m WHERE { ?a al:pathway ?m } }
        { SELECT ?m ?l WHERE { ?m al:displayLabel ?l } }
        BIND (STR(?l) AS ?name) }"""),
    (ox.NamedNode(str(AL.partyNames)), """SELECT ?a ?name WHERE {
        { SELECT ?a ?p WHERE { ?a al:participation ?p } }
        { SELECT ?p ?party WHERE { ?p al:party ?party } }
        { SELECT ?p ?role WHERE { ?p al:role ?role } }
        { SELECT ?party ?partyLabel WHERE { ?party al:displayLabel ?partyLabel } }
        { SELECT ?role ?roleLabel WHERE { ?role al:displayLabel ?roleLabel } }
        BIND (CONCAT(STR(?partyLabel), " (", STR(?roleLabel), ")") AS ?name) }"""),
    (ox.NamedNode(str(AL.signingDates)), """SELECT ?a ?name WHERE {
        { SELECT ?a ?s WHERE { ?a al:signing ?s } }
        { SELECT ?s ?d WHERE { ?s schema:startDate ?d } }
        BIND (STR(?d) AS ?name) }"""),
    (ox.NamedNode(str(AL.startDates)), "SELECT ?a ?name WHERE { ?a schema:startDate ?d BIND (STR(?d) AS ?name) }"),
)


def partners(store: OxigraphStore) -> bytes:
    """partners.rq over every key: two parties of a common alliance, each ordered pair once."""
    parties: dict[Node, list[Node]] = {}
    for alliance, party in select(store, ALLIANCE_PARTIES):
        parties.setdefault(alliance, []).append(party)
    pairs = {(a, b) for group in parties.values() for a in group for b in group if a != b}
    return ox.serialize([ox.Triple(a, PARTNER, b) for a, b in pairs], format=NT) or b""  # type: ignore[arg-type]


def alliance_lists(store: OxigraphStore) -> bytes:
    """summaries/alliance-lists.rq over every key: each list of an alliance that has one, its names
    each once, in code-point order (Python's order of str, as SPARQL's ORDER BY of simple
    literals), separated by ", "."""
    alliances = {row[0] for row in select(store, ALLIANCES)}
    triples = []
    for predicate, query in ALLIANCE_LISTS:
        names: dict[Node, set[str]] = {}
        for alliance, name in select(store, query):
            if alliance in alliances and name is not None:  # None: STR of a blank node, no name
                names.setdefault(alliance, set()).add(name.value)
        triples += [ox.Triple(alliance, predicate, ox.Literal(", ".join(sorted(each)))) for alliance, each in names.items()]  # type: ignore[arg-type]
    return ox.serialize(triples, format=NT) or b""


IN_GROUP = "SELECT ?member ?group WHERE { ?member al:inGroup ?group }"
DISPLAY_NAMES = "SELECT ?entity ?name WHERE { ?entity al:displayLabel ?label BIND (STR(?label) AS ?name) }"
GROUP_COUNT, DIRECT_COUNT, GROUP_TITLES, MEMBER_NAMES = (
    ox.NamedNode(str(term)) for term in (AL.groupAllianceCount, AL.directAllianceCount, AL.groupAllianceNames, AL.memberPartyNames))


def organisation_alliances(store: OxigraphStore) -> bytes:
    """summaries/organisation-alliances.rq over every key: for each group with an alliance, the
    counts of its and its own alliances, the titles of its alliances (" | ") and the names of its
    other members that take part (", "), each name once, in code-point order."""
    alliances: dict[Node, set[Node]] = {}  # party -> its alliances
    for alliance, party in select(store, ALLIANCE_PARTIES):
        alliances.setdefault(party, set()).add(alliance)
    members: dict[Node, set[Node]] = {}
    for member, group in select(store, IN_GROUP):
        if member in alliances:
            members.setdefault(group, set()).add(member)
    names: dict[Node, set[str]] = {}
    for entity, name in select(store, DISPLAY_NAMES):
        if name is not None:
            names.setdefault(entity, set()).add(name.value)
    triples = []
    for group, its in members.items():
        of_group = set().union(*(alliances[member] for member in its))
        triples += [ox.Triple(group, GROUP_COUNT, ox.Literal(len(of_group))),  # type: ignore[arg-type]
                    ox.Triple(group, DIRECT_COUNT, ox.Literal(len(alliances.get(group, set()) & of_group)))]  # type: ignore[arg-type]
        if titles := set().union(*(names.get(alliance, set()) for alliance in of_group)):
            triples.append(ox.Triple(group, GROUP_TITLES, ox.Literal(" | ".join(sorted(titles)))))  # type: ignore[arg-type]
        if others := set().union(*(names.get(member, set()) for member in its if member != group)):
            triples.append(ox.Triple(group, MEMBER_NAMES, ox.Literal(", ".join(sorted(others)))))  # type: ignore[arg-type]
    return ox.serialize(triples, format=NT) or b""


YEAR_ROWS = """
SELECT DISTINCT ?list ?a ?year ?basis ?title WHERE {
  { SELECT ?a ?list WHERE { ?a al:yearList ?list } }
  { SELECT ?a ?basis WHERE { ?a al:yearBasis ?basis } }
  { SELECT ?a ?label WHERE { ?a al:displayLabel ?label } }
  OPTIONAL { SELECT ?a ?year WHERE { ?a al:year ?year } }
  BIND (STR(?label) AS ?title)
}"""
LISTED_YEAR, LISTED_BASIS, YEAR_COUNT, YEAR_TITLES = (
    ox.NamedNode(str(term)) for term in (AL.listedYear, AL.listedYearBasis, AL.yearAllianceCount, AL.yearAllianceNames))


def year_lists(store: OxigraphStore) -> bytes:
    """summaries/year-lists.rq over every key: for each year list, year and basis, the count of its
    alliances and their titles (" | "), each once, in code-point order."""
    groups: dict[tuple[Node, Node | None, Node], tuple[set[Node], set[str]]] = {}
    for row in select(store, YEAR_ROWS):
        alliances, titles = groups.setdefault((row["list"], row["year"], row["basis"]), (set(), set()))
        alliances.add(row["a"])
        titles.add(row["title"].value)
    triples = []
    for (year_list, year, basis), (alliances, titles) in groups.items():
        if year is not None:
            triples.append(ox.Triple(year_list, LISTED_YEAR, year))  # type: ignore[arg-type]
        triples += [ox.Triple(year_list, LISTED_BASIS, basis), ox.Triple(year_list, YEAR_COUNT, ox.Literal(len(alliances))),  # type: ignore[arg-type]
                    ox.Triple(year_list, YEAR_TITLES, ox.Literal(" | ".join(sorted(titles))))]  # type: ignore[arg-type]
    return ox.serialize(triples, format=NT) or b""


# Each pathway (a named one and every broader one) and the name of each party of its alliances, each pair once.
PURSUER_NAMES = """
SELECT DISTINCT ?p ?name WHERE {
  { SELECT DISTINCT ?p ?o WHERE {
      { SELECT DISTINCT ?named ?p WHERE { { SELECT DISTINCT ?named WHERE { [] al:pathway ?named } } ?named skos:broader* ?p } }
      { SELECT ?a ?named WHERE { ?a al:pathway ?named } }
      { SELECT ?a ?part WHERE { ?a al:participation ?part } }
      { SELECT ?part ?o WHERE { ?part al:party ?o } } } }
  { SELECT ?o ?label WHERE { ?o al:displayLabel ?label } }
  BIND (STR(?label) AS ?name)
}"""
PURSUERS = ox.NamedNode(str(AL.pursuerNames))


def pathway_pursuers(store: OxigraphStore) -> bytes:
    """summaries/pathway-pursuers.rq over every key: the names of the organisations pursuing each
    pathway, each once, in code-point order, separated by ", "."""
    names: dict[Node, set[str]] = {}
    for pathway, name in select(store, PURSUER_NAMES):
        if name is not None:
            names.setdefault(pathway, set()).add(name.value)
    return ox.serialize([ox.Triple(pathway, PURSUERS, ox.Literal(", ".join(sorted(each))))  # type: ignore[arg-type]
                         for pathway, each in names.items()], format=NT) or b""


# summaries/supplier-pairs.rq with each side (the automaker's participations; the others', of a
# steel or aluminium party or with the role supplier) found by hashing: no sort, so SPARQL alone.
SUPPLIER_PAIRS = r"""
CONSTRUCT { ?cp al:supplierParticipation ?sp }
WHERE {
  { SELECT DISTINCT ?a ?cp ?car WHERE {
      { SELECT ?car WHERE { ?car al:sector tax:sector\/automotive } }
      { SELECT ?cp ?car WHERE { ?cp al:party ?car } }
      { SELECT ?a ?cp WHERE { ?a al:participation ?cp } } } }
  { SELECT DISTINCT ?a ?sp ?s WHERE {
      { SELECT ?a ?sp WHERE { ?a al:participation ?sp } }
      { SELECT ?sp ?s WHERE { ?sp al:party ?s } }
      { SELECT ?sp ?sRole WHERE { ?sp al:role ?sRole } }
      OPTIONAL { SELECT ?s ?sSector WHERE { ?s al:sector ?sSector } }
      FILTER (?sSector IN (tax:sector\/steel, tax:sector\/aluminium) || ?sRole = tax:role\/supplier) } }
  FILTER (?s != ?car)
}"""


def supplier_pairs(store: OxigraphStore) -> bytes:
    """summaries/supplier-pairs.rq over every key."""
    return construct(store, SUPPLIER_PAIRS).serialize(format=NT) or b""


# The derivations (the stem of their .rq file) that a whole run makes here.
WHOLE: dict[str, Callable[[OxigraphStore], bytes]] = {"partners": partners, "alliance-lists": alliance_lists,
                                                     "organisation-alliances": organisation_alliances, "year-lists": year_lists,
                                                     "pathway-pursuers": pathway_pursuers, "supplier-pairs": supplier_pairs}
