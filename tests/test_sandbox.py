"""Query workers cannot open network connections (graph/serve/sandbox.py), even for SERVICE or
LOAD that the lexical check never saw: operations go straight to a real worker pool here, without
graph.serve.safety, and a listener on 127.0.0.1 must stay untouched.
"""
from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import socket
import sys
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from graph.serve import sandbox
from graph.serve.protocol import Operation
from graph.serve.execute import Limits, Outcome
from graph.serve.workers import QueryPool

from endpoint_support import make_store
from network_support import Listener

LIMITS = Limits(max_rows=1_000, max_result_bytes=1_000_000)
DATA = "<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
_SPAWN = multiprocessing.get_context("spawn")


def _reaches(port: int) -> bool:
    """Whether a TCP connection to 127.0.0.1:port opens (no name lookup: the address is numeric)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False


def _isolated_child(layers: list[str], port: int, drop_to_nobody: bool, report: Connection) -> None:
    """In a fresh process: apply the given layers (all when empty), try to reach the port, and
    report over the pipe, which must survive the isolation."""
    if drop_to_nobody:
        with contextlib.suppress(Exception):  # what the layers import, while files under /root are readable
            import pyseccomp  # noqa: F401
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    if layers:
        for name in layers:
            sandbox.LAYERS[name]()
        applied = tuple(layers)
    else:
        applied = sandbox.isolate_network().layers
    report.send((applied, _reaches(port)))
    report.recv()  # stay alive until the parent has looked at this process


def _run_child(layers: list[str], port: int, drop_to_nobody: bool = False) -> tuple[tuple[str, ...], bool, sandbox.Isolation]:
    parent, child = _SPAWN.Pipe()
    process = _SPAWN.Process(target=_isolated_child, args=(layers, port, drop_to_nobody, child), daemon=True)
    process.start()
    child.close()
    try:
        assert parent.poll(60), "the child process did not report"
        applied, reached = parent.recv()
        seen = sandbox.isolation_of(process.pid)  # type: ignore[arg-type]
        parent.send("done")
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
    return applied, reached, seen


def _available() -> sandbox.Isolation:
    with Listener() as listening:
        applied, _, _ = _run_child([], int(listening.url.rsplit(":", 1)[1]))
    return sandbox.Isolation(applied)


@pytest.fixture(scope="module")
def isolation() -> sandbox.Isolation:
    if not sys.platform.startswith("linux"):
        pytest.skip("worker network isolation needs Linux (network namespaces or seccomp)")
    available = _available()
    if not available.isolated:
        pytest.skip("this machine allows neither a network namespace nor a seccomp filter: run as root, allow user "
                    "namespaces, or apt-get install libseccomp2")
    return available


def _port(listening: Listener) -> int:
    return int(listening.url.rsplit(":", 1)[1])


@pytest.mark.parametrize("layer", list(sandbox.LAYERS))
def test_each_layer_alone_stops_a_connection_to_127_0_0_1(layer: str, isolation: sandbox.Isolation) -> None:
    if layer not in isolation.layers:
        pytest.skip(f"the {layer} layer is not available on this machine")
    with Listener() as listening:
        applied, reached, seen = _run_child([layer], _port(listening))
        listening.settle()
        assert applied == (layer,)
        assert not reached and not listening.calls()
        assert layer in seen.layers, seen  # the kernel's view agrees


def test_a_process_without_the_sandbox_does_reach_the_listener() -> None:
    """The control for the tests above: the same child, with no layer, connects."""
    with Listener() as listening:
        parent, child = _SPAWN.Pipe()
        process = _SPAWN.Process(target=_reach, args=(_port(listening), child), daemon=True)
        process.start()
        assert parent.poll(60) and parent.recv() is True
        process.join(10)
        listening.settle()
        assert listening.calls()


def _reach(port: int, report: Connection) -> None:
    report.send(_reaches(port))


def test_an_unprivileged_worker_is_isolated_too(isolation: sandbox.Isolation) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to start a child as the unprivileged user 'nobody'")
    with Listener() as listening:
        applied, reached, _ = _run_child([], _port(listening), drop_to_nobody=True)
        listening.settle()
    assert applied, "neither layer could be applied without privileges"
    assert not reached and not listening.calls()


# ------------------------------------------------------------------ a real worker pool, no lexical check

@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sandbox")
    (folder / "data.nt").write_text(DATA)
    return make_store(folder / "store", [(folder / "data.nt", "http://example.org/g")])


def _run_on_pool(store_path: Path, writable: bool, *ops: Operation) -> list[Outcome]:
    async def main() -> list[Outcome]:
        pool = QueryPool(store_path, size=1, deadline_s=20, limits=LIMITS, writable=writable)
        await pool.start()
        try:
            return [await pool.run(op) for op in ops]
        finally:
            await pool.close()

    return asyncio.run(main())


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <{url}/service/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <{url}/silent/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o SERVICE <{url}/joined/> { ?a ?b ?c } }",
], ids=["plain", "silent", "joined"])
def test_a_worker_sent_service_directly_calls_nobody(query: str, store_path: Path, isolation: sandbox.Isolation) -> None:
    with Listener() as listening:
        ops = [Operation("query", query.replace("{url}", listening.url), accept="application/sparql-results+json"),
               Operation("query", "ASK { ?s ?p ?o }", accept="application/sparql-results+json")]
        service, ask = _run_on_pool(store_path, False, *ops)
        listening.settle()
        assert not listening.calls(), f"a worker connected to 127.0.0.1: {listening.calls()[0][:80]!r}"
    assert ask.status == 200 and b"true" in ask.body, "the worker must keep answering over its pipe"
    assert service.status != 200 or b"bindings" in service.body  # SILENT: an empty answer, else an error


def test_a_writable_worker_sent_load_directly_fetches_nothing(store_path: Path, isolation: sandbox.Isolation,
                                                              tmp_path: Path) -> None:
    copy = make_store(tmp_path / "store", [(store_path.parent / "data.nt", "http://example.org/g")])
    with Listener() as listening:
        load, silent, ask = _run_on_pool(
            copy, True,
            Operation("update", f"LOAD <{listening.url}/load/> INTO GRAPH <http://example.org/loaded>"),
            Operation("update", f"LOAD SILENT <{listening.url}/silent/>"),
            Operation("query", "ASK { GRAPH <http://example.org/g> { ?s ?p ?o } }", accept="application/sparql-results+json"))
        listening.settle()
        assert not listening.calls(), f"a worker connected to 127.0.0.1: {listening.calls()[0][:80]!r}"
    assert load.status != 204  # the fetch failed, so LOAD without SILENT fails
    assert silent.status == 204
    assert ask.status == 200 and b"true" in ask.body
