"""A remote SPARQL 1.1 server as the store commands read (issue 13, first part): the Oxigraph
server (PyPI ``oxigraph``) started on 127.0.0.1 with the project's graph, answering every named
query as the embedded store does; and a URL is never taken for a folder."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from graph.ask.query import named_queries
from graph.cli import main
from graph.config import PROJECT_ROOT, Settings
from graph.errors import AllianceError
from graph.network.stats import stats
from graph.rdf.location import RemoteEndpoint, store_location
from graph.rdf.remote import RemoteStore, prepared
from graph.rdf.store import OxigraphStore

from test_named_queries import answer, first_example

STARTUP_S = 30.0


def _oxigraph() -> str:
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if found is None:
        message = "the Oxigraph server is not installed: pip install oxigraph (scripts/setup installs it)."
        if os.environ.get("ALLIANCES_REQUIRE_INTEROP"):
            pytest.fail(message + " ALLIANCES_REQUIRE_INTEROP is set, so the remote-store tests must run.")
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Oxigraph server on the project's graph: its named graphs, and their merge as the
    default graph, each triple once, as the embedded store holds it."""
    binary = _oxigraph()
    folder = tmp_path_factory.mktemp("oxigraph-server")
    store = OxigraphStore.open(built.store_path)
    import pyoxigraph as ox

    with open(folder / "graphs.nq", "wb") as handle:
        store.export(handle, ox.RdfFormat.N_QUADS)
    with open(folder / "merge.nt", "wb") as handle:
        store.export(handle, ox.RdfFormat.N_TRIPLES)
    store.close()
    subprocess.run([binary, "load", "--location", str(folder / "db"), "--file", str(folder / "graphs.nq"),
                    str(folder / "merge.nt")], check=True, capture_output=True, timeout=300)
    port = _free_port()
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.post(url, content=b"ASK {}", headers={"Content-Type": "application/sparql-query"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, f"the Oxigraph server stopped: {process.stderr.read() if process.stderr else b''!r}"
            assert time.monotonic() < deadline, "the Oxigraph server did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_answers_as_on_the_embedded_store(server: str, store: OxigraphStore, name: str) -> None:
    """The embedded store's answers are the goldens (test_named_queries), so the server's are too."""
    remote = RemoteStore(RemoteEndpoint(server))
    params = first_example(named_queries()[name])
    try:
        assert answer(remote, name, params) == answer(store, name, params)  # type: ignore[arg-type]
    finally:
        remote.close()


def test_stats_and_cli_answers_are_the_same_on_the_server(server: str, built: Settings, runner: CliRunner) -> None:
    local, remote = OxigraphStore.open(built.store_path), RemoteStore(RemoteEndpoint(server))
    assert stats(remote) == stats(local)
    remote.close()
    on_server = runner.invoke(main, ["--store", server, "query", "agreements-of", "--param", "org=河钢", "--format", "json"])
    embedded = runner.invoke(main, ["--store", str(built.store_path), "query", "agreements-of", "--param", "org=河钢", "--format", "json"])
    assert on_server.exit_code == 0, on_server.output
    assert json.loads(on_server.stdout) == json.loads(embedded.stdout) and json.loads(on_server.stdout)
    shown = runner.invoke(main, ["--store", server, "show", "hbis", "--format", "json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout) == json.loads(
        runner.invoke(main, ["--store", str(built.store_path), "show", "hbis", "--format", "json"]).stdout)


def test_a_url_is_never_taken_for_a_folder(tmp_path: Path) -> None:
    env = {**os.environ, "ALLIANCES_STORE": "http://127.0.0.1:9/query"}
    done = subprocess.run([sys.executable, "-m", "graph", "build"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--update-endpoint" in done.stderr  # a remote build needs one (test_remote_publish)
    assert list(tmp_path.iterdir()) == [] and not (PROJECT_ROOT / "http:").exists()
    with pytest.raises(AllianceError, match="is a URL, not a folder"):
        Settings(store_path=Path("http://127.0.0.1:9/query"))
    with pytest.raises(AllianceError, match="not an http:// or https://"):
        store_location("ftp://example.org/sparql")
    with pytest.raises(AllianceError, match="ALLIANCES_STORE_USER"):
        store_location("https://user:secret@example.org/sparql")
    assert store_location("C:/stores/graph") == Path("C:/stores/graph")  # a drive letter is no scheme


def test_parameters_become_values_and_prefixes_are_declared() -> None:
    import pyoxigraph as ox

    text = prepared("SELECT ?a WHERE { ?a al:party ?org }", {"org": ox.NamedNode("https://example.org/o")})
    assert text.startswith("PREFIX al: <https://w3id.org/alliance-graph/ontology#>\n")
    assert "WHERE { VALUES ?org { <https://example.org/o> } ?a al:party ?org }" in text
    # A brace inside a string is not the WHERE clause's.
    text = prepared('SELECT ?a WHERE { ?a rdfs:label "{x}" ; al:party ?org }', {"org": ox.Literal("x")})
    assert 'WHERE { VALUES ?org { "x" } ?a rdfs:label "{x}"' in text


def _store(handler: object, **endpoint: str) -> RemoteStore:
    return RemoteStore(RemoteEndpoint("http://127.0.0.1:9/query", **endpoint),  # type: ignore[arg-type]
                       httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False))  # type: ignore[arg-type]


def test_a_redirect_an_error_and_a_flood_are_refused_with_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data"})
    with pytest.raises(AllianceError, match="redirects to http://169.254.169.254"):
        _store(redirect).query("ASK {}")
    assert asked == ["http://127.0.0.1:9/query"]  # the redirect was not followed
    with pytest.raises(AllianceError, match="answered 400: bad query"):
        _store(lambda request: httpx.Response(400, text="bad query")).query("ASK {}")
    with pytest.raises(AllianceError, match="ALLIANCES_STORE_PASSWORD"):
        _store(lambda request: httpx.Response(401)).query("ASK {}")
    monkeypatch.setenv("ALLIANCES_STORE_MAX_BYTES", "1000")
    flood = b'{"head":{"vars":["x"]},"results":{"bindings":[' + b",".join([b'{"x":{"type":"literal","value":"a"}}'] * 200) + b"]}}"
    with pytest.raises(AllianceError, match="more than 1000 bytes"):
        _store(lambda request: httpx.Response(200, content=flood, headers={"content-type": "application/sparql-results+json"})).query("SELECT ?x {}")


def test_credentials_come_from_the_environment_as_basic_authentication(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCES_STORE_USER", "reader")
    monkeypatch.setenv("ALLIANCES_STORE_PASSWORD", "s3cret")
    endpoint = store_location("http://127.0.0.1:9/query")
    assert isinstance(endpoint, RemoteEndpoint) and "s3cret" not in repr(endpoint)
    seen: list[str] = []

    def answer_(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, content=b'{"head":{},"boolean":true}', headers={"content-type": "application/sparql-results+json"})
    store = RemoteStore(endpoint)
    store.close()
    store._client = httpx.Client(transport=httpx.MockTransport(answer_), auth=httpx.BasicAuth("reader", "s3cret"))
    assert bool(store.query("ASK {}"))
    store.close()
    assert seen == ["Basic cmVhZGVyOnMzY3JldA=="]
