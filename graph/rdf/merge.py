"""The merge of a store's named graphs as a cold build loads them (``Merge``): written beside the
loads, so that the build stores the merge as the default graph (graph.rdf.store.OxigraphStore.storing_merge)
and hashes each source's statements (graph.changes.manifest) without reading the store back."""
from __future__ import annotations

import os
import tempfile
from typing import IO


def triples_of(nquads: bytes) -> tuple[bytes, set[str]] | None:
    """pyoxigraph's N-Quads of named graphs as N-Triples (each line without its graph name), and
    the graphs they were in. None when a line is not a quad of a named IRI graph or holds a blank
    node (the store would name it anew).

    The graph name is the last term of each line and an IRI holds no space or newline, so one
    graph's lines (a record file's) all end with the same bytes, and ``bytes.replace`` cuts them at
    C speed (a regular expression took 1.9 s and a Python loop 0.8 s for 222,000 lines); lines of
    several graphs (the vocabulary's) are cut one by one."""
    if not nquads:
        return b"", set()
    if not nquads.endswith(b"> .\n") or b"_:" in nquads:
        return None
    start = nquads.rfind(b" <")
    suffix = nquads[start:]
    if nquads.count(suffix) == nquads.count(b"\n"):
        return nquads.replace(suffix, b" .\n"), {suffix[2:-4].decode()}
    out, graphs = [], set()
    for line in nquads.splitlines():
        start = line.rfind(b" <")
        if start < 0 or not line.endswith(b"> ."):
            return None
        out.append(line[:start] + b" .\n")
        graphs.add(line[start + 2:-3].decode())
    return b"".join(out), graphs


class Merge:
    """The triples of every named graph of a store that is being built, written as they are loaded,
    so that ``materialise_union`` stores their merge without reading the store back, and where
    each graph's triples are (``alone``), so that they can be read again (the statement hashes).

    ``complete`` turns False when some quads could not be written as triples (``triples_of``) or a
    triple was loaded into the default graph: the merge is then read from the store. Once the merge
    is stored, ``complete`` also says that every line added was a quad of a named graph. The caller
    closes it."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile()
        self.complete = True
        self.alone: dict[str, tuple[int, int]] = {}  # graph -> (offset, length) of its triples, when added in one piece
        self.split: set[str] = set()  # graphs added in several pieces, or with others
        self._unwritten = False  # whether the file holds buffered bytes

    def add_quads(self, nquads: bytes) -> None:
        """Quads loaded into their named graphs: their triples belong to the merge."""
        cut = triples_of(nquads) if self.complete else None
        if cut is None:
            self.complete = False
        else:
            self._add(cut[0], cut[1])

    def add_triples(self, triples: IO[bytes], graph: str) -> None:
        """N-Triples loaded into ``graph``, from the start of ``triples``."""
        if self.complete:
            triples.seek(0)
            self._add(triples.read(), {graph})

    def _add(self, triples: bytes, graphs: set[str]) -> None:
        offset = self.file.tell()
        self.file.write(triples)
        self._unwritten = True
        for graph in graphs:
            if len(graphs) > 1 or graph in self.alone:
                self.split.add(graph)
            else:
                self.alone[graph] = (offset, len(triples))

    def triples(self, graph: str) -> bytes | None:
        """The N-Triples of ``graph`` as added, if it was added in one piece of its own; else None."""
        if not self.complete or graph in self.split or graph not in self.alone:
            return None
        offset, length = self.alone[graph]
        self.flush()
        return os.pread(self.file.fileno(), length, offset)  # by position: the file's own is the reader's (storing_merge)

    def flush(self) -> None:
        """Write what is buffered (only then: a flush moves the file's position, which a reader may share)."""
        if self._unwritten:
            self.file.flush()
            self._unwritten = False

    def reader(self) -> IO[bytes]:
        """The triples from the start, for a bulk load, read through a file object of its own."""
        self.flush()
        triples = os.fdopen(os.dup(self.file.fileno()), "rb")
        triples.seek(0)
        return triples

    def close(self) -> None:
        self.file.close()
