"""The landscape a build keeps beside the build it publishes (graph/build/landscape_kept.py).

- After a cold build and after each kind of incremental build (a file added, removed, a party
  added, an organisation's name or group changed, a source changed), the kept landscape of every
  kept part is byte for byte what ``load_landscape`` reads from the published store, under the key
  the commands compute: the first command reads no store.
- An incremental build patches the previous landscape (it does not read the store whole), and a
  derived fact that changed is patched even for an entity no changed file names.
- Where the patch cannot be sure it reads whole (a small graph) or keeps none; a failed build
  leaves the previous build's landscape as it was.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pyoxigraph as ox
import pytest

import graph.build.landscape_kept as landscape_kept
import graph.build.pipeline as pipeline
from graph import api
from graph.build.incremental import State, copy_store
from graph.build.landscape_kept import KEPT, LandscapeKeeper, patched
from graph.build.pipeline import Update, build
from graph.config import Settings
from graph.errors import InvalidData
from graph.network import landscape_cache
from graph.network.landscape import Landscape, Part, load_landscape
from graph.network.landscape_cache import cache_file, header_of, kept_payload, landscape_of
from graph.rdf.store import OxigraphStore

from conftest import FIXTURES

NEW_DEAL = "minimal-new-deal.yaml"


@pytest.fixture
def keepers(monkeypatch: pytest.MonkeyPatch) -> list[LandscapeKeeper]:
    """The keeper of each build, to read how it kept the landscape."""
    made: list[LandscapeKeeper] = []

    class Recorded(LandscapeKeeper):
        def __init__(self, settings: Settings) -> None:
            super().__init__(settings)
            made.append(self)

    monkeypatch.setattr(pipeline, "LandscapeKeeper", Recorded)
    return made


def _folder(settings: Settings) -> Path:
    return Path(os.path.realpath(settings.store_path))


def _kept(folder: Path, parts: frozenset[Part]) -> bytes | None:
    return kept_payload(cache_file(folder, parts), header_of(folder, parts))


def assert_kept_is_read(settings: Settings) -> None:
    """Each kept landscape is, byte for byte, what a whole reading of the published store gives,
    under the key a command opening the store computes."""
    store = OxigraphStore.open(settings.store_path)
    try:
        folder = _folder(settings)
        for parts in KEPT:
            kept = _kept(folder, parts)
            assert kept is not None, f"no landscape of {sorted(parts)} kept"
            assert kept == landscape_cache.encode(load_landscape(store, parts)), sorted(parts)
    finally:
        store.close()


def _joined(payload: bytes | list[bytes | memoryview]) -> bytes:
    return payload if isinstance(payload, bytes) else b"".join(payload)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_each_kind_of_change_is_patched_into_what_a_whole_reading_gives(own_data: Settings,
                                                                        keepers: list[LandscapeKeeper]) -> None:
    sources = own_data.data_dir / "sources"
    build(own_data)
    assert keepers[-1].how == "read whole"
    assert_kept_is_read(own_data)
    deal, group = sources / NEW_DEAL, sources / "baosteel-wikipedia-mirror.yaml"
    changes: list[tuple[str, Any]] = [
        ("a file added", lambda: shutil.copy(FIXTURES / "records" / "valid" / NEW_DEAL, deal)),
        ("a second source added", lambda: shutil.copy(FIXTURES / "records" / "valid" / "second-source-adds-a-date.yaml", sources)),
        ("a party added", lambda: _edit(deal, "      - {organisation: example-unnamed-recycler, role: recycler}\n",
                                        "      - {organisation: example-unnamed-recycler, role: recycler}\n"
                                        "      - {organisation: baosteel, role: buyer}\n")),
        ("an organisation renamed", lambda: _edit(deal, 'label: {en: "unnamed recycler (example)"}',
                                                  'label: {en: "renamed recycler (example)"}')),
        ("a group changed", lambda: _edit(group, "    part_of: [baowu]\n", "")),
        ("a source changed", lambda: _edit(deal, "publisher: Example News", "publisher: Another Example Paper")),
        ("an alliance's title changed", lambda: _edit(deal, "Example recycling supply agreement", "An edited recycling agreement")),
        ("a file removed", lambda: (sources / "second-source-adds-a-date.yaml").unlink()),
        ("nothing changed", lambda: None),
        ("the first file removed", lambda: deal.unlink()),
    ]
    for name, change in changes:
        before = landscape_of(OxigraphStore.open(own_data.store_path))
        change()
        build(own_data)
        assert keepers[-1].how == "patched", (name, keepers[-1].how)
        assert_kept_is_read(own_data)
        if name != "nothing changed":
            assert landscape_of(OxigraphStore.open(own_data.store_path)) != before, name  # the change reaches the landscape


def test_the_first_command_after_a_build_reads_no_store(own_data: Settings, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    build(own_data)
    shutil.copy(FIXTURES / "records" / "valid" / NEW_DEAL, own_data.data_dir / "sources")
    build(own_data)  # patched

    def unread(*args: Any, **kwargs: Any) -> Landscape:
        raise AssertionError("the store was read")

    monkeypatch.setattr(landscape_cache, "load_landscape", unread)
    store = OxigraphStore.open(own_data.store_path)
    assert api.rank(store).rows
    assert api.connections(store, "BMW Group", "unnamed recycler (example)").paths
    assert api.rank(store, material="steel").rows  # a filter by topics
    assert api.timeline(store, by="material")
    api.export_network(store, "csv", tmp_path / "network.csv")
    assert (tmp_path / "network.csv").stat().st_size > 0
    store.close()


def _copy_of_published(own_data: Settings) -> tuple[Path, State, OxigraphStore]:
    """A build of the project's data: its folder, its state, and a writable copy of its store."""
    build(own_data)
    previous = _folder(own_data)
    state = State.read(previous)
    assert state is not None
    folder = own_data.store_path.parent / "copy"
    folder.mkdir()
    return previous, state, copy_store(previous, folder)


