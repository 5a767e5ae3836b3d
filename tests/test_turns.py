"""Fair turns at the query workers (graph/serve/turns.py), the client key, and the memory settings:
unit tests on the event loop, without worker processes or HTTP."""
from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest
from click.testing import CliRunner

from graph.cli import main
from graph.serve.context import (GIB, MAX_DEFAULT_WORKER_MEMORY, MIB, MIN_WORKER_MEMORY, ServeSettings, default_worker_memory,
                                  format_size, max_running, parse_size)
from graph.serve.turns import QueueFull, Turns
from graph.serve.workers import client_key

LONG_S = 60.0  # a wait that never expires within a test


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


async def _settle() -> None:
    for _ in range(5):  # let the waiting tasks take what they were handed
        await asyncio.sleep(0)


def test_a_client_holds_one_item_while_another_client_takes_the_idle_one() -> None:
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=8)
        turns.add("w1")
        turns.add("w2")
        first = turns.take_now("A")
        assert first is not None
        assert turns.take_now("A") is None  # A holds its share although a worker is idle
        second_for_a = asyncio.create_task(turns.take("A", LONG_S))
        await _settle()
        assert not second_for_a.done()
        assert turns.take_now("B") is not None  # the idle worker goes to B at once
        turns.give_back("A", first)  # A's first turn ends: its waiting request takes the worker
        assert await second_for_a == first
        assert turns.held == {"A": 1, "B": 1} and not turns.waiting and not turns.idle
    run(scenario())


def test_clients_take_turns_round_robin_not_first_come_overall() -> None:
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=8)
        turns.add("w")
        item = turns.take_now("A")
        served: list[str] = []

        async def request(client: str, name: str) -> None:
            got = await turns.take(client, LONG_S)
            served.append(name)
            await asyncio.sleep(0)
            turns.give_back(client, got)

        tasks = [asyncio.create_task(request("A", "A2")), asyncio.create_task(request("A", "A3"))]
        await _settle()
        tasks.append(asyncio.create_task(request("B", "B1")))  # B comes after both of A's waiting requests
        await _settle()
        turns.give_back("A", item)
        await asyncio.gather(*tasks)
        assert served == ["A2", "B1", "A3"]  # first come overall would be A2, A3, B1
        assert turns.idle == ["w"] and not turns.held and not turns.waiting
    run(scenario())


def test_a_client_over_its_queue_limit_is_turned_away() -> None:
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=2)
        turns.add("w")
        assert turns.take_now("A") == "w"
        waiting = [asyncio.create_task(turns.take("A", LONG_S)) for _ in range(2)]
        await _settle()
        with pytest.raises(QueueFull):
            await turns.take("A", LONG_S)
        other = asyncio.create_task(turns.take("B", LONG_S))  # another client still queues
        await _settle()
        assert not other.done() and len(turns.waiting["B"]) == 1
        for task in [*waiting, other]:
            task.cancel()
        await asyncio.gather(*waiting, other, return_exceptions=True)
        assert not turns.waiting
    run(scenario())


def test_a_wait_ends_with_none_at_its_timeout_and_leaves_no_trace() -> None:
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=8)
        assert await turns.take("A", 0.01) is None
        assert not turns.waiting and not turns.held
        turns.add("w")  # a worker that comes later stays idle for the next request
        assert turns.idle == ["w"]
    run(scenario())


def test_an_item_handed_to_a_cancelled_request_comes_back() -> None:
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=8)
        waiting = asyncio.create_task(turns.take("A", LONG_S))
        await _settle()
        turns.add("w")  # handed to the waiting request ...
        waiting.cancel()  # ... which is cancelled before it runs again
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert turns.idle == ["w"] and not turns.held and not turns.waiting
    run(scenario())


def test_a_lost_item_lets_the_same_clients_next_request_take_an_idle_one() -> None:
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=8)
        turns.add("w1")
        turns.add("w2")
        turns.take_now("A")
        turns.take_now("B")
        second_for_a = asyncio.create_task(turns.take("A", LONG_S))
        await _settle()
        turns.give_back("B", "w2")  # idle, but A holds its share: it stays idle
        await _settle()
        assert not second_for_a.done() and turns.idle == ["w2"]
        turns.give_back("A", None)  # A's worker died: A may take the idle one
        assert await second_for_a == "w2"
    run(scenario())


