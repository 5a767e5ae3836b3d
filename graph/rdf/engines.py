"""What SPARQL servers do differently, handled in one place so that every backend gives the
embedded store's answers (issue 13). The remote store (graph.rdf.remote) asks which engine
answers (the ``Server`` header of its first response) and lets it prepare each query and check
each answer.

- **The default graph.** The project's queries read the merge of the named graphs, each triple
  once, as their default graph, and the sources as named graphs (``GRAPH ?src``). The Oxigraph
  server has a default graph of its own, into which the merge is loaded, and needs nothing more.
  Virtuoso has none: a query without FROM reads every graph on the server, Virtuoso's own among
  them, and a triple stated by two sources counts twice. There the merge is loaded into the named
  graph MERGE_GRAPH, and each query is sent with Virtuoso's dataset pragmas: that graph as the
  default graph, and Virtuoso's system graphs not among the named graphs. Virtuoso's pragma that
  leaves a graph out of the named graphs leaves it out of the default graph too (the default graph
  was then empty), so ``GRAPH ?g { ... }`` is followed by ``FILTER (?g != <MERGE_GRAPH>)`` in the
  text sent instead. A query that names its own dataset (FROM) keeps it.
- **Publishing.** Virtuoso 7 does not isolate a query from an update running beside it: a query
  polling during a publish counted the old named graphs with the new typed triples, even with the
  update in one transaction (tests/test_remote_publish.py). And the graphs cannot be published
  under new names and pointed to: the named graphs' names are part of the answers. So a publish
  to Virtuoso marks itself in the graph PUBLICATION_GRAPH (``publication_mark``, one triple, its
  value unique to each mark), before the switch as 'switching' and after it as 'stable'; the
  reader (graph.rdf.remote) reads the mark after each query, and keeps an answer only if the mark
  read before the query (the last one read) was stable and the same: no switch overlapped the
  query. Otherwise it asks again when the switch is over, waiting at most its timeout. That costs
  one small query per query (docs/scaling.md gives the figure). The mark's graph is not taken
  out of the queries' named graphs: leaving it out, by the pragma or by a second FILTER, made
  Virtuoso drop a row of status-history. No pattern of the project's queries meets its one
  triple but ``GRAPH ?g { ?s ?p ?o }`` with nothing bound; the list of named graphs leaves it
  out (graph.rdf.remote). A server with no mark (loaded by other means) is stable.
- **Syntax.** Virtuoso 7 refuses a prefixed name with an escaped character (``tax:sector\\/steel``):
  such names are sent as full IRIs. It answers ASK as a one-row SELECT of ``__ASK_RETVAL`` (1 or
  0): that becomes the boolean again.
- **Values.** Virtuoso keeps an ``xsd:duration`` of years and months as a number of months and
  writes it so ("36"^^xsd:duration for "P3Y"): results get the duration back ("P3Y", "P1Y6M").
  It writes a boolean as "1" or "0": results get "true" and "false" back. It also takes
  "2024"^^xsd:gYear and "2024-01-01"^^xsd:date for one value, so its merge keeps one of the two
  where a subject has both: the network reads dates from the source graphs (graph.network.landscape).
- **Sorting long strings.** Virtuoso refuses to sort a row that holds a string over about 4,000
  characters (``SR319 Max row length is exceeded ... temp col``), such as a long GROUP_CONCAT under
  the query's ORDER BY. Then the query is sent again without its top-level ORDER BY and the answer
  is sorted by that same clause in an in-memory pyoxigraph store: the embedded store's own order,
  not a copy of SPARQL's ordering rules. Only where that gives the same answer: the clause reads
  projected variables only (no aggregate), and no LIMIT or OFFSET cuts the sorted answer.
- **Caps.** Virtuoso returns at most ResultSetMaxRows rows (10,000 by default) and says so only in
  an ``X-SPARQL-MaxRows`` header; at MaxQueryExecutionTime it sends what it has so far with status
  200 and ``X-SQL-State: S1TAT``. Either answer is refused with a message naming the setting to
  raise, never passed on as if it were whole. (Paging with LIMIT/OFFSET was not chosen: Virtuoso
  caps a sorted OFFSET at MaxSortedTopRows as well, and a query reordered for paging could change
  the order the project's answers are written in.)

No library knows these quirks, so this module is written by hand.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import json
import re

import pyoxigraph as ox

from graph.errors import AllianceError
from graph.rdf.namespaces import PREFIXES
from graph.rdf.sparql_text import insert, tokens
from graph.rdf.store import QueryResult

# Where a publish to Virtuoso says whether it is switching the graphs (see the module, 'Publishing').
PUBLICATION_GRAPH = "urn:alliance-graph:publication"
PUBLICATION_STATE = "urn:alliance-graph:publication-state"
STABLE, SWITCHING = "stable", "switching"
# Sent as it is (not through Engine.prepare, which leaves that graph out of the dataset).
PUBLICATION_QUERY = f"SELECT ?state WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ <{PUBLICATION_GRAPH}> <{PUBLICATION_STATE}> ?state }} }}"
# Where the merge of the named graphs lives on a server that has no default graph of its own (Virtuoso).
MERGE_GRAPH = "urn:alliance-graph:merge"
# Graphs a fresh Virtuoso holds for itself: its schema of RDF views and the LDP vocabulary.
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#")
DURATION = "http://www.w3.org/2001/XMLSchema#duration"
BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
ASK_VARIABLE = "__ASK_RETVAL"  # Virtuoso's one column for an ASK answer
SORT_REFUSED = "SR319"  # Virtuoso: 'Max row length is exceeded when trying to store a string of N chars into a temp col'
AGGREGATES = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})
# The probe sent first: its Server header names the engine, its answer says whether MERGE_GRAPH is there.
PROBE = f"ASK {{ GRAPH <{MERGE_GRAPH}> {{ ?s ?p ?o }} }}"


@dataclass(frozen=True)
class Engine:
    """A SPARQL server as this project needs to talk to it."""

    name: str
    virtuoso: bool = False  # Virtuoso's dataset (the merge in MERGE_GRAPH), syntax and values, as above

    def prepare(self, text: str) -> str:
        """The query text to send: with the dataset the project's queries expect."""
        if not self.virtuoso:
            return text
        pragmas = [f"DEFINE input:named-graph-exclude <{graph}>" for graph in VIRTUOSO_SYSTEM_GRAPHS]
        if not names_dataset(text):
            pragmas.insert(0, f"DEFINE input:default-graph-uri <{MERGE_GRAPH}>")
        return "\n".join(pragmas) + "\n" + without_graph(unescaped_names(text), MERGE_GRAPH)

    def results_body(self, body: bytes) -> bytes:
        """SPARQL JSON results with the values Virtuoso rewrites written back (durations, booleans)."""
        if not self.virtuoso or (DURATION.encode() not in body and BOOLEAN.encode() not in body):
            return body
        document = json.loads(body)
        for row in document.get("results", {}).get("bindings", []):
            for term in row.values():
                if term.get("datatype") == DURATION and str(term.get("value", "")).isdigit():
                    term["value"] = months_as_duration(int(term["value"]))
                elif term.get("datatype") == BOOLEAN and term.get("value") in ("0", "1"):
                    term["value"] = "true" if term["value"] == "1" else "false"
        return json.dumps(document).encode()

    def result(self, result: QueryResult) -> QueryResult:
        """The answer as SPARQL means it (Virtuoso's ASK as a boolean)."""
        if self.virtuoso and isinstance(result, ox.QuerySolutions) and \
                [v.value for v in result.variables] == [ASK_VARIABLE]:
            value = any(row[ASK_VARIABLE] is not None and row[ASK_VARIABLE].value not in ("0", "false") for row in result)
            return ox.parse_query_results(b'{"head":{},"boolean":%s}' % (b"true" if value else b"false"), ox.QueryResultsFormat.JSON)
        return result

    def refused_sort(self, detail: str) -> bool:
        """Whether the server refused a query for sorting a long string (see the module)."""
        return self.virtuoso and SORT_REFUSED in detail

    def check_complete(self, server: str, text: str, headers: Mapping[str, str]) -> None:
        """Raise if the server says it sent part of the answer only."""
        state = headers.get("x-sql-state")
        if state is not None:
            detail = " ".join(headers.get("x-sql-message", "").split()[:12])
            setting = "MaxQueryExecutionTime" if state == "S1TAT" else "the setting it names"
            raise AllianceError(f"the store {server} sent a partial answer (SQL state {state}: {detail}); "
                                f"raise {setting} in the [SPARQL] section of its virtuoso.ini, or narrow the query")
        capped = headers.get("x-sparql-maxrows")
        if capped is not None:
            limit = top_level_limit(text)
            if limit is None or limit > int(capped):
                raise AllianceError(f"the store {server} cut the answer at {capped} rows; raise ResultSetMaxRows in "
                                    "the [SPARQL] section of its virtuoso.ini above the largest answer expected, or narrow the query")


