"""``alliances export``: the whole graph as TriG, N-Quads, Turtle or JSON-LD.

TriG, N-Quads and JSON-LD keep the named graphs (and so the source of every fact); Turtle holds
one graph and gets the union of all of them.
"""
from __future__ import annotations

from enum import Enum
from typing import IO

import pyoxigraph as ox

from graph.rdf.formats import GRAPHS, named
from graph.rdf.store import GraphStore


class ExportFormat(str, Enum):
    TRIG = "trig"
    NQUADS = "nquads"
    TURTLE = "turtle"
    JSONLD = "jsonld"

    @property
    def rdf_format(self) -> ox.RdfFormat:
        found = named(GRAPHS, self.value)
        assert found is not None, self.value  # each member is a name of graph.rdf.formats.GRAPHS (tests/test_formats.py)
        return found.format


def export(store: GraphStore, output: IO[bytes], fmt: ExportFormat) -> None:
    store.export(output, fmt.rdf_format)
