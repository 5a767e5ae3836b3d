"""Find entities by any of their names, in any language or script (``show``, ``search``, query
parameters).

Matching is on normalised names (graph.records.names.normalise: case, width and punctuation folded), so
'河钢集团', 'HBIS', 'hbis group' and 'Ｈｅｂｅｉ Ｉｒｏｎ ａｎｄ Ｓｔｅｅｌ Ｇｒｏｕｐ' find one organisation.
Order of trust: an id or IRI, then an exact name, then a name that starts with the text (so '河钢'
finds '河钢集团' when nothing else starts so); otherwise the text is unknown and the nearest names
are suggested. Fuzzy ranking uses rapidfuzz.

A query parameter's name is resolved once per opened build (``resolve_iri``): the same name asked
again of the same read-only store gives the IRI it gave, without the look-up (an ASK and the Python
around it, 0.05-0.09 ms, against 0.2-0.4 ms for the smallest named queries at 100,000 triples: too
much for 1.2x of raw pyoxigraph, ``scripts/bench query``). Only a store opened read-only keeps them:
its answers cannot change while it is open; a store in memory, one being built or served with
updates, and a remote store are asked every time. A name that resolves to nothing is not kept, so it
gets its error with suggestions every time.
"""
from __future__ import annotations

import os
import re
import weakref
from dataclasses import asdict, dataclass
from functools import lru_cache

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from graph.config import TAXONOMY_NS, Settings
from graph.errors import AmbiguousName, UnknownName
from graph.records.names import normalise
from graph.records.taxonomy import SCHEME_OF_FIELD
from graph.rdf.query_forms import ask, select
from graph.rdf.store import GraphStore, OxigraphStore

CONCEPT_KINDS = frozenset(SCHEME_OF_FIELD.values())  # kinds whose ids are concepts of a taxonomy
ID_LIKE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)?")
# Kinds in the order a bare name prefers them: 'steel' is the material before it is the sector.
KINDS = ("organisation", "alliance", "person", "plant", "material", "pathway", "platform", "post", "claim",
         "indicator", "sector", "alliance-type", "role", "status")

ENTITIES = """
SELECT DISTINCT ?entity ?kind ?label WHERE {
  VALUES (?class ?kind) {
    (org:Organization "organisation") (al:Alliance "alliance") (foaf:Person "person")
    (al:DataPlatform "platform") (org:Post "post") (al:Claim "claim") (al:Plant "plant") }
  ?entity a ?class .
  OPTIONAL { ?entity skos:prefLabel|skos:altLabel ?label }
}"""
CONCEPTS = """
SELECT DISTINCT ?entity ?label WHERE {
  ?entity skos:inScheme ?scheme ; skos:prefLabel|skos:altLabel ?label .
}"""
BY_KEY = """SELECT DISTINCT ?key ?e WHERE { ?e skos:hiddenLabel ?key }"""
DISPLAY_LABEL = """SELECT ?e ?l WHERE { ?e al:displayLabel ?l }"""


@dataclass(frozen=True)
class Match:
    """One search hit; ``id`` is what a user can type to name exactly this entity."""

    iri: str
    kind: str
    id: str
    label: str
    matched: str
    score: float

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def kind_and_id(iri: str) -> tuple[str, str]:
    """('organisation', 'hbis') for an entity IRI; ('material', 'green-steel') for a concept."""
    if iri.startswith(TAXONOMY_NS):
        kind, _, ident = iri.removeprefix(TAXONOMY_NS).partition("/")
        return kind, ident
    path = iri.rstrip("/").split("/")
    return (path[-2], path[-1]) if len(path) >= 2 else ("", iri)


def _all_names(store: GraphStore) -> list[tuple[str, str, str]]:
    """(iri, kind, label) for every name of every entity and concept."""
    names: list[tuple[str, str, str]] = []
    for row in select(store, ENTITIES):
        label = row["label"].value if row["label"] is not None else kind_and_id(row["entity"].value)[1]
        names.append((row["entity"].value, row["kind"].value, label))
    for row in select(store, CONCEPTS):
        names.append((row["entity"].value, kind_and_id(row["entity"].value)[0], row["label"].value))
    return names


def display_label(store: GraphStore, iri: str) -> str:
    """The name pages and answers show for ``iri``: its al:displayLabel, chosen at build time
    (graph/build/display.py); the id for an IRI the build gave none (a participation, an unknown IRI)."""
    for row in select(store, DISPLAY_LABEL, {"e": ox.NamedNode(iri)}):
        return str(row["l"].value)
    return kind_and_id(iri)[1]


@lru_cache(maxsize=4)
def _default_base(configured: str | None) -> str:
    """Settings().base, made once per value of ALLIANCES_BASE: Settings checks every setting, which
    costs a third of resolving an id."""
    return Settings().base


def _existing(store: GraphStore, iris: list[str]) -> list[str]:
    return [iri for iri in iris if ask(store, "ASK { ?e ?p ?o }", {"e": ox.NamedNode(iri)})]


def _kind_of(iri: str) -> str:
    return kind_and_id(iri)[0]


def resolve(store: GraphStore, text: str, kind: str | None = None, base: str | None = None) -> Match:
    """The one entity ``text`` names; raise AmbiguousName or UnknownName otherwise.

    Ids and exact names are looked up through the store's indexes (an IRI built from the id, the
    normalised skos:hiddenLabel); only a prefix or fuzzy match reads every name.
    """
    return _one(store, text, _named(store, text, kind, base))


