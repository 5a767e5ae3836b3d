"""The alliance landscape as plain Python objects, read from the store with a few SPARQL queries.

Every projection, measure, path and drawing starts here, so the store is read once per command
and nothing keeps a second copy of the RDF: only the fields the network views need. Labels, the
alliance's year and its basis are read as the build derived them (al:displayLabel, al:year,
al:yearBasis), never decided again here.
"""
from __future__ import annotations

import gc
import threading
from collections import defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Literal

from graph.ask.resolve import kind_and_id
from graph.rdf.batches import bound_to
from graph.rdf.namespaces import PREFIXES
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore

ORG_KINDS = {"Company": "organisation", "CorporateGroup": "group", "JointVenture": "joint-venture",
             "NonProfit": "organisation", "PublicBody": "organisation", "UnnamedParty": "unnamed"}
ALLIANCE_CLASSES = ("Agreement", "Project", "Programme", "Community", "Coalition")

Part = Literal["topics", "details"]
PARTS: frozenset[Part] = frozenset(("topics", "details"))

# Each query below is one triple pattern, or a type and one property: Oxigraph answers those from one
# index, where a row of OPTIONALs costs a lookup per OPTIONAL per row (22 s for 15,000 organisations).
# Python joins the columns by IRI and drops repeats (a union default graph repeats a triple once per
# graph that states it).
ALLIANCES = "SELECT ?s WHERE { ?s a al:Alliance }"
ORGANISATIONS = "SELECT ?s WHERE { ?s a org:Organization }"
OF_CLASS = "SELECT ?s WHERE { ?s a <{c}> }"
PARTY_OF = "SELECT ?s ?o WHERE { ?s al:participation/al:party ?o }"
PARTY_AND_ROLE = "SELECT DISTINCT ?s ?party ?role WHERE { ?s al:participation ?p . ?p al:party ?party ; al:role ?role }"
PROPERTY = "SELECT ?s ?o WHERE { ?s <{p}> ?o }"
# Dates are read where the sources state them: Virtuoso keeps one of two literals of equal value
# in the merge ("2024"^^xsd:gYear and "2024-01-01"^^xsd:date), and which one differs from the embedded store.
# An alliance's signing dates are its signing events' start dates, joined here from two scans (the
# store's own join took 1.9 s of CPU for 75,000 alliances, the two scans 0.9 s; docs/benchmarks.md).
STATED = "SELECT DISTINCT ?s ?o WHERE { GRAPH ?g { ?s <{p}> ?o } }"
CONCEPTS = """
SELECT DISTINCT ?concept ?label ?broader WHERE {
  ?concept skos:inScheme ?scheme .
  OPTIONAL { ?concept al:displayLabel ?label }
  OPTIONAL { ?concept skos:broader ?parent . ?parent skos:broader* ?broader }  # not broader+: Virtuoso 7 drops the rows an OPTIONAL path+ does not match
}"""
ALLIANCE_SOURCES = "SELECT DISTINCT ?s ?g WHERE { GRAPH ?g { ?s a al:Alliance } }"  # each record that states an alliance types it
SOURCE_GRAPHS = "SELECT ?s WHERE { ?s a schema:CreativeWork }"
CLAIMS = """
SELECT DISTINCT ?claim ?about ?value ?unit ?measure WHERE {
  ?claim a al:Claim ; al:about ?about ; schema:value ?value ; schema:unitText|schema:currency ?unit ; al:displayMeasure ?measure }"""
PARENTS = """
SELECT DISTINCT ?org ?relation ?parent ?g WHERE {
  VALUES ?relation { org:subOrganizationOf al:jointVentureOf }
  GRAPH ?g { ?org ?relation ?parent } }"""
AL, ORG, SCHEMA, SKOS = PREFIXES["al"], PREFIXES["org"], PREFIXES["schema"], PREFIXES["skos"]


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    url: str | None
    published: str | None
    copies: str | None = None  # the publisher whose text this source reprints (al:copiesTextOf)

    @property
    def origin(self) -> str:
        """Whose text this is: two sources corroborate each other only when their origins differ."""
        return " ".join((self.copies or self.publisher).casefold().split())