GENERIC = Engine("generic")
VIRTUOSO = Engine("virtuoso", virtuoso=True)


def publication_mark(state: str, build_id: str, nonce: str) -> str:
    """The update that replaces the publication mark (see the module): a value never written
    before (``nonce``), so that a reader that read the same value twice knows nothing happened."""
    value = f"{state} {build_id} {nonce}"
    return (f"INSERT DATA {{ GRAPH <{PUBLICATION_GRAPH}> {{ <{PUBLICATION_GRAPH}> <{PUBLICATION_STATE}> \"{value}\" }} }} ;\n"
            f"DELETE {{ GRAPH <{PUBLICATION_GRAPH}> {{ <{PUBLICATION_GRAPH}> <{PUBLICATION_STATE}> ?old }} }} "
            f"WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ <{PUBLICATION_GRAPH}> <{PUBLICATION_STATE}> ?old }} FILTER (STR(?old) != \"{value}\") }}")


def is_stable(marks: frozenset[str]) -> bool:
    """Whether the publication marks read say that no switch is running (none: never published so)."""
    return not any(mark.startswith(SWITCHING) for mark in marks)


def engine_of(server_header: str | None) -> Engine:
    """The engine behind a ``Server`` response header ('Virtuoso/07.20.3229 (Linux) ...')."""
    return VIRTUOSO if (server_header or "").lower().startswith("virtuoso") else GENERIC


