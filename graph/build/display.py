"""Display values: the one name (or text) of each entity that answers, profiles and pages show.

An entity has a preferred name per language, and a claim or a signing has texts in several
languages. Which one to show is decided here, once per build, and stored in the derived graph
(``al:displayLabel``, ``al:displayMeasure`` ...), so that every query and page reads the same choice
instead of repeating a language rule. The rule:

1. the property: for ``al:displayLabel``, ``skos:prefLabel``, else ``dcterms:title`` (sources),
   else ``rdfs:label`` (ontology terms); the other display properties have one source property;
2. the language, in the order of ``Settings.label_languages`` (``ALLIANCES_LABEL_LANGUAGES``,
   default en, zh, de, ja, ko). A tag matches an entry that equals it or that it extends after a
   hyphen, as SPARQL's ``langMatches`` does: 'zh' covers 'zh-hant'. Languages not in the list, and
   texts without a language, come after every listed language;
3. ties are broken by the tag ('zh' before 'zh-hant'), then by the text in code-point order.

An alliance, organisation, person, post, platform, plant, claim or source with no name at all is shown
by its id (the last segment of its IRI). The choice keeps its language tag; an id has none.
"""
from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from graph.build.reach import scoped
from graph.config import Settings
from graph.rdf.namespaces import AL, SCHEMA
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

# (source property, display property, tier): within one display property a lower tier wins.
DISPLAYED = (
    ("http://www.w3.org/2004/02/skos/core#prefLabel", AL.displayLabel, 0),
    ("http://purl.org/dc/terms/title", AL.displayLabel, 1),
    ("http://www.w3.org/2000/01/rdf-schema#label", AL.displayLabel, 2),
    (str(AL.measure), AL.displayMeasure, 0),
    (str(AL.scope), AL.displayScope, 0),
    (str(SCHEMA.description), AL.displayDescription, 0),
    (str(SCHEMA.addressRegion), AL.displayRegion, 0),
    (str(SCHEMA.location), AL.displayLocation, 0),
    (str(SCHEMA.address), AL.displayLocation, 0),  # a plant's town
)
NAMED_CLASSES = ("al:Alliance", "org:Organization", "foaf:Person", "org:Post", "al:DataPlatform", "al:Plant", "al:Claim",
                 "schema:CreativeWork")

CANDIDATES = """
SELECT DISTINCT ?entity ?display ?tier ?text WHERE {
  #@scope ?entity
  VALUES (?property ?display ?tier) { %s }
  ?entity ?property ?text .
  FILTER (isIRI(?entity) && isLiteral(?text))
}""" % " ".join(f"(<{prop}> <{display}> {tier})" for prop, display, tier in DISPLAYED)
NAMED_ENTITIES = """
SELECT DISTINCT ?entity WHERE {
  #@scope ?entity
  VALUES ?class { %s } ?entity a ?class FILTER (isIRI(?entity))
}""" % " ".join(NAMED_CLASSES)
# What an entity's display values read (graph.build.reach): its names and texts, and its types.
READS = ("a",) + tuple(dict.fromkeys(f"<{prop}>" for prop, _, _ in DISPLAYED))

Preference = tuple[int, int, str, str]


def language_rank(tag: str, languages: Sequence[str]) -> int:
    """Position of the first entry of ``languages`` that ``tag`` matches; len(languages) if none."""
    tag = tag.lower()
    for index, wanted in enumerate(language.lower() for language in languages):
        if tag == wanted or tag.startswith(wanted + "-"):
            return index
    return len(languages)


def preference(text: ox.Literal, tier: int, languages: Sequence[str]) -> Preference:
    """Sort key of a candidate: the smallest is shown (see the module docstring)."""
    tag = (text.language or "").lower()
    return (tier, language_rank(tag, languages) if tag else len(languages), tag, text.value)


def display_triples(store: OxigraphStore, settings: Settings, within: set[str] | None = None) -> set[ox.Triple]:
    """One triple per entity and display property, for the derived graph: of every entity, or of
    the entities ``within`` (an incremental build's, graph.build.reach)."""
    best: dict[tuple[ox.NamedNode, ox.NamedNode], tuple[Preference, ox.Literal]] = {}
    for row in select(store, scoped(CANDIDATES, within)):
        key = (row["entity"], row["display"])
        ranked = preference(row["text"], int(row["tier"].value), settings.label_languages)
        if key not in best or ranked < best[key][0]:
            best[key] = (ranked, row["text"])
    chosen = {key: text for key, (_, text) in best.items()}
    label = ox.NamedNode(str(AL.displayLabel))
    for row in select(store, scoped(NAMED_ENTITIES, within)):
        chosen.setdefault((row["entity"], label), ox.Literal(row["entity"].value.rstrip("/").rsplit("/", 1)[-1]))
    return {ox.Triple(entity, display, text) for (entity, display), text in chosen.items()}
