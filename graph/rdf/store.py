"""The store behind one small interface (open, load, query, export), so that a remote SPARQL
endpoint can take the embedded Oxigraph store's place later.

On disk a built graph is a folder ``<store>.builds/<n>`` and ``<store>`` is a symbolic link to
the current one; a build writes a new folder and swaps the link with one atomic rename, so a
failed build never touches the graph that answers queries.

Folders live as long as someone uses them. Every user (a build writing its folder, a reader such
as a server worker) holds a shared ``flock`` on the folder for as long as it uses it; the kernel
drops it when the process ends, however it ends. Pruning takes an exclusive lock without waiting
and skips a folder it cannot lock. A folder counts as a good build only once ``publish`` has
written its marker (before the link swap), so a killed build leaves an unmarked folder that no
one locks, and the next pruning removes it first.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, Union

import pyoxigraph as ox

from graph.errors import AllianceError, StoreMissing
from graph.rdf.merge import Merge
from graph.rdf.namespaces import PREFIXES

QueryResult = Union[ox.QuerySolutions, ox.QueryBoolean, ox.QueryTriples]


class GraphStore(Protocol):
    """What the rest of the package needs from a store."""

    def load(self, data: bytes | IO[bytes], format: ox.RdfFormat, graph: str | None = None) -> None: ...

    def query(self, sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult: ...

    def default_graph_is_empty(self) -> bool: ...

    def export(self, output: IO[bytes], format: ox.RdfFormat) -> None: ...

    def named_graphs(self) -> list[str]: ...


class OxigraphStore:
    """The embedded store. Queries see the merge of all named graphs as their default graph
    (the stored merge or Oxigraph's union: ``union_default_graph``), and the project's prefixes
    (graph.rdf.namespaces.PREFIXES) are predeclared."""

    def __init__(self, store: ox.Store, read_only: bool = False, folder: Path | None = None, union: bool = True) -> None:
        self._store = store
        self._read_only = read_only
        self._union = union  # False once the default graph holds the merge
        self.folder = folder  # the build folder on disk; None in memory
        self._release: weakref.finalize[[], OxigraphStore] | None = None  # drops the lease of an opened build

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        return cls(ox.Store())

    @classmethod
    def create(cls, path: Path) -> OxigraphStore:
        return cls(ox.Store(str(path)), folder=path)

    @classmethod
    def open(cls, path: Path) -> OxigraphStore:
        """Open the build ``path`` points at now, read-only, so that several readers can share it.

        The store holds a lease on its folder until it is closed or released, so that no build
        prunes it while it answers."""
        lease = lease_build(path)
        try:
            store = ox.Store.read_only(str(lease.folder))
            opened = cls(store, read_only=True, folder=lease.folder,
                         union=union_default_graph(store, lease.folder, writable=False))
        except BaseException:
            lease.release()
            raise
        opened._release = weakref.finalize(opened, lease.release)
        return opened

    @property
    def read_only(self) -> bool:
        """Opened read-only: what it answers cannot change while it is open (pyoxigraph leaves a write
        by another process meanwhile undefined), so what was read from it may be kept as long."""
        return self._read_only

    def load(self, data: bytes | IO[bytes], format: ox.RdfFormat, graph: str | None = None) -> None:
        to_graph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        self._store.bulk_load(data, format=format, to_graph=to_graph)

    @contextlib.contextmanager
    def loading(self, format: ox.RdfFormat) -> Iterator[IO[bytes]]:
        """A file whose bytes are bulk-loaded while they are written, until the block ends: the
        load (one core, without the GIL) runs beside whatever makes the bytes, where loading a
        finished file waited for all of it (8 s of a cold build at 1.5 million triples).

        A thread bulk-loads from a pipe. A failed load closes the pipe, so the writer is stopped by
        a broken pipe and the load's own error is raised; a block that fails still waits for what
        was written to be loaded (a bulk load cannot be cancelled), then raises its error."""
        read_end, write_end = os.pipe()
        reader, writer = os.fdopen(read_end, "rb"), os.fdopen(write_end, "wb")
        with _on_a_thread(lambda: _bulk_load(self._store, reader, format), "bulk-load", then=reader.close) as failed:
            try:
                yield writer
            except BrokenPipeError:
                if not failed:  # else the load's own error is raised
                    raise
            finally:
                with contextlib.suppress(BrokenPipeError):
                    writer.close()  # before the thread is joined: the load ends at the pipe's end

    def query(self, sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult:
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): value for name, value in (substitutions or {}).items()}
        return self._store.query(sparql, use_default_graph_as_union=self._union,
                                 substitutions=subs or None, prefixes=PREFIXES)

    def materialise_union(self, merge: Merge | None = None) -> None:
        """Store the merge of all named graphs as the default graph, each triple once (the build
        does, last; see ``union_default_graph``), from ``merge`` when it holds the triples of every
        named graph (a cold build writes them as it loads them) or else from the store.

        The triples are bulk-loaded into the default graph (the bulk loader keeps a triple once):
        a SPARQL ``INSERT ... WHERE { GRAPH ?g ... }`` holds every triple in one transaction, three
        times the cost of the bulk load of the whole build. Reading every graph back out (a dump)
        costs as much as that load again: 11.6 s of a cold build at 1.38 million triples."""
        self._store_merge(merge if self._whole(merge) else None)
        self._union = False

    @contextlib.contextmanager
    def storing_merge(self, merge: Merge) -> Iterator[None]:
        """``materialise_union`` on a thread while the block runs, which it joins at its end: the
        bulk load lets go of the GIL, so Python work of the build runs beside it (at 1.5 million
        triples the load takes 6-7 s, the statement hashes beside it 2 s). Inside the block the default graph is half
        stored: read only named graphs (``GRAPH``, ``dump_graph``) and ``merge.triples``."""
        whole = self._whole(merge)  # decided before the load starts: ``merge.triples`` answers by it
        merge.flush()  # here: nothing writes to it while the thread reads
        with _on_a_thread(lambda: self._store_merge(merge if whole else None), "store-merge"):
            yield
        self._union = False

    def _whole(self, merge: Merge | None) -> bool:
        """Whether ``merge`` holds the triples of every named graph and nothing else was loaded."""
        if merge is not None and not self.default_graph_is_empty():
            merge.complete = False  # some triple was loaded outside the named graphs: not every line was a quad
        return merge is not None and merge.complete

    def _store_merge(self, merge: Merge | None) -> None:
        """Bulk-load the merge into the default graph: from ``merge`` (whole), else from the store."""
        if merge is not None:
            with merge.reader() as triples:
                _bulk_load(self._store, triples, ox.RdfFormat.N_TRIPLES, ox.DefaultGraph())
        else:
            with tempfile.TemporaryFile() as merged:
                for graph in self._store.named_graphs():
                    self._store.dump(merged, ox.RdfFormat.N_TRIPLES, from_graph=graph)
                merged.seek(0)
                self._store.bulk_load(merged, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())

    def add_to_merge(self, graphs: list[str]) -> None:
        """Add the triples of ``graphs`` to the stored merge (an incremental build's new graphs)."""
        with tempfile.TemporaryFile() as merged:
            for graph in graphs:
                self._store.dump(merged, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            merged.seek(0)
            self._store.bulk_load(merged, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())

    @property
    def holds_merge(self) -> bool:
        """Whether the default graph is the stored merge of the named graphs."""
        return not self._union

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)

    def update(self, sparql: str) -> None:
        """A SPARQL update, in one transaction (the build's own changes, never a user's)."""
        self._store.update(sparql, prefixes=PREFIXES)

    def remove_graph(self, graph: str) -> None:
        self._store.remove_graph(ox.NamedNode(graph))

    def dump_graph(self, graph: str) -> bytes:
        """One named graph as canonical N-Triples, serialised by the store."""
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)) or b""

    def default_graph_is_empty(self) -> bool:
        return _default_graph_is_empty(self._store)

    def export(self, output: IO[bytes], format: ox.RdfFormat) -> None:
        if format.supports_datasets:  # the named graphs; a stored merge is left out, it repeats them
            quads = (q for q in self._store if self._union or not isinstance(q.graph_name, ox.DefaultGraph))
            ox.serialize(quads, output, format=format)
        elif not self._union:  # one graph: the store holds the merge already
            self._store.dump(output, format=format, from_graph=ox.DefaultGraph())
        else:  # the union of every graph, made here, each triple once
            ox.serialize(unique(ox.Triple(q.subject, q.predicate, q.object) for q in self._store), output, format=format)

    def named_graphs(self) -> list[str]:
        return sorted(node.value for node in self._store.named_graphs())

    def flush(self, optimize: bool = True) -> None:
        self._store.flush()
        if optimize:
            self._store.optimize()

    @contextlib.contextmanager
    def compacting(self) -> Iterator[None]:
        """Compact the store (``optimize``) on a thread of its own while the caller goes on reading
        it; leaving waits for the compaction (and raises its error, unless the caller's own is on
        its way). pyoxigraph lets go of the GIL while it compacts, and RocksDB reads while it
        compacts, so a cold build's last readings (hashes, manifest, landscape) take the other
        core: the compaction alone took 7 s of the build at 1.5 million triples. The caller must
        not write meanwhile."""
        self._store.flush()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compact")
        compaction = pool.submit(self._store.optimize)
        try:
            yield
        finally:  # the store must not close, nor its folder go, while it compacts
            pool.shutdown(wait=True)
        compaction.result()

    def quad_count(self) -> int:
        """The quads of every graph, the default graph's included (0.4 s at 1.5 million, where a
        SPARQL COUNT of the named graphs' took 1.1-1.9 s)."""
        return len(self._store)

    @property
    def union(self) -> bool:
        """Whether queries read Oxigraph's union as the default graph (False once it holds the merge)."""
        return self._union

    def checkpoint(self, path: Path) -> None:
        """A copy of the store as it is now at ``path`` (a folder that must not exist), made of links
        to its files where they share a file system (RocksDB's checkpoint, pyoxigraph's ``backup``):
        another process may open it read-only while this store is compacted."""
        self._store.backup(str(path))

    def close(self) -> None:
        """Drop the store so that its files are released (pyoxigraph closes on release), and
        its lease with it."""
        self._store = None  # type: ignore[assignment]  # closed for good: any later use fails loudly
        if self._release is not None:
            self._release()


