"""The endpoint shared among clients (the "shared" rows of ``scripts/bench endpoint``): light clients
beside runaway or crashing ones, each client on its own loopback address.

The server takes turns per client address (graph/serve/turns.py), and wrk sends every connection
from 127.0.0.1, one address. So these rows use their own load generator: asyncio connections bound
to distinct addresses of 127.0.0.0/8 (Linux routes all of it to the loopback interface, and the
server sees each as another client), one request in flight per client (closed loop, keep-alive),
POST ``application/sparql-query`` with ``Accept: application/sparql-results+json``. Its HTTP is
a few lines over asyncio streams rather than httpx, so that the client takes little of the CPU the
server needs: on 2 cores, every microsecond of the client is one the server does not get.

Scenarios, each on a freshly started server with the default turns (one query at a time per client,
8 waiting):
- **quiet**: 14 light clients alone;
- **runaway**: as many runaway clients as workers, each sending the pathological query again as
  soon as it is answered (503 at the deadline), plus the 14 light clients;
- **crash loop**: 2 clients sending queries that used to crash a worker (3,000 nested braces, then
  10,000 nested parentheses, in turn) again as soon as each is answered, plus the 14 light clients.

Targets (issue 8): runaway, every light request succeeds with a p99 under 150 ms; crash loop, the
light p50 within twice the quiet p50.
"""
from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
LIGHT_CLIENTS = 14
CRASHING_CLIENTS = 2
REQUEST_TIMEOUT_S = 60.0  # beyond any deadline of the server: a light request that waits this long failed
CRASHING = ("SELECT * WHERE " + "{" * 3000 + "}" * 3000,
            "SELECT * WHERE { FILTER(" + "(" * 10000 + "1" + ")" * 10000 + ") }")
P99_TARGET_MS = 150.0
P50_FACTOR_TARGET = 2.0
_PAGE = os.sysconf("SC_PAGE_SIZE")


def address(number: int) -> str:
    """The loopback address of client ``number`` (127.0.0.1 is left to wrk and the checks)."""
    return f"127.0.0.{10 + number}"


def request(port: int, text: str) -> bytes:
    body = text.encode()
    return (f"POST /sparql HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/sparql-query\r\n"
            f"Accept: application/sparql-results+json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


class Client:
    """One keep-alive HTTP/1.1 connection from its own address; reconnects when the server closes it."""

    def __init__(self, local: str, port: int) -> None:
        self.local, self.port = local, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, data: bytes) -> int:
        """The status of the answer to ``data``, after its whole body has arrived."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port, local_addr=(self.local, 0))
        try:
            status, keep = await asyncio.wait_for(self._exchange(data), REQUEST_TIMEOUT_S)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return status

    async def _exchange(self, data: bytes) -> tuple[int, bool]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(data)
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:] if line)}
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        else:
            await self.reader.read()
            return status, False
        return status, headers.get("connection", "").lower() != "close"

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    """What one group of clients got: statuses, latencies of the answers, and failures (no answer)."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + sum(self.failures.values())

    @property
    def succeeded(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def summary(self) -> str:
        parts = [f"{status} ×{count:,}" for status, count in sorted(self.statuses.items())]
        parts += [f"{name} ×{count:,}" for name, count in sorted(self.failures.items())]
        return ", ".join(parts) or "none"


async def _light(client: Client, requests: list[bytes], first: int, until: float, tally: Tally) -> None:
    loop = asyncio.get_running_loop()
    number = first
    while loop.time() < until:
        data = requests[number % len(requests)]
        number += 1
        sent = time.perf_counter()
        try:
            status = await client.send(data)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            tally.failures[type(error).__name__] += 1
            await asyncio.sleep(0.05)  # not a tight loop against a server that refuses connections
            continue
        tally.latencies_ms.append((time.perf_counter() - sent) * 1000)
        tally.statuses[status] += 1


async def _loud(client: Client, requests: list[bytes], until: float, tally: Tally) -> None:
    """Send again as soon as answered, until ``until`` (the request then in flight is abandoned)."""
    loop = asyncio.get_running_loop()
    number = 0
    while loop.time() < until:
        try:
            status = await client.send(requests[number % len(requests)])
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            tally.failures[type(error).__name__] += 1
            await asyncio.sleep(0.05)
            continue
        number += 1
        tally.statuses[status] += 1


async def _load(port: int, light_texts: list[str], loud_texts: list[str], loud_clients: int, seconds: float,
                lead_s: float) -> tuple[Tally, Tally]:
    """``loud_clients`` clients sending ``loud_texts`` start first, the light clients ``lead_s`` later;
    both run until ``seconds`` after the light clients started."""
    loop = asyncio.get_running_loop()
    light_requests = [request(port, text) for text in light_texts]
    loud_requests = [request(port, text) for text in loud_texts]
    light, loud = Tally(), Tally()
    clients = [Client(address(n), port) for n in range(LIGHT_CLIENTS + loud_clients)]
    until = loop.time() + lead_s + seconds
    loud_tasks = [asyncio.create_task(_loud(client, loud_requests, until, loud)) for client in clients[LIGHT_CLIENTS:]]
    await asyncio.sleep(lead_s if loud_tasks else 0)  # the loud queries are under way before the light ones
    await asyncio.gather(*(_light(client, light_requests, 37 * n, until, light) for n, client in enumerate(clients[:LIGHT_CLIENTS])))
    for task in loud_tasks:  # the query in flight is left to the server's deadline, or its shutdown
        task.cancel()
    await asyncio.gather(*loud_tasks, return_exceptions=True)
    for client in clients:
        client.close()
    return light, loud


class SessionSampler:
    """Samples the processes of the server's session every 100 ms: how many query workers there are,
    and the anonymous resident memory of all (server and workers) together (file pages of the store,
    shared by every worker, are not counted), keeping the peaks."""

    def __init__(self, leader: int) -> None:
        self.leader, self.peak_processes, self.peak_anon = leader, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SessionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            processes, anon = 0, 0
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) != self.leader:
                        continue
                    fields = (entry / "statm").read_text().split()
                    worker = b"spawn_main" in (entry / "cmdline").read_bytes()  # not the server, nor multiprocessing's
                except (OSError, IndexError, ValueError):                       # resource tracker
                    continue
                processes += worker
                anon += (int(fields[1]) - int(fields[2])) * _PAGE
            self.peak_processes, self.peak_anon = max(self.peak_processes, processes), max(self.peak_anon, anon)


