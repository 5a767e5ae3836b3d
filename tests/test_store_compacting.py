"""A cold build compacts its store on a thread of its own while it goes on reading it
(graph.rdf.store.OxigraphStore.compacting): the readings run meanwhile, leaving waits for the
compaction, and an error of either side is not lost."""
from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore


class SlowCompaction:
    """An ox.Store whose optimize waits until the test lets it finish, and says on which thread it ran."""

    def __init__(self, inner: ox.Store, error: Exception | None = None) -> None:
        self.inner = inner
        self.release = threading.Event()
        self.started = threading.Event()
        self.finished = False
        self.thread = ""
        self.error = error

    def flush(self) -> None:
        self.inner.flush()

    def optimize(self) -> None:
        self.thread = threading.current_thread().name
        self.started.set()
        assert self.release.wait(10), "the test never let the compaction finish"
        self.inner.optimize()
        self.finished = True
        if self.error is not None:
            raise self.error

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def store_with(tmp_path: Path, error: Exception | None = None) -> tuple[OxigraphStore, SlowCompaction]:
    inner = ox.Store(str(tmp_path / "store"))
    inner.add(ox.Quad(ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/p"), ox.Literal("1")))
    slow = SlowCompaction(inner, error)
    return OxigraphStore(slow, folder=tmp_path / "store"), slow  # type: ignore[arg-type]


def test_readings_run_while_the_store_compacts_and_leaving_waits_for_it(tmp_path: Path) -> None:
    store, slow = store_with(tmp_path)
    with store.compacting():
        assert slow.started.wait(10)
        assert slow.thread.startswith("compact") and slow.thread != threading.current_thread().name
        rows = list(select(store, "SELECT ?o WHERE { ?s ?p ?o }"))  # answered while the compaction waits
        assert [row["o"].value for row in rows] == ["1"]
        assert not slow.finished
        threading.Timer(0.2, slow.release.set).start()
    assert slow.finished  # not left before the compaction ended


def test_an_error_while_compacting_waits_and_keeps_the_callers_error(tmp_path: Path) -> None:
    store, slow = store_with(tmp_path, error=OSError("disk full"))
    with pytest.raises(ValueError, match="the build's own"):
        with store.compacting():
            threading.Timer(0.2, slow.release.set).start()
            raise ValueError("the build's own")
    assert slow.finished  # waited for, so that the folder is not removed under it


def test_a_failed_compaction_is_raised_on_leaving(tmp_path: Path) -> None:
    store, slow = store_with(tmp_path, error=OSError("disk full"))
    slow.release.set()
    with pytest.raises(OSError, match="disk full"):
        with store.compacting():
            pass