class PublishedStore:
    """A read-only store that follows the published build, for a process that outlives builds
    (the server's own pages). Each call reads the link (one system call) and, when a build was
    published since, opens it; the older store is dropped, and its lease with it, once calls
    still running on it have ended."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self._lock = threading.Lock()
        self._held = self._open(read_link(store_path))  # (link as read, the store it names)

    def _open(self, link: str | None) -> tuple[str | None, OxigraphStore]:
        return link, OxigraphStore.open(self.store_path if link is None else self.store_path.parent / link)

    def current(self) -> OxigraphStore:
        link, store = self._held
        if read_link(self.store_path) == link:
            return store
        with self._lock:
            link = read_link(self.store_path)
            if link != self._held[0]:
                try:
                    self._held = self._open(link)
                except StoreMissing:  # the link is gone, or moved on again: keep the build held
                    pass
            return self._held[1]

    @property
    def folder(self) -> Path | None:
        """The build answering now: caches of what was read from the store key on it."""
        return self.current().folder

    def query(self, sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult:
        return self.current().query(sparql, substitutions)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        return self.current().quads(graph)

    def default_graph_is_empty(self) -> bool:
        return self.current().default_graph_is_empty()

    def export(self, output: IO[bytes], format: ox.RdfFormat) -> None:
        self.current().export(output, format)

    def named_graphs(self) -> list[str]:
        return self.current().named_graphs()


# ------------------------------------------------------------------ the default graph

UNION_MARKER = "alliances.union"  # in a build folder: served with updates, its default graph is no longer the merge


def _default_graph_is_empty(store: ox.Store) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None


def union_default_graph(store: ox.Store, folder: Path | None, writable: bool) -> bool:
    """Whether queries on an opened store need Oxigraph's union as their default graph (True), or
    read the merge of the named graphs that the build stored as the default graph (False). The one
    place that decides, for every reader: the server's workers, the explorer, the command line.

    Oxigraph's union returns a triple once per graph that states it (oxigraph/oxigraph#1919), which
    inflates every COUNT, so the build stores the merge (``materialise_union``) and marks the folder
    complete when it publishes it. A stored merge is only right while nothing changes the named
    graphs. A store opened for updates (``alliances serve --allow-update``, ``writable``) therefore
    always gets the union: the build's merge is dropped here, before any update, and the folder
    marked (UNION_MARKER) so that no later reader takes the default graph for the merge again. A
    triple an update inserts without GRAPH then lives in the store's own default graph, which is part
    of Oxigraph's union: default-graph queries see it, ``GRAPH ?g`` does not (no source states it).
    A store the build did not make gets the union too.
    """
    if folder is None or not (folder / COMPLETE_MARKER).exists() or (folder / UNION_MARKER).exists():
        return True  # not a build, or a build served with updates before
    if _default_graph_is_empty(store):
        return True
    if writable:
        store.clear_graph(ox.DefaultGraph())  # first: a crash before the marker leaves an empty default graph, read as no merge
        store.flush()
        _write_durably(folder / UNION_MARKER, b"served with updates: the default graph is not the merge of the named graphs\n")
    return writable


@contextlib.contextmanager
def _on_a_thread(work: Callable[[], None], name: str, then: Callable[[], None] = lambda: None) -> Iterator[list[BaseException]]:
    """``work`` (then ``then``) on a thread of its own while the block runs; joined when the block
    ends, and its error raised then in the caller's thread. The block gets the list that holds that
    error once the thread has failed (filled before ``then`` runs)."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:
            failed.append(error)
        finally:
            then()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield failed
    finally:
        thread.join()
    if failed:
        raise failed[0]


