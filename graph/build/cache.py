"""The results of record files kept between builds, by content hash (graph.build.records).

The cache lives beside the store (``<store>.cache/``), outside the build folders, so it outlives
them; a build keeps only the entries of the files it compiled. An entry is one file: a line of
JSON (what the record declares and refers to, or its problems) and then its N-Quads as written.
JSON, not pickle: a cache someone else wrote must not be able to run code. An entry that cannot
be read is a miss, never an error: the file is compiled again.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from graph.build.records import FileResult
from graph.problems import Problem, Severity
from graph.records.emit import Reference

FORMAT = 1


class RecordCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()

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
            if head.get("format") != FORMAT:
                return None
            result = FileResult(
                head["display"], nquads, [tuple(d) for d in head["declared"]],
                [Reference(tuple(r[0]), r[1], r[2], r[3], r[4]) for r in head["references"]],
                [Problem(p[0], p[1], p[2], p[3], p[4], Severity(p[5])) for p in head["problems"]], cached=True)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        self.used.add(key)
        return result

    def put(self, key: str, result: FileResult) -> None:
        head = {"format": FORMAT, "display": result.display, "declared": result.declared,
                "references": [[list(r.kinds), r.ident, r.file, r.line, r.field] for r in result.references],
                "problems": [[p.file, p.line, p.rule, p.message, p.fix, p.severity.value] for p in result.problems]}
        path = self._path(key)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # whole or absent: a killed build leaves no half entry
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(json.dumps(head, ensure_ascii=False).encode() + b"\n" + result.nquads)
            os.replace(partial, path)
        except OSError:  # a cache that cannot be written (disk full, read-only) only makes the next build slower
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            return
        self.used.add(key)

    def prune(self) -> None:
        """Drop the entries this build did not use (files changed or removed since)."""
        for path in self.folder.glob("*/*.nq"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)
