"""The build is atomic (a failed build keeps the previous graph), repeatable, and frees its caller's garbage where the caller made it."""
from __future__ import annotations

import gc
import io
import sys
import threading
import weakref
from pathlib import Path

import pyoxigraph as ox
import pytest

import graph.build.derive as derive
from graph.build.pipeline import build
from graph.config import Settings
from graph.errors import AllianceError, InvalidData
from graph.rdf.query_forms import construct, select
from graph.rdf.store import OxigraphStore, builds_dir

from conftest import FIXTURES

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a a al:Alliance }"


def _alliances(settings: Settings) -> int:
    return int(next(iter(select(OxigraphStore.open(settings.store_path), COUNT)))["n"].value)


def _nquads(settings: Settings) -> list[bytes]:
    out = io.BytesIO()
    OxigraphStore.open(settings.store_path).export(out, __import__("pyoxigraph").RdfFormat.N_QUADS)
    return sorted(out.getvalue().splitlines())


@pytest.mark.parametrize("broken", ["broken-reference.yaml", "yaml-syntax.yaml"])
def test_failed_build_keeps_the_previous_graph(own_data: Settings, broken: str) -> None:
    build(own_data)
    before = _alliances(own_data)
    target = own_data.data_dir / "sources" / broken
    target.write_bytes((FIXTURES / "records" / "invalid" / broken).read_bytes())
    with pytest.raises(InvalidData) as failure:
        build(own_data)
    assert any(p.file.endswith(broken) and p.line > 0 for p in failure.value.problems)
    assert _alliances(own_data) == before  # the previous graph still answers
    assert len([p for p in builds_dir(own_data.store_path).iterdir()]) == 1  # the failed build left nothing behind


def test_new_record_appears_after_a_successful_build(own_data: Settings) -> None:
    build(own_data)
    before = _alliances(own_data)
    (own_data.data_dir / "sources" / "minimal-new-deal.yaml").write_bytes(
        (FIXTURES / "records" / "valid" / "minimal-new-deal.yaml").read_bytes())
    build(own_data)
    assert _alliances(own_data) == before + 1


def test_build_is_repeatable(own_data: Settings, tmp_path: Path) -> None:
    build(own_data)
    first = _nquads(own_data)
    build(own_data)
    assert _nquads(own_data) == first
    assert len(first) > 1000


def test_one_named_graph_per_source_plus_vocabulary_and_derived(built: Settings, store: OxigraphStore) -> None:
    graphs = store.named_graphs()
    sources = [g for g in graphs if "/source/" in g]
    assert len(sources) == len(list((built.data_dir / "sources").glob("*.yaml")))
    assert {built.graph_iri(n) for n in ("ontology", "taxonomies", "derived")} <= set(graphs)
    # the default graph is the merge of the named graphs, each triple once (see OxigraphStore.materialise_union)
    merged = int(next(iter(select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    distinct = int(next(iter(select(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")))["n"].value)
    assert merged == distinct


def test_store_path_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    """A folder where the store's link should be is refused before any work, as an error the user
    fixes (AllianceError, exit 2; not InvalidData: the records are fine), and left untouched."""
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a graph", encoding="utf-8")
    with pytest.raises(AllianceError) as refused:
        build(Settings(store_path=folder))
    assert type(refused.value) is AllianceError
    message = str(refused.value)
    assert message.startswith(f"{folder} exists and is not a link made by 'alliances build'"), message
    assert "move it away and build again" in message
    assert [p.name for p in tmp_path.iterdir()] == ["store"]  # no build folder was started
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_cold_build_counts_the_triples_of_its_named_graphs(own_data: Settings) -> None:
    """The summary's triples are counted from the store before the merge joins it (quad_count), which
    must give what a count of every named graph's triples gives on the published store."""
    summary = build(own_data)
    store = OxigraphStore.open(own_data.store_path)
    try:
        counted = int(next(iter(select(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    finally:
        store.close()
    assert summary.triples == counted > 1000


class _Holder:
    """A caller's object in a reference cycle (a notebook's traceback, a test's frame)."""


def test_a_build_frees_the_callers_cycles_on_the_callers_thread(own_data: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyoxigraph frees a query result only on the thread that made it. The cycle collector runs on
    whichever thread allocates: here it is made to run on each derivation thread, as it may by chance.
    The caller's garbage must be gone by then, freed on the caller's thread."""
    monkeypatch.setattr(derive, "usable_cores", lambda: 2)  # derivations on threads even on one core
    collections_on_threads: list[int] = []

    def construct_after_a_collection(store: OxigraphStore, query: str) -> ox.QueryTriples:
        if threading.current_thread() is not threading.main_thread():
            collections_on_threads.append(gc.collect())
        return construct(store, query)

    monkeypatch.setattr(derive, "construct", construct_after_a_collection)
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda hook: unraisable.append(f"{hook.exc_value!r}"))
    scratch = ox.Store()
    scratch.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("o")))
    holder = _Holder()
    holder.__dict__.update(me=holder, results=scratch.query("SELECT * WHERE { ?s ?p ?o }"))
    held = weakref.ref(holder)
    gc.collect()  # the holder now in the oldest generation: only a full collection frees it, not a young one on this thread
    del holder
    build(own_data)
    assert collections_on_threads, "no derivation ran on a thread: the test did not reach what it tests"
    assert held() is None
    assert unraisable == []
