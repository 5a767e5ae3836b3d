"""The build manifest: a small JSON summary of one build, so that two builds can be compared
without git and without opening either store (``alliances changes``, the feeds, entity history).

Each build writes ``alliances.manifest.json`` into its folder before it is published, so a reader
never sees a published build without one; a failed build writes none (its folder is discarded).
Publishing also copies it to ``<store>.manifests/<id>.json``, where it outlives the pruning
of its folder: the newest ``MANIFEST_HISTORY`` are kept there, so that history and ``--since``
reach further back than the two build folders the store keeps.

For every alliance and organisation the manifest holds a content hash of its statements: for each
source graph, the SHA-256 (its first 128 bits, in hex) of the sorted canonical N-Triples lines of the statements it makes about
the entity (the entity as subject; an alliance's participations, signing, announcement and status
changes; the claims about the entity), and one hash over all of them. Records emit no blank
nodes, so the lines, and the hashes, are the same on every run. Beside the hashes it keeps what
the comparison reports: an alliance's status (and the sources that state it), year and parties;
an organisation's partners (with the alliances they share); the claims with value and unit; each
source file's hash. The shape is docs/schemas/manifest.schema.json.
"""
from __future__ import annotations

import hashlib
import subprocess
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox

from graph.config import Settings, TAXONOMY_NS
from graph.errors import AllianceError
from graph.rdf.batches import bound_to, chunks
from graph.rdf.files import write_atomic
from graph.rdf.query_forms import select
from graph.rdf.merge import Merge
from graph.rdf.store import COMPLETE_MARKER, OxigraphStore, builds_dir
from graph.records.read import record_files

MANIFEST_FILE = "alliances.manifest.json"
MANIFEST_FORMAT = 1
MANIFEST_HISTORY = 50  # manifests kept in <store>.manifests/ (about 300 KB each for today's data)
AL = "https://w3id.org/alliance-graph/ontology#"
Manifest = dict[str, Any]

# Each query has a %s where a group restricts it to some entities (an incremental build's: graph.rdf.batches.bound_to).
ALLIANCES = """
SELECT ?a ?label ?status ?year ?basis WHERE { %s
  ?a a al:Alliance .
  OPTIONAL { ?a al:displayLabel ?label }
  OPTIONAL { ?a al:currentStatus ?status }
  OPTIONAL { ?a al:year ?year }
  OPTIONAL { ?a al:yearBasis ?basis }
}"""
STATUS_SOURCES = """
SELECT DISTINCT ?a ?g WHERE { %s ?a al:currentStatus ?status . GRAPH ?g { ?a al:statusChange ?c . ?c al:status ?status } }"""
# A join, not the path al:participation/al:party: the same rows, 0.94 s against 1.33-1.41 s for the
# 70,546 of every alliance at 1.49 million triples (session 14).
PARTIES = "SELECT DISTINCT ?a ?o WHERE { %s ?a al:participation ?p . ?p al:party ?o }"
# The parties of every alliance that ?m is a party of: ?m's partners.
MEMBERSHIPS = "SELECT DISTINCT ?a ?o WHERE { %s ?a al:participation/al:party ?m . ?a a al:Alliance . ?a al:participation/al:party ?o }"
ORGANISATIONS = "SELECT ?o ?label WHERE { %s ?o a org:Organization OPTIONAL { ?o al:displayLabel ?label } }"
CLAIMS = """
SELECT ?c ?about ?g ?value ?unit ?currency ?measure WHERE { %s
  GRAPH ?g { ?c a al:Claim ; al:about ?about ; schema:value ?value
             OPTIONAL { ?c schema:unitText ?unit } OPTIONAL { ?c schema:currency ?currency } }
  OPTIONAL { ?c al:displayMeasure ?measure }
}"""
BATCH = 500  # IRIs in one VALUES clause


