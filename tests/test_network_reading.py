"""The network commands' faster reading gives what the plain reading gave: on the seed graph and on a
small synthetic landscape built from ``scripts/bench build``'s generator.

- Parties and roles, read by three one-pattern scans joined in Python, equal the store's own
  three-pattern join (``PARTY_AND_ROLE``, what ``add_details`` reads for a few alliances).
- Signing dates (two scans joined in Python) and the organisations' labels, sectors, countries and
  names (one-property scans kept for the whole reading and filtered to organisations) equal the
  store's own joins that read them before, in a full reading and in ``add_details``.
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
from graph.network.landscape import PARTS, PARTY_AND_ROLE, add_details, concept_key, load_landscape
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


SIGNED_JOIN = "SELECT DISTINCT ?s ?o WHERE { ?s al:signing ?e . GRAPH ?g { ?e schema:startDate ?o } }"
ORGANISATION_JOIN = "SELECT ?s ?o WHERE { ?s a org:Organization ; %s ?o }"


def _joined(store: OxigraphStore, sparql: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for row in select(store, sparql):
        found[row[0].value].add(row[1].value)
    return found


def test_signing_dates_equal_the_stores_own_join(graph_store: OxigraphStore) -> None:
    joined = _joined(graph_store, SIGNED_JOIN)
    full = load_landscape(graph_store)
    assert any(joined.values()), "some alliances are signed on a stated date"
    assert {iri: a.dates for iri, a in full.alliances.items()} == {iri: joined.get(iri, set()) for iri in full.alliances}
    few = load_landscape(graph_store, frozenset())
    chosen = sorted(few.alliances)[::3]
    add_details(graph_store, few, chosen)
    assert {iri: few.alliances[iri].dates for iri in chosen} == {iri: joined.get(iri, set()) for iri in chosen}
    details = ("cls", "title", "titles", "dates", "start", "end", "parties", "sources", "claims", "year_basis")
    assert [[getattr(few.alliances[iri], name) for name in details] for iri in chosen] == \
        [[getattr(full.alliances[iri], name) for name in details] for iri in chosen]


def test_organisations_equal_the_stores_own_joins(graph_store: OxigraphStore) -> None:
    landscape = load_landscape(graph_store, PARTS)
    organisations = landscape.organisations
    for prop, field in (("al:displayLabel", "label"), ("al:sector", "sector"), ("schema:addressCountry", "country")):
        joined = _joined(graph_store, ORGANISATION_JOIN % prop)
        assert joined, f"organisations have {prop}"
        for iri, values in joined.items():
            stated = {concept_key(v) for v in values} if field == "sector" else values
            assert getattr(organisations[iri], field) in stated, (iri, field)
        assert all(getattr(o, field) is None for iri, o in organisations.items() if iri not in joined and field != "label")
    preferred = _joined(graph_store, ORGANISATION_JOIN % "skos:prefLabel")
    alternatives = _joined(graph_store, ORGANISATION_JOIN % "skos:altLabel")
    names = {iri: {v for values in o.names.values() for v in values} for iri, o in organisations.items()}
    assert names == {iri: preferred.get(iri, set()) | alternatives.get(iri, set()) for iri in organisations}


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "csv"])
def test_network_files_equal_those_of_the_drawn_view(graph_store: OxigraphStore, fmt: str, tmp_path: Path) -> None:
    written = api.export_network(graph_store, fmt, tmp_path / f"fast.{fmt}", size_by="betweenness")
    view = api.network_view(graph_store, size_by="betweenness")
    write_network_file(view.graph, view.report, tmp_path / f"drawn.{fmt}", fmt)
    assert view.graph.number_of_edges() > 0
    assert written.read_bytes() == (tmp_path / f"drawn.{fmt}").read_bytes()
