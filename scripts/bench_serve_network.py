"""Benchmark: ``serve``'s ``/network`` page and ``alliances stats`` on a built store of
``scripts/bench_network_scale.py`` (15,000 organisations: ``--cache DIR`` there keeps it in
DIR/15000/store), in CPU and wall seconds, with the load average.

- ``/network``: a server (``alliances serve``, a process of its own) started on the store; its first
  request (the landscape read, or loaded from the file kept beside the build), the same page again
  (kept in memory), and another filter (the landscape kept in memory, drawn again). Then a second
  server on the same build: its first request loads the file the first server kept. The CPU is the
  server process's own (its query workers are other processes and do no work here).
- ``alliances stats``: cold (no file kept beside the build) and warm, each a process of its own.

``--code ROOT`` runs another checkout's code (an older commit, to compare before and after); the
kept files are removed before each cold run, and the store is never changed otherwise.

    scripts/bench_serve_network.py --store DIR/15000/store [--code ROOT]
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "alliances.landscape-"  # graph.network.landscape_cache.PREFIX, of either checkout
PYTHON = str(ROOT / ".venv" / "bin" / "python")  # with the code of --code first on the path
TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of one process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def forget(build: Path) -> None:
    for kept in build.glob(f"{PREFIX}*"):
        kept.unlink()


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def serve_run(code: Path, link: Path, label: str, paths: list[str]) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(code)}
    server = subprocess.Popen([PYTHON, "-m", "graph", "--store", str(link), "serve",
                               "--port", str(port), "--workers", "1", "--no-access-log"], cwd=code, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            for _ in range(600):  # at most 60 s to start
                try:
                    if client.get("/sparql", params={"query": "ASK {}"}).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit(f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}")
            for path in paths:
                cpu, wall = process_cpu(server.pid), time.perf_counter()
                response = client.get(path)
                cpu, wall = process_cpu(server.pid) - cpu, time.perf_counter() - wall
                print(f"  {label}: GET {path} -> {response.status_code}, {len(response.content):,} bytes: "
                      f"{cpu:.1f} s CPU, {wall:.1f} s wall, {load()}", flush=True)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)


def stats_run(code: Path, link: Path, label: str) -> None:
    before, wall = os.times(), time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "graph", "--store", str(link), "stats",
                           "--format", "json"], cwd=code, env={**os.environ, "PYTHONPATH": str(code)},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    after, wall = os.times(), time.perf_counter() - wall
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    print(f"  {label}: exit {done.returncode}, {len(done.stdout):,} bytes: {cpu:.1f} s CPU, {wall:.1f} s wall, {load()}",
          flush=True)


def main(store: Path, code: Path, skip: set[str]) -> None:
    build = store.resolve()
    if not (build / "alliances.complete").exists():
        raise SystemExit(f"{build} is not a published build (no alliances.complete); build it with scripts/bench_network_scale.py")
    with tempfile.TemporaryDirectory(prefix="bench-serve-network-") as tmp:
        link = Path(tmp) / "store"
        link.symlink_to(build)  # the store link of a published build, to the bench's store
        print(f"code: {code}", flush=True)
        if "serve" not in skip:
            forget(build)
            serve_run(code, link, "first server", ["/network", "/network", "/network?material=steel"])
            serve_run(code, link, "second server", ["/network"])
        if "stats" not in skip:
            forget(build)
            stats_run(code, link, "stats (cold)")
            stats_run(code, link, "stats (warm)")
        forget(build)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="a store built by scripts/bench_network_scale.py")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code runs (default: this one)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["serve", "stats"])
    arguments = parser.parse_args()
    main(arguments.store, arguments.code.resolve(), set(arguments.skip))
