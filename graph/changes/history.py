"""When each source's facts about an entity entered the graph, from the manifests the store keeps
(graph.changes.manifest): for each source that states something about an alliance or an
organisation, the first kept build in which it did, and the last build in which what it states
changed. A fact already in the oldest kept manifest entered then or earlier; the page says so.

The index over all kept manifests is made once per set of manifest files (once per build), so an
entity page reads no manifest.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from graph.changes.manifest import build_id_of, kept_manifest_paths, read_manifest
from graph.errors import AllianceError


@dataclass(frozen=True)
class Entered:
    """The facts of one source about one entity: when they entered the graph and last changed."""

    source: str
    file: str | None
    build: str
    created: str
    at_oldest: bool  # in the oldest kept build already: entered then or earlier
    changed_build: str | None = None
    changed_created: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "file": self.file, "build": self.build, "created": self.created,
                "at_oldest": self.at_oldest, "changed_build": self.changed_build, "changed_created": self.changed_created}


def entity_history(store_path: Path, kind: str, ident: str, until: str | None = None) -> list[Entered]:
    """The history of the entity ``kind``/``ident`` (alliance or organisation), up to the build
    ``until`` (the one answering; the newest kept build by default), one entry per source it has there."""
    paths = kept_manifest_paths(store_path)
    if until is not None:
        paths = [p for p in paths if int(build_id_of(p)) <= int(until)] if until.isdigit() else paths
    key = tuple((str(p), *_version(p)) for p in paths)
    return _index(key).get((kind, ident), [])



def _version(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _index(key: tuple[tuple[Any, ...], ...]) -> dict[tuple[str, str], list[Entered]]:
    state: dict[tuple[str, str], dict[str, tuple[str, Entered]]] = {}  # entity -> source -> (hash, entry)
    oldest = True
    for path_text, *_ in key:
        try:
            manifest = read_manifest(Path(path_text))
        except AllianceError:
            continue
        build, created = str(manifest["build"]["id"]), str(manifest["build"]["created"])
        now: dict[tuple[str, str], dict[str, tuple[str, Entered]]] = {}
        for kind in ("alliance", "organisation"):
            for ident, entry in manifest[f"{kind}s"].items():
                before = state.get((kind, ident), {})
                sources: dict[str, tuple[str, Entered]] = {}
                for source, digest in entry["statements"].items():
                    file = manifest["sources"].get(source, {}).get("file")
                    if source not in before:
                        sources[source] = (digest, Entered(source, file, build, created, oldest))
                    elif before[source][0] != digest:
                        seen = before[source][1]
                        sources[source] = (digest, Entered(source, file, seen.build, seen.created, seen.at_oldest, build, created))
                    else:
                        sources[source] = before[source]
                now[(kind, ident)] = sources
        state, oldest = now, False
    return {entity: sorted((e for _, e in sources.values()), key=lambda e: (int(e.build), e.source))
            for entity, sources in state.items()}
