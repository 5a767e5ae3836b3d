"""`alliances build` into a remote SPARQL store (issue 13, section 1): against a writable Oxigraph
server started on 127.0.0.1 in a temporary folder (and, for the main tests, a writable Virtuoso 7,
where the merge goes into engines.MERGE_GRAPH), a build publishes the same graphs as a local
build, replaces the previous one, and a build that fails (invalid data, a server error or a lost
connection midway) leaves the previous graph answering; a reader never sees a partial graph."""
from __future__ import annotations

import contextlib
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from graph.ask.query import named_queries
from graph.build.pipeline import build, build_remote
from graph.cli import main
from graph.config import Settings
from graph.errors import AllianceError, InvalidData
from graph.rdf.engines import PUBLICATION_GRAPH, SWITCHING, publication_mark
from graph.rdf.location import RemoteEndpoint
from graph.rdf.publish_remote import STAGING, RemotePublisher, new_build_id
from graph.rdf.query_forms import select
from graph.rdf.remote import RemoteStore
from graph.rdf.store import OxigraphStore

from test_named_queries import answer, first_example
from remote_servers import STARTUP_S, free_port as _free_port, program, writable_virtuoso
from test_remote_store import VIRTUOSO_DIFFERS, VIRTUOSO_VARIES

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# Fails on the read-only Virtuoso of test_remote_store as well (not a publishing matter): drop it from
# here once the query is mended or listed in VIRTUOSO_DIFFERS.
VIRTUOSO_REFUSES = {"signatories": "Virtuoso 7's SPARQL compiler: SP031 sparp_gp_deprecate(): equiv replaces filter but under deprecation"}
REMOVABLE = "2024-11-01-eastmoney-baogang-geely.yaml"  # a seed record the others do not need
Quad = tuple[str, str, str, str]


@dataclass
class Server:
    """A writable Oxigraph server on 127.0.0.1; ``restart`` after a kill keeps its data."""

    binary: str
    folder: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, gsp: bool = True, base: str | None = None) -> RemoteEndpoint:
        root = base or self.url
        return RemoteEndpoint(f"{self.url}/query", f"{root}/update", f"{root}/store" if gsp else None)

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "serve", "--location", str(self.folder), "--bind", f"127.0.0.1:{self.port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.post(f"{self.url}/query", content=b"ASK {}", headers={"Content-Type": "application/sparql-query"}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, "the Oxigraph server stopped"
            assert time.monotonic() < deadline, "the Oxigraph server did not start"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def reader(self) -> RemoteStore:
        return RemoteStore(RemoteEndpoint(f"{self.url}/query"))


@dataclass
class Virtuoso(Server):
    """A writable Virtuoso 7 (remote_servers.writable_virtuoso): /sparql reads and updates,
    /sparql-graph-crud takes the uploads (always: the publisher refuses Virtuoso without it)."""

    def endpoint(self, gsp: bool = True, base: str | None = None) -> RemoteEndpoint:
        root = base or self.url
        return RemoteEndpoint(f"{self.url}/sparql", f"{root}/sparql", f"{root}/sparql-graph-crud")

    def reader(self) -> RemoteStore:
        return RemoteStore(RemoteEndpoint(f"{self.url}/sparql"))


@pytest.fixture(scope="module")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """One Virtuoso for the module (it takes half a minute to start): each build replaces the last."""
    folder = tmp_path_factory.mktemp("virtuoso")
    with writable_virtuoso(folder) as url:
        yield Virtuoso("virtuoso-t", folder, port=int(url.split(":")[2].split("/")[0]))


@pytest.fixture(params=["oxigraph", "virtuoso"])
def any_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """The main tests run on both engines."""
    if request.param == "virtuoso":
        yield request.getfixturevalue("virtuoso_server")
    else:
        with oxigraph_server(tmp_path / "oxigraph") as started:
            yield started


@contextlib.contextmanager
def oxigraph_server(folder: Path) -> Iterator[Server]:
    started = Server(program("oxigraph", "oxigraph"), folder)
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with oxigraph_server(tmp_path / "oxigraph") as started:
        yield started


