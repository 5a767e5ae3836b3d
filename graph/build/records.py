"""Each record file on its own: read, checked and emitted as N-Quads, on every core, cached.

What a file becomes depends only on its bytes, on where it is shown in messages and on the
ontology, taxonomies, record schema and code that read and emit it (``version``), so the result
is kept by the content hash of those (graph.build.cache) and an unchanged file is not parsed,
checked or emitted again. Files are compiled in a process pool when there are enough of them to
pay for it; results come back in file order, so the N-Quads, and the build, do not depend on
which worker finished first. The process that compiles a file also writes its cache entry
(``compile_kept``): the main process, which shares the cores with the workers, neither reads the
file again nor writes the entry.
"""
from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
from importlib import metadata
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from graph.changes.manifest import file_hash
from graph.config import Settings
from graph.problems import Problem
from graph.records import emit_record, read_record
from graph.records.emit import Reference
from graph.records.read import RecordProblems, read_bytes
from graph.records.taxonomy import Taxonomy, load_taxonomy, taxonomy_files

# Below this many files to compile, starting workers costs more than it saves.
POOL_FROM = 64
CHUNK = 16
PACKAGE = Path(__file__).resolve().parent.parent
# Libraries whose answers are part of a file's checks or quads (units, countries, LEI digits, the
# schema validator, the literals' forms).
LIBRARIES = ("pyoxigraph", "rdflib", "jsonschema", "jsonschema-rs", "pyyaml", "pint", "pycountry", "python-stdnum")


@dataclass
class FileResult:
    """One record file compiled: its N-Quads, or the problems that keep it out."""

    display: str
    nquads: bytes = b""
    declared: list[tuple[str, str, str, int]] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    cached: bool = False
    kept: bool = False  # its cache entry was written by the process that compiled it (compile_kept)
    # The cache key and manifest hash of the bytes compiled, when they are not the bytes the build
    # hashed (the file was edited between the two readings): what the build loaded is recorded as
    # coming from these, so that putting the hashed bytes back makes the next build compile it again.
    compiled_as: tuple[str, str] | None = None


@dataclass(frozen=True)
class Keeping:
    """How compiled results are kept: the code version their keys hash (``version``) and what
    writes the entry of a key (graph.build.cache.RecordCache.put), answering whether it did."""

    code_version: str
    put: Callable[[str, FileResult], bool]


def compile_file(path: Path, settings: Settings, taxonomy: Taxonomy, data: bytes | None = None, display: str | None = None) -> FileResult:
    """One file's result; from ``data``, its bytes, when the caller has read them (and ``display``,
    how it is shown, when the caller has it: resolving the path again costs a system call or more)."""
    display = display if display is not None else settings.display(path)
    try:
        record = read_record(path, display, data)
    except RecordProblems as failure:
        return FileResult(display, problems=failure.problems)
    emitted = emit_record(record, settings, taxonomy)
    return FileResult(display, emitted.nquads(), emitted.declared, emitted.references)


def compile_kept(path: Path, settings: Settings, taxonomy: Taxonomy, key: str | None, keeping: Keeping | None) -> FileResult:
    """``compile_file``, and with ``keeping`` the result's cache entry under ``key`` (the key the
    build hashed the file with, graph.build.cache.SourceIndex), kept only if the bytes compiled
    are the bytes hashed: a file edited between the two readings gets no entry, and its result says
    what it was compiled from (``compiled_as``). Results with problems are kept too (a file fails
    the same way from the cache). ``kept`` says whether the entry was written."""
    display = settings.display(path)
    try:
        data: bytes | None = read_bytes(path, display)
    except (RecordProblems, OSError):
        data = None  # read_record reads it again and says what is wrong with it
    result = compile_file(path, settings, taxonomy, data, display)
    if key is not None and keeping is not None:
        # A file read_bytes refuses (too big, no longer a regular file) is hashed whole, as the build did.
        compiled_key = content_key(data, display, keeping.code_version) if data is not None else file_key(path, display, keeping.code_version)
        result.kept = compiled_key == key and keeping.put(key, result)
        if compiled_key is not None and compiled_key != key:
            result.compiled_as = (compiled_key, file_hash(data) if data is not None else "")
    return result


