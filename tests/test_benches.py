"""The benchmark scripts run and print what they promise, on tiny sizes, so that none breaks
unnoticed between the sessions that quote them (``scripts/bench network``'s page part did, when
``layout_positions`` changed its arguments). Their figures are not asserted: speed is measured by
running them at size (docs/benchmarks.md), never in a test."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.config import PROJECT_ROOT

from conftest import chromium_or_skip

SCRIPTS = PROJECT_ROOT / "scripts"


def _bench(script: str, *args: str, timeout: float = 600) -> str:
    """Run ``scripts/<script>`` with this checkout's code first on the path; its standard output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    done = subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=PROJECT_ROOT, check=False)
    assert done.returncode == 0, f"{script} {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_bench_build_prints_each_build_against_the_bulk_load() -> None:
    [row] = _json_lines(_bench("bench_build.py", "--alliances", "60"))
    assert row["alliances"] == 60 and row["triples"] > 1000
    for key in ("cold_s", "unchanged_s", "one_file_s", "many_files_s", "bulk_load_s"):
        assert row[key] > 0, key
    _is_ratio(row["cold_over_bulk_load"], row["cold_s"], row["bulk_load_s"], digits=1)
    _is_ratio(row["many_files_over_cold"], row["many_files_s"], row["cold_s"], digits=2)


def _is_ratio(ratio: float, top: float, bottom: float, digits: int) -> None:
    """``ratio`` is top / bottom rounded to ``digits``, where the bench printed top and bottom
    rounded to hundredths and divided the unrounded seconds."""
    half, step = 0.005, 0.5 * 10**-digits
    assert (top - half) / (bottom + half) - step <= ratio <= (top + half) / (bottom - half) + step, (ratio, top, bottom)


def test_bench_build_data_repeats_no_deal_at_any_size(tmp_path: Path) -> None:
    """The generator draws a deal again rather than repeat one (the build would refuse the data):
    at 176 alliances its first draws repeat one."""
    spec = importlib.util.spec_from_file_location("bench_build", SCRIPTS / "bench_build.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.make_data(tmp_path, 176)
    deals = set()
    for path in (tmp_path / "sources").glob("news-*.yaml"):
        for entry in path.read_text(encoding="utf-8").split("  - id: ")[1:]:
            parties = frozenset(line.split("organisation: ")[1].split(",")[0] for line in entry.splitlines() if "organisation: " in line)
            date = entry.split("signing: {date: ")[1].split("}")[0]
            deals.add((parties, date))
    assert len(deals) == 176


def test_bench_query_prints_one_json_line_per_query_with_the_issue_keys() -> None:
    rows = _json_lines(_bench("bench_query.py", "--triples", "5000", "--repeat", "1", "--rdflib-cap", "20",
                              "--queries", "partners-of", "agreements-by-year", "--format", "json"))
    by_query = {row["query"]: row for row in rows}
    assert {"partners-of", "agreements-by-year"} <= set(by_query)
    for name in ("partners-of", "agreements-by-year"):
        row = by_query[name]
        assert {"query", "triples", "ours_s", "pyoxigraph_s", "rdflib_s"} <= set(row)
        assert row["triples"] > 5000 / 2 and row["ours_s"] > 0 and row["pyoxigraph_s"] > 0
        assert row["rdflib_s"] is None or row["rdflib_s"] > 0


def test_bench_query_says_when_rdflib_was_not_run() -> None:
    """With --rdflib-cap 0 rdflib does not run: its column says so, not that it passed its cap."""
    output = _bench("bench_query.py", "--triples", "5000", "--repeat", "1", "--rdflib-cap", "0", "--queries", "partners-of")
    [line] = [line for line in output.splitlines() if line.startswith("partners-of ")]
    assert line.split()[4] == "not" and ">cap" not in output
    [load] = [line for line in output.splitlines() if line.startswith("(rdflib load)")]
    assert "not run" in load and "0.0000" not in load


def test_bench_network_times_the_commands_at_scale(tmp_path: Path) -> None:
    output = _bench("bench_network.py", "--no-page", "--scale-sizes", "200", "--cache", str(tmp_path))
    [row] = json.loads(output.strip().splitlines()[-1])
    assert row["organisations"] == 200
    for command in ("network", "path", "export html", "export graphml", "export gexf", "export csv"):
        for state in ("cold", "warm"):
            cpu, wall = row[f"{command} {state}"]
            assert cpu > 0 and wall > 0, (command, state)
    assert "igraph exact betweenness" in row and "of the top 10" in row["our sample agrees"]


def test_bench_network_draws_the_page_in_chromium() -> None:
    chromium_or_skip()
    output = _bench("bench_network.py", "--no-scale", "--no-peer", "--sizes", "60", "--runs", "1")
    [row] = [line for line in output.splitlines() if line.startswith("| 60 ")]
    drawn_ms, search_ms, usable_ms = (float(cell.replace(",", "")) for cell in row.split("|")[8:11])
    assert drawn_ms > 0 and search_ms > 0 and usable_ms >= drawn_ms
    assert "Target for 60 organisations: usable within 3 s" in output


def test_bench_endpoint_compares_ours_with_the_oxigraph_server() -> None:
    if shutil.which("wrk") is None:
        message = "wrk is not installed: apt-get install wrk (in CI, .ci/run installs it)."
        if os.environ.get("ALLIANCES_REQUIRE_INTEROP"):
            pytest.fail(message + " ALLIANCES_REQUIRE_INTEROP is set, so the server benchmarks must run.")
        pytest.skip(message)
    output = _bench("bench_endpoint.py", "--triples", "5000", "--duration", "1", "--rounds", "1", "--skip-timeout-run",
                    "--shared-duration", "1", "--no-doc")
    assert "Both servers gave the same answers to 30 of 30 sample queries" in output
    assert "Repeated light queries: ours" in output and "x Oxigraph's throughput (target ≥ 1.0x)" in output
    assert "| 14 light clients alone |" in output and "Crash loop: light p50" in output
