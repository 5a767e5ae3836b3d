"""``serve``'s pages and ``alliances stats`` read the landscape kept beside the build
(graph.network.landscape_cache), and a server never pauses the cycle collector
(graph.network.landscape.cycles_uncollected).

- ``stats`` and the served ``/network`` and ``/`` give the same bytes without the kept file, when
  they write it, and when they read it; a file one server kept is read by the next server.
- Readers building the same landscape at once leave one whole file.
- A build served with updates is never read from a file kept before: after an update through
  ``/sparql``, ``/network`` shows the change.
- While a request builds a landscape or draws a network, the collector stays on for every other
  thread, and on after a build that raises; a one-thread process (a command) still pauses it.
"""
from __future__ import annotations

import gc
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from graph.cli import main
from graph.network import landscape as reading
from graph.network import landscape_cache
from graph.network.landscape import PARTS, cycles_uncollected, load_landscape
from graph.network.landscape_cache import cache_file, landscape_of
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore, PublishedStore
from graph.visualise import view as drawing
from graph.visualise.html import read_payloads

from endpoint_support import Server, running_server
from test_landscape_cache import clear, kept, published

BASE = "https://w3id.org/alliance-graph/id/"
HBIS = f"{BASE}organisation/hbis"
NEWCOMER = f"{BASE}organisation/newcomer-steel"
WAIT_S = 120.0  # every wait below ends by itself


@pytest.fixture
def seed(built: Any, tmp_path: Path) -> Path:
    """A published copy of the session's build of data/, with no kept landscape: this test's own."""
    target = tmp_path / "copy" / "store"
    shutil.copytree(os.path.realpath(built.store_path), target)
    return published(target)


def build_folder(store_path: Path) -> Path:
    return Path(os.path.realpath(store_path))


def pages(server: Server, paths: list[str]) -> dict[str, bytes]:
    with server.client(timeout=WAIT_S) as client:
        found = {}
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            found[path] = response.content
        return found


PAGES = ["/network", "/network?material=steel", "/"]


# ------------------------------------------------------------------ the same bytes

