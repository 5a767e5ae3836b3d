"""Queries run in worker processes that are killed at the deadline or over their memory limit.

pyoxigraph has no query timeout, and a runaway query cannot be interrupted from another thread.
A process can be killed, so each worker holds its own read-only handle on the store and runs one
operation at a time; the server hands operations to idle workers (in fair turns per client,
graph.serve.turns), waits at most the deadline, and kills and replaces a worker that overruns.
Results are serialised completely in the worker, so a client gets either the whole answer or an
error, never a truncated 200. A slow query holds one worker and delays no other client.

**Memory.** While a worker runs an operation, the server thread that waits for its answer reads
the worker's anonymous resident memory (what the query allocated; pages of the store's files
are not counted, the kernel reclaims them) from /proc every 20 ms, and kills the worker over
``Limits.memory_bytes``: the client gets 503 naming the limit. Not an rlimit alone, because
measured here pyoxigraph (RocksDB) reserves about 400 MB of address space when it opens a store,
which RLIMIT_AS would count, and an allocation that RLIMIT_DATA refuses makes Rust abort the
process, which the server cannot tell from any other crash. RLIMIT_DATA is still set in the worker,
at twice the limit plus 256 MB, as a backstop for memory that grows faster than sampling sees (the
query then ends as a crash). Where /proc is missing (not Linux) only the backstop applies.

**Crashes.** A worker that dies during an operation (a segfault or abort in the engine, the
system's out-of-memory killer) is replaced, and its client gets 500 (503 for the out-of-memory
killer) saying what happened. A replacement that cannot start is logged and retried with backoff
until it starts, so the pool never shrinks for good; if the pool cannot start, the workers already
started are stopped, and ``start`` returns only when they have ended. ``close`` likewise waits for
workers still starting and stops them: no process of a pool outlives it. The worker class is bound
when the pool is made (``starter``), so replacing it for one pool never changes another's.

**A client whose query broke its worker waits** 1 s before its next query runs, twice as long
after each further fault in a row, up to 60 s: a crash or a memory kill costs a worker start and a
spare, and a crash loop (the same query sent again at once) would otherwise starve every other
client. Its requests are held meanwhile (``admit``; at most the deadline, then 429 with
``Retry-After``), so that a loop slows down instead of turning into a flood of refusals. A query
stopped at its deadline is not a fault: its cost is bounded by the deadline already.

**Spare workers.** Fair turns alone let as many runaway clients as workers hold every worker until
the deadline (each holds one), and a worker cannot be started on demand in time: one takes 0.4-0.7 s
to start on an idle 2-core machine and 1-2 s while two runaway queries use both cores (measured with
a one-million-triple store). So the pool keeps a spare ready before it is needed:
- it starts ``size`` workers plus one spare, and whenever a query takes a worker and none other
  would be idle, it starts one more, so a client that holds no worker finds one at once;
- at most ``most`` workers (twice ``size``, graph.serve.context.max_running) run queries at once,
  whatever is idle: memory for queries stays within ``most`` times the worker memory limit, and the
  default limit is sized on that (an idle worker holds about 30 MB besides the store's file pages);
- a query near its deadline has its replacement started ahead (twice the recent start time plus
  0.5 s before it, at most halfway), because runaway queries started together are stopped together,
  and their clients sending again at once would otherwise take every spare while the replacements
  start;
- a worker beyond ``size`` plus the spare that stays idle for ``retire_after_s`` is stopped.
Reserving a worker for clients that hold none was the alternative; it needs the same spare process
(every worker is held), and the spare also serves a client whose query was just stopped. Beyond
``most`` runaway clients at once, other clients wait for a deadline again: that is the price of a
memory bound.

With updates allowed there is one read-write worker (Oxigraph does not support a reader beside a
writer in another process), so operations run one at a time, and no spare.

Workers follow the published build (graph.rdf.store): a worker opens whatever the store link points
at when it starts, and holds a lease on that folder for its life, so pruning never removes it. A
worker handed out after a newer build was published is replaced first by one on the new build,
so a running server answers from the newest graph without a restart.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import math
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from graph.rdf.store import read_link
from graph.serve.context import format_size, max_running
from graph.serve.execute import Limits, Outcome, text_outcome, execute
from graph.serve.protocol import Operation
from graph.serve.turns import QueueFull, T, Turns

if TYPE_CHECKING:
    import pyoxigraph as ox

_CONTEXT = multiprocessing.get_context("spawn")  # no forked copies of the server's threads
SAMPLE_MS = 20  # how often the memory of a busy worker is read
REAP_S = 60.0  # how long a killed worker may take to end before it is reported
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
log = logging.getLogger("alliances.workers")


@functools.lru_cache(maxsize=4096)
def client_key(host: str) -> str:
    """Whose turn a request counts against: the client's address, or for IPv6 its /64 network
    (one host usually holds a whole /64 and could take turns under many addresses)."""
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False).network_address) + "/64"


def _ending(exitcode: int | None) -> str:
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


def _limit_data(memory_bytes: int) -> None:
    """The backstop (module docstring): RLIMIT_DATA at twice the limit plus 256 MB, set after the
    store is open. Where the platform has no such limit, sampling alone applies."""
    if not memory_bytes:
        return
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = 2 * memory_bytes + 256 * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    except (ImportError, AttributeError, ValueError, OSError):
        pass


class _Stopped(Exception):
    """The worker was killed or died during an operation; ``outcome`` tells the client why, and
    ``fault`` whether the query itself broke the worker (a crash, the memory limit, the system's
    out-of-memory killer), rather than running out its time or finding the worker already gone."""

    def __init__(self, outcome: Outcome, fault: bool = True) -> None:
        super().__init__(outcome.body.decode())
        self.outcome, self.fault = outcome, fault


def _worker_main(connection: Connection, store_path: str, writable: bool, limits: Limits) -> None:
    from graph.serve.sandbox import isolate_network
    isolate_network()  # first: no SERVICE or LOAD can reach the network from here, whatever got past safety.py
    import pyoxigraph as ox

    from graph.rdf.store import lease_build, union_default_graph
    lease = lease_build(Path(store_path))  # held until the process ends: pruning leaves the build alone
    folder = str(lease.folder)
    store = ox.Store(folder) if writable else ox.Store.read_only(folder)
    union = union_default_graph(store, lease.folder, writable=writable)
    _limit_data(limits.memory_bytes)
    connection.send(("ready", lease.link))
    while True:
        try:
            op = connection.recv()
        except EOFError:
            return
        if op is None:
            return
        try:
            outcome = execute(store, op, limits, union)
        except Exception as error:  # the worker must answer whatever happens
            outcome = text_outcome(500, f"the query failed: {type(error).__name__}: {error}")
        connection.send(outcome)


class _Worker:
    def __init__(self, store_path: Path, writable: bool, limits: Limits) -> None:
        self._reaping = threading.Lock()
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_worker_main, args=(child, str(store_path), writable, limits), daemon=True)
        started = time.monotonic()
        self.process.start()
        child.close()
        try:
            message = self.connection.recv() if self.connection.poll(60) else None
        except (EOFError, OSError):  # the worker died while starting
            message = None
        if not (isinstance(message, tuple) and message[0] == "ready"):
            self.kill()
            raise RuntimeError(f"a query worker could not open the store at {store_path} ({_ending(self.process.exitcode)})")
        self.link: str | None = message[1]  # the store link as the worker read it: the build it opened
        self.start_s = time.monotonic() - started
        self.statm = f"/proc/{self.process.pid}/statm"
        self.answer = select.poll()  # one C call per wait, where Connection.poll builds a selector each time
        self.answer.register(self.connection.fileno(), select.POLLIN)

    def roundtrip(self, op: Operation, deadline_s: float, memory_bytes: int) -> Outcome:
        """Run one operation, in a server thread: wait for the answer, and kill the worker at the
        deadline or over the memory limit (raising _Stopped, as when the worker dies)."""
        end = time.monotonic() + deadline_s
        try:
            self.connection.send(op)
        except OSError:  # it died while idle (the out-of-memory killer, an operator)
            self.process.join(2)
            ending = _ending(self.process.exitcode)
            self.kill()
            raise _Stopped(text_outcome(503, f"the query worker had stopped ({ending}) before this query; it was restarted: "
                                      "send the query again"), fault=False) from None
        try:
            while not self.answer.poll(SAMPLE_MS):  # a light query answers within the first wait (or the pipe closes)
                if memory_bytes and self.resident() > memory_bytes:
                    self.kill()
                    raise _Stopped(text_outcome(503, f"the query needed more than {format_size(memory_bytes)} of memory, the limit "
                                              "of a query worker (--worker-memory or ALLIANCES_WORKER_MEMORY); narrow it or add LIMIT"))
                if time.monotonic() >= end:
                    self.kill()
                    raise _Stopped(text_outcome(503, f"the query was stopped at the {deadline_s:g} s deadline; narrow it or add LIMIT"),
                                   fault=False)
            return self.connection.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            self.process.join(2)  # the pipe closes as the process dies; its exit status follows
            exitcode = self.process.exitcode
            self.kill()
            if exitcode == -signal.SIGKILL:
                raise _Stopped(text_outcome(503, "the query worker was killed by the system (SIGKILL, likely out of memory) while "
                                          "running this query; it was restarted: narrow the query or add LIMIT")) from None
            raise _Stopped(text_outcome(500, f"the query worker crashed ({_ending(exitcode)}) while running this query; "
                                      "it was restarted")) from None
        except _Stopped:
            raise
        except Exception as error:  # e.g. an answer that cannot be unpickled: the worker's state is unknown
            self.kill()
            raise _Stopped(text_outcome(500, f"the query worker failed ({type(error).__name__}: {error}); it was restarted")) from None

    def resident(self) -> int:
        """Anonymous resident bytes of the worker (resident minus file-backed and shared), 0 if unknown."""
        try:
            with open(self.statm, "rb") as statm:
                fields = statm.read().split()
        except OSError:
            return 0
        return (int(fields[1]) - int(fields[2])) * _PAGE

    def interrupt(self) -> None:
        """Send the kill signal without waiting: a thread waiting for this worker's answer sees its pipe close."""
        self.process.kill()

    def kill(self) -> None:
        """Stop the process and wait until it has ended (SIGKILL cannot be caught; the wait is bounded
        only for a process stuck in the kernel, which is logged). Safe from several threads at once:
        one of them reaps the process, the others wait for it."""
        with self._reaping:
            self.process.kill()
            self.process.join(REAP_S)
            if self.process.exitcode is None:
                log.error("query worker %d did not end within %g s of SIGKILL", self.process.pid, REAP_S)
            self.connection.close()


