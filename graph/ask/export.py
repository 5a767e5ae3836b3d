"""``alliances export``: the whole graph as TriG, N-Quads, Turtle or JSON-LD.

TriG, N-Quads and JSON-LD keep the named graphs (and so the source of every fact); Turtle holds
one graph and gets the union of all of them.
"""
from __future__ import annotations

from enum import Enum
from typing import IO

import pyoxigraph as ox

from graph.rdf.store import GraphStore


class ExportFormat(str, Enum):
    TRIG = "trig"
    NQUADS = "nquads"
    TURTLE = "turtle"
    JSONLD = "jsonld"

    @property
    def rdf_format(self) -> ox.RdfFormat:
        return {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS,
                "turtle": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD}[self.value]


def export(store: GraphStore, output: IO[bytes], fmt: ExportFormat) -> None:
    store.export(output, fmt.rdf_format)
