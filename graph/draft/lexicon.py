"""What the graph already knows, read once from the built store: every organisation's names in
every language and script, its sector and kind, and the taxonomy concepts with their labels and
broader concepts. The extractors match text against these, so a name added to data/ is found in
the next draft without touching this code.

Chinese is folded to simplified characters with OpenCC (its dictionaries ship in the wheel), on
both sides, so '河鋼集團' in an article finds the label '河钢集团'.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graph.ask.resolve import kind_and_id
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore

ORGANISATIONS = """
SELECT ?o ?label ?sector ?kind WHERE {
  ?o a org:Organization .
  OPTIONAL { ?o skos:prefLabel|skos:altLabel ?label }
  OPTIONAL { ?o al:sector ?sector }
  OPTIONAL { ?o a ?kind FILTER(?kind IN (al:CorporateGroup, al:JointVenture, al:UnnamedParty)) }
}"""
POSTS = """SELECT ?p WHERE { ?p a org:Post }"""
CONCEPTS = """
SELECT ?c ?label ?broader WHERE {
  ?c skos:inScheme ?scheme .
  OPTIONAL { ?c skos:prefLabel|skos:altLabel ?label }
  OPTIONAL { ?c skos:broader ?broader }
}"""


@dataclass
class Organisation:
    id: str
    names: set[str] = field(default_factory=set)
    sector: str | None = None
    unnamed: bool = False


@dataclass
class Concept:
    scheme: str
    id: str
    labels: dict[str, set[str]] = field(default_factory=dict)  # language -> labels
    broader: set[str] = field(default_factory=set)


@dataclass(eq=False)  # hashed by identity: extractors cache their indexes per lexicon
class Lexicon:
    organisations: dict[str, Organisation]
    concepts: dict[tuple[str, str], Concept]  # (scheme, id)
    posts: frozenset[str] = frozenset()  # ids of posts data/ defines: a draft's new post must not reuse one

    def scheme(self, name: str) -> list[Concept]:
        return [c for (scheme, _), c in sorted(self.concepts.items()) if scheme == name]

    def ancestors(self, scheme: str, ident: str) -> set[str]:
        """Every broader concept of ``ident``, transitively."""
        seen: set[str] = set()
        todo = [ident]
        while todo:
            concept = self.concepts.get((scheme, todo.pop()))
            for up in (concept.broader if concept else set()):
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        return seen


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` with traditional Chinese characters as simplified ones (other scripts unchanged)."""
    if not any("\u3400" <= char <= "\u9fff" for char in text):
        return text
    return str(_converter().convert(text))


def load_lexicon(store: GraphStore) -> Lexicon:
    organisations: dict[str, Organisation] = {}
    for row in select(store, ORGANISATIONS):
        ident = kind_and_id(row["o"].value)[1]
        entry = organisations.setdefault(ident, Organisation(ident))
        if row["label"] is not None:
            entry.names.add(row["label"].value)
        if row["sector"] is not None:
            entry.sector = kind_and_id(row["sector"].value)[1]
        if row["kind"] is not None and row["kind"].value.endswith("UnnamedParty"):
            entry.unnamed = True
    concepts: dict[tuple[str, str], Concept] = {}
    for row in select(store, CONCEPTS):
        scheme, ident = kind_and_id(row["c"].value)
        concept = concepts.setdefault((scheme, ident), Concept(scheme, ident))
        if row["label"] is not None:
            concept.labels.setdefault(row["label"].language or "", set()).add(row["label"].value)
        if row["broader"] is not None:
            concept.broader.add(kind_and_id(row["broader"].value)[1])
    posts = frozenset(kind_and_id(row["p"].value)[1] for row in select(store, POSTS))
    return Lexicon(organisations, concepts, posts)