class QueryPool:
    """Workers for every query a client sends, taken in fair turns per client (graph.serve.turns),
    with a spare kept idle for the next client (module docstring, "Spare workers")."""

    respawn_first_s = 0.5  # the first wait before retrying a worker that could not start; doubles
    respawn_max_s = 30.0
    retire_after_s = 30.0  # a worker beyond the floor that stays idle this long is stopped
    fault_wait_first_s = 1.0  # a client whose query broke a worker waits this long; doubles with each fault
    fault_wait_max_s = 60.0  # ... up to this; a fault this long after the last one starts again at the first wait

    def __init__(self, store_path: Path, size: int, deadline_s: float, limits: Limits, writable: bool = False,
                 starter: Callable[[Path, bool, Limits], _Worker] | None = None) -> None:
        self.store_path, self.deadline_s, self.limits, self.writable = store_path, deadline_s, limits, writable
        self.size = 1 if writable else max(1, size)
        # The floor (workers plus the spare) and the ceiling of workers running queries; with updates,
        # the one read-write worker and no spare (Oxigraph allows no second process on a writable store).
        self.least = 1 if writable else self.size + 1
        self.most = 1 if writable else max_running(self.size)
        # The class of this pool's workers, fixed when the pool is made: a test that gives one pool
        # failing workers never reaches the replacements of another pool running at the same time.
        self.starter = starter or _Worker
        self.replace_ahead_s: float | None = None  # None: from the measured start time (_ahead_s)
        self._executor = ThreadPoolExecutor(max_workers=3 * self.most + 4, thread_name_prefix="sparql-worker")
        self.turns: Turns[_Worker] = Turns(limits.client_workers, limits.client_queue, self.most)
        self._all: set[_Worker] = set()  # touched on the event loop only
        self._used: dict[_Worker, float] = {}  # when each worker last finished a query (loop time)
        self._starting = 0  # workers being started (counted with _all against the target)
        self._ending = 0  # running queries near their deadline, whose replacement is started ahead
        self._start_s = 1.0  # how long a worker took to start, recently (the longest, decaying)
        self._growing: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()  # set by close: ends the waits between attempts to start a worker
        self._retiring: asyncio.TimerHandle | None = None
        self._faults: dict[str, tuple[float, float, float]] = {}  # client: (waits until, its wait, last fault), loop time
        self._held: dict[str, int] = {}  # client: requests held by admit now
        self._closed = False
        at_once = "one query" if limits.client_workers == 1 else f"{limits.client_workers} queries"
        self._busy = text_outcome(503, f"no query worker was free for this client within {deadline_s:g} s (a client address "
                                f"runs {at_once} at a time); try again later", deadline_s)
        self._throttled = text_outcome(429, f"this client already has {limits.client_queue} requests waiting for a query worker; "
                                     "wait for their answers or try again later", deadline_s)

    # ------------------------------------------------------------------ how many workers

    def wanted(self) -> int:
        """Workers to run or start now: one idle beyond those held (at least the floor, at most the
        ceiling), plus a replacement for each query near its deadline."""
        if self.writable:
            return 1
        return max(self.least, min(self.most, self.turns.busy + 1)) + self._ending

    def _ahead_s(self) -> float:
        """How long before the deadline a running query's replacement starts: twice the recent start
        time plus half a second, so that it is ready when the query is stopped; at most half the deadline."""
        if self.replace_ahead_s is not None:
            return self.replace_ahead_s
        return min(self.deadline_s / 2, 2 * self._start_s + 0.5)

    def _top_up(self) -> None:
        """Start workers until as many run or start as are wanted."""
        if self._closed:
            return
        for _ in range(self.wanted() - len(self._all) - self._starting):
            self._starting += 1
            task = asyncio.get_running_loop().create_task(self._grow())
            self._growing.add(task)
            task.add_done_callback(self._growing.discard)

    def _retire_later(self) -> None:
        if self._retiring is None and not self._closed and len(self._all) > self.least:
            self._retiring = asyncio.get_running_loop().call_later(self.retire_after_s, self._retire)

    def _retire(self) -> None:
        """Stop workers beyond those wanted that have stayed idle for ``retire_after_s``, longest idle first."""
        self._retiring = None
        if self._closed:
            return
        now = asyncio.get_running_loop().time()
        excess = len(self._all) + self._starting - self.wanted()
        for worker in sorted(self.turns.idle, key=lambda idle: self._used.get(idle, 0.0)):
            if excess <= 0 or now - self._used.get(worker, 0.0) < self.retire_after_s:
                break
            if self.turns.withdraw(worker):
                self._forget(worker)
                self._executor.submit(worker.kill)
                excess -= 1
        self._retire_later()

    def _forget(self, worker: _Worker) -> None:
        self._all.discard(worker)
        self._used.pop(worker, None)

    def _enlist(self, worker: _Worker) -> None:
        self._all.add(worker)
        self._used[worker] = asyncio.get_running_loop().time()
        self._start_s = max(self._start_s * 0.8, worker.start_s)
        self.turns.add(worker)
        self._retire_later()

    # ------------------------------------------------------------------ starting and stopping

    async def start(self) -> None:
        """Start the floor of workers; if one cannot start, stop those that did and raise its error.
        Every start has ended, and every worker it made has ended too, when this returns or raises."""
        loop = asyncio.get_running_loop()
        started = await asyncio.gather(*(loop.run_in_executor(self._executor, self._spawn) for _ in range(self.least)),
                                       return_exceptions=True)
        failures = [failure for failure in started if isinstance(failure, BaseException)]
        workers = [worker for worker in started if not isinstance(worker, BaseException)]
        if failures:
            self._closed = True
            await asyncio.gather(*(loop.run_in_executor(self._executor, worker.kill) for worker in workers))
            self._executor.shutdown(wait=False)
            raise failures[0]
        for worker in workers:
            self._enlist(worker)

    def _spawn(self) -> _Worker:
        worker = self.starter(self.store_path, self.writable, self.limits)
        if self._closed:  # the server stopped while this worker started
            worker.kill()
            raise RuntimeError("the query pool is closed")
        return worker

    async def _grow(self) -> None:
        """Start one worker, retrying with backoff until it starts: a worker that cannot start now
        (a store being replaced, memory short) may start later."""
        loop = asyncio.get_running_loop()
        delay, attempt = self.respawn_first_s, 1
        try:
            while not self._closed:
                try:
                    worker = await loop.run_in_executor(self._executor, self._spawn)
                except Exception as error:
                    if self._closed:
                        return
                    log.error("a query worker could not be started (attempt %d): %s; retrying in %g s", attempt, error, delay)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), delay)  # the wait ends early if the pool closes
                    delay, attempt = min(delay * 2, self.respawn_max_s), attempt + 1
                    continue
                if self._closed:  # closed as this worker became ready
                    await loop.run_in_executor(self._executor, worker.kill)
                    return
                if attempt > 1:
                    log.warning("a query worker was started at attempt %d", attempt)
                self._enlist(worker)
                return
        finally:
            self._starting -= 1

    async def close(self) -> None:
        """Stop every worker. When this returns, no process of the pool runs, not even one that was
        starting: starts in flight are waited for (not cancelled, which could drop a worker just
        made), and the worker each one made is stopped."""
        self._closed = True
        self._closing.set()
        if self._retiring is not None:
            self._retiring.cancel()
        self.turns.close()
        workers, self._all = list(self._all), set()
        self._used.clear()
        for worker in workers:
            worker.interrupt()  # at once, busy or not; then each is reaped in a thread
        await asyncio.gather(*self._growing, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._executor, worker.kill) for worker in workers))
        await loop.run_in_executor(None, functools.partial(self._executor.shutdown, wait=True, cancel_futures=True))

    # ------------------------------------------------------------------ running queries

    async def run(self, op: Operation, client: str = "") -> Outcome:
        """Run one operation for the client at address ``client`` when its turn comes."""
        return (await self.run_on_build(op, client))[0]

    async def wait_turn(self, client: str, turns: Turns[T]) -> tuple[str, T] | Outcome:
        """The client's key and what it takes from ``turns`` when its turn comes, or the refusal:
        held after a crashing query, its queue full, or no turn before the deadline. The one home
        of admission for the worker pool and the remote pool (graph.serve.forward)."""
        key = client_key(client)
        if key in self._faults:
            refused = await self.admit(client)
            if refused is not None:
                return refused
        taken = turns.take_now(key)
        if taken is None:
            try:
                taken = await turns.take(key, self.deadline_s)
            except QueueFull:
                return self._throttled
            if taken is None:
                return self._busy
        return key, taken

    async def run_on_build(self, op: Operation, client: str = "") -> tuple[Outcome, str | None]:
        """``run``, and the build that answered (the store link its worker opened), so that an
        answer is kept for that build only (graph.serve.cache)."""
        turn = await self.wait_turn(client, self.turns)
        if isinstance(turn, Outcome):
            return turn, None
        key, worker = turn
        self._top_up()  # the spare may just have been taken
        loop = asyncio.get_running_loop()
        if worker.link != read_link(self.store_path):  # a newer build was published
            fresh = await loop.run_in_executor(self._executor, self._renew, worker)
            if fresh is not worker:
                self._forget(worker)
                self._all.add(fresh)
                worker = fresh
        near = _Near(self)
        if not self.writable:
            near.timer = loop.call_later(max(0.0, self.deadline_s - self._ahead_s()), near.fire)
        future = self._executor.submit(worker.roundtrip, op, self.deadline_s, self.limits.memory_bytes)
        try:
            outcome = await asyncio.wrap_future(future)
        except _Stopped as stopped:
            near.done()
            self._lost(key, worker)
            if stopped.fault:
                self.fault(key)
            return stopped.outcome, None
        except asyncio.CancelledError:  # the request was dropped; the worker comes back when its thread ends
            future.add_done_callback(lambda done: loop.call_soon_threadsafe(self._settle, key, worker, done, near))
            raise
        near.done()
        self._give_back(key, worker)
        return outcome, worker.link

    def fault(self, client: str) -> None:
        """The client's query broke its worker (or was refused for a shape known to): its next
        requests are held for a while (see admit). The wait doubles with each fault in a row, up to
        ``fault_wait_max_s``; a fault that long after the last one starts again at the first wait."""
        key = client_key(client)
        now = asyncio.get_running_loop().time()
        if len(self._faults) > 4096:  # many addresses: forget those whose wait is long over
            self._faults = {client: entry for client, entry in self._faults.items() if now - entry[2] < self.fault_wait_max_s}
        _, wait, last = self._faults.get(key, (0.0, 0.0, -math.inf))
        wait = self.fault_wait_first_s if now - last > self.fault_wait_max_s else min(self.fault_wait_max_s, 2 * wait)
        self._faults[key] = (now + wait, wait, now)

    def held(self, client: str) -> bool:
        """Whether the client waits after a fault (``admit`` may hold its next request)."""
        return bool(self._faults) and client_key(client) in self._faults

    async def admit(self, client: str) -> Outcome | None:
        """Hold a request of a client that is waiting after a fault until its wait is over (None: go
        on), at most the deadline (then 429 with the wait left). Beyond ``client_queue`` requests
        held at once, 429 at once.

        Why hold rather than answer 429 at once: a client in a loop sends again as soon as it is
        answered, so a quick 429 only turns a crash loop into a flood of cheap requests, which still
        take the server's own time from other clients (docs/endpoint-benchmark.md, the crash loop).
        Held, a client that waits for its answers sends one request per wait."""
        key = client_key(client)
        entry = self._faults.get(key)
        if entry is None:
            return None
        loop = asyncio.get_running_loop()
        left = entry[0] - loop.time()
        if left <= 0:
            return None
        held = self._held.get(key, 0)
        if held >= self.limits.client_queue:
            return self._after_fault(left)
        self._held[key] = held + 1
        try:
            await asyncio.sleep(min(left, self.deadline_s))
        finally:
            if self._held[key] > 1:
                self._held[key] -= 1
            else:
                del self._held[key]
        left = self._faults.get(key, (0.0,))[0] - loop.time()
        return self._after_fault(left) if left > 0 else None

    def _after_fault(self, left: float) -> Outcome:
        return text_outcome(429, f"a query from this client crashed its query worker or went over its memory limit; this client "
                          f"may send its next query in {math.ceil(left)} s (the wait doubles with each such query, up to "
                          f"{self.fault_wait_max_s:g} s)", left)

    def _renew(self, worker: _Worker) -> _Worker:
        """A worker on the build published now, in place of one that holds an older build; the
        old one stays if the new one cannot start. Runs in a server thread."""
        try:
            fresh = self._spawn()
        except (RuntimeError, OSError):
            return worker
        worker.kill()
        return fresh

    def _give_back(self, key: str, worker: _Worker) -> None:
        self._used[worker] = asyncio.get_running_loop().time()
        self.turns.give_back(key, worker)
        self._retire_later()

    def _settle(self, key: str, worker: _Worker, done: Future[Outcome], near: _Near) -> None:
        near.done()
        if not done.cancelled() and done.exception() is not None:
            self._lost(key, worker)
        else:
            self._give_back(key, worker)

    def _lost(self, key: str, worker: _Worker) -> None:
        self._forget(worker)
        self.turns.give_back(key, None)
        self._top_up()


class _Near:
    """A running query's mark "near its deadline": while set, the pool starts its replacement ahead."""

    def __init__(self, pool: QueryPool) -> None:
        self.pool = pool
        self.timer: asyncio.TimerHandle | None = None
        self.fired = False

    def fire(self) -> None:
        self.fired = True
        self.pool._ending += 1
        self.pool._top_up()

    def done(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.fired:
            self.fired = False
            self.pool._ending -= 1
