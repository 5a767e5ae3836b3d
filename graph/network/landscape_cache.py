"""The landscape of a published build, read from the store once and kept beside it as JSON.

A published build never changes (each build is a new folder that the store link swaps to), so what
``load_landscape`` reads from it is the same for every command on that build, and reading it is
most of a network command's time at scale (5-7 µs a row in Oxigraph; docs/benchmarks.md). The first
command on a build saves the landscape in the build's folder (pruned with it); later ones load it.

- Kept only where the store cannot change: an embedded store opened from a complete, published
  build whose default graph is the build's merge. Never for a build served with updates (its folder
  has ``UNION_MARKER``, checked at every load), a remote store or a store in memory. A store that
  follows the published build (``serve``'s PublishedStore) is read as the build answering now.
- Several readers at once (two requests of a server, a server and a command) may each read the
  store and write the file; each writes a temporary file and renames it, so a reader sees one whole
  file or none, never a mix.
- JSON (written by orjson, read by the standard library; no pickle: anyone who can write the folder can replace the file, and reading it must
  run no code). A header line names the format, the landscape code's version (a hash of
  landscape.py, this module, and the prefixes and concept keys they use: a change of the reading
  never reads an old cache), the build folder's name and a hash of its store files,
  the parts read, and the payload's length and SHA-256. A file that is truncated, corrupt, larger
  than ``MAX_BYTES``, or made for another build, version or parts is ignored and replaced; a cache
  that cannot be written (read-only folder, full disk) is skipped. Neither is the user's concern.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
import os
from functools import lru_cache
from pathlib import Path
from collections.abc import Collection
from typing import Any, Callable

import orjson

from graph.ask import resolve
from graph.errors import AllianceError
from graph.network import landscape as reading
from graph.network.landscape import Alliance, Landscape, Organisation, Part, Source, cycles_uncollected, load_landscape
from graph.rdf import namespaces
from graph.rdf.files import atomic_writer
from graph.rdf.store import COMPLETE_MARKER, UNION_MARKER, GraphStore, OxigraphStore, PublishedStore

FORMAT = "alliances-landscape/2"  # 2: one row a line (a build patches rows: graph.build.landscape_kept)
MAX_BYTES = 512 * 1024 * 1024  # 53.5 MB at 15,000 organisations with every part read (docs/benchmarks.md)
PREFIX = "alliances.landscape-"


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the code that reads and keeps landscapes: any change to it makes old caches foreign."""
    digest = hashlib.sha256(FORMAT.encode())
    for module in (reading.__file__, __file__, namespaces.__file__, resolve.__file__):  # resolve: concept keys
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


def answering(store: GraphStore | PublishedStore) -> GraphStore:
    """The store to read a landscape from: for one that follows the published build, the build
    answering now, taken once, so that the landscape and the folder it is kept in are one build's."""
    return store.current() if isinstance(store, PublishedStore) else store


def cache_folder(store: GraphStore) -> Path | None:
    """The build folder whose landscape may be kept, or None where the store can change or is not a build."""
    if not isinstance(store, OxigraphStore) or store.folder is None or not store.holds_merge:
        return None
    folder = store.folder
    if not (folder / COMPLETE_MARKER).exists() or (folder / UNION_MARKER).exists():
        return None
    return folder


def cache_file(folder: Path, parts: frozenset[Part]) -> Path:
    return folder / f"{PREFIX}{'-'.join(sorted(parts)) or 'base'}.json"


@cycles_uncollected()
def landscape_of(store: GraphStore | PublishedStore, parts: frozenset[Part] = reading.PARTS) -> Landscape:
    """``load_landscape(store, parts)``, from the build's cache when it has a valid one (else read and kept)."""
    store = answering(store)
    folder = cache_folder(store)
    if folder is None:
        return load_landscape(store, parts)
    path = cache_file(folder, parts)
    try:
        header = header_of(folder, parts)
    except OSError:  # the folder's files could not be listed: read the store
        return load_landscape(store, parts)
    kept = _read(path, header)
    if kept is not None:
        return kept
    landscape = load_landscape(store, parts)
    _write(path, header, landscape)
    return landscape