@dataclass(frozen=True)
class BuildInfo:
    """Which build a manifest describes, as messages name it."""

    id: str
    created: str
    git_revision: str | None

    @classmethod
    def of(cls, manifest: Manifest) -> BuildInfo:
        build = manifest["build"]
        return cls(str(build["id"]), str(build["created"]), build.get("git_revision"))

    def describe(self) -> str:
        git = f", git {self.git_revision[:12]}" if self.git_revision else ""
        return f"build {self.id} ({self.created}{git})"


# ------------------------------------------------------------------ making one

def make_manifest(store: OxigraphStore, settings: Settings, build_id: str,
                  digests: dict[str, dict[str, str]] | None = None, hashes: dict[str, str] | None = None,
                  paths: list[Path] | None = None) -> Manifest:
    """The manifest of the graph in ``store`` (a finished build of ``settings.data_dir``);
    ``digests`` are its ``statement_digests``, ``paths`` its record files and ``hashes`` their
    ``file_hash`` by source id, when the caller has them already."""
    digests = digests if digests is not None else statement_digests(store, settings)
    by_entity = _by_entity(digests, None)
    alliances, parties = _alliances(store, settings, by_entity, None)
    organisations = _organisations(store, settings, by_entity, None, parties)
    _add_claims(store, settings, alliances, organisations, None)
    return _manifest(settings, build_id, hashes, paths, alliances, organisations)


def patch_manifest(previous: Manifest, store: OxigraphStore, settings: Settings, build_id: str,
                   digests: dict[str, dict[str, str]], reached: set[str], hashes: dict[str, str] | None = None,
                   paths: list[Path] | None = None) -> Manifest:
    """What ``make_manifest`` makes, from ``previous`` (the manifest of the graph that ``store``
    was before a change) and ``reached``: every entity (``kind/ident``) whose statements, derived
    facts or claims the change may have changed. Only those entries are read from the store
    again, with the organisations whose partners may have changed (the parties, before and
    after, of each reached alliance); the others are kept. A query over the whole graph costs
    seconds at a million triples; these cost what the change is."""
    alliance_ids = {entity.removeprefix("alliance/") for entity in reached if entity.startswith("alliance/")}
    alliances, parties = _alliances(store, settings, _by_entity(digests, {f"alliance/{a}" for a in alliance_ids}), alliance_ids)
    organisation_ids = ({entity.removeprefix("organisation/") for entity in reached if entity.startswith("organisation/")}
                        | _parties_of(previous, alliance_ids) | {party for members in parties.values() for party in members})
    organisations = _organisations(store, settings, _by_entity(digests, {f"organisation/{o}" for o in organisation_ids}),
                                   organisation_ids, None)
    _add_claims(store, settings, alliances, organisations, (_iris(settings, "alliance", alliance_ids) or [])
                + (_iris(settings, "organisation", organisation_ids) or []))
    kept_alliances = {ident: entry for ident, entry in previous["alliances"].items() if ident not in alliance_ids}
    kept_organisations = {ident: entry for ident, entry in previous["organisations"].items() if ident not in organisation_ids}
    return _manifest(settings, build_id, hashes, paths, {**kept_alliances, **alliances}, {**kept_organisations, **organisations})


def _parties_of(manifest: Manifest, alliance_ids: set[str]) -> set[str]:
    return {party for ident in alliance_ids for party in manifest["alliances"].get(ident, {}).get("parties", [])}


def _manifest(settings: Settings, build_id: str, hashes: dict[str, str] | None, paths: list[Path] | None,
              alliances: dict[str, dict[str, Any]], organisations: dict[str, dict[str, Any]]) -> Manifest:
    return {"manifest": MANIFEST_FORMAT, "build": {"id": build_id, "created": _now(), **git_state(settings)},
            "base": settings.base, "sources": source_files(settings, hashes, paths),
            "alliances": dict(sorted(alliances.items())), "organisations": dict(sorted(organisations.items()))}