@dataclass
class SharedRow:
    condition: str
    light: Tally
    loud: Tally | None
    peak_workers: int
    peak_anon_bytes: int


SCENARIOS = ("quiet", "runaway", "crash loop")


def measure(scenario: str, port: int, leader: int, light_texts: list[str], pathological: str, workers: int,
            seconds: float, warmup_s: float = 3.0) -> SharedRow:
    """Run one scenario against a server (already answering) on ``port`` whose process is ``leader``."""
    asyncio.run(_load(port, light_texts, [], 0, warmup_s, 0))  # the workers have answered light queries before
    if scenario == "quiet":
        loud_texts, loud_clients, condition = [], 0, f"{LIGHT_CLIENTS} light clients alone"
    elif scenario == "runaway":
        loud_texts, loud_clients = [pathological], workers
        condition = f"{LIGHT_CLIENTS} light clients + {workers} runaway clients (as many as workers)"
    else:
        loud_texts, loud_clients = list(CRASHING), CRASHING_CLIENTS
        condition = f"{LIGHT_CLIENTS} light clients + {CRASHING_CLIENTS} clients sending queries that crashed workers"
    with SessionSampler(leader) as sampler:
        light, loud = asyncio.run(_load(port, light_texts, loud_texts, loud_clients, seconds, 0.5))
    return SharedRow(condition, light, loud if loud_clients else None, sampler.peak_processes, sampler.peak_anon)


SHARED_HEADER = ("| condition | light requests | succeeded | p50 | p99 | max | the other clients' answers "
                 "| worker processes (peak) | anonymous memory, all processes (peak) |\n"
                 "|---|---:|---:|---:|---:|---:|---|---:|---:|")


def row_md(row: SharedRow) -> str:
    light = row.light
    share = light.succeeded / light.sent if light.sent else 0.0
    others = row.loud.summary() if row.loud else "–"
    return (f"| {row.condition} | {light.sent:,} | {share:.2%} | {light.percentile(50):.1f} ms | "
            f"{light.percentile(99):.1f} ms | {max(light.latencies_ms, default=float('nan')):,.0f} ms | {others} | "
            f"{row.peak_workers} | {row.peak_anon_bytes / 2**30:.1f} GiB |")


def verdict(rows: list[SharedRow]) -> list[str]:
    by_name = dict(zip(SCENARIOS, rows))
    lines = []
    runaway, quiet, crash = by_name.get("runaway"), by_name.get("quiet"), by_name.get("crash loop")
    if runaway:
        light = runaway.light
        ok = light.succeeded == light.sent and light.percentile(99) < P99_TARGET_MS
        lines.append(f"- Runaway clients as many as workers: {light.succeeded:,} of {light.sent:,} light requests succeeded, "
                     f"p99 {light.percentile(99):.0f} ms (target 100 % and < {P99_TARGET_MS:.0f} ms): "
                     f"{'met' if ok else 'NOT met'}.")
    if quiet and crash:
        factor = crash.light.percentile(50) / quiet.light.percentile(50)
        lines.append(f"- Crash loop: light p50 {crash.light.percentile(50):.1f} ms against {quiet.light.percentile(50):.1f} ms "
                     f"quiet, {factor:.2f}x (target ≤ {P50_FACTOR_TARGET:g}x): {'met' if factor <= P50_FACTOR_TARGET else 'NOT met'}; "
                     f"{crash.light.succeeded:,} of {crash.light.sent:,} light requests succeeded.")
    return lines


def check_loopback() -> None:
    """Fail early, saying what to do, where 127.0.0.x addresses cannot be bound (not Linux)."""
    try:
        with socket.socket() as probe:
            probe.bind((address(0), 0))
    except OSError as error:
        raise SystemExit(f"cannot bind {address(0)} ({error.strerror}): the shared rows need Linux's 127.0.0.0/8 "
                         "loopback; run with --skip-shared") from None