@dataclass
class Alliance:
    iri: str
    id: str
    cls: str = "Agreement"
    titles: dict[str, str] = field(default_factory=dict)
    type_key: str | None = None
    dates: set[str] = field(default_factory=set)  # signing dates, any precision
    start: str | None = None
    end: str | None = None
    parties: list[tuple[str, str]] = field(default_factory=list)  # (organisation IRI, role id)
    materials: set[str] = field(default_factory=set)  # concept ids as stated
    pathways: set[str] = field(default_factory=set)
    material_keys: set[str] = field(default_factory=set)  # with every broader concept
    pathway_keys: set[str] = field(default_factory=set)
    type_keys: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    claims: list[dict[str, str]] = field(default_factory=list)
    year: int | None = None  # al:year and al:yearBasis, derived at build (graph/build/derivations/alliance-year.rq)
    year_basis: str | None = None
    status: str | None = None  # al:currentStatus as a concept key (status/binding), derived at build (current-status.rq)
    status_keys: set[str] = field(default_factory=set)  # the current status with every broader one (delivering is binding)
    title: str = ""  # al:displayLabel (graph/build/display.py); the id when not given

    def __post_init__(self) -> None:
        self.title = self.title or self.id


@dataclass
class Organisation:
    iri: str
    id: str
    kind: str = "organisation"
    names: dict[str, list[str]] = field(default_factory=dict)  # preferred names first
    sector: str | None = None
    country: str | None = None
    parents: list[tuple[str, str, str]] = field(default_factory=list)  # (parent IRI, relation, source id)
    label: str = ""  # al:displayLabel (graph/build/display.py); the id when not given

    def __post_init__(self) -> None:
        self.label = self.label or self.id


@dataclass
class Landscape:
    alliances: dict[str, Alliance]
    organisations: dict[str, Organisation]
    concept_labels: dict[str, str]  # concept id (scheme/id) -> display label
    sources: dict[str, Source]
    parts: frozenset[Part] = PARTS  # what was read beyond organisations, group links and parties (load_landscape)

    def groups_of(self, org: str) -> set[str]:
        """The top-level groups above ``org`` through part-of and joint-venture links (itself if none)."""
        seen, tops, stack = set(), set(), [org]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            parents = [p for p, _, _ in self.organisations[current].parents] if current in self.organisations else []
            if parents:
                stack.extend(parents)
            else:
                tops.add(current)
        return tops

    @property
    def data_date(self) -> str | None:
        dates = [s.published for s in self.sources.values() if s.published and not s.published.startswith("--")]
        return max(dates) if dates else None

    def label(self, concept: str) -> str:
        return self.concept_labels.get(concept, concept.rsplit("/", 1)[-1])


@lru_cache(maxsize=4096)
def concept_key(iri: str) -> str:
    """'material/green-steel' for a taxonomy IRI (cached: a landscape names a few concepts many times)."""
    return "/".join(kind_and_id(iri))


@contextmanager
def cycles_uncollected() -> Iterator[None]:
    """Python's cycle collector paused while a landscape, a network or a view is built (usable as a
    decorator), in a process with one thread only. They make hundreds of thousands of small
    containers and no cycles to free, yet each full collection walks every one of them again: at
    15,000 organisations the pause saves 1.1 of 2.6 s CPU loading a kept landscape and 3.5 of 18 s
    drawing the network (docs/benchmarks.md). Reference counting still frees everything as usual.

    The collector is one per process: a pause taken by one thread would hold for every other
    (``serve`` answers requests in threads side by side), and two threads pausing and resuming
    could leave it off in the middle of another's work. So where any other thread runs, nothing is
    paused (``serve`` instead makes full collections rarer for the whole process, graph.serve.app)."""
    alone = threading.current_thread() is threading.main_thread() and threading.active_count() == 1
    was_enabled = gc.isenabled()
    if alone:
        gc.disable()
    try:
        yield
    finally:
        if alone and was_enabled:
            gc.enable()


def _ident(iri: str) -> str:
    """The id of an entity IRI, as ``kind_and_id`` gives it, without splitting the whole IRI."""
    return iri.rstrip("/").rpartition("/")[2]


def _pairs(store: GraphStore, sparql: str) -> list[tuple[str, str, str]]:
    """(subject IRI, object value, object language or "") rows of a two-column query."""
    return [(row[0].value, (term := row[1]).value, getattr(term, "language", None) or "") for row in select(store, sparql)]


