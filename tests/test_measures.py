"""The measures igraph computes equal networkx's on small graphs: networkx stays the reference, and
what users get (the networkx graph) is unchanged."""
from __future__ import annotations

import math
import random

import networkx as nx
import pytest

from graph.network.measures import Indexed, betweenness, communities, effective_size, indexed, measure

SEEDS = range(5)


def weighted_graph(seed: int, n: int = 60) -> nx.Graph[str]:
    """A clustered graph with integer weights (shared alliances), an isolated node and node names
    whose sorted order differs from insertion order."""
    rng = random.Random(seed)
    base = nx.powerlaw_cluster_graph(n, 2, 0.3, seed=seed)
    graph: nx.Graph[str] = nx.Graph()
    graph.add_node("isolated", label="isolated")
    for a, b in base.edges:
        graph.add_edge(f"o{n - a}", f"o{n - b}", weight=rng.randint(1, 4))
    return graph


def by_node(ig: Indexed, values: list[float]) -> dict[str, float]:
    return dict(zip(ig.nodes, values))


def close(a: float, b: float, tolerance: float = 1e-9) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tolerance


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_betweenness_equals_networkx(seed: int) -> None:
    graph = weighted_graph(seed)
    values, note = betweenness(indexed(graph))
    expected = nx.betweenness_centrality(graph)
    assert "exact" in note
    assert all(close(by_node(indexed(graph), values)[node], expected[node]) for node in graph)


def test_sampled_betweenness_scales_as_networkx_and_says_so() -> None:
    """With the budget forcing a sample, the estimate is networkx's subset betweenness from the same
    sources scaled by n/k; with every node as a source it is the exact value."""
    graph = weighted_graph(1, 80)
    ig = indexed(graph)
    n, m = ig.graph.vcount(), ig.graph.ecount()
    everyone, note = betweenness(ig, work=n * m - 1)  # the sample is capped at n: every node
    assert "estimated" in note and f"of {n:,}" in note
    exact = nx.betweenness_centrality(graph)
    assert all(close(by_node(ig, everyone)[node], exact[node]) for node in graph)
    sampled, note = betweenness(ig, work=m * 10)
    assert "estimated from shortest paths out of 256" not in note  # 10 sources < the minimum: the minimum, capped at n
    assert sum(sampled) > 0


def test_sampled_betweenness_matches_networkx_subset_from_the_same_sources() -> None:
    graph = weighted_graph(2, 400)
    ig = indexed(graph)
    n, m = ig.graph.vcount(), ig.graph.ecount()
    work = 300 * m  # 300 sources of 401
    values, note = betweenness(ig, work=work)
    sources = sorted(random.Random(42).sample(range(n), 300))
    subset = nx.betweenness_centrality_subset(graph, [ig.nodes[i] for i in sources], list(graph), normalized=False)
    scale = 2 / ((n - 1) * (n - 2)) * n / 300
    assert "300 of 401" in note
    assert all(close(by_node(ig, values)[node], subset[node] * scale) for node in graph)


@pytest.mark.parametrize("seed", SEEDS)
def test_burt_measures_equal_networkx(seed: int) -> None:
    graph = weighted_graph(seed)
    ig = indexed(graph)
    rows = {row["iri"]: row for row in measure(graph).rows}
    # nodes=...: networkx's per-node path, Burt's formula as documented. Its whole-graph sparse path
    # (networkx 3.6) divides by the strongest tie of the wrong node (column, not row), and is dense.
    constraint = nx.constraint(graph, weight="weight")
    size = nx.effective_size(graph, nodes=list(graph), weight="weight")
    assert all(close(by_node(ig, effective_size(ig))[node], size[node]) for node in graph)
    for node in graph:
        if math.isnan(constraint[node]):
            assert rows[node]["constraint"] is None and rows[node]["effective-size"] is None
        else:
            assert rows[node]["constraint"] == round(constraint[node], 6)
            assert rows[node]["effective-size"] == round(size[node], 6)


@pytest.mark.parametrize("seed", SEEDS)
def test_degree_component_and_pagerank_equal_networkx(seed: int) -> None:
    graph = weighted_graph(seed)
    graph.add_edge("p", "q", weight=2)  # a second component
    rows = {row["iri"]: row for row in measure(graph).rows}
    pagerank = nx.pagerank(graph, weight="weight", tol=1e-12)
    for node in graph:
        assert rows[node]["degree"] == graph.degree(node)
        assert rows[node]["weighted-degree"] == graph.degree(node, weight="weight")
        assert abs(rows[node]["pagerank"] - pagerank[node]) <= 2e-6  # both rounded to 6 places
    components = {frozenset(c) for c in nx.connected_components(graph)}
    ours: dict[int, set[str]] = {}
    for node, row in rows.items():
        ours.setdefault(row["component"], set()).add(node)
    assert {frozenset(c) for c in ours.values()} == components


def test_communities_on_a_clear_graph_are_networkx_louvain_communities() -> None:
    """Three cliques joined by single ties: one partition is clearly best, and both find it."""
    graph: nx.Graph[str] = nx.Graph()
    cliques = [[f"{c}{i}" for i in range(5)] for c in "abc"]
    for clique in cliques:
        graph.add_edges_from(((x, y) for i, x in enumerate(clique) for y in clique[i + 1:]), weight=1)
    graph.add_edge("a0", "b0", weight=1)
    graph.add_edge("b1", "c0", weight=1)
    ours: dict[int, set[str]] = {}
    for row in measure(graph).rows:
        ours.setdefault(row["community"], set()).add(row["iri"])
    louvain = nx.community.louvain_communities(graph, weight="weight", seed=42)
    assert {frozenset(c) for c in ours.values()} == {frozenset(c) for c in louvain} == {frozenset(c) for c in cliques}


@pytest.mark.parametrize("seed", SEEDS)
def test_communities_are_as_good_as_networkx_louvain(seed: int) -> None:
    """Leiden's partition has at least the modularity of networkx's Louvain (less a rounding margin),
    and each community is connected."""
    graph = weighted_graph(seed, 150)
    ig = indexed(graph)
    membership = communities(ig)
    groups: dict[int, set[str]] = {}
    for node, group in zip(ig.nodes, membership):
        groups.setdefault(group, set()).add(node)
    ours = nx.community.modularity(graph, groups.values(), weight="weight")
    theirs = nx.community.modularity(graph, nx.community.louvain_communities(graph, weight="weight", seed=42), weight="weight")
    assert ours >= theirs - 0.005
    assert all(nx.is_connected(graph.subgraph(group)) for group in groups.values())


def test_results_do_not_depend_on_the_order_nodes_were_added() -> None:
    graph = weighted_graph(3)
    shuffled: nx.Graph[str] = nx.Graph()
    nodes = list(graph.nodes(data=True))
    random.Random(9).shuffle(nodes)
    shuffled.add_nodes_from(nodes)
    edges = list(graph.edges(data=True))
    random.Random(9).shuffle(edges)
    shuffled.add_edges_from(edges)
    first = sorted(measure(graph).rows, key=lambda r: r["iri"])
    assert first == sorted(measure(shuffled).rows, key=lambda r: r["iri"])


def test_only_the_measure_asked_for_is_computed() -> None:
    graph = weighted_graph(0)
    row = measure(graph, only="degree").rows[0]
    assert {"degree", "weighted-degree", "component", "community"} <= set(row)
    assert not {"pagerank", "betweenness", "constraint", "effective-size"} & set(row)
    assert set(measure(graph, only="betweenness").rows[0]) - set(row) == {"betweenness"}