def _by_entity(digests: dict[str, dict[str, str]], entities: set[str] | None) -> dict[str, dict[str, str]]:
    """Each entity's statement hashes by source (all entities, or ``entities``)."""
    by_entity: dict[str, dict[str, str]] = defaultdict(dict)
    for graph, hashes in sorted(digests.items()):
        for entity, digest in hashes.items():
            if entities is None or entity in entities:
                by_entity[entity][graph] = digest
    return by_entity


def _rows(store: OxigraphStore, query: str, variable: str, iris: list[str] | None) -> Iterator[ox.QuerySolution]:
    """The rows of ``query`` over the whole graph (``iris`` None) or with ``variable`` one of ``iris``."""
    if iris is None:
        yield from select(store, query % "")
        return
    for batch in chunks(iris, BATCH):
        yield from select(store, query % bound_to(f"?{variable}", batch))


def _iris(settings: Settings, kind: str, idents: set[str] | None) -> list[str] | None:
    return None if idents is None else [settings.entity_iri(kind, ident) for ident in sorted(idents)]


def _alliances(store: OxigraphStore, settings: Settings, by_entity: dict[str, dict[str, str]],
               idents: set[str] | None) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]]]:
    """The entries of the alliances (all, or ``idents``) and each one's parties.

    Rows are unpacked in the order of each query's SELECT, and IRIs cut against prefixes made
    once: a manifest reads a row for every alliance and every party (105,000 at a million triples)."""
    iris = _iris(settings, "alliance", idents)
    alliance, source, organisation = (settings.entity_iri(kind, "") for kind in ("alliance", "source", "organisation"))
    alliances: dict[str, dict[str, Any]] = {}
    for a, label, status, year, basis in _rows(store, ALLIANCES, "a", iris):
        ident = _ident(a, alliance)
        if ident is None:
            continue
        alliances[ident] = {"label": _value(label) or ident, **_hashes(by_entity.get(f"alliance/{ident}", {})),
                            "status": _concept(status), "status_sources": [],
                            "year": int(year.value) if year is not None else None,
                            "year_basis": _value(basis), "parties": [], "claims": []}
    for a, g in _rows(store, STATUS_SOURCES, "a", iris):
        ident, source_id = _ident(a, alliance), _ident(g, source)
        if ident in alliances and source_id is not None:
            alliances[ident]["status_sources"].append(source_id)
    parties: dict[str, set[str]] = defaultdict(set)
    for a, o in _rows(store, PARTIES, "a", iris):
        ident, party = _ident(a, alliance), _ident(o, organisation)
        if ident in alliances and party is not None:
            parties[ident].add(party)
    for ident, members in parties.items():
        alliances[ident]["parties"] = sorted(members)
    for entry in alliances.values():
        entry["status_sources"].sort()
    return alliances, parties


def _organisations(store: OxigraphStore, settings: Settings, by_entity: dict[str, dict[str, str]],
                   idents: set[str] | None, parties: dict[str, set[str]] | None) -> dict[str, dict[str, Any]]:
    """The entries of the organisations (all, or ``idents``); their partners from ``parties``
    (every alliance's) or, when it is None, from the alliances of those organisations."""
    iris = _iris(settings, "organisation", idents)
    alliance, organisation = settings.entity_iri("alliance", ""), settings.entity_iri("organisation", "")
    organisations: dict[str, dict[str, Any]] = {}
    for o, label in _rows(store, ORGANISATIONS, "o", iris):
        ident = _ident(o, organisation)
        if ident is not None:
            organisations[ident] = {"label": _value(label) or ident,
                                    **_hashes(by_entity.get(f"organisation/{ident}", {})), "partners": {}, "claims": []}
    if parties is None:
        parties = defaultdict(set)
        for a, o in _rows(store, MEMBERSHIPS, "m", iris):
            ident, party = _ident(a, alliance), _ident(o, organisation)
            if ident is not None and party is not None:
                parties[ident].add(party)
    partners_of = {ident: entry["partners"] for ident, entry in organisations.items()}
    for ident, members in parties.items():
        for member in members:
            partners = partners_of.get(member)
            if partners is not None:
                for partner in members:
                    if partner != member:
                        partners.setdefault(partner, []).append(ident)
    for entry in organisations.values():
        entry["partners"] = {partner: shared if len(shared) == 1 else sorted(shared)  # most share one alliance
                             for partner, shared in sorted(entry["partners"].items())}
    return organisations


