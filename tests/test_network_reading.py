"""The network commands' faster reading gives what the plain reading gave: on the seed graph and on a
small synthetic landscape built from ``scripts/bench build``'s generator.

- Parties and roles, read by three one-pattern scans joined in Python, equal the store's own
  three-pattern join (``PARTY_AND_ROLE``, what ``add_details`` reads for a few alliances).
- GraphML, GEXF and CSV exports, written without the drawing's layout and page data, equal the files
  written from the drawn view (``network_view``), as they were before.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph import api
from graph.network.files import write_network_file
from graph.network.landscape import PARTY_AND_ROLE, concept_key, load_landscape
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

from landscape_support import bench_store



@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    """250 deals between 50 organisations from the generator of ``scripts/bench build``, compiled and
    derived as ``scripts/bench network`` builds its landscapes (random deals may repeat one another,
    which a build refuses; the commands must read them all the same)."""
    folder = bench_store(tmp_path_factory.mktemp("synthetic") / "store", 50)
    store = OxigraphStore(ox.Store.read_only(str(folder)), read_only=True, union=False)
    yield store
    store.close()


@pytest.fixture(params=["store", "synthetic"])
def graph_store(request: pytest.FixtureRequest) -> OxigraphStore:
    found: OxigraphStore = request.getfixturevalue(request.param)
    return found


def test_parties_and_roles_equal_the_stores_own_join(graph_store: OxigraphStore) -> None:
    joined: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in select(graph_store, PARTY_AND_ROLE):
        joined[row["s"].value].add((row["party"].value, concept_key(row["role"].value).rpartition("/")[2]))
    landscape = load_landscape(graph_store)
    assert joined, "the graph has parties"
    assert {iri: a.parties for iri, a in landscape.alliances.items() if a.parties} == \
        {iri: sorted(pairs) for iri, pairs in joined.items() if iri in landscape.alliances}


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "csv"])
def test_network_files_equal_those_of_the_drawn_view(graph_store: OxigraphStore, fmt: str, tmp_path: Path) -> None:
    written = api.export_network(graph_store, fmt, tmp_path / f"fast.{fmt}", size_by="betweenness")
    view = api.network_view(graph_store, size_by="betweenness")
    write_network_file(view.graph, view.report, tmp_path / f"drawn.{fmt}", fmt)
    assert view.graph.number_of_edges() > 0
    assert written.read_bytes() == (tmp_path / f"drawn.{fmt}").read_bytes()
