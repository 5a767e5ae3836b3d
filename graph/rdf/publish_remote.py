"""Publish a validated build to a remote SPARQL 1.1 store: readers see the previous graph or the
new one, never a mix, and a failed publication leaves the previous graph answering (issue 13).

The build is compiled and validated locally as always (graph.build.pipeline); only a valid build
is sent. Then, against the server:

1. **Staging.** Every named graph of the build is uploaded under a staging name of its own build
   id (``urn:alliances:staging:<id>:`` + the live name), by the Graph Store Protocol (``POST
   ?graph=``) when a GSP endpoint is given, else by ``INSERT DATA`` through the update endpoint,
   in requests of bounded size (``ALLIANCES_PUBLISH_CHUNK_BYTES``). Every IRI in a staged triple
   carries the same prefix, so no query of the project matches staged data: a pattern with any
   IRI in it (``?s a al:Alliance``, ``GRAPH ?g { ?x al:quote ?q }``) cannot meet a staged triple,
   and the live graph names and the default graph are not touched.
2. **Check.** The staged triples are counted on the server; a count other than the build's (a
   request lost or cut short) stops here.
3. **Switch, in ONE update request**: empty every live graph (every named graph whose name starts
   with the IRI base) and the merge, and write each staged triple back under its live names, into
   its graph and into the merge of the named graphs (each triple once, as a local build stores
   it): the default graph, or on Virtuoso, which has no default graph of its own, the named graph
   engines.MERGE_GRAPH that the reader takes as its default graph. The engine is found as the
   reader finds it (graph.rdf.engines, one probe); on Virtuoso the upload needs the Graph Store
   Protocol, its INSERT DATA refusing xsd:duration literals. It may take long (Oxigraph applies an update at some
   thousands of quads a second): it waits up to ``SWITCH_TIMEOUT_SECONDS``.
4. **Tidy**, best effort: empty the staging graphs and drop the names of the emptied graphs
   (invisible to the project's queries either way, so not part of the switch, which it would
   only make longer).

On any failure before the switch the staging graphs are removed. A lost connection leaves them
behind, invisible to the project's queries; a later build removes staging graphs older than
``STALE_AFTER`` (a build still uploading is younger: its id starts with its UTC start time).

What one update request guarantees depends on the engine (README, "Building into a remote
store"): the Oxigraph server runs it as one transaction (``Store.update`` is transactional,
queries read a snapshot: repeatable read), so readers see the old graph or the new one. SPARQL
1.1 Update only says a request SHOULD be atomic; Virtuoso 7's queries see an update midway, so
there the switch is put between two publication marks that the project's reader checks around
each query (graph.rdf.engines, 'Publishing'): its readers too see the old graph or the new one.

Written by hand: no PyPI library publishes a dataset to a SPARQL server atomically; httpx (through
graph.rdf.remote's client: limits, credentials, no redirects) carries the requests.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from graph.errors import AllianceError
from graph.rdf.batches import chunks
from graph.rdf.engines import MERGE_GRAPH, STABLE, SWITCHING, Engine, publication_mark
from graph.rdf.location import RemoteEndpoint
from graph.rdf.query_forms import select
from graph.rdf.remote import RemoteStore
from graph.rdf.store import OxigraphStore

STAGING = "urn:alliances:staging:"
# Bytes of N-Triples per request (ALLIANCES_PUBLISH_CHUNK_BYTES): older Oxigraph servers read at
# most 1 MiB of an update request, and a small request is cheap to retry by hand.
CHUNK_BYTES = 512 * 1024
SWITCH_TIMEOUT_SECONDS = 3600.0
DROPS_PER_REQUEST = 200  # graph names dropped per tidying request
STALE_AFTER = timedelta(days=1)  # staging graphs of a build that started earlier were left by a failure
ID_TIME = "%Y%m%dT%H%M%SZ"
NTRIPLES = ox.RdfFormat.N_TRIPLES.media_type
SPARQL_UPDATE = "application/sparql-update; charset=utf-8"


@dataclass(frozen=True)
class Publication:
    """What was published: the build id (its staging prefix), graphs and triples sent."""

    build_id: str
    graphs: int
    triples: int


def new_build_id() -> str:
    """A build id that sorts by time and is unique among concurrent builds."""
    return datetime.now(timezone.utc).strftime(ID_TIME) + "-" + secrets.token_hex(4)


class RemotePublisher:
    """Sends a build to the update (and Graph Store Protocol) endpoints of ``endpoint``."""

    def __init__(self, endpoint: RemoteEndpoint, client: httpx.Client | None = None) -> None:
        if endpoint.update is None:
            raise AllianceError(f"building into the remote store {endpoint} needs its SPARQL update endpoint: give "
                                "--update-endpoint URL (or set ALLIANCES_UPDATE_ENDPOINT), e.g. http://host:7878/update "
                                "for the Oxigraph server")
        self.endpoint = endpoint
        self.update_url: str = endpoint.update
        self.reader = RemoteStore(endpoint, client, isolated=False)  # its queries come before its own switch
        self.client = self.reader.client
        self.chunk_bytes = _positive(os.environ.get("ALLIANCES_PUBLISH_CHUNK_BYTES"), CHUNK_BYTES)

    def check_reachable(self) -> None:
        """Fail before a build's minutes of work if the store does not answer, or cannot take the build."""
        if self.engine().virtuoso and not self.endpoint.gsp:
            raise AllianceError(f"the store {self.endpoint} is Virtuoso, whose SPARQL Update refuses some values of the "
                                "build (xsd:duration literals in INSERT DATA): give --gsp-endpoint, e.g. "
                                "http://host:8890/sparql-graph-crud, so that the graphs are uploaded as N-Triples")

    def engine(self) -> Engine:
        """The engine that answers, as the reader finds it (graph.rdf.engines), the merge graph not
        required: the first build into a Virtuoso writes it."""
        return self.reader.engine_for_writing()

    def publish(self, store: OxigraphStore, base: str, build_id: str | None = None) -> Publication:
        """Stage ``store``'s named graphs, check them, and switch the live graphs in one update."""
        self.check_reachable()
        build_id = build_id or new_build_id()
        stage = f"{STAGING}{build_id}:"
        graphs = store.named_graphs()
        outside = [g for g in graphs if not g.startswith(base)]
        if outside:
            raise AllianceError(f"the graph {outside[0]} is not under the IRI base {base}; a remote build replaces the "
                                "graphs under the base only: set ALLIANCES_BASE to the base of every graph")
        self._remove_stale_staging()
        old = self._live_graphs(base)
        try:
            sent = self._stage(store, graphs, stage)
            staged = self._count(stage)
            if staged != sent:
                raise AllianceError(f"the store {self.endpoint} holds {staged} of the {sent} triples sent for build "
                                    f"{build_id}; the previous graph was kept: check the server's log and build again")
            self._switch(switch(base, stage, self.engine()), build_id)
        except BaseException:
            self._remove_staging(stage, graphs)
            raise
        self._remove_staging(stage, graphs)
        try:
            self._drop_names([g for g in old if g not in set(graphs)])
        except (AllianceError, httpx.HTTPError):
            pass  # empty graphs: they answer nothing
        return Publication(build_id, len(graphs), sent)

    # ---------------------------------------------------------------- steps

    def _switch(self, update: str, build_id: str) -> None:
        """The switch; on Virtuoso between two publication marks, 'switching' then 'stable', that
        its readers check (graph.rdf.engines, 'Publishing'). After a failed switch the mark says
        stable again (a fresh value: readers of the failed attempt ask again)."""
        if not self.engine().virtuoso:
            self.update(update, SWITCH_TIMEOUT_SECONDS)
            return
        self.update(publication_mark(SWITCHING, build_id, secrets.token_hex(8)))
        try:
            self.update(update, SWITCH_TIMEOUT_SECONDS)
        except BaseException:
            with contextlib.suppress(AllianceError, httpx.HTTPError):  # the switch's error is the one to report
                self.update(publication_mark(STABLE, "failed-" + build_id, secrets.token_hex(8)))
            raise
        self.update(publication_mark(STABLE, build_id, secrets.token_hex(8)))

    def _stage(self, store: OxigraphStore, graphs: list[str], stage: str) -> int:
        sent = 0
        for graph in graphs:
            for lines in _chunks(_staged_lines(store, graph, stage), self.chunk_bytes):
                if self.endpoint.gsp:
                    self._send("POST", f"{self.endpoint.gsp}?{urlencode({'graph': stage + graph})}",
                               "".join(lines), NTRIPLES)
                else:
                    self.update(f"INSERT DATA {{ GRAPH <{stage}{graph}> {{\n{''.join(lines)}}} }}")
                sent += len(lines)
        return sent

    def _count(self, stage: str) -> int:
        rows = select(self.reader, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                   f'FILTER (STRSTARTS(STR(?g), "{stage}")) }}')
        return sum(int(row["n"].value) for row in rows)

    def _live_graphs(self, base: str) -> list[str]:
        rows = select(self.reader, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                   f'FILTER (STRSTARTS(STR(?g), "{_string(base)}")) }}')
        return [row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)]

    def _remove_stale_staging(self) -> None:
        """Remove what builds that failed long ago left (see the module)."""
        rows = select(self.reader, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                   f'FILTER (STRSTARTS(STR(?g), "{STAGING}")) }}')
        names = [row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)]
        now = datetime.now(timezone.utc)
        for build_id in sorted({name[len(STAGING):].split(":", 1)[0] for name in names}):
            try:
                started = datetime.strptime(build_id.split("-", 1)[0], ID_TIME).replace(tzinfo=timezone.utc)
            except ValueError:
                continue  # not a name this module gave
            if now - started > STALE_AFTER:
                stage = f"{STAGING}{build_id}:"
                self._remove_staging(stage, [name[len(stage):] for name in names if name.startswith(stage)])

    def _remove_staging(self, stage: str, graphs: list[str]) -> None:
        """Best effort: after a failure the error that stopped the build is the one to report, and
        after the switch staged data is invisible anyway (a later build removes what is left)."""
        try:
            self.update(f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                        f'FILTER (STRSTARTS(STR(?g), "{stage}")) }}')
            self._drop_names([stage + g for g in graphs])
        except (AllianceError, httpx.HTTPError):
            pass

    def _drop_names(self, names: list[str]) -> None:
        for batch in chunks(names, DROPS_PER_REQUEST):
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{name}>" for name in batch))

    # ---------------------------------------------------------------- HTTP

    def update(self, text: str, timeout: float | None = None) -> None:
        """One SPARQL update request (``timeout``: seconds to wait for its answer, if not the client's)."""
        self._send("POST", self.update_url, text, SPARQL_UPDATE, timeout)

    def _send(self, method: str, url: str, body: str, media_type: str, timeout: float | None = None) -> None:
        try:
            with self.client.stream(method, url, content=body.encode("utf-8"), headers={"Content-Type": media_type},
                                    timeout=self.client.timeout if timeout is None else httpx.Timeout(timeout)) as response:
                detail = _start(response)  # an update's answer is a status; its body is read only to quote an error
        except httpx.TimeoutException:
            raise AllianceError(f"the store {url} did not answer in time; the previous graph answers unless the switch "
                                "had started (it is one update: then the new one); raise ALLIANCES_STORE_TIMEOUT and "
                                "build again") from None
        except httpx.HTTPError as error:
            raise AllianceError(f"cannot reach the store {url}: {error}; check that the server runs and build again") from None
        if response.is_redirect:
            raise AllianceError(f"the store {url} redirects to {response.headers.get('location', '?')}; "
                                "give that address to --update-endpoint or --gsp-endpoint if it is the one meant")
        if response.status_code in (401, 403):
            raise AllianceError(f"the store {url} refused to be written ({response.status_code}); set ALLIANCES_STORE_USER "
                                "and ALLIANCES_STORE_PASSWORD to an account allowed to update")
        if response.status_code >= 400:
            raise AllianceError(f"the store {url} answered {response.status_code}: {detail}; the previous graph was kept")


