"""Faster whole runs of the three costliest derivations: ``partners.rq`` and, of the summaries,
``alliance-lists`` and ``organisation-alliances``.

Their ``.rq`` file stays the rule, its ``#@reads`` paths and the run for some keys (an incremental
build's); a cold build, which runs them over every key, takes the route here, which must make
exactly the same triples (tests/test_whole.py compares the two, on the seed corpus and on a graph
made to try the order of names, duplicates and keys without a list). A second form of a rule is a
cost: it is paid only where it saves seconds (the three together 20.6 -> 8.1 CPU s); three more
that saved about 0.8 s each (year-lists, pathway-pursuers, supplier-pairs) were left as queries.

Why: Oxigraph evaluates a join of triple patterns as a loop of index look-ups, about 10 µs each,
and sorts for ORDER BY by decoding every term. A pattern put in a sub-select of its own is
evaluated once and joined by hashing; grouping and sorting the names is then cheaper in Python
(str sorts in code-point order, as SPARQL's ORDER BY of simple literals). CPU s at 1.5 million
triples, over the union as a cold build derives, before -> after (docs/benchmarks.md, session 12):
alliance-lists 10.4 -> 4.7, partners 5.5 -> 1.4, organisation-alliances 4.6 -> 2.0.
The hashed form only pays over every key: scoped to five alliances it evaluates each side whole
(alliance-lists: 3.7 s against 4 ms), so a scoped run keeps the ``.rq`` file's look-ups.
"""
from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from graph.rdf.namespaces import AL
from graph.rdf.query_forms import select
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


# The derivations (the stem of their .rq file) that a whole run makes here.
WHOLE: dict[str, Callable[[OxigraphStore], bytes]] = {"partners": partners, "alliance-lists": alliance_lists,
                                                     "organisation-alliances": organisation_alliances}
