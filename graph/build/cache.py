"""The results of record files kept between builds, by content hash (graph.build.records).

The cache lives beside the store (``<store>.cache/``), outside the build folders, so it outlives
them; a build keeps only the entries of the files it compiled. An entry is one file: a line of
JSON (what the record declares and refers to, or its problems) and then its N-Quads as written.
JSON, not pickle: a cache someone else wrote must not be able to run code. An entry that cannot
be read is a miss, never an error: the file is compiled again.

Each build also leaves in its folder an index of the record files (``SourceIndex``), so that the
next one finds what changed without reading every file and every entry: see its docstring.
"""
from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from graph.build.records import FileResult, content_key
from graph.changes.manifest import file_hash
from graph.problems import Problem, Severity
from graph.rdf.files import write_atomic
from graph.records.emit import Reference

FORMAT = 1
Head = dict[str, Any]  # what a file declares, refers to and the problems it has, as JSON (an entry's first line)


def head_of(result: FileResult) -> Head:
    return {"format": FORMAT, "display": result.display, "declared": result.declared,
            "references": [[list(r.kinds), r.ident, r.file, r.line, r.field] for r in result.references],
            "problems": [[p.file, p.line, p.rule, p.message, p.fix, p.severity.value] for p in result.problems]}


def head_text(result: FileResult) -> str:
    """The head as the source index keeps it: the form ``_declared_alone`` reads without parsing
    the rest (json.dumps's separators and the key order of ``head_of``)."""
    return json.dumps(head_of(result), ensure_ascii=False)


def result_of(head: Head | str, nquads: bytes = b"") -> FileResult | None:
    """The result a head (or its JSON text) describes (with ``nquads``); None if it is not one this code wrote."""
    try:
        if isinstance(head, str):
            head = orjson.loads(head)
            if not isinstance(head, dict):
                return None
        if head.get("format") != FORMAT:
            return None
        return FileResult(
            head["display"], nquads, [tuple(d) for d in head["declared"]],
            [Reference(tuple(r[0]), r[1], r[2], r[3], r[4]) for r in head["references"]],
            [Problem(p[0], p[1], p[2], p[3], p[4], Severity(p[5])) for p in head["problems"]], cached=True)
    except (AttributeError, ValueError, KeyError, TypeError, IndexError):
        return None


def declared_in(head: str) -> list[tuple[str, str, str, int]] | None:
    """What a head's JSON text declares, without making its references (most of a head's cost:
    1.3 s for 7,197 files at a million triples); None if it is not one this code wrote."""
    try:
        declared = _declared_alone(head)
        if declared is None:
            data = orjson.loads(head)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                return None
            declared = data["declared"]
        return [(str(d[0]), str(d[1]), str(d[2]), int(d[3])) for d in declared]
    except (ValueError, KeyError, TypeError, IndexError):
        return None


# A head as the index keeps it (json.dumps of head_of, its default separators), in its key order.
HEAD_START = '{"format": %d, "display": ' % FORMAT
DECLARED_KEY, REFERENCES_KEY = ', "declared": ', ', "references": '


def _declared_alone(head: str) -> Any:
    """The ``declared`` value of a head in the index's form, parsed alone (its references, most of
    its text, are not: 0.04 s instead of 0.17-0.26 s for 7,197 heads at a million triples); None
    for any other text (``declared_in`` then parses it whole). A string value never holds a key's
    quotes unescaped, so the first of these keys and the next are the head's own."""
    if not head.startswith(HEAD_START):
        return None
    start = head.find(DECLARED_KEY)
    end = head.find(REFERENCES_KEY, start)
    if start < 0 or end < 0:
        return None
    try:
        return orjson.loads(head[start + len(DECLARED_KEY):end])
    except ValueError:
        return None


class RecordCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()
        self._made: set[Path] = set()  # the entry folders made by this build

    @classmethod
    def beside(cls, store_path: Path) -> RecordCache:
        return cls(store_path.parent / f"{store_path.name}.cache")

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.nq"

    def get(self, key: str, quads: bool = True) -> FileResult | None:
        """The entry of ``key``; without its N-Quads when ``quads`` is False (a file whose graph
        an incremental build keeps needs only what it declares and refers to)."""
        try:
            with self._path(key).open("rb") as entry:
                head = json.loads(entry.readline())
                nquads = entry.read() if quads else b""
        except (OSError, ValueError):
            return None
        result = result_of(head, nquads) if isinstance(head, dict) else None
        if result is not None:
            self.used.add(key)
        return result

    def keep(self, key: str) -> None:
        """Keep the entry of ``key`` past ``prune``: a file whose result came from elsewhere
        (SourceIndex), or whose entry a worker wrote (graph.build.records.compile_kept)."""
        self.used.add(key)

    def put(self, key: str, result: FileResult) -> bool:
        """Keep ``result`` as the entry of ``key``; whether it could be written. Its head is written
        by orjson (json.dumps took 1.5 s of the 7.7 s that 7,197 entries cost; ``get`` reads
        either), each folder made once by each process (several workers may make the same one)."""
        head = head_of(result)
        path = self._path(key)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # whole or absent: a killed build leaves no half entry
        try:
            if path.parent not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            partial.write_bytes(orjson.dumps(head) + b"\n" + result.nquads)
            os.replace(partial, path)
        except OSError:  # a cache that cannot be written (disk full, read-only) only makes the next build slower
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            return False
        self.used.add(key)
        return True

    def prune(self) -> None:
        """Drop the entries this build did not use (files changed or removed since)."""
        for path in self.folder.glob("*/*.nq"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)


