"""Find entities by any of their names, in any language or script (``show``, ``search``, query
parameters).

Matching is on normalised names (graph.records.names.normalise: case, width and punctuation folded), so
'河钢集团', 'HBIS', 'hbis group' and 'Ｈｅｂｅｉ Ｉｒｏｎ ａｎｄ Ｓｔｅｅｌ Ｇｒｏｕｐ' find one organisation.
Order of trust: an id or IRI, then an exact name, then a name that starts with the text (so '河钢'
finds '河钢集团' when nothing else starts so); otherwise the text is unknown and the nearest names
are suggested. Fuzzy ranking uses rapidfuzz.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from graph.config import TAXONOMY_NS, Settings
from graph.errors import AmbiguousName, UnknownName
from graph.records.names import normalise
from graph.rdf.query_forms import ask, select
from graph.rdf.store import GraphStore

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


def _existing(store: GraphStore, iris: list[str]) -> list[str]:
    return [iri for iri in iris if ask(store, "ASK { ?e ?p ?o }", {"e": ox.NamedNode(iri)})]


def _kind_of(iri: str) -> str:
    return kind_and_id(iri)[0]


def resolve(store: GraphStore, text: str, kind: str | None = None, base: str | None = None) -> Match:
    """The one entity ``text`` names; raise AmbiguousName or UnknownName otherwise.

    Ids and exact names are looked up through the store's indexes (an IRI built from the id, the
    normalised skos:hiddenLabel); only a prefix or fuzzy match reads every name.
    """
    wanted = [kind] if kind else list(KINDS)
    text = text.strip()
    key = normalise(text)
    base = base if base is not None else Settings().base
    # 1. an IRI, or an id such as 'hbis' or 'material/green-steel'
    if text.startswith(("http://", "https://")) and " " not in text:
        direct = _existing(store, [text])
    elif not ID_LIKE.fullmatch(text):
        direct = []
    else:
        path = text if "/" in text else None
        candidates = [f"{base}{path}", f"{TAXONOMY_NS}{path}"] if path else [
            iri for k in wanted for iri in (f"{base}{k}/{text}", f"{TAXONOMY_NS}{k}/{text}")]
        direct = _existing(store, candidates)
    direct = [iri for iri in direct if _kind_of(iri) in wanted]
    # 2. an exact name (any label, any language)
    exact = sorted({row["e"].value for row in select(store, BY_KEY, {"key": ox.Literal(key)})
                    if _kind_of(row["e"].value) in wanted}) if key else []
    for found in (direct, exact):
        if found:
            return _one(store, text, _prefer_kind(found))
    # 3. a name that starts with the text, if only one entity has such a name
    names = _all_names(store)
    prefix = sorted({iri for iri, k, label in names if k in wanted and key and normalise(label).startswith(key)})
    if prefix:
        return _one(store, text, _prefer_kind(prefix))
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


def resolve_iri(store: GraphStore, text: str, kind: str) -> str:
    return resolve(store, text, kind).iri


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