def test_stats_gives_the_same_bytes_without_the_cache_cold_and_warm(
        runner: CliRunner, seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def run() -> bytes:
        result = runner.invoke(main, ["--store", str(seed), "stats", "--format", "json"])
        assert result.exit_code == 0, result.output
        return result.stdout_bytes

    with monkeypatch.context() as patch:
        patch.setattr(landscape_cache, "cache_folder", lambda store: None)
        plain = run()
    assert not kept(seed)
    cold = run()
    assert kept(seed) == [cache_file(build_folder(seed), PARTS)], "stats keeps the landscape it read"
    written = cache_file(build_folder(seed), PARTS).stat().st_mtime_ns
    with monkeypatch.context() as patch:
        patch.setattr(landscape_cache, "load_landscape", _never)
        warm = run()
    assert cache_file(build_folder(seed), PARTS).stat().st_mtime_ns == written
    assert cold == plain and warm == plain


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the landscape was read from the store, not from the kept file")


def test_served_pages_give_the_same_bytes_without_the_cache_and_the_next_server_reads_the_kept_file(
        seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(landscape_cache, "cache_folder", lambda store: None)
        with running_server(seed, explorer=True) as server:
            plain = pages(server, PAGES)
    assert not kept(seed)
    with running_server(seed, explorer=True) as server:
        cold = pages(server, PAGES)
    assert kept(seed) == [cache_file(build_folder(seed), PARTS)], "the first request keeps the landscape"
    with monkeypatch.context() as patch:
        patch.setattr(landscape_cache, "load_landscape", _never)
        with running_server(seed, explorer=True) as server:
            warm = pages(server, PAGES)
    assert cold == plain and warm == plain


def test_a_published_store_is_read_as_the_build_answering_now(seed: Path) -> None:
    clear(seed)
    followed = PublishedStore(seed)
    assert landscape_of(followed) == load_landscape(followed.current())
    assert kept(seed) == [cache_file(build_folder(seed), PARTS)]


# ------------------------------------------------------------------ readers at once

def test_two_readers_building_the_same_landscape_at_once_leave_one_whole_file(
        seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear(seed)
    store = OxigraphStore.open(seed)
    expected = load_landscape(store)
    both_reading = threading.Barrier(2, timeout=WAIT_S)
    real = load_landscape

    def side_by_side(*args: Any, **kwargs: Any) -> Any:
        both_reading.wait()  # neither found a kept file: both read the store and both write it
        return real(*args, **kwargs)

    monkeypatch.setattr(landscape_cache, "load_landscape", side_by_side)
    found: list[Any] = []
    threads = [threading.Thread(target=lambda: found.append(landscape_of(store))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert found == [expected, expected]
    folder = build_folder(seed)
    assert kept(seed) == [cache_file(folder, PARTS)]
    assert not list(folder.glob(f".{landscape_cache.PREFIX}*")), "no temporary file is left"
    monkeypatch.setattr(landscape_cache, "load_landscape", _never)
    assert landscape_of(store) == expected  # the file is whole: it is read, not replaced
    store.close()


def test_concurrent_network_requests_read_the_landscape_once_and_answer_alike(
        seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear(seed)
    reads: list[int] = []
    real = load_landscape

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(landscape_cache, "load_landscape", counted)
    with running_server(seed, explorer=True) as server:
        answers: list[bytes] = []
        threads = [threading.Thread(target=lambda: answers.append(pages(server, ["/network"])["/network"]))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_S)
    assert len(answers) == 2 and answers[0] == answers[1]
    assert len(reads) == 1
    assert kept(seed) == [cache_file(build_folder(seed), PARTS)]


# ------------------------------------------------------------------ updates

def _role(store_path: Path) -> str:
    store = OxigraphStore.open(store_path)
    try:
        row = next(iter(select(store, "SELECT ?role WHERE { ?p al:party ?o ; al:role ?role } LIMIT 1")))
        return str(row["role"].value)
    finally:
        store.close()


def test_after_an_update_through_the_endpoint_network_shows_the_change(seed: Path) -> None:
    """A build read and kept by a server, then served with updates and changed through /sparql,
    then served again: its kept landscape is from before the update and must not be read."""
    role = _role(seed)
    with running_server(seed, explorer=True) as server:
        before = read_payloads(pages(server, ["/network"])["/network"].decode())["alliance-data"]["nodes"]
    assert NEWCOMER not in before and kept(seed)
    deal = f"{BASE}alliance/newcomer-deal"
    update = f"""
    INSERT DATA {{ GRAPH <{BASE}source/newcomer-news> {{
      <{NEWCOMER}> a <http://www.w3.org/ns/org#Organization> ; <{reading.AL}displayLabel> "Newcomer Steel" .
      <{deal}> a <{reading.AL}Alliance>, <{reading.AL}Agreement> ; <{reading.AL}displayLabel> "Newcomer deal" ;
        <{reading.AL}participation> <{deal}/party/hbis>, <{deal}/party/newcomer-steel> .
      <{deal}/party/hbis> <{reading.AL}party> <{HBIS}> ; <{reading.AL}role> <{role}> .
      <{deal}/party/newcomer-steel> <{reading.AL}party> <{NEWCOMER}> ; <{reading.AL}role> <{role}> .
    }} }}"""
    with running_server(seed, allow_update=True, update_token="t", workers=1) as writable:
        response = httpx.post(writable.sparql, content=update, timeout=WAIT_S,
                              headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer t"})
        assert response.status_code == 204, response.text
    with running_server(seed, explorer=True) as server:
        after = read_payloads(pages(server, ["/network"])["/network"].decode())["alliance-data"]["nodes"]
    assert NEWCOMER in after
    assert kept(seed) == [cache_file(build_folder(seed), PARTS)], "only the file from before the update"
    served = OxigraphStore.open(seed)
    assert landscape_cache.cache_folder(served) is None
    served.close()


# ------------------------------------------------------------------ the cycle collector

@pytest.fixture
def collector_on() -> Iterator[None]:
    assert gc.isenabled(), "the collector is on before the test"
    yield
    gc.enable()  # whatever the test saw, the next test starts with it on


class Held:
    """Hold a request inside ``target`` (a module's function) until the test has looked at the collector."""

    def __init__(self, module: Any, name: str, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> None:
        self.inside, self.release = threading.Event(), threading.Event()
        self.seen_inside: list[bool] = []
        real: Callable[..., Any] = getattr(module, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.seen_inside.append(gc.isenabled())
            self.inside.set()
            self.release.wait(WAIT_S)
            if fail:
                raise RuntimeError("a landscape build that fails")
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, held)


def _request_in_thread(server: Server, path: str, statuses: list[int]) -> threading.Thread:
    def get() -> None:
        with server.client(timeout=WAIT_S) as client:
            statuses.append(client.get(path).status_code)
    thread = threading.Thread(target=get)
    thread.start()
    return thread


@pytest.mark.parametrize("step", ["reading the landscape", "drawing the network"])
def test_a_request_building_never_pauses_the_collector_for_the_others(
        seed: Path, monkeypatch: pytest.MonkeyPatch, collector_on: None, step: str) -> None:
    clear(seed)
    module, name = (reading, "_read_organisations") if step == "reading the landscape" else (drawing, "layout_positions")
    held = Held(module, name, monkeypatch)
    with running_server(seed, explorer=True) as server:
        statuses: list[int] = []
        first = _request_in_thread(server, "/network", statuses)
        assert held.inside.wait(WAIT_S)
        second = _request_in_thread(server, "/id/organisation/hbis", statuses)  # another request meanwhile
        second.join(WAIT_S)
        enabled_meanwhile = gc.isenabled()  # seen from another thread while the first request builds
        held.release.set()
        first.join(WAIT_S)
    assert sorted(statuses) == [200, 200]
    assert held.seen_inside == [True] and enabled_meanwhile
    assert gc.isenabled()


def test_a_landscape_build_that_raises_leaves_the_collector_on(
        seed: Path, monkeypatch: pytest.MonkeyPatch, collector_on: None) -> None:
    clear(seed)
    held = Held(reading, "_read_organisations", monkeypatch, fail=True)
    held.release.set()
    with running_server(seed, explorer=True) as server:
        assert httpx.get(f"{server.base}/network", timeout=WAIT_S).status_code == 500
        assert gc.isenabled()
        assert httpx.get(f"{server.base}/network", timeout=WAIT_S).status_code == 500  # again: nothing was kept half-built
    assert held.seen_inside == [True, True] and gc.isenabled()
    assert not kept(seed)


def test_a_process_of_one_thread_pauses_the_collector_and_one_of_several_does_not(collector_on: None) -> None:
    """A command is one thread: it keeps the pause (docs/benchmarks.md); elsewhere nothing is paused."""
    one_thread = subprocess.run(
        [sys.executable, "-c", "import gc\nfrom graph.network.landscape import cycles_uncollected\n"
                               "with cycles_uncollected():\n    print(gc.isenabled())\nprint(gc.isenabled())"],
        capture_output=True, text=True, check=True, timeout=WAIT_S)
    assert one_thread.stdout.split() == ["False", "True"]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, args=(WAIT_S,), daemon=True)
    other.start()
    try:
        with cycles_uncollected():
            assert gc.isenabled()
    finally:
        stop.set()
        other.join(WAIT_S)
    assert gc.isenabled()


def test_serve_makes_full_collections_rarer_before_it_answers(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from graph.serve import app
    from graph.serve.context import ServeSettings

    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.append(gc.get_threshold()))
    saved = gc.get_threshold()
    gc.set_threshold(saved[0], saved[1], 10)  # Python's default
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        app.serve(ServeSettings(store_path=seed, port=port, access_log=False))
    finally:
        gc.set_threshold(*saved)
    assert seen == [(saved[0], saved[1], app.FULL_COLLECTION_EVERY)]
    assert gc.isenabled()