def _values(store: GraphStore, sparql: str) -> Iterator[tuple[str, str]]:
    """(subject IRI, object value) rows of a two-column query: ``_pairs`` without the language,
    for the scans of hundreds of thousands of rows that need none."""
    for row in select(store, sparql):  # by index: two values by name cost 2.2 µs a row, by index 0.5 µs (pyoxigraph 0.5)
        yield row[0].value, row[1].value


def _only(sparql: str, iris: Collection[str] | None, var: str = "s") -> str:
    """The query limited to the subjects ``iris`` (every subject when None)."""
    if iris is None:
        return sparql
    return sparql.replace("WHERE {", f"WHERE {{ {bound_to('?' + var, sorted(iris))}", 1)


@cycles_uncollected()
def add_details(store: GraphStore, landscape: Landscape, iris: Collection[str]) -> None:
    """Titles, dates, roles and sources of the alliances ``iris`` only, into a landscape read without
    details: a path explains a few hops, and need not read every alliance's details to find them."""
    chosen = {iri: landscape.alliances[iri] for iri in iris}
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in select(store, _only(PARTY_AND_ROLE, chosen)):
        found[row[0].value].add((row[1].value, concept_key(row[2].value).rpartition("/")[2]))
    for iri, pairs in found.items():
        chosen[iri].parties = sorted(pairs)
    _read_details(_Scans(store, chosen), chosen)


def _subjects(store: GraphStore, sparql: str) -> set[str]:
    return {row[0].value for row in select(store, sparql)}


class _Scans:
    """The one-property scans of one reading, each run once: alliances, organisations and sources
    share ``al:displayLabel``, alliances and organisations ``skos:prefLabel``, signing events and
    alliances ``schema:startDate``. Each scan is kept whole for the reading (the store's own join of
    organisations with a property cost 16-19 µs a row against 5-6 µs a row for the scan alone).
    With ``subset``, every scan is limited to those subjects (a path's few alliances)."""

    def __init__(self, store: GraphStore, subset: Collection[str] | None = None) -> None:
        self.store, self.subset = store, subset
        self._rows: dict[str, list[tuple[str, str, str]]] = {}
        self._graphs: set[str] | None = None

    def rows(self, sparql: str, language: bool = False) -> list[tuple[str, str, str]]:
        """(subject, value, language or "") rows of a two-column query, read once."""
        key = f"{language}{sparql}"
        if key not in self._rows:
            query = _only(sparql, self.subset)
            self._rows[key] = _pairs(self.store, query) if language else [(s, o, "") for s, o in _values(self.store, query)]
        return self._rows[key]

    def of(self, prop: str, language: bool = False) -> list[tuple[str, str, str]]:
        return self.rows(PROPERTY.replace("{p}", prop), language)

    def stated(self, prop: str, of: Collection[str] | None = None) -> list[tuple[str, str, str]]:
        """``STATED`` rows of ``prop``: of every subject in a full reading; in a limited one, of the
        subjects ``of`` (signing events, not alliances) or else of the subset."""
        query = STATED.replace("{p}", prop)
        if self.subset is None or of is None:
            return self.rows(query)
        return [(s, o, "") for s, o in _values(self.store, _only(query, of))]

    def source_graphs(self, among: Collection[str] | None = None) -> set[str]:
        """The source graphs: every one in a full reading; in a limited one, those among ``among``
        (else among the subset), not the hundreds of thousands of a large landscape."""
        if self.subset is not None:
            return _subjects(self.store, _only(SOURCE_GRAPHS, self.subset if among is None else among))
        if self._graphs is None:
            self._graphs = _subjects(self.store, SOURCE_GRAPHS)
        return self._graphs


@cycles_uncollected()
def load_landscape(store: GraphStore, parts: frozenset[Part] = PARTS) -> Landscape:
    """Organisations (labels, kinds, sectors, countries, group links) and each alliance's parties, and
    the ``parts`` asked for: "topics" (materials, pathways, types, status, year: what filters and the
    timeline read) and "details" (classes, titles, dates, roles, sources, claims, names in every
    language: what drawings, paths and profiles show). A ranking without filters reads neither."""
    return read_landscapes(store, (parts,))[parts]


