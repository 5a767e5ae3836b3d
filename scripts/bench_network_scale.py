"""Benchmark: the network commands on synthetic landscapes of 5,000 and 15,000 organisations, read
from a built store, against networkx computing the same measures in the same run.

The landscapes are ``scripts/bench_build.py``'s generator (five alliances per organisation, two
parties each), compiled and derived by the build's own functions without SHACL validation (the same
graph a build publishes; validation is what ``scripts/bench build`` measures). A store takes long to
build on a loaded 2-core machine (about 40 minutes at 15,000), so it is kept in
``.alliances/bench-network/<organisations>/`` with a stamp of the code and ontology that built it,
and rebuilt when they change.

For each size it prints CPU and wall seconds of, each twice and each in a fresh process with its
imports, as the command line runs it: cold (the landscape read from the store and kept beside the
build, graph.network.landscape_cache) and warm (the kept landscape loaded). Timed in the bench's own
process, after the commands before it, a warm ``export html`` at 15,000 organisations took 12.2 s
of CPU where the command takes 7.5-7.9 s (session 15):
- ``network`` (PageRank, the default), ``network --measure degree``, ``network --measure betweenness``,
  ``path``, ``export html`` and ``export graphml``, ``gexf`` and ``csv`` (the API calls the commands
  make; png and svg are ``export html`` drawn in Chromium, timed by the page part of ``scripts/bench network``);
- the peer: networkx on the same organisation network: PageRank, Louvain, betweenness from 256
  sampled sources (what the commands did before), and all shortest paths;
- how well sampled betweenness agrees with igraph's exact one: shared top 10 and Spearman's rank
  correlation, for our sample and for networkx's.

    scripts/bench network [--scale-sizes 5000 15000] [--cache DIR] [--no-page]
    scripts/bench_network_scale.py [--sizes 15000] [--cache DIR] [--no-peer]

``--cache DIR`` keeps the stores in DIR/<organisations>/ instead of ``.alliances/bench-network``.

``--turns ROOT`` times each command in a fresh process instead (its imports included, as the CLI
runs it), this code and the code at ROOT (a checkout of another commit) taking turns, who goes first
alternating, cold (the kept landscape removed first) and warm; each code on its own copy of the
store (DIR/<organisations>/turns-<i>/), as each keeps the landscape its own reading gives:

    scripts/bench_network_scale.py --sizes 15000 --cache DIR --turns OLD_CHECKOUT [--rounds 2] [--commands html csv]
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()  # a child's wall time counts its imports, as a command's does
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

CACHE = ROOT / ".alliances" / "bench-network"
STAMPED = ("graph/records", "graph/build", "graph/rdf", "ontology", "scripts/bench_build.py")  # what build_store runs


def stamp() -> str:
    digest = hashlib.sha256()
    for name in STAMPED:
        base = ROOT / name
        for path in sorted(base.rglob("*") if base.is_dir() else [base]):
            if path.is_file() and path.suffix in (".py", ".rq", ".ttl", ".json", ".yaml"):
                digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def build_store(organisations: int, folder: Path) -> None:
    """The build's own compile and derive steps, without SHACL (see the module docstring)."""
    from bench_build import make_data

    from graph.build.derive import derive
    from graph.build.pipeline import compile_records, vocabulary_nquads
    from graph.config import Settings
    from graph.rdf.store import COMPLETE_MARKER, OxigraphStore
    from graph.records.taxonomy import load_taxonomy

    with tempfile.TemporaryDirectory(prefix="bench-network-data-") as tmp:
        make_data(Path(tmp) / "data", organisations * 5)
        settings = Settings(data_dir=Path(tmp) / "data", store_path=Path(tmp) / "unused")
        store = OxigraphStore.create(folder)
        compiled = compile_records(store, settings, load_taxonomy(settings.ontology_dir),
                                   preamble=vocabulary_nquads(settings))
        if compiled.problems:
            raise SystemExit(f"the synthetic records have problems: {compiled.problems[:3]}")
        derive(store, settings)
        store.materialise_union()
        store.flush()
        store.close()
    (folder / COMPLETE_MARKER).write_bytes(b"")  # as publish marks a build: its landscape may be kept


def open_store(organisations: int, cache: Path = CACHE) -> Any:
    import pyoxigraph as ox

    from graph.rdf.store import COMPLETE_MARKER, OxigraphStore

    folder = cache / str(organisations)
    expected = stamp()
    stamp_file = folder / "bench-stamp"
    if not (stamp_file.exists() and stamp_file.read_text().strip() == expected):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        print(f"  building the store of {organisations:,} organisations (kept in {folder}) ...", flush=True)
        build_store(organisations, folder / "store")
        stamp_file.write_text(expected + "\n")
    (folder / "store" / COMPLETE_MARKER).touch()  # stores built before the landscape cache have no marker
    # The build stores the merge of the source graphs as the default graph (materialise_union).
    return OxigraphStore(ox.Store.read_only(str(folder / "store")), read_only=True, folder=folder / "store", union=False)


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def top(values: dict[str, float], n: int = 10) -> set[str]:
    return set(sorted(values, key=lambda k: (-values[k], k))[:n])