INDEX_FILE = "alliances.sources.json"
INDEX_FORMAT = 2
# Timestamps of a file system other than the build folder's may be this much coarser (FAT: 2 s).
OTHER_DEVICE_MARGIN_NS = 2_000_000_000


def file_times(found: os.stat_result) -> tuple[int, int]:
    """A file's mtime and ctime, as its file system keeps them (ns; the tick may be coarser)."""
    return found.st_mtime_ns, found.st_ctime_ns


@dataclass(frozen=True)
class Seen:
    """One record file as a build saw it: its stat (None when it was "racily clean": hash it
    again), the record-cache key of its result, and the hash of its bytes (the manifest's)."""

    stat: tuple[int, ...] | None
    key: str
    hash: str


@dataclass
class SourceIndex:
    """What each record file was at a build, kept in the build folder (``INDEX_FILE``) for the next.

    The stat of each file (size, mtime, ctime, inode, device), its cache key and content hash,
    and the head of each result (what it declares and refers to). The next build hashes only the
    files whose stat differs, as git's index does, and takes the declarations of the files it
    keeps from here: one read, instead of reading every file and every cache entry.

    A write within the timestamp tick of the stat would leave the stat as it was ("racily clean",
    in git's words): a file whose mtime or ctime is not older than ``stamp``, the build folder's
    clock when the files were looked at, keeps no stat and is hashed again by the next build.
    The ctime, which no program can set back, makes a file rewritten with its old mtime and size
    (``touch -d``, some copy tools) look changed.
    """

    version: str  # graph.build.records.version: the keys are only good for it
    files: dict[str, Seen] = field(default_factory=dict)  # display path -> what it was
    # cache key -> head (head_of) as JSON text, of the files without problems: parsed only when a
    # check asks what a file declares (reading the index's 7,197 heads as objects took 2.9 s).
    heads: dict[str, str] = field(default_factory=dict)
    stamp: int = 0
    margin: int = 0

    def start(self, folder: Path, data: Path) -> None:
        """Take the file system's clock (a file written in ``folder``) before any file is looked
        at; where no file can be written there, every file counts as racy (hashed every time)."""
        probe = folder / f".stamp.{os.getpid()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            self.stamp = max(file_times(probe.stat()))
            self.margin = 0 if os.stat(data).st_dev == probe.stat().st_dev else OTHER_DEVICE_MARGIN_NS
        except OSError:
            self.stamp, self.margin = 0, 1 << 62  # every time is after "the stamp less the margin"
        finally:
            with contextlib.suppress(OSError):
                probe.unlink(missing_ok=True)

    def see(self, path: Path, display: str, previous: SourceIndex | None) -> Seen | None:
        """``path`` as it is now, from ``previous`` when its stat is the same; None for what is not
        a regular file (read_record reports it; it is never cached)."""
        try:
            found = os.lstat(path)
            if not stat.S_ISREG(found.st_mode):
                return None
            times = file_times(found)
            now = (found.st_size, *times, found.st_ino, found.st_dev)
            old = previous.files.get(display) if previous is not None and previous.version == self.version else None
            if old is not None and old.stat == now:
                seen = old
            else:
                data = path.read_bytes()
                racy = max(times) >= self.stamp - self.margin
                seen = Seen(None if racy else now, content_key(data, display, self.version), file_hash(data))
        except OSError:
            return None
        self.files[display] = seen
        return seen

    def write(self, folder: Path) -> None:
        data = {"format": INDEX_FORMAT, "version": self.version, "heads": self.heads,
                "files": {display: [list(seen.stat) if seen.stat else None, seen.key, seen.hash] for display, seen in self.files.items()}}
        write_atomic(folder / INDEX_FILE, orjson.dumps(data))  # the bytes json.dumps wrote (compact, UTF-8), in a fifth of the time

    @classmethod
    def read(cls, folder: Path) -> SourceIndex | None:
        """The index a build left in ``folder``; None when there is none or it cannot be read (the
        next build then hashes every file)."""
        try:
            data: Any = orjson.loads((folder / INDEX_FILE).read_bytes())
            if data.get("format") != INDEX_FORMAT:
                return None
            files = {str(display): Seen(tuple(int(n) for n in row[0]) if row[0] else None, str(row[1]), str(row[2]))
                     for display, row in data["files"].items()}
            return cls(str(data["version"]), files, dict(data["heads"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None