@cycles_uncollected()
def read_landscapes(store: GraphStore, wanted: Collection[frozenset[Part]],
                    subset: Collection[str] | None = None) -> dict[frozenset[Part], Landscape]:
    """``load_landscape(store, parts)`` for each ``parts`` in ``wanted``, the store read once (a
    build keeps several: graph.build.landscape_kept). With ``subset``, only the alliances,
    organisations and sources among those IRIs are read, as a whole reading gives them: what a
    build patches into the landscape it kept for the build before."""
    widest: frozenset[Part] = frozenset().union(*wanted)
    concept_labels, broader = read_concepts(store)
    alliances = {iri: Alliance(iri, _ident(iri)) for iri in sorted(_subjects(store, _only(ALLIANCES, subset)))}
    if "details" in widest:
        members = _read_parties_with_roles(store, alliances, subset)
    else:
        members = _read_members(store, alliances, subset)
        for iri, found in members.items():
            alliances[iri].parties = [(p, "") for p in sorted(found)]
    if "topics" in widest:
        _read_topics(store, alliances, broader, subset)
    sources: dict[str, Source] = {}
    scans = _Scans(store, subset)
    if "details" in widest:
        sources = _read_sources(scans)
        _read_details(scans, alliances)
    organisations = _read_organisations(scans, "details" in widest)
    whole = Landscape(alliances, organisations, concept_labels, sources, widest)
    unroled: dict[str, list[tuple[str, str]]] = {}  # each alliance's parties without roles, sorted once for every narrower reading
    if any("details" not in parts for parts in wanted if parts != widest):
        unroled = {iri: [(p, "") for p in sorted(found)] for iri, found in members.items()}
    return {parts: whole if parts == widest else _narrowed(whole, parts, unroled) for parts in wanted}


def read_concepts(store: GraphStore) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Each concept's display label and broader concepts, by concept key."""
    concept_labels: dict[str, str] = {}
    broader: dict[str, set[str]] = defaultdict(set)
    for row in select(store, CONCEPTS):
        key = concept_key(row["concept"].value)
        if row["label"] is not None:
            concept_labels[key] = row["label"].value
        if row["broader"] is not None:
            broader[key].add(concept_key(row["broader"].value))
    return concept_labels, broader


def _narrowed(whole: Landscape, parts: frozenset[Part], unroled: dict[str, list[tuple[str, str]]]) -> Landscape:
    """What ``load_landscape(store, parts)`` gives, from a reading of more parts: the fields of the
    other parts left empty, and parties without roles when details are not read (``unroled``: the
    parties each alliance names, whatever their roles, sorted). Nothing is shared with ``whole``:
    each landscape's sets, lists and dicts are its own."""
    topics, details = "topics" in parts, "details" in parts
    alliances = {}
    for iri, a in whole.alliances.items():
        b = Alliance(iri, a.id, parties=list(a.parties if details else unroled.get(iri, ())))
        if topics:
            b.type_key, b.materials, b.pathways, b.year, b.status = a.type_key, set(a.materials), set(a.pathways), a.year, a.status
            b.material_keys, b.pathway_keys, b.type_keys, b.status_keys = (set(a.material_keys), set(a.pathway_keys),
                                                                           set(a.type_keys), set(a.status_keys))
        if details:
            b.cls, b.titles, b.dates, b.start, b.end = a.cls, dict(a.titles), set(a.dates), a.start, a.end
            b.sources, b.claims, b.year_basis, b.title = list(a.sources), list(a.claims), a.year_basis, a.title
        alliances[iri] = b
    organisations = {iri: Organisation(iri, o.id, o.kind, {lang: list(v) for lang, v in o.names.items()} if details else {},
                                       o.sector, o.country, list(o.parents), o.label)
                     for iri, o in whole.organisations.items()}
    return Landscape(alliances, organisations, dict(whole.concept_labels), dict(whole.sources) if details else {}, parts)


def _read_members(store: GraphStore, alliances: dict[str, Alliance], subset: Collection[str] | None) -> dict[str, set[str]]:
    """The parties each alliance names, whatever their roles."""
    members: dict[str, set[str]] = defaultdict(set)
    for iri, party in _values(store, _only(PARTY_OF, subset)):
        if iri in alliances:
            members[iri].add(party)
    return members


