"""The landscape kept beside a published build (graph.network.landscape_cache).

- The commands print and write the same bytes without the cache, when they write it (cold) and when
  they read it (warm): every measure of ``network``, ``path``, ``timeline`` and the network exports,
  on the seed graph and on a small synthetic landscape (``scripts/bench build``'s generator).
- A corrupt, truncated, oversized or foreign file is ignored and replaced, with no error.
- No cache is read or written where the store can change: a build served with updates, a remote
  store, a store in memory.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from graph.cli import main
from graph.config import Settings
from graph.network import landscape_cache
from graph.network.landscape import PARTS, Part, load_landscape
from graph.network.landscape_cache import cache_file, cache_folder, landscape_of
from graph.network.options import MEASURES
from graph.rdf.location import store_location
from graph.rdf.remote import RemoteStore
from graph.rdf.store import COMPLETE_MARKER, OxigraphStore, union_default_graph

from landscape_support import bench_store

ALL_PARTS: list[frozenset[Part]] = [frozenset(), frozenset({"topics"}), frozenset({"details"}), PARTS]


def published(folder: Path) -> Path:
    """``folder`` (a store) made a published build: ``<store>.builds/1`` and the store link to it."""
    root = folder.parent / "published"
    build = root / "store.builds" / "1"
    build.parent.mkdir(parents=True)
    shutil.copytree(folder, build)
    for kept in build.glob(f"{landscape_cache.PREFIX}*"):
        kept.unlink()  # the session's build may have one from an earlier test
    (build / COMPLETE_MARKER).write_bytes(b"")
    (root / "store").symlink_to("store.builds/1")
    return root / "store"


@pytest.fixture(scope="module")
def seed(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's build of data/, so that its cache is this module's own."""
    target = tmp_path_factory.mktemp("seed") / "store"
    shutil.copytree(os.path.realpath(built.store_path), target)
    return published(target)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """250 deals between 50 organisations, built as ``scripts/bench network`` builds its landscapes."""
    return published(bench_store(tmp_path_factory.mktemp("synthetic") / "store", 50))


@pytest.fixture(params=["seed", "synthetic"])
def store_path(request: pytest.FixtureRequest) -> Path:
    found: Path = request.getfixturevalue(request.param)
    return found


def kept(store_path: Path) -> list[Path]:
    return sorted(Path(os.path.realpath(store_path)).glob(f"{landscape_cache.PREFIX}*"))


def clear(store_path: Path) -> None:
    for path in kept(store_path):
        path.unlink()


def first_two(store_path: Path) -> tuple[str, str]:
    """Two organisations of the graph with a path between them."""
    if "synthetic" in os.path.realpath(store_path):
        return "org-10", "org-40"
    return "FAW-Volkswagen", "SMS group"


def outputs(runner: CliRunner, store_path: Path, out: Path) -> dict[str, bytes]:
    """What every network command prints or writes on the store."""
    found: dict[str, bytes] = {}

    def run(name: str, *args: str) -> None:
        result = runner.invoke(main, ["--store", str(store_path), *args])
        assert result.exit_code == 0, (name, result.output)
        found[name] = result.stdout_bytes

    for measure in MEASURES:
        run(f"network {measure}", "network", "--measure", measure, "--format", "json")
    run("network table", "network")
    run("network group", "network", "--level", "group", "--format", "csv")
    a, b = first_two(store_path)
    run("path", "path", a, b, "--format", "json")
    run("path text", "path", a, b)
    run("timeline", "timeline", "--format", "json")
    for fmt in ("html", "graphml", "gexf", "csv"):
        run(f"export {fmt}", "export", fmt, "-o", str(out / f"n.{fmt}"))
        found[f"file {fmt}"] = (out / f"n.{fmt}").read_bytes()
    return found


