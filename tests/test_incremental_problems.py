"""An incremental build keeps the previous build's problems for what a change cannot reach, and
knows what each was about by the entities it names (``Problem.about``, kept in the build state),
never by the wording of its message: a wording that reads differently (a folder name in a
message, another way of showing a node) leaves the build equal to a cold one."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph

import graph.validate.integrity as integrity
import graph.validate.shacl as shacl
from graph.build.incremental import STATE_FILE
from graph.build.pipeline import build
from graph.config import Settings
from graph.problems import Problem, Severity, problems_as_json
from graph.rdf.query_forms import Substitutions, select
from graph.rdf.store import GraphStore, OxigraphStore
from graph.validate.integrity import Scope
from graph.validate.locations import Locations
from graph.validate.shape_filter import candidate_focus_nodes

from conftest import seed_corpus
from test_build_incremental import ORGANISATIONS, _deals, _published, _summary, copies  # noqa: F401 (copies: a fixture)


def _settings(data_dir: Path, tmp_path: Path, name: str) -> Settings:
    return Settings(data_dir=data_dir, store_path=tmp_path / name / "store")


def _seed(data_dir: Path) -> Path:
    sources = data_dir / "sources"
    sources.mkdir(parents=True)
    for path in seed_corpus():
        shutil.copy(path, sources / path.name)
    return sources


def _state(settings: Settings) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((Path(os.path.realpath(settings.store_path)) / STATE_FILE).read_text(encoding="utf-8"))
    return state


def test_kept_duplicates_are_known_by_their_two_alliances_not_by_their_message(copies: list[Path], tmp_path: Path) -> None:
    """The messages of likely duplicates name the file of the other alliance; in a folder such as
    'Copy of alliances (2)' a message read as text named the wrong pair, and a duplicate that the
    change ended was kept."""
    data = tmp_path / "Copy of alliances (2)" / "data"
    sources = _seed(data)
    changed = sources / "dup-first.yaml"
    changed.write_text(_deals("dup-first", [("deal-dup-1", "2024-03", "First deal")], ORGANISATIONS), encoding="utf-8")
    (sources / "dup-second.yaml").write_text(_deals("dup-second", [("deal-dup-2", "2024-05", "Second deal")]), encoding="utf-8")
    (sources / "dup-third.yaml").write_text(_deals("dup-third", [("deal-dup-3", "2024-07", "Third deal")]), encoding="utf-8")
    settings = _settings(data, tmp_path, "incremental")
    first = build(settings)
    base = settings.entity_iri("alliance", "")
    pairs = {p.about for p in first.warnings if p.rule == "likely-duplicate" and "deal-dup" in p.message}
    assert pairs == {(f"{base}deal-dup-2", f"{base}deal-dup-1"), (f"{base}deal-dup-3", f"{base}deal-dup-1"),
                     (f"{base}deal-dup-3", f"{base}deal-dup-2")}
    assert all(" of alliances (2)/" in p.message for p in first.warnings if p.about in pairs)
    kept = [p for p in _state(settings)["problems"] if p[2] == "likely-duplicate" and "deal-dup" in p[3]]
    assert sorted(tuple(p[6]) for p in kept) == sorted(pairs)  # the state keeps what each is about

    changed.write_text(_deals("dup-first", [("deal-dup-1", "2021-03", "First deal")], ORGANISATIONS), encoding="utf-8")
    incremental = build(settings)
    assert len(copies) == 1
    cold_settings = _settings(data, tmp_path, "cold")
    cold = build(cold_settings)
    assert _summary(incremental) == _summary(cold)
    assert _published(settings)[2] == _published(cold_settings)[2]
    assert {p.about for p in incremental.warnings if p.rule == "likely-duplicate" and "deal-dup" in p.message} == {
        (f"{base}deal-dup-3", f"{base}deal-dup-2")}


def test_kept_shape_problems_are_known_by_their_focus_node_not_by_how_a_message_shows_it(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Messages show a node as its kind and id; shown another way ('source: ansteel-wikipedia'),
    the shape problem that a change ends (a publication date added) must go and the other files'
    problems stay, as in a cold build."""
    shown = Locations.kind_and_id
    monkeypatch.setattr(Locations, "kind_and_id", lambda self, iri: shown(self, iri).replace("/", ": ", 1))
    sources = own_data.data_dir / "sources"
    first = build(own_data)
    ended = own_data.entity_iri("source", "ansteel-wikipedia")
    assert any(p.rule.startswith("shape") and p.about == (ended,) for p in first.warnings)
    assert any(p.message.startswith("source: ansteel-wikipedia: ") for p in first.warnings)

    edited = sources / "ansteel-wikipedia.yaml"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("  publisher: Wikipedia\n", "  publisher: Wikipedia\n  published: '2024-05-01'\n"), encoding="utf-8")
    incremental = build(own_data)
    assert len(copies) == 1
    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    cold = build(cold_settings)
    assert _summary(incremental) == _summary(cold)
    assert _published(own_data)[2] == _published(cold_settings)[2]
    assert not any(ended in p.about for p in incremental.warnings)
    assert any(p.rule.startswith("shape") for p in incremental.warnings)  # the unchanged files' problems, kept