def test_a_derived_fact_of_an_entity_no_changed_file_names_is_patched(own_data: Settings) -> None:
    """A derived fact (here a display label) can change for an entity whose statements did not:
    the patch reads again what the derived difference names, not only what the changed files do."""
    previous, state, store = _copy_of_published(own_data)
    try:
        org = next(iri for iri, o in load_landscape(store).organisations.items() if o.label == "BMW Group")
        derived = own_data.graph_iri("derived")
        old = f'<{org}> <https://w3id.org/alliance-graph/ontology#displayLabel> "BMW Group"@en .'
        new = f'<{org}> <https://w3id.org/alliance-graph/ontology#displayLabel> "BMW (renamed)"@en .'
        store.update(f"DELETE DATA {{ GRAPH <{derived}> {{ {old} }} {old} }} ; INSERT DATA {{ GRAPH <{derived}> {{ {new} }} {new} }}")
        update = Update(state, folder=previous, derived=f"{old}\n{new}\n".encode())
        kept = {parts: _joined(payload) for parts, payload in patched(store, update, own_data).items()}
        for parts in KEPT:
            assert kept[parts] == landscape_cache.encode(load_landscape(store, parts)), sorted(parts)
        assert b"BMW (renamed)" in kept[frozenset()]
    finally:
        store.close()


def test_without_a_previous_landscape_a_small_graph_is_read_whole_and_a_large_one_keeps_none(
        own_data: Settings, keepers: list[LandscapeKeeper], monkeypatch: pytest.MonkeyPatch) -> None:
    build(own_data)
    for path in _folder(own_data).glob(f"{landscape_cache.PREFIX}*"):
        path.unlink()
    shutil.copy(FIXTURES / "records" / "valid" / NEW_DEAL, own_data.data_dir / "sources")
    build(own_data)
    assert keepers[-1].how.startswith("read whole: the earlier build kept no landscape"), keepers[-1].how
    assert_kept_is_read(own_data)

    monkeypatch.setattr(landscape_kept, "WHOLE_READ_TRIPLES", 0)
    for path in _folder(own_data).glob(f"{landscape_cache.PREFIX}*"):
        path.unlink()
    _edit(own_data.data_dir / "sources" / NEW_DEAL, "publisher: Example News", "publisher: Another Example Paper")
    build(own_data)
    assert keepers[-1].how.startswith("none kept"), keepers[-1].how
    assert not list(_folder(own_data).glob(f"{landscape_cache.PREFIX}*"))
    store = OxigraphStore.open(own_data.store_path)
    assert landscape_of(store) == load_landscape(store)  # the first command reads it, as before
    store.close()


def test_a_failed_build_leaves_the_previous_landscape_as_it_was(own_data: Settings) -> None:
    build(own_data)
    folder = _folder(own_data)
    before = {path.name: path.read_bytes() for path in folder.glob(f"{landscape_cache.PREFIX}*")}
    assert len(before) == len(KEPT)
    shutil.copy(FIXTURES / "records" / "valid" / NEW_DEAL, own_data.data_dir / "sources")
    _edit(own_data.data_dir / "sources" / NEW_DEAL, "role: recycler", "role: no-such-role")
    with pytest.raises(InvalidData):
        build(own_data)
    assert _folder(own_data) == folder
    assert {path.name: path.read_bytes() for path in folder.glob(f"{landscape_cache.PREFIX}*")} == before
    assert_kept_is_read(own_data)
    assert [p.name for p in folder.parent.iterdir() if p != folder and p.is_dir() and not (p / "alliances.complete").exists()] == []


