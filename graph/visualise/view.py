"""The picture of a network as an object: a pyvis Network (nodes, edges, options) plus the data
the page needs for its legend, tooltips, search and filters. ``graph.visualise.html`` writes it.

Drawing choices:
- Bilateral agreements are edges between organisations. Programmes, pilots, communities and
  coalitions, and any alliance with more than MAX_PAIRWISE_PARTIES parties, are drawn as a hub
  node linked to each party, so that a ten-party pilot is a star, not 45 crossing edges. Measures
  are still computed on the organisation network (every pair that shares an alliance).
- Positions are computed here with a seeded force-directed layout (igraph) and physics is off in
  the page: the same
  data gives the same picture, and large networks open at once.
- Each organisation carries its ``rank`` by the size measure (1 = most important): the page labels
  organisations in this order, as many as fit (``page.js``, ``labelLayout``).
- A line's style shows the status of its deals: solid when one of them is binding (or narrower:
  final investment decision, delivering, completed), dashed when they are announced or non-binding,
  thin and light when no status is known; membership of a programme or coalition is dotted. Its width
  shows the number of shared alliances, or with ``edge_width="volume"`` the contracted volume.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any, Literal

import igraph
import networkx as nx
from pyvis.network import Network

from graph.network.filters import NetworkFilter
from graph.network.landscape import Alliance, Landscape, cycles_uncollected
from graph.network.measures import MeasureReport, measure
from graph.network.projections import Level, Memberships, organisation_network_and_members

EdgeBy = Literal["material", "type"]  # what edge colour shows
EdgeWidth = Literal["alliances", "volume"]  # what edge width shows
SEED = 42
MAX_PAIRWISE_PARTIES = 3
WIDE = 1.6  # horizontal stretch of the layout
HUB_CLASSES = {"Project", "Programme", "Community", "Coalition"}
# Okabe-Ito colours: distinguishable with colour-blindness and on a projector.
SECTOR_COLOURS = {
    "sector/automotive": "#0072B2", "sector/steel": "#D55E00", "sector/aluminium": "#009E73",
    "sector/battery-materials": "#CC79A7", "sector/plant-engineering": "#E69F00",
    "sector/research-and-advocacy": "#56B4E9", "sector/standards-and-data": "#8C7A00",
    "sector/energy": "#999933", "sector/mining": "#882255",
}
NO_SECTOR = "#8A8A8A"
HUB_COLOUR = "#4D4D4D"
SHAPES = {"organisation": "dot", "group": "diamond", "joint-venture": "triangle", "unnamed": "star", "alliance-hub": "hexagon"}
KIND_LABELS = {"organisation": "organisation", "group": "group", "joint-venture": "joint venture",
               "unnamed": "unnamed party", "alliance-hub": "programme, pilot or coalition"}
EDGE_MATERIAL_COLOURS = {"material/steel": "#3B6FB6", "material/aluminium": "#2E8B57",
                         "material/battery-raw-materials": "#A23B72", "several": "#6B6B6B", "none": "#B0B0B0"}
EDGE_TYPE_COLOURS = {"alliance-type/agreement": "#3B6FB6", "alliance-type/cooperation": "#A23B72",
                     "alliance-type/joint-pilot": "#D1495B", "alliance-type/programme": "#2E8B57",
                     "alliance-type/community": "#8C7A00", "alliance-type/coalition-membership": "#00798C",
                     "several": "#6B6B6B", "none": "#B0B0B0"}
#: Line styles by the status of an edge's deals (vis-network ``dashes`` and an opacity for "unknown").
EDGE_STATUSES: dict[str, dict[str, Any]] = {
    "binding": {"label": "binding (or delivering)", "dashes": False},
    "non-binding": {"label": "announced or non-binding", "dashes": [10, 7]},
    "cancelled": {"label": "cancelled or lapsed", "dashes": [12, 4, 2, 4]},
    "unknown": {"label": "status not stated", "dashes": False, "opacity": 0.45},
    "member": {"label": "member of a programme or coalition", "dashes": [2, 4]},
}
VOLUME_KINDS = ("mass per year", "mass")  # a deal's volume: tonnes a year, else tonnes in all
#: The keys an edge's colour can take from its alliances (``_edge_key``), as sets to intersect with.
PALETTE_KEYS = {"material": frozenset(EDGE_MATERIAL_COLOURS), "type": frozenset(EDGE_TYPE_COLOURS)}
NOT_BINDING = frozenset({"status/announced", "status/non-binding"})
MEASURE_LABELS = {"pagerank": "PageRank", "degree": "degree", "weighted-degree": "weighted degree",
                  "betweenness": "betweenness", "constraint": "Burt's constraint (smaller = broker)",
                  "effective-size": "effective size"}


@dataclass
class AllianceView:
    network: Network
    data: dict[str, Any]
    graph: nx.Graph[str]  # the organisation network the measures were computed on
    report: MeasureReport


def _is_hub(alliance: Alliance) -> bool:
    return alliance.cls in HUB_CLASSES or len(alliance.parties) > MAX_PAIRWISE_PARTIES


def _edge_key(alliances: list[Alliance], by: str) -> str:
    """The colour key of an edge: the top-level material or type of its alliances. One intersection
    for an edge of one alliance (most edges: 75,000 of them at 15,000 organisations)."""
    palette = PALETTE_KEYS["material" if by == "material" else "type"]
    stated = [a.material_keys if by == "material" else a.type_keys for a in alliances]
    keys = palette.intersection(stated[0] if len(stated) == 1 else set().union(*stated))
    return next(iter(keys)) if len(keys) == 1 else ("several" if keys else "none")


def edge_status(alliances: list[Alliance]) -> str:
    """The status an edge is drawn with: binding if any of its deals is (one binding deal is a binding
    tie), else non-binding if any is announced or non-binding, else cancelled, else unknown."""
    keys: Collection[str] = (alliances[0].status_keys if len(alliances) == 1
                             else set().union(*(a.status_keys for a in alliances)))
    if "status/binding" in keys:
        return "binding"
    if not NOT_BINDING.isdisjoint(keys):
        return "non-binding"
    return "cancelled" if "status/cancelled" in keys else "unknown"


def alliance_volume(alliance: Alliance) -> tuple[float, str] | None:
    """The contracted volume of a deal: its largest claim in tonnes a year, else in tonnes, read with
    the record rules' own units (``read_quantity``), as ``volumes-by-status.rq`` counts it."""
    from graph.records.quantities import UnitError, read_quantity

    found: dict[str, float] = {}
    for claim in alliance.claims:
        try:
            quantity = read_quantity(claim["value"], claim["unit"])
        except (UnitError, ArithmeticError, ValueError):  # money, shares, text the record check reports
            continue
        if quantity.kind in VOLUME_KINDS:
            found[quantity.kind] = max(found.get(quantity.kind, 0.0), float(quantity.normalised))
    for kind in VOLUME_KINDS:
        if kind in found:
            return found[kind], "t/yr" if kind == "mass per year" else "t"
    return None


