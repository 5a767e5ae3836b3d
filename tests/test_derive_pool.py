"""A cold build makes the derivations of a stage at the same time (graph.build.derive): what it
loads must be what one after the other loads, in the same order."""
from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from graph.build import derive as derive_module
from graph.build.derive import Derivation, derive
from graph.build.pipeline import compile_all
from graph.config import Settings
from graph.rdf.merge import Merge
from graph.rdf.store import OxigraphStore

from conftest import seed_corpus


@pytest.fixture(scope="module")
def sources() -> list[ox.Quad]:
    """The seed corpus's quads, without the derived graph: what a cold build derives from."""
    settings = Settings()
    store = OxigraphStore.in_memory()
    compile_all(store, settings, seed_corpus())
    derived = ox.NamedNode(settings.graph_iri("derived"))
    return [quad for quad in store.quads() if quad.graph_name != derived]


def _derived(sources: list[ox.Quad], workers: int) -> tuple[bytes, list[str]]:
    settings = Settings()
    store = OxigraphStore.in_memory()
    store.load(ox.serialize(sources, format=ox.RdfFormat.N_QUADS) or b"", ox.RdfFormat.N_QUADS)
    merge = Merge()
    try:
        derive(store, settings, merge=merge, workers=workers)
        merge.file.seek(0)
        written = merge.file.read()
    finally:
        merge.file.close()
    return written, sorted(str(quad) for quad in store.quads(settings.graph_iri("derived")))


def test_a_pool_derives_the_same_triples_as_one_thread(sources: list[ox.Quad]) -> None:
    alone, alone_quads = _derived(sources, workers=1)
    pooled, pooled_quads = _derived(sources, workers=4)
    assert alone_quads, "the seed corpus derives some triples"
    # The lines loaded (and written to the merge); not their order: organisation-lists writes its
    # lines in an order that changes from one run to the next even on one thread (the store's
    # grouping), while the order of the derivations' blocks is tested below.
    assert sorted(pooled.splitlines()) == sorted(alone.splitlines())
    assert pooled_quads == alone_quads


def _waiting(name: str, barrier: threading.Barrier, before: threading.Event | None, after: threading.Event | None) -> Derivation:
    def make(store: OxigraphStore, settings: Settings, iris: set[str] | None) -> bytes:
        barrier.wait()  # both derivations are running at once, or this breaks
        if before is not None:
            assert before.wait(timeout=10), "the later derivation never finished"
        if after is not None:
            after.set()
        return f"<urn:x:{name}> <urn:x:p> <urn:x:o> .\n".encode()
    return Derivation(name, (), frozenset({"urn:x:p"}), make)


def test_a_stage_runs_its_derivations_at_once_and_keeps_their_order(monkeypatch: pytest.MonkeyPatch) -> None:
    barrier = threading.Barrier(2, timeout=10)
    second_done = threading.Event()
    stage = [_waiting("first", barrier, second_done, None), _waiting("second", barrier, None, second_done)]
    monkeypatch.setattr(derive_module, "stages", lambda: (stage, []))
    settings = Settings()
    store = OxigraphStore.in_memory()
    merge = Merge()
    try:
        derive(store, settings, merge=merge, workers=2)
        merge.file.seek(0)
        written = merge.file.read()
    finally:
        merge.file.close()
    # the second finished first; the stage's order is kept all the same
    assert written == b"<urn:x:first> <urn:x:p> <urn:x:o> .\n<urn:x:second> <urn:x:p> <urn:x:o> .\n"
    assert len(list(store.quads(settings.graph_iri("derived")))) == 2