def test_a_change_to_a_concept_is_not_patched(own_data: Settings) -> None:
    """Concepts' broader links decide every alliance's topic keys: a change to one is never patched."""
    previous, state, store = _copy_of_published(own_data)
    try:
        quad = ox.Quad(ox.NamedNode("https://w3id.org/alliance-graph/taxonomy/material/green-steel"),
                       ox.NamedNode("http://www.w3.org/2004/02/skos/core#broader"),
                       ox.NamedNode("https://w3id.org/alliance-graph/taxonomy/material/steel"),
                       ox.NamedNode(own_data.entity_iri("source", "x")))
        with pytest.raises(landscape_kept.NotSure, match="concept"):
            patched(store, Update(state, folder=previous, quads={quad}), own_data)
    finally:
        store.close()


def test_what_a_change_reaches_takes_in_the_alliances_of_its_participations_signings_and_claims(own_data: Settings) -> None:
    """A participation, a signing or a claim has an IRI of its own, which another file may state
    something about without naming the alliance: the alliance's row is read again."""
    build(own_data)
    state = State.read(_folder(own_data))
    assert state is not None
    store = OxigraphStore.open(own_data.store_path)
    try:
        base = own_data.entity_iri("alliance", "bmw-hbis-green-low-carbon-steel-supply-chain-mou")
        assert base in load_landscape(store).alliances
        for node in (f"{base}/party/bmw-group", f"{base}/signing", own_data.entity_iri("claim", "bmw-hbis-green-steel-co2-saving-per-year")):
            assert base in landscape_kept.reached(store, Update(state, touched={node}), own_data), node
        assert base not in landscape_kept.reached(store, Update(state, touched={own_data.entity_iri("organisation", "bmw-group")}), own_data)
    finally:
        store.close()


@pytest.mark.parametrize("more", [0, 600])
@pytest.mark.parametrize("seed", range(40))
def test_rows_are_taken_out_and_put_in_their_places_as_a_whole_encoding_orders_them(seed: int, more: int) -> None:
    """The bytes of a patched landscape are those ``encode`` writes for the landscape with those
    rows changed: empty sections, the first and last rows, a section emptied or filled; among a few
    rows, and among ``more`` (where the search for each row gallops from the row found before), some
    rows longer than the first step of that search."""
    import random

    from graph.network.landscape import PARTS, Alliance, Organisation, Source

    chance = random.Random(seed)

    def landscape(keys: list[str], title: Callable[[str], str]) -> Landscape:
        return Landscape({f"https://x/alliance/{k}": Alliance(f"https://x/alliance/{k}", k, title=title(k)) for k in keys},
                         {f"https://x/organisation/{k}": Organisation(f"https://x/organisation/{k}", k) for k in keys},
                         {"m/a": "A"}, {k: Source(k, title(k), "p", None, None) for k in keys}, PARTS)

    universe = ["a", "a-b", "ab", "b", "b0", "c", "d\u00e9", "e", "z", "\u4e2d"] + [f"m{chance.randrange(10**6):06d}" for _ in range(more)]
    before = sorted(chance.sample(universe, chance.randint(0, len(universe))))
    changed = set(chance.sample(universe, chance.randint(0, len(universe))))
    after = sorted((set(before) - changed) | {k for k in changed if chance.random() < 0.6})
    long = {k: "." * chance.choice([0, 0, 0, 700, 3000]) for k in universe}  # some rows longer than a search's first step
    old = landscape(before, lambda k: "old " + k + long[k])
    new = landscape(after, lambda k: ("new " if k in changed else "old ") + k + long[k])
    again = landscape(sorted(changed & set(after)), lambda k: "new " + k + long[k])
    gone = {"sources": landscape_kept._keys(changed),
            "organisations": landscape_kept._keys(f"https://x/organisation/{k}" for k in changed),
            "alliances": landscape_kept._keys(f"https://x/alliance/{k}" for k in changed)}
    pieces = landscape_kept._spliced(landscape_cache.encode(old), again, gone)
    assert b"".join(pieces) == landscape_cache.encode(new), (before, sorted(changed), after)
