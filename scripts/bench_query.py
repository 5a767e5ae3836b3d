"""Benchmark: every named query and ``alliances show`` on synthetic landscapes of ~100,000 and
~1,000,000 triples (the generator of scripts/bench_build.py), against two peers on the same data:

- pyoxigraph: the same final SPARQL text (prefixes declared, parameters already resolved to IRIs)
  on the same store, without the project's code around it: what ours may cost at most is 1.2x this;
- rdflib: rdflib's own SPARQL engine on the same quads (default graph = union), the parameters bound
  as the remote store binds them (a VALUES block, graph.rdf.remote.prepared), stopped at a time cap
  (null in the JSON when it passed the cap, failed or was not run: ``--rdflib-cap 0``; the table says which).

Ours is what the CLI runs: ``run_named`` (name resolution included) and ``profile``. Each timing is
the best of ``--repeat`` runs, all rows read (a query under SAMPLE_S is timed over batches of calls,
after one untimed call each); ours is a call on an opened build that has resolved the name before
(graph/ask/resolve.py keeps it per read-only store). The machine is shared: compare ratios within one run.

    scripts/bench query [--triples 100000 1000000] [--format json] [--cache DIR] [--rdflib-cap 30]
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import make_data  # noqa: E402  (the one generator of synthetic landscapes)

KEYS = ("query", "triples", "ours_s", "pyoxigraph_s", "rdflib_s")  # of each JSON line (issue 13)
TRIPLES_PER_ALLIANCE = 24.7  # measured on make_data's landscapes (247,053 triples for 10,000 alliances)
BIGGEST_ORGANISATION = """
SELECT ?m WHERE { ?a al:participation/al:party ?m } GROUP BY ?m ORDER BY DESC(COUNT(?a)) ?m LIMIT 1"""
# A parameter value per parameter type, as a user would type it (ids, or names that resolve).
PARAMETER_VALUES = {"alliance": "deal-1", "material": "steel", "pathway": "hydrogen-dri", "status": "binding",
                    "person": "", "organisation": ""}


class Capped(Exception):
    """rdflib passed its time cap."""


@contextmanager
def time_cap(seconds: float) -> Iterator[None]:
    """Interrupt pure-Python work (rdflib's engine) after ``seconds`` with Capped."""
    def stop(signum: int, frame: FrameType | None) -> None:
        raise Capped()
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


SAMPLE_S = 0.05  # a sample of a sub-millisecond query is the mean of enough calls to last this long
BATCHED_SAMPLES = 9  # at least, of a query timed in batches (a second each): their ratios are of tens of µs


def best_of(repeat: int, *runs: Callable[[], object]) -> list[float]:
    """The best time of each run; the runs take turns, so that a burst of load from other
    processes on the shared machine weighs on each alike. A quick run is timed over a batch of
    calls (enough for SAMPLE_S), so that a sample of a 0.2 ms query is not one call's noise."""
    first: list[float] = []
    for run in runs:  # once each: the calls that fill a cache; a sample only where it is not batched
        started = time.perf_counter()
        run()
        first.append(time.perf_counter() - started)
    if max(first) >= SAMPLE_S:  # slow: a 0.1 ms cache filled in the first call is in its noise
        batch, times, rounds = 1, [[taken] for taken in first], repeat - 1
    else:
        batch, times, rounds = math.ceil(SAMPLE_S / max(min(first), 1e-6)), [[] for _ in runs], max(repeat, BATCHED_SAMPLES)
    for _ in range(rounds):
        for run, taken in zip(runs, times):
            started = time.perf_counter()
            for _ in range(batch):
                run()
            taken.append((time.perf_counter() - started) / batch)
    return [min(taken) for taken in times]


def built_store(folder: Path, alliances: int) -> Path:
    """Build (once: a folder from an earlier run with --cache is reused) and return the store path."""
    from graph.build.pipeline import build
    from graph.config import Settings

    store = folder / "store"
    if not (folder / "built").exists():
        if (folder / "data").exists():
            import shutil
            shutil.rmtree(folder / "data")
        make_data(folder / "data", alliances)
        build(Settings(data_dir=folder / "data", store_path=store))
        (folder / "built").write_text("ok\n", encoding="utf-8")
    return store


def measure(folder: Path, alliances: int, repeat: int, cap: float, only: list[str]) -> Iterator[dict[str, Any]]:
    """Runs in a child process per size, so that one size's memory does not weigh on the next."""
    import pyoxigraph as ox
    from rdflib import Dataset

    from graph.ask.profile import profile
    from graph.ask.query import bind, named_queries, run_named
    from graph.rdf.query_forms import select
    from graph.rdf.remote import prepared
    from graph.rdf.store import OxigraphStore

    store = OxigraphStore.open(built_store(folder, alliances))
    triples = int(next(iter(select(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    biggest = next(iter(select(store, BIGGEST_ORGANISATION)))["m"].value.rsplit("/", 1)[-1]
    values = {**PARAMETER_VALUES, "organisation": biggest}
    raw: ox.Store = store._store  # the same store, without the project's code around it
    union: bool = store._union
    dataset = Dataset(default_union=True)
    started = time.perf_counter()
    if cap > 0:
        with tempfile.TemporaryFile() as quads:
            store.export(quads, ox.RdfFormat.N_QUADS)
            quads.seek(0)
            dataset.parse(quads, format="nquads")
    rdflib_load_s = time.perf_counter() - started
    gc.freeze()  # rdflib's millions of objects: else each collection walks them during ours' and pyoxigraph's calls
    for name, query in named_queries().items():
        if only and name not in only:
            continue
        params = {p.name: values[p.type] for p in query.parameters if p.default is None}
        substitutions = bind(store, query, params)
        text = prepared(query.text, None)  # the final text: the project's prefixes declared
        oxi_subs = {ox.Variable(k): v for k, v in substitutions.items()}
        ours_s, oxi_s = best_of(repeat, lambda: list(run_named(store, name, params)),  # type: ignore[arg-type]
                                lambda: list(raw.query(text, substitutions=oxi_subs or None,  # type: ignore[arg-type]
                                                       use_default_graph_as_union=union)))
        rows = len(list(run_named(store, name, params)))  # type: ignore[arg-type]
        rdflib_text = prepared(query.text, substitutions)
        rdflib_s: float | None = None
        rdflib_rows: int | None = None
        if cap <= 0:
            outcome = "not run"
        else:
            try:
                with time_cap(cap):
                    started = time.perf_counter()
                    rdflib_rows = len(list(dataset.query(rdflib_text)))
                    rdflib_s = time.perf_counter() - started
                outcome = "answered"
            except Capped:
                outcome = ">cap"
            except Exception:  # noqa: BLE001  (a query rdflib cannot run counts as not answered)
                outcome = "failed"
        yield {"query": name, "triples": triples, "ours_s": round(ours_s, 5), "pyoxigraph_s": round(oxi_s, 5),
               "rdflib_s": None if rdflib_s is None else round(rdflib_s, 4), "rows": rows,
               "rdflib_rows": rdflib_rows, "rdflib": outcome, "params": params}
    if not only or "show" in only:
        organisation = values["organisation"]
        show_s, = best_of(repeat, lambda: profile(store, organisation))
        other = next(iter(select(store, BIGGEST_ORGANISATION.replace("DESC(", "("))))["m"].value.rsplit("/", 1)[-1]
        show_other_s, = best_of(repeat, lambda: profile(store, other))
        yield {"query": "show (organisation)", "triples": triples, "ours_s": round(max(show_s, show_other_s), 5),
               "pyoxigraph_s": None, "rdflib_s": None, "params": {"name": [organisation, other]}}
    yield {"query": "(rdflib load)", "triples": triples, "ours_s": None, "pyoxigraph_s": None,
           "rdflib_s": round(rdflib_load_s, 2) if cap > 0 else None, "rdflib": "answered" if cap > 0 else "not run",
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'query':32} {'triples':>9} {'ours s':>9} {'pyox s':>9} {'rdflib s':>9} {'ours/pyox':>9} {'rdflib/ours':>11}"]
    for row in rows:
        lines.append(f"{row['query']:32} {row['triples']:>9} {cell(row['ours_s']):>9} {cell(row['pyoxigraph_s']):>9} "
                     f"{cell(row['rdflib_s']) if row.get('rdflib', 'answered') == 'answered' else row['rdflib']:>9} "
                     f"{ratio(row['ours_s'], row['pyoxigraph_s']):>9} {ratio(row['rdflib_s'], row['ours_s']):>11}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=int, nargs="+", default=[100_000, 1_000_000], help="landscape sizes (about)")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--repeat", type=int, default=5, help="runs per query; the best counts")
    parser.add_argument("--rdflib-cap", type=float, default=30.0, help="seconds before rdflib's run is given up (0: rdflib is not run)")
    parser.add_argument("--cache", type=Path, help="keep the built landscapes here and reuse them in later runs")
    parser.add_argument("--queries", nargs="+", default=[], help="only these named queries ('show' for alliances show)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import warnings
        warnings.simplefilter("ignore")
        for row in measure(args.folder, args.child, args.repeat, args.rdflib_cap, args.queries):
            print(json.dumps(row, ensure_ascii=False), flush=True)
        return
    if args.format == "table":
        print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
              f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores (shared: compare ratios)")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.cache or Path(tmp)
        for size in args.triples:
            alliances = max(10, math.ceil(size / TRIPLES_PER_ALLIANCE))
            folder = root / f"landscape-{alliances}"
            folder.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, __file__, "--child", str(alliances), "--folder", str(folder),
                       "--repeat", str(args.repeat), "--rdflib-cap", str(args.rdflib_cap)]
            if args.queries:
                command += ["--queries", *args.queries]
            rows = []
            with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:  # its errors go to stderr
                assert child.stdout is not None
                for line in child.stdout:  # printed as measured: a run cut short keeps what it measured
                    row = json.loads(line)
                    rows.append(row)
                    if args.format == "json":
                        keys = KEYS if row["query"] in named_query_names() else tuple(row)
                        print(json.dumps({key: row[key] for key in keys}, ensure_ascii=False), flush=True)
            if child.returncode:
                sys.exit(f"scripts/bench_query.py: the measurement at {size} triples failed (exit {child.returncode}; see above)")
            if args.format == "table":
                print(table(rows), flush=True)


def named_query_names() -> set[str]:
    from graph.ask.query import named_queries
    return set(named_queries())


if __name__ == "__main__":
    main()