def _start(response: httpx.Response, limit: int = 300) -> str:
    """The first ``limit`` bytes of an answer, as text: enough to quote, whatever the server sends."""
    read = b""
    for chunk in response.iter_bytes():
        read += chunk
        if len(read) >= limit:
            break
    return read[:limit].decode("utf-8", "replace").strip()


def switch(base: str, stage: str, engine: Engine) -> str:
    """The one update that replaces the live graphs under ``base`` and the merge (the default graph,
    or MERGE_GRAPH on Virtuoso, which has no default graph of its own) with the graphs staged under
    ``stage`` (see the module)."""
    base, stage = _string(base), _string(stage)
    live = f"IRI(STRAFTER(STR(?{{0}}), \"{stage}\"))"
    empty, merge = (f"DROP SILENT GRAPH <{MERGE_GRAPH}>", f"GRAPH <{MERGE_GRAPH}> {{ ?S ?P ?O }}") if engine.virtuoso \
        else ("DROP SILENT DEFAULT", "?S ?P ?O")
    return f"""DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?g), "{base}")) }} ;
{empty} ;
INSERT {{ GRAPH ?G {{ ?S ?P ?O }} {merge} }} WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?g), "{stage}"))
  BIND ({live.format("g")} AS ?G)
  BIND (IF(isIRI(?s), {live.format("s")}, ?s) AS ?S)
  BIND ({live.format("p")} AS ?P)
  BIND (IF(isIRI(?o), {live.format("o")}, ?o) AS ?O)
}}"""


