"""Derived facts (partners, group membership), rebuilt with every build into their own graph.

Each ``derivations/*.rq`` file is a CONSTRUCT over the source graphs; its triples go into the
``derived`` graph, so a derived fact never pretends to come from a source.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings
from graph.namespaces import sparql_prologue
from graph.store import OxigraphStore

DERIVATIONS = Path(__file__).with_name("derivations")


def derive(store: OxigraphStore, settings: Settings) -> int:
    """Run every derivation; return how many triples were added."""
    triples: set[ox.Triple] = set()
    for path in sorted(DERIVATIONS.glob("*.rq")):
        triples.update(store.query(sparql_prologue() + path.read_text(encoding="utf-8")))
    data = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES)
    if data:
        store.load(data, ox.RdfFormat.N_TRIPLES, settings.graph_iri("derived"))
    return len(triples)