def _add_claims(store: OxigraphStore, settings: Settings, alliances: dict[str, dict[str, Any]],
                organisations: dict[str, dict[str, Any]], iris: list[str] | None) -> None:
    """Each entry's claims (about any entity, or about one of ``iris``)."""
    for row in _rows(store, CLAIMS, "about", iris):
        claim = _claim(settings, row)
        for kind, table in (("alliance", alliances), ("organisation", organisations)):
            about = _local(settings, row["about"], kind)
            if about in table and claim is not None:
                table[about]["claims"].append(claim)
    for table in (alliances, organisations):
        for entry in table.values():
            entry["claims"].sort(key=lambda c: (c["id"], c["source"]))


CLAIMS_ABOUT = "SELECT DISTINCT ?c ?x WHERE { GRAPH ?g { ?c a al:Claim ; al:about ?x } }"


def claims_about(store: OxigraphStore, settings: Settings) -> dict[str, frozenset[str]]:
    """Each claim's IRI and the entities (``kind/ident``) it is about, as stated in any source."""
    about: dict[str, set[str]] = defaultdict(set)
    for row in select(store, CLAIMS_ABOUT):
        for kind in ("alliance", "organisation"):
            target = _local(settings, row["x"], kind)
            if target is not None:
                about[row["c"].value].add(f"{kind}/{target}")
    return {claim: frozenset(entities) for claim, entities in about.items()}


def statement_digests(store: OxigraphStore, settings: Settings, sources: list[str] | None = None,
                      about: dict[str, frozenset[str]] | None = None, merge: Merge | None = None) -> dict[str, dict[str, str]]:
    """For each source graph (all, or the ids ``sources``): the hash of the statements it makes
    about each entity (``kind/ident``), the entity's statements as the module docstring says.

    Per source, so that an incremental build recomputes only the sources it changed. Each graph
    is dumped as canonical N-Triples by the store (the lines the hash is defined on) instead of
    formatting every quad's terms in Python. A graph whose triples ``merge`` holds (a cold build's,
    graph.rdf.store.Merge: the records' quads as loaded, one file's a piece) is read from it instead,
    which spares the dump (8.7 s at 1.38 million triples): the same lines once each triple is kept
    once and XSD literals take the store's canonical form (``"01"^^xsd:integer`` is stored as ``"1"``)."""
    source_prefix = settings.entity_iri("source", "")
    about = about if about is not None else claims_about(store, settings)
    wanted = sources if sources is not None else [g.removeprefix(source_prefix) for g in store.named_graphs()
                                                       if g.startswith(source_prefix)]
    entity_of: dict[str, frozenset[str]] = {}
    canonical: dict[str, str] = {}
    digests: dict[str, dict[str, str]] = {}
    for source in wanted:
        triples = merge.triples(source_prefix + source) if merge is not None else None
        if triples is None:
            lines: Iterable[str] = store.dump_graph(source_prefix + source).decode("utf-8").splitlines()
        else:
            lines = _canonical_lines(triples, canonical)
        digests[source] = _digests(lines, settings.base, about, entity_of)
    return digests


