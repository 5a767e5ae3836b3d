"""Benchmark: the network commands at 5,000 and 15,000 organisations against networkx
(``scripts/bench_network_scale.py``, first), then the network page at scale, and pyvis' own path
as the peer in the same run.

For synthetic alliance networks of 100, 1,000 and 5,000 organisations (networkx powerlaw-cluster
graphs with a seed, plus programme hubs), it measures:
- the layout (the product's own: igraph's seeded Fruchterman-Reingold);
- writing the self-contained page (``graph.visualise.html.write_html``) and its size;
- in offline headless Chromium: navigation start until the network is drawn
  (``window.allianceGraphReady``), then a first interaction (a search that selects and focuses a
  node, until the next frame is painted), and a filter change;
- the peer: pyvis' API, ``Network.add_node``/``add_edge`` one by one, then ``generate_html()``
  (``cdn_resources="in_line"``, its closest to one file; it still loads Bootstrap from a CDN).
  It runs in a child process and is given up after 60 s.

Targets: 5,000 organisations drawn and usable within 3 s; the file under 10 MB.

    scripts/bench network [--scale-sizes 5000 15000] [--cache DIR] [--no-scale] [--no-page] [--sizes 100 1000 5000] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networkx as nx  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from graph.visualise.html import StoredView

PEER_TIMEOUT_S = 60
SECTORS = [("automotive", "Automotive", "#0072B2"), ("steel", "Steel", "#D55E00"),
           ("aluminium", "Aluminium", "#009E73"), ("battery-materials", "Battery materials", "#CC79A7")]
MATERIALS = [("steel", "steel", "#E69F00", None), ("green-steel", "green steel", "#E69F00", "steel"),
             ("aluminium", "aluminium", "#56B4E9", None), ("nickel", "nickel", "#CC79A7", "battery-materials"),
             ("battery-materials", "battery materials", "#CC79A7", None)]
PATHWAYS = [("h2-dri", "hydrogen-based direct reduction"), ("scrap-eaf", "scrap-based EAF"),
            ("recycling", "closed-loop recycling"), ("renewable-power", "renewable electricity")]
TYPES = [("memorandum", "Memorandum of understanding"), ("supply", "Supply agreement"),
         ("programme", "Programme or pilot")]
KINDS = [("organisation", "Organisation", "dot"), ("group", "Corporate group", "square"),
         ("joint-venture", "Joint venture", "diamond"), ("alliance-hub", "Programme or coalition", "hexagon")]


# ------------------------------------------------------------------ synthetic views
def make_graph(organisations: int, seed: int = 7) -> tuple[nx.Graph[int], list[int]]:
    """An organisation graph plus programme hubs (nodes >= organisations) joined to members."""
    graph = nx.powerlaw_cluster_graph(organisations, 2, 0.3, seed=seed)
    rng = random.Random(seed)
    hubs = list(range(organisations, organisations + max(1, organisations // 200)))
    for hub in hubs:
        for member in rng.sample(range(organisations), min(organisations, rng.randint(6, 24))):
            graph.add_edge(hub, member)
    return graph, hubs


def layout(graph: nx.Graph[int], seed: int = 7) -> tuple[dict[int, tuple[int, int]], str]:
    """The product's own layout (graph.visualise.view.layout_positions), in vis-network pixels."""
    from graph.visualise.view import layout_positions

    positions = layout_positions([str(node) for node in graph], {(str(a), str(b)): {} for a, b in graph.edges()})
    return {node: positions[str(node)] for node in graph}, "igraph Fruchterman-Reingold, seeded"


