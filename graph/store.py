"""The store behind one small interface (open, load, query, export), so that a remote SPARQL
endpoint can take the embedded Oxigraph store's place later.

On disk a built graph is a folder ``<store>.builds/<n>`` and ``<store>`` is a symbolic link to
the current one; a build writes a new folder and swaps the link with one atomic rename, so a
failed build never touches the graph that answers queries.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO, Protocol, Union
from collections.abc import Iterator

import pyoxigraph as ox

from graph.errors import AllianceError, StoreMissing
from graph.namespaces import PREFIXES

QueryResult = Union[ox.QuerySolutions, ox.QueryBoolean, ox.QueryTriples]


class GraphStore(Protocol):
    """What the rest of the package needs from a store."""

    def load(self, data: bytes | IO[bytes], format: ox.RdfFormat, graph: str | None = None) -> None: ...

    def query(self, sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult: ...

    def default_graph_is_empty(self) -> bool:
        if self._empty_default is None or not self._read_only:
            self._empty_default = next(iter(self._store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None
        return self._empty_default

    def export(self, output: IO[bytes], format: ox.RdfFormat) -> None: ...

    def named_graphs(self) -> list[str]: ...


class OxigraphStore:
    """The embedded store. Queries see the merge of all named graphs as their default graph,
    and the project's prefixes (graph.namespaces.PREFIXES) are predeclared."""

    def __init__(self, store: ox.Store, read_only: bool = False) -> None:
        self._store = store
        self._read_only = read_only
        self._empty_default: bool | None = None

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        return cls(ox.Store())

    @classmethod
    def create(cls, path: Path) -> OxigraphStore:
        return cls(ox.Store(str(path)))

    @classmethod
    def open(cls, path: Path) -> OxigraphStore:
        """Open a built graph read-only, so that several readers can share it."""
        target = path.resolve() if path.exists() else None
        if target is None or not (target / "CURRENT").exists():
            raise StoreMissing(f"No built graph at {path}. Build it first: alliances build (or scripts/run)")
        return cls(ox.Store.read_only(str(target)), read_only=True)

    def load(self, data: bytes | IO[bytes], format: ox.RdfFormat, graph: str | None = None) -> None:
        to_graph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        self._store.bulk_load(data, format=format, to_graph=to_graph)

    def query(self, sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult:
        subs = {ox.Variable(name): value for name, value in (substitutions or {}).items()}
        return self._store.query(sparql, use_default_graph_as_union=self.default_graph_is_empty(),
                                 substitutions=subs or None, prefixes=PREFIXES)

    def materialise_union(self) -> None:
        """Store the merge of all named graphs as the default graph, each triple once.

        Oxigraph's own union default graph returns a triple once per graph that states it
        (oxigraph/oxigraph#1919), which inflates every COUNT. A built store therefore carries the
        merge itself; queries fall back to Oxigraph's union only for stores without it.
        """
        self._store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)

    def default_graph_is_empty(self) -> bool:
        if self._empty_default is None or not self._read_only:
            self._empty_default = next(iter(self._store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None
        return self._empty_default

    def export(self, output: IO[bytes], format: ox.RdfFormat) -> None:
        named = (q for q in self._store if not isinstance(q.graph_name, ox.DefaultGraph))
        if format.supports_datasets:  # the named graphs; the default graph is only their merge
            ox.serialize(named, output, format=format)
        elif not self.default_graph_is_empty():  # one graph: a built store holds the merge already
            self._store.dump(output, format=format, from_graph=ox.DefaultGraph())
        else:  # a store without the merge: make it here
            ox.serialize(_unique(ox.Triple(q.subject, q.predicate, q.object) for q in named), output, format=format)

    def named_graphs(self) -> list[str]:
        return sorted(node.value for node in self._store.named_graphs())

    def flush(self) -> None:
        self._store.flush()
        self._store.optimize()

    def close(self) -> None:
        """Drop the store so that its files are released (pyoxigraph closes on release)."""
        self._store = None  # type: ignore[assignment]


def _unique(triples: Iterator[ox.Triple]) -> Iterator[ox.Triple]:
    seen: set[ox.Triple] = set()
    for triple in triples:
        if triple not in seen:
            seen.add(triple)
            yield triple


# ------------------------------------------------------------------ atomic replacement on disk

def builds_dir(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".builds")


def new_build_dir(store_path: Path) -> Path:
    """A fresh folder for the next build, next to the current one."""
    folder = builds_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
    path = folder / str(max(numbers, default=0) + 1)
    path.mkdir()
    return path


def ensure_publishable(store_path: Path) -> None:
    """Refuse, before any work, a store path that a build did not make."""
    if store_path.exists() and not store_path.is_symlink():
        raise AllianceError(f"{store_path} exists and is not a link made by 'alliances build'; move it away and build again")


def publish(store_path: Path, build_path: Path, keep: int = 2) -> None:
    """Point ``store_path`` at ``build_path`` in one atomic rename; keep the newest builds."""
    ensure_publishable(store_path)
    link = store_path.with_name(store_path.name + ".new-link")
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(build_path, store_path.parent), link)
    os.replace(link, store_path)
    current = build_path.resolve()
    old = sorted((p for p in builds_dir(store_path).iterdir() if p.name.isdigit() and p.resolve() != current),
                 key=lambda p: int(p.name))
    for path in old[: max(0, len(old) - (keep - 1))]:
        shutil.rmtree(path, ignore_errors=True)


def discard(build_path: Path) -> None:
    shutil.rmtree(build_path, ignore_errors=True)