def agreement(sample: dict[str, float], exact: dict[str, float]) -> str:
    from scipy.stats import spearmanr

    nodes = sorted(exact)
    rho = spearmanr([sample[n] for n in nodes], [exact[n] for n in nodes]).statistic
    return f"{len(top(sample) & top(exact))}/10 of the top 10, Spearman {rho:.3f}"


def folder_of(store: Any) -> Path:
    folder: Path = store.folder
    return folder


def measure_size(organisations: int, cache: Path = CACHE, with_peer: bool = True) -> dict[str, Any]:
    import networkx as nx

    from graph.network import landscape_cache, measures
    from graph.network.landscape import load_landscape
    from graph.network.projections import organisation_network

    store = open_store(organisations, cache)
    row: dict[str, Any] = {"organisations": organisations}
    for name in COMMANDS:
        for path in (folder_of(store)).glob(f"{landscape_cache.PREFIX}*"):
            path.unlink()  # cold: the command reads the store and keeps the landscape; warm: it loads it
        for run in ("cold", "warm"):
            found = in_a_process(ROOT, folder_of(store), name, organisations)
            row[f"{name} {run}"] = (found["cpu"], found["wall"])
            if "note" in found:
                row["betweenness note"] = found["note"]
            print(f"  {organisations:,}: {name} ({run}) {found['cpu']:.1f} s CPU, {found['wall']:.1f} s wall, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    row["kept landscapes"] = {p.name: p.stat().st_size for p in folder_of(store).glob(f"{landscape_cache.PREFIX}*")}
    if not with_peer:
        return row

    landscape = load_landscape(store, frozenset())
    graph = organisation_network(landscape, details=False)
    row["links"] = graph.number_of_edges()
    ig = measures.indexed(graph)
    n = ig.graph.vcount()
    (ours, _), cpu, wall = timed(lambda: measures.betweenness(ig))
    row["igraph betweenness"] = (cpu, wall)
    (exact, _), cpu, wall = timed(lambda: measures.betweenness(ig, work=n * ig.graph.ecount()))
    row["igraph exact betweenness"] = (cpu, wall)
    exact_by = dict(zip(ig.nodes, exact))
    row["our sample agrees"] = agreement(dict(zip(ig.nodes, ours)), exact_by)
    peer: dict[str, Callable[[], Any]] = {
        "networkx pagerank": lambda: nx.pagerank(graph, weight="weight"),
        "networkx louvain": lambda: nx.community.louvain_communities(graph, weight="weight", seed=measures.SEED),
        "networkx betweenness (256 samples)": lambda: nx.betweenness_centrality(graph, k=min(256, len(graph)), seed=measures.SEED),
        "networkx shortest paths": lambda: list(nx.all_shortest_paths(graph, f"{store_base(landscape)}org-10",
                                                                      f"{store_base(landscape)}org-{organisations - 1}")),
    }
    for name, call in peer.items():
        result, cpu, wall = timed(call)
        row[name] = (cpu, wall)
        if name.startswith("networkx betweenness"):
            row["networkx sample agrees"] = agreement(result, exact_by)
        print(f"  {organisations:,}: {name} {cpu:.1f} s CPU, {wall:.1f} s wall", flush=True)
    return row


def store_base(landscape: Any) -> str:
    any_org: str = next(iter(landscape.organisations))
    return any_org.rpartition("/")[0] + "/"


COMMANDS = ("network", "network degree", "network betweenness", "path", "export html", "export graphml", "export gexf",
            "export csv")


def main(sizes: list[int], cache: Path = CACHE, with_peer: bool = True) -> None:
    rows = [measure_size(size, cache, with_peer) for size in sizes]
    print()
    print("Each command cold (reads the store, keeps the landscape beside the build) and warm (loads it): "
          "seconds of CPU (wall).")
    print()
    print("| organisations | " + " | ".join(COMMANDS) + " |")
    print("|---:|" + "---:|" * len(COMMANDS))
    for r in rows:
        for run in ("cold", "warm"):
            cells = [f"{r[f'{c} {run}'][0]:.1f} ({r[f'{c} {run}'][1]:.1f})" for c in COMMANDS]
            print(f"| {r['organisations']:,} {run} | " + " | ".join(cells) + " |")
        print("| warm / cold (CPU) | " + " | ".join(f"{r[f'{c} warm'][0] / r[f'{c} cold'][0]:.2f}" for c in COMMANDS) + " |")
    for r in rows:
        print(f"{r['organisations']:,}: kept landscapes (bytes): {r['kept landscapes']}")
    if with_peer:
        print()
        print("| organisations | links | networkx PageRank + Louvain | networkx betweenness, 256 samples | igraph exact betweenness |")
        print("|---:|---:|---:|---:|---:|")
        for r in rows:
            def cell(name: str) -> str:
                cpu, wall = r[name]
                return f"{cpu:.1f} ({wall:.1f})"
            peer_cpu = r["networkx pagerank"][0] + r["networkx louvain"][0]
            peer_wall = r["networkx pagerank"][1] + r["networkx louvain"][1]
            print(f"| {r['organisations']:,} | {r['links']:,} | {peer_cpu:.1f} ({peer_wall:.1f}) "
                  f"| {cell('networkx betweenness (256 samples)')} | {cell('igraph exact betweenness')} |")
        print()
        for r in rows:
            print(f"{r['organisations']:,}: {r['betweenness note']}.")
            print(f"  our sample against the exact betweenness: {r['our sample agrees']}; networkx's 256 samples: "
                  f"{r['networkx sample agrees']}.")
    print(json.dumps([{k: v for k, v in r.items()} for r in rows]))


def child(root: str, folder: str, command: str, organisations: int) -> None:
    """One command of ``COMMANDS`` by the code at ``root`` (first on the path), in this fresh process."""
    import resource

    import pyoxigraph as ox

    from graph import api
    from graph.rdf.store import OxigraphStore

    if not Path(api.__file__).resolve().is_relative_to(Path(root).resolve()):
        raise SystemExit(f"imported {api.__file__}, not the code at {root}")
    store = OxigraphStore(ox.Store.read_only(folder), read_only=True, folder=Path(folder), union=False)
    out = Path(tempfile.mkdtemp(prefix="bench-network-turn-"))
    calls: dict[str, Callable[[], Any]] = {
        "network": lambda: api.rank(store), "network degree": lambda: api.rank(store, by="degree"),
        "network betweenness": lambda: api.rank(store, by="betweenness"),
        "path": lambda: api.connections(store, "org-10", f"org-{organisations - 1}")}
    for fmt in ("html", "graphml", "gexf", "csv"):
        calls[f"export {fmt}"] = (lambda f: lambda: api.export_network(store, f, out / f"n.{f}"))(fmt)
    result = calls[command]()
    shutil.rmtree(out, ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found: dict[str, Any] = {"cpu": usage.ru_utime + usage.ru_stime, "wall": time.perf_counter() - STARTED}
    if command == "network betweenness":
        found["note"] = next(note for note in result.notes if note.startswith("betweenness"))
    print(json.dumps(found))


def in_a_process(code: Path, folder: Path, command: str, organisations: int) -> dict[str, Any]:
    """``child`` in a fresh process, the code at ``code`` first on its path: its CPU and wall seconds."""
    import subprocess

    done = subprocess.run([sys.executable, __file__, "--child", str(code), str(folder), command, str(organisations)],
                          check=True, capture_output=True, text=True)
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def turns(organisations: int, cache: Path, other: Path, rounds: int, commands: list[str]) -> None:
    """Old (``other``) and new (this code) taking turns, each command in a fresh process, cold then warm."""
    if not (cache / str(organisations) / "store").exists():  # a store kept by another code is reused: both read the same one
        open_store(organisations, cache)
    codes = {"new": ROOT, "old": other.resolve()}
    folders = {}
    for i, name in enumerate(codes):
        folder = cache / str(organisations) / f"turns-{i}" / "store"
        if not folder.exists():
            shutil.copytree(cache / str(organisations) / "store", folder)
        folders[name] = folder
    print(f"| command | run | round | {' | '.join(f'{n}: CPU (wall)' for n in codes)} | new / old, CPU | load |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for run in ("cold", "warm"):
        for command in commands:
            for turn in range(1, rounds + 1):
                order = list(codes) if turn % 2 else list(reversed(codes))
                found: dict[str, dict[str, float]] = {}
                for name in order:
                    if run == "cold":
                        for kept in folders[name].glob("alliances.landscape-*.json"):
                            kept.unlink()
                    found[name] = in_a_process(codes[name], folders[name], command, organisations)
                cells = " | ".join(f"{found[n]['cpu']:.1f} ({found[n]['wall']:.1f})" for n in codes)
                print(f"| {command} | {run} | {turn} | {cells} | {found['new']['cpu'] / found['old']['cpu']:.2f} "
                      f"| {os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    import argparse

    if len(sys.argv) == 6 and sys.argv[1] == "--child":  # before anything imports graph: the other code first
        sys.path.insert(0, sys.argv[2])
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        raise SystemExit(0)

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 15000])
    parser.add_argument("--cache", type=Path, default=CACHE, help="keep the stores here (default: %(default)s)")
    parser.add_argument("--no-peer", action="store_true", help="time the commands only, not networkx and igraph")
    parser.add_argument("--turns", type=Path, metavar="ROOT",
                        help="each command in a fresh process, this code and the code at ROOT taking turns")
    parser.add_argument("--rounds", type=int, default=2, help="turns of each command with --turns")
    parser.add_argument("--commands", nargs="+", choices=COMMANDS, default=list(COMMANDS), metavar="COMMAND",
                        help="with --turns: which of %(choices)s")
    arguments = parser.parse_args()
    if arguments.turns:
        for size in arguments.sizes:
            turns(size, arguments.cache, arguments.turns, arguments.rounds, arguments.commands)
    else:
        main(arguments.sizes, arguments.cache, not arguments.no_peer)
