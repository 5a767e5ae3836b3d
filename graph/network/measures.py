"""Measures of an organisation network: who is central, who brokers, which clusters.

Exact betweenness is cubic-ish (about 11 s at 1,500 organisations on a 2-core machine), so above
EXACT_BETWEENNESS_LIMIT nodes it is estimated from a seeded sample of sources, and the report says
so. Louvain communities use a fixed seed, so the same
data gives the same communities.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph.network.options import MEASURES

SEED = 42
EXACT_BETWEENNESS_LIMIT = 1500
BETWEENNESS_SAMPLE = 256


@dataclass
class MeasureReport:
    rows: list[dict[str, Any]]  # one per organisation; by column: str, int, float or None
    notes: list[str] = field(default_factory=list)


def _numbered(groups: list[set[str]], graph: nx.Graph[str]) -> dict[str, int]:
    """Number groups 1.. by size, ties broken by their first label, so numbers are stable."""
    ordered = sorted(groups, key=lambda g: (-len(g), min(str(graph.nodes[n].get("label", n)) for n in g)))
    return {node: index for index, group in enumerate(ordered, start=1) for node in group}


def measure(graph: nx.Graph[str], only: str | None = None) -> MeasureReport:
    """Every measure, or with ``only`` just that one (plus degree, component and community):
    a drawing sized by PageRank need not pay for betweenness."""
    notes: list[str] = []
    n = graph.number_of_nodes()
    if n == 0:
        return MeasureReport([], ["the network is empty: no alliance passes the filters"])
    wanted = set(MEASURES) if only is None else {only}
    weighted = dict(graph.degree(weight="weight"))
    pagerank: dict[str, float] = {}
    if "pagerank" in wanted:
        pagerank = nx.pagerank(graph, weight="weight") if graph.number_of_edges() else {node: 1 / n for node in graph}
        notes.append("pagerank: weighted by shared alliances")
    betweenness: dict[str, float] = {}
    if "betweenness" in wanted and n <= EXACT_BETWEENNESS_LIMIT:
        betweenness = nx.betweenness_centrality(graph)
        notes.append("betweenness: exact")
    elif "betweenness" in wanted:
        betweenness = nx.betweenness_centrality(graph, k=BETWEENNESS_SAMPLE, seed=SEED)
        notes.append(f"betweenness: estimated from {BETWEENNESS_SAMPLE} sampled sources (seed {SEED}); exact above {EXACT_BETWEENNESS_LIMIT} nodes is too slow")
    constraint = nx.constraint(graph, weight="weight") if "constraint" in wanted else {}
    effective = nx.effective_size(graph, weight="weight") if "effective-size" in wanted else {}
    components = _numbered([set(c) for c in nx.connected_components(graph)], graph)
    communities = _numbered([set(c) for c in nx.community.louvain_communities(graph, weight="weight", seed=SEED)], graph)
    notes.append(f"communities: Louvain, seed {SEED}")
    rows = []
    for node, data in graph.nodes(data=True):
        row: dict[str, Any] = {"id": data.get("id", node), "label": data.get("label", node), "kind": data.get("kind"),
                                  "sector": data.get("sector"), "country": data.get("country"),
                                  "degree": graph.degree(node), "weighted-degree": weighted[node]}
        if pagerank:
            row["pagerank"] = round(pagerank[node], 6)
        if betweenness:
            row["betweenness"] = round(betweenness[node], 6)
        if "constraint" in wanted:
            row["constraint"] = _clean(constraint[node])
        if "effective-size" in wanted:
            row["effective-size"] = _clean(effective[node])
        row.update({"component": components[node], "community": communities[node], "iri": node})
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
