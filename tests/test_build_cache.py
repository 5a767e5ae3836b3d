"""Builds reuse what an unchanged record file became (graph/build/cache.py, graph/build/records.py),
compile files on several cores in file order, show progress only on a terminal, and say early
that a build will fail."""
from __future__ import annotations

import importlib.util
import io
import multiprocessing
import os
import shutil
from pathlib import Path

import orjson
import pyoxigraph as ox
import pytest

import graph.build.records as records
from graph.build.cache import RecordCache, _declared_alone, declared_in, head_of, head_text
from graph.build.incremental import STATE_FILE
from graph.build.pipeline import build, compile_all
from graph.progress import Progress
from graph.build.records import FileResult, compile_files, content_key, version
from graph.config import PROJECT_ROOT, Settings
from graph.errors import InvalidData
from graph.problems import Problem, Severity
from graph.rdf.store import OxigraphStore
from graph.records import record_files
from graph.records.emit import Reference
from graph.records.read import MAX_RECORD_BYTES, read_bytes
from graph.records.taxonomy import load_taxonomy

from conftest import FIXTURES, seed_corpus


@pytest.fixture
def compiled_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files each build compiles (reads, checks, emits) rather than takes from the cache."""
    seen: list[str] = []
    compile_file = records.compile_file

    def counting(path: Path, settings: Settings, taxonomy: object, data: bytes | None = None,
                 display: str | None = None) -> records.FileResult:
        seen.append(path.name)
        return compile_file(path, settings, taxonomy, data, display)  # type: ignore[arg-type]

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


@pytest.fixture(params=["pool", "sequential"])
def cores(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Builds of the seed corpus that compile in two worker processes, or in the build's own."""
    if request.param == "pool":
        if "fork" not in multiprocessing.get_all_start_methods():
            pytest.skip("the pool needs fork")
        monkeypatch.setattr(records, "POOL_FROM", 4)
        monkeypatch.setattr(records, "usable_cores", lambda: 2)
    else:
        monkeypatch.setattr(records, "usable_cores", lambda: 1)
    return str(request.param)


@pytest.fixture
def work_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A file that says which process compiled each file and wrote each cache entry ("compiled
    <pid> <name>", "put <pid> <key>"): a worker's lists would stay in the worker."""
    log = tmp_path / "work.log"
    compile_file, put = records.compile_file, RecordCache.put

    def logged_compile(path: Path, settings: Settings, taxonomy: object, data: bytes | None = None,
                       display: str | None = None) -> records.FileResult:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"compiled {os.getpid()} {path.name}\n")
        return compile_file(path, settings, taxonomy, data, display)  # type: ignore[arg-type]

    def logged_put(cache: RecordCache, key: str, result: records.FileResult) -> bool:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"put {os.getpid()} {key}\n")
        return put(cache, key, result)

    monkeypatch.setattr(records, "compile_file", logged_compile)
    monkeypatch.setattr(RecordCache, "put", logged_put)
    return log


def _work(log: Path, kind: str) -> list[tuple[int, str]]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [(int(pid), what) for done, pid, what in (line.split(" ") for line in lines) if done == kind]


def _entries(settings: Settings) -> set[str]:
    return {path.stem for path in settings.store_path.parent.glob(f"{settings.store_path.name}.cache/*/*.nq")}


def _key(settings: Settings, path: Path, data: bytes | None = None) -> str:
    return content_key(path.read_bytes() if data is None else data, settings.display(path), version(settings))


def _forget_loaded_graphs(settings: Settings) -> None:
    """Make the next build load every file, and so read every entry (an incremental build reads
    no entry of a file whose graph it keeps)."""
    (Path(os.path.realpath(settings.store_path)) / STATE_FILE).unlink()


def test_the_process_that_compiles_a_file_writes_its_entry_and_the_next_build_reads_it(own_data: Settings, cores: str,
                                                                                      work_log: Path) -> None:
    sources = sorted((own_data.data_dir / "sources").glob("*.yaml"))
    build(own_data)
    assert sorted(name for _, name in _work(work_log, "compiled")) == [path.name for path in sources]
    writers = {pid for pid, _ in _work(work_log, "put")}
    # In the pool, the workers write the entries, and the build keeps them past its pruning.
    assert os.getpid() not in writers if cores == "pool" else writers == {os.getpid()}
    assert _entries(own_data) == {_key(own_data, path) for path in sources}
    work_log.unlink()
    _forget_loaded_graphs(own_data)
    build(own_data)
    assert _work(work_log, "compiled") == [] and _work(work_log, "put") == []
    assert _entries(own_data) == {_key(own_data, path) for path in sources}