def _digests(lines: Iterable[str], base: str, about: dict[str, frozenset[str]],
             entity_of: dict[str, frozenset[str]]) -> dict[str, str]:
    """The hash of each entity's lines among one graph's canonical N-Triples ``lines`` (each once).

    The lines are sorted once, so that each subject's lines are one run (those that start with
    ``<subject>``, found by bisection) and each entity's lines, its subjects' runs in the order
    met, come out sorted: one step per subject instead of one per line (0.7 s against 1.5 s for the
    1.5 million lines of a million-triple landscape). A line that does not start with an IRI
    (a blank node's, which records do not emit) is of no entity, as before."""
    ordered = sorted(lines)
    by_entity: dict[str, list[str]] = defaultdict(list)
    start, end = bisect_left(ordered, "<"), bisect_left(ordered, "=")  # the lines whose subject is an IRI
    while start < end:
        line = ordered[start]
        cut = line.index(">")
        stop = bisect_left(ordered, line[:cut] + "?", start + 1, end)  # "?" follows ">": past every "<subject>..."
        subject = line[1:cut]
        entities = entity_of.get(subject)
        if entities is None:
            entities = entity_of[subject] = entities_of(subject, base, about)
        for entity in entities:
            by_entity[entity] += ordered[start:stop]
        start = stop
    return {entity: _sha256("\n".join(found)) for entity, found in sorted(by_entity.items())}


XSD_MARK = '"^^<http://www.w3.org/2001/XMLSchema#'


def _canonical_lines(triples: bytes, canonical: dict[str, str]) -> list[str]:
    """One graph's N-Triples (as loaded, of IRIs and literals) as the store dumps them: each
    triple once, XSD literals in the store's canonical form (``canonical``: those known so far);
    sorted."""
    text = triples.decode("utf-8")
    lines = text.splitlines()
    if XSD_MARK not in text:
        return _sorted_once(lines)
    typed = _lines_with(XSD_MARK, text, lines)
    parts = [line[:-2].split(" ", 2) for line in typed]
    missing = {value for _, _, value in parts if value not in canonical}
    if missing:
        canonical.update(_canonical_literals(missing))
    changed = {}
    for line, (subject, predicate, value) in zip(typed, parts):
        written = f"{subject} {predicate} {canonical[value]} ."
        if written != line:
            changed[line] = written
    if not changed:  # the usual case: the records wrote the store's forms already
        return _sorted_once(lines)
    return sorted((set(lines) - changed.keys()) | set(changed.values()))


def _sorted_once(lines: list[str]) -> list[str]:
    """``sorted(set(lines))``; a duplicate (rare) is found next to its twin after the sort, in C."""
    ordered = sorted(lines)
    return sorted(set(ordered)) if any(map(str.__eq__, ordered, islice(ordered, 1, None))) else ordered


def _lines_with(mark: str, text: str, lines: list[str]) -> list[str]:
    """The lines of ``lines`` (``text.splitlines()``) that hold ``mark``: found by searching
    ``text`` for it (in C) instead of testing every line, when its lines are those between its
    newlines (no other line break in it: the store writes none unescaped but U+2028 and the like)."""
    if "\r" in text or len(lines) != text.count("\n") + (not text.endswith("\n")):
        return [line for line in lines if mark in line]
    found = []
    at = text.find(mark)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        stop = text.find("\n", at)
        stop = len(text) if stop < 0 else stop
        found.append(text[start:stop])
        at = text.find(mark, stop)
    return found


def _canonical_literals(literals: set[str]) -> dict[str, str]:
    """Each literal (N-Triples) as the store writes it back (its canonical form), read from a
    store in memory: the only place that knows the forms is the store's own encoding."""
    ordered = sorted(literals)
    store = ox.Store()
    store.load("".join(f"<urn:x:{i}> <urn:x:p> {literal} .\n" for i, literal in enumerate(ordered)).encode(), format=ox.RdfFormat.N_TRIPLES)
    canonical = {}
    for line in (store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b"").decode("utf-8").splitlines():
        subject, _, value = line[:-2].split(" ", 2)
        canonical[ordered[int(subject[7:-1])]] = value
    return canonical