def _bulk_load(store: ox.Store, data: IO[bytes], format: ox.RdfFormat, to_graph: ox.DefaultGraph | None = None) -> None:
    """Bulk-load the rest of ``data``, a file of its own or a pipe. Where the system can open a
    descriptor anew (Linux's /proc/self/fd) the store reads it by path, without the GIL: through
    the file object, each 2 KiB that pyoxigraph reads waits for the GIL, which the build's Python
    work beside the load holds. Opened anew, a file starts at its beginning; the caller's file
    object is left where it is (macOS's /dev/fd would share its position: not used)."""
    path = reopened(data)
    if path is not None:
        store.bulk_load(path=path, format=format, to_graph=to_graph)
    else:
        store.bulk_load(data, format=format, to_graph=to_graph)


def reopened(data: IO[bytes]) -> str | None:
    """A path that opens ``data``'s file anew, from where ``data`` is (a pipe, or a file at its start); None if there is none."""
    path = Path(f"/proc/self/fd/{data.fileno()}")
    at_start = not data.seekable() or data.tell() == 0
    return str(path) if at_start and path.exists() else None


def unique(triples: Iterator[ox.Triple]) -> Iterator[ox.Triple]:
    """Each triple once, in the order first met (the union of graphs that state some triples twice)."""
    seen: set[ox.Triple] = set()
    for triple in triples:
        if triple not in seen:
            seen.add(triple)
            yield triple