def _read_parties_with_roles(store: GraphStore, alliances: dict[str, Alliance],
                             subset: Collection[str] | None = None) -> dict[str, set[str]]:
    """Three scans joined here: cheaper than the three-pattern join in the store (4.5 s against 3.6 s
    for 150,000 parties). A stated triple may come once per graph that states it: sets drop repeats.
    Of a few alliances (``subset``), the join in the store, limited to them, as ``add_details`` reads it.
    Returns the parties of each alliance whatever their roles (``_read_members``), from the same scans."""
    if subset is not None:
        chosen: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for row in select(store, _only(PARTY_AND_ROLE, subset)):
            if row[0].value in alliances:
                chosen[row[0].value].add((row[1].value, concept_key(row[2].value).rpartition("/")[2]))
        for iri, pairs in chosen.items():
            alliances[iri].parties = sorted(pairs)
        return _read_members(store, alliances, subset)
    owners: dict[str, list[str]] = {}
    for iri, node in _values(store, PROPERTY.replace("{p}", AL + "participation")):
        if iri in alliances:
            owners.setdefault(node, []).append(iri)
    party_of: dict[str, list[str]] = {}
    for node, party in _values(store, PROPERTY.replace("{p}", AL + "party")):
        if node in owners:
            party_of.setdefault(node, []).append(party)
    role_of: dict[str, list[str]] = {}
    role_ids: dict[str, str] = {}  # a few roles, named hundreds of thousands of times
    for node, role in _values(store, PROPERTY.replace("{p}", AL + "role")):
        if node in owners:
            if role not in role_ids:
                role_ids[role] = concept_key(role).rpartition("/")[2]
            role_of.setdefault(node, []).append(role_ids[role])
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    members: dict[str, set[str]] = defaultdict(set)
    for node, iris in owners.items():
        parties = party_of.get(node, ())
        joined = list(product(parties, role_of.get(node, ())))
        for iri in iris:
            found[iri].update(joined)
            members[iri].update(parties)
    for iri, pairs in found.items():
        alliances[iri].parties = sorted(pairs)
    return members


def _read_topics(store: GraphStore, alliances: dict[str, Alliance], broader: dict[str, set[str]],
                 subset: Collection[str] | None = None) -> None:
    closed: dict[str, tuple[str, frozenset[str]]] = {}  # concept IRI -> its key, and the key with every broader one

    def keys(term: str) -> tuple[str, frozenset[str]]:  # a few dozen concepts, named 35,000 times each
        if term not in closed:
            key = concept_key(term)
            closed[term] = key, frozenset({key} | broader.get(key, set()))
        return closed[term]

    for name, named, closed_under in (("material", "materials", "material_keys"), ("pathway", "pathways", "pathway_keys")):
        for iri, term in _values(store, _only(PROPERTY.replace("{p}", AL + name), subset)):
            if (a := alliances.get(iri)) is not None:
                key, closure = keys(term)
                getattr(a, named).add(key)
                getattr(a, closed_under).update(closure)
    for iri, term in _values(store, _only(PROPERTY.replace("{p}", AL + "allianceType"), subset)):
        if (a := alliances.get(iri)) is not None:
            a.type_key, closure = keys(term)
            a.type_keys |= closure
    for iri, term in _values(store, _only(PROPERTY.replace("{p}", AL + "currentStatus"), subset)):
        if (a := alliances.get(iri)) is not None:
            a.status, closure = keys(term)
            a.status_keys = set(closure)
    for iri, term in _values(store, _only(PROPERTY.replace("{p}", AL + "year"), subset)):
        if iri in alliances:
            alliances[iri].year = int(term)


def _read_sources(scans: _Scans) -> dict[str, Source]:
    graphs = scans.source_graphs()
    values: dict[str, dict[str, str]] = defaultdict(dict)
    for name, iri in (("title", AL + "displayLabel"), ("publisher", SCHEMA + "publisher"), ("url", SCHEMA + "url"),
                      ("published", SCHEMA + "datePublished"), ("copies", AL + "copiesTextOf")):
        for g, term, _ in scans.of(iri):
            if g in graphs:
                values[g].setdefault(name, term)
    found = {_ident(g): Source(_ident(g), v["title"], v["publisher"], v.get("url"), v.get("published"), v.get("copies"))
             for g, v in values.items() if "title" in v and "publisher" in v}
    return dict(sorted(found.items()))  # by id, not by the store's order of titles: a kept landscape is patched in that order


