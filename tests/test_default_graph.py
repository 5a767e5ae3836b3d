"""The default graph: the build's stored merge of the named graphs, or Oxigraph's union, decided
in one place (graph.rdf.store.union_default_graph). A store served with --allow-update always
gets the union, so that an update into a named graph is seen by default-graph queries, and the
build's merge, which updates would leave stale, is dropped for good."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from graph.rdf.store import UNION_MARKER, OxigraphStore, lease_build, new_build_dir, publish, union_default_graph

from endpoint_support import running_server

EX = "http://example.org/"
TOKEN = "default-graph-test-token"
JSON = "application/sparql-results+json"
# <s> <p> <a> is stated by two sources: the stored merge holds it once.
SOURCES = {f"{EX}g1": f"<{EX}s> <{EX}p> <{EX}a> .\n", f"{EX}g2": f"<{EX}s> <{EX}p> <{EX}a> .\n<{EX}s> <{EX}q> <{EX}z> .\n"}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def tiny_build(store_path: Path) -> Path:
    """A published build as `alliances build` makes one: named graphs, their merge as the default graph."""
    lease = new_build_dir(store_path)
    store = OxigraphStore.create(lease.folder)
    for graph, data in SOURCES.items():
        store.load(data.encode(), ox.RdfFormat.N_TRIPLES, graph)
    store.materialise_union()
    store.flush()
    store.close()
    publish(store_path, lease.folder)
    lease.release()
    return store_path


def _count(store: OxigraphStore) -> int:
    (row,) = store.query(COUNT)  # type: ignore[misc]
    return int(row["n"].value)


def _objects(store: OxigraphStore) -> set[str]:
    return {row["o"].value for row in store.query(f"SELECT DISTINCT ?o WHERE {{ <{EX}s> ?p ?o }}")}  # type: ignore[union-attr]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return tiny_build(tmp_path / "store")


def test_a_read_only_build_reads_its_stored_merge(tiny: Path) -> None:
    store = OxigraphStore.open(tiny)
    try:
        assert _count(store) == 2, "the triple two sources state counts once"
    finally:
        store.close()


def test_a_store_the_build_did_not_make_gets_the_union(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "plain"))
    store.add(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}d")))  # default graph
    store.add(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}n"), ox.NamedNode(f"{EX}g")))
    assert union_default_graph(store, tmp_path / "plain", writable=False)
    assert union_default_graph(store, None, writable=False)


def test_opening_a_build_for_updates_drops_its_merge_for_good(tiny: Path) -> None:
    lease = lease_build(tiny)
    store = ox.Store(str(lease.folder))
    assert union_default_graph(store, lease.folder, writable=True)
    assert not list(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), "the stale merge is dropped"
    assert (lease.folder / UNION_MARKER).is_file()
    store.add(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}new"), ox.NamedNode(f"{EX}g1")))
    store.add(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}own")))  # into the default graph
    assert union_default_graph(store, lease.folder, writable=True)  # a restarted worker: nothing more is dropped
    assert len(list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))) == 1
    del store
    lease.release()
    reader = OxigraphStore.open(tiny)
    try:
        assert _objects(reader) == {f"{EX}a", f"{EX}z", f"{EX}new", f"{EX}own"}
    finally:
        reader.close()


# ------------------------------------------------------------------ a real server with --allow-update

@pytest.fixture
def server(tiny: Path) -> Iterator[httpx.Client]:
    with running_server(tiny, allow_update=True, update_token=TOKEN, deadline_s=5) as running:
        with running.client(headers={"authorization": f"Bearer {TOKEN}"}) as client:
            yield client


def _update(client: httpx.Client, update: str) -> None:
    response = client.post("/sparql", content=update.encode(), headers={"content-type": "application/sparql-update"})
    assert response.status_code in (200, 204), response.text


def _select(client: httpx.Client, query: str) -> list[dict[str, str]]:
    response = client.get("/sparql", params={"query": query}, headers={"accept": JSON})
    assert response.status_code == 200, response.text
    return [{name: cell["value"] for name, cell in row.items()} for row in response.json()["results"]["bindings"]]


def test_an_insert_into_a_named_graph_is_seen_by_a_default_graph_query(server: httpx.Client) -> None:
    """On a built store served with --allow-update, the stored merge would hide the insert."""
    _update(server, f"INSERT DATA {{ GRAPH <{EX}g1> {{ <{EX}s> <{EX}p> <{EX}b> }} }}")
    seen = {row["o"] for row in _select(server, f"SELECT DISTINCT ?o WHERE {{ <{EX}s> ?p ?o }}")}
    assert seen == {f"{EX}a", f"{EX}b", f"{EX}z"}
    _update(server, f"DELETE DATA {{ GRAPH <{EX}g2> {{ <{EX}s> <{EX}q> <{EX}z> }} }}")
    seen = {row["o"] for row in _select(server, f"SELECT DISTINCT ?o WHERE {{ <{EX}s> ?p ?o }}")}
    assert seen == {f"{EX}a", f"{EX}b"}, "a deleted triple is gone from the default graph too"


def test_an_insert_into_the_default_graph_is_seen_but_belongs_to_no_source(server: httpx.Client) -> None:
    _update(server, f"INSERT DATA {{ <{EX}s> <{EX}p> <{EX}c> }}")
    assert _select(server, f"SELECT ?p WHERE {{ <{EX}s> ?p <{EX}c> }}") == [{"p": f"{EX}p"}]
    assert _select(server, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{EX}s> ?p <{EX}c> }} }}") == []
