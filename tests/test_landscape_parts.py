"""A landscape read in parts (what a ranking or a path reads) agrees with the whole landscape on the
seed graph, and a filter never runs on a part that was not read."""
from __future__ import annotations

import dataclasses

import pytest

from graph.network.filters import NetworkFilter
from graph.network.landscape import Landscape, add_details, load_landscape
from graph.network.projections import organisation_network
from graph.rdf.store import OxigraphStore


@pytest.fixture(scope="module")
def whole(store: OxigraphStore) -> Landscape:
    return load_landscape(store)


def test_organisations_and_parties_are_read_alike_in_every_part(store: OxigraphStore, whole: Landscape) -> None:
    core = load_landscape(store, frozenset())
    assert core.organisations.keys() == whole.organisations.keys()
    for iri, org in core.organisations.items():
        full = whole.organisations[iri]
        assert (org.label, org.kind, org.sector, org.country, org.parents) == (full.label, full.kind, full.sector, full.country, full.parents)
        assert org.names == {}  # names in every language are details
    assert core.alliances.keys() == whole.alliances.keys()
    for iri, alliance in core.alliances.items():
        assert [p for p, _ in alliance.parties] == sorted({p for p, _ in whole.alliances[iri].parties})
    assert set(organisation_network(core, details=False).edges) == set(organisation_network(whole).edges)


def test_topics_are_read_alike(store: OxigraphStore, whole: Landscape) -> None:
    topics = load_landscape(store, frozenset(("topics",)))
    fields = ("materials", "material_keys", "pathways", "pathway_keys", "type_key", "type_keys", "status", "status_keys", "year")
    for iri, alliance in topics.alliances.items():
        assert [getattr(alliance, f) for f in fields] == [getattr(whole.alliances[iri], f) for f in fields]
    flt = NetworkFilter(material="material/steel", year_from=2023)
    assert set(organisation_network(topics, flt, details=False).edges) == set(organisation_network(whole, flt).edges)


def test_details_of_chosen_alliances_equal_the_whole_reading(store: OxigraphStore, whole: Landscape) -> None:
    topics = load_landscape(store, frozenset(("topics",)))
    chosen = sorted(whole.alliances)[::25]
    add_details(store, topics, chosen)
    for iri in chosen:
        assert dataclasses.asdict(topics.alliances[iri]) == dataclasses.asdict(whole.alliances[iri])
    assert any(whole.alliances[iri].claims for iri in whole.alliances)  # the seed graph has claims to compare


def test_a_filter_on_topics_that_were_not_read_is_refused(store: OxigraphStore) -> None:
    core = load_landscape(store, frozenset())
    with pytest.raises(ValueError, match="topics"):
        organisation_network(core, NetworkFilter(material="material/steel"))
    assert NetworkFilter(country="CN").needs == frozenset()  # organisations' fields are always read
