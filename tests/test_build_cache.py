"""Builds reuse what an unchanged record file became (graph/build/cache.py, graph/build/records.py),
compile files on several cores in file order, show progress only on a terminal, and say early
that a build will fail."""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

import graph.build.records as records
from graph.build.incremental import STATE_FILE
from graph.build.pipeline import build, compile_all
from graph.progress import Progress
from graph.build.records import compile_files
from graph.config import PROJECT_ROOT, Settings
from graph.errors import InvalidData
from graph.problems import Problem, Severity
from graph.rdf.store import OxigraphStore
from graph.records import record_files
from graph.records.taxonomy import load_taxonomy

from conftest import FIXTURES, seed_corpus


@pytest.fixture
def compiled_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files each build compiles (reads, checks, emits) rather than takes from the cache."""
    seen: list[str] = []
    compile_file = records.compile_file

    def counting(path: Path, settings: Settings, taxonomy: object) -> records.FileResult:
        seen.append(path.name)
        return compile_file(path, settings, taxonomy)  # type: ignore[arg-type]

    monkeypatch.setattr(records, "compile_file", counting)
    return seen


def _quads(settings: Settings) -> set[str]:
    out = io.BytesIO()
    store = OxigraphStore.open(settings.store_path)
    store.export(out, ox.RdfFormat.N_QUADS)
    store.close()
    return set(out.getvalue().decode().splitlines())


def test_unchanged_files_are_not_compiled_again_and_the_graph_is_the_same(own_data: Settings, compiled_files: list[str],
                                                                          tmp_path: Path) -> None:
    build(own_data)
    assert len(compiled_files) == len(seed_corpus())
    compiled_files.clear()
    build(own_data)
    assert compiled_files == []
    changed = sorted((own_data.data_dir / "sources").glob("*.yaml"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    build(own_data)
    assert compiled_files == [changed.name]
    cold = Settings(data_dir=own_data.data_dir, store_path=tmp_path / "cold" / "store")
    build(cold)
    assert _quads(own_data) == _quads(cold)


def test_a_changed_taxonomy_compiles_every_file_again(own_data: Settings, compiled_files: list[str], tmp_path: Path) -> None:
    ontology = tmp_path / "ontology"
    shutil.copytree(PROJECT_ROOT / "ontology", ontology)
    settings = Settings(data_dir=own_data.data_dir, ontology_dir=ontology, store_path=own_data.store_path)
    build(settings)
    compiled_files.clear()
    taxonomy = sorted((ontology / "taxonomies").glob("*.ttl"))[0]
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    build(settings)
    assert len(compiled_files) == len(seed_corpus())


def test_a_damaged_cache_entry_is_compiled_again(own_data: Settings, compiled_files: list[str]) -> None:
    build(own_data)
    entries = sorted(own_data.store_path.parent.glob("store.cache/*/*.nq"))
    assert len(entries) == len(seed_corpus())
    entries[0].write_bytes(b"{not json\n")
    # An incremental build reads no entry of a file whose graph it keeps (the build folder's index
    # of record files holds what it declares): a build that loads every file reads them all.
    (Path(os.path.realpath(own_data.store_path)) / STATE_FILE).unlink()
    compiled_files.clear()
    build(own_data)
    assert len(compiled_files) == 1


def test_a_file_that_failed_its_checks_fails_the_same_way_from_the_cache(own_data: Settings, compiled_files: list[str]) -> None:
    broken = own_data.data_dir / "sources" / "broken.yaml"
    broken.write_text("source: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidData) as first:
        build(own_data)
    compiled_files.clear()
    with pytest.raises(InvalidData) as again:
        build(own_data)
    assert compiled_files == []
    assert again.value.problems == first.value.problems
    assert [p.file for p in again.value.problems] == [own_data.display(broken)]


def test_files_compiled_on_two_cores_come_back_in_file_order() -> None:
    settings = Settings()
    paths = record_files(settings.data_dir)[:records.POOL_FROM + 10]
    taxonomy = load_taxonomy(settings.ontology_dir)
    alone = list(compile_files(paths, settings, taxonomy, workers=1))
    pooled = list(compile_files(paths, settings, taxonomy, workers=2))
    assert [r.display for r in pooled] == [settings.display(p) for p in paths]
    assert pooled == alone


PROBLEM = Problem("data/sources/x.yaml", 3, "record-schema", "alliances/0: unknown field 'tpye'", "remove or rename the field")


def test_progress_is_quiet_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.stage("loading")
    progress.count("records", 10, 10)
    progress.problems([PROBLEM])
    progress.done()
    assert stream.getvalue() == ""


def test_progress_shows_a_violation_at_once_and_not_a_warning() -> None:
    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    progress.count("records", 10, 10)
    warning = Problem("data/sources/y.yaml", 1, "shape:url", "no URL", "", Severity.WARNING)
    progress.problems([PROBLEM, warning])
    assert str(PROBLEM) in stream.getvalue() and "no URL" not in stream.getvalue()
    assert "records 10/10" in stream.getvalue()


def test_an_id_that_resolves_nowhere_is_shown_before_the_graph_is_derived_and_checked() -> None:
    """The issue's build reported a problem only after minutes of checks; now it is shown as soon
    as every file is read."""
    stream = io.StringIO()
    broken = FIXTURES / "records" / "invalid" / "broken-reference.yaml"
    _, problems = compile_all(OxigraphStore.in_memory(), Settings(), seed_corpus() + [broken], progress=Progress(stream, enabled=True))
    shown = stream.getvalue()
    reference = next(p for p in problems if p.rule == "reference-resolves")
    assert str(reference) in shown
    assert shown.index(str(reference)) < shown.index("deriving ...") < shown.index("checking ...")