def entities_of(subject: str, base: str, about: dict[str, frozenset[str]]) -> frozenset[str]:
    """The entities a statement about ``subject`` is part of: an alliance's own nodes
    (``alliance/<id>/party/<org>``...) belong to it, a claim to what it is about."""
    if not subject.startswith(base):
        return frozenset()
    kind, cut, rest = subject[len(base):].partition("/")
    if cut and kind in ("alliance", "organisation"):
        return frozenset({f"{kind}/{rest.partition('/')[0]}"})
    return about.get(subject, frozenset())


def _hashes(by_source: dict[str, str]) -> dict[str, Any]:
    statements = dict(sorted(by_source.items()))
    combined = "\n".join(map(" ".join, statements.items()))  # "<source> <digest>" lines
    return {"hash": _sha256(combined), "statements": statements}


def _claim(settings: Settings, row: ox.QuerySolution) -> dict[str, Any] | None:
    ident, source = _local(settings, row["c"], "claim"), _local(settings, row["g"], "source")
    if ident is None or source is None:
        return None
    unit = _value(row["unit"]) or _value(row["currency"])
    return {"id": ident, "measure": _value(row["measure"]) or "", "value": row["value"].value, "unit": unit, "source": source}


def source_files(settings: Settings, hashes: dict[str, str] | None = None,
                 paths: list[Path] | None = None) -> dict[str, dict[str, str]]:
    """Each record file (``paths``, or those of the data folder): its path (relative to the data
    folder's parent, e.g. data/sources/x.yaml) and hash, from ``hashes`` (by source id: the
    build hashed the files already) or read here. Each folder is made relative once (all record
    files share one: each path made relative took 0.2 s of a one-file build at 7,197 files)."""
    files = {}
    folders: dict[Path, str] = {}
    for path in paths if paths is not None else record_files(settings.data_dir):
        folder = path.parent
        if folder not in folders:
            folders[folder] = path.relative_to(settings.data_dir.parent).as_posix().removesuffix(path.name)
        relative = folders[folder] + path.name
        known = (hashes or {}).get(path.stem)
        files[path.stem] = {"file": relative, "hash": known if known is not None else file_hash(path.read_bytes())}
    return files


