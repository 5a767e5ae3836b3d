"""Derived facts (partners, group membership, the alliance's year, display labels, matchable
labels), rebuilt with every build into their own graph.

Each ``derivations/*.rq`` file is a CONSTRUCT over the source graphs; its triples go into the
``derived`` graph, so a derived fact never pretends to come from a source. Display labels
(graph.build.display) and normalised labels (graph.records.names) need Python, so they are made here.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings
from graph.build.display import display_triples
from graph.records.names import normalise
from graph.rdf.query_forms import construct, select
from graph.rdf.store import OxigraphStore

DERIVATIONS = Path(__file__).with_name("derivations")


UNMATCHABLE_LABELS = """
SELECT DISTINCT ?entity ?label WHERE {
  ?entity skos:prefLabel|skos:altLabel ?label .
  FILTER NOT EXISTS { ?entity skos:hiddenLabel ?any }
}"""
HIDDEN_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#hiddenLabel")


def derive(store: OxigraphStore, settings: Settings) -> int:
    """Run every derivation; return how many triples were added."""
    triples: set[ox.Triple] = set()
    for path in sorted(DERIVATIONS.glob("*.rq")):
        triples.update(construct(store, path.read_text(encoding="utf-8")))
    # Concepts of the taxonomies get the same normalised labels as records (graph.records.names), so
    # that one exact-match lookup finds "绿钢" or "Green Steel" as it finds "HBIS".
    for row in select(store, UNMATCHABLE_LABELS):
        if key := normalise(row["label"].value):
            triples.add(ox.Triple(row["entity"], HIDDEN_LABEL, ox.Literal(key)))
    triples |= display_triples(store, settings)
    data = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES)
    if data:
        store.load(data, ox.RdfFormat.N_TRIPLES, settings.graph_iri("derived"))
    # Summaries (derivations/summaries/*.rq: the lists answers show) read the labels and groups above.
    summaries = {t for path in sorted((DERIVATIONS / "summaries").glob("*.rq"))
                 for t in construct(store, path.read_text(encoding="utf-8"))}
    if data := ox.serialize(sorted(summaries, key=str), format=ox.RdfFormat.N_TRIPLES):
        store.load(data, ox.RdfFormat.N_TRIPLES, settings.graph_iri("derived"))
    return len(triples) + len(summaries)
