"""An incremental build (graph/build/incremental.py) publishes exactly what a cold build of the
same data publishes: the same quads in every graph, the stored merge included, the same manifest
and the same warnings; and it starts cold whenever the previous build cannot be trusted."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph

import graph.build.cache as cache_module
import graph.build.incremental as incremental
import graph.build.pipeline as pipeline
import graph.changes.manifest as manifest_module
import graph.validate.integrity as integrity
import graph.validate.shacl as shacl
from graph.build.cache import INDEX_FILE, result_of
from graph.build.derive import derive
from graph.build.incremental import STATE_FILE, graph_version, trusted_previous
from graph.build.pipeline import BuildSummary, build
from graph.build.records import FileResult, content_key
from graph.changes.manifest import MANIFEST_FILE
from graph.config import Settings
from graph.errors import InvalidData
from graph.problems import Problem
from graph.progress import Progress
from graph.rdf.query_forms import Substitutions, select
from graph.rdf.store import UNION_MARKER, GraphStore, OxigraphStore
from graph.validate.shape_filter import candidate_focus_nodes

from conftest import FIXTURES

EDITED_FROM = "Example recycling supply agreement"


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The published builds that builds started from (graph.build.incremental.copy_store)."""
    seen: list[Path] = []
    copy_store = incremental.copy_store

    def counting(previous: Path, folder: Path) -> Any:
        seen.append(previous)
        return copy_store(previous, folder)

    monkeypatch.setattr(pipeline, "copy_store", counting)
    return seen


