"""The drawing's graph is made from the alliances' nodes the organisation network paired, in plain
dicts (graph.visualise.view ``_view_graph``): it must draw what the earlier networkx path drew (kept
here as the reference, as it was before session 8's second pass) — the same nodes in the same order, the same
edges with the same data, each organisation's alliances, the same positions — at company and group
level, with filters and a focus. And a network the view measured is freed without the cycle collector."""
from __future__ import annotations

import gc
import math
import random
import weakref
from dataclasses import replace
from itertools import combinations

import igraph
import networkx as nx
import pytest

from graph.network.filters import NetworkFilter
from graph.network.landscape import Alliance, Landscape
from graph.network.measures import measure
from graph.network.projections import Level, kept_alliances, organisation_network, organisation_network_and_members
from graph.visualise.view import SEED, WIDE, _is_hub, _view_graph, build_view, layout_positions

from landscape_support import synthetic_landscape


def reference_view_graph(landscape: Landscape, flt: NetworkFilter, level: Level,
                         organisations: set[str]) -> tuple[nx.Graph[str], dict[str, Alliance]]:
    """The drawing's graph as view.py made it before session 8's second pass: every alliance's parties paired again."""
    view: nx.Graph[str] = nx.Graph()
    view.add_nodes_from(sorted(organisations))
    shown: dict[str, Alliance] = {}
    for alliance in kept_alliances(landscape, flt):
        members = set()
        for party, _ in alliance.parties:
            if flt.keeps_organisation(landscape.organisations.get(party)):
                members |= landscape.groups_of(party) if level == "group" else {party}
        members &= organisations
        if not members:
            continue
        shown[alliance.id] = alliance
        if _is_hub(alliance):
            hub = f"hub:{alliance.id}"
            view.add_node(hub)
            for member in sorted(members):
                view.add_edge(hub, member, weight=1, alliances=[alliance.id], relation="member")
        else:
            for a, b in combinations(sorted(members), 2):
                data = view.get_edge_data(a, b) or {"weight": 0, "alliances": [], "relation": "alliance"}
                data["weight"] += 1
                data["alliances"].append(alliance.id)
                view.add_edge(a, b, **data)
    return view, shown


def reference_layout(view: nx.Graph[str]) -> dict[str, tuple[int, int]]:
    """``layout_positions`` as it was, on the networkx graph."""
    if view.number_of_nodes() == 0:
        return {}
    nodes = sorted(view.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = sorted((index[a], index[b]) if index[a] < index[b] else (index[b], index[a]) for a, b in view.edges)
    weights = [view.edges[nodes[a], nodes[b]].get("weight", 1) for a, b in edges]
    graph = igraph.Graph(n=len(nodes), edges=edges)
    igraph.set_random_number_generator(random.Random(SEED))
    try:
        layout = graph.layout_fruchterman_reingold(weights=weights or None, niter=500)
    finally:
        igraph.set_random_number_generator(random)
    coordinates = layout.coords
    xs, ys = [c[0] for c in coordinates], [c[1] for c in coordinates]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = 200 * math.sqrt(max(len(nodes), 4)) / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {node: (round((x - cx) * scale * WIDE), round((y - cy) * scale)) for node, (x, y) in zip(nodes, coordinates)}


def grouped(landscape: Landscape) -> Landscape:
    """The synthetic landscape with groups: every tenth organisation owns the nine after it, and a
    few joint ventures have two parents."""
    ids = list(landscape.organisations)
    organisations = {}
    for i, iri in enumerate(ids):
        parents = [] if i % 10 == 0 else [(ids[i - i % 10], "part of", "src-0")]
        if i % 37 == 5:
            parents.append((ids[(i + 20) - (i + 20) % 10 if i + 20 < len(ids) else 0], "joint venture of", "src-0"))
        organisations[iri] = replace(landscape.organisations[iri], parents=parents)
    return replace(landscape, organisations=organisations)


LANDSCAPE = synthetic_landscape(300, seed=11)
CASES: list[tuple[str, Landscape, NetworkFilter, Level]] = [
    ("everything", LANDSCAPE, NetworkFilter(), "company"),
    ("a sector", LANDSCAPE, NetworkFilter(sector="sector/steel"), "company"),
    ("a status", LANDSCAPE, NetworkFilter(status="status/binding"), "company"),
    ("a focus", LANDSCAPE, NetworkFilter(focus="https://example.org/org/o3", depth=1), "company"),
    ("groups", grouped(LANDSCAPE), NetworkFilter(), "group"),
    ("groups of a country", grouped(LANDSCAPE), NetworkFilter(country="DE"), "group"),
]


@pytest.mark.parametrize("landscape, flt, level", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_the_drawing_is_what_the_networkx_path_drew(landscape: Landscape, flt: NetworkFilter, level: Level) -> None:
    graph, memberships = organisation_network_and_members(landscape, flt, level)
    assert graph.number_of_nodes() > 1 and graph.number_of_edges() > 0, "the case must draw something"
    drawing = _view_graph(memberships, set(graph.nodes))
    view, shown = reference_view_graph(landscape, flt, level, set(graph.nodes))
    assert drawing.nodes == list(view.nodes)
    assert list(drawing.shown.items()) == list(shown.items())
    assert sorted(drawing.edges.items()) == sorted(((a, b), d) for a, b, d in view.edges(data=True))
    for node in drawing.nodes:
        if not node.startswith("hub:"):
            assert (sorted(set(drawing.alliances_of.get(node, ())))
                    == sorted({a for d in view.adj[node].values() for a in d["alliances"]})), node
    assert layout_positions(drawing.nodes, drawing.edges) == reference_layout(view)


def test_the_organisation_network_is_the_same_with_its_members() -> None:
    for _, landscape, flt, level in CASES:
        graph = organisation_network(landscape, flt, level)
        again, _ = organisation_network_and_members(landscape, flt, level)
        assert list(graph.nodes(data=True)) == list(again.nodes(data=True))
        assert list(graph.edges(data=True)) == list(again.edges(data=True))


def test_a_measured_network_and_a_view_are_freed_without_the_cycle_collector() -> None:
    """graph.edges and graph.degree keep views that refer back to the graph: measuring through them
    left the network of 15,000 organisations to the cycle collector (0.66 s of CPU)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        graph = organisation_network(LANDSCAPE)
        measure(graph, only="pagerank")
        network = weakref.ref(graph)
        del graph
        assert network() is None, "the measured network is kept alive by a reference cycle"
        view = build_view(LANDSCAPE)
        drawn = weakref.ref(view.graph)
        del view
        assert drawn() is None, "the view's network is kept alive by a reference cycle"
    finally:
        if enabled:
            gc.enable()


def test_degrees_are_networkx_degrees_with_self_loops_and_weights() -> None:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_edge("a", "b", weight=3)
    graph.add_edge("b", "c")
    graph.add_edge("c", "c", weight=2)
    graph.add_node("d")
    rows = {row["iri"]: row for row in measure(graph).rows}
    assert {n: rows[n]["degree"] for n in graph} == dict(graph.degree)
    assert {n: rows[n]["weighted-degree"] for n in graph} == dict(graph.degree(weight="weight"))