# (text, kind, ALLIANCES_BASE) -> IRI, per store opened read-only; bounded: emptied when full.
_RESOLVED: weakref.WeakKeyDictionary[OxigraphStore, dict[tuple[str, str, str | None], str]] = weakref.WeakKeyDictionary()
RESOLVED_PER_STORE = 4096


def resolve_iri(store: GraphStore, text: str, kind: str) -> str:
    """The IRI of the one entity ``text`` names (as ``resolve``), without its display label: a
    query parameter needs only the IRI, and each look-up saved counts for a query of a millisecond.
    Kept per read-only store (see the module's docstring); an unknown or ambiguous name raises every time."""
    kept = _RESOLVED.get(store) if isinstance(store, OxigraphStore) and store.read_only else None
    key = (text, kind, os.environ.get("ALLIANCES_BASE"))  # the base makes an id's IRI
    if kept is not None and (iri := kept.get(key)) is not None:
        return iri
    chosen = _named(store, text, kind)
    iri = chosen[0] if len(chosen) == 1 else _one(store, text, chosen).iri
    if isinstance(store, OxigraphStore) and store.read_only:
        kept = _RESOLVED.setdefault(store, {})
        if len(kept) >= RESOLVED_PER_STORE:
            kept.clear()
        kept[key] = iri
    return iri


def _named(store: GraphStore, text: str, kind: str | None = None, base: str | None = None) -> list[str]:
    """The IRIs of the most preferred kind that ``text`` names, by the first rule that finds any (an
    id or IRI, an exact name, a name that starts with it); raise UnknownName when none does."""
    wanted = [kind] if kind else list(KINDS)
    text = text.strip()
    # 1. an IRI, or an id such as 'hbis' or 'material/green-steel'; a bare id is looked for where
    # its kind lives (a concept of a taxonomy, or an entity of the records): one look-up per kind
    if text.startswith(("http://", "https://")) and " " not in text:
        direct = _existing(store, [text])
    elif not ID_LIKE.fullmatch(text):
        direct = []
    else:
        base = base if base is not None else _default_base(os.environ.get("ALLIANCES_BASE"))
        path = text if "/" in text else None
        candidates = [f"{base}{path}", f"{TAXONOMY_NS}{path}"] if path else [
            f"{TAXONOMY_NS if k in CONCEPT_KINDS else base}{k}/{text}" for k in wanted]
        direct = _existing(store, candidates)
    direct = [iri for iri in direct if _kind_of(iri) in wanted]
    if direct:
        return _prefer_kind(direct)
    # 2. an exact name (any label, any language)
    key = normalise(text)
    exact = sorted({row["e"].value for row in select(store, BY_KEY, {"key": ox.Literal(key)})
                    if _kind_of(row["e"].value) in wanted}) if key else []
    if exact:
        return _prefer_kind(exact)
    # 3. a name that starts with the text, if only one entity has such a name
    names = _all_names(store)
    prefix = sorted({iri for iri, k, label in names if k in wanted and key and normalise(label).startswith(key)})
    if prefix:
        return _prefer_kind(prefix)
    suggestions = [m.label + f" ({m.kind}, id {m.id})" for m in search(store, text, kind=kind, limit=3, names=names)]
    raise UnknownName(text, suggestions)


def _one(store: GraphStore, text: str, chosen: list[str]) -> Match:
    if len(chosen) > 1:
        raise AmbiguousName(text, [(kind_and_id(i)[1], _kind_of(i), display_label(store, i)) for i in chosen])
    iri = chosen[0]
    return Match(iri, _kind_of(iri), kind_and_id(iri)[1], display_label(store, iri), text, 100.0)


def _rank(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def _prefer_kind(iris: list[str]) -> list[str]:
    """Among matches of several kinds keep the most preferred kind (see KINDS)."""
    best = min(_rank(_kind_of(i)) for i in iris)
    return [i for i in iris if _rank(_kind_of(i)) == best]


def search(store: GraphStore, text: str, kind: str | None = None, limit: int = 10,
           names: list[tuple[str, str, str]] | None = None) -> list[Match]:
    """Entities ranked by how well one of their names matches ``text`` (best first)."""
    key = normalise(text)
    if not key:
        return []
    names = [n for n in (names if names is not None else _all_names(store)) if kind is None or n[1] == kind]
    best: dict[str, tuple[float, str]] = {}
    choices = [normalise(label) for _, _, label in names]
    for index, (iri, _, label) in enumerate(names):
        candidate = choices[index]
        if candidate == key:
            score = 100.0
        elif candidate.startswith(key):
            score = 95.0
        elif key in candidate:
            score = 90.0
        else:
            continue
        if score > best.get(iri, (0.0, ""))[0]:
            best[iri] = (score, label)
    for _, score, index in process.extract(key, choices, scorer=fuzz.WRatio, limit=limit * 5, score_cutoff=75):
        iri, _, label = names[index]
        score = min(float(score), 89.0)
        if score > best.get(iri, (0.0, ""))[0]:
            best[iri] = (score, label)
    kinds = {iri: k for iri, k, _ in names}
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], _rank(kinds[item[0]]), item[0]))
    return [Match(iri, kinds[iri], kind_and_id(iri)[1], display_label(store, iri), matched, score)
            for iri, (score, matched) in ranked[:limit]]