def _staged_lines(store: OxigraphStore, graph: str, stage: str) -> Iterator[str]:
    """The graph's triples as N-Triples lines, every IRI under the staging prefix."""
    for quad in store.quads(graph):
        yield f"{_staged(quad.subject, stage)} {_staged(quad.predicate, stage)} {_staged(quad.object, stage)} .\n"


def _staged(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, stage: str) -> str:
    return str(ox.NamedNode(stage + term.value)) if isinstance(term, ox.NamedNode) else str(term)


def _chunks(lines: Iterator[str], budget: int) -> Iterator[list[str]]:
    """Lines grouped into lists of at most ``budget`` bytes (a longer line goes alone). A graph
    with blank nodes goes whole: a blank node is only the same node within one request."""
    chunk: list[str] = []
    size = 0
    blank = False
    for line in lines:
        blank = blank or "_:" in line
        length = len(line.encode("utf-8"))
        if chunk and size + length > budget and not blank:
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += length
    if chunk:
        yield chunk


def _positive(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) == 0:
        raise AllianceError(f"ALLIANCES_PUBLISH_CHUNK_BYTES is '{value}': set it to a number of bytes per request, "
                            f"such as {CHUNK_BYTES}, or unset it")
    return int(value)


def _string(text: str) -> str:
    """Text for a SPARQL string literal between double quotes."""
    return text.replace("\\", "\\\\").replace('"', '\\"')