def _queries(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[str]:
    """The SPARQL of every SELECT that ``module`` runs from now on."""
    queries: list[str] = []

    def recording(store: GraphStore, sparql: str, *rest: Substitutions | None) -> ox.QuerySolutions:
        queries.append(sparql)
        return select(store, sparql, *rest)

    monkeypatch.setattr(module, "select", recording)
    return queries


def _work(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What a build derives or checks from now on (neither is done: each is only recorded)."""
    work: list[str] = []

    def checking(*args: object) -> list[Problem]:
        work.append("check")
        return []

    monkeypatch.setattr(pipeline, "derive", lambda *args: work.append("derive"))
    monkeypatch.setattr(pipeline, "check_graph", checking)
    return work


def _published(settings: Settings) -> tuple[set[str], dict[str, Any], dict[str, Any]]:
    """Every quad of the published store (the default graph, the stored merge, too), its manifest
    without the build's id and time, and its build state."""
    folder = Path(os.path.realpath(settings.store_path))
    store = ox.Store.read_only(str(folder))
    quads = {str(quad) for quad in store}
    del store
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["build"].pop("id")
    manifest["build"].pop("created")
    state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    return quads, manifest, state


def _summary(summary: BuildSummary) -> tuple[Any, ...]:
    return summary.files, summary.graphs, summary.triples, summary.counts, sorted(summary.warnings)


def test_an_incremental_build_publishes_what_a_cold_build_does(own_data: Settings, copies: list[Path], tmp_path: Path) -> None:
    sources = own_data.data_dir / "sources"
    shutil.copy(FIXTURES / "records" / "valid" / "minimal-new-deal.yaml", sources)
    build(own_data)
    assert copies == []  # the first build has nothing to start from

    edited = sources / "minimal-new-deal.yaml"
    text = edited.read_text(encoding="utf-8")
    assert EDITED_FROM in text
    edited.write_text(text.replace(EDITED_FROM, "An edited recycling agreement"), encoding="utf-8")
    shutil.copy(FIXTURES / "records" / "valid" / "offtake-with-volume-money-and-plant.yaml", sources)
    removed = sources / "second-source-adds-a-date.yaml"
    shutil.copy(FIXTURES / "records" / "valid" / removed.name, removed)
    incremental_first = build(own_data)  # adds the file that is removed below
    removed.unlink()
    incremental = build(own_data)
    assert len(copies) == 2

    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    cold = build(cold_settings)
    assert len(copies) == 2  # a new store: cold
    assert _summary(incremental) == _summary(cold)
    assert incremental_first.files == cold.files + 1
    ours, ours_manifest, ours_state = _published(own_data)
    theirs, theirs_manifest, theirs_state = _published(cold_settings)
    assert ours == theirs
    assert ours_manifest == theirs_manifest
    assert ours_state == theirs_state
    assert "An edited recycling agreement" in json.dumps(ours_manifest)


def test_nothing_changed_loads_derives_and_checks_nothing_and_changes_nothing(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    first = build(own_data)
    assert first.warnings  # the seed corpus has warnings: they must come back with nothing changed
    before = _published(own_data)
    work = _work(monkeypatch)
    again = build(own_data)
    assert len(copies) == 1
    assert work == []
    assert _summary(first) == _summary(again)
    assert _published(own_data) == before


def test_a_build_that_cannot_be_trusted_is_cold_and_says_why(own_data: Settings, copies: list[Path]) -> None:
    build(own_data)
    version = graph_version(own_data)
    previous, why = trusted_previous(own_data, "another version")
    assert previous is None and "changed since the earlier build" in why
    other_languages = Settings(data_dir=own_data.data_dir, store_path=own_data.store_path, label_languages=("de", "en"))
    assert graph_version(other_languages) != version
    build(other_languages)
    assert copies == []
    (Path(os.path.realpath(own_data.store_path)) / UNION_MARKER).write_bytes(b"served with updates\n")
    previous, why = trusted_previous(own_data, graph_version(own_data))
    assert previous is None and "served with updates" in why
    build(own_data)
    assert copies == []
    previous, why = trusted_previous(own_data, graph_version(own_data))
    assert previous is not None and why == ""
    previous.lease.release()


def test_records_that_cannot_be_loaded_incrementally_make_the_build_cold(own_data: Settings, copies: list[Path],
                                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    build(own_data)
    monkeypatch.setattr(pipeline, "loaded_graphs", lambda data: None)  # as for a quad outside every named graph
    edited = own_data.data_dir / "sources" / "minimal-new-deal.yaml"
    text = (FIXTURES / "records" / "valid" / edited.name).read_text(encoding="utf-8")
    edited.write_text(text.replace(EDITED_FROM, "An edited recycling agreement"), encoding="utf-8")
    build(own_data)
    assert len(copies) == 1  # tried, given up, built cold in the same folder
    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    build(cold_settings)
    assert _published(own_data) == _published(cold_settings)


@pytest.mark.parametrize("few", [0, 1])
def test_a_change_of_more_sources_than_a_cold_build_is_slower_for_is_built_cold_and_says_why(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, few: int) -> None:
    """More changed sources than ``FEW_CHANGED`` and than ``MOST_CHANGED`` of them: the build is
    cold, says why, and publishes what a cold build does; as few as ``FEW_CHANGED``: incremental."""
    build(own_data)
    notes: list[str] = []
    monkeypatch.setattr(Progress, "note", lambda self, text: notes.append(text))
    monkeypatch.setattr(incremental, "FEW_CHANGED", few)
    monkeypatch.setattr(incremental, "MOST_CHANGED", 0.0)
    edited = own_data.data_dir / "sources" / "minimal-new-deal.yaml"
    text = (FIXTURES / "records" / "valid" / edited.name).read_text(encoding="utf-8")
    edited.write_text(text.replace(EDITED_FROM, "An edited recycling agreement"), encoding="utf-8")
    build(own_data)
    sources = len(list((own_data.data_dir / "sources").glob("*.yaml")))
    cold_note = f"cold build: 1 of {sources} sources changed (a cold build is faster past 0%)"
    assert (cold_note in notes) == (few == 0), notes
    assert any(note.startswith("cold build:") for note in notes) == (few == 0), notes
    assert len(copies) == 1  # started from the previous build, and (few 0) given up for a cold one in the same folder
    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    build(cold_settings)
    assert _published(own_data) == _published(cold_settings)


def _deals(name: str, deals: list[tuple[str, str, str]], organisations: str = "") -> str:
    """A news record of ``deals`` (id, signing date, title) between org-dup-a and org-dup-b."""
    entries = "".join(
        f"  - id: {ident}\n    type: memorandum-of-understanding\n    title: {{en: {title}}}\n    parties:\n"
        "      - {organisation: org-dup-a, role: buyer}\n      - {organisation: org-dup-b, role: supplier}\n"
        f"    signing: {{date: {date}}}\n    quote: \"{title} was signed\"\n" for ident, date, title in deals)
    return (f"source: {{title: {name}, url: 'https://example.org/{name}', publisher: Example, published: '2025', "
            f"language: en, kind: news-article}}\n{organisations}alliances:\n{entries}")


ORGANISATIONS = "organisations:\n" + "".join(
    f"  - id: org-dup-{x}\n    kind: company\n    label: {{en: Dup {x} Steel}}\n    sector: steel\n    country: CN\n"
    f"    quote: \"Dup {x} is a company\"\n" for x in "ab")


def test_duplicates_that_a_change_makes_or_ends_are_those_of_a_cold_build(own_data: Settings, copies: list[Path],
                                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Likely duplicates between unchanged files are kept from the previous build; a change that
    ends one (the alliance removed) or makes one (a new alliance like an old one) is seen; only the
    alliances the change reaches are read again."""
    sources = own_data.data_dir / "sources"
    (sources / "dup-first.yaml").write_text(_deals("dup-first", [("deal-dup-1", "2024-03", "First deal")], ORGANISATIONS), encoding="utf-8")
    (sources / "dup-second.yaml").write_text(_deals("dup-second", [("deal-dup-2", "2024-05", "Second deal")]), encoding="utf-8")
    changed = sources / "dup-third.yaml"
    changed.write_text(_deals("dup-third", [("deal-dup-3", "2024-07", "Third deal")]), encoding="utf-8")
    first = build(own_data)
    pairs = [p for p in first.warnings if p.rule == "likely-duplicate" and "deal-dup" in p.message]
    assert len(pairs) == 3  # every two of the three

    queries = _queries(monkeypatch, integrity)
    changed.write_text(_deals("dup-third", [("deal-dup-5", "2023-07", "Fifth deal"), ("deal-dup-4", "2024-09", "Fourth deal")]),
                       encoding="utf-8")
    incremental = build(own_data)
    assert len(copies) == 1
    keys = [q for q in queries if "?alliance ?type ?party" in q]
    assert keys and all("VALUES ?alliance" in q for q in keys)  # the scoped check, not the whole one
    assert integrity.PARTIES not in queries

    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    cold = build(cold_settings)
    assert _summary(incremental) == _summary(cold)
    assert _published(own_data)[2] == _published(cold_settings)[2]  # the state: its problems
    now = sorted(" ".join(re.findall(r"deal-dup-\d", p.message)) for p in incremental.warnings if p.rule == "likely-duplicate")
    assert now == ["deal-dup-2 deal-dup-1", "deal-dup-4 deal-dup-1", "deal-dup-4 deal-dup-2"]


def test_a_change_reads_the_facts_of_the_alliances_with_its_parties_only(own_data: Settings, copies: list[Path],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A pair of duplicates has the same parties: an alliance that shares one party with a changed
    one, or has its parties and more, cannot be its duplicate, and its facts are not read (at 1 million triples, a change of
    100 files reached 500 alliances, which shared a party with 9,050)."""
    sources = own_data.data_dir / "sources"
    three = ORGANISATIONS + ("  - id: org-dup-c\n    kind: company\n    label: {en: Dup c Steel}\n    sector: steel\n"
                             "    country: CN\n    quote: \"Dup c is a company\"\n")
    (sources / "dup-first.yaml").write_text(_deals("dup-first", [("deal-dup-1", "2024-03", "First deal")], three), encoding="utf-8")
    (sources / "dup-other.yaml").write_text(_deals("dup-other", [("deal-dup-9", "2024-03", "Other deal")]).replace("org-dup-b", "org-dup-c"),
                                            encoding="utf-8")
    third_party = "      - {organisation: org-dup-b, role: supplier}\n      - {organisation: org-dup-c, role: supplier}\n"
    (sources / "dup-more.yaml").write_text(_deals("dup-more", [("deal-dup-8", "2024-03", "More deal")])
                                           .replace("      - {organisation: org-dup-b, role: supplier}\n", third_party), encoding="utf-8")
    changed = sources / "dup-third.yaml"
    changed.write_text(_deals("dup-third", [("deal-dup-3", "2024-07", "Third deal")]), encoding="utf-8")
    build(own_data)
    queries = _queries(monkeypatch, integrity)
    changed.write_text(_deals("dup-third", [("deal-dup-3", "2024-07", "Third deal again")]), encoding="utf-8")
    incremental = build(own_data)
    assert len(copies) == 1
    read = " ".join(q for q in queries if "?alliance ?type ?party" in q)
    assert "/deal-dup-1>" in read and "/deal-dup-3>" in read
    assert "/deal-dup-9>" not in read and "/deal-dup-8>" not in read  # parties a and c; a, b and c
    found = [" ".join(re.findall(r"deal-dup-\d", p.message)) for p in incremental.warnings if p.rule == "likely-duplicate"]
    assert found == ["deal-dup-3 deal-dup-1"]


def test_a_removed_organisation_fails_the_references_to_it_as_a_cold_build_does(own_data: Settings, tmp_path: Path) -> None:
    """A change in one file can make a problem in another: the removed organisation's name is now unknown there."""
    sources = own_data.data_dir / "sources"
    (sources / "dup-orgs.yaml").write_text(_deals("dup-orgs", [], ORGANISATIONS).replace("alliances:\n", "alliances: []\n"),
                                           encoding="utf-8")
    (sources / "dup-deals.yaml").write_text(_deals("dup-deals", [("deal-dup-1", "2024-03", "First deal")]), encoding="utf-8")
    build(own_data)
    (sources / "dup-orgs.yaml").unlink()
    with pytest.raises(InvalidData) as incremental:
        build(own_data)
    with pytest.raises(InvalidData) as cold:
        build(Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store"))
    assert incremental.value.problems == cold.value.problems
    assert any(p.rule == "reference-resolves" and "dup-deals" in p.file for p in incremental.value.problems)


def test_shape_problems_after_a_change_are_those_of_a_cold_build(own_data: Settings, copies: list[Path],
                                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The shapes are asked only about what the change reaches; a problem the change ends (a
    publication date added) goes, one it makes (an organisation without a sector) comes, and the
    other files' problems stay; a change that breaks a shape fails as a cold build does."""
    sources = own_data.data_dir / "sources"
    build(own_data)
    asked: list[set[str] | None] = []

    def asking(store: OxigraphStore, shapes: Graph, within: set[str] | None = None) -> set[str] | None:
        asked.append(within)
        return candidate_focus_nodes(store, shapes, within)

    monkeypatch.setattr(shacl, "candidate_focus_nodes", asking)
    edited = sources / "ansteel-wikipedia.yaml"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("  publisher: Wikipedia\n", "  publisher: Wikipedia\n  published: '2024-05-01'\n"), encoding="utf-8")
    (sources / "no-sector.yaml").write_text(
        "source: {title: No sector, url: 'https://example.org/no-sector', publisher: Example, published: '2025', language: en, "
        "kind: web-page}\norganisations:\n  - id: org-no-sector\n    kind: company\n    label: {en: No Sector Steel}\n"
        "    country: CN\n    quote: \"No Sector Steel is a company\"\n", encoding="utf-8")
    incremental = build(own_data)
    assert len(copies) == 1
    assert asked and all(within is not None for within in asked)  # scoped, never the whole graph

    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    cold = build(cold_settings)
    assert _summary(incremental) == _summary(cold)
    assert _published(own_data)[2] == _published(cold_settings)[2]
    shown = {p.message.split(":")[0] for p in incremental.warnings if p.rule.startswith("shape")}
    assert "organisation/org-no-sector" in shown and "source/ansteel-wikipedia" not in shown

    shutil.copy(FIXTURES / "records" / "invalid" / "agreement-without-type.yaml", sources)
    with pytest.raises(InvalidData) as failed:
        build(own_data)
    with pytest.raises(InvalidData) as failed_cold:
        build(Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold2" / "store"))
    assert failed.value.problems == failed_cold.value.problems
    assert any(p.rule.startswith("shape") and p.severity.value == "violation" for p in failed.value.problems)

# A small landscape for the derived graph's difference (graph/build/derive.py, graph/build/reach.py):
# a group with a member, two more organisations, a signatory holding a post, and two deals (one
# dated by its signing, one by its source's publication date).
LANDSCAPE = {
    "grp-orgs.yaml": """source: {title: Group pages, url: 'https://example.org/grp-orgs', publisher: Example, published: '2024', language: en, kind: web-page}
organisations:
  - {id: grp-parent, kind: group, label: {en: Parent Group}, sector: automotive, country: CN, quote: "Parent Group is a group"}
  - {id: grp-child, kind: company, label: {en: Child Motors}, sector: automotive, country: CN, part_of: [grp-parent], quote: "Child Motors is a company"}
  - {id: grp-steel, kind: company, label: {en: Steel Maker}, sector: steel, country: CN, quote: "Steel Maker is a company"}
  - {id: grp-lone, kind: company, label: {en: Lone Recycler}, sector: aluminium, country: CN, quote: "Lone Recycler is a company"}
posts:
  - {id: grp-ceo, title: {en: CEO}, organisation: grp-child, quote: "CEO of Child Motors"}
people:
  - {id: grp-person, name: {en: Jane Doe}, holds: [grp-ceo], quote: "Jane Doe, CEO of Child Motors"}
""",
    "grp-deals.yaml": """source: {title: Group deals, url: 'https://example.org/grp-deals', publisher: Example, published: '2023-05', language: en, kind: news-article}
alliances:
  - id: grp-deal-1
    type: memorandum-of-understanding
    title: {en: Child and Steel deal}
    parties:
      - {organisation: grp-child, role: buyer, signatory: grp-person}
      - {organisation: grp-steel, role: supplier}
      - {organisation: grp-lone, role: participant}
    materials: [green-steel]
    pathways: [hydrogen-dri]
    signing: {date: 2024-03}
    status:
      - {status: non-binding, quote: "a memorandum"}
    quote: "Child Motors and Steel Maker signed a memorandum"
  - id: grp-deal-2
    type: memorandum-of-understanding
    title: {en: Lone and Steel deal}
    parties:
      - {organisation: grp-lone, role: participant}
      - {organisation: grp-steel, role: supplier}
    materials: [recycled-aluminium]
    pathways: [closed-loop-recycling]
    quote: "Lone Recycler and Steel Maker agreed"
""",
}
ADDED = """source: {title: Third deal, url: 'https://example.org/grp-third', publisher: Example, published: '2025-02', language: en, kind: news-article}
organisations:
  - {id: grp-unnamed, kind: unnamed, label: {en: "unnamed steel maker (example)"}, description: {en: a steel maker the article does not name},
     identified_as: grp-steel, quote: "a steel maker"}
alliances:
  - id: grp-deal-3
    type: memorandum-of-understanding
    title: {en: Child and unnamed deal}
    parties:
      - {organisation: grp-child, role: buyer, signatory_post: grp-ceo}
      - {organisation: grp-unnamed, role: supplier}
    materials: [low-carbon-automotive-steel]
    pathways: [electric-arc-furnace-scrap]
    announcement: {date: 2025-01-20}
    status:
      - {status: binding, quote: "a binding deal"}
    quote: "Child Motors and a steel maker signed a binding deal"
"""


def _replace(name: str, old: str, new: str) -> Any:
    def edit(sources: Path) -> None:
        text = (sources / name).read_text(encoding="utf-8")
        assert old in text
        (sources / name).write_text(text.replace(old, new), encoding="utf-8")
    return edit


def _remove(name: str) -> Any:
    return lambda sources: (sources / name).unlink()


def _add(name: str, text: str) -> Any:
    return lambda sources: (sources / name).write_text(text, encoding="utf-8")


DERIVED_EDITS = {
    # display labels and every list that shows a name: parties, pathways' pursuers, a group's
    # members and a member's groups, an unnamed party's identification
    "organisations renamed": lambda sources: [_replace("grp-orgs.yaml", f"label: {{en: {old}}}", f"label: {{en: {old} Renamed}}")(sources)
                                              for old in ("Steel Maker", "Child Motors", "Parent Group")],
    "an organisation moved into a group": _replace("grp-orgs.yaml", "label: {en: Lone Recycler}, sector: aluminium, country: CN,",
                                                   "label: {en: Lone Recycler}, sector: aluminium, country: CN, part_of: [grp-parent],"),
    "an organisation moved out of its group": _replace("grp-orgs.yaml", " part_of: [grp-parent],", ""),
    "a group's parent changed": _replace("grp-orgs.yaml", "label: {en: Parent Group}, sector: automotive, country: CN,",
                                         "label: {en: Parent Group}, sector: automotive, country: CN, part_of: [grp-steel],"),
    # the material closure and the alliance's material list; its pathway list and the pathways' lists old and new
    "an alliance's material changed": _replace("grp-deals.yaml", "materials: [green-steel]", "materials: [recycled-aluminium]"),
    "an alliance's pathway changed": _replace("grp-deals.yaml", "pathways: [hydrogen-dri]", "pathways: [renewable-electricity]"),
    # alliance-year, alliance-date, current-status, signing dates; a year taken from the source's publication date
    "dates and status changed": lambda sources: (
        _replace("grp-deals.yaml", "signing: {date: 2024-03}", "signing: {date: 2021-05-02}")(sources),
        _replace("grp-deals.yaml", '- {status: non-binding, quote: "a memorandum"}',
                 '- {status: non-binding, quote: "a memorandum"}\n      - {status: binding, quote: "now binding"}')(sources),
        _replace("grp-deals.yaml", "published: '2023-05'", "published: '2022'")(sources)),
    # post lists: the signatory's post now in another organisation; supplier pairs: a participant
    # that was an aluminium supplier is now an automaker
    "a post and a sector changed": lambda sources: (
        _replace("grp-orgs.yaml", "organisation: grp-child, quote", "organisation: grp-steel, quote")(sources),
        _replace("grp-orgs.yaml", "label: {en: Lone Recycler}, sector: aluminium", "label: {en: Lone Recycler}, sector: automotive")(sources)),
    # an alliance's title: the lists of its parties, its pathways and materials, and its year's list
    "an alliance renamed": _replace("grp-deals.yaml", "title: {en: Child and Steel deal}", "title: {en: A renamed deal}"),
    # supplier pairs' columns: a supplier's role (participant -> supplier: all its sectors shown); an
    # alliance's type, alone (a role change reaches every participation of the alliance anyway)
    "a party's role changed": _replace("grp-deals.yaml", "      - {organisation: grp-lone, role: participant}\n    materials: [green-steel]",
                                       "      - {organisation: grp-lone, role: supplier}\n    materials: [green-steel]"),
    "an alliance's type changed": _replace("grp-deals.yaml", "  - id: grp-deal-1\n    type: memorandum-of-understanding",
                                           "  - id: grp-deal-1\n    type: supply-agreement"),
    # supplier-columns.rq (third stage), reached only through a path of its own: a supplier's sector
    # names (its pairs stay: it takes part as a supplier); an automaker's participation that loses its
    # only supplier in an alliance (reached through the pairs of the summaries' difference alone)
    "a supplier's sector changed": _replace("grp-orgs.yaml", "label: {en: Steel Maker}, sector: steel", "label: {en: Steel Maker}, sector: aluminium"),
    "an automaker's only supplier in an alliance left the role": _replace(
        "grp-third.yaml", "{organisation: grp-unnamed, role: supplier}", "{organisation: grp-unnamed, role: participant}"),
    "a file removed": _remove("grp-deals.yaml"),
    "a file added": _add("grp-third.yaml", ADDED),
}


def _landscape(own_data: Settings, extra: dict[str, str] | None = None) -> Path:
    sources = own_data.data_dir / "sources"
    for name, text in {**LANDSCAPE, **(extra or {})}.items():
        (sources / name).write_text(text, encoding="utf-8")
    return sources


def _derivation_notes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the build said about derivations made whole (graph.build.derive's note)."""
    notes: list[str] = []
    monkeypatch.setattr(pipeline, "derive", lambda store, settings, quads=None, note=None, merge=None: derive(store, settings, quads, notes.append, merge))
    return notes


@pytest.mark.parametrize("edit", list(DERIVED_EDITS), ids=list(DERIVED_EDITS))
def test_the_derived_graph_after_a_change_is_a_cold_builds(own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path, edit: str) -> None:
    """The derived graph is changed by its difference, each derivation run only for what the change
    reaches: the published quads (derived graph and stored merge included) are a cold build's."""
    sources = _landscape(own_data, {"grp-third.yaml": ADDED} if edit != "a file added" else None)
    build(own_data)
    notes = _derivation_notes(monkeypatch)
    DERIVED_EDITS[edit](sources)
    incremental = build(own_data)
    assert len(copies) == 1
    assert notes == []  # every derivation scoped, none made whole
    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    cold = build(cold_settings)
    assert _summary(incremental) == _summary(cold)
    assert _published(own_data) == _published(cold_settings)


def test_a_scope_too_narrow_would_be_seen(own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The comparison above can fail: derivations run only for the subjects of the changed quads
    (not what they reach) leave the lists that show a renamed organisation stale."""
    import graph.build.derive as derive_module

    sources = _landscape(own_data)
    build(own_data)
    monkeypatch.setattr(derive_module, "keys", lambda store, paths, changes, limit, known=None: {
        term.value for term in changes.all_subjects if isinstance(term, ox.NamedNode)})
    DERIVED_EDITS["organisations renamed"](sources)
    build(own_data)
    assert len(copies) == 1
    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    build(cold_settings)
    ours, theirs = _published(own_data)[0], _published(cold_settings)[0]
    assert any("Steel Maker (supplier)" in quad for quad in ours - theirs)  # a party list with the old name


# -- finding what changed (graph.build.cache.SourceIndex) and the patched manifest -----------------

def _news(name: str, deals: list[tuple[str, str, str, str]], organisations: tuple[str, ...] = ()) -> str:
    """A news record of ``deals`` (id, title, party, party) that declares the companies ``organisations``."""
    declared = "".join(f"  - id: {o}\n    kind: company\n    label: {{en: {o} Steel}}\n    sector: steel\n    country: CN\n"
                       f"    quote: \"{o} is a company\"\n" for o in organisations)
    entries = "".join(
        f"  - id: {ident}\n    type: memorandum-of-understanding\n    title: {{en: {title}}}\n    parties:\n"
        f"      - {{organisation: {a}, role: buyer}}\n      - {{organisation: {b}, role: supplier}}\n"
        f"    signing: {{date: 2024-03}}\n    quote: \"{title} was signed\"\n" for ident, title, a, b in deals)
    return (f"source: {{title: {name}, url: 'https://example.org/{name}', publisher: Example, published: '2025', "
            f"language: en, kind: news-article}}\n" + (f"organisations:\n{declared}" if declared else "")
            + (f"alliances:\n{entries}" if entries else "alliances: []\n"))


def _manifest_bytes(settings: Settings) -> bytes:
    """The published manifest as written, with the build's id and time blanked (key order kept)."""
    manifest = json.loads((Path(os.path.realpath(settings.store_path)) / MANIFEST_FILE).read_bytes())
    manifest["build"]["id"] = manifest["build"]["created"] = ""
    return json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode()


def test_the_manifest_patched_after_editing_adding_and_removing_entities_is_a_cold_builds_byte_for_byte(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The incremental build reads only the reached entities from the store (every manifest query
    has a VALUES clause), yet writes the manifest a cold build writes: an alliance edited, one
    removed, two added, an organisation added, partners gained and lost, a claim's value changed."""
    sources = own_data.data_dir / "sources"
    (sources / "m-one.yaml").write_text(_news("m-one", [("deal-m-1", "First deal", "org-m-a", "org-m-b"),
                                                        ("deal-m-2", "Second deal", "org-m-a", "org-m-c")],
                                              ("org-m-a", "org-m-b", "org-m-c")), encoding="utf-8")
    (sources / "m-two.yaml").write_text(_news("m-two", [("deal-m-3", "Third deal", "org-m-b", "org-m-c")]), encoding="utf-8")
    offtake = sources / "offtake-with-volume-money-and-plant.yaml"
    shutil.copy(FIXTURES / "records" / "valid" / offtake.name, offtake)
    build(own_data)

    (sources / "m-one.yaml").write_text(_news("m-one", [("deal-m-1", "First deal renamed", "org-m-a", "org-m-b")],
                                              ("org-m-a", "org-m-b", "org-m-c")), encoding="utf-8")
    (sources / "m-two.yaml").write_text(_news("m-two", [("deal-m-3", "Third deal", "org-m-b", "org-m-c"),
                                                        ("deal-m-4", "Fourth deal", "org-m-b", "org-m-d"),
                                                        ("deal-m-5", "Fifth deal", "org-m-c", "org-m-a")], ("org-m-d",)),
                                        encoding="utf-8")
    text = offtake.read_text(encoding="utf-8")
    assert 'value: "45"' in text
    offtake.write_text(text.replace('value: "45"', 'value: "46"'), encoding="utf-8")
    queries = _queries(monkeypatch, manifest_module)
    incremental = build(own_data)
    assert len(copies) == 1
    entries = [q for q in queries if "al:about ?x" not in q]  # claims_about: the statement hashes' input, not the entries'
    assert entries and all("VALUES" in q for q in entries)  # patched: no query over the whole graph

    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    cold = build(cold_settings)
    assert _summary(incremental) == _summary(cold)
    assert _manifest_bytes(own_data) == _manifest_bytes(cold_settings)
    assert _published(own_data) == _published(cold_settings)
    manifest = json.loads(_manifest_bytes(own_data))
    assert "deal-m-2" not in manifest["alliances"] and manifest["alliances"]["deal-m-1"]["label"] == "First deal renamed"
    assert manifest["organisations"]["org-m-b"]["partners"] == {"org-m-a": ["deal-m-1"], "org-m-c": ["deal-m-3"], "org-m-d": ["deal-m-4"]}
    assert manifest["organisations"]["org-m-a"]["partners"] == {"org-m-b": ["deal-m-1"], "org-m-c": ["deal-m-5"]}
    values = [c["value"] for c in manifest["alliances"]["example-binding-offtake"]["claims"]]
    assert "46" in values and "45" not in values


def test_a_file_touched_but_unchanged_is_hashed_again_alone_and_changes_nothing(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Only files whose stat changed are read; a touched file with the same bytes is no change.
    Without the previous build's index every file is hashed, with the same outcome."""
    build(own_data)
    build(own_data)  # every file's stat is older than this build's clock: none left to hash again
    before = _published(own_data)
    hashed: list[str] = []

    def hashing(data: bytes, display: str, version: str) -> str:
        hashed.append(display)
        return content_key(data, display, version)

    monkeypatch.setattr(cache_module, "content_key", hashing)
    work = _work(monkeypatch)
    touched = sorted((own_data.data_dir / "sources").glob("*.yaml"))[3]
    os.utime(touched)
    build(own_data)
    assert [Path(display).name for display in hashed] == [touched.name]
    assert work == []
    assert _published(own_data) == before

    hashed.clear()
    (Path(os.path.realpath(own_data.store_path)) / INDEX_FILE).unlink()
    build(own_data)
    assert len(hashed) == len(list((own_data.data_dir / "sources").glob("*.yaml")))
    assert work == [] and len(copies) == 3
    assert _published(own_data) == before


HOUR = 3_600_000_000_000


def test_files_renamed_or_rewritten_within_their_timestamp_tick_are_seen(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """On a file system whose clock ticks once an hour, a file rewritten with the same size and
    its old mtime has the stat it had: it was written within the tick of the build that saw it,
    so that build kept no stat for it ("racily clean", as git says) and this one reads it again.
    A renamed file is a source removed and another added."""
    monkeypatch.setattr(cache_module, "file_times", lambda found: (found.st_mtime_ns // HOUR * HOUR, found.st_ctime_ns // HOUR * HOUR))
    sources = own_data.data_dir / "sources"
    shutil.copy(FIXTURES / "records" / "valid" / "minimal-new-deal.yaml", sources)
    build(own_data)

    edited = sources / "minimal-new-deal.yaml"
    was = edited.stat()
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("Example recycling supply", "Example recycling SUPPLY"), encoding="utf-8")
    os.utime(edited, ns=(was.st_atime_ns, was.st_mtime_ns))
    now = edited.stat()
    assert (now.st_size, now.st_ino, now.st_mtime_ns // HOUR) == (was.st_size, was.st_ino, was.st_mtime_ns // HOUR)
    renamed = sorted(sources.glob("*.yaml"))[5]
    renamed.rename(sources / f"renamed-{renamed.name}")
    incremental = build(own_data)
    assert len(copies) == 1

    cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    cold = build(cold_settings)
    assert _summary(incremental) == _summary(cold)
    assert _published(own_data) == _published(cold_settings)
    assert "Example recycling SUPPLY agreement" in json.dumps(_published(own_data)[1])
    assert f"renamed-{renamed.stem}" in _published(own_data)[2]["sources"]


def test_a_kept_files_references_are_read_only_when_it_names_an_id_the_change_removed(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The previous build had every reference resolved, so a kept file's can only have lost a
    target its changed or removed files declared: an edit that removes no id reads no kept file's
    references (1.6 s at a million triples); one that removes an id reads those of the files that
    name it, and fails them as a cold build does."""
    sources = own_data.data_dir / "sources"
    (sources / "dup-orgs.yaml").write_text(_deals("dup-orgs", [], ORGANISATIONS).replace("alliances:\n", "alliances: []\n"),
                                           encoding="utf-8")
    (sources / "dup-deals.yaml").write_text(_deals("dup-deals", [("deal-dup-1", "2024-03", "First deal")]), encoding="utf-8")
    build(own_data)
    read: list[str] = []

    def reading(head: str, *rest: bytes) -> FileResult | None:
        read.append(json.loads(head)["display"])
        return result_of(head, *rest)

    monkeypatch.setattr(pipeline, "result_of", reading)
    renamed = ORGANISATIONS.replace("Dup a Steel", "Dup A Steel")
    (sources / "dup-orgs.yaml").write_text(_deals("dup-orgs", [], renamed).replace("alliances:\n", "alliances: []\n"), encoding="utf-8")
    build(own_data)
    assert len(copies) == 1 and read == []
    (sources / "dup-orgs.yaml").write_text(_deals("dup-orgs", [], ORGANISATIONS.split("  - id: org-dup-b")[0])
                                           .replace("alliances:\n", "alliances: []\n"), encoding="utf-8")
    with pytest.raises(InvalidData) as incremental:
        build(own_data)
    assert [Path(display).name for display in read] == ["dup-deals.yaml"]  # the one file that names org-dup-b
    with pytest.raises(InvalidData) as cold:
        build(Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store"))
    assert incremental.value.problems == cold.value.problems
    assert any(p.rule == "reference-resolves" and "org-dup-b" in p.message for p in incremental.value.problems)


# -- names, preferred names and pages: verdicts a change moves in files it did not change ----------

def _company(source: str, ident: str, label: str, aliases: str = "", url: str = "") -> str:
    """A web page record of one company ``ident`` called ``label`` (with ``aliases``, a list in YAML)."""
    more = f"    aliases: {{en: {aliases}}}\n" if aliases else ""
    return (f"source: {{title: {source}, url: '{url or f'https://example.org/{source}'}', publisher: Example, published: '2025', "
            f"language: en, kind: web-page}}\norganisations:\n  - id: {ident}\n    kind: company\n    label: {{en: {label}}}\n{more}"
            f"    sector: steel\n    country: CN\n    quote: \"{label} is a company\"\n")


# Each scenario: the files first, then the edits one after another; after each edit the problems
# of the incremental build must be a cold build's. Problems are placed in files no edit changes.
NAME_AND_PAGE_EDITS: dict[str, tuple[dict[str, str], list[Any]]] = {
    # 'Beta Steel' named org-nm-b and org-nm-c (a problem from the start); given to org-nm-a too, the
    # unchanged files' problems name three organisations; taken away again, two; renamed, none.
    "a name shared and unshared": (
        {"nm-a.yaml": _company("nm-a", "org-nm-a", "Alpha Steel"),
         "nm-b.yaml": _company("nm-b", "org-nm-b", "Beta Steel"),
         "nm-c.yaml": _company("nm-c", "org-nm-c", "Gamma Steel", aliases="[Beta Steel]")},
        [_replace("nm-a.yaml", "label: {en: Alpha Steel}", "label: {en: Alpha Steel}\n    aliases: {en: [BETA steel]}"),
         _replace("nm-a.yaml", "\n    aliases: {en: [BETA steel]}", ""),
         _replace("nm-c.yaml", "aliases: {en: [Beta Steel]}", "aliases: {en: [Delta Steel]}"),
         _add("nm-d.yaml", _company("nm-d", "org-nm-d", "Delta Steel")),
         _remove("nm-d.yaml")]),
    # org-pn described in two files: a new preferred name in one clashes with the other's (the
    # problem is placed in the file that did not change), and ends when the name is the same again.
    "a preferred name changed in one of two files": (
        {"pn-a.yaml": _company("pn-a", "org-pn", "Zeta Steel"), "pn-b.yaml": _company("pn-b", "org-pn", "Zeta Steel")},
        [_replace("pn-a.yaml", "label: {en: Zeta Steel}", "label: {en: Alpha Steel}"),
         _replace("pn-a.yaml", "label: {en: Alpha Steel}", "label: {en: Zeta Steel}"),
         _replace("pn-a.yaml", "label: {en: Zeta Steel}", "label: {en: Eta Steel}"),
         _remove("pn-a.yaml")]),
    # pg-a sorts first, so when its page becomes pg-b's (written otherwise) the problem is pg-b's, a
    # file that did not change; it ends when pg-a's page changes again or pg-a goes.
    "a page given to a second source": (
        {"pg-a.yaml": _company("pg-a", "org-pg-a", "Page A Steel"),
         "pg-b.yaml": _company("pg-b", "org-pg-b", "Page B Steel", url="https://www.example.org/shared/page"),
         "pg-c.yaml": _company("pg-c", "org-pg-c", "Page C Steel", url="http://example.org/shared/page/")},
        [_replace("pg-a.yaml", "https://example.org/pg-a", "https://EXAMPLE.org/shared/page"),
         _replace("pg-a.yaml", "https://EXAMPLE.org/shared/page", "https://example.org/pg-a"),
         _replace("pg-c.yaml", "http://example.org/shared/page/", "http://example.org/other/page"),
         _replace("pg-a.yaml", "https://example.org/pg-a", "https://example.org/other/page/"),
         _remove("pg-a.yaml")]),
}
WHOLE_CHECKS = (integrity.SHARED_ALIASES, integrity.TWO_PREFERRED_NAMES % "", integrity.SOURCE_URLS % "")


@pytest.mark.parametrize("scenario", list(NAME_AND_PAGE_EDITS), ids=list(NAME_AND_PAGE_EDITS))
def test_names_and_pages_after_changes_in_other_files_are_those_of_a_cold_build(
        own_data: Settings, copies: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scenario: str) -> None:
    """Each of these problems is a violation, so a published build has none; here every build is
    published with its problems (has_violations answers no) so that each next build starts from
    one that has them, and must drop those the change ends in files it did not change, keep the
    others and find those it makes; the rules are asked only about what the change reaches."""
    monkeypatch.setattr(pipeline, "has_violations", lambda problems: False)
    files, edits = NAME_AND_PAGE_EDITS[scenario]
    sources = _landscape(own_data, files)
    for name in LANDSCAPE:
        (sources / name).unlink()
    build(own_data)
    queries = _queries(monkeypatch, integrity)
    rules = {"alias-unique", "one-preferred-name", "one-file-per-page"}
    seen: list[list[str]] = []
    for step, edit in enumerate(edits):
        edit(sources)
        build(own_data)
        assert len(copies) == step + 1
        assert not set(WHOLE_CHECKS) & set(queries)  # scoped, never the whole graph
        cold_settings = Settings(data_dir=own_data.data_dir, store_path=tmp_path / f"cold{step}" / "store")
        build(cold_settings)
        queries.clear()
        ours, theirs = _published(own_data)[2], _published(cold_settings)[2]
        assert ours["problems"] == theirs["problems"], f"after edit {step}"
        seen.append(sorted(f"{p[0]} {p[2]}" for p in ours["problems"] if p[2] in rules))
    # the scenarios do what they say: problems come and go in files no edit touched
    unchanged = set(files) - {name for edit in edits for name in _edited(edit)}
    assert any(any(name in entry for name in unchanged) for step in seen for entry in step)
    assert any(step == [] for step in seen) and any(step for step in seen)


def _edited(edit: Any) -> set[str]:
    """The file names an edit made by _replace, _add or _remove names (read from its closure)."""
    return {cell.cell_contents for cell in edit.__closure__ or () if isinstance(cell.cell_contents, str)
            and cell.cell_contents.endswith(".yaml")}
