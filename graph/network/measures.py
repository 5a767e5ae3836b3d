"""Measures of an organisation network: who is central, who brokers, which clusters.

The networkx graph stays what callers build and get; igraph (C) computes on an index of it, because
networkx's pure-Python measures took 85-98 s and 4 GB at 15,000 organisations (its effective size
builds a dense n x n matrix). Results equal networkx's (tests/test_measures.py); nodes are indexed
in sorted order, so the same data gives the same numbers whatever order it was read in.

- Only the measures asked for are computed, plus degree, weighted degree, component and community,
  which are cheap.
- Betweenness is exact while nodes x edges stays under EXACT_BETWEENNESS_WORK (about 2 s of igraph
  on the 2-core machine, loaded); above it, it is estimated from a seeded sample of source organisations
  sized to that budget (Brandes from each sampled source, scaled by n/k, as networkx's ``k``), and
  the notes say so. How well such a sample agrees with the exact ranking is measured in
  ``scripts/bench network`` (docs/benchmarks.md).
- Communities: igraph's Leiden optimising modularity, LEIDEN_ITERATIONS passes with a fixed seed. Run
  until stable it took 5.4 s at 15,000 nodes for 3% more modularity than 5 passes (0.3 s), which
  already beat Louvain (igraph's: 0.26 against 0.30 on a random graph of that size).
- Effective size is computed here with scipy sparse matrices (Burt's formula as networkx's, without
  its dense matrix); igraph has no effective size.
"""
from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import igraph
import networkx as nx
import numpy as np

from graph.network.landscape import cycles_uncollected
from graph.network.options import MEASURES

SEED = 42
EXACT_BETWEENNESS_WORK = 60_000_000  # nodes x edges: about 2 s of igraph here; 3,000 organisations with 20,000 links
MIN_BETWEENNESS_SAMPLE = 256
LEIDEN_ITERATIONS = 5


@dataclass
class MeasureReport:
    rows: list[dict[str, Any]]  # one per organisation; by column: str, int, float or None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Indexed:
    """The networkx graph as igraph sees it: node i is ``nodes[i]``; edge weights in ``weights``."""

    nodes: list[str]
    graph: igraph.Graph
    weights: list[float]


def indexed(graph: nx.Graph[str]) -> Indexed:
    """Read through ``graph.adj``, each edge from its first end in sorted order: ``graph.edges`` and
    ``graph.degree`` keep a view that refers back to the graph, and that cycle leaves the graph of
    15,000 organisations to the cycle collector (0.7 s of CPU) instead of freeing it when dropped."""
    nodes = sorted(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = sorted((i, j, float(d.get("weight", 1))) for a, neighbours in graph.adj.items() for b, d in neighbours.items()
                   if (i := index[a]) <= (j := index[b]))
    return Indexed(nodes, igraph.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in edges]), [w for _, _, w in edges])


def degrees(graph: nx.Graph[str]) -> dict[str, tuple[int, Any]]:
    """Each node's degree and weighted degree, as ``graph.degree`` and ``graph.degree(weight="weight")``
    count them (a self-loop twice), without the view that would tie the graph in a cycle (``indexed``)."""
    found: dict[str, tuple[int, Any]] = {}
    for node, neighbours in graph.adj.items():
        loop = node in neighbours
        found[node] = (len(neighbours) + loop,
                       sum(d.get("weight", 1) for d in neighbours.values()) + (loop and neighbours[node].get("weight", 1)))
    return found