def header_of(folder: Path, parts: frozenset[Part]) -> dict[str, Any]:
    """What a kept landscape's first line must state to be this build's, for ``parts``."""
    return {"format": FORMAT, "version": code_version(), "build": folder.name, "store": store_files(folder),
            "parts": sorted(parts)}


def store_files(folder: Path) -> str:
    """A hash of the store's own files in the build folder (RocksDB's CURRENT, manifests, tables and
    logs, by name and size; a read-only open writes none of them): a store changed in place after
    its landscape was kept (a copied build edited, a backup restored into the folder) no longer
    matches, where the folder's name alone would."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.suffix in (".sst", ".log") or path.name.startswith("MANIFEST-") or path.name == "CURRENT":
            digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
    digest.update((folder / "CURRENT").read_bytes())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------ encoding

def _converter(annotation: str) -> Callable[[Any], Any] | None:
    """How a field's JSON value becomes its Python value again, from its annotation (sets and tuples
    are JSON lists); None when JSON gives it as it is."""
    if annotation.startswith("set["):
        return set
    if annotation.startswith("list[tuple["):
        return lambda rows: [tuple(row) for row in rows]
    return None


def _layout(cls: type) -> tuple[list[str], list[tuple[int, Callable[[Any], Any]]]]:
    fields = [f for f in dataclasses.fields(cls) if f.init]
    converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(str(f.type))) is not None]
    return [f.name for f in fields], converters


LAYOUTS: dict[type, tuple[list[str], list[tuple[int, Callable[[Any], Any]]]]] = {
    cls: _layout(cls) for cls in (Alliance, Organisation, Source)}
# How a row is taken from an object: its fields in one C call, and which of them are sets (written
# sorted), both from the layout once, not a getattr a field and an isinstance a converted field each
# row: the 134,000 rows of the three kept landscapes of 35,000 alliances in 0.62 s against 0.81 s.
GETTERS: dict[type, tuple[Callable[[Any], tuple[Any, ...]], tuple[int, ...]]] = {
    cls: (operator.attrgetter(*names), tuple(i for i, convert in converters if convert is set))
    for cls, (names, converters) in LAYOUTS.items()}


def _row(item: Any) -> list[Any]:
    fields, sets = GETTERS[type(item)]
    row = list(fields(item))
    for i in sets:
        row[i] = sorted(row[i])
    return row


def _objects(cls: type, rows: list[list[Any]]) -> list[Any]:
    names, converters = LAYOUTS[cls]
    made = []
    for row in rows:
        if len(row) != len(names):
            raise ValueError("a row of another layout")
        for i, convert in converters:
            row[i] = convert(row[i])
        made.append(cls(*row))
    return made


SECTIONS = ("sources", "organisations", "alliances")
LABELS = b'{"concept_labels":'


def encode(landscape: Landscape) -> bytes:
    """The landscape as one JSON object, each source, organisation and alliance a row on a line of
    its own (a row starts with its key: id or IRI), so that a build can replace a few rows of the
    previous build's landscape without parsing the rest (graph.build.landscape_kept)."""
    return assemble(_dumps(landscape.concept_labels), sections_of(landscape))


def sections_of(landscape: Landscape) -> dict[str, list[bytes]]:
    """Each section's rows as ``encode`` writes them, one JSON array each, in the landscape's order."""
    items: dict[str, Collection[Any]] = {"sources": landscape.sources.values(), "organisations": landscape.organisations.values(),
                                         "alliances": landscape.alliances.values()}
    return {name: [_dumps(_row(item)) for item in items[name]] for name in SECTIONS}


def labels_of(landscape: Landscape) -> bytes:
    return _dumps(landscape.concept_labels)


def _dumps(value: Any) -> bytes:
    try:  # orjson: the same bytes as json, in a tenth of the time (0.08 s against 0.7 s for 15,000 organisations)
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # an integer over 64 bits: the standard library writes it
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def assemble(labels: bytes, sections: dict[str, list[bytes]]) -> bytes:
    """The payload of ``encode`` from its parts: the concept labels' JSON and each section's rows."""
    out = [LABELS + labels + b","]
    for name in SECTIONS:
        out.append(f'"{name}":['.encode())
        if sections[name]:
            out.append(b",\n".join(sections[name]))
        out.append(b"]," if name != SECTIONS[-1] else b"]}")
    return b"\n".join(out)