def names_dataset(text: str) -> bool:
    """Whether the query has its own FROM or FROM NAMED (outside strings, IRIs and comments)."""
    return "FROM" in text.upper() and any(token.keyword == "FROM" for token in tokens(text))


def top_level_limit(text: str) -> int | None:
    """The LIMIT of the query itself (not of a sub-select inside its braces), if it has one."""
    found = [token for token in tokens(text) if token.depth == 0]
    for token, following in zip(found, found[1:]):
        if token.keyword == "LIMIT" and following.text.isdigit():
            return int(following.text)
    return None


def split_order(text: str) -> tuple[str, str] | None:
    """The query without its top-level ORDER BY, and that clause; None if it has none, or if the
    clause cannot be applied to the answer alone (an aggregate in it, a LIMIT or OFFSET after it)."""
    found = [token for token in tokens(text) if token.depth == 0]
    starts = [index for index, (token, following) in enumerate(zip(found, found[1:]))
              if token.keyword == "ORDER" and following.keyword == "BY"]
    if not starts:
        return None
    clause = found[starts[-1]:]
    if any(token.keyword in AGGREGATES or token.keyword in ("LIMIT", "OFFSET") for token in clause):
        return None
    end = next((token.start for token in clause if token.keyword == "VALUES"), len(text))
    return text[:clause[0].start] + text[end:], text[clause[0].start:end]


def sorted_locally(result: QueryResult, order: str, text: str) -> ox.QuerySolutions | None:
    """``result`` sorted by the ORDER BY clause ``order`` of the query ``text``, by pyoxigraph;
    None where that cannot be the server's answer (a variable the answer lacks, a blank node)."""
    if not isinstance(result, ox.QuerySolutions):
        return None
    names = [variable.value for variable in result.variables]
    if not names or not {token.text[1:] for token in tokens(order) if token.text[0] in "?$"} <= set(names):
        return None
    rows: list[str] = []
    for solution in result:
        cells = [solution[name] for name in names]
        if any(cell is not None and not isinstance(cell, (ox.NamedNode, ox.Literal)) for cell in cells):
            return None  # VALUES cannot hold a blank node
        rows.append("(" + " ".join("UNDEF" if cell is None else str(cell) for cell in cells) + ")")
    variables = " ".join(f"?{name}" for name in names)
    sorted_ = ox.Store().query(f"SELECT {variables} WHERE {{ VALUES ({variables}) {{\n" + "\n".join(rows) + f"\n}} }}\n{order}\n",
                               prefixes={**PREFIXES, **dict(_DECLARED.findall(text))})
    assert isinstance(sorted_, ox.QuerySolutions)
    return sorted_


def without_graph(text: str, graph: str) -> str:
    """The query with ``FILTER (?g != <graph>)`` after each ``GRAPH ?g { ... }``, in the same group,
    so that the variable never names ``graph``."""
    found = list(tokens(text))
    insertions: list[tuple[int, str]] = []
    for index, token in enumerate(found[:-2]):
        variable, opening = found[index + 1], found[index + 2]
        if token.keyword == "GRAPH" and variable.text[0] in "?$" and opening.text == "{":
            closing = next((t for t in found[index + 3:] if t.text == "}" and t.depth == opening.depth), None)
            if closing is not None:
                insertions.append((closing.start + 1, f" FILTER ({variable.text} != <{graph}>)"))
    return insert(text, insertions)


_DECLARED = re.compile(r"PREFIX\s+([^\s:]*):\s*<([^>]*)>", re.IGNORECASE)
_ESCAPE = re.compile(r"\\(.)")


def unescaped_names(text: str) -> str:
    """The query with each prefixed name that holds a backslash escape written as a full IRI."""
    if "\\" not in text:
        return text
    namespaces = {**PREFIXES, **dict(_DECLARED.findall(text))}
    replaced = text
    for token in reversed(list(tokens(text))):
        name = token.text.rstrip(".")  # a local name does not end with a dot: that one ends the triple
        prefix, colon, local = name.partition(":")
        if colon and "\\" in local and name[0] not in "?$" and prefix in namespaces:
            iri = namespaces[prefix] + _ESCAPE.sub(r"\1", local)
            replaced = replaced[:token.start] + f"<{iri}>" + replaced[token.start + len(name):]
    return replaced


def months_as_duration(months: int) -> str:
    """36 -> 'P3Y', 18 -> 'P1Y6M', 9 -> 'P9M', 0 -> 'P0M' (how the records write durations)."""
    years, rest = divmod(months, 12)
    return "P" + (f"{years}Y" if years else "") + (f"{rest}M" if rest or not years else "")
