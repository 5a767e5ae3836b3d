"""Benchmark: the SPARQL endpoint (``alliances serve``) and Oxigraph's own server, side by side.

A synthetic graph of about one million triples in the project's vocabulary (organisations with
labels in English and Chinese, alliances with participations, parties and roles, derived
al:partner links, source metadata) in about 2,000 named graphs is generated with a fixed seed into
an Oxigraph store. The same store is then served by
- ours: ``alliances --store S serve --port P --workers 4 --deadline 10 --no-access-log
  --client-workers 4 --client-queue 1000`` (wrk's connections all come from 127.0.0.1, one client
  address, which by default runs one query at a time: these rows measure the overhead per request);
- the peer: ``oxigraph serve-read-only --location S --bind 127.0.0.1:P --union-default-graph``
  (the same union default graph as ours, so every query has the same answer; checked first),
  and once more with ``--timeout-s 10``, Oxigraph's own query timeout.

wrk drives one server at a time with 16 connections (keep-alive, closed loop) for a fixed time
(for the rows "alone", in interleaved rounds, so that other load on a shared machine falls on both
servers alike): POST ``application/sparql-query`` with ``Accept: application/sparql-results+json``, cycling through a
fixed mix of light, bounded queries (an organisation's labels by IRI, a one-hop partner lookup
with LIMIT, an ASK), repeated (ours answers them from its result cache after the warm-up) and
unique (each text ends with a comment holding a nonce, so none can come from a cache). It reports
requests/s, p50 and p99 latency and errors (socket errors,
timeouts over 10 s and non-2xx answers), first alone, then while one pathological query (a
three-way cartesian COUNT) is kept in flight by another client: when it is answered, it is sent
again. Every answer to the pathological query is checked (status, complete JSON). The CPU time the
server's processes used during each row, divided by the requests answered, shows where the time
goes (for ours: the main process, and the query workers).

Targets: on repeated light queries ours at least Oxigraph's throughput (1.0x); unique ones are
reported (against the earlier 0.8x); p99 under 150 ms while the pathological query runs; zero errors.

Then the "shared" rows (scripts/bench_sharing.py), ours alone with its default turns per client:
14 light clients, each on its own loopback address, quiet, then beside as many runaway clients as
workers, then beside 2 clients in a crash loop. Targets: with the runaway clients, every light
request succeeds with a p99 under 150 ms; in the crash loop, the light p50 within twice the quiet one.

    scripts/bench_endpoint.py [--triples 1000000] [--duration 20] [--connections 16] [--workers 4]
                              [--rounds 2] [--store DIR (reuse or create)] [--doc docs/endpoint-benchmark.md | --no-doc]
                              [--shared-workers N] [--shared-duration 30] [--skip-shared | --only-shared]
                              [--alliances 'COMMAND' (another checkout's server)]

Needs wrk (Debian: apt-get install wrk) and the ``oxigraph`` server (pip install oxigraph), except
with --only-shared. Everything listens on 127.0.0.1 only, and every load loop ends at its row's time.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import pyoxigraph as ox

import bench_sharing as sharing
from graph.config import DEFAULT_BASE, ONTOLOGY_NS, TAXONOMY_NS
from graph.serve.context import default_workers

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEADLINE_S = 10.0
WARMUP_S = 3
WRK_THREADS = 2
WRK_TIMEOUT_S = 10
SEED = 7
GRAPHS = 2000

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
AL = ONTOLOGY_NS
ID = DEFAULT_BASE
PREFIXES = (f"PREFIX al: <{AL}>\nPREFIX skos: <{SKOS}>\nPREFIX org: <{ORG}>\n")
ROLES = ["buyer", "supplier", "participant", "technology-provider", "convener"]
MATERIALS = ["green-steel", "low-carbon-automotive-steel", "recycled-aluminium", "green-electrolytic-aluminium", "nickel"]
PATHWAYS = ["hydrogen-dri", "electric-arc-furnace-scrap", "renewable-electricity", "closed-loop-recycling"]
SECTORS = ["steel", "automotive", "aluminium", "battery-materials", "plant-engineering"]
TYPES = ["memorandum-of-understanding", "supply-agreement", "joint-venture", "programme", "coalition"]
PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


# ------------------------------------------------------------------ the synthetic graph

@dataclass
class Landscape:
    triples: int
    graphs: int
    organisations: int
    alliances: int
    participations: int
    seconds: float


def _generate_quads(target: int, seed: int, counts: dict[str, int]) -> Iterator[ox.Quad]:
    """Organisations (profile in one source graph, restated in every source naming them),
    alliances with 2-6 participations (parties skewed: a few hubs, a long tail), and the
    derived symmetric al:partner links in their own graph."""
    rng = random.Random(seed)
    n_orgs, n_alliances = max(20, target // 50), max(10, target // 55)
    counts.update(organisations=n_orgs, alliances=n_alliances, participations=0)
    nn = ox.NamedNode
    p = {name: nn(iri) for name, iri in {
        "type": RDF + "type", "pref": SKOS + "prefLabel", "alt": SKOS + "altLabel", "hidden": SKOS + "hiddenLabel",
        "sector": AL + "sector", "country": SCHEMA + "addressCountry", "quote": AL + "quote",
        "participation": AL + "participation", "party": AL + "party", "role": AL + "role", "partner": AL + "partner",
        "alliance_type": AL + "allianceType", "material": AL + "material", "pathway": AL + "pathway", "goal": AL + "goal",
        "url": SCHEMA + "url", "title": DCTERMS + "title", "publisher": SCHEMA + "publisher",
        "language": SCHEMA + "inLanguage"}.items()}
    c = {name: nn(iri) for name, iri in {
        "organisation": ORG + "Organization", "company": AL + "Company", "alliance": AL + "Alliance",
        "agreement": AL + "Agreement", "participation": AL + "Participation", "article": SCHEMA + "NewsArticle"}.items()}
    tax = {f"{scheme}/{name}": nn(f"{TAXONOMY_NS}{scheme}/{name}") for scheme, names in
           (("role", ROLES), ("material", MATERIALS), ("pathway", PATHWAYS), ("sector", SECTORS), ("alliance-type", TYPES))
           for name in names}
    sources = [nn(f"{ID}source/synthetic-{i:04d}") for i in range(GRAPHS)]
    orgs = [nn(f"{ID}organisation/org-{i}") for i in range(n_orgs)]
    lit, en, zh = ox.Literal, "en", "zh"

    for index, graph in enumerate(sources):
        yield from (ox.Quad(graph, p["type"], c["article"], graph),
                    ox.Quad(graph, p["url"], lit(f"https://news.example/{index}"), graph),
                    ox.Quad(graph, p["title"], lit(f"Synthetic report {index}", language=en), graph),
                    ox.Quad(graph, p["publisher"], lit(f"Publisher {index % 97}"), graph),
                    ox.Quad(graph, p["language"], lit("zh" if index % 3 else "en"), graph))
    for i, org in enumerate(orgs):
        graph = sources[i % GRAPHS]
        yield from (ox.Quad(org, p["type"], c["organisation"], graph), ox.Quad(org, p["type"], c["company"], graph),
                    ox.Quad(org, p["pref"], lit(f"Org {i} Steel", language=en), graph),
                    ox.Quad(org, p["pref"], lit(f"组织{i}钢铁", language=zh), graph),
                    ox.Quad(org, p["alt"], lit(f"O{i}", language=en), graph),
                    ox.Quad(org, p["hidden"], lit(f"org{i}steel"), graph),
                    ox.Quad(org, p["hidden"], lit(f"组织{i}"), graph),
                    ox.Quad(org, p["sector"], tax[f"sector/{SECTORS[i % len(SECTORS)]}"], graph),
                    ox.Quad(org, p["country"], lit("CN" if i % 4 else "DE"), graph),
                    ox.Quad(org, p["quote"], lit(f"Org {i} is a company in the synthetic landscape.", language=en), graph))
    partners: set[tuple[int, int]] = set()
    derived = nn(f"{ID}graph/derived")
    for a in range(n_alliances):
        graph = sources[rng.randrange(GRAPHS)]
        alliance = nn(f"{ID}alliance/alliance-{a}")
        parties: set[int] = set()
        while len(parties) < rng.randint(2, 6):
            parties.add(int(n_orgs * rng.random() ** 2))  # skewed: low numbers are hubs
        yield from (ox.Quad(alliance, p["type"], c["alliance"], graph), ox.Quad(alliance, p["type"], c["agreement"], graph),
                    ox.Quad(alliance, p["pref"], lit(f"Alliance {a} on green materials", language=en), graph),
                    ox.Quad(alliance, p["pref"], lit(f"绿色材料联盟{a}", language=zh), graph),
                    ox.Quad(alliance, p["hidden"], lit(f"alliance{a}"), graph),
                    ox.Quad(alliance, p["alliance_type"], tax[f"alliance-type/{rng.choice(TYPES)}"], graph),
                    ox.Quad(alliance, p["material"], tax[f"material/{rng.choice(MATERIALS)}"], graph),
                    ox.Quad(alliance, p["pathway"], tax[f"pathway/{rng.choice(PATHWAYS)}"], graph),
                    ox.Quad(alliance, p["goal"], lit(f"Cut the carbon of product line {a}", language=en), graph),
                    ox.Quad(alliance, p["quote"], lit(f"The parties signed agreement {a}.", language=en), graph))
        for party in sorted(parties):
            participation = nn(f"{ID}alliance/alliance-{a}/party/org-{party}")
            org = orgs[party]
            counts["participations"] += 1
            yield from (ox.Quad(alliance, p["participation"], participation, graph),
                        ox.Quad(participation, p["type"], c["participation"], graph),
                        ox.Quad(participation, p["party"], org, graph),
                        ox.Quad(participation, p["role"], tax[f"role/{rng.choice(ROLES)}"], graph),
                        ox.Quad(org, p["type"], c["organisation"], graph),  # the source names the party
                        ox.Quad(org, p["pref"], lit(f"Org {party} Steel", language=en), graph),
                        ox.Quad(org, p["hidden"], lit(f"org{party}steel"), graph))
            partners.update((party, other) for other in parties if other != party)
    for left, right in sorted(partners):
        yield ox.Quad(orgs[left], p["partner"], orgs[right], derived)


def generate(store_path: Path, target: int, seed: int = SEED) -> Landscape:
    started = time.perf_counter()
    store = ox.Store(str(store_path))
    counts: dict[str, int] = {}
    store.bulk_extend(_generate_quads(target, seed, counts))
    store.flush()
    store.optimize()
    triples = len(store)
    graphs = sum(1 for _ in store.named_graphs())
    del store
    gc.collect()  # pyoxigraph releases the database with the last handle
    return Landscape(triples, graphs, counts["organisations"], counts["alliances"], counts["participations"],
                     time.perf_counter() - started)


def _count(store: ox.Store, kind: str) -> int:
    query = f"SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a <{kind}> }}"
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return int(next(iter(result))[0].value)


def describe_store(store_path: Path) -> Landscape:
    store = ox.Store.read_only(str(store_path))
    landscape = Landscape(len(store), sum(1 for _ in store.named_graphs()), _count(store, ORG + "Organization"),
                          _count(store, AL + "Alliance"), _count(store, AL + "Participation"), 0.0)
    del store
    gc.collect()
    return landscape


# ------------------------------------------------------------------ the light queries

def light_queries(landscape: Landscape, count: int = 300, seed: int = SEED) -> list[tuple[str, str]]:
    """(kind, query) pairs: labels by IRI, a one-hop partner lookup with LIMIT, an ASK."""
    rng = random.Random(seed + 1)
    queries = []
    for i in range(count):
        org = f"<{ID}organisation/org-{rng.randrange(landscape.organisations)}>"
        kind = ("labels", "partners", "ask")[i % 3]
        if kind == "labels":
            text = f"{PREFIXES}SELECT ?label WHERE {{ {org} skos:prefLabel ?label }}"
        elif kind == "partners":
            text = (f"{PREFIXES}SELECT DISTINCT ?partner WHERE {{ ?p al:party {org} . ?alliance al:participation ?p ; "
                    f"al:participation/al:party ?partner . FILTER(?partner != {org}) }} LIMIT 50")
        else:
            alliance = f"<{ID}alliance/alliance-{rng.randrange(landscape.alliances)}>"
            text = f"{PREFIXES}ASK {{ {alliance} al:participation/al:party {org} }}"
        queries.append((kind, text))
    return queries


def answers_of(url: str, queries: list[tuple[str, str]]) -> list[object]:
    """Each answer as a comparable value (a boolean, or a sorted list of rows)."""
    out = []
    with httpx.Client(timeout=60) as client:
        for _, query in queries:
            response = client.post(url, content=query.encode(), headers={
                "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
            response.raise_for_status()
            document = response.json()
            if "boolean" in document:
                out.append(document["boolean"])
            else:
                out.append(sorted(json.dumps(row, sort_keys=True) for row in document["results"]["bindings"]))
    return out


# ------------------------------------------------------------------ servers

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/sparql" if self.name.startswith("ours") else f"http://{HOST}:{self.port}/query"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@contextlib.contextmanager
def running(server: Server, workdir: Path) -> Iterator[Server]:
    server.log = workdir / f"{server.name}.log"
    with server.log.open("wb") as log:
        server.process = subprocess.Popen(server.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(timeout=5) as client:
            while True:
                if not server.alive():
                    raise RuntimeError(f"{server.name} exited at start:\n{server.log.read_text()[-2000:]}")
                try:
                    if client.get(server.url, params={"query": "ASK {}"}).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{server.name} did not answer within 90 s")
                time.sleep(0.1)
        yield server
    finally:
        stop(server)


def stop(server: Server) -> None:
    if server.process is None or server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)  # the server and its own worker processes
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)


def ours(store: Path, workers: int, port: int, command: list[str] | None = None, one_client: bool = True) -> Server:
    """``alliances serve`` (``command``: another checkout's, e.g. [".../.venv/bin/alliances"]). With
    ``one_client``, wrk's single address may run a query on every worker; otherwise the default turns."""
    alliances = Path(sys.executable).with_name("alliances")
    base = command or ([str(alliances)] if alliances.exists() else [sys.executable, "-c", "from graph.cli import main; main()"])
    turns = ["--client-workers", str(workers), "--client-queue", "1000"] if one_client else []
    return Server(f"ours-{workers}w", [*base, "--store", str(store), "serve", "--host", HOST, "--port", str(port),
                                       "--workers", str(workers), "--deadline", f"{DEADLINE_S:g}", "--no-access-log",
                                       *turns], port)


def oxigraph(store: Path, port: int, timeout_s: float | None) -> Server:
    executable = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    command = [executable, "serve-read-only", "--location", str(store), "--bind", f"{HOST}:{port}", "--union-default-graph"]
    name = "oxigraph"
    if timeout_s is not None:
        command += ["--timeout-s", f"{timeout_s:g}"]
        name = f"oxigraph-timeout{timeout_s:g}"
    return Server(name, command, port)


# ------------------------------------------------------------------ load

LUA = r"""
local queries = { %(queries)s }
local headers = { ["Content-Type"] = "application/sparql-query", ["Accept"] = "application/sparql-results+json" }
local counter = 1
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("offset", thread_id * 37)
  table.insert(threads, thread)
end

function init(args)
  counter = offset
  nonce = os.getenv("BENCH_NONCE") or "0"
end

function request()
  counter = counter + 1
  return wrk.format("POST", "%(path)s", headers, queries[(counter %% #queries) + 1]%(tail)s)
end

function done(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "mean_us": %%.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def lua_script(path: Path, url_path: str, queries: list[tuple[str, str]], unique: bool = False) -> Path:
    """wrk's script: the mix in turn; ``unique``: each request's text made unique by a comment
    (the run's nonce, the thread, a counter), so that no answer can come from a cache."""
    quoted = ",\n".join(f"[==[{text}]==]" for _, text in queries)
    tail = ' .. " # " .. nonce .. "-" .. offset .. "-" .. counter' if unique else ""
    path.write_text(LUA % {"queries": quoted, "path": url_path, "tail": tail})
    return path


@dataclass
class Load:
    seconds: float
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    error_detail: dict[str, int]
    cpu_main_s: float = 0.0  # CPU time of the server's main process during the load
    cpu_rest_s: float = 0.0  # ... and of its other processes (our query workers)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return sum(self.error_detail.values())

    def cpu_us_per_request(self) -> tuple[float, float]:
        return (self.cpu_main_s / self.requests * 1e6, self.cpu_rest_s / self.requests * 1e6) if self.requests else (0, 0)

    @staticmethod
    def combine(rounds: list[Load]) -> Load:
        """Rounds of the same condition: totals; the median p50 and the worst p99 and max."""
        p50 = sorted(r.p50_ms for r in rounds)[len(rounds) // 2]
        detail: dict[str, int] = {}
        for r in rounds:
            for key, value in r.error_detail.items():
                detail[key] = detail.get(key, 0) + value
        return Load(sum(r.seconds for r in rounds), sum(r.requests for r in rounds), p50, max(r.p99_ms for r in rounds),
                    max(r.max_ms for r in rounds), detail, sum(r.cpu_main_s for r in rounds),
                    sum(r.cpu_rest_s for r in rounds))


def session_cpu(leader: int) -> tuple[float, float]:
    """CPU seconds (user + system) of a process and of the other live processes of its session."""
    tick = os.sysconf("SC_CLK_TCK")
    main = rest = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) != leader:  # field 6 of stat: the session id
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) == leader:
            main += seconds
        else:
            rest += seconds
    return main, rest


def wrk(server: Server, script: Path, seconds: int, connections: int) -> Load:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", f"{WRK_TIMEOUT_S}s",
               "-s", str(script), f"http://{HOST}:{server.port}"]
    before = session_cpu(server.process.pid) if server.process else (0.0, 0.0)
    nonce = {**os.environ, "BENCH_NONCE": f"{random.getrandbits(48):x}"}  # unique texts: new in every run
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True, env=nonce)
    after = session_cpu(server.process.pid) if server.process else (0.0, 0.0)
    match = re.search(r"WRK_JSON (\{.*\})", completed.stdout)
    if match is None:
        raise RuntimeError(f"no summary from wrk:\n{completed.stdout}\n{completed.stderr}")
    s = json.loads(match.group(1))
    detail = {key: s[key] for key in ("connect", "read", "write", "status", "timeout") if s[key]}
    return Load(s["duration_us"] / 1e6, s["requests"], s["p50_us"] / 1000, s["p99_us"] / 1000, s["max_us"] / 1000,
                detail, after[0] - before[0], after[1] - before[1])