def section_bounds(payload: bytes) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """The concept labels' JSON of a payload made by ``assemble``, and where each section's rows
    are: from the first row's first byte to the last row's last (equal offsets: no row). A row
    holds no newline (JSON writes one in a string as an escape) and starts with '[', so the first
    newline followed by ']' after a section's opening closes it."""
    first = payload.find(b"\n")
    if not payload.startswith(LABELS) or first < 1 or payload[first - 1:first] != b",":
        raise ValueError("not a payload of one row a line")
    bounds: dict[str, tuple[int, int]] = {}
    at = first + 1
    for name in SECTIONS:
        opening, closing = f'"{name}":[\n'.encode(), b"]," if name != SECTIONS[-1] else b"]}"
        if not payload.startswith(opening, at):
            raise ValueError(f"no {name} section")
        start = end = at + len(opening)
        if not payload.startswith(b"]", start):
            end = payload.index(b"\n]", start)
            at = end + 1
        else:
            at = start
        if not payload.startswith(closing, at):
            raise ValueError(f"the {name} section is not closed")
        at += len(closing) + (name != SECTIONS[-1])
        bounds[name] = (start, end)
    if at != len(payload):
        raise ValueError("bytes after the last section")
    return payload[len(LABELS):first - 1], bounds


def decode(payload: bytes, parts: frozenset[Part]) -> Landscape:
    data = json.loads(payload)  # orjson parsed the 53.5 MB of 15,000 organisations no faster here (0.4-0.5 s each)
    sources = _objects(Source, data["sources"])
    organisations = _objects(Organisation, data["organisations"])
    alliances = _objects(Alliance, data["alliances"])
    labels = data["concept_labels"]
    if not isinstance(labels, dict):
        raise ValueError("concept labels are no object")
    return Landscape({a.iri: a for a in alliances}, {o.iri: o for o in organisations}, labels,
                     {s.id: s for s in sources}, parts)


# ------------------------------------------------------------------ the file

def _read(path: Path, header: dict[str, Any]) -> Landscape | None:
    """The kept landscape, or None for a missing, oversized, corrupt, truncated or foreign file."""
    payload = kept_payload(path, header)
    if payload is None:
        return None
    try:
        return decode(payload, frozenset(header["parts"]))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return None  # json's errors are ValueErrors; a wrong shape fails in the dataclasses


def kept_payload(path: Path, header: dict[str, Any]) -> bytes | None:
    """The payload of a kept landscape whose header is ``header`` and whose length and SHA-256 are
    the stated ones; None for a missing, oversized, truncated or foreign file."""
    try:
        with open(path, "rb") as stream:
            if os.fstat(stream.fileno()).st_size > MAX_BYTES:
                return None
            content = stream.read(MAX_BYTES + 1)
        first, _, payload = content.partition(b"\n")
        stated = json.loads(first)
        if not isinstance(stated, dict) or {k: stated.get(k) for k in header} != header:
            return None
        if stated.get("bytes") != len(payload) or stated.get("sha256") != hashlib.sha256(payload).hexdigest():
            return None
        return payload
    except (OSError, ValueError, RecursionError):
        return None


def _write(path: Path, header: dict[str, Any], landscape: Landscape) -> None:
    write_payload(path, header, encode(landscape))


def write_payload(path: Path, header: dict[str, Any], payload: bytes | list[bytes | memoryview]) -> None:
    """Keep a landscape's payload (or its pieces, written one after the other: a patched payload is
    mostly views of the previous one, graph.build.landscape_kept), whole or not at all (a temporary
    file renamed), if it fits ``MAX_BYTES``."""
    pieces = [payload] if isinstance(payload, bytes) else payload
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    size = sum(len(piece) for piece in pieces)
    stated = json.dumps({**header, "bytes": size, "sha256": digest.hexdigest()}).encode()
    try:
        if len(stated) + 1 + size > MAX_BYTES:
            path.unlink(missing_ok=True)
            return
        with atomic_writer(path) as stream:
            stream.write(stated + b"\n")
            for piece in pieces:
                stream.write(piece)
    except (OSError, ValueError, AllianceError):  # a read-only folder or a full disk: the next command reads the store again
        return