def version(settings: Settings) -> str:
    """What every file's result depends on besides its bytes: the vocabulary, the record schema
    and the code of graph/records/, and the IRI base. A change to any of them recompiles all."""
    digest = hashlib.sha256(settings.base.encode())
    inputs = [settings.ontology_dir / "alliance.ttl", *taxonomy_files(settings.ontology_dir),
              *sorted((PACKAGE / "records").glob("*.py")), *sorted((PACKAGE / "records").glob("*.yaml")),
              PACKAGE / "config.py", PACKAGE / "problems.py", PACKAGE / "rdf" / "namespaces.py", Path(__file__)]
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(library_versions(LIBRARIES))
    return digest.hexdigest()


def library_versions(libraries: tuple[str, ...]) -> bytes:
    """The installed versions of ``libraries`` (whose answers a build's output depends on), for a digest."""
    versions = []
    for library in libraries:
        try:
            versions.append(f"{library}={metadata.version(library)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{library}=none")
    return "".join(versions).encode()


def file_key(path: Path, display: str, code_version: str) -> str | None:
    """The content hash of one file's result; None for what is not a regular file (read_record
    reports it, and it is never cached)."""
    try:
        if not path.is_file() or path.is_symlink():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return content_key(data, display, code_version)


def content_key(data: bytes, display: str, code_version: str) -> str:
    """``file_key`` of a file whose bytes are ``data`` (graph.build.cache.SourceIndex reads each file once)."""
    return hashlib.sha256(code_version.encode() + b"\0" + display.encode() + b"\0" + data).hexdigest()


# -- the pool: each worker loads the taxonomy once ------------------------------------------------
_WORKER: tuple[Settings, Taxonomy, Keeping | None] | None = None


def _start_worker(settings: Settings, keeping: Keeping | None) -> None:
    global _WORKER
    _WORKER = (settings, load_taxonomy(settings.ontology_dir), keeping)


def _compile_in_worker(path: Path, key: str | None) -> FileResult:
    assert _WORKER is not None, "the pool starts each worker with _start_worker"
    settings, taxonomy, keeping = _WORKER
    return compile_kept(path, settings, taxonomy, key, keeping)


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def compile_files(paths: list[Path], settings: Settings, taxonomy: Taxonomy, workers: int | None = None,
                  keys: Sequence[str | None] | None = None, keeping: Keeping | None = None) -> Generator[FileResult, None, None]:
    """Each file's result, in the order of ``paths``; with ``keeping``, each kept under its key
    in ``keys`` (one for each path, None for a file not to keep) by ``compile_kept``.

    A caller that stops early closes the generator (``contextlib.closing``): the pool then drops
    the files not yet begun and its workers end. Left to the garbage collector, a failed build's
    workers (forked copies of the caller) lived as long as its traceback."""
    keys = keys if keys is not None else [None] * len(paths)
    workers = workers if workers is not None else usable_cores()
    if workers < 2 or len(paths) < POOL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        yield from (compile_kept(path, settings, taxonomy, key, keeping) for path, key in zip(paths, keys, strict=True))
        return
    # fork: spawn and forkserver import the caller's main module again, which breaks a script
    # without a __main__ guard. The workers read, emit and write cache entries (each its own,
    # atomically); they never touch the parent's store.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(settings, keeping))
    try:
        yield from pool.map(_compile_in_worker, paths, keys, chunksize=CHUNK)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def started(results: Iterator[FileResult]) -> Iterator[FileResult]:
    """``results`` (``compile_files``'s) with the first one already made: a pool's workers fork
    then, so that a thread or pipe the caller opens afterwards is not copied into them (a worker
    holding a pipe's write end would keep its reader waiting for ever)."""
    first = next(results, None)
    return results if first is None else itertools.chain((first,), results)


def in_order(paths: list[Path], known: dict[int, FileResult], compiled: Iterable[FileResult]) -> Iterator[tuple[Path, FileResult]]:
    """The results of ``paths`` in their order: those at the indexes of ``known`` from it, the
    others from ``compiled`` (one for each, in order)."""
    fresh = iter(compiled)
    for index, path in enumerate(paths):
        yield path, known[index] if index in known else next(fresh)