# ------------------------------------------------------------------ atomic replacement on disk

COMPLETE_MARKER = "alliances.complete"  # in a build folder: written by publish, before the link swap


@dataclass
class Lease:
    """A shared lock on a build folder: while one is held, pruning leaves the folder alone."""

    folder: Path
    fd: int | None
    link: str | None = None  # the store link as read when the lease was taken

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def builds_dir(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".builds")


def read_link(store_path: Path) -> str | None:
    """Where the store link points, as written (one system call, cheap enough for every request
    of a long-running reader); None for a store that is no link."""
    try:
        return os.readlink(store_path)
    except OSError:
        return None


def lease_build(store_path: Path, attempts: int = 3) -> Lease:
    """Lock the build ``store_path`` points at for reading; raise StoreMissing if there is none.

    Pruning may remove an older build between reading the link and locking its folder (when two
    builds were published meanwhile): a removed folder has no links left, and the link is read
    again."""
    for _ in range(attempts):
        link = read_link(store_path)
        folder = Path(os.path.realpath(store_path if link is None else store_path.parent / link))
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            break
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a pruning that locked it first removes it
        if os.fstat(fd).st_nlink > 0:
            if (folder / "CURRENT").exists():
                return Lease(folder, fd, link)
            os.close(fd)
            break
        os.close(fd)
    raise StoreMissing(f"No built graph at {store_path}. Build it first: alliances build (or scripts/run)")