def test_a_file_edited_between_its_hashing_and_its_compiling_gets_no_entry(own_data: Settings, cores: str, work_log: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The bytes compiled differ from the bytes hashed, although the file has its hashed bytes
    again when its compiling ends: the entry would be a result of other bytes."""
    sources = sorted((own_data.data_dir / "sources").glob("*.yaml"))
    edited = sources[len(sources) // 2]
    hashed = edited.read_bytes()

    def edited_while_read(path: Path, display: str) -> bytes:
        if path != edited:
            return read_bytes(path, display)
        path.write_bytes(hashed.replace(b"\n", b"\n\n", 1))
        try:
            return read_bytes(path, display)
        finally:
            path.write_bytes(hashed)

    monkeypatch.setattr(records, "read_bytes", edited_while_read)
    build(own_data)
    assert edited.name in [name for _, name in _work(work_log, "compiled")]
    assert _entries(own_data) == {_key(own_data, path) for path in sources if path != edited}
    monkeypatch.setattr(records, "read_bytes", read_bytes)
    work_log.unlink()
    _forget_loaded_graphs(own_data)
    build(own_data)
    assert [name for _, name in _work(work_log, "compiled")] == [edited.name]
    assert _entries(own_data) == {_key(own_data, path) for path in sources}


def test_a_file_edited_while_it_is_compiled_is_compiled_again_when_its_hashed_bytes_come_back(
        own_data: Settings, cores: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build loads the bytes it compiled, not the ones it hashed, and must say so: were the
    graph recorded under the hashed bytes' key, putting those bytes back would leave the edited
    version in the graph."""
    sources = sorted((own_data.data_dir / "sources").glob("*.yaml"))
    edited = sources[len(sources) // 2]
    hashed = edited.read_bytes()
    compiled = hashed.replace(b"\n  title: ", b"\n  title: Edited while building, ", 1)
    assert compiled != hashed

    def edited_while_read(path: Path, display: str) -> bytes:
        if path == edited and path.read_bytes() == hashed:
            path.write_bytes(compiled)
        return read_bytes(path, display)

    monkeypatch.setattr(records, "read_bytes", edited_while_read)
    build(own_data)
    assert any("Edited while building" in quad for quad in _quads(own_data))
    monkeypatch.setattr(records, "read_bytes", read_bytes)
    edited.write_bytes(hashed)
    build(own_data)
    assert not any("Edited while building" in quad for quad in _quads(own_data))
    assert _key(own_data, edited) in _entries(own_data)


def test_files_that_fail_their_checks_are_kept_as_they_were(own_data: Settings, cores: str, work_log: Path) -> None:
    """Results with problems have entries too, whether the file was read (a YAML error, a name
    that is no slug, read before its name is checked) or refused unread (too big: hashed whole)."""
    sources = own_data.data_dir / "sources"
    (sources / "broken.yaml").write_text("source: [unclosed\n", encoding="utf-8")
    (sources / "Not_A_Slug.yaml").write_bytes(seed_corpus()[0].read_bytes())
    (sources / "too-big.yaml").write_bytes(b"# " + b"x" * MAX_RECORD_BYTES + b"\n")
    with pytest.raises(InvalidData) as first:
        build(own_data)
    assert {p.rule for p in first.value.problems} >= {"yaml-syntax", "file-name", "file-size"}
    assert _entries(own_data) == {_key(own_data, path) for path in sources.glob("*.yaml")}
    work_log.unlink()
    with pytest.raises(InvalidData) as again:
        build(own_data)
    assert _work(work_log, "compiled") == []
    assert again.value.problems == first.value.problems


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


def _plain_declared(head: str) -> list[tuple[str, str, str, int]]:
    """What a head declares, parsed whole: the form ``declared_in``'s shortcut must equal."""
    return [(str(d[0]), str(d[1]), str(d[2]), int(d[3])) for d in orjson.loads(head)["declared"]]


def test_what_a_kept_head_declares_is_read_alone_and_as_the_whole_head_says(tmp_path: Path) -> None:
    """``declared_in`` parses only the ``declared`` part of a head as the index keeps it: the same
    as the whole head, on the project's records, on a synthetic landscape (scripts/bench_build.py),
    and on names that hold the keys' text; any other text is parsed whole."""
    spec = importlib.util.spec_from_file_location("bench_build", PROJECT_ROOT / "scripts" / "bench_build.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.make_data(tmp_path / "synthetic", 200)
    results: list[FileResult] = []
    for data_dir in (Settings().data_dir, tmp_path / "synthetic"):
        settings = Settings(data_dir=data_dir)
        results += compile_files(record_files(data_dir), settings, load_taxonomy(settings.ontology_dir), workers=1)
    tricky = '", "declared": [["x", "y", "z", 1]], "references": [\\'
    results.append(FileResult(f"data/sources/{tricky}.yaml", declared=[("organisation", tricky, tricky, 3), ("source", "s", "f", 1)],
                              references=[Reference(("organisation",), tricky, tricky, 2, "parties")]))
    heads = [head_text(result) for result in results if not result.problems]  # as compile_records keeps them
    assert len(heads) > 50 and sum(len(_plain_declared(head)) for head in heads) > 500
    for head in heads:
        assert _declared_alone(head) is not None  # the shortcut is taken
        assert declared_in(head) == _plain_declared(head)
    compact = orjson.dumps(head_of(results[-1])).decode()  # a cache entry's form: parsed whole
    assert _declared_alone(compact) is None and declared_in(compact) == _plain_declared(compact)
    assert declared_in(heads[0].replace('"format": 1', '"format": 0')) is None
