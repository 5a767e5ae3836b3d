"""How two players are connected: shortest paths, each hop explained by the alliances or the
group links (part of, joint venture of) that make it, with dates and sources.

The paths are found on a landscape read without details; only the alliances on them are then read
in full (``add_details``), so a path through 15,000 organisations does not read every alliance's
titles, dates and sources."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import islice

import networkx as nx

from graph.network.filters import NetworkFilter
from graph.network.landscape import Alliance, Landscape, add_details, cycles_uncollected
from graph.network.projections import organisation_network
from graph.rdf.store import GraphStore

MAX_PATHS = 5


@dataclass
class Link:
    """One reason two neighbours are connected."""

    kind: str  # "alliance" | "part of" | "joint venture of" | "parent of" | "joint venture partner of" ...
    label: str
    date: str | None = None
    sources: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)


@dataclass
class Hop:
    source: str
    target: str
    links: list[Link]


def connection_graph(landscape: Landscape, flt: NetworkFilter) -> nx.Graph[str]:
    """Organisations linked by shared alliances and by group links (company level)."""
    graph = organisation_network(landscape, NetworkFilter(**{**flt.__dict__, "focus": None}), "company", details=False)
    for iri, org in landscape.organisations.items():
        for parent, relation, source in org.parents:
            for node in (iri, parent):
                if node not in graph:
                    graph.add_node(node, label=landscape.organisations[node].label if node in landscape.organisations else node)
            data = graph.get_edge_data(iri, parent) or {}
            group_links = data.get("group_links", [])
            group_links.append((iri, relation, parent, source))
            graph.add_edge(iri, parent, **{**data, "group_links": group_links})
    return graph


@cycles_uncollected()
def explain_paths(landscape: Landscape, a: str, b: str, flt: NetworkFilter | None = None,
                  limit: int = MAX_PATHS, store: GraphStore | None = None) -> list[list[Hop]]:
    """Up to ``limit`` shortest paths from ``a`` to ``b``; [] if they are not connected. A landscape
    read without details needs the ``store`` it came from, to read the hops' alliances."""
    graph = connection_graph(landscape, flt or NetworkFilter())
    if a not in graph or b not in graph or not nx.has_path(graph, a, b):
        return []
    paths = sorted(islice(nx.all_shortest_paths(graph, a, b), 50),
                   key=lambda p: [landscape.organisations[n].label if n in landscape.organisations else n for n in p])[:limit]
    by_id = {alliance.id: alliance for alliance in landscape.alliances.values()}
    on_paths = {by_id[i].iri for path in paths for x, y in zip(path, path[1:]) for i in graph.edges[x, y].get("alliances", [])}
    if "details" not in landscape.parts:
        if store is None:
            raise ValueError("a landscape read without details needs the store to explain paths")
        add_details(store, landscape, on_paths)
    return [[_hop(graph, landscape, by_id, x, y) for x, y in zip(path, path[1:])] for path in paths]


def _hop(graph: nx.Graph[str], landscape: Landscape, by_id: dict[str, Alliance], x: str, y: str) -> Hop:
    data = graph.edges[x, y]
    links = []
    for alliance_id in data.get("alliances", []):
        alliance = by_id[alliance_id]
        dates = sorted(alliance.dates) or ([alliance.start] if alliance.start else [])
        roles = {landscape.organisations[p].label: landscape.label(f"role/{role}")
                 for p, role in alliance.parties if p in (x, y) and p in landscape.organisations}
        links.append(Link("alliance", alliance.title, ", ".join(dates) or None, list(alliance.sources), roles))
    for child, relation, parent, source in data.get("group_links", []):
        child_label = landscape.organisations[child].label if child in landscape.organisations else child
        parent_label = landscape.organisations[parent].label if parent in landscape.organisations else parent
        links.append(Link(relation, f"{child_label} is {relation} {parent_label}", None, [source]))
    def label(node: str) -> str:
        return landscape.organisations[node].label if node in landscape.organisations else node

    return Hop(label(x), label(y), links)


def paths_as_json(paths: list[list[Hop]]) -> list[list[dict[str, object]]]:
    return [[asdict(hop) for hop in path] for path in paths]


def render_paths(paths: list[list[Hop]], a: str, b: str) -> str:
    if not paths:
        return f"{a} and {b} are not connected by the alliances and group links in the graph (with these filters).\n"
    lines = [f"{len(paths)} shortest connection(s) of {len(paths[0])} hop(s) between {a} and {b}:"]
    for number, path in enumerate(paths, start=1):
        lines.append(f"\n{number}. " + " -> ".join([path[0].source] + [hop.target for hop in path]))
        for hop in path:
            lines.append(f"   {hop.source} -> {hop.target}")
            for link in hop.links:
                when = f", {link.date}" if link.date else ""
                roles = f" [{'; '.join(f'{k}: {v}' for k, v in link.roles.items())}]" if link.roles else ""
                lines.append(f"      via {link.kind}: {link.label}{when}{roles}")
                lines.append(f"          source: {', '.join(link.sources)}")
    return "\n".join(lines) + "\n"
