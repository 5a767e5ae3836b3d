"""Find entities by any of their names, in any language or script (``show``, ``search``, query
parameters).

Matching is on normalised names (graph.names.normalise: case, width and punctuation folded), so
'河钢集团', 'HBIS', 'hbis group' and 'Ｈｅｂｅｉ Ｉｒｏｎ ａｎｄ Ｓｔｅｅｌ Ｇｒｏｕｐ' find one organisation.
Order of trust: an id or IRI, then an exact name, then a name that starts with the text (so '河钢'
finds '河钢集团' when nothing else starts so); otherwise the text is unknown and the nearest names
are suggested. Fuzzy ranking uses rapidfuzz.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from graph.config import TAXONOMY_NS
from graph.errors import AmbiguousName, UnknownName
from graph.names import normalise
from graph.store import GraphStore

# Kinds in the order a bare name prefers them: 'steel' is the material before it is the sector.
KINDS = ("organisation", "alliance", "person", "material", "pathway", "platform", "post", "claim",
         "indicator", "sector", "alliance-type", "role")

ENTITIES = """
SELECT ?entity ?kind ?label ?key WHERE {
  VALUES (?class ?kind) {
    (org:Organization "organisation") (al:Alliance "alliance") (foaf:Person "person")
    (al:DataPlatform "platform") (org:Post "post") (al:Claim "claim") }
  ?entity a ?class .
  OPTIONAL { ?entity skos:prefLabel|skos:altLabel ?label . BIND (1 AS ?key) }
}"""
CONCEPTS = """
SELECT ?entity ?scheme ?label WHERE {
  ?entity skos:inScheme ?scheme ; skos:prefLabel|skos:altLabel ?label .
}"""
BY_KEY = """
SELECT DISTINCT ?entity WHERE { ?entity skos:hiddenLabel ?key }"""


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
    for row in store.query(ENTITIES):
        label = row["label"].value if row["label"] is not None else kind_and_id(row["entity"].value)[1]
        names.append((row["entity"].value, row["kind"].value, label))
    for row in store.query(CONCEPTS):
        names.append((row["entity"].value, kind_and_id(row["entity"].value)[0], row["label"].value))
    return names


def preferred_label(store: GraphStore, iri: str, languages: tuple[str, ...] = ("en", "zh", "de")) -> str:
    labels = {row["l"].language or "": row["l"].value
              for row in store.query("SELECT ?e ?l WHERE { ?e skos:prefLabel ?l }", {"e": ox.NamedNode(iri)})}
    for lang in languages:
        if lang in labels:
            return labels[lang]
    return next(iter(sorted(labels.values())), kind_and_id(iri)[1])


def resolve(store: GraphStore, text: str, kind: str | None = None) -> Match:
    """The one entity ``text`` names; raise AmbiguousName or UnknownName otherwise."""
    wanted = [kind] if kind else list(KINDS)
    text = text.strip()
    key = normalise(text)
    names = _all_names(store)
    by_iri: dict[str, tuple[str, str]] = {}
    for iri, k, label in names:
        by_iri.setdefault(iri, (k, label))
    # 1. an IRI, or an id such as 'hbis' or 'material/green-steel'
    direct = [iri for iri, (k, _) in by_iri.items()
              if k in wanted and (iri == text or kind_and_id(iri)[1] == text or "/".join(kind_and_id(iri)) == text)]
    # 2. an exact name  3. a unique name that starts with the text
    exact = sorted({iri for iri, k, label in names if k in wanted and normalise(label) == key})
    prefix = sorted({iri for iri, k, label in names if k in wanted and key and normalise(label).startswith(key)})
    for found in (direct, exact, prefix):
        chosen = _prefer_kind(found, by_iri)
        if len(chosen) == 1:
            iri = chosen[0]
            k, _ = by_iri[iri]
            return Match(iri, k, kind_and_id(iri)[1], preferred_label(store, iri), text, 100.0)
        if len(chosen) > 1:
            raise AmbiguousName(text, [(kind_and_id(i)[1], by_iri[i][0], preferred_label(store, i)) for i in chosen])
    suggestions = [m.label + f" ({m.kind}, id {m.id})" for m in search(store, text, kind=kind, limit=3, names=names)]
    raise UnknownName(text, suggestions)


def _prefer_kind(iris: list[str], by_iri: dict[str, tuple[str, str]]) -> list[str]:
    """Among matches of several kinds keep the most preferred kind (see KINDS)."""
    if not iris:
        return []
    best = min(KINDS.index(by_iri[i][0]) if by_iri[i][0] in KINDS else len(KINDS) for i in iris)
    return [i for i in iris if (KINDS.index(by_iri[i][0]) if by_iri[i][0] in KINDS else len(KINDS)) == best]


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
    for _, score, index in process.extract(key, choices, scorer=fuzz.WRatio, limit=limit * 5, score_cutoff=60):
        iri, _, label = names[index]
        score = min(float(score), 89.0)
        if score > best.get(iri, (0.0, ""))[0]:
            best[iri] = (score, label)
    kinds = {iri: k for iri, k, _ in names}
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], KINDS.index(kinds[item[0]]) if kinds[item[0]] in KINDS else 99, item[0]))
    return [Match(iri, kinds[iri], kind_and_id(iri)[1], preferred_label(store, iri), matched, score)
            for iri, (score, matched) in ranked[:limit]]
