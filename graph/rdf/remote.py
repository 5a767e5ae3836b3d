"""A SPARQL 1.1 endpoint on a server as the store that commands read (issue 13, first part).

Queries go out by the SPARQL 1.1 Protocol (POST, URL-encoded) and their results
come back as SPARQL JSON, parsed by pyoxigraph, so that every caller gets the same solution objects
as from the embedded store. What the embedded store gives for free is done here once:

- the project's prefixes are declared in the text sent (the embedded store predeclares them);
- a bound parameter (pyoxigraph's ``substitutions``) becomes a ``VALUES`` block at the start of
  the WHERE clause, placed on the query's tokens (graph.rdf.sparql_text);
- a response is read within a size limit and a timeout, redirects are not followed (an endpoint
  that redirects elsewhere is an error, not a hop to an address nobody configured), and
  credentials come from the environment (graph.rdf.location) as HTTP Basic authentication;
- what engines do differently (the default graph, capped or partial answers, Virtuoso's reads
  not isolated from a publish) is handled by the engine that answers (graph.rdf.engines), found
  with one probe before the first query.

httpx is the HTTP client: it streams, bounds every phase with timeouts and never follows a
redirect unless asked.
"""
from __future__ import annotations

import os
import time
from typing import IO

import httpx
import pyoxigraph as ox

from graph.errors import AllianceError
from graph.rdf.engines import (MERGE_GRAPH, PROBE, PUBLICATION_GRAPH, PUBLICATION_QUERY, Engine, engine_of, is_stable, sorted_locally,
                               split_order)
from graph.rdf.location import RemoteEndpoint
from graph.rdf.namespaces import PREFIXES
from graph.rdf.sparql_text import insert, undeclared_prefixes, where_body_offset
from graph.rdf.store import QueryResult, unique

RESULTS_JSON = ox.QueryResultsFormat.JSON.media_type  # one home for media types: pyoxigraph and graph.rdf.formats
# A results document larger than this is refused rather than held in memory (ALLIANCES_STORE_MAX_BYTES).
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
TIMEOUT_SECONDS = 120.0  # ALLIANCES_STORE_TIMEOUT; also the longest wait for a publish's switch to end
SWITCH_POLL_SECONDS = 0.2
# The graphs of the dataset, without a server's description of itself (Virtuoso keeps one in a
# graph named after its endpoint) and a publication mark (graph.rdf.engines, 'Publishing').
DATASET_GRAPHS = f"""GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{PUBLICATION_GRAPH}>)
  FILTER NOT EXISTS {{ GRAPH ?g {{ ?g a <http://www.w3.org/ns/sparql-service-description#Service> }} }}"""
NAMED_GRAPHS = f"SELECT DISTINCT ?g WHERE {{ {DATASET_GRAPHS} }}"
EXPORT_QUADS = f"SELECT ?s ?p ?o ?g WHERE {{ {DATASET_GRAPHS} }}"


def http_client(endpoint: RemoteEndpoint, timeout: float, connections: int | None = None) -> httpx.Client:
    """The one HTTP client to a store: every phase within ``timeout``, credentials from the
    environment, no redirect followed, no proxy settings read; ``connections`` kept open at most."""
    auth = httpx.BasicAuth(endpoint.user, endpoint.password or "") if endpoint.user else None
    if connections is None:  # httpx's own pool limits
        return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False, auth=auth)
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False, auth=auth,
                        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))