def git_state(settings: Settings) -> dict[str, Any]:
    """The git revision of the data folder's repository and whether data/ (and ontology/, when in
    the same repository) differ from it; both null where there is no git or no repository."""
    def git(folder: Path, *args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    revision = git(settings.data_dir, "rev-parse", "--verify", "--quiet", "HEAD")
    top = git(settings.data_dir, "rev-parse", "--show-toplevel")
    if revision is None or top is None:
        return {"git_revision": None, "git_dirty": None}
    folders = [settings.data_dir] + ([settings.ontology_dir] if git(settings.ontology_dir, "rev-parse", "--show-toplevel") == top else [])
    states = [git(folder, "status", "--porcelain", "--", ".") for folder in folders]
    return {"git_revision": revision, "git_dirty": None if None in states else any(states)}


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _sha256(text: str) -> str:
    return _sha256_bytes(text.encode("utf-8"))


def file_hash(data: bytes) -> str:
    """A record file's hash in the manifest (its ``sources``)."""
    return _sha256_bytes(data)


def _sha256_bytes(data: bytes) -> str:
    """The first 128 bits of SHA-256 in hex: ample to tell versions apart, and half the size."""
    return hashlib.sha256(data).hexdigest()[:32]


def _local(settings: Settings, term: Any, kind: str) -> str | None:
    return _ident(term, settings.entity_iri(kind, ""))


def _ident(term: Any, prefix: str) -> str | None:
    """The ident of ``term`` when it is the IRI ``<prefix><ident>`` (``prefix`` one of ``Settings.entity_iri(kind, "")``)."""
    if isinstance(term, ox.NamedNode):
        value = term.value
        if value.startswith(prefix) and "/" not in value[len(prefix):]:
            return value[len(prefix):]
    return None


def _value(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _concept(term: Any) -> str | None:
    """``binding`` for the status concept ``.../taxonomy/status/binding``."""
    if term is None:
        return None
    return str(term.value).removeprefix(TAXONOMY_NS).rsplit("/", 1)[-1]


# ------------------------------------------------------------------ on disk

def write_manifest(folder: Path, manifest: Manifest) -> None:
    write_atomic(folder / MANIFEST_FILE, _encode(manifest))


def archive_manifest(store_path: Path, folder: Path) -> None:
    """Copy a published build's manifest to ``<store>.manifests/`` and keep the newest
    ``MANIFEST_HISTORY`` there. Build numbers start again at 1 when the builds folder is removed:
    archived manifests numbered from this build on are then of that older store, and go."""
    archive = manifests_dir(store_path)
    archive.mkdir(exist_ok=True)
    number = int(folder.name)
    for stale in archive.glob("*.json"):
        if stale.stem.isdigit() and int(stale.stem) >= number:
            stale.unlink(missing_ok=True)
    write_atomic(archive / f"{folder.name}.json", (folder / MANIFEST_FILE).read_bytes())
    kept = sorted((p for p in archive.glob("*.json") if p.stem.isdigit()), key=lambda p: int(p.stem))
    for old in kept[:-MANIFEST_HISTORY]:
        old.unlink(missing_ok=True)


def manifests_dir(store_path: Path) -> Path:
    """Where published builds' manifests are kept: ``<store>.manifests``, beside ``<store>.builds``."""
    return store_path.with_name(store_path.name + ".manifests")


def build_id_of(path: Path) -> str:
    """A manifest's build id from where it lies: ``<store>.manifests/<id>.json`` or ``<id>/alliances.manifest.json``."""
    return path.parent.name if path.name == MANIFEST_FILE else path.stem


def read_manifest(path: Path) -> Manifest:
    """The manifest at ``path``; read once per version of the file (the server reads them on
    every feed and entity page), so callers must not change what they get."""
    try:
        stat = path.stat()
        return _read_manifest(path, stat.st_mtime_ns, stat.st_size)
    except OSError as error:
        raise AllianceError(f"{path}: the build manifest cannot be read ({error}); build again (alliances build)") from error


@lru_cache(maxsize=4)  # the current and the previous build, for the feeds
def _read_manifest(path: Path, mtime_ns: int, size: int) -> Manifest:
    try:
        data: object = orjson.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise AllianceError(f"{path}: the build manifest cannot be read ({error}); build again (alliances build)") from error
    if not isinstance(data, dict) or data.get("manifest") != MANIFEST_FORMAT:
        raise AllianceError(f"{path}: not a build manifest of format {MANIFEST_FORMAT}; build again (alliances build)")
    return data


def kept_manifests(store_path: Path) -> list[Manifest]:
    """Every manifest the store keeps, oldest first: those of its complete build folders and
    those archived from pruned ones (a folder's own copy wins)."""
    manifests = []
    for path in kept_manifest_paths(store_path):
        try:
            manifests.append(read_manifest(path))
        except AllianceError:
            continue  # pruned while listed, or from another version: not a build to compare with
    return manifests


def kept_manifest_paths(store_path: Path) -> list[Path]:
    """The files of ``kept_manifests``, oldest build first."""
    folder = builds_dir(store_path)
    found: dict[str, Path] = {}
    archive = manifests_dir(store_path)
    if archive.is_dir():
        found.update({p.stem: p for p in archive.glob("*.json") if p.stem.isdigit()})
    if folder.is_dir():
        for build in folder.iterdir():
            if build.name.isdigit() and (build / MANIFEST_FILE).is_file() and (build / COMPLETE_MARKER).exists():
                found[build.name] = build / MANIFEST_FILE
    return [path for _, path in sorted(found.items(), key=lambda item: int(item[0]))]


def _encode(manifest: Manifest) -> bytes:
    """Compact UTF-8 JSON and a newline: the bytes ``json.dumps(manifest, ensure_ascii=False,
    separators=(",", ":"))`` gave, by orjson in a sixth of the time (0.2 s at a million triples)."""
    return orjson.dumps(manifest) + b"\n"