def test_commands_give_the_same_bytes_without_the_cache_cold_and_warm(
        runner: CliRunner, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear(store_path)
    with monkeypatch.context() as patch:
        patch.setattr(landscape_cache, "cache_folder", lambda store: None)
        (tmp_path / "plain").mkdir()
        plain = outputs(runner, store_path, tmp_path / "plain")
    assert not kept(store_path)
    (tmp_path / "cold").mkdir()
    cold = outputs(runner, store_path, tmp_path / "cold")
    assert kept(store_path), "the first commands keep the landscapes they read"
    written = {path: path.stat().st_mtime_ns for path in kept(store_path)}
    (tmp_path / "warm").mkdir()
    warm = outputs(runner, store_path, tmp_path / "warm")
    assert {path: path.stat().st_mtime_ns for path in kept(store_path)} == written, "warm commands only read"
    assert plain.keys() == cold.keys() == warm.keys()
    for name in plain:
        assert cold[name] == plain[name], name
        assert warm[name] == plain[name], name


def test_filtered_commands_give_the_same_bytes_from_the_cache(runner: CliRunner, seed: Path) -> None:
    clear(seed)
    args = [["network", "--material", "steel", "--format", "json"], ["network", "--country", "CN", "--format", "csv"],
            ["path", "FAW-Volkswagen", "SMS group", "--material", "steel", "--format", "json"],
            ["timeline", "--by", "type", "--format", "json"]]
    runs = [[runner.invoke(main, ["--store", str(seed), *a]) for a in args] for _ in range(2)]
    assert all(r.exit_code == 0 for rs in runs for r in rs), [r.output for rs in runs for r in rs]
    assert [r.stdout_bytes for r in runs[0]] == [r.stdout_bytes for r in runs[1]]
    assert kept(seed)


@pytest.mark.parametrize("parts", ALL_PARTS, ids=lambda p: "-".join(sorted(p)) or "base")
def test_the_kept_landscape_equals_the_one_read(store_path: Path, parts: frozenset[Part]) -> None:
    clear(store_path)
    store = OxigraphStore.open(store_path)
    read = load_landscape(store, parts)
    assert landscape_of(store, parts) == read  # cold: read and kept
    assert cache_file(Path(os.path.realpath(store_path)), parts).exists()
    assert landscape_of(store, parts) == read  # warm: loaded
    store.close()


def _damaged(path: Path) -> Iterator[tuple[str, bytes]]:
    content = path.read_bytes()
    header, _, payload = content.partition(b"\n")
    stated = json.loads(header)
    yield "truncated", content[: len(content) // 2]
    yield "empty", b""
    yield "not json", b"\x80\x81 not a landscape\n{}"
    flipped = bytearray(payload)
    flipped[len(flipped) // 2] ^= 0x01
    yield "corrupt", header + b"\n" + bytes(flipped)
    for key, value in (("build", "2"), ("store", "0" * 16), ("version", "0" * 16), ("format", "other/1"), ("parts", ["topics"])):
        yield f"foreign {key}", json.dumps({**stated, key: value}).encode() + b"\n" + payload
    forged = json.dumps([["x"]]).encode()  # a checksum that matches a payload of another shape
    yield "wrong shape", json.dumps({**stated, "bytes": len(forged), "sha256": hashlib.sha256(forged).hexdigest()}).encode() \
        + b"\n" + forged


def test_a_damaged_or_foreign_cache_is_ignored_and_replaced(seed: Path) -> None:
    clear(seed)
    store = OxigraphStore.open(seed)
    expected = load_landscape(store)
    landscape_of(store)
    path = cache_file(Path(os.path.realpath(seed)), PARTS)
    good = path.read_bytes()
    for name, content in list(_damaged(path)):
        path.write_bytes(content)
        assert landscape_of(store) == expected, name
        assert path.read_bytes() == good, name
    store.close()


def test_an_oversized_cache_is_ignored_replaced_and_never_written(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear(seed)
    store = OxigraphStore.open(seed)
    expected = load_landscape(store)
    path = cache_file(Path(os.path.realpath(seed)), PARTS)
    landscape_of(store)
    good = path.read_bytes()
    monkeypatch.setattr(landscape_cache, "MAX_BYTES", len(good) + 10)
    path.write_bytes(good + b" " * 20)  # valid JSON, but larger than the bound
    assert landscape_of(store) == expected
    assert path.read_bytes() == good
    monkeypatch.setattr(landscape_cache, "MAX_BYTES", len(good) - 1)
    path.unlink()
    assert landscape_of(store) == expected
    assert not path.exists(), "a landscape larger than the bound is not kept"
    assert not list(path.parent.glob(".alliances.landscape-*")), "no temporary file is left"
    store.close()


def test_an_unwritable_build_folder_reads_the_store_without_error(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear(seed)
    store = OxigraphStore.open(seed)

    def refuse(path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(landscape_cache, "atomic_writer", refuse)
    assert landscape_of(store) == load_landscape(store)
    assert not kept(seed)
    store.close()


def _copy_with_cache(seed: Path, tmp_path: Path) -> Path:
    """A copy of the seed build whose landscape a first command kept."""
    build = tmp_path / "served"
    shutil.copytree(Path(os.path.realpath(seed)), build)
    for path in build.glob(f"{landscape_cache.PREFIX}*"):
        path.unlink()
    before = OxigraphStore.open(build)
    landscape_of(before)
    before.close()
    del before
    assert cache_file(build, PARTS).exists()
    return build


def test_no_cache_for_a_build_served_with_updates(seed: Path, tmp_path: Path) -> None:
    """A build once opened for updates (``serve --allow-update``) may change: an old cache is not
    read, and none is written."""
    build = _copy_with_cache(seed, tmp_path)
    writable = ox.Store(str(build))
    assert union_default_graph(writable, build, writable=True)  # what serve --allow-update does
    writable.update('INSERT DATA { GRAPH <urn:x:g> { <urn:x:new> a <http://www.w3.org/ns/org#Organization> } }')
    writable.flush()
    del writable
    cache_file(build, PARTS).unlink()
    served = OxigraphStore.open(build)
    assert cache_folder(served) is None
    landscape = landscape_of(served)
    assert "urn:x:new" in landscape.organisations
    assert not cache_file(build, PARTS).exists()
    served.close()


def test_an_old_cache_is_not_read_once_the_build_is_served_with_updates(seed: Path, tmp_path: Path) -> None:
    build = _copy_with_cache(seed, tmp_path)
    writable = ox.Store(str(build))
    union_default_graph(writable, build, writable=True)
    writable.update('INSERT DATA { GRAPH <urn:x:g> { <urn:x:new> a <http://www.w3.org/ns/org#Organization> } }')
    writable.flush()
    del writable
    served = OxigraphStore.open(build)
    assert "urn:x:new" in landscape_of(served).organisations  # the kept file, from before, is not read
    served.close()


class Wrapped:
    """A store that is no embedded build (as a remote store is): it answers, but keeps nothing."""

    def __init__(self, store: OxigraphStore) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Callable[..., object]:
        found: Callable[..., object] = getattr(self.store, name)
        return found


def test_no_cache_for_a_remote_store_or_a_store_in_memory(seed: Path) -> None:
    clear(seed)
    remote = RemoteStore(store_location("http://127.0.0.1:9/query"))  # type: ignore[arg-type]
    assert cache_folder(remote) is None
    remote.close()
    store = OxigraphStore.open(seed)
    assert landscape_of(Wrapped(store)) == load_landscape(store)  # type: ignore[arg-type]
    assert not kept(seed)
    memory = OxigraphStore.in_memory()
    for quad in store.quads():
        memory._store.add(quad)
    assert cache_folder(memory) is None
    assert landscape_of(memory, frozenset()).organisations.keys() == load_landscape(store, frozenset()).organisations.keys()
    assert not kept(seed)
    store.close()


def test_a_change_of_the_landscape_reading_makes_old_caches_foreign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.network import landscape as reading

    before = landscape_cache.code_version()
    changed = tmp_path / "landscape.py"
    changed.write_bytes(Path(reading.__file__).read_bytes() + b"\n# a change of the reading\n")
    landscape_cache.code_version.cache_clear()
    monkeypatch.setattr(reading, "__file__", str(changed))
    try:
        assert landscape_cache.code_version() != before
    finally:
        landscape_cache.code_version.cache_clear()


def test_a_copied_build_changed_in_place_does_not_read_the_cache_it_was_copied_with(seed: Path, tmp_path: Path) -> None:
    """As tests/test_hostile_output.py does: a build copied with its kept landscape, then edited."""
    clear(seed)
    store = OxigraphStore.open(seed)
    landscape_of(store)
    store.close()
    copy = tmp_path / "copy" / "1"  # the same folder name as the original build
    shutil.copytree(Path(os.path.realpath(seed)), copy)
    assert cache_file(copy, PARTS).exists()
    writable = ox.Store(str(copy))
    writable.update('INSERT DATA { <urn:x:new> a <http://www.w3.org/ns/org#Organization> }')  # into the stored merge
    writable.flush()
    del writable
    edited = OxigraphStore(ox.Store.read_only(str(copy)), read_only=True, folder=copy, union=False)
    assert cache_folder(edited) == copy
    assert "urn:x:new" in landscape_of(edited).organisations
    assert "urn:x:new" in landscape_of(edited).organisations  # the replaced cache, read warm


def test_a_landscape_orjson_cannot_write_is_kept_by_json_and_read_back() -> None:
    """orjson writes the kept landscape (the same bytes as json, a tenth of the time) but refuses an
    integer over 64 bits, such as a year a record states wrongly; json writes that one instead."""
    from landscape_support import synthetic_landscape

    landscape = synthetic_landscape(20)
    first = next(iter(landscape.alliances.values()))
    assert landscape_cache.encode(landscape).replace(b"\n", b"") == json.dumps(  # one row a line: newlines between rows only
        json.loads(landscape_cache.encode(landscape)), ensure_ascii=False, separators=(",", ":")).encode()
    first.year = 2**70
    back = landscape_cache.decode(landscape_cache.encode(landscape), landscape.parts)
    assert back.alliances[first.iri].year == 2**70
    assert landscape_cache.encode(back) == landscape_cache.encode(landscape)


def test_a_row_is_each_field_in_its_order_with_every_set_sorted() -> None:
    """A row holds an object's fields in the dataclass's order, each set as a sorted list, whichever
    fields are sets: the encoding takes them by a getter and set positions made once from the layout."""
    import dataclasses

    from landscape_support import synthetic_landscape

    landscape = synthetic_landscape(30)
    first = next(iter(landscape.alliances.values()))
    words = [f"material/m{i}" for i in range(12)]
    first.materials, first.dates = set(reversed(words)), {f"2024-{m:02}" for m in range(12, 0, -1)}  # never all in sorted order
    first.status_keys = set()
    sections = landscape_cache.sections_of(landscape)
    for name, items in (("sources", landscape.sources), ("organisations", landscape.organisations), ("alliances", landscape.alliances)):
        assert len(sections[name]) == len(items) > 0
        for item, row in zip(items.values(), sections[name]):
            assert dataclasses.is_dataclass(item)
            fields = [getattr(item, f.name) for f in dataclasses.fields(item) if f.init]
            expected = [sorted(value) if isinstance(value, set) else value for value in fields]
            assert json.loads(row) == json.loads(json.dumps(expected)), (name, item)
    assert json.loads(sections["alliances"][0])[[f.name for f in dataclasses.fields(first)].index("materials")] == sorted(words)