@dataclass
class Pathological:
    """One pathological query kept in flight: every answer it got."""

    answers: list[tuple[int | str, float, str]] = field(default_factory=list)  # (status, seconds, note)

    def summary(self) -> str:
        if not self.answers:
            return "still running at the end"
        return "; ".join(f"{status} after {seconds:.1f} s" + (f" ({note})" if note else "")
                         for status, seconds, note in self.answers)


@contextlib.contextmanager
def pathological_in_flight(url: str, window_s: float) -> Iterator[Pathological]:
    """Keep PATHOLOGICAL in flight (sent again when answered) while the block runs."""
    record = Pathological()
    stop_event = threading.Event()

    def loop() -> None:
        with httpx.Client(timeout=httpx.Timeout(window_s + 30, connect=5)) as client:
            while not stop_event.is_set():
                sent = time.monotonic()
                try:
                    response = client.post(url, content=PATHOLOGICAL.encode(), headers={
                        "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
                except httpx.HTTPError as error:
                    if not stop_event.is_set():
                        record.answers.append((type(error).__name__, time.monotonic() - sent, "no answer"))
                    return
                note = ""
                if response.status_code == 200:
                    try:
                        note = f"COUNT = {response.json()['results']['bindings'][0]['n']['value']}"
                    except (ValueError, KeyError, IndexError):
                        note = f"incomplete JSON, {len(response.content)} bytes"
                elif response.text.strip():
                    note = response.text.strip().splitlines()[0].split(";")[0][:60]
                record.answers.append((response.status_code, time.monotonic() - sent, note))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    time.sleep(0.5)  # the query is under way before the load starts
    try:
        yield record
    finally:
        stop_event.set()  # an unanswered query is left to the server's deadline or shutdown


# ------------------------------------------------------------------ the run

@dataclass
class Row:
    server: str
    condition: str
    load: Load
    pathological: str = ""
    alive_after: bool = True


def measure_alone(servers: list[tuple[Server, Path]], args: argparse.Namespace,
                  condition: str = "light queries alone") -> list[Row]:
    """Light queries alone, in interleaved rounds (A B A B ...), so that other load on the
    machine falls on both servers alike; each server gets ``duration`` seconds in total."""
    rounds = max(1, args.rounds)
    per_round = max(1, round(args.duration / rounds))
    warmups = {server.name: wrk(server, script, WARMUP_S, args.connections) for server, script in servers}
    loads: dict[str, list[Load]] = {server.name: [] for server, _ in servers}
    for _ in range(rounds):
        for server, script in servers:
            if server.alive():
                loads[server.name].append(wrk(server, script, per_round, args.connections))
    rows = [Row(server.name, condition, Load.combine(loads[server.name]), alive_after=server.alive())
            if loads[server.name] else  # it died in the warm-up: show that
            Row(server.name, f"light queries, {WARMUP_S} s warm-up", warmups[server.name], alive_after=server.alive())
            for server, _ in servers]
    for row in rows:
        print(_row_md(row), flush=True)
    return rows


def measure_pathological(server: Server, script: Path, args: argparse.Namespace) -> Row:
    with pathological_in_flight(server.url, args.duration) as record:
        load = wrk(server, script, args.duration, args.connections)
    row = Row(server.name, "with a pathological query in flight", load, record.summary(), server.alive())
    print(_row_md(row), flush=True)
    return row


def machine() -> dict[str, str]:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        meminfo = Path("/proc/meminfo").read_text()
        total, available = (int(meminfo.split(f"{key}:")[1].split()[0]) / 1024 / 1024 for key in ("MemTotal", "MemAvailable"))
        memory = f"{total:.1f} GiB RAM ({available:.1f} GiB available at the start)"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("[")[0].strip()
    ox_bin = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    ox_version = subprocess.run([ox_bin, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    import starlette
    import uvicorn
    return {"cpu": model, "cores": str(os.cpu_count()), "memory": memory,
            "os": f"{platform.system()} {platform.machine()} {platform.release()}",
            "python": f"CPython {platform.python_version()}", "pyoxigraph": ox.__version__, "uvicorn": uvicorn.__version__,
            "starlette": starlette.__version__, "oxigraph": ox_version, "wrk": wrk_version, "date": time.strftime("%Y-%m-%d")}


def machine_line(info: dict[str, str]) -> str:
    return (f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}, {info['os']}, {info['python']}, "
            f"pyoxigraph {info['pyoxigraph']}, uvicorn {info['uvicorn']}, starlette {info['starlette']}, "
            f"{info['oxigraph']}, {info['wrk']}; measured on {info['date']}.")


def load_average() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


HEADER = ("| server | condition | requests/s | p50 | p99 | max | errors | CPU per request (main + workers) "
          "| pathological query: answers |\n|---|---|---:|---:|---:|---:|---:|---:|---|")


def _row_md(row: Row) -> str:
    load = row.load
    errors = f"{load.errors:,}" + (f" ({', '.join(f'{k} {v:,}' for k, v in load.error_detail.items())})"
                                   if load.errors else "")
    main_us, rest_us = load.cpu_us_per_request()
    cpu = f"{main_us + rest_us:,.0f} µs" + (f" ({main_us:,.0f} + {rest_us:,.0f})" if rest_us >= 1 else "")
    if row.pathological:  # killed workers take their CPU time with them; the query's own CPU is in it
        cpu = "–"
    died = "" if row.alive_after else " — **the server died**"
    return (f"| {row.server} | {row.condition}{died} | {load.rps:,.0f} | {load.p50_ms:.1f} ms | {load.p99_ms:.1f} ms | "
            f"{load.max_ms:,.0f} ms | {errors} | {cpu} | {row.pathological or '–'} |")


def verdict(rows: list[Row]) -> list[str]:
    def find(prefix: str, condition: str) -> Row | None:
        return next((r for r in rows if r.server.startswith(prefix) and r.condition.startswith(condition)), None)

    ours_busy = find("ours", "with")
    lines = []
    for condition, name, target in (("repeated", "Repeated light queries", 1.0), ("unique", "Unique light queries", 0.8)):
        ours_alone, peer_alone = find("ours", condition), find("oxigraph ", condition)
        if ours_alone and peer_alone:
            ratio = ours_alone.load.rps / peer_alone.load.rps
            lines.append(f"- {name}: ours {ours_alone.load.rps:,.0f} requests/s, Oxigraph {peer_alone.load.rps:,.0f}: "
                         f"{ratio:.2f}x Oxigraph's throughput (target ≥ {target:.1f}x): {'met' if ratio >= target else 'NOT met'}.")
    if ours_busy:
        lines.append(f"- p99 while the pathological query runs: ours {ours_busy.load.p99_ms:.0f} ms (target < 150 ms): "
                     f"{'met' if ours_busy.load.p99_ms < 150 else 'NOT met'}.")
    ours_errors = sum(r.load.errors for r in rows if r.server.startswith("ours"))
    lines.append(f"- Errors on light queries, ours: {ours_errors:,} (target 0): {'met' if ours_errors == 0 else 'NOT met'}.")
    return lines


def replace_block(path: Path, name: str, lines: list[str]) -> None:
    """Replace the part of ``path`` between the markers of block ``name`` (the prose around it is kept)."""
    begin, end = f"<!-- bench_endpoint {name}: begin -->", f"<!-- bench_endpoint {name}: end -->"
    text = path.read_text() if path.exists() else "# The SPARQL endpoint under load\n"
    if begin not in text:
        text = text.rstrip() + f"\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1] if end in rest else "\n"
    path.write_text(head + "\n".join([begin, *lines, end]) + tail)


def write_doc(path: Path, info: dict[str, str], landscape: Landscape, args: argparse.Namespace, rows: list[Row],
              notes: list[str]) -> None:
    replace_block(path, "results", [
        machine_line(info),
        "",
        (f"Graph: {landscape.triples:,} triples in {landscape.graphs:,} named graphs ({landscape.organisations:,} "
         f"organisations, {landscape.alliances:,} alliances, {landscape.participations:,} participations). "
         f"Load: wrk, {WRK_THREADS} threads, {args.connections} connections, {args.duration} s per row "
         f"(alone: {args.rounds} interleaved rounds) after a {WARMUP_S} s warm-up; ours with {args.workers} "
         f"workers and a {DEADLINE_S:g} s deadline."), "", *(f"- {note}" for note in notes), "",
        HEADER, *(_row_md(r) for r in rows), "",
        *verdict(rows)])


def write_shared_doc(path: Path, info: dict[str, str], landscape: Landscape, args: argparse.Namespace,
                     rows: list[sharing.SharedRow], notes: list[str]) -> None:
    replace_block(path, "shared", [
        machine_line(info),
        "",
        (f"Graph: {landscape.triples:,} triples. Ours: `--workers {args.shared_workers} --deadline {DEADLINE_S:g}`, "
         f"default turns (one query at a time per client address, 8 waiting) and the default `--worker-memory`; "
         f"a fresh server per row, {args.shared_duration} s of load after a 3 s warm-up. Each client has its own "
         f"loopback address and one request in flight."), "", *(f"- {note}" for note in notes), "",
        sharing.SHARED_HEADER, *(sharing.row_md(r) for r in rows), "",
        *sharing.verdict(rows)])


def measure_shared(store: Path, queries: list[tuple[str, str]], args: argparse.Namespace, workdir: Path) -> list[sharing.SharedRow]:
    """The shared rows (scripts/bench_sharing.py), each on a freshly started server."""
    sharing.check_loopback()
    rows = []
    print(f"\n{sharing.SHARED_HEADER}", flush=True)
    for scenario in sharing.SCENARIOS:
        server = ours(store, args.shared_workers, free_port(), args.alliances, one_client=False)
        server.name = f"shared-{scenario.replace(' ', '-')}"
        with running(server, workdir):
            assert server.process is not None
            row = sharing.measure(scenario, server.port, server.process.pid, [text for _, text in queries], PATHOLOGICAL,
                                  args.shared_workers, args.shared_duration)
        rows.append(row)
        print(sharing.row_md(row), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000, help="about this many triples (default 1,000,000)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per row (default 20)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds for the rows 'alone' (default 2)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="our query workers (default 4)")
    parser.add_argument("--store", type=Path, help="the synthetic store: reused if it exists, else created there")
    parser.add_argument("--skip-timeout-run", action="store_true", help="skip Oxigraph with --timeout-s")
    parser.add_argument("--shared-workers", type=int, default=default_workers(),
                        help=f"our workers in the shared rows (default: one per core, at least 2: {default_workers()})")
    parser.add_argument("--shared-duration", type=int, default=30, help="seconds of load per shared row (default 30)")
    parser.add_argument("--skip-shared", action="store_true", help="skip the shared rows (runaway and crashing clients)")
    parser.add_argument("--only-shared", action="store_true", help="only the shared rows (no wrk, no Oxigraph)")
    parser.add_argument("--alliances", type=shlex.split, metavar="COMMAND",
                        help="the command that runs `alliances`, as one string (another checkout's); default: this one's")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "endpoint-benchmark.md")
    parser.add_argument("--no-doc", action="store_true", help="print the tables only")
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.only_shared:
        sys.exit("wrk is missing: apt-get install wrk")

    info = machine()
    args.load_at_start = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="bench-endpoint-"))
    started = time.monotonic()
    try:
        store = args.store or workdir / "store"
        if (store / "CURRENT").exists():
            landscape = describe_store(store)
            print(f"Reusing {store}: {landscape.triples:,} triples in {landscape.graphs:,} graphs", flush=True)
        else:
            store.parent.mkdir(parents=True, exist_ok=True)
            landscape = generate(store, args.triples)
            print(f"Generated {landscape.triples:,} triples in {landscape.graphs:,} named graphs "
                  f"({landscape.organisations:,} organisations, {landscape.alliances:,} alliances) "
                  f"in {landscape.seconds:.1f} s", flush=True)
        queries = light_queries(landscape)
        ours_script = lua_script(workdir / "ours.lua", "/sparql", queries)
        peer_script = lua_script(workdir / "oxigraph.lua", "/query", queries)
        ours_unique = lua_script(workdir / "ours-unique.lua", "/sparql", queries, unique=True)
        peer_unique = lua_script(workdir / "oxigraph-unique.lua", "/query", queries, unique=True)
        notes = [(f"Load average (1 min) at the start: {load_average()} (other work on the machine); compare rows "
                  "of the same run only.")]
        print(f"\nMachine: {info['cpu']}, {info['cores']} cores, {info['memory']}; load average {load_average()}",
              flush=True)

        if args.only_shared:
            shared = measure_shared(store, queries, args, workdir)
            finish_shared(args, info, landscape, shared, started)
            return
        rows: list[Row] = []
        ours_server = ours(store, args.workers, free_port(), args.alliances)
        peer = oxigraph(store, free_port(), None)
        peer.name = "oxigraph (union default graph)"
        with running(ours_server, workdir), running(peer, workdir):
            sample = queries[:30]  # the same answers from both, or the comparison means nothing
            ours_answers, peer_answers = answers_of(ours_server.url, sample), answers_of(peer.url, sample)
            same = sum(a == b for a, b in zip(ours_answers, peer_answers))
            notes.append(f"Both servers gave the same answers to {same} of {len(sample)} sample queries of the mix "
                         f"({sum(bool(a) for a in ours_answers)} of them non-empty or true).")
            print(notes[-1], flush=True)
            if same != len(sample):
                sys.exit("the two servers disagree: the comparison would be meaningless")
            print(f"\n{HEADER}", flush=True)
            rows += measure_alone([(ours_server, ours_script), (peer, peer_script)], args, "repeated light queries alone")
            rows += measure_alone([(ours_server, ours_unique), (peer, peer_unique)], args, "unique light queries alone")
            rows.append(measure_pathological(ours_server, ours_script, args))
            stop(ours_server)  # before the peer's turn, with whatever it still runs
            rows.append(measure_pathological(peer, peer_script, args))
        if not args.skip_timeout_run:
            with running(oxigraph(store, free_port(), DEADLINE_S), workdir) as server:
                rows += measure_alone([(server, peer_script)], args, "repeated light queries alone")
                if server.alive():
                    rows.append(measure_pathological(server, peer_script, args))
                else:
                    assert server.log is not None and server.process is not None
                    lines = [line.strip() for line in server.log.read_text(errors="replace").splitlines() if line.strip()]
                    at = next((i for i, line in enumerate(lines) if "panicked" in line), len(lines) - 2)
                    notes.append(f"`oxigraph --timeout-s {DEADLINE_S:g}` died under the light load (exit status "
                                 f"{server.process.returncode}): `{' '.join(lines[max(0, at):at + 2])}`")
                    print(notes[-1], flush=True)
        print()
        for line in verdict(rows):
            print(line)
        if not args.no_doc:  # before the shared rows: a failure there keeps these results
            write_doc(args.doc, info, landscape, args, rows, notes)
        shared = [] if args.skip_shared else measure_shared(store, queries, args, workdir)
        if shared:
            finish_shared(args, info, landscape, shared, started)
        print(f"\nThe run took {time.monotonic() - started:.0f} s.")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def finish_shared(args: argparse.Namespace, info: dict[str, str], landscape: Landscape, rows: list[sharing.SharedRow],
                  started: float) -> None:
    notes = [f"Load average (1 min) at the start of the run: {args.load_at_start}, at the end: {load_average()} "
             "(other work on the machine)."]
    if args.alliances:
        notes.append(f"Server: `{' '.join(args.alliances)}`.")
    print()
    for line in sharing.verdict(rows):
        print(line)
    print(f"The run took {time.monotonic() - started:.0f} s so far.")
    if not args.no_doc:
        write_shared_doc(args.doc, info, landscape, args, rows, notes)
        print(f"Wrote {args.doc}")


if __name__ == "__main__":
    main()
