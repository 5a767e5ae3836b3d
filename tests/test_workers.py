"""The query workers (graph/serve/workers.py): crashes, the memory limit, fair turns per client, spare
workers and restarts. Pool tests drive a QueryPool on an event loop (with real worker processes, or
with HeldWorker, which stands in for one without a process so that the pool's policy can be checked
step by step); HTTP tests use a real server (tests/endpoint_support.py) and clients on distinct
loopback addresses (127.0.0.2, 127.0.0.3), which Linux routes to the server on 127.0.0.1 like any
other client. Every wait is a bounded loop on the pool's state, never an assertion on time."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

import graph.serve.workers as workers
from graph.serve.context import MIB
from graph.serve.execute import Limits, Outcome
from graph.serve.protocol import Operation
from graph.serve.workers import QueryPool
from conftest import child_pids
from endpoint_support import Server, captured_access_log, make_store, running_server

EX = "http://example.org/"
TRIPLES = 2000
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # CPU, no memory
SORTED_PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"  # 4 million rows held in memory to sort
LIGHT = "ASK { ?s ?p ?o }"
JSON = "application/sparql-results+json"
MEMORY_LIMIT = 300 * MIB
MEMORY_MARGIN = 150 * MIB  # sampling every 20 ms, and the interpreter's own file-backed pages
WAIT_S = 30.0  # bound of every polling loop


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 triples in one named graph: light queries answer at once, products of them do not."""
    folder = tmp_path_factory.mktemp("workers")
    data = folder / "data.nt"
    data.write_text("".join(f'<{EX}s{i}> <{EX}p{i % 7}> "value number {i}" .\n' for i in range(TRIPLES)))
    return make_store(folder / "store", [(data, f"{EX}g")])


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {WAIT_S} s")
        time.sleep(0.02)


async def until(condition: Callable[[], bool], what: str) -> None:
    """wait_until on the event loop: the pool's state changes on it."""
    for _ in range(int(WAIT_S / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what} did not happen within {WAIT_S} s")


def query(text: str) -> Operation:
    return Operation("query", text, accept=JSON)


# ------------------------------------------------------------------ processes of this test run

def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def busy_child() -> int:
    """The worker that is running a query: the child whose CPU time grows."""
    pids = child_pids()
    before = {pid: cpu_ticks(pid) for pid in pids}
    found: list[int] = []

    def grown() -> bool:
        found[:] = [pid for pid in pids if cpu_ticks(pid) - before[pid] >= 10]  # 0.1 s of CPU at 100 ticks/s
        return bool(found)

    wait_until(grown, "a worker running the query")
    return found[0]


class PeakMemory:
    """Samples the peak resident memory (VmHWM, kept by the kernel) of every child process until
    stopped, but those in ``ignore`` (children that were there before the server, such as another
    test's processes not yet reaped: not its workers)."""

    def __init__(self, ignore: frozenset[int] = frozenset()) -> None:
        self.ignore = ignore
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for pid in child_pids():
                if pid in self.ignore:
                    continue
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)
            time.sleep(0.005)