class Refused(AllianceError):
    """The server answered a query with an error; ``detail`` is the start of its message."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class TooLarge(AllianceError):
    """The store sent more than ``RemoteStore.max_bytes`` for one query: the reading was stopped there."""


class TimedOut(AllianceError):
    """The store sent nothing for a whole timeout while answering (a read timed out): the query ran
    past the time it was given, which a server in front of the store reports as its deadline."""


class RemoteStore:
    """Reads from a remote SPARQL endpoint through the GraphStore interface."""

    def __init__(self, endpoint: RemoteEndpoint, client: httpx.Client | None = None, isolated: bool = True) -> None:
        """``isolated``: on Virtuoso, keep answers from mixing two builds (graph.rdf.engines,
        'Publishing'); a publisher's own queries do without, or a build cut off mid-switch would
        keep the next build waiting."""
        self.endpoint = endpoint
        self.isolated = isolated
        self.max_bytes = int(os.environ.get("ALLIANCES_STORE_MAX_BYTES", MAX_RESPONSE_BYTES))
        self.timeout = float(os.environ.get("ALLIANCES_STORE_TIMEOUT", TIMEOUT_SECONDS))
        self._client = client or http_client(endpoint, self.timeout)
        self._engine: Engine | None = None
        self._marks: frozenset[str] | None = None  # the publication marks read last (Virtuoso)

    @property
    def engine(self) -> Engine:
        """The engine that answers, asked once; on Virtuoso, the merge graph must be there."""
        if self._engine is None:
            body, headers = self._post(PROBE)
            engine = engine_of(headers.get("server"))
            if engine.virtuoso and not bool(engine.result(self._parse(body))):
                raise AllianceError(f"the store {self.endpoint} ({engine.name}) has no graph <{MERGE_GRAPH}>: load the merge "
                                    "of the named graphs into it (README, 'A SPARQL server as the store')")
            self._engine = engine
        return self._engine

    def engine_for_writing(self) -> Engine:
        """The engine that answers, the merge graph not required: a build into the store writes it
        (graph.rdf.publish_remote), and its queries then go through the same engine."""
        if self._engine is None:
            self._engine = engine_of(self._post(PROBE)[1].get("server"))
        return self._engine

    @property
    def client(self) -> httpx.Client:
        """The client with this store's limits, credentials and redirect refusal, for writers
        to the same server (graph.rdf.publish_remote)."""
        return self._client

    def query(self, sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult:
        engine = self.engine
        text = engine.prepare(prepared(sparql, substitutions))
        if not engine.virtuoso or not self.isolated:
            return self._sorted_answer(engine, text)
        # Virtuoso does not isolate a query from a publish: an answer is kept only if no switch
        # overlapped it (graph.rdf.engines, 'Publishing').
        deadline = time.monotonic() + self.timeout
        while True:
            before = self._marks if self._marks is not None else self._publication_marks()
            if is_stable(before):
                answer = self._sorted_answer(engine, text)
                self._marks = self._publication_marks()
                if self._marks == before:
                    return answer
            else:
                self._marks = None
            if time.monotonic() > deadline:
                raise AllianceError(f"the store {self.endpoint} has been switching to a new build for over {self.timeout:g} s "
                                    f"({', '.join(sorted(before))}); wait for that build to end, or build again if it was cut off")
            time.sleep(SWITCH_POLL_SECONDS)

    def _publication_marks(self) -> frozenset[str]:
        body, _ = self._post(PUBLICATION_QUERY)
        result = self._parse(body)
        assert isinstance(result, ox.QuerySolutions)
        return frozenset(row["state"].value for row in result if row["state"] is not None)

    def _sorted_answer(self, engine: Engine, text: str) -> QueryResult:
        try:
            return self._answer(engine, text)
        except Refused as error:
            split = split_order(text) if engine.refused_sort(error.detail) else None
            if split is None:
                raise
            answer = sorted_locally(self._answer(engine, split[0]), split[1], text)  # graph.rdf.engines, 'Sorting long strings'
            if answer is None:
                raise
            return answer

    def _answer(self, engine: Engine, text: str) -> QueryResult:
        body, headers = self._post(text)
        engine.check_complete(str(self.endpoint), text, headers)
        return engine.result(self._parse(engine.results_body(body)))

    def _parse(self, body: bytes) -> QueryResult:
        try:
            return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as error:
            raise AllianceError(f"the store {self.endpoint} answered with results that are not SPARQL JSON ({error}); "
                                "check that --store names the query endpoint") from None

    def _post(self, text: str) -> tuple[bytes, httpx.Headers]:
        try:
            # An HTML form's encoding, the one POST every engine reads: Virtuoso 7 does not read a
            # direct 'application/sparql-query' body, and keeps a thread busy without answering.
            with self._client.stream("POST", self.endpoint.query, data={"query": text},
                                     headers={"Accept": RESULTS_JSON}) as response:
                if response.is_redirect:
                    raise AllianceError(f"the store {self.endpoint} redirects to {response.headers.get('location', '?')}; "
                                        "give that address to --store if it is the endpoint meant")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(f"the store {self.endpoint} sent more than {self.max_bytes} bytes for one query; "
                                            "narrow the query or raise ALLIANCES_STORE_MAX_BYTES")
                    chunks.append(chunk)
                if response.status_code == 401 or response.status_code == 403:
                    raise AllianceError(f"the store {self.endpoint} refused access ({response.status_code}); "
                                        "set ALLIANCES_STORE_USER and ALLIANCES_STORE_PASSWORD")
                if response.status_code >= 400:
                    detail = b"".join(chunks)[:300].decode("utf-8", "replace").strip()
                    raise Refused(f"the store {self.endpoint} answered {response.status_code}: {detail}", detail)
                return b"".join(chunks), response.headers
        except httpx.TimeoutException as error:
            raise (TimedOut if isinstance(error, httpx.ReadTimeout) else AllianceError)(
                f"the store {self.endpoint} did not answer in time; check that it runs, or raise ALLIANCES_STORE_TIMEOUT") from None
        except httpx.HTTPError as error:
            raise AllianceError(f"cannot reach the store {self.endpoint}: {error}; check the address and that the server runs") from None

    def load(self, data: bytes | IO[bytes], format: ox.RdfFormat, graph: str | None = None) -> None:
        raise AllianceError("a remote store is not loaded file by file: `alliances build` with --store URL and "
                            "--update-endpoint URL publishes a whole build to it (graph.rdf.publish_remote)")

    def default_graph_is_empty(self) -> bool:
        return not bool(self.query("ASK { ?s ?p ?o }"))

    def named_graphs(self) -> list[str]:
        from graph.rdf.query_forms import select

        return sorted(row["g"].value for row in select(self, NAMED_GRAPHS) if isinstance(row["g"], ox.NamedNode))

    def export(self, output: IO[bytes], format: ox.RdfFormat) -> None:
        """The named graphs (dataset formats) or their merge, read in ONE query: a server answers
        each request from one state of the graph, so an export never mixes two builds (on Virtuoso
        the publication marks check it). Bounded as every answer is (ALLIANCES_STORE_MAX_BYTES).
        The merge is made here from the named graphs, each triple once, not read from the server's
        default graph: Virtuoso's keeps one of two literals of equal value (graph.rdf.engines)."""
        from graph.rdf.query_forms import select

        quads = (ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in select(self, EXPORT_QUADS))
        if format.supports_datasets:
            ox.serialize(quads, output, format=format)
        else:
            ox.serialize(unique(ox.Triple(q.subject, q.predicate, q.object) for q in quads), output, format=format)

    def close(self) -> None:
        self._client.close()


def prepared(sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None) -> str:
    """The query as a remote endpoint needs it: the project's prefixes declared, parameters bound."""
    if substitutions:
        offset = where_body_offset(sparql)
        if offset is None:
            raise AllianceError("a parameter can only be bound in a query with a WHERE clause")
        values = " ".join(f"VALUES ?{name} {{ {term} }}" for name, term in substitutions.items())
        sparql = insert(sparql, [(offset, f" {values}")])
    missing = [p for p in undeclared_prefixes(sparql) if p in PREFIXES]
    header = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in missing)
    return header + sparql
