"""networkx projections of the landscape, each built from the landscape read by SPARQL.

- ``organisation_network``: an edge for each pair of organisations that share an alliance;
  weight = number of shared alliances; the edge keeps their ids, types, materials, pathways,
  dates and sources. ``level="group"`` folds subsidiaries and joint ventures into their groups.
- ``bipartite_network``: organisations and alliances.
- ``topic_layer``: organisations and the materials or pathways they work on.
"""
from __future__ import annotations

from itertools import combinations
from typing import Literal

import networkx as nx

from graph.network.filters import NetworkFilter
from graph.network.landscape import Alliance, Landscape, cycles_uncollected

Level = Literal["company", "group"]


def kept_alliances(landscape: Landscape, flt: NetworkFilter) -> list[Alliance]:
    missing = flt.needs - landscape.parts
    if missing:  # a filter on topics that were not read would silently keep nothing
        raise ValueError(f"this filter needs the landscape's {', '.join(sorted(missing))}: load_landscape(store, parts=...)")
    alliances = landscape.alliances
    return [a for a in (alliances[iri] for iri in sorted(alliances)) if flt.keeps_alliance(a)]


def _members(landscape: Landscape, flt: NetworkFilter, alliance: Alliance, level: Level) -> dict[str, set[str]]:
    """Nodes of an alliance at the chosen level -> the roles they play in it."""
    nodes: dict[str, set[str]] = {}
    for party, role in alliance.parties:
        if not flt.keeps_organisation(landscape.organisations.get(party)):
            continue
        for node in (landscape.groups_of(party) if level == "group" else {party}):
            nodes.setdefault(node, set()).add(role)
    return nodes


def _nodes(landscape: Landscape, flt: NetworkFilter, alliance: Alliance, level: Level) -> list[str]:
    """The keys of ``_members``, sorted, without the roles the organisation network never reads."""
    keeps, organisations = flt.keeps_organisation, landscape.organisations
    if level != "group":
        return sorted({party for party, _ in alliance.parties if keeps(organisations.get(party))})
    found: set[str] = set()
    for party, _ in alliance.parties:
        if keeps(organisations.get(party)):
            found |= landscape.groups_of(party)
    return sorted(found)


def _add_organisation(graph: nx.Graph[str], landscape: Landscape, iri: str) -> None:
    o = landscape.organisations.get(iri)
    if o is None:
        graph.add_node(iri, label=iri.rsplit("/", 1)[-1], kind="organisation", id=iri.rsplit("/", 1)[-1])
        return
    graph.add_node(iri, id=o.id, label=o.label, kind=o.kind, sector=o.sector, country=o.country,
                   groups=sorted(landscape.organisations[g].label for g in landscape.groups_of(iri) if g != iri and g in landscape.organisations))


@cycles_uncollected()
def organisation_network(landscape: Landscape, flt: NetworkFilter | None = None, level: Level = "company",
                         details: bool = True) -> nx.Graph[str]:
    """Each edge has its weight and alliance ids; with ``details`` also the alliances' types,
    materials, pathways, dates and sources (what exports write; measures and paths need none)."""
    return organisation_network_and_members(landscape, flt, level, details)[0]


Memberships = list[tuple[Alliance, list[str]]]  # each kept alliance and its nodes at the level, sorted


@cycles_uncollected()
def organisation_network_and_members(landscape: Landscape, flt: NetworkFilter | None = None,
                                     level: Level = "company", details: bool = True) -> tuple[nx.Graph[str], Memberships]:
    """``organisation_network`` and each kept alliance's nodes (before the focus): the drawing
    (graph.visualise.view) draws from them instead of pairing up every alliance's parties again."""
    flt = flt or NetworkFilter()
    nodes: dict[str, None] = {}
    pairs: dict[tuple[str, str], list[Alliance]] = {}
    memberships: Memberships = []
    for alliance in kept_alliances(landscape, flt):
        members = _nodes(landscape, flt, alliance, level)
        memberships.append((alliance, members))
        nodes.update(dict.fromkeys(members))
        for a, b in combinations(members, 2):
            pairs.setdefault((a, b), []).append(alliance)
    graph: nx.Graph[str] = nx.Graph(level=level)
    for node in nodes:
        _add_organisation(graph, landscape, node)
    graph.add_edges_from((a, b, _edge(alliances, details)) for (a, b), alliances in pairs.items())
    return focus(graph, flt), memberships


def _edge(alliances: list[Alliance], details: bool) -> dict[str, object]:
    data: dict[str, object] = {"weight": len(alliances), "alliances": [a.id for a in alliances]}
    if details and len(alliances) == 1:  # most pairs share one alliance: its sets, without the unions
        a = alliances[0]
        data["types"] = [a.type_key] if a.type_key else []
        data["materials"] = sorted(a.materials - {""})
        data["pathways"] = sorted(a.pathways - {""})
        data["dates"] = sorted((a.dates | {a.start or ""}) - {""})
        data["sources"] = sorted(set(a.sources) - {""})
    elif details:
        data["types"] = sorted({a.type_key for a in alliances if a.type_key})
        data["materials"] = sorted(set().union(*(a.materials for a in alliances)) - {""})
        data["pathways"] = sorted(set().union(*(a.pathways for a in alliances)) - {""})
        data["dates"] = sorted(set().union(*(a.dates | {a.start or ""} for a in alliances)) - {""})
        data["sources"] = sorted(set().union(*(a.sources for a in alliances)) - {""})
    return data


def focus(graph: nx.Graph[str], flt: NetworkFilter) -> nx.Graph[str]:
    """The neighbourhood of the focus organisation (or its group at group level)."""
    if not flt.focus:
        return graph
    if flt.focus not in graph:
        return graph.subgraph([]).copy()
    neighbourhood: nx.Graph[str] = nx.ego_graph(graph, flt.focus, radius=flt.depth)
    return neighbourhood


@cycles_uncollected()
def bipartite_network(landscape: Landscape, flt: NetworkFilter | None = None) -> nx.Graph[str]:
    flt = flt or NetworkFilter()
    graph: nx.Graph[str] = nx.Graph()
    for alliance in kept_alliances(landscape, flt):
        node = alliance.iri
        graph.add_node(node, bipartite=1, id=alliance.id, label=alliance.title, kind="alliance", cls=alliance.cls,
                       type=alliance.type_key, year=alliance.year)
        for party, roles in _members(landscape, flt, alliance, "company").items():
            if party not in graph:
                _add_organisation(graph, landscape, party)
                graph.nodes[party]["bipartite"] = 0
            graph.add_edge(party, node, roles=sorted(roles))
    return graph


@cycles_uncollected()
def topic_layer(landscape: Landscape, topic: Literal["material", "pathway"], flt: NetworkFilter | None = None) -> nx.Graph[str]:
    """Organisation-material or organisation-pathway; weight = number of alliances."""
    flt = flt or NetworkFilter()
    graph: nx.Graph[str] = nx.Graph()
    for alliance in kept_alliances(landscape, flt):
        concepts = alliance.materials if topic == "material" else alliance.pathways
        for party in _members(landscape, flt, alliance, "company"):
            if party not in graph:
                _add_organisation(graph, landscape, party)
                graph.nodes[party]["bipartite"] = 0
            for concept in sorted(concepts):
                graph.add_node(concept, bipartite=1, id=concept, label=landscape.label(concept), kind=topic)
                weight = graph.edges[party, concept]["weight"] if graph.has_edge(party, concept) else 0
                graph.add_edge(party, concept, weight=weight + 1)
    return graph
