"""One operation, run and serialised inside a query worker process (graph.serve.workers).

The worker serialises the whole result before it answers, within the row and byte limits, so a
client gets either all of it or an error with a reason, never a truncated 200. Results pass through
graph.safe_output (CSV/TSV formula cells, characters XML forbids) here, once, for every client.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph.rdf.formats import GRAPHS, RESULTS, listed
from graph.rdf.namespaces import PREFIXES  # the same predeclared prefixes as `alliances query`
from graph.rdf.sparql_text import has_keyword
from graph.serve.protocol import Operation, choose_format

if TYPE_CHECKING:
    import pyoxigraph as ox


@dataclass(frozen=True)
class Limits:
    """What one operation, one worker and one client may use."""

    max_rows: int
    max_result_bytes: int
    memory_bytes: int = 0  # anonymous resident memory of one worker; 0: unlimited
    client_workers: int = 1  # workers one client may hold at a time
    client_queue: int = 8  # requests one client may have waiting; beyond: 429


@dataclass(frozen=True)
class Outcome:
    status: int
    content_type: str
    body: bytes
    rows: int | None = None
    headers: dict[str, str] | None = None


def text_outcome(status: int, message: str, retry_after_s: float | None = None) -> Outcome:
    headers = None if retry_after_s is None else {"Retry-After": str(max(1, math.ceil(retry_after_s)))}
    return Outcome(status, "text/plain; charset=utf-8", (message + "\n").encode(), headers=headers)


class _TooLarge(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.cap:
            raise _TooLarge()
        return super().write(data)


def _count_rows(body: bytes, fmt: ox.QueryResultsFormat) -> int:
    import pyoxigraph as ox
    if fmt == ox.QueryResultsFormat.CSV:
        return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1)
    parsed = ox.parse_query_results(body, format=fmt)
    return sum(1 for _ in parsed) if isinstance(parsed, ox.QuerySolutions) else 1


def has_dataset_clause(text: str) -> bool:
    return has_keyword(text, "FROM")


def _made_safe(body: bytes, fmt: object, limits: Limits) -> bytes:
    """The serialised result under graph.safe_output's rules (CSV/TSV formula cells, characters
    XML forbids), still within the size limit."""
    from graph.safe_output import safe_serialisation
    safe = safe_serialisation(body, fmt)  # type: ignore[arg-type]
    if len(safe) > limits.max_result_bytes:
        raise _TooLarge()
    return safe


def execute(store: object, op: Operation, limits: Limits, union: bool) -> Outcome:
    """Run one operation on a pyoxigraph Store and serialise its result (in the worker).

    ``union``: whether Oxigraph's union stands in for the default graph (graph.rdf.store.union_default_graph
    decides, once per worker)."""
    import pyoxigraph as ox
    if op.kind == "update":
        try:
            store.update(op.text, base_iri=op.base)  # type: ignore[attr-defined]
        except SyntaxError as error:
            return text_outcome(400, f"SPARQL update syntax error: {error}")
        return Outcome(204, "text/plain", b"")
    kwargs: dict[str, object] = {"base_iri": op.base, "prefixes": PREFIXES}
    if op.default_graphs or op.named_graphs:  # the protocol's dataset replaces the query's (SPARQL 1.1 Protocol 2.1.4)
        kwargs["default_graph"] = [ox.NamedNode(g) for g in op.default_graphs]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in op.named_graphs]
    elif union and not has_dataset_clause(op.text):
        kwargs["use_default_graph_as_union"] = True
    try:
        result = store.query(op.text, **kwargs)  # type: ignore[attr-defined]
    except SyntaxError as error:
        return text_outcome(400, f"SPARQL syntax error: {error}")
    except ValueError as error:
        return text_outcome(400, f"bad request: {error}")
    try:
        if isinstance(result, ox.QueryTriples):
            graph_choice = choose_format(op.accept, GRAPHS)
            if graph_choice is None:
                return text_outcome(406, f"no acceptable RDF format; accept {listed(GRAPHS)}")
            media, rdf_format = graph_choice[0], graph_choice[1].format
            triples = []
            for triple in result:
                triples.append(triple)
                if len(triples) > limits.max_rows:
                    return text_outcome(400, f"the result has more than {limits.max_rows:,} triples; add LIMIT or narrow the query")
            buffer = _CappedBuffer(limits.max_result_bytes)
            ox.serialize(triples, buffer, format=rdf_format)
            return Outcome(200, media, _made_safe(buffer.getvalue(), rdf_format, limits), len(triples))
        results_choice = choose_format(op.accept, RESULTS)
        if results_choice is None:
            return text_outcome(406, f"no acceptable results format; accept {listed(RESULTS)}")
        media, fmt = results_choice[0], results_choice[1].format
        buffer = _CappedBuffer(limits.max_result_bytes)
        result.serialize(buffer, format=fmt)
        body = _made_safe(buffer.getvalue(), fmt, limits)
        rows = _count_rows(body, fmt)
        if rows > limits.max_rows:
            return text_outcome(400, f"the result has {rows:,} rows, over the limit of {limits.max_rows:,}; add LIMIT")
        charset = "" if "xml" in media else "; charset=utf-8"
        return Outcome(200, media + charset, body, rows)
    except _TooLarge:
        return text_outcome(400, f"the result is larger than {limits.max_result_bytes:,} bytes; add LIMIT or narrow the query")