def test_the_owner_of_a_node_is_the_entity_whose_entry_places_it() -> None:
    """A participation's problem is placed at its alliance's entry, so the alliance is its owner
    (a shape problem names it after the focus node, and the scope checks the node again when the
    alliance is touched); a node no record describes has none."""
    settings = Settings()
    alliance = settings.entity_iri("alliance", "deal-dup-1")
    places = Locations(settings, {alliance: [("data/sources/dup-orgs.yaml", 3)]}, {})
    assert places.owner(f"{alliance}/party/org-dup-a") == alliance
    assert places.of(f"{alliance}/party/org-dup-a") == ("data/sources/dup-orgs.yaml", 3)
    assert places.owner(alliance) == alliance
    assert places.owner(settings.entity_iri("alliance", "other") + "/signing") is None


def test_a_kept_shape_problem_is_checked_again_when_its_owner_then_or_now_is_touched(store: OxigraphStore) -> None:
    """The place of a node's problem is its owner's entry: touching the owner it named, or the one
    it has now, asks about the node again; a problem that names no focus node makes every node be asked."""
    settings = Settings()
    alliance = settings.entity_iri("alliance", "deal-dup-1")
    participation = f"{alliance}/party/org-dup-a"
    owned = Locations(settings, {alliance: [("data/sources/dup-orgs.yaml", 3)]}, {})
    unowned = Locations(settings, {}, {})

    def asked(locations: Locations, about: tuple[str, ...], touched: set[str]) -> set[str] | None:
        previous = [Problem("data/sources/dup-orgs.yaml", 3, "shape:role", "a role", "", Severity.WARNING, about)]
        return shacl.shape_scope(store, locations, Scope(frozenset(touched), previous))

    assert asked(unowned, (participation, alliance), {alliance}) == {alliance, participation}  # the owner it named
    assert asked(owned, (participation,), {alliance}) == {alliance, participation}  # the owner it has now
    assert asked(owned, (participation, alliance), set()) == set()
    assert asked(unowned, (participation,), {alliance}) == {alliance}
    assert asked(owned, (), set()) is None


