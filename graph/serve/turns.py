"""Fair turns at the query workers: each client holds at most a few workers, clients take turns.

One global first-come queue lets one client that sends as many runaway queries as there are
workers shut every other client out until the deadline. Here a client (an address) holds at most
``per_client`` workers at a time (default one); its further requests wait in its own queue, and a
freed worker goes to the next client in turn (round robin over clients, first come within a
client). A client with ``queue_limit`` requests already waiting is turned away (429 and
``Retry-After``, as the Wikidata Query Service does) instead of piling up connections. At most
``max_held`` items are held in all, whatever is idle: the pool (graph.serve.workers) keeps spare
workers, and this bound is what keeps the memory of running queries within its documented total.

Written by hand: the rule is a few dozen lines on asyncio futures, run on the event loop only (no
locks); asyncio's Semaphore and Queue, and rate limiters, bound totals or rates, not turns per key.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueFull(Exception):
    """The client already has as many requests waiting as the queue limit allows."""


class Turns(Generic[T]):
    """Idle items (workers) and the clients waiting for one. Every method runs on the event loop.

    Invariant: an item is idle only while no waiting client may take one, so a client under its
    share takes an idle item at once (the fast path, no future and no timer)."""

    def __init__(self, per_client: int, queue_limit: int, max_held: int | None = None) -> None:
        self.per_client, self.queue_limit = max(1, per_client), max(0, queue_limit)
        self.max_held = max_held  # items held by all clients together; None: no bound but the idle ones
        self.idle: list[T] = []  # last in, first out: the most recently used worker is warm
        self.held: dict[str, int] = {}
        self.busy = 0  # items held by all clients together
        self.waiting: dict[str, deque[asyncio.Future[T | None]]] = {}  # in turn order: the next client first

    def take_now(self, client: str) -> T | None:
        """An idle item for this client now, or None (none idle, or the client holds its share)."""
        if self.idle and self.held.get(client, 0) < self.per_client and self._below_max():
            self.held[client] = self.held.get(client, 0) + 1
            self.busy += 1
            return self.idle.pop()
        return None

    async def take(self, client: str, timeout_s: float) -> T | None:
        """An item for this client, waiting in turn for at most ``timeout_s`` (None when it did not come).
        Raises QueueFull when the client already has ``queue_limit`` requests waiting."""
        item = self.take_now(client)
        if item is not None:
            return item
        queue = self.waiting.get(client)
        if queue is None:
            queue = self.waiting[client] = deque()
        if len(queue) >= self.queue_limit:
            if not queue:
                del self.waiting[client]
            raise QueueFull()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T | None] = loop.create_future()
        queue.append(future)
        timer = loop.call_later(timeout_s, self._expire, client, future)
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.result() is not None:
                self.give_back(client, future.result())  # handed over as the request was cancelled
            self._forget(client, future)
            raise
        finally:
            timer.cancel()

    def give_back(self, client: str, item: T | None) -> None:
        """The client's turn is over; ``item`` is idle again (None: it is gone, e.g. its process died)."""
        count = self.held.get(client, 0) - 1
        if count > 0:
            self.held[client] = count
        else:
            self.held.pop(client, None)
        self.busy -= 1
        if item is not None:
            self.add(item)
        elif self.waiting and self.idle:
            self._hand_out()  # this client (or, under max_held, any) may now take an idle item it had to wait for

    def add(self, item: T) -> None:
        """A new or returned item: to the next waiting client in turn, else idle."""
        self.idle.append(item)
        if self.waiting:
            self._hand_out()

    def withdraw(self, item: T) -> bool:
        """Take ``item`` out of the idle items (to retire it); False if it is not idle."""
        try:
            self.idle.remove(item)
        except ValueError:
            return False
        return True

    def close(self) -> list[T]:
        """Wake every waiting request (with None) and return the idle items."""
        for queue in self.waiting.values():
            for future in queue:
                if not future.done():
                    future.set_result(None)
        self.waiting.clear()
        idle, self.idle = self.idle, []
        return idle

    def _below_max(self) -> bool:
        return self.max_held is None or self.busy < self.max_held

    def _hand_out(self) -> None:
        while self.idle and self.waiting and self._below_max():
            for client, queue in self.waiting.items():
                if self.held.get(client, 0) < self.per_client:
                    break
            else:
                return  # every waiting client holds its share
            future = queue.popleft()
            del self.waiting[client]
            if queue:
                self.waiting[client] = queue  # to the back of the turn order
            if future.done():  # cancelled, not yet forgotten
                continue
            self.held[client] = self.held.get(client, 0) + 1
            self.busy += 1
            future.set_result(self.idle.pop())

    def _expire(self, client: str, future: asyncio.Future[T | None]) -> None:
        if not future.done():
            future.set_result(None)
        self._forget(client, future)

    def _forget(self, client: str, future: asyncio.Future[T | None]) -> None:
        queue = self.waiting.get(client)
        if queue is not None:
            try:
                queue.remove(future)
            except ValueError:
                pass
            if not queue:
                del self.waiting[client]
