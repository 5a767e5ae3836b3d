"""Compile ``data/`` and ``ontology/`` into a store: records stream in one file at a time.

``build`` writes a new on-disk store, validates it and only then makes it the current graph;
``check`` runs the same compilation into a throw-away in-memory store (``alliances validate``).
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from graph.config import Settings
from graph.build.derive import derive
from graph.build.landscape_kept import LandscapeKeeper
from graph.network.landscape import cycles_uncollected
from graph.build.incremental import (State, Untrusted, changed_quads, copy_store, drop_graphs, graph_version, loaded_graphs,
                                     nodes_of, subjects_of, too_many_changed, touched_nodes, trusted_previous, types_of)
from graph.changes.manifest import (Manifest, archive_manifest, claims_about, entities_of, make_manifest, patch_manifest,
                                    statement_digests, write_manifest)
from graph.errors import InvalidData
from graph.problems import Problem, Severity, has_violations
from graph.rdf.batches import bound_to, chunks
from graph.rdf.location import RemoteEndpoint
from graph.build.cache import INDEX_FILE, RecordCache, Seen, SourceIndex, declared_in, head_text, result_of
from graph.progress import Progress
from graph.build.records import FileResult, Keeping, compile_files, in_order, started, version
from graph.records import record_files
from graph.records.emit import Reference
from graph.rdf.query_forms import select
from graph.rdf.merge import Merge
from graph.rdf.store import GraphStore, OxigraphStore, discard, ensure_publishable, new_build_dir, publish
from graph.records.taxonomy import Taxonomy, load_taxonomy, taxonomy_files
from graph.validate import check_graph
from graph.validate.integrity import Scope, early_problems


@dataclass
class Compiled:
    """What the records declared and referred to, for the checks that span files."""

    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    whole: bool = True  # every record of the data folder, not a chosen few (cross-file checks need all)
    keys: dict[str, str] = field(default_factory=dict)  # source id -> record-cache key (graph.build.records.file_key)
    loaded: list[str] = field(default_factory=list)  # the source ids whose N-Quads were loaded
    hashes: dict[str, str] = field(default_factory=dict)  # source id -> hash of its file's bytes (the manifest's)
    index: SourceIndex | None = None  # the record files as this build saw them, for the next one
    paths: list[Path] = field(default_factory=list)  # the record files compiled
    # What each file without problems declares and refers to, in file order: its result, or the
    # head the previous build's index kept for it, decoded only if asked (a build with nothing
    # changed never asks: 2.5 s for 7,197 files).
    parts: list[FileResult | str] = field(default_factory=list)
    # The (kind, id) declarations of the previous build that this one may lack (an incremental
    # build's: what its changed and removed files declared before); None when not known.
    gone: frozenset[tuple[str, str]] | None = None

    @cached_property
    def declared(self) -> list[tuple[str, str, str, int]]:
        declared: list[tuple[str, str, str, int]] = []
        for part in self.parts:
            found = part.declared if isinstance(part, FileResult) else declared_in(part)
            if found is None:  # an index this code did not write: the build starts again, cold
                raise Untrusted("the earlier build's index of record files cannot be read")
            declared += found
        return declared

    @cached_property
    def references(self) -> list[Reference]:
        return [reference for part in self._results for reference in part.references]

    @cached_property
    def unsettled_references(self) -> list[Reference]:
        """The references whose target may be missing: every one, or, when ``gone`` is known (the
        previous build, published, had every reference resolved), those of the files compiled now
        and those of the kept files that name a gone id (a kept head is searched as text, its
        references made only then)."""
        if self.gone is None:
            return self.references
        names = {json.dumps(ident, ensure_ascii=False) for _, ident in self.gone}
        references: list[Reference] = []
        for part in self.parts:
            if isinstance(part, FileResult):
                references += part.references
            elif any(name in part for name in names):
                result = result_of(part)
                if result is None:
                    raise Untrusted("the earlier build's index of record files cannot be read")
                references += result.references
        return references

    @cached_property
    def _results(self) -> list[FileResult]:
        """Each part as a result, each head parsed once."""
        results = [part if isinstance(part, FileResult) else result_of(part) for part in self.parts]
        if None in results:  # an index this code did not write: the build starts again, cold
            raise Untrusted("the earlier build's index of record files cannot be read")
        return [result for result in results if result is not None]


def gone_declarations(previous: SourceIndex, compiled: Compiled, problems: list[Problem]) -> frozenset[tuple[str, str]] | None:
    """What the previous build's changed and removed files declared that no file declares now:
    the only targets a kept file's reference can have lost (Compiled.gone). None when the previous
    build had an unresolved reference (then every reference is checked) or its index is not this code's."""
    if compiled.index is None or any(p.rule == "reference-resolves" for p in problems):
        return None
    before: set[tuple[str, str]] = set()
    for key, head in previous.heads.items():
        if key not in compiled.index.heads:  # a file changed or removed since
            found = declared_in(head)
            if found is None:
                return None
            before |= {(kind, ident) for kind, ident, _, _ in found}
    return frozenset(before - {(kind, ident) for kind, ident, _, _ in compiled.declared})