def test_no_more_than_max_held_items_are_held_in_all_whatever_is_idle() -> None:
    """The pool keeps spare workers idle; this bound keeps the memory of running queries bounded."""
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=8, max_held=2)
        for item in ("w1", "w2", "w3"):
            turns.add(item)
        assert turns.take_now("A") is not None and turns.take_now("B") is not None
        assert turns.take_now("C") is None and turns.idle == ["w1"]  # idle, but two are held
        waiting = asyncio.create_task(turns.take("C", LONG_S))
        await _settle()
        assert not waiting.done() and turns.busy == 2
        turns.give_back("A", None)  # A's worker is gone: C may take the idle one
        assert await waiting == "w1" and turns.busy == 2 and turns.held == {"B": 1, "C": 1}
    run(scenario())


def test_an_idle_item_can_be_withdrawn_and_a_held_one_cannot() -> None:
    turns: Turns[str] = Turns(per_client=1, queue_limit=8)
    turns.add("w1")
    turns.add("w2")
    held = turns.take_now("A")
    assert held == "w2" and not turns.withdraw(held)
    assert turns.withdraw("w1") and turns.idle == [] and turns.take_now("B") is None


def test_close_wakes_every_waiting_request() -> None:
    async def scenario() -> None:
        turns: Turns[str] = Turns(per_client=1, queue_limit=8)
        waiting = asyncio.create_task(turns.take("A", LONG_S))
        await _settle()
        assert turns.close() == []
        assert await waiting is None
    run(scenario())


def test_client_key_is_the_ipv4_address_or_the_ipv6_network() -> None:
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key("") == ""


# ------------------------------------------------------------------ memory settings

@pytest.mark.parametrize(("text", "size"), [("2G", 2 * GIB), ("512M", 512 * MIB), ("1.5GiB", 3 * GIB // 2),
                                             ("300MB", 300 * MIB), ("300m", 300 * MIB), (str(GIB), GIB)])
def test_sizes_are_read_in_binary_multiples(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "message"), [("lots", "not a size"), ("2X", "not a size"), ("10M", "at least 64M")])
def test_a_bad_size_is_refused_with_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_size(text, "--worker-memory")


def test_sizes_print_as_they_are_written() -> None:
    assert [format_size(size) for size in (300 * MIB, 2 * GIB, 3 * GIB // 2)] == ["300M", "2G", "1.5G"]


def test_the_default_worker_memory_is_a_bounded_share_of_the_machine() -> None:
    for workers in (1, 2, 16, 64):
        assert MIN_WORKER_MEMORY <= default_worker_memory(workers) <= MAX_DEFAULT_WORKER_MEMORY
    assert default_worker_memory(64) <= default_worker_memory(1)


def test_worker_memory_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCES_WORKER_MEMORY", "512M")
    monkeypatch.setenv("ALLIANCES_CLIENT_WORKERS", "2")
    monkeypatch.setenv("ALLIANCES_CLIENT_QUEUE", "3")
    settings = ServeSettings()
    assert (settings.memory_limit(), settings.client_workers, settings.client_queue) == (512 * MIB, 2, 3)
    monkeypatch.delenv("ALLIANCES_WORKER_MEMORY")
    assert ServeSettings(workers=3).memory_limit() == default_worker_memory(max_running(3))


def test_the_default_worker_memory_counts_the_spares() -> None:
    """Up to twice --workers run queries at once (graph/serve/workers.py, spare workers): the
    default limit shares the memory among all of them, so their total stays within the machine."""
    from graph.serve.context import total_memory
    assert max_running(3) == 6
    limit = ServeSettings(workers=3).memory_limit()
    assert limit * max_running(3) < total_memory() or limit == MIN_WORKER_MEMORY
    assert ServeSettings(workers=3, allow_update=True).memory_limit() == default_worker_memory(1)  # one read-write worker


def test_serve_refuses_a_bad_worker_memory_with_exit_2() -> None:
    result = CliRunner().invoke(main, ["serve", "--worker-memory", "lots"])
    assert result.exit_code == 2
    assert "--worker-memory" in result.output and "not a size" in result.output
