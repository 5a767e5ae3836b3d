"""Derived facts (partners, group membership, the alliance's year, display labels, matchable
labels), rebuilt with every build into their own graph.

Each ``derivations/*.rq`` file is a CONSTRUCT over the source graphs; its triples go into the
``derived`` graph, so a derived fact never pretends to come from a source. Display labels
(graph.build.display) and normalised labels (graph.records.names) need Python, so they are made here.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO

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


def derive(store: OxigraphStore, settings: Settings) -> None:
    """Run every derivation and load what they make into the derived graph.

    The CONSTRUCTs' triples are serialised by the store itself, never made Python objects (a
    fifth of the derivation's time at 100,000 triples); the store keeps a triple stated twice once.
    The summaries (``derivations/summaries/*.rq``: the lists that answers show) run second, because
    they read the display labels and groups that the first stage loads."""
    with tempfile.TemporaryFile() as derived:
        _construct_all(store, DERIVATIONS, derived)
        # Concepts of the taxonomies get the same normalised labels as records (graph.records.names), so
        # that one exact-match lookup finds "绿钢" or "Green Steel" as it finds "HBIS".
        triples: set[ox.Triple] = set()
        for row in select(store, UNMATCHABLE_LABELS):
            if key := normalise(row["label"].value):
                triples.add(ox.Triple(row["entity"], HIDDEN_LABEL, ox.Literal(key)))
        triples |= display_triples(store, settings)
        ox.serialize(triples, derived, format=ox.RdfFormat.N_TRIPLES)
        _load(store, derived, settings)
    with tempfile.TemporaryFile() as summaries:
        _construct_all(store, DERIVATIONS / "summaries", summaries)
        _load(store, summaries, settings)


def _construct_all(store: OxigraphStore, folder: Path, out: IO[bytes]) -> None:
    """Every CONSTRUCT of ``folder`` (not its subfolders), its triples written to ``out`` as N-Triples."""
    for path in sorted(folder.glob("*.rq")):
        construct(store, path.read_text(encoding="utf-8")).serialize(out, format=ox.RdfFormat.N_TRIPLES)


def _load(store: OxigraphStore, triples: IO[bytes], settings: Settings) -> None:
    """Load into the derived graph and, in a store that holds the merge of its graphs (an
    incremental build's copy), into the merge too: the summaries read the first stage there."""
    for graph in (settings.graph_iri("derived"), None) if store.holds_merge else (settings.graph_iri("derived"),):
        triples.seek(0)
        store.load(triples, ox.RdfFormat.N_TRIPLES, graph)