def make_view(graph: nx.Graph[int], hubs: list[int], positions: dict[int, tuple[int, int]], seed: int = 7) -> StoredView:
    """An AllianceView-shaped object: pyvis Network with bulk-assigned lists, and the data dict."""
    from pyvis.network import Network

    from graph.visualise.html import StoredView

    rng = random.Random(seed)
    hub_set = set(hubs)
    rank = nx.pagerank(graph) if graph.number_of_nodes() <= 1100 else {n: graph.degree(n) / (2 * graph.number_of_edges()) for n in graph}
    top = max(rank.values())
    alliances: dict[str, dict[str, Any]] = {}
    data_nodes: dict[str, dict[str, Any]] = {}
    data_edges: dict[str, dict[str, Any]] = {}
    net_nodes: list[dict[str, Any]] = []
    net_edges: list[dict[str, Any]] = []
    node_alliances: dict[int, list[str]] = {n: [] for n in graph}

    def new_alliance(parties: list[int], kind: str | None = None) -> str:
        ident = f"alliance-{len(alliances)}"
        material = rng.choice(MATERIALS)
        pathway = rng.choice(PATHWAYS)
        alliance_type = TYPES[2] if kind == "programme" else rng.choice(TYPES[:2])
        year = rng.choice([None, *range(2018, 2026)])
        alliances[ident] = {
            "title": f"Alliance {len(alliances)}", "type": alliance_type[1], "type_keys": [alliance_type[0]],
            "date": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" if year else None, "year": year,
            "materials": [material[1]], "material_keys": [material[0]] + ([material[3]] if material[3] else []),
            "pathways": [pathway[1]], "pathway_keys": [pathway[0]],
            "parties": [{"id": f"n{p}", "label": f"Org {p}", "role": rng.choice(["buyer", "supplier", "partner"])} for p in parties],
            "claims": [], "sources": [{"title": f"Source {len(alliances)}", "publisher": "Example",
                                       "url": f"https://example.org/{len(alliances)}", "published": None}],
        }
        for p in parties:
            node_alliances[p].append(ident)
        return ident

    for hub in hubs:
        members = sorted(graph.neighbors(hub))
        ident = new_alliance([hub, *members], "programme")
        for member in members:
            edge_id = f"n{hub}|n{member}"
            data_edges[edge_id] = {"alliances": [ident], "relation": "member"}
            net_edges.append({"id": edge_id, "from": f"n{hub}", "to": f"n{member}", "width": 1, "dashes": True,
                              "color": "#8a8f98"})
    for a, b in sorted(graph.edges()):
        if a in hub_set or b in hub_set:
            continue
        ids = [new_alliance([a, b]) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        colour = next(m[2] for m in MATERIALS if m[0] == alliances[ids[0]]["material_keys"][0])
        edge_id = f"n{a}|n{b}"
        data_edges[edge_id] = {"alliances": ids, "relation": "alliance"}
        net_edges.append({"id": edge_id, "from": f"n{a}", "to": f"n{b}", "width": 1 + 1.5 * len(ids), "color": colour})
    for node in sorted(graph):
        hub = node in hub_set
        sector = None if hub else SECTORS[node % len(SECTORS)]
        kind = KINDS[3] if hub else KINDS[0 if node % 7 else 1 if node % 2 else 2]
        label = f"Programme {node}" if sector is None else f"Org {node} {sector[1]}"
        x, y = positions[node]
        net_nodes.append({"id": f"n{node}", "label": label, "x": round(x, 1), "y": round(y, 1), "shape": kind[2],
                          "size": round(10 + 30 * math.sqrt(rank[node] / top), 1),
                          "color": sector[2] if sector else "#8a8f98"})
        data_nodes[f"n{node}"] = {
            "label": label, "kind": kind[0], "sector": sector[1] if sector else None, "country": "CN",
            "groups": [], "names": {"en": [label], "zh": [f"组织{node}"], "de": [f"Organisation {node}"]},
            "measure": round(rank[node], 6), "community": 0, "alliances": node_alliances[node]}
    network = Network()
    network.nodes, network.edges = net_nodes, net_edges
    network.options = {"physics": {"enabled": False}, "edges": {"smooth": False}}
    data = {
        "meta": {"title": f"Synthetic alliance network of {graph.number_of_nodes() - len(hubs):,} organisations",
                 "subtitle": "Benchmark", "filter_summary": "all", "data_date": "2026-01-01", "measure": "PageRank",
                 "sources": [{"id": "s", "title": "Synthetic", "publisher": "bench_network.py", "url": None}]},
        "legend": {"sector": [{"key": k, "label": l, "color": c} for k, l, c in SECTORS],
                   "kind": [{"key": k, "label": l, "shape": s} for k, l, s in KINDS],
                   "edge": {"by": "material", "items": [{"key": k, "label": l, "color": c} for k, l, c, _ in MATERIALS]},
                   "size": "PageRank", "width": "number of alliances"},
        "nodes": data_nodes, "edges": data_edges, "alliances": alliances,
        "filters": {"materials": [{"key": k, "label": l} for k, l, _, _ in MATERIALS],
                    "pathways": [{"key": k, "label": l} for k, l in PATHWAYS],
                    "types": [{"key": k, "label": l} for k, l in TYPES], "years": [2018, 2025]},
    }
    return StoredView(network=network, data=data)


# ------------------------------------------------------------------ measurements
INTERACT = """async ([query, material]) => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const search = document.getElementById('search');
  let t0 = performance.now();
  search.value = query;
  search.dispatchEvent(new Event('input', {bubbles: true}));
  search.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
  await frame();
  const searchMs = performance.now() - t0;
  const selected = window.allianceGraph.network.getSelectedNodes();
  const select = document.getElementById('filter-material');
  t0 = performance.now();
  select.value = material;
  select.dispatchEvent(new Event('change', {bubbles: true}));
  await frame();
  const filterMs = performance.now() - t0;
  return {searchMs, filterMs, selected, shown: window.allianceGraph.visibleCounts()};
}"""


def measure_browser(browser: Browser, page_path: Path, query: str, expected: str, runs: int) -> dict[str, float]:
    from graph.visualise.image import PageReport, offline_page, wait_until_drawn

    ready, search, filters, usable = [], [], [], []
    for _ in range(runs):
        report = PageReport()
        page = offline_page(browser, 1920, 1080, report)
        page.goto(page_path.as_uri(), wait_until="commit")
        wait_until_drawn(page, 60_000)
        ready_ms = page.evaluate("window.allianceGraphReadyAt")
        result = page.evaluate(INTERACT, [query, "steel"])
        page.context.close()
        if report.blocked or report.errors or result["selected"] != [expected]:
            raise SystemExit(f"page failed: {report} {result}")
        ready.append(ready_ms)
        search.append(result["searchMs"])
        filters.append(result["filterMs"])
        usable.append(ready_ms + result["searchMs"])
    return {"ready_ms": statistics.median(ready), "search_ms": statistics.median(search),
            "filter_ms": statistics.median(filters), "usable_ms": statistics.median(usable)}


def pyvis_peer(size: int) -> dict[str, float]:
    """Runs in a child process: pyvis' API one call at a time, then generate_html()."""
    from pyvis.network import Network

    graph, hubs = make_graph(size)
    positions, _ = layout(graph)
    started = time.perf_counter()
    network = Network(cdn_resources="in_line")
    for node in sorted(graph):
        x, y = positions[node]
        network.add_node(f"n{node}", label=f"Org {node}", x=x, y=y, color=SECTORS[node % 4][2], size=15, shape="dot")
    for a, b in sorted(graph.edges()):
        network.add_edge(f"n{a}", f"n{b}", width=1)
    network.toggle_physics(False)
    html = network.generate_html()
    return {"pyvis_s": time.perf_counter() - started, "pyvis_mb": len(html.encode("utf-8")) / 1e6}


def run_peer(size: int) -> dict[str, float] | None:
    try:
        result = subprocess.run([sys.executable, __file__, "--peer", str(size)], capture_output=True, text=True,
                                timeout=PEER_TIMEOUT_S, check=True)
    except subprocess.TimeoutExpired:
        return None
    peer: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return peer


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{model}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=3, help="page loads per size (the median is shown)")
    parser.add_argument("--no-peer", action="store_true", help="skip pyvis' own path")
    parser.add_argument("--peer", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scale-sizes", type=int, nargs="+", default=[5000, 15000],
                        help="organisations in the landscapes the network commands are timed on")
    parser.add_argument("--cache", type=Path, help="keep the landscapes' stores here (default: .alliances/bench-network)")
    parser.add_argument("--no-scale", action="store_true", help="skip the network commands at scale")
    parser.add_argument("--no-page", action="store_true", help="skip the page in Chromium")
    args = parser.parse_args()
    if args.peer:
        print(json.dumps(pyvis_peer(args.peer)))
        return
    if not args.no_scale:
        import bench_network_scale

        print(f"machine: {machine()}", flush=True)
        bench_network_scale.main(args.scale_sizes, args.cache or bench_network_scale.CACHE)
    if args.no_page:
        return

    from playwright.sync_api import sync_playwright

    from graph.visualise.html import write_html
    from graph.visualise.image import find_chromium, launch_chromium

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("No Chromium: apt-get install chromium, or set ALLIANCES_CHROMIUM.")
    rows, notes = [], []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="bench-network-") as folder:
        browser = launch_chromium(playwright, chromium)
        print(f"machine: {machine()}; Chromium {browser.version}", flush=True)
        for size in args.sizes:
            graph, hubs = make_graph(size)
            started = time.perf_counter()
            positions, method = layout(graph)
            layout_s = time.perf_counter() - started
            view = make_view(graph, hubs, positions)
            started = time.perf_counter()
            path = write_html(view, Path(folder) / f"network-{size}.html")
            write_s = time.perf_counter() - started
            target = f"n{size // 2}"
            query = view.data["nodes"][target]["names"]["zh"][0]
            browser_result = measure_browser(browser, path, query, target, args.runs)
            peer = None if args.no_peer else run_peer(size)
            if peer is None and not args.no_peer:
                notes.append(f"pyvis' own path for {size:,} organisations was given up after {PEER_TIMEOUT_S} s.")
            rows.append({"organisations": size, "hubs": len(hubs), "links": len(view.network.edges),
                         "alliances": len(view.data["alliances"]), "layout": method, "layout_s": layout_s,
                         "write_s": write_s, "mb": path.stat().st_size / 1e6, **browser_result, "peer": peer})
            print(f"  {size:,} organisations done", flush=True)
        browser.close()

    print()
    print("| organisations | links | alliances | layout | layout s | HTML write s | HTML MB | drawn ms (navigation → ready) "
          "| search ms | usable ms | filter ms | pyvis add_node + generate_html s | pyvis MB |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        peer = r["peer"]
        peer_cells = (f"{peer['pyvis_s']:.2f} | {peer['pyvis_mb']:.2f}" if peer
                      else "skipped | -" if args.no_peer else f"> {PEER_TIMEOUT_S} (given up) | -")
        print(f"| {r['organisations']:,} (+{r['hubs']} hubs) | {r['links']:,} | {r['alliances']:,} | {r['layout']} "
              f"| {r['layout_s']:.2f} | {r['write_s']:.2f} | {r['mb']:.2f} | {r['ready_ms']:.0f} | {r['search_ms']:.0f} "
              f"| {r['usable_ms']:.0f} | {r['filter_ms']:.0f} | {peer_cells} |")
    print()
    print(f"Median of {args.runs} page loads. 'usable' = drawn + a first search that selects and focuses a node "
          "and paints. pyvis' page is not drawn here: it loads Bootstrap from a CDN.")
    for note in notes:
        print(note)
    largest = max(rows, key=lambda r: r["organisations"])
    print(f"Target for {largest['organisations']:,} organisations: usable within 3 s -> {largest['usable_ms'] / 1000:.2f} s "
          f"({'met' if largest['usable_ms'] <= 3000 else 'MISSED'}); file under 10 MB -> {largest['mb']:.2f} MB "
          f"({'met' if largest['mb'] < 10 else 'MISSED'}).")


if __name__ == "__main__":
    main()
