"""The project's own queries by form (SELECT, CONSTRUCT, ASK), each with the result type it gives.

``GraphStore.query`` returns ``QuerySolutions | QueryBoolean | QueryTriples`` because it runs
any SPARQL. A query written in this package has a known form; these helpers say which, so that a
type checker can follow the result, and a query of the wrong form fails where it runs instead of
deeper down (iterating a ``QueryBoolean``). User SPARQL keeps going through ``query``.
"""
from __future__ import annotations

from typing import TypeVar

import pyoxigraph as ox

from graph.rdf.store import GraphStore

Substitutions = dict[str, ox.NamedNode | ox.Literal]
T = TypeVar("T")


def select(store: GraphStore, sparql: str, substitutions: Substitutions | None = None) -> ox.QuerySolutions:
    """Run a SELECT query and return its solutions."""
    return _expect(store.query(sparql, substitutions), ox.QuerySolutions, "SELECT", sparql)


def construct(store: GraphStore, sparql: str, substitutions: Substitutions | None = None) -> ox.QueryTriples:
    """Run a CONSTRUCT (or DESCRIBE) query and return its triples."""
    return _expect(store.query(sparql, substitutions), ox.QueryTriples, "CONSTRUCT", sparql)


def ask(store: GraphStore, sparql: str, substitutions: Substitutions | None = None) -> bool:
    """Run an ASK query and return its answer."""
    return bool(_expect(store.query(sparql, substitutions), ox.QueryBoolean, "ASK", sparql))


def _expect(result: object, kind: type[T], form: str, sparql: str) -> T:
    if not isinstance(result, kind):
        start = " ".join(sparql.split())[:80]
        raise TypeError(f"The query '{start}' gave {type(result).__name__}, not {kind.__name__}: "
                        f"call the helper of its form, or write it as a {form} query.")
    return result
