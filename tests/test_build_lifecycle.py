"""Serving survives builds: a running server answers from each newly published build, a folder
in use is never pruned, and a killed build leaves nothing that pruning prefers to a good build.

Everything runs on real files: builds into a private store, a real server on 127.0.0.1
(endpoint_support.running_server), and ``alliances build`` as a subprocess that is killed.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

from graph.build.pipeline import build
from graph.config import PROJECT_ROOT, Settings
from graph.rdf.store import OxigraphStore, builds_dir

from conftest import FIXTURES
from endpoint_support import Server, running_server

DEAL = "example-recycling-deal"
TITLE_QUERY = f"SELECT ?t WHERE {{ <https://w3id.org/alliance-graph/id/alliance/{DEAL}> skos:prefLabel ?t }}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
BUILD_TIMEOUT_S = 300.0


def edition(n: int) -> str:
    return f"Example recycling supply agreement edition {n}"


def publish_edition(settings: Settings, n: int) -> Path:
    """Change one record (the title of an alliance), build, and return the folder published."""
    record = (FIXTURES / "records" / "valid" / "minimal-new-deal.yaml").read_text(encoding="utf-8")
    changed = record.replace("Example recycling supply agreement", edition(n))
    assert changed != record
    (settings.data_dir / "sources" / "minimal-new-deal.yaml").write_text(changed, encoding="utf-8")
    build(settings)
    return settings.store_path.resolve()


def folders(settings: Settings) -> set[str]:
    return {p.name for p in builds_dir(settings.store_path).iterdir() if p.name.isdigit()}


def title_over_sparql(client: httpx.Client) -> str:
    response = client.get("/sparql", params={"query": TITLE_QUERY}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    [binding] = response.json()["results"]["bindings"]
    return str(binding["t"]["value"])


def test_a_running_server_answers_from_each_new_build(own_data: Settings) -> None:
    publish_edition(own_data, 0)
    with running_server(own_data.store_path, workers=2, explorer=True) as server, server.client() as client:
        assert title_over_sparql(client) == edition(0)
        for n in (1, 2, 3):
            publish_edition(own_data, n)
            for _ in range(server.settings.workers + 1):  # every idle worker is handed out at least once
                assert title_over_sparql(client) == edition(n)
            for page in ("/", "/network", f"/id/alliance/{DEAL}"):  # the explorer reads the new build too
                response = client.get(page)
                assert response.status_code == 200, page
                assert edition(n) in response.text and edition(n - 1) not in response.text, page


def test_a_worker_replaced_after_rebuilds_opens_the_current_build(own_data: Settings) -> None:
    """The defect as found: after two rebuilds, a worker killed at its deadline could not be
    replaced (its folder was pruned), and every query answered 503 from then on."""
    publish_edition(own_data, 0)
    with running_server(own_data.store_path, workers=1, deadline_s=3.0) as server, server.client() as client:
        assert title_over_sparql(client) == edition(0)
        for n in (1, 2, 3):
            publish_edition(own_data, n)
        runaway = client.get("/sparql", params={"query": RUNAWAY})
        assert runaway.status_code == 503 and "deadline" in runaway.text
        assert _first_answer(client, server) == edition(3)


def _first_answer(client: httpx.Client, server: Server) -> str:
    """The title, from the first light query that gets a worker: while the killed worker's
    replacement starts, a query may wait out the deadline (503); a few attempts are enough."""
    response: httpx.Response
    for _ in range(5):
        response = client.get("/sparql", params={"query": TITLE_QUERY}, headers={"Accept": "application/sparql-results+json"})
        if response.status_code != 503:
            assert response.status_code == 200, response.text
            return str(response.json()["results"]["bindings"][0]["t"]["value"])
    raise AssertionError(f"no query worker answered within 5 deadlines of {server.settings.deadline_s:g} s: {response.text}")


def test_a_build_folder_held_by_a_reader_survives_pruning(own_data: Settings) -> None:
    held = publish_edition(own_data, 0)
    reader = OxigraphStore.open(own_data.store_path)
    newest: Path
    for n in (1, 2, 3):
        newest = publish_edition(own_data, n)
    assert held.is_dir() and held.name in folders(own_data)
    rows = reader.query(TITLE_QUERY)
    assert isinstance(rows, ox.QuerySolutions) and [r["t"].value for r in rows] == [edition(0)]  # still whole, answering
    assert newest.name in folders(own_data)
    reader.close()
    publish_edition(own_data, 4)
    assert held.name not in folders(own_data)  # released, it is pruned like any old build


def test_a_killed_build_leaves_the_previous_graph_and_is_pruned_first(own_data: Settings) -> None:
    previous = publish_edition(own_data, 0)
    good = publish_edition(own_data, 1)
    with running_server(own_data.store_path, workers=1) as server, server.client() as client:
        assert title_over_sparql(client) == edition(1)
        partial = _kill_a_build_midway(own_data)
        assert own_data.store_path.resolve() == good  # nothing was published
        assert title_over_sparql(client) == edition(1)  # the previous graph answers
    current = publish_edition(own_data, 2)  # with no reader left, only pruning's choice keeps a folder
    assert not partial.exists()  # the next build's pruning removed the partial folder ...
    assert folders(own_data) == {good.name, current.name}  # ... and kept the good ones
    assert not previous.exists()


def test_a_running_build_keeps_its_folder_while_other_builds_publish(own_data: Settings) -> None:
    publish_edition(own_data, 0)
    process, running = _start_a_build(own_data)
    try:
        process.send_signal(signal.SIGSTOP)  # held midway while two other builds publish and prune
        for n in (1, 2):
            publish_edition(own_data, n)
        assert running.is_dir() and running.name in folders(own_data)
        process.send_signal(signal.SIGCONT)
        assert process.wait(BUILD_TIMEOUT_S) == 0  # it finishes and publishes its folder
    finally:
        process.kill()  # nothing, if it has ended
        process.wait(30)
    assert own_data.store_path.resolve() == running


def _start_a_build(settings: Settings) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``alliances build`` on the same store (from the project's data) and return it with its
    new folder, once that folder has content."""
    before = folders(settings)
    command = [sys.executable, "-m", "graph", "--store", str(settings.store_path), "build"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:
        started = [builds_dir(settings.store_path) / name for name in folders(settings) - before]
        if started and any(started[0].iterdir()):
            return process, started[0]
        time.sleep(0.005)
    process.kill()
    process.wait(30)
    raise AssertionError(f"the build ended ({process.returncode}) or showed no folder within {BUILD_TIMEOUT_S:g} s")


def _kill_a_build_midway(settings: Settings) -> Path:
    """Run ``alliances build`` on the same store, SIGKILL it once its new folder has content,
    and return that folder."""
    process, started = _start_a_build(settings)
    process.send_signal(signal.SIGKILL)  # nothing, if the build has already ended
    process.wait(30)
    assert process.returncode == -signal.SIGKILL, "the build ended before it could be killed"
    return started