def _read_details(scans: _Scans, alliances: dict[str, Alliance]) -> None:
    """Classes, titles, dates, sources and claims of ``alliances``: of every alliance in a full
    reading, or of the reading's subset only (each query limited with VALUES)."""
    store, subset = scans.store, scans.subset
    for cls in ALLIANCE_CLASSES:
        for iri in _subjects(store, _only(OF_CLASS.replace("{c}", AL + cls), subset)):
            if iri in alliances:
                alliances[iri].cls = cls
    for iri, term, _ in scans.of(AL + "displayLabel"):
        if iri in alliances:
            alliances[iri].title = term
    for iri, term, _ in scans.of(AL + "yearBasis"):
        if iri in alliances:
            alliances[iri].year_basis = term
    titles: dict[str, dict[str, str]] = defaultdict(dict)  # the least title of each language
    for iri, term, lang in scans.of(SKOS + "prefLabel", language=True):
        if iri in alliances:
            least = titles[iri].get(lang)
            if least is None or term < least:
                titles[iri][lang] = term
    for iri, by_language in titles.items():
        alliances[iri].titles = dict(sorted(by_language.items()))
    signed: dict[str, list[str]] = defaultdict(list)  # signing event -> the alliances it signs
    for iri, event, _ in scans.of(AL + "signing"):
        if iri in alliances:
            signed[event].append(iri)
    for event, term, _ in scans.stated(SCHEMA + "startDate", signed):
        for iri in signed.get(event, ()):
            alliances[iri].dates.add(term)
    for name in ("start", "end"):
        for iri, term, _ in scans.stated(SCHEMA + f"{name}Date"):
            if iri in alliances:
                a = alliances[iri]
                setattr(a, name, min(filter(None, [getattr(a, name), term])))
    stating = [(iri, g) for iri, g in _values(store, _only(ALLIANCE_SOURCES, subset)) if iri in alliances]
    id_of = {g: _ident(g) for g in scans.source_graphs({g for _, g in stating})}
    found: dict[str, set[str]] = defaultdict(set)
    for iri, g in stating:
        if g in id_of:
            found[iri].add(id_of[g])
    for iri, ids in found.items():
        alliances[iri].sources = sorted(ids)
    claimed: set[str] = set()
    for row in select(store, _only(CLAIMS, subset, "about")):  # ?claim ?about ?value ?unit ?measure, by index
        if (about := row[1].value) in alliances:
            alliances[about].claims.append({"value": row[2].value, "unit": row[3].value, "measure": row[4].value})
            claimed.add(about)
    for iri in claimed:
        alliances[iri].claims.sort(key=_claim_order)


def _claim_order(claim: dict[str, str]) -> tuple[str, str]:
    return claim["measure"], claim["value"]


def _read_organisations(scans: _Scans, names: bool) -> dict[str, Organisation]:
    subset = scans.subset
    organisations = {iri: Organisation(iri, _ident(iri)) for iri in sorted(_subjects(scans.store, _only(ORGANISATIONS, subset)))}
    for iri, term, _ in scans.of(AL + "displayLabel"):
        if iri in organisations:
            organisations[iri].label = term
    for iri, term, _ in scans.of(AL + "sector"):
        if iri in organisations:
            organisations[iri].sector = concept_key(term)
    for iri, term, _ in scans.of(SCHEMA + "addressCountry"):
        if iri in organisations:
            organisations[iri].country = term
    for cls, kind in ORG_KINDS.items():
        if kind == "organisation":
            continue
        for iri in _subjects(scans.store, _only(OF_CLASS.replace("{c}", AL + cls), subset)):
            if iri in organisations and organisations[iri].kind == "organisation":
                organisations[iri].kind = kind
    if names:
        for column in ("prefLabel", "altLabel"):
            found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
            for iri, term, lang in scans.of(SKOS + column, language=True):
                if iri in organisations:
                    found[iri][lang].add(term)
            for iri, by_language in found.items():
                for lang, values in by_language.items():
                    bucket = organisations[iri].names.setdefault(lang, [])
                    bucket.extend(v for v in sorted(values) if v not in bucket)
    linked: set[str] = set()
    for row in select(scans.store, _only(PARENTS, subset, "org")):  # ?org ?relation ?parent ?g, by index
        if (org := row[0].value) in organisations:
            relation = "joint venture of" if row[1].value.endswith("jointVentureOf") else "part of"
            organisations[org].parents.append((row[2].value, relation, _ident(row[3].value)))
            linked.add(org)
    for iri in linked:
        organisations[iri].parents.sort()
    return organisations