def importance_ranks(values: dict[str, float], size_by: str, labels: dict[str, str]) -> dict[str, int]:
    """1 for the most important node by the size measure (a small constraint marks a broker), ties by label."""
    sign = 1.0 if size_by == "constraint" else -1.0
    ordered = sorted(values, key=lambda node: (sign * values[node], labels[node].casefold(), node))
    return {node: index + 1 for index, node in enumerate(ordered)}


@dataclass
class _Drawing:
    """What is drawn: organisations (sorted) then hubs, the edges keyed (first node, second node) as
    networkx's ``Graph.edges`` would give them for these nodes in this order, and each organisation's
    alliances on its drawn edges. Plain dicts: a networkx graph of them cost twice as much to build."""

    nodes: list[str]
    edges: dict[tuple[str, str], dict[str, Any]]
    shown: dict[str, Alliance]
    alliances_of: dict[str, list[str]]


def _view_graph(memberships: Memberships, organisations: set[str]) -> _Drawing:
    """Organisations, hubs and the edges to draw, limited to the organisations shown: from each kept
    alliance's nodes as the organisation network paired them (``organisation_network_and_members``)."""
    hubs: dict[str, None] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    shown: dict[str, Alliance] = {}
    alliances_of: dict[str, list[str]] = {}
    for alliance, nodes in memberships:
        members = [m for m in nodes if m in organisations]  # sorted, as ``nodes`` is
        if not members:
            continue
        ident = alliance.id
        shown[ident] = alliance
        if _is_hub(alliance):
            hub = f"hub:{ident}"
            hubs[hub] = None
            for member in members:  # a hub comes after every organisation: the edge is (member, hub)
                edges[member, hub] = {"weight": 1, "alliances": [ident], "relation": "member"}
        elif len(members) > 1:
            # A bilateral deal (most alliances) is its one pair, as ``combinations`` gives it.
            for pair in ((members[0], members[1]),) if len(members) == 2 else combinations(members, 2):
                data = edges.get(pair)
                if data is None:
                    edges[pair] = {"weight": 1, "alliances": [ident], "relation": "alliance"}
                else:
                    data["weight"] += 1
                    data["alliances"].append(ident)
        else:
            continue  # one organisation shown: no line, and not among its alliances
        for member in members:
            found = alliances_of.get(member)
            if found is None:
                alliances_of[member] = [ident]
            else:
                found.append(ident)
    return _Drawing(sorted(organisations) + list(hubs), edges, shown, alliances_of)


