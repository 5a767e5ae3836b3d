"""A cold build bulk-loads its records while they compile (OxigraphStore.loading): what is loaded
must be what was written, a failed load must stop the writer with the load's own error, and the
compiling pool must not keep the load waiting (graph.build.records.started)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

import graph.build.pipeline as pipeline
import graph.build.records as records
import graph.rdf.store as store_module
from graph.build.pipeline import compile_records, vocabulary_nquads
from graph.config import PROJECT_ROOT, Settings
from graph.rdf.store import OxigraphStore
from graph.records.taxonomy import load_taxonomy

from conftest import child_pids

NQ = ox.RdfFormat.N_QUADS


def _quads(count: int) -> list[bytes]:
    return [f'<http://example.org/s{n}> <http://example.org/p> "{n}" <http://example.org/g{n % 7}> .\n'.encode()
            for n in range(count)]


def _loading_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "bulk-load"]


@pytest.mark.parametrize("by_path", [True, False])
def test_what_is_written_in_pieces_is_what_a_whole_load_loads(by_path: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read by the store through the system's path to the pipe (Linux), or through the file object."""
    with open(__file__, "rb") as probe:
        can_reopen = store_module.reopened(probe) is not None
    if by_path and not can_reopen:
        pytest.skip("this system cannot open a descriptor anew by path (/proc/self/fd): the store reads the file object")
    if not by_path:
        monkeypatch.setattr(store_module, "reopened", lambda data: None)
    lines = _quads(50_000)
    streamed, whole = OxigraphStore.in_memory(), OxigraphStore.in_memory()
    with streamed.loading(NQ) as out:
        for line in lines:
            out.write(line)
    whole.load(b"".join(lines), NQ)
    assert streamed.quad_count() == whole.quad_count() == 50_000
    assert set(streamed._store) == set(whole._store)
    assert not _loading_threads()


def test_a_failed_load_stops_the_writer_with_its_own_error() -> None:
    store = OxigraphStore.in_memory()
    with pytest.raises(SyntaxError, match="line 2"):  # pyoxigraph's parse error, not a broken pipe
        with store.loading(NQ) as out:
            out.write(_quads(1)[0] + b"<http://example.org/s> no-an-iri .\n")
            for line in _quads(200_000):  # far more than a pipe holds: the writer must be stopped, not left waiting
                out.write(line)
    assert not _loading_threads()


def test_a_block_that_fails_raises_its_error_after_the_load_has_ended() -> None:
    store = OxigraphStore.in_memory()
    with pytest.raises(KeyError, match="the caller's"):
        with store.loading(NQ) as out:
            out.write(b"".join(_quads(1000)))
            raise KeyError("the caller's")
    assert not _loading_threads()
    assert store.quad_count() == 1000  # what was written before is loaded (a bulk load cannot be undone)


def test_records_compiled_by_a_pool_are_loaded_while_they_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a pool of two workers, forked after the first result: had they forked after the load's
    pipe was open, each would hold its write end and the load would wait for them for ever."""
    monkeypatch.setattr(records, "usable_cores", lambda: 2)
    settings = Settings(data_dir=PROJECT_ROOT / "data")
    streamed, by_file = OxigraphStore.in_memory(), OxigraphStore.in_memory()
    taxonomy = load_taxonomy(settings.ontology_dir)
    handed: list[bytes] = []
    counted: list[int] = []

    def compile_streamed() -> None:
        compiled = compile_records(streamed, settings, taxonomy, preamble=vocabulary_nquads(settings))
        counted.append(len(compiled.problems))
        counted.append(compiled.files)

    worker = threading.Thread(target=compile_streamed, daemon=True)
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive(), "the bulk load still waits for the end of its pipe"
    assert counted[0] == 0 and counted[1] >= records.POOL_FROM  # no problem, and enough files for a pool
    compile_records(by_file, settings, taxonomy, preamble=vocabulary_nquads(settings),
                    load=lambda stream, paths: handed.append(stream.read()))
    by_file.load(handed[0], NQ)
    assert streamed.quad_count() == by_file.quad_count() > 10_000
    assert set(streamed._store) == set(by_file._store)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to list this process's children")
def test_a_build_that_fails_while_compiling_leaves_no_worker_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's workers are forked copies of the caller: kept alive by the failure's traceback
    (which a notebook, a server or a test holds), each held the caller's memory until collected."""
    monkeypatch.setattr(records, "usable_cores", lambda: 2)
    settings = Settings(data_dir=PROJECT_ROOT / "data")
    before = set(child_pids())

    def failing(paths: list[Path], known: dict[int, records.FileResult], fresh: Iterator[records.FileResult]) -> Iterator[tuple[Path, records.FileResult]]:
        for done, pair in enumerate(records.in_order(paths, known, fresh)):
            if done == records.POOL_FROM:
                raise RuntimeError("stopped while compiling")
            yield pair

    monkeypatch.setattr(pipeline, "in_order", failing)
    with pytest.raises(RuntimeError, match="stopped while compiling") as held:
        compile_records(OxigraphStore.in_memory(), settings, load_taxonomy(settings.ontology_dir), preamble=vocabulary_nquads(settings))
    assert held.traceback  # the failure, with its frames, is still held here
    assert set(child_pids()) - before == set()