def client_at(server: Server, address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (a loopback address other than 127.0.0.1)."""
    return httpx.Client(base_url=server.base, timeout=60.0, transport=httpx.HTTPTransport(local_address=address))


def in_background(client: httpx.Client, text: str) -> tuple[threading.Thread, list[httpx.Response]]:
    answers: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answers.append(client.get("/sparql", params={"query": text})), daemon=True)
    thread.start()
    return thread, answers


# ------------------------------------------------------------------ crashes

def test_a_crashing_query_gets_a_clear_500_and_the_worker_is_replaced(small_store: Path) -> None:
    """Deep nesting overflows the engine's stack (SIGSEGV in pyoxigraph 0.5); sent straight to the
    pool, past the endpoint's checks, it ends that query only."""
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000

    async def scenario() -> None:
        pool = QueryPool(small_store, 2, 20.0, Limits(100, 10_000_000))
        await pool.start()
        try:
            crashed, light = await asyncio.gather(pool.run(query(deep), "192.0.2.1"), pool.run(query(LIGHT), "192.0.2.2"))
            assert light.status == 200
            assert crashed.status == 500 and crashed.content_type.startswith("text/plain")
            assert "crashed (signal SIGSEGV)" in crashed.body.decode() and "restarted" in crashed.body.decode()
            await until(lambda: len(pool._all) == pool.least, "the replacement worker")
            answers = await asyncio.gather(*(pool.run(query(LIGHT), f"192.0.2.{i}") for i in range(2, 6)))
            assert [answer.status for answer in answers] == [200] * 4
        finally:
            await pool.close()
    asyncio.run(scenario())


def test_a_client_whose_query_crashed_its_worker_waits_before_its_next_query(small_store: Path) -> None:
    """The defect as found: two clients sending a crashing query again and again made every worker
    restart over and over, and light queries of others went from 8 ms to 3.4 s. The crashing
    client's next request is now held for a while (doubled at each crash); other clients are served."""
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000

    async def scenario() -> None:
        pool = QueryPool(small_store, 1, 20.0, Limits(100, 10_000_000))
        pool.fault_wait_first_s = pool.deadline_s  # longer than this test: held until cancelled
        await pool.start()
        held = None
        try:
            assert (await pool.run(query(deep), "192.0.2.1")).status == 500
            held = asyncio.create_task(pool.run(query(LIGHT), "192.0.2.1"))
            await until(lambda: pool._held.get("192.0.2.1") == 1, "the crashing client's next request held")
            assert (await pool.run(query(LIGHT), "192.0.2.2")).status == 200  # the others are served
            assert not held.done() and pool.turns.busy == 0  # held before it takes any worker
            first_wait = pool._faults["192.0.2.1"][1]
            pool.fault("192.0.2.1")  # a second fault in a row
            assert pool._faults["192.0.2.1"][1] == 2 * first_wait
        finally:
            if held is not None:
                held.cancel()
                await asyncio.gather(held, return_exceptions=True)
            await pool.close()
        assert not pool._held  # a cancelled request leaves nothing held
    asyncio.run(scenario())


@pytest.mark.parametrize(("signal_number", "status", "reason"), [
    (signal.SIGSEGV, 500, "crashed (signal SIGSEGV)"),
    (signal.SIGABRT, 500, "crashed (signal SIGABRT)"),
    (signal.SIGKILL, 503, "killed by the system (SIGKILL, likely out of memory)")])
def test_a_worker_that_dies_mid_query_is_reported_and_replaced(small_store: Path, signal_number: int, status: int,
                                                                reason: str) -> None:
    with running_server(small_store, workers=2, deadline_s=30.0) as server, client_at(server, "127.0.0.2") as victim:
        thread, answers = in_background(victim, RUNAWAY)
        os.kill(busy_child(), signal_number)
        thread.join(WAIT_S)
        assert answers, "no answer to the query whose worker died"
        assert answers[0].status_code == status and answers[0].headers["content-type"].startswith("text/plain")
        assert reason in answers[0].text and "restarted" in answers[0].text
        with client_at(server, "127.0.0.3") as other:
            assert other.get("/sparql", params={"query": LIGHT}).status_code == 200
        pool = server.app.state.context.pool
        wait_until(lambda: len(pool._all) == pool.least, "the replacement worker")


# ------------------------------------------------------------------ memory

def test_a_query_over_the_memory_limit_gets_503_and_memory_stays_bounded(small_store: Path) -> None:
    others = frozenset(child_pids())
    with running_server(small_store, workers=1, deadline_s=60.0, worker_memory=MEMORY_LIMIT) as server, \
            client_at(server, "127.0.0.2") as client, PeakMemory(others) as memory:
        response = client.get("/sparql", params={"query": SORTED_PRODUCT}, headers={"accept": JSON})
        assert response.status_code == 503
        assert "300M" in response.text and "--worker-memory" in response.text and "ALLIANCES_WORKER_MEMORY" in response.text
        assert memory.peak > MEMORY_LIMIT * 0.8, "the worker's memory was not seen growing: nothing was measured"
        assert memory.peak < MEMORY_LIMIT + MEMORY_MARGIN, f"peak {memory.peak / MIB:.0f} MB"
        assert "127.0.0.2" in server.app.state.context.pool._faults  # its next query waits a while
        with client_at(server, "127.0.0.3") as other:
            assert other.get("/sparql", params={"query": LIGHT}).json()["boolean"] is True
        assert client.get("/sparql", params={"query": LIGHT}).json()["boolean"] is True  # once its wait is over


def test_the_worker_sets_its_data_limit_as_a_backstop(small_store: Path) -> None:
    async def scenario() -> None:
        pool = QueryPool(small_store, 1, 5.0, Limits(100, 10_000, memory_bytes=MEMORY_LIMIT))
        await pool.start()
        try:
            assert pool._all
            for worker in pool._all:  # the worker and the spare
                limits = Path(f"/proc/{worker.process.pid}/limits").read_text()
                line = next(line for line in limits.splitlines() if line.startswith("Max data size"))
                assert int(line.split()[3]) == 2 * MEMORY_LIMIT + 256 * MIB
        finally:
            await pool.close()
    asyncio.run(scenario())


# ------------------------------------------------------------------ fair turns per client

@pytest.fixture(scope="module")
def shared(small_store: Path) -> Iterator[Server]:
    """Two workers, one per client at a time, one request waiting per client."""
    with running_server(small_store, workers=2, deadline_s=4.0, client_workers=1, client_queue=1) as server:
        yield server


def _state(server: Server, client: str) -> tuple[int, int]:
    turns = server.app.state.context.pool.turns
    return turns.held.get(client, 0), len(turns.waiting.get(client, ()))


def test_runaway_queries_of_one_client_do_not_block_another(shared: Server) -> None:
    with client_at(shared, "127.0.0.2") as runaway, client_at(shared, "127.0.0.3") as light:
        background = [in_background(runaway, RUNAWAY) for _ in range(2)]
        wait_until(lambda: _state(shared, "127.0.0.2") == (1, 1), "one runaway query running and one waiting")
        response = light.get("/sparql", params={"query": LIGHT}, headers={"accept": JSON})
        assert response.status_code == 200 and response.json()["boolean"] is True
        assert all(thread.is_alive() for thread, _ in background), "the runaway queries ended before the light one"
        for thread, answers in background:
            thread.join(WAIT_S)
            assert answers and answers[0].status_code == 503


def test_a_client_beyond_its_queue_limit_gets_429_with_retry_after(shared: Server) -> None:
    with client_at(shared, "127.0.0.4") as greedy, client_at(shared, "127.0.0.5") as other:
        background = [in_background(greedy, RUNAWAY) for _ in range(2)]
        wait_until(lambda: _state(shared, "127.0.0.4") == (1, 1), "one runaway query running and one waiting")
        refused = greedy.get("/sparql", params={"query": LIGHT})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "4"  # the deadline: by then the running query has ended
        assert "Retry-After" in refused.headers["access-control-expose-headers"]
        assert "1 requests waiting" in refused.text
        assert other.get("/sparql", params={"query": LIGHT}).status_code == 200  # others are not throttled
        for thread, _ in background:
            thread.join(WAIT_S)


# ------------------------------------------------------------------ spare workers

def test_a_light_query_is_answered_while_as_many_runaway_clients_as_workers_hold_them(small_store: Path) -> None:
    """The defect as found: with 2 workers, 2 clients with runaway queries held both until the
    deadline, and every other client waited for it (or got 503). The light query must be answered
    while both runaway queries still run, by state: not one of them has ended."""
    async def scenario() -> None:
        pool = QueryPool(small_store, 2, 30.0, Limits(100, 10_000))
        await pool.start()
        runaways = [asyncio.create_task(pool.run(query(RUNAWAY), f"192.0.2.{i}")) for i in (1, 2)]
        try:
            await until(lambda: sum(pool.turns.held.values()) == 2, "both runaway queries holding a worker")
            light = asyncio.create_task(pool.run(query(LIGHT), "192.0.2.3"))
            done, _ = await asyncio.wait([light, *runaways], return_when=asyncio.FIRST_COMPLETED)
            assert done == {light}, "a runaway query ended before the light one was answered"
            assert light.result().status == 200 and b'"boolean":true' in light.result().body.replace(b" ", b"")
            assert sum(pool.turns.held.values()) == 2  # both runaway queries still run
        finally:
            await pool.close()
            await asyncio.gather(*runaways, return_exceptions=True)  # stopped with the pool
    asyncio.run(scenario())


class HeldWorker:
    """Stands in for workers._Worker, without a process: a query holds it until the test releases it
    (``release``), so that the pool's policy can be followed step by step."""

    made: list[HeldWorker] = []

    def __init__(self, store_path: Path, writable: bool, limits: Limits) -> None:
        self.link, self.start_s = None, 0.0  # the test stores are no links
        self.release, self.running, self.ended = threading.Event(), threading.Event(), False
        HeldWorker.made.append(self)

    def roundtrip(self, op: Operation, deadline_s: float, memory_bytes: int) -> Outcome:
        self.running.set()
        if not self.release.wait(WAIT_S):
            raise AssertionError(f"the test did not release its query within {WAIT_S} s")
        self.release.clear()
        self.running.clear()
        return Outcome(200, "text/plain", b"released")

    def interrupt(self) -> None:
        self.ended = True
        self.release.set()

    kill = interrupt


def held(pool: QueryPool) -> set[HeldWorker]:
    """The pool's workers, which the pool types as its own (workers._Worker)."""
    assert all(isinstance(worker, HeldWorker) for worker in pool._all), "the pool must start HeldWorkers only"
    return cast(set[HeldWorker], pool._all)


@pytest.fixture
def held_pool(small_store: Path) -> Iterator[Callable[..., QueryPool]]:
    """QueryPool(size, ...) of HeldWorkers (a 30 s deadline that no test reaches); closed at the end."""
    HeldWorker.made = []
    pools: list[QueryPool] = []

    def make(size: int, writable: bool = False, client_queue: int = 8) -> QueryPool:
        pool = QueryPool(small_store, size, 30.0, Limits(100, 10_000, client_queue=client_queue), writable=writable,
                         starter=HeldWorker)  # type: ignore[arg-type]  # the pool types a starter by _Worker, not by the methods it calls
        pools.append(pool)
        return pool
    yield make
    for pool in pools:
        assert pool._closed, "the test did not close its pool"


def test_the_pool_keeps_a_spare_grows_to_twice_its_size_and_retires_idle_extras(held_pool: Callable[..., QueryPool]) -> None:
    async def scenario() -> None:
        pool = held_pool(2)
        pool.retire_after_s = 0.05
        await pool.start()
        try:
            assert (len(pool._all), pool.least, pool.most) == (3, 3, 4)  # two workers and the spare
            clients = [f"192.0.2.{i}" for i in range(1, 6)]
            queries = [asyncio.create_task(pool.run(query(LIGHT), client)) for client in clients[:3]]
            await until(lambda: pool.turns.busy == 3, "three queries holding workers")
            await until(lambda: len(pool._all) == 4 and bool(pool.turns.idle), "a new spare, the fourth worker")
            queries.append(asyncio.create_task(pool.run(query(LIGHT), clients[3])))
            await until(lambda: pool.turns.busy == 4, "the fourth client served at once")
            queries.append(asyncio.create_task(pool.run(query(LIGHT), clients[4])))
            await until(lambda: clients[4] in pool.turns.waiting, "the fifth client waiting")
            assert len(pool._all) == 4 and pool.turns.busy == 4  # twice the size at most, whatever is idle
            assert len(HeldWorker.made) == 4
            for worker in HeldWorker.made:
                worker.release.set()
            await until(lambda: all(task.done() for task in queries[:4]), "the first four answers")
            for worker in HeldWorker.made:  # the fifth query took a freed worker
                worker.release.set()
            assert [answer.status for answer in await asyncio.gather(*queries)] == [200] * 5
            await until(lambda: len(pool._all) == pool.least and not pool.turns.busy, "the extra worker retired")
            (retired,) = [worker for worker in HeldWorker.made if worker not in held(pool)]
            await until(lambda: retired.ended, "the retired worker stopped")
            assert not any(worker.ended for worker in held(pool))
        finally:
            await pool.close()
    asyncio.run(scenario())


def test_a_query_near_its_deadline_has_its_replacement_started_ahead(held_pool: Callable[..., QueryPool]) -> None:
    """Runaway queries started together are stopped together; their clients, sending again at once,
    would take every spare while replacements start. So each replacement starts before the deadline."""
    async def scenario() -> None:
        pool = held_pool(1)
        pool.replace_ahead_s = pool.deadline_s  # near its deadline from the start
        await pool.start()
        try:
            running = asyncio.create_task(pool.run(query(RUNAWAY), "192.0.2.1"))
            await until(lambda: len(pool._all) == 3, "the replacement started ahead")
            assert not running.done() and pool.turns.busy == 1 and len(pool.turns.idle) == 2  # the spare and the replacement
            next(worker for worker in HeldWorker.made if worker.running.is_set()).release.set()
            assert (await running).status == 200
            assert pool._ending == 0 and pool.wanted() == pool.least  # the extra is retired once idle long enough
        finally:
            await pool.close()
    asyncio.run(scenario())


def test_a_read_write_pool_has_no_spare(held_pool: Callable[..., QueryPool]) -> None:
    """Oxigraph allows no second process on a writable store."""
    async def scenario() -> None:
        pool = held_pool(4, writable=True)
        pool.replace_ahead_s = pool.deadline_s
        await pool.start()
        try:
            running = asyncio.create_task(pool.run(Operation("update", "INSERT DATA {}"), "192.0.2.1"))
            await until(lambda: pool.turns.busy == 1, "the update running")
            await asyncio.sleep(0)
            assert len(pool._all) == 1 and pool._starting == 0 and pool.wanted() == 1
            HeldWorker.made[0].release.set()
            assert (await running).status == 200
        finally:
            await pool.close()
    asyncio.run(scenario())


def test_a_held_request_ends_at_the_deadline_with_429_and_beyond_the_queue_limit_at_once(
        held_pool: Callable[..., QueryPool]) -> None:
    async def scenario() -> None:
        pool = held_pool(1, client_queue=1)
        pool.deadline_s, pool.fault_wait_first_s = 0.05, 30.0  # a wait longer than the deadline
        await pool.start()
        try:
            pool.fault("192.0.2.1")
            first = asyncio.create_task(pool.run(query(LIGHT), "192.0.2.1"))
            await until(lambda: pool._held.get("192.0.2.1") == 1, "the first request held")
            second = await pool.run(query(LIGHT), "192.0.2.1")  # the client's queue of one is full
            assert second.status == 429 and not first.done()
            answer = await first  # held for the deadline, then told how long is left
            assert answer.status == 429 and "may send its next query in" in answer.body.decode()
            assert answer.headers is not None and int(answer.headers["Retry-After"]) >= 29
            assert not HeldWorker.made[0].running.is_set() and pool.turns.busy == 0  # no worker was taken
        finally:
            await pool.close()
    asyncio.run(scenario())


# ------------------------------------------------------------------ starting and restarting workers

class _FlakyWorker:
    """Stands in for workers._Worker: the calls numbered in ``failing`` raise, the others start a real
    worker. Pools start workers from several threads at once, so calls are numbered under a lock."""

    def __init__(self, real: type, failing: set[int]) -> None:
        self.real, self.failing, self.calls = real, failing, 0
        self.started: list[Any] = []
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            self.calls += 1
            number = self.calls
        if number in self.failing:
            raise RuntimeError(f"cannot start worker number {number} (test)")
        worker = self.real(*args)
        with self._lock:
            self.started.append(worker)
        return worker


def test_a_failed_pool_start_stops_the_workers_already_started(small_store: Path) -> None:
    flaky = _FlakyWorker(workers._Worker, failing={3})

    async def scenario() -> None:
        pool = QueryPool(small_store, 3, 5.0, Limits(100, 10_000), starter=flaky)  # 4 workers with the spare
        with pytest.raises(RuntimeError, match="worker number 3"):
            await pool.start()
    asyncio.run(scenario())
    assert flaky.calls == 4 and len(flaky.started) == 3
    assert not any(worker.process.is_alive() for worker in flaky.started)


def test_a_pools_workers_come_from_its_own_starter_whatever_another_pool_uses(shared: Server, small_store: Path) -> None:
    """The flaky test above, as it failed: the module-wide server (``shared``) was still replacing a
    worker stopped at its deadline when that test swapped the module's worker class, so the
    replacement went through the failing stand-in and was counted (and left running) as that test's."""
    shared_pool = shared.app.state.context.pool
    flaky = _FlakyWorker(workers._Worker, failing=set())

    async def scenario() -> None:
        pool = QueryPool(small_store, 1, 5.0, Limits(100, 10_000), starter=flaky)
        await pool.start()
        await pool.close()
    with client_at(shared, "127.0.0.7") as client:
        victim = shared_pool.turns.idle[-1]  # the next to be taken (last in, first out)
        os.kill(victim.process.pid, signal.SIGKILL)  # dies idle: the query that takes it is told, and it is replaced
        victim.process.join(WAIT_S)
        assert client.get("/sparql", params={"query": LIGHT}).status_code == 503
        asyncio.run(scenario())  # while the shared pool replaces its worker
        wait_until(lambda: victim not in shared_pool._all and len(shared_pool._all) == shared_pool.least,
                   "the shared pool's replacement")
    assert flaky.calls == 2 and len(flaky.started) == 2  # this pool's worker and spare, nothing else
    assert all(type(worker) is workers._Worker for worker in shared_pool._all)


class _GatedStarter:
    """Starts real workers; the calls numbered in ``gated`` wait for ``gate`` first. Records when each
    start began and ended, to see whether a closed pool still had a start in flight."""

    def __init__(self, gated: set[int]) -> None:
        self.gated, self.gate, self.waiting = gated, threading.Event(), threading.Event()
        self.calls, self.ended, self.started = 0, 0, []  # type: tuple[int, int, list[Any]]
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            self.calls += 1
            number = self.calls
        try:
            if number in self.gated:
                self.waiting.set()
                assert self.gate.wait(WAIT_S)
            worker = workers._Worker(*args)
            self.started.append(worker)
            return worker
        finally:
            with self._lock:
                self.ended += 1


def test_closing_the_pool_waits_for_a_worker_still_starting_and_stops_it(small_store: Path) -> None:
    starter = _GatedStarter(gated={3})

    async def scenario() -> tuple[int, int]:
        pool = QueryPool(small_store, 1, 30.0, Limits(100, 10_000), starter=starter)
        pool.replace_ahead_s = pool.deadline_s  # the running query's replacement starts at once: call 3
        await pool.start()
        running = asyncio.create_task(pool.run(query(RUNAWAY), "192.0.2.1"))
        await until(starter.waiting.is_set, "a worker starting")

        def open_once_closed() -> None:
            wait_until(lambda: pool._closed, "close")
            starter.gate.set()
        opener = threading.Thread(target=open_once_closed)
        opener.start()
        await pool.close()
        in_flight = starter.calls - starter.ended
        opener.join(WAIT_S)
        await asyncio.gather(running, return_exceptions=True)
        return starter.calls, in_flight
    calls, in_flight = asyncio.run(scenario())
    assert calls == 3 and in_flight == 0, "close returned while a worker was still starting"
    assert len(starter.started) == 3 and not any(worker.process.is_alive() for worker in starter.started)


def test_a_worker_that_cannot_start_is_retried_until_it_does(small_store: Path, caplog: pytest.LogCaptureFixture) -> None:
    flaky = _FlakyWorker(workers._Worker, failing={3, 4})  # the first replacement fails twice

    async def scenario() -> None:
        pool = QueryPool(small_store, 1, 1.0, Limits(100, 10_000), starter=flaky)
        pool.respawn_first_s = 0.05
        pool.replace_ahead_s = 0.0  # no replacement ahead: the one after the deadline is the one retried
        await pool.start()
        try:
            stopped = await pool.run(query(RUNAWAY), "192.0.2.1")
            assert stopped.status == 503 and "deadline" in stopped.body.decode()
            await until(lambda: len(pool._all) == pool.least, "the replacement worker")
            answer = await pool.run(query(LIGHT), "192.0.2.1")
            assert answer.status == 200
        finally:
            await pool.close()
    with caplog.at_level(logging.WARNING, logger="alliances.workers"):
        asyncio.run(scenario())
    failures = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(failures) == 2 and all("could not be started" in record.getMessage() for record in failures)
    assert "attempt 3" in caplog.records[-1].getMessage() and flaky.calls == 5


def test_the_client_address_is_the_connections_own(shared: Server) -> None:
    """X-Forwarded-For is ignored from every address (connections.py turns uvicorn's proxy headers
    off): any local program, or a page through DNS rebinding, could otherwise take turns under
    made-up addresses."""
    forwarded = {"x-forwarded-for": "198.51.100.7"}
    with captured_access_log() as log:
        with client_at(shared, "127.0.0.1") as proxy, client_at(shared, "127.0.0.6") as remote:
            assert proxy.get("/sparql", params={"query": LIGHT}, headers=forwarded).status_code == 200
            assert remote.get("/sparql", params={"query": LIGHT}, headers=forwarded).status_code == 200
    assert [line["client"] for line in log.lines()] == ["127.0.0.1", "127.0.0.6"]