@contextlib.contextmanager
def _builds_locked(store_path: Path) -> Iterator[Path]:
    """Exclusive use of the builds folder, so that creating a build folder and taking its lease
    is one step for pruning, which runs under the same lock."""
    folder = builds_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        os.close(fd)


def new_build_dir(store_path: Path) -> Lease:
    """A fresh folder for the next build, next to the current one, leased to the caller until
    it publishes or discards it, so that a concurrent build's pruning leaves it alone."""
    with _builds_locked(store_path) as folder:
        numbers = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
        path = folder / str(max(numbers, default=0) + 1)
        path.mkdir()
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_SH)
        return Lease(path, fd)


def ensure_publishable(store_path: Path) -> None:
    """Refuse, before any work, a store path that a build did not make."""
    if store_path.exists() and not store_path.is_symlink():
        raise AllianceError(f"{store_path} exists and is not a link made by 'alliances build'; move it away and build again")


def publish(store_path: Path, build_path: Path, keep: int = 2) -> None:
    """Mark ``build_path`` complete, point ``store_path`` at it in one atomic rename, and prune."""
    ensure_publishable(store_path)
    _write_durably(build_path / COMPLETE_MARKER, b"published by alliances build\n")
    link = store_path.with_name(store_path.name + ".new-link")
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(build_path, store_path.parent), link)
    os.replace(link, store_path)
    prune(store_path, keep)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def prune(store_path: Path, keep: int = 2) -> list[Path]:
    """Remove build folders no one uses, beyond the current build and the newest ``keep - 1``
    other complete builds; return the folders removed.

    Unmarked folders (builds that failed, were killed or are running) never count as kept: each
    is removed unless a running build holds it. The current build is never removed, nor any
    folder a reader holds."""
    if not builds_dir(store_path).is_dir():
        return []
    with _builds_locked(store_path) as folder:
        current = os.path.realpath(store_path) if store_path.is_symlink() else None
        numbered = sorted((p for p in folder.iterdir() if p.name.isdigit() and p.is_dir()),
                          key=lambda p: int(p.name), reverse=True)
        complete = [p for p in numbered if os.path.realpath(p) == current or (p / COMPLETE_MARKER).exists()]
        older = [p for p in complete if os.path.realpath(p) != current]
        kept = [p for p in complete if p not in older] + older[: max(0, keep - 1)]
        doomed = [p for p in numbered if p not in complete] + [p for p in older if p not in kept]
        return [path for path in doomed if _remove_unless_used(path)]


def _remove_unless_used(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a running build or a reader holds it
            return False
        (path / COMPLETE_MARKER).unlink(missing_ok=True)  # first: a half-removed folder is never a good build
        shutil.rmtree(path, ignore_errors=True)
        return not path.exists()
    finally:
        os.close(fd)


def discard(build_path: Path) -> None:
    shutil.rmtree(build_path, ignore_errors=True)