@contextmanager
def seeded() -> Iterator[None]:
    """igraph's random numbers from a seeded generator, for this block only."""
    igraph.set_random_number_generator(random.Random(SEED))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def betweenness(ig: Indexed, work: int = EXACT_BETWEENNESS_WORK) -> tuple[list[float], str]:
    """Normalised as networkx's ``betweenness_centrality`` (unweighted), and a note on how it was made."""
    n, m = ig.graph.vcount(), ig.graph.ecount()
    if n <= 2:
        return [0.0] * n, "betweenness: exact (igraph)"
    scale = 2 / ((n - 1) * (n - 2))
    if n * m <= work:
        return [v * scale for v in ig.graph.betweenness(directed=False)], "betweenness: exact (igraph)"
    k = min(n, max(MIN_BETWEENNESS_SAMPLE, work // max(m, 1)))
    sources = sorted(random.Random(SEED).sample(range(n), k))
    raw = ig.graph.betweenness(directed=False, sources=sources, targets=range(n))
    note = (f"betweenness: estimated from shortest paths out of {k:,} of {n:,} organisations (seeded sample, seed {SEED}); "
            f"exact above {work:,} nodes x edges would exceed the time budget")
    return [v * scale * n / k for v in raw], note


def effective_size(ig: Indexed) -> list[float]:
    """Burt's effective size with weights, as networkx's ``effective_size(G, weight=...)``: for node i,
    the sum over neighbours j of 1 - sum_q p_iq m_jq (p: weight share of i's ties, m: weight over
    j's strongest tie). NaN for an isolated node."""
    import scipy.sparse as sparse  # here: only this measure needs scipy, a third of a second to import

    n = ig.graph.vcount()
    if n == 0:
        return []
    edges = ig.graph.get_edgelist()
    rows = [a for a, _ in edges] + [b for _, b in edges]
    cols = [b for _, b in edges] + [a for a, _ in edges]
    weights = np.array(ig.weights + ig.weights, dtype=float)
    w = sparse.csr_matrix((weights, (rows, cols)), shape=(n, n))
    strength = np.asarray(w.sum(axis=1)).ravel()
    strongest = np.asarray(w.max(axis=1).toarray()).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = sparse.diags(np.where(strength > 0, 1 / strength, 0.0)) @ w
        m = sparse.diags(np.where(strongest > 0, 1 / strongest, 0.0)) @ w
    adjacency = (w > 0).astype(float)
    redundancy = np.asarray((p @ m.T).multiply(adjacency).sum(axis=1)).ravel()
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return [float("nan") if d == 0 else float(d - r) for d, r in zip(degree, redundancy)]


def communities(ig: Indexed) -> list[int]:
    """Leiden on modularity (resolution 1, weighted): igraph's membership list."""
    with seeded():
        partition = ig.graph.community_leiden(objective_function="modularity", weights=ig.weights or None,
                                              n_iterations=LEIDEN_ITERATIONS)
    return list(partition.membership)


def _numbered(membership: list[int], ig: Indexed, graph: nx.Graph[str]) -> dict[str, int]:
    """Number groups 1.. by size, ties broken by their first label, so numbers are stable."""
    groups: dict[int, list[str]] = {}
    for node, group in zip(ig.nodes, membership):
        groups.setdefault(group, []).append(node)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), min(str(graph.nodes[n].get("label", n)) for n in g)))
    return {node: index for index, group in enumerate(ordered, start=1) for node in group}


@cycles_uncollected()
def measure(graph: nx.Graph[str], only: str | None = None) -> MeasureReport:
    """Every measure, or with ``only`` just that one (plus degree, weighted degree, component and
    community): a ranking by degree or a drawing sized by PageRank need not pay for betweenness."""
    notes: list[str] = []
    n = graph.number_of_nodes()
    if n == 0:
        return MeasureReport([], ["the network is empty: no alliance passes the filters"])
    wanted = set(MEASURES) if only is None else {only}
    ig = indexed(graph)
    computed: dict[str, list[float]] = {}
    if "pagerank" in wanted:
        computed["pagerank"] = (list(ig.graph.pagerank(directed=False, weights=ig.weights))
                                if ig.graph.ecount() else [1 / n] * n)
        notes.append("pagerank: weighted by shared alliances")
    if "betweenness" in wanted:
        computed["betweenness"], note = betweenness(ig)
        notes.append(note)
    if "constraint" in wanted:
        computed["constraint"] = list(ig.graph.constraint(weights=ig.weights or None))
    if "effective-size" in wanted:
        computed["effective-size"] = effective_size(ig)
    components = _numbered(ig.graph.connected_components().membership, ig, graph)
    community = _numbered(communities(ig), ig, graph)
    notes.append(f"communities: Leiden (modularity), seed {SEED}")
    degree = degrees(graph)
    position = {node: i for i, node in enumerate(ig.nodes)}
    rows = []
    for node, data in graph.nodes(data=True):
        i = position[node]
        row: dict[str, Any] = {"id": data.get("id", node), "label": data.get("label", node), "kind": data.get("kind"),
                               "sector": data.get("sector"), "country": data.get("country"),
                               "degree": degree[node][0], "weighted-degree": degree[node][1]}
        for name in ("pagerank", "betweenness"):
            if name in computed:
                row[name] = round(computed[name][i], 6)
        for name in ("constraint", "effective-size"):
            if name in computed:
                row[name] = _clean(computed[name][i])
        row.update({"component": components[node], "community": community[node], "iri": node})
        rows.append(row)
    return MeasureReport(rows, notes)


def _clean(value: float | None) -> float | None:
    """Burt's measures are undefined (NaN) for isolated nodes."""
    return None if value is None or math.isnan(value) else round(value, 6)


def ranked(report: MeasureReport, by: str) -> list[dict[str, Any]]:
    """Rows best first; for constraint, low is 'best' (a broker spans structural holes)."""
    if by not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    low_first = by == "constraint"

    def key(row: dict[str, Any]) -> tuple[int, float, str]:
        value = row[by]
        missing = value is None
        number = float(value) if value is not None else 0.0
        return (int(missing), number if low_first else -number, str(row["label"]))

    return sorted(report.rows, key=key)