@dataclass
class BuildSummary:
    """Printed after a build; also returned to Python callers."""

    store: str
    files: int
    graphs: int
    triples: int
    counts: dict[str, int]
    warnings: list[Problem]  # warnings and notes: everything short of a violation
    seconds: float

    def text(self) -> str:
        lines = [f"Built {self.store} from {self.files} record files in {self.seconds:.1f} s:",
                 f"  {self.triples} triples in {self.graphs} named graphs"]
        lines += [f"  {count:>5} {name}" for name, count in self.counts.items()]
        warnings = sum(1 for p in self.warnings if p.severity is Severity.WARNING)
        notes = len(self.warnings) - warnings
        if self.warnings:
            lines.append(f"  {warnings} warning(s) and {notes} note(s); see: alliances validate --all")
        return "\n".join(lines)


def vocabulary_nquads(settings: Settings) -> bytes:
    """The ontology and the taxonomies, each in a graph of its own, as N-Quads: they go into the
    records' stream, because every bulk load into an on-disk store has a fixed cost (about a
    second for the dozen small files, loaded one by one)."""
    sources = [(settings.ontology_dir / "alliance.ttl", "ontology")] + [(path, "taxonomies") for path in taxonomy_files(settings.ontology_dir)]
    out = b""
    for path, name in sources:
        graph = ox.NamedNode(settings.graph_iri(name))
        quads = (ox.Quad(q.subject, q.predicate, q.object, graph) for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        out += ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    return out


def compile_records(store: OxigraphStore, settings: Settings, taxonomy: Taxonomy, files: list[Path] | None = None,
                    cache: RecordCache | None = None, progress: Progress | None = None, preamble: bytes = b"",
                    present: dict[str, str] | None = None,
                    load: Callable[[IO[bytes], list[Path]], None] | None = None, previous: SourceIndex | None = None,
                    merge: Merge | None = None) -> Compiled:
    """Compile every record (graph.build.records: on every core, from ``cache`` where a file is
    unchanged), write the N-Quads to one stream in file order after ``preamble``, and bulk-load
    that stream (or hand it and the files to ``load``).

    ``present`` (an incremental build's) maps the source ids whose graphs the store holds already
    to the cache key they were loaded from: such a file, still with that key, is neither compiled
    (its declarations come from ``previous``, the previous build's index, or the cache) nor loaded
    again. With ``cache``, a file is hashed only if its stat differs from ``previous``'s.

    A file that fails its own checks is left out, its problems are kept and shown at once, and
    nothing is loaded: the build will fail, but every file is still checked.

    With ``merge``, the triples of what is loaded are written to it too (a cold build's stored
    merge, ``OxigraphStore.materialise_union``).
    """
    progress = progress or Progress(enabled=False)
    present = present or {}
    compiled = Compiled(whole=files is None)
    paths = compiled.paths = files if files is not None else record_files(settings.data_dir)
    keys: dict[int, str] = {}
    known: dict[int, FileResult] = {}
    kept: set[int] = set()
    heads: dict[int, str] = {}  # from the previous index
    code_version = version(settings) if cache is not None else ""
    if cache is not None:
        compiled.index = SourceIndex(code_version)
        compiled.index.start(cache.folder, settings.data_dir)
        for index, (path, display) in enumerate(zip(paths, displays(settings, paths))):
            seen = compiled.index.see(path, display, previous)
            if seen is None:
                continue
            key = keys[index] = compiled.keys[path.stem] = seen.key
            compiled.hashes[path.stem] = seen.hash
            in_store = present.get(path.stem) == key
            head = previous.heads.get(key) if in_store and previous is not None else None
            hit: FileResult | None
            if head is not None:
                heads[index] = head
                hit = FileResult(display, cached=True)  # what it declares stays in the head until asked
                cache.keep(key)
            else:
                hit = cache.get(key, quads=not in_store)
            if hit is not None:
                known[index] = hit
                if in_store:
                    kept.add(index)
    todo = [index for index in range(len(paths)) if index not in known]
    # Whoever compiles a file writes its entry, only if it compiled the bytes hashed here (compile_kept).
    keeping = Keeping(code_version, cache.put) if cache is not None else None
    compiling = compile_files([paths[index] for index in todo], settings, taxonomy, keys=[keys.get(index) for index in todo], keeping=keeping)
    # A cold build bulk-loads while its records compile (the pool's workers forked before the
    # load's thread and pipe exist); an incremental build hands a file of them to ``load``.
    with contextlib.ExitStack() as opened:
        fresh = started(opened.enter_context(contextlib.closing(compiling)))  # closed however the block ends: the pool stops
        stream = opened.enter_context(tempfile.TemporaryFile() if load is not None else store.loading(ox.RdfFormat.N_QUADS))
        stream.write(preamble)
        if merge is not None:
            merge.add_quads(preamble)
        results = in_order(paths, known, fresh)
        for index, (path, result) in enumerate(results):
            compiled.files += 1
            progress.count("records", compiled.files, len(paths))
            if cache is not None and result.kept:
                cache.keep(keys[index])
            if result.compiled_as is not None and compiled.index is not None:  # edited while the build ran
                key, digest = result.compiled_as
                keys[index] = compiled.keys[path.stem] = key
                compiled.hashes[path.stem] = digest
                compiled.index.files[result.display] = Seen(None, key, digest)  # no stat: hashed again next time
            if compiled.index is not None and index in keys:
                if index in heads or not result.problems:
                    compiled.index.heads[keys[index]] = heads[index] if index in heads else head_text(result)
            if result.problems:
                compiled.problems.extend(result.problems)
                progress.problems(result.problems)
                continue
            compiled.parts.append(heads[index] if index in heads else result)
            if index in kept or present.get(path.stem) == keys.get(index, ""):
                continue  # its graph is in the store already
            compiled.loaded.append(path.stem)
            if not compiled.problems:
                stream.write(result.nquads)
                if merge is not None:
                    merge.add_quads(result.nquads)
        if not compiled.problems:
            progress.stage("loading")
            if load is not None:
                stream.seek(0)
                load(stream, paths)
    return compiled  # loaded: leaving the block waited for the bulk load to end


def compile_all(store: OxigraphStore, settings: Settings, files: list[Path] | None = None,
                cache: RecordCache | None = None, progress: Progress | None = None,
                update: Update | None = None, merge: Merge | None = None) -> tuple[Compiled, list[Problem]]:
    """Load vocabulary and records, derive, and check; return what was found. With ``update``,
    ``store`` is a copy of the previous build and only what changed is loaded (graph.build.incremental).
    With ``merge`` (a cold build's), the triples of every graph loaded are written to it too."""
    progress = progress or Progress(enabled=False)
    taxonomy = load_taxonomy(settings.ontology_dir)
    if update is None:
        compiled = compile_records(store, settings, taxonomy, files, cache, progress, vocabulary_nquads(settings), merge=merge)
    else:
        compiled = compile_records(store, settings, taxonomy, files, cache, progress, present=update.present,
                                   load=lambda stream, paths: update.replace_sources(store, settings, stream, paths),
                                   previous=update.index)
    if compiled.problems:  # fix each file first: cross-file checks would only repeat the noise
        return compiled, sorted(compiled.problems)
    if update is not None and not update.changed:  # the previous graph, with its problems
        return compiled, sorted(update.previous.problems)
    if update is not None and update.index is not None:
        compiled.gone = gone_declarations(update.index, compiled, update.previous.problems)
    early = early_problems(taxonomy, compiled)
    progress.problems(early)
    progress.stage("deriving")
    difference = derive(store, settings, None if update is None else update.quads, progress.note, merge=merge)
    if update is not None:
        update.derived = difference.triples
        update.growth += difference.growth
    progress.stage("checking")
    scope = None if update is None else update.scope(store, settings)
    return compiled, sorted(check_graph(store, settings, taxonomy, compiled, progress.problems, scope, early))


@dataclass
class Update:
    """An incremental build's view of the previous build (graph.build.incremental)."""

    previous: State
    present: dict[str, str] = field(default_factory=dict)  # source id -> key its graph was loaded with
    about_before: dict[str, frozenset[str]] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)  # source ids dropped or loaded again
    touched: set[str] = field(default_factory=set)  # IRIs the changed graphs, old and new, are about or point at
    quads: set[ox.Quad] = field(default_factory=set)  # the source quads added or removed (graph.build.incremental.changed_quads)
    growth: int = 0  # how many more quads the named graphs hold than in the previous build
    derived: bytes = b""  # the derived triples added or removed, as N-Triples (graph.build.derive)
    types_before: dict[str, set[str]] = field(default_factory=dict)  # of the touched IRIs
    index: SourceIndex | None = None  # the previous build's record files (graph.build.cache.SourceIndex)
    manifest: Manifest | None = None  # the previous build's manifest
    folder: Path | None = None  # the previous build's
    derived_touched: set[str] = field(default_factory=set)  # IRIs of the derived triples that changed
    about_after: dict[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.present = dict(self.previous.sources)

    def replace_sources(self, store: OxigraphStore, settings: Settings, stream: IO[bytes], paths: list[Path]) -> None:
        """Drop the graphs of changed and removed sources, then load the changed files' N-Quads
        (``stream``; ``paths`` are the record files now) and add them to the stored merge; the
        derived graph is changed later, by its difference."""
        data = stream.read()
        loaded = loaded_graphs(data)
        if loaded is None:
            raise Untrusted("a record's quads are outside every named graph")
        current = {path.stem for path in paths}
        prefix = settings.entity_iri("source", "")
        self.changed = sorted({source for source in self.present if source not in current}
                              | {graph.removeprefix(prefix) for graph in loaded})
        if not self.changed:
            return
        if why := too_many_changed(len(self.changed), len(current | self.present.keys())):
            raise Untrusted(why)
        self.about_before = claims_about(store, settings)
        graphs = [settings.entity_iri("source", source) for source in self.changed]
        self.touched = touched_nodes(store, graphs) | nodes_of(data, ox.RdfFormat.N_QUADS)[0]
        self.types_before = types_of(store, self.touched)
        self.quads, self.growth = changed_quads(store, graphs, data)
        held = set(store.named_graphs())
        drop_graphs(store, [graph for graph in graphs if graph in held])
        if data:
            store.load(data, ox.RdfFormat.N_QUADS)
        store.add_to_merge([graph for graph in graphs if graph in loaded])

    def scope(self, store: OxigraphStore, settings: Settings) -> Scope:
        """What the change reaches, for the checks (graph.validate.integrity.Scope): once derived,
        the nodes of the derived triples that changed are touched too, and a node whose types
        changed is retyped."""
        derived, typed = nodes_of(self.derived, ox.RdfFormat.N_TRIPLES)
        self.derived_touched = derived
        after = types_of(store, self.touched)
        retyped = typed | {iri for iri in self.touched if after.get(iri) != self.types_before.get(iri)}
        described = subjects_of(self.quads) | subjects_of(ox.parse(self.derived, format=ox.RdfFormat.N_TRIPLES))
        return Scope(frozenset(self.touched | derived), self.previous.problems, frozenset(retyped), frozenset(described))

    def digests(self, store: OxigraphStore, settings: Settings) -> dict[str, dict[str, str]]:
        """The statement hashes of every source: the previous build's where neither the source
        nor what its claims are about changed, computed again for the others."""
        prefix = settings.entity_iri("source", "")
        sources = {g.removeprefix(prefix) for g in store.named_graphs() if g.startswith(prefix)}
        if not self.changed:
            return dict(self.previous.digests)
        about = self.about_after = claims_about(store, settings)
        moved = [claim for claim in set(about) | set(self.about_before) if about.get(claim) != self.about_before.get(claim)]
        again = set(self.changed) | (sources - set(self.previous.digests))
        for batch in chunks(sorted(moved), 500):
            rows = select(store, "SELECT DISTINCT ?g WHERE { %s GRAPH ?g { ?c ?p ?o } }" % bound_to("?c", batch))
            again |= {row["g"].value.removeprefix(prefix) for row in rows}
        kept = {source: self.previous.digests[source] for source in sources - again}
        return {**kept, **statement_digests(store, settings, sorted(again & sources), about)}

    def make_manifest(self, store: OxigraphStore, settings: Settings, build_id: str, digests: dict[str, dict[str, str]],
                      hashes: dict[str, str], paths: list[Path]) -> Manifest:
        """The previous manifest patched for the entities the change reached: those the changed
        graphs (before and after) and the changed derived triples are about or point at, and
        those whose statement hashes changed."""
        if self.manifest is None:
            return make_manifest(store, settings, build_id, digests, hashes, paths)
        reached: set[str] = set()
        for node in self.touched | self.derived_touched:
            reached |= entities_of(node, settings.base, self.about_before) | entities_of(node, settings.base, self.about_after)
        for source in set(digests) | set(self.previous.digests):
            before, after = self.previous.digests.get(source, {}), digests.get(source, {})
            if before != after:
                reached |= {entity for entity in before.keys() | after.keys() if before.get(entity) != after.get(entity)}
        return patch_manifest(self.manifest, store, settings, build_id, digests, reached, hashes, paths)


def displays(settings: Settings, paths: list[Path]) -> list[str]:
    """``settings.display`` of each path, resolving each folder once (all record files share one:
    resolving each path took 3 s for 7,197 files on a loaded machine). A path is shown as its
    folder is, followed by its name."""
    folders: dict[Path, str] = {}
    shown = []
    for path in paths:
        if path.parent not in folders:
            folders[path.parent] = settings.display(path).removesuffix(path.name)
        shown.append(folders[path.parent] + path.name)
    return shown


def free_cycles_here() -> None:
    """Free the caller's cyclic garbage on the caller's thread, before a build starts its threads.

    Python's cycle collector runs on whichever thread happens to allocate, and a build's threads
    (the derivations, the checks, the loads) allocate plenty. pyoxigraph's query results may only be
    freed on the thread that made them: one left in a reference cycle by the caller (a notebook's
    traceback, a test's local) and collected on a build thread is reported as "unsendable, but is
    being dropped on another thread" and never freed (tests/test_build.py)."""
    gc.collect()


def check(settings: Settings | None = None, files: list[Path] | None = None) -> list[Problem]:
    """Validate the records as they are now, without touching the built graph."""
    settings = settings or Settings()
    free_cycles_here()
    _, problems = compile_all(OxigraphStore.in_memory(), settings, files)
    return problems


def build(settings: Settings | None = None) -> BuildSummary:
    """Build the graph into a new folder and publish it only if it is valid; start from the
    published build when it can be trusted (graph.build.incremental).

    Raises InvalidData (and leaves the previous graph answering) when any violation is found.
    """
    settings = settings or Settings()
    started = time.perf_counter()
    progress = Progress()
    ensure_publishable(settings.store_path)
    settings.store_path.parent.mkdir(parents=True, exist_ok=True)
    lease = new_build_dir(settings.store_path)  # held until published or discarded: no pruning takes it
    kept = LandscapeKeeper(settings)  # the first network command on this build finds its landscape (graph.build.landscape_kept)
    try:
        try:
            files, problems, counts, graphs = _build_into(lease.folder, settings, progress, incremental=True, keep=kept)
            kept.write(lease.folder)  # the store closed: its files are what commands will hash
        except BaseException:
            discard(lease.folder)
            raise
        publish(settings.store_path, lease.folder)
        archive_manifest(settings.store_path, lease.folder)
    finally:
        lease.release()
        progress.done()
    warnings = [p for p in problems if p.severity.value != "violation"]
    triples = counts.pop("triples")
    return BuildSummary(str(settings.store_path), files, graphs, triples, counts, warnings, time.perf_counter() - started)


def build_remote(settings: Settings, endpoint: RemoteEndpoint) -> BuildSummary:
    """Build as ``build`` does, into a temporary folder, and publish the valid build to a remote
    SPARQL store (graph.rdf.publish_remote); nothing is sent unless the build is valid. The
    folder and its manifest are removed afterwards: ``alliances changes`` needs a local store."""
    from graph.rdf.publish_remote import RemotePublisher

    started = time.perf_counter()
    progress = Progress()
    publisher = RemotePublisher(endpoint)
    try:
        publisher.check_reachable()  # before minutes of work
        with tempfile.TemporaryDirectory(prefix="alliances-remote-build-") as folder:
            files, problems, counts, graphs = _build_into(Path(folder) / "build", settings, progress,
                                                          then=lambda store: publisher.publish(store, settings.base))
    finally:
        publisher.reader.close()
        progress.done()
    warnings = [p for p in problems if p.severity.value != "violation"]
    triples = counts.pop("triples")
    return BuildSummary(str(endpoint), files, graphs, triples, counts, warnings, time.perf_counter() - started)


def _build_into(build_path: Path, settings: Settings, progress: Progress,
                then: Callable[[OxigraphStore], object] | None = None,
                incremental: bool = False,
                keep: LandscapeKeeper | None = None) -> tuple[int, list[Problem], dict[str, int], int]:
    """Compile into a new store at ``build_path``; closed on return, so the folder can be
    published or discarded. Record files unchanged since an earlier build come from the cache
    beside the store; it keeps only this build's files. With ``incremental``, the store starts
    as a copy of the published build when that can be trusted. ``then`` gets the valid,
    complete store before it is closed; ``keep`` keeps its landscapes (graph.build.landscape_kept)."""
    free_cycles_here()
    version = graph_version(settings)
    if incremental:
        built, why = _build_incrementally(build_path, settings, progress, version, then, keep)
        if built is not None:
            return built
        if why:
            progress.note(f"cold build: {why}")
    return _build_from(build_path, settings, progress, version, then, OxigraphStore.create(build_path), None, keep)


@cycles_uncollected()
def _build_incrementally(build_path: Path, settings: Settings, progress: Progress, version: str,
                         then: Callable[[OxigraphStore], object] | None,
                         keep: LandscapeKeeper | None) -> tuple[tuple[int, list[Problem], dict[str, int], int] | None, str]:
    """``_build_from`` the published build, or None and why it cannot be the start (the folder
    left empty for a cold build). The cycle collector is paused (graph.network.landscape.cycles_uncollected):
    the previous build's manifest, index and state are millions of containers and no cycles, and
    each full collection walked them all again (at 1.49 million triples, 0.4-0.5 of the 3.3 CPU s
    of a one-file build). A cold build is left as it was: it makes far more garbage, for minutes."""
    previous, why = trusted_previous(settings, version)
    if previous is None:
        return None, why
    try:
        try:
            progress.note(f"incremental build from build {previous.lease.folder.name}")
            return _build_from(build_path, settings, progress, version, then, copy_store(previous.lease.folder, build_path),
                               Update(previous.state, index=previous.index,
                                      manifest=previous.manifest, folder=previous.lease.folder), keep), ""
        finally:
            previous.lease.release()
    except Untrusted as error:
        for entry in list(build_path.iterdir()):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return None, str(error)


def _build_from(build_path: Path, settings: Settings, progress: Progress, version: str,
                then: Callable[[OxigraphStore], object] | None, store: OxigraphStore,
                update: Update | None, keep: LandscapeKeeper | None = None,
                ) -> tuple[int, list[Problem], dict[str, int], int]:
    cache = RecordCache.beside(settings.store_path)
    merge = Merge() if update is None else None  # the triples of every graph, as loaded, for the stored merge
    try:
        compiled, problems = compile_all(store, settings, cache=cache, progress=progress, update=update, merge=merge)
        cache.prune()
        if has_violations(problems):
            raise InvalidData(problems)
        progress.stage("publishing")
        named = None  # the triples of the named graphs, when known without a query
        digests = None
        if merge is not None:
            named = store.quad_count() if store.default_graph_is_empty() else None  # before the merge joins them
            about = claims_about(store, settings)  # before the default graph is half stored
            with store.storing_merge(merge):  # after validation, which checks that no fact sits outside a source graph
                digests = statement_digests(store, settings, about=about, merge=merge)  # from the triples as loaded
        else:
            store.flush(optimize=False)  # compacting a copied store would rewrite all of it
        if keep is not None:  # a large cold build's landscapes are read in a second process meanwhile
            keep.start(store, update, build_path, named or 0)
        # A cold build's store is written no more: it compacts while what follows reads it.
        with store.compacting() if update is None else contextlib.nullcontext():
            counts, graphs = _publishable(build_path, settings, version, store, update, compiled, problems, named, digests)
            if then is not None:
                then(store)
            if keep is not None:
                progress.stage("keeping the landscape")
                keep.prepare(store, update)
        return compiled.files, problems, counts, graphs
    finally:
        if keep is not None:
            keep.stop()
        store.close()
        if merge is not None:
            merge.close()


def _publishable(build_path: Path, settings: Settings, version: str, store: OxigraphStore,
                 update: Update | None, compiled: Compiled, problems: list[Problem],
                 named: int | None = None, digests: dict[str, dict[str, str]] | None = None) -> tuple[dict[str, int], int]:
    """Write what a build folder holds beside its store (the manifest, the source index, the build
    state); return the summary's counts and the number of named graphs (``named``: their triples,
    if known; ``digests``: the statement hashes, if made)."""
    if update is None:
        digests = digests if digests is not None else statement_digests(store, settings)
        manifest = make_manifest(store, settings, build_path.name, digests, compiled.hashes, compiled.paths)
    else:
        digests = update.digests(store, settings)
        manifest = update.make_manifest(store, settings, build_path.name, digests, compiled.hashes, compiled.paths)
    same = update is not None and not update.changed
    if update is None:
        counts = summary_counts(store, named)
    else:  # the previous count of triples and what the change added: counting them all took 2 s at a million
        counts = dict(update.previous.counts) if same else summary_counts(store, update.previous.counts["triples"] + update.growth)
    graphs = len(store.named_graphs())
    write_manifest(build_path, manifest)  # before publish: no build without one
    if compiled.index is not None:
        if update is not None and update.folder is not None and update.index is not None and update.index.files == compiled.index.files:
            os.link(update.folder / INDEX_FILE, build_path / INDEX_FILE)  # the same files, so the same heads: 2.5 s to write again
        else:
            compiled.index.write(build_path)
    State(version, dict(sorted(compiled.keys.items())), digests, problems, dict(counts)).write(build_path)
    return counts, graphs

TRIPLES_QUERY = """SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"""
ENTITIES_QUERY = """
SELECT ?name (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES (?class ?name ?order) {
    (al:Alliance "alliances" 1) (org:Organization "organisations" 2) (foaf:Person "people" 3)
    (al:Claim "quantitative claims" 4) (schema:CreativeWork "sources" 5) }
  ?x a ?class .
} GROUP BY ?name ?order ORDER BY ?order
"""


def summary_counts(store: GraphStore, triples: int | None = None) -> dict[str, int]:
    """The triples of the named graphs (``triples`` if the caller knows them) and the entities of each kind."""
    known = int(next(iter(select(store, TRIPLES_QUERY)))["n"].value) if triples is None else triples
    return {"triples": known, **{str(row["name"].value): int(row["n"].value) for row in select(store, ENTITIES_QUERY)}}