def layout_positions(nodes: list[str], edges: dict[tuple[str, str], dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Seeded Fruchterman-Reingold from igraph (C): 5,000 nodes in well under a second, where
    networkx's spring layout takes about a minute on this machine. ``edges``: (a, b) -> data with a
    ``weight``; the nodes and edges are taken in sorted order, whatever order they come in."""
    if not nodes:
        return {}
    nodes = sorted(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    ordered = sorted(((index[a], index[b]) if index[a] < index[b] else (index[b], index[a]), data.get("weight", 1))
                     for (a, b), data in edges.items())
    graph = igraph.Graph(n=len(nodes), edges=[pair for pair, _ in ordered])
    weights = [weight for _, weight in ordered]
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
    # Screens and slides are 16:9: spread the layout wider than it is tall.
    return {node: (round((x - cx) * scale * WIDE), round((y - cy) * scale)) for node, (x, y) in zip(nodes, coordinates)}


@cycles_uncollected()
def build_view(landscape: Landscape, flt: NetworkFilter | None = None, level: Level = "company",
               size_by: str = "pagerank", edge_by: EdgeBy = "material",
               title: str | None = None, edge_width: EdgeWidth = "alliances", details: bool = True) -> AllianceView:
    """The drawing of the network. ``details``: the view's ``graph`` keeps each edge's alliance
    details (types, materials, dates, sources), which the network files write; a page or an image
    drawn and dropped never reads them (0.3 s of CPU at 15,000 organisations)."""
    flt = flt or NetworkFilter()
    graph, memberships = organisation_network_and_members(landscape, flt, level, details)
    report = measure(graph, only=size_by)
    rows = {row["iri"]: row for row in report.rows}
    drawing = _view_graph(memberships, set(graph.nodes))
    shown = drawing.shown
    positions = layout_positions(drawing.nodes, drawing.edges)
    values = [float(rows[n][size_by] or 0) for n in graph.nodes] or [0.0]
    low, high = min(values), max(values)
    ranks = importance_ranks({n: float(rows[n][size_by] or 0) for n in graph.nodes}, size_by,
                             {n: str(graph.nodes[n]["label"]) for n in graph.nodes})

    def size(node: str) -> int:
        value = float(rows[node][size_by] or 0)
        fraction = 0.5 if high == low else (value - low) / (high - low)
        if size_by == "constraint":
            fraction = 1 - fraction  # a low constraint marks a broker: draw it large
        return round(14 + 36 * fraction)

    label = lru_cache(maxsize=None)(landscape.label)
    net = Network(height="100%", width="100%", directed=False, cdn_resources="remote")
    vis_nodes, node_data = [], {}
    for node in drawing.nodes:
        x, y = positions[node]
        if node.startswith("hub:"):
            alliance = shown[node.removeprefix("hub:")]
            vis_nodes.append({"id": node, "label": alliance.title, "x": x, "y": y, "shape": SHAPES["alliance-hub"],
                              "color": HUB_COLOUR, "size": 16})
            node_data[node] = {"label": alliance.title, "kind": "alliance-hub", "sector": None, "country": None,
                               "groups": [], "names": {lang: [t] for lang, t in sorted(alliance.titles.items())},
                               "measure": 0.0, "community": 0, "alliances": [alliance.id]}
            continue
        attributes = graph.nodes[node]
        org = landscape.organisations.get(node)
        kind = attributes.get("kind", "organisation")
        colour = SECTOR_COLOURS.get(attributes.get("sector") or "", NO_SECTOR)
        vis_nodes.append({"id": node, "label": attributes["label"], "x": x, "y": y, "shape": SHAPES.get(kind, "dot"),
                          "color": colour, "size": size(node)})
        node_data[node] = {
            "label": attributes["label"], "kind": kind,
            "sector": label(attributes["sector"]) if attributes.get("sector") else None,
            "country": attributes.get("country"), "groups": attributes.get("groups", []),
            "names": {lang: list(names) for lang, names in sorted(org.names.items())} if org else {},
            "measure": float(rows[node][size_by] or 0), "rank": ranks[node], "community": int(rows[node]["community"]),
            "alliances": sorted(set(drawing.alliances_of.get(node, ()))),
        }
    palette = EDGE_MATERIAL_COLOURS if edge_by == "material" else EDGE_TYPE_COLOURS
    # A deal without claims has no volume: 75,000 calls that each find nothing cost a tenth of a second.
    volumes = {i: alliance_volume(a) if a.claims else None for i, a in shown.items()}
    unit = "t/yr" if any(v and v[1] == "t/yr" for v in volumes.values()) else "t"
    edges = [(pair[0], pair[1], drawing.edges[pair]) for pair in sorted(drawing.edges)]  # the keys are unique
    edge_volumes: list[float]
    if any(volumes.values()):
        edge_volumes = [sum(v[0] for i in d["alliances"] if (v := volumes[i]) and v[1] == unit) for _, _, d in edges]
    else:  # what each sum above gives when no deal has a volume
        edge_volumes = [0] * len(edges)
    largest = max(edge_volumes, default=0.0)
    vis_edges, edge_data, statuses, colours_used = [], {}, set(), set()
    one: dict[str, tuple[str, str]] = {}  # an alliance's own colour key and status: a hub's edges share them
    for index, ((a, b, data), volume) in enumerate(zip(edges, edge_volumes)):
        edge_id = f"e{index}"
        ids = data["alliances"]
        if len(ids) == 1:
            known = one.get(ids[0])
            if known is None:
                alliances = [shown[ids[0]]]
                known = one[ids[0]] = _edge_key(alliances, edge_by), edge_status(alliances)
            key, status = known
        else:
            alliances = [shown[i] for i in ids]
            key, status = _edge_key(alliances, edge_by), edge_status(alliances)
        colours_used.add(key)
        status = "member" if data["relation"] == "member" else status
        statuses.add(status)
        if edge_width == "volume":
            width = 1 + 11 * math.sqrt(volume / largest) if volume and largest else 1
        else:
            width = 1 + 2 * data["weight"]
        style = EDGE_STATUSES[status]
        line: str | dict[str, Any] = palette[key]
        if "opacity" in style:
            line = {"color": palette[key], "opacity": style["opacity"]}
        vis_edges.append({"id": edge_id, "from": a, "to": b, "width": round(width, 2), "color": line,
                          "dashes": style["dashes"]})
        edge_data[edge_id] = {"alliances": data["alliances"], "relation": data["relation"], "status": status,
                              "volume": volume or None, "volume_unit": unit if volume else None}
    net.nodes, net.edges = vis_nodes, vis_edges  # in one step: pyvis' add_node is quadratic
    net.options = {
        "physics": {"enabled": False},
        "layout": {"randomSeed": SEED, "improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": len(vis_edges) > 2000},
        "nodes": {"font": {"size": 18, "face": "Arial, Helvetica, sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "borderWidth": 2},
        "edges": {"smooth": False},
    }
    data = {
        "meta": {
            "title": title or "Decarbonization alliances",
            "subtitle": _subtitle(flt, landscape, graph.number_of_nodes(), level, len(shown)),
            "filter_summary": flt.summary(landscape), "data_date": landscape.data_date,
            "measure": MEASURE_LABELS.get(size_by, size_by),
            "sources": _sources(landscape, shown),
        },
        "legend": _legend(landscape, graph, edge_by, len(drawing.nodes) > graph.number_of_nodes(), size_by,
                          statuses, colours_used, _width_legend(edge_width, unit, largest)),
        "nodes": node_data, "edges": edge_data,
        "alliances": _alliance_records(landscape, shown, label),
        "filters": _filter_options(landscape, shown),
    }
    return AllianceView(net, data, graph, report)


def _sources(landscape: Landscape, shown: dict[str, Alliance]) -> list[dict[str, Any]]:
    ids = sorted({s for a in shown.values() for s in a.sources})
    return [{"id": i, "title": landscape.sources[i].title, "publisher": landscape.sources[i].publisher,
             "url": landscape.sources[i].url} for i in ids if i in landscape.sources]


def _subtitle(flt: NetworkFilter, landscape: Landscape, count: int, level: Level, alliances: int) -> str:
    """What the picture shows: the filters first (a slide must say what was left out), then the counts."""
    what = flt.summary(landscape)
    what = what[:1].upper() + what[1:]
    return f"{what} · {count} {'groups' if level == 'group' else 'organisations'}, {alliances} alliances"


def _width_legend(edge_width: EdgeWidth, unit: str, largest: float) -> str:
    if edge_width == "alliances":
        return "number of shared alliances"
    if not largest:
        return "contracted volume (none is stated for these deals)"
    return (f"contracted volume, widest {_tonnes(largest)} {'a year' if unit == 't/yr' else 'in all'}; "
            "thinnest: no volume stated")


def _tonnes(value: float) -> str:
    for size, name in ((1e6, "Mt"), (1e3, "kt")):
        if value >= size:
            return f"{value / size:.3g} {name}"
    return f"{value:.3g} t"


def _legend(landscape: Landscape, graph: nx.Graph[str], edge_by: str, hubs: bool, size_by: str,
            statuses: set[str], colours_used: set[str], width: str) -> dict[str, Any]:
    sectors = sorted({graph.nodes[n].get("sector") for n in graph.nodes}, key=lambda s: (s is None, s or ""))
    kinds = sorted({graph.nodes[n].get("kind", "organisation") for n in graph.nodes} | ({"alliance-hub"} if hubs else set()),
                   key=list(SHAPES).index)
    palette = EDGE_MATERIAL_COLOURS if edge_by == "material" else EDGE_TYPE_COLOURS
    return {
        # Sectors without a colour of their own share one grey entry: a legend of eleven grey dots says nothing.
        "sector": [{"key": s, "label": landscape.label(s), "color": SECTOR_COLOURS[s]} for s in sectors if s in SECTOR_COLOURS]
                  + ([{"key": "other", "label": "other sector or not known", "color": NO_SECTOR}]
                     if any(s not in SECTOR_COLOURS for s in sectors) else []),
        "kind": [{"key": k, "label": KIND_LABELS[k], "shape": SHAPES[k]} for k in kinds],
        "edge": {"by": edge_by, "items": [{"key": k, "label": landscape.label(k) if "/" in k else k, "color": c}
                                          for k, c in palette.items() if k in colours_used]},
        "status": [{"key": k, "label": str(style["label"]), "dashes": style["dashes"], "opacity": style.get("opacity", 1)}
                   for k, style in EDGE_STATUSES.items() if k in statuses],
        "size": MEASURE_LABELS.get(size_by, size_by) + (" (larger = broker)" if size_by == "constraint" else ""),
        "width": width,
    }


def _alliance_records(landscape: Landscape, shown: dict[str, Alliance], label: Callable[[str], str]) -> dict[str, dict[str, Any]]:
    """Each shown alliance's record for the page, by id. ``label``: ``landscape.label``, remembered
    (75,000 alliances at 15,000 organisations name a few concepts); a role's label is made once per
    role. One loop, not a call and two comprehensions per alliance: a third of 0.7 s of CPU there."""
    orgs, sources = landscape.organisations, landscape.sources
    roles: dict[str, str] = {}
    records: dict[str, dict[str, Any]] = {}
    for ident in sorted(shown):
        a = shown[ident]
        parties: list[dict[str, Any]] = []
        for party, role in a.parties:
            role_label = roles.get(role)
            if role_label is None:
                role_label = roles[role] = label(f"role/{role}")
            org = orgs.get(party)
            parties.append({"id": org.id, "label": org.label, "role": role_label} if org
                           else {"id": party, "label": party, "role": role_label})
        cited: list[dict[str, Any]] = []
        for s in a.sources:
            source = sources.get(s)
            if source is not None:
                cited.append({"title": source.title, "publisher": source.publisher, "url": source.url,
                              "published": source.published})
        records[ident] = {
            "title": a.title, "type": label(a.type_key) if a.type_key else None, "type_keys": sorted(a.type_keys),
            "date": ", ".join(sorted(a.dates)) or a.start, "year": a.year,
            "materials": sorted(map(label, a.materials)), "material_keys": sorted(a.material_keys),
            "pathways": sorted(map(label, a.pathways)), "pathway_keys": sorted(a.pathway_keys),
            "parties": parties,
            "claims": a.claims,
            "sources": cited,
        }
    return records


def _filter_options(landscape: Landscape, shown: dict[str, Alliance]) -> dict[str, Any]:
    def options(keys: set[str]) -> list[dict[str, str]]:
        return [{"key": k, "label": landscape.label(k)} for k in sorted(keys, key=landscape.label)]

    years = [a.year for a in shown.values() if a.year is not None]
    return {  # the unions in C: a comprehension over 75,000 alliances' keys took 0.1 s
        "materials": options(set().union(*(a.material_keys for a in shown.values()))),
        "pathways": options(set().union(*(a.pathway_keys for a in shown.values()))),
        "types": options(set().union(*(a.type_keys for a in shown.values()))),
        "years": [min(years) if years else None, max(years) if years else None],
    }