class FailingProxy:
    """Forwards requests to the server; the ``fail_at``-th write (update or GSP request) gets a
    500 without reaching it, or, with ``kill``, the server is killed and the connection dropped."""

    def __init__(self, server: Server, fail_at: int | None = None, kill: bool = False) -> None:
        self.target, self.fail_at, self.kill = server, fail_at, kill
        self.writes: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not self.path.startswith("/query"):
                    proxy.writes.append(self.path)
                    if len(proxy.writes) == proxy.fail_at:
                        if proxy.kill:
                            proxy.target.stop()
                            self.close_connection = True
                            return
                        self.send_response(500)
                        self.send_header("Content-Length", "12")
                        self.end_headers()
                        self.wfile.write(b"disk is full")
                        return
                try:
                    answer_ = httpx.post(proxy.target.url + self.path, content=body, timeout=60,
                                         headers={"Content-Type": self.headers["Content-Type"], "Accept": self.headers.get("Accept", "*/*")})
                except httpx.TransportError:
                    self.close_connection = True
                    return
                self.send_response(answer_.status_code)
                self.send_header("Content-Type", answer_.headers.get("content-type", "text/plain"))
                self.send_header("Content-Length", str(len(answer_.content)))
                self.end_headers()
                self.wfile.write(answer_.content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def quads(store: RemoteStore | OxigraphStore) -> set[Quad]:
    """Every triple of every named graph, and of the default graph (as graph '')."""
    rows = select(store, "SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }")
    return {(row["g"].value if row["g"] is not None else "", str(row["s"]), str(row["p"]), str(row["o"])) for row in rows}


def local_quads(settings: Settings) -> set[Quad]:
    """The local build's named graphs and its stored merge, read from the store itself (not by
    SPARQL, whose default graph on the embedded store is already the merge)."""
    store = OxigraphStore.open(settings.store_path)
    try:
        return {(q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else "", str(q.subject), str(q.predicate),
                 str(q.object)) for q in store._store}
    finally:
        store.close()


def staging_graphs(server: Server) -> list[str]:
    reader = server.reader()
    try:
        return [row["g"].value for row in select(reader, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
                if row["g"].value.startswith(STAGING)]
    finally:
        reader.close()


SERVICE = "<http://www.w3.org/ns/sparql-service-description#Service>"


def published(server: Server) -> set[Quad]:
    """What the server holds, without the graph Virtuoso describes its endpoint in and the
    publication mark (as RemoteStore.named_graphs leaves them out)."""
    reader = server.reader()
    try:
        found = quads(reader)
    finally:
        reader.close()
    described = {g for g, _, p, o in found if g and p == f"<{ox.NamedNode(RDF_TYPE).value}>" and o == SERVICE}
    return {quad for quad in found if quad[0] not in described | {PUBLICATION_GRAPH}}


def without(settings: Settings, name: str) -> Settings:
    (settings.data_dir / "sources" / name).unlink()
    return settings


def test_a_build_publishes_what_a_local_build_holds_and_every_named_query_answers_the_same(
        any_server: Server, own_data: Settings) -> None:
    server = any_server
    build_remote(own_data, server.endpoint())
    build(own_data)
    assert published(server) == local_quads(own_data)  # the same graph names, triples and merged default graph (booleans as written, on Virtuoso too)
    assert staging_graphs(server) == []
    remote, embedded = server.reader(), OxigraphStore.open(own_data.store_path)
    differ: dict[str, str] = {}  # every query that answers otherwise, named at once
    try:
        assert remote.named_graphs() == embedded.named_graphs()  # not the merge, nor Virtuoso's publication mark
        for name, query in sorted(named_queries().items()):
            if isinstance(server, Virtuoso) and name in {**VIRTUOSO_DIFFERS, **VIRTUOSO_VARIES, **VIRTUOSO_REFUSES}:
                continue  # another answer there, for the reasons test_remote_store gives
            params = first_example(query)
            try:
                expected: object = answer(embedded, name, params)
            except AllianceError as error:  # an example naming an organisation outside the seed records
                expected = f"{type(error).__name__}: {error}"
            try:
                got: object = answer(remote, name, params)  # type: ignore[arg-type]
            except AllianceError as error:
                got = f"{type(error).__name__}: {error}"
            if got != expected:
                differ[name] = str(got)[:300]
    finally:
        remote.close()
        embedded.close()
    assert differ == {}


def test_a_second_build_replaces_the_first_and_a_removed_record_is_gone(any_server: Server, own_data: Settings) -> None:
    """On Oxigraph through SPARQL Update only (INSERT DATA in small requests, no Graph Store Protocol)."""
    server = any_server
    build_remote(own_data, server.endpoint(gsp=False))
    gone = own_data.base + "source/" + REMOVABLE.removesuffix(".yaml")
    assert any(g == gone for g, *_ in published(server))
    build_remote(without(own_data, REMOVABLE), server.endpoint(gsp=False))
    build(own_data)
    now = published(server)
    assert now == local_quads(own_data)
    assert not any(gone in quad for quad in now)
    assert staging_graphs(server) == []


def test_an_invalid_build_sends_nothing_and_the_previous_graph_answers(any_server: Server, own_data: Settings) -> None:
    server = any_server
    build_remote(own_data, server.endpoint())
    before = published(server)
    record = own_data.data_dir / "sources" / REMOVABLE
    record.write_text(record.read_text(encoding="utf-8").replace("  publisher:", "  publsher:", 1), encoding="utf-8")
    proxy = FailingProxy(server)
    try:
        with pytest.raises(InvalidData):
            build_remote(own_data, server.endpoint(base=proxy.url))
    finally:
        proxy.close()
    assert proxy.writes == []
    assert published(server) == before


@pytest.mark.parametrize("kill", [False, True], ids=["server-error", "server-killed"])
def test_a_failure_midway_keeps_the_previous_graph_and_no_staged_data_in_the_live_graphs(
        server: Server, own_data: Settings, monkeypatch: pytest.MonkeyPatch, kill: bool) -> None:
    build_remote(own_data, server.endpoint())
    before = published(server)
    monkeypatch.setenv("ALLIANCES_PUBLISH_CHUNK_BYTES", "4000")  # many requests: the third is mid-upload
    proxy = FailingProxy(server, fail_at=3, kill=kill)
    try:
        with pytest.raises(AllianceError, match="disk is full" if not kill else "cannot reach the store"):
            build_remote(without(own_data, REMOVABLE), server.endpoint(base=proxy.url))
    finally:
        proxy.close()
    if kill:
        server.start()  # the same folder: what the server had committed before it died
    assert len(proxy.writes) >= 3
    after = published(server)
    live = {quad for quad in after if not quad[0].startswith(STAGING)}
    assert live == before
    assert not any(STAGING in term for quad in live for term in quad)
    if not kill:
        assert staging_graphs(server) == []  # removed after the error


def test_a_server_error_at_the_switch_keeps_the_previous_graph(server: Server, own_data: Settings) -> None:
    build_remote(own_data, server.endpoint())
    before = published(server)
    proxy = FailingProxy(server)
    original = RemotePublisher.update

    def fail_the_switch(self: RemotePublisher, text: str, timeout: float | None = None) -> None:
        if "DROP SILENT DEFAULT" in text:
            proxy.fail_at = len(proxy.writes) + 1
        original(self, text, timeout)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RemotePublisher, "update", fail_the_switch)
        try:
            with pytest.raises(AllianceError, match="disk is full"):
                build_remote(without(own_data, REMOVABLE), server.endpoint(base=proxy.url))
        finally:
            proxy.close()
    assert proxy.fail_at is not None and proxy.fail_at > 1  # the upload went through; the switch failed
    assert published(server) == before and staging_graphs(server) == []


FINGERPRINT = """
SELECT (COUNT(*) AS ?n) (SUM(?in_graph) AS ?graphs) (SUM(?typed) AS ?types) WHERE {
  { ?s ?p ?o BIND (0 AS ?in_graph) BIND (0 AS ?typed) }
  UNION { GRAPH ?g { ?s ?p ?o } BIND (1 AS ?in_graph) BIND (0 AS ?typed) FILTER (STRSTARTS(STR(?g), "%s")) }
  UNION { GRAPH ?g { ?s a ?type } BIND (0 AS ?in_graph) BIND (1 AS ?typed) }
}"""


def test_a_reader_polling_during_a_publish_sees_the_old_graph_or_the_new_one(
        any_server: Server, own_data: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader counts the default graph, the live named graphs and every typed triple in any
    graph (which staged data would add to): each answer is the old build's or the new one's. On
    Virtuoso, whose queries see an update midway, without the publication marks (graph.rdf.engines,
    'Publishing') a poll during the switch counted the old named graphs with the new typed triples."""
    server = any_server
    build_remote(own_data, server.endpoint())
    reader = server.reader()
    query = FINGERPRINT % own_data.base

    def fingerprint() -> tuple[str, ...]:
        return tuple(str(value) for value in next(iter(select(reader, query))))
    old = fingerprint()
    monkeypatch.setenv("ALLIANCES_PUBLISH_CHUNK_BYTES", "4000")  # a slow upload of many requests
    failure: list[BaseException] = []
    switching = threading.Event()  # from the switch on, the reader polls without pause
    original = RemotePublisher.update

    def update(self: RemotePublisher, text: str, timeout: float | None = None) -> None:
        if "INSERT { GRAPH ?G" in text:
            switching.set()
        original(self, text, timeout)
    monkeypatch.setattr(RemotePublisher, "update", update)

    def publish() -> None:
        try:
            build_remote(without(own_data, REMOVABLE), server.endpoint())
        except BaseException as error:  # reported by the test below
            failure.append(error)
    writer = threading.Thread(target=publish)
    seen: list[tuple[str, ...]] = []
    during = 0  # polls answered once the switch was sent (while it ran, or the build's tidying)
    writer.start()
    try:
        for _ in range(100_000):  # bounded: the build ends long before
            if not writer.is_alive():
                break
            seen.append(fingerprint())
            during += switching.is_set()
            if not switching.is_set():
                time.sleep(0.01)
    finally:
        writer.join(timeout=600)
    new = fingerprint()
    reader.close()
    assert not failure, failure
    assert new != old and during
    assert set(seen) <= {old, new}, (old, new, set(seen) - {old, new}, len(seen))


def test_a_virtuoso_switch_cut_off_does_not_stop_the_next_build(virtuoso_server: Virtuoso, own_data: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A build killed between its 'switching' mark and its 'stable' one leaves readers waiting
    (graph.rdf.engines, 'Publishing'); the next build must not wait for it, and ends the wait."""
    build_remote(own_data, virtuoso_server.endpoint())
    publisher = RemotePublisher(virtuoso_server.endpoint())
    publisher.update(publication_mark(SWITCHING, "cut-off", "0"))
    publisher.reader.close()
    monkeypatch.setenv("ALLIANCES_STORE_TIMEOUT", "1")
    reader = virtuoso_server.reader()
    try:
        with pytest.raises(AllianceError, match="switching to a new build"):
            reader.query("ASK { ?s a al:Alliance }")
        monkeypatch.delenv("ALLIANCES_STORE_TIMEOUT")
        build_remote(without(own_data, REMOVABLE), virtuoso_server.endpoint())
        assert bool(reader.query("ASK { ?s a al:Alliance }"))
    finally:
        reader.close()


def test_staging_left_by_a_build_that_failed_long_ago_is_removed_and_a_running_one_is_kept(
        server: Server, own_data: Settings) -> None:
    publisher = RemotePublisher(server.endpoint())
    left = f"{STAGING}20000101T000000Z-0badf00d:{own_data.base}source/x"
    running = f"{STAGING}{new_build_id()}:{own_data.base}source/y"
    for name in (left, running):
        publisher.update(f"INSERT DATA {{ GRAPH <{name}> {{ <{STAGING}urn:s> <{STAGING}urn:p> 'o' }} }}")
    publisher.reader.close()
    build_remote(own_data, server.endpoint())
    assert staging_graphs(server) == [running]


def test_the_command_line_says_what_a_remote_build_needs_and_that_changes_needs_a_local_store(runner: CliRunner) -> None:
    done = runner.invoke(main, ["--store", "http://127.0.0.1:9/query", "build"])
    assert done.exit_code == 2 and "--update-endpoint" in done.output
    done = runner.invoke(main, ["--store", "http://127.0.0.1:9/query", "--update-endpoint", "http://127.0.0.1:9/update", "build"])
    assert done.exit_code == 2 and "cannot reach the store" in done.output  # before any compiling
    done = runner.invoke(main, ["--store", "http://127.0.0.1:9/query", "changes"])
    assert done.exit_code == 2 and "run it on a local store" in done.output


def test_virtuoso_without_the_graph_store_protocol_is_refused_before_anything_is_sent(
        virtuoso_server: Virtuoso, own_data: Settings) -> None:
    """Virtuoso's INSERT DATA refuses the build's xsd:duration literals; its Graph Store Protocol takes them."""
    endpoint = virtuoso_server.endpoint()
    with pytest.raises(AllianceError, match="--gsp-endpoint"):
        build_remote(own_data, RemoteEndpoint(endpoint.query, endpoint.update))