def test_previous_problems_that_name_no_entity_make_the_scoped_checks_run_whole(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A kept problem must say what it is about; one that does not (a state written another way)
    is never kept blindly: the duplicate check and the shapes run on the whole graph."""
    sources = own_data.data_dir / "sources"
    (sources / "dup-first.yaml").write_text(_deals("dup-first", [("deal-dup-1", "2024-03", "First deal")], ORGANISATIONS),
                                            encoding="utf-8")
    (sources / "dup-second.yaml").write_text(_deals("dup-second", [("deal-dup-2", "2024-05", "Second deal")]), encoding="utf-8")
    build(own_data)
    path = Path(os.path.realpath(own_data.store_path)) / STATE_FILE
    state = json.loads(path.read_text(encoding="utf-8"))
    assert any(p[2] == "likely-duplicate" for p in state["problems"]) and any(p[2].startswith("shape") for p in state["problems"])
    for problem in state["problems"]:
        problem[6] = []
    path.write_text(json.dumps(state), encoding="utf-8")

    asked: list[set[str] | None] = []
    queries: list[str] = []

    def candidates(store: OxigraphStore, shapes: Graph, within: set[str] | None = None) -> set[str] | None:
        asked.append(within)
        return candidate_focus_nodes(store, shapes, within)

    def selected(store: GraphStore, sparql: str, substitutions: Substitutions | None = None) -> ox.QuerySolutions:
        queries.append(sparql)
        return select(store, sparql, substitutions)
    monkeypatch.setattr(shacl, "candidate_focus_nodes", candidates)
    monkeypatch.setattr(integrity, "select", selected)
    (sources / "dup-second.yaml").write_text(_deals("dup-second", [("deal-dup-2", "2021-05", "Second deal")]), encoding="utf-8")
    incremental = build(own_data)
    assert len(copies) == 1
    assert asked == [None]
    assert integrity.PARTIES in queries  # the whole duplicate check: every alliance's parties compared
    cold = build(Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store"))
    assert _summary(incremental) == _summary(cold)


def test_a_state_from_before_problems_named_their_entities_makes_the_build_cold(
        own_data: Settings, copies: list[Path], tmp_path: Path) -> None:
    """A state whose problems do not name their entities (format 2, before them) cannot say which to keep."""
    build(own_data)
    path = Path(os.path.realpath(own_data.store_path)) / STATE_FILE
    state = json.loads(path.read_text(encoding="utf-8"))
    state["format"] = 2
    state["problems"] = [problem[:6] for problem in state["problems"]]
    path.write_text(json.dumps(state), encoding="utf-8")
    edited = own_data.data_dir / "sources" / "ansteel-wikipedia.yaml"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("  publisher: Wikipedia\n", "  publisher: Wikipedia\n  published: '2024-05-01'\n"), encoding="utf-8")
    again = build(own_data)
    assert copies == []
    cold = build(Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store"))
    assert _summary(again) == _summary(cold)


def test_what_a_problem_is_about_is_not_shown_to_users() -> None:
    """The entities are the build's own: the text and the JSON of a problem (docs/schemas/
    validate.schema.json, which allows no other field) are those of the same problem without them."""
    about = ("https://w3id.org/alliance-graph/id/alliance/a/party/b", "https://w3id.org/alliance-graph/id/alliance/a")
    named = Problem("data/sources/a.yaml", 3, "shape:role", "alliance/a/party/b: needs a role", "", Severity.WARNING, about)
    plain = Problem("data/sources/a.yaml", 3, "shape:role", "alliance/a/party/b: needs a role", "", Severity.WARNING)
    assert str(named) == str(plain)
    assert problems_as_json([named]) == problems_as_json([plain])
    assert set(named.to_json()) == {"file", "line", "rule", "message", "fix", "severity"}


def test_the_shapes_look_again_only_at_what_the_changed_graphs_describe(store: OxigraphStore) -> None:
    """A class, a concept or a partner that a changed file only points at keeps its shape results
    (no shape reads a node's incoming links); asking about them cost 1-8 s a query at a million triples."""
    settings = Settings()
    alliance = settings.entity_iri("alliance", "deal-dup-1")
    pointed_at = {"https://w3id.org/alliance-graph/ontology#Alliance", settings.entity_iri("organisation", "hbis")}
    scope = Scope(frozenset({alliance} | pointed_at), [], described=frozenset({alliance}))
    assert shacl.shape_scope(store, Locations(settings, {}, {}), scope) == {alliance}
    assert shacl.shape_scope(store, Locations(settings, {}, {}), Scope(frozenset({alliance} | pointed_at), [])) == {alliance} | pointed_at


ONE_PARTY = """source: {title: One party, url: 'https://example.org/one-party', publisher: Example, published: '2025', language: en, kind: news-article}
alliances:
  - id: one-party-deal
    type: supply-agreement
    title: {en: A deal with one named party}
    parties:
      - {organisation: bmw-group, role: buyer}
    quote: "BMW signed a supply agreement"
"""


def test_a_kept_shape_problem_moves_with_its_line_when_the_file_changes_around_it(
        own_data: Settings, copies: list[Path], tmp_path: Path) -> None:
    """A file edited without changing a node's statements (a comment added above it) moves the
    node's line: the shapes need not look at the node again (its statements are the same), but its
    problem, about a node of the changed file, is made again and names the new line, as a cold
    build's does."""
    edited = own_data.data_dir / "sources" / "one-party.yaml"
    edited.write_text(ONE_PARTY, encoding="utf-8")
    deal = own_data.entity_iri("alliance", "one-party-deal")
    first = build(own_data)
    assert [p.line for p in first.warnings if p.about[:1] == (deal,)] == [3]
    edited.write_text("# a comment moves every line of this file\n" + ONE_PARTY, encoding="utf-8")
    incremental = build(own_data)
    assert len(copies) == 1
    cold = build(Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store"))
    assert _summary(incremental) == _summary(cold)
    assert [p.line for p in incremental.warnings if p.about[:1] == (deal,)] == [4]
