"""A remote SPARQL 1.1 server as the store commands read (issue 13, first part): the Oxigraph
server (PyPI ``oxigraph``) and Virtuoso 7 (Debian ``virtuoso-opensource``), each started on
127.0.0.1 with the project's graph (tests/remote_servers.py), answering every named query as the
embedded store does; what Virtuoso does differently (its default graph, capped and partial
answers) handled; and a URL is never taken for a folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from graph.ask.query import named_queries
from graph.cli import main
from graph.config import PROJECT_ROOT, Settings
from graph.errors import AllianceError
from graph.network.stats import stats
from graph.rdf.engines import (MERGE_GRAPH, PUBLICATION_QUERY, VIRTUOSO, months_as_duration, sorted_locally, split_order, top_level_limit,
                                unescaped_names, without_graph)
from graph.rdf.location import RemoteEndpoint, store_location
from graph.rdf.query_forms import select
from graph.rdf.remote import RemoteStore, TooLarge, prepared
from graph.rdf.store import OxigraphStore

from remote_servers import ENGINES, Dump, dump, oxigraph, virtuoso
from test_named_queries import answer, first_example

# Named queries whose answer Virtuoso 7 cannot give yet, and why; each is a strict xfail there, so
# the day it answers the same, the test says so: then remove the entry.
VIRTUOSO_DIFFERS: dict[str, str] = {}
# Named queries whose answer on Virtuoso varies from run to run, and why: a loose xfail there.
VIRTUOSO_VARIES: dict[str, str] = {}


@pytest.fixture(scope="module")
def dumped(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Dump:
    """The session's build as servers load it: its named graphs, and their merge."""
    return dump(built.store_path, tmp_path_factory.mktemp("dump"))


@pytest.fixture(scope="module", params=ENGINES)
def server(request: pytest.FixtureRequest, dumped: Dump, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Each server on the project's graph: the URL of its query endpoint."""
    engine: str = request.param
    start = oxigraph if engine == "oxigraph" else virtuoso
    with start(tmp_path_factory.mktemp(engine), dumped) as url:
        yield url


@pytest.fixture(scope="module")
def small_virtuoso(dumped: Dump, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Virtuoso with its default behaviour at small scale: at most 50 rows and 1 s per query."""
    with virtuoso(tmp_path_factory.mktemp("small-virtuoso"), dumped,
                  {"ResultSetMaxRows": "50", "MaxQueryExecutionTime": "1", "MaxQueryCostEstimationTime": "0"}) as url:
        yield url


def _engine(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["server"])


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_answers_as_on_the_embedded_store(server: str, store: OxigraphStore, name: str,
                                                            request: pytest.FixtureRequest) -> None:
    """The embedded store's answers are the goldens (test_named_queries), so the server's are too."""
    if _engine(request) == "virtuoso" and name in VIRTUOSO_DIFFERS:
        request.applymarker(pytest.mark.xfail(reason=VIRTUOSO_DIFFERS[name], strict=True))
    if _engine(request) == "virtuoso" and name in VIRTUOSO_VARIES:
        request.applymarker(pytest.mark.xfail(reason=VIRTUOSO_VARIES[name], strict=False))
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
    # partners-of: a query with a parameter (by name, in Chinese) that Virtuoso answers the same too (VIRTUOSO_DIFFERS)
    on_server = runner.invoke(main, ["--store", server, "query", "partners-of", "--param", "org=鞍钢", "--format", "json"])
    embedded = runner.invoke(main, ["--store", str(built.store_path), "query", "partners-of", "--param", "org=鞍钢", "--format", "json"])
    assert on_server.exit_code == 0, on_server.output
    assert json.loads(on_server.stdout) == json.loads(embedded.stdout) and json.loads(on_server.stdout)


def test_show_is_the_same_on_the_server(server: str, built: Settings, runner: CliRunner) -> None:
    """An organisation's partners too (Virtuoso 7 dropped them all under FILTER NOT EXISTS: profile.py)."""
    shown = runner.invoke(main, ["--store", server, "show", "hbis", "--format", "json"])
    embedded = json.loads(runner.invoke(main, ["--store", str(built.store_path), "show", "hbis", "--format", "json"]).stdout)
    assert shown.exit_code == 0 and json.loads(shown.stdout) == embedded
    assert any(alliance.get("partners") for alliance in embedded["alliances"])  # partners are compared, not two empty lists


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
    return RemoteStore(RemoteEndpoint("http://127.0.0.1:9/query", **endpoint),
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
    with pytest.raises(TooLarge, match="more than 1000 bytes"):
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
    assert seen == ["Basic cmVhZGVyOnMzY3JldA=="] * 2  # the probe that finds the engine, then the query


# ------------------------------------------------------------------ what engines do differently

SHARED = """SELECT ?s ?p ?o (COUNT(DISTINCT ?g) AS ?graphs) WHERE { GRAPH ?g { ?s ?p ?o } GRAPH ?h { ?s ?p ?o } FILTER (?g != ?h) }
GROUP BY ?s ?p ?o ORDER BY ?s ?p STR(?o) LIMIT 1"""


def test_a_triple_two_sources_state_counts_once_in_the_default_graph(server: str, store: OxigraphStore) -> None:
    """Virtuoso's own default graph is every graph on the server, a triple once per graph that
    states it; the project's is the merge, each triple once, and GRAPH ?g ranges over the sources."""
    (shared,) = list(select(store, SHARED))
    s, p, o = (shared[name] for name in ("s", "p", "o"))
    once = f"SELECT (COUNT(*) AS ?n) WHERE {{ {s} {p} {o} }}"
    per_graph = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {s} {p} {o} }} }}"
    remote = RemoteStore(RemoteEndpoint(server))
    try:
        assert int(shared["graphs"].value) >= 2
        assert [row["n"].value for row in select(remote, once)] == ["1"]
        assert ([row["n"].value for row in select(remote, per_graph)] == [row["n"].value for row in select(store, per_graph)]
                == [shared["graphs"].value])
        assert remote.named_graphs() == store.named_graphs()  # neither the merge nor the server's own graphs
        assert [row["n"].value for row in select(remote, "SELECT (COUNT(*) AS ?n) WHERE { ?s a al:Alliance }")] == \
            [row["n"].value for row in select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s a al:Alliance }")]
    finally:
        remote.close()


def test_durations_read_as_the_records_write_them(server: str, store: OxigraphStore) -> None:
    """Virtuoso writes "P3Y"^^xsd:duration as "36" (months); the answer says "P3Y" again."""
    durations = "SELECT ?a ?d WHERE { ?a schema:duration ?d }"
    remote = RemoteStore(RemoteEndpoint(server))
    try:
        expected = sorted((row["a"].value, row["d"]) for row in select(store, durations))
        assert expected and {d.value for _, d in expected} >= {"P3Y", "P1Y6M", "P9M"}
        assert sorted((row["a"].value, row["d"]) for row in select(remote, durations)) == expected
    finally:
        remote.close()


def test_virtuoso_without_the_merge_graph_is_refused_with_what_to_load() -> None:
    def answer_(request: httpx.Request) -> httpx.Response:  # Virtuoso's ASK: a one-row SELECT, 0 for false
        body = b'{"head":{"vars":["__ASK_RETVAL"]},"results":{"bindings":[{"__ASK_RETVAL":{"type":"typed-literal",' \
               b'"datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"0"}}]}}'
        return httpx.Response(200, content=body, headers={"server": "Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu",
                                                          "content-type": "application/sparql-results+json"})
    with pytest.raises(AllianceError, match=f"has no graph <{MERGE_GRAPH}>: load the merge"):
        _store(answer_).query("ASK {}")


def test_virtuoso_answers_ask_as_a_boolean(small_virtuoso: str) -> None:
    remote = RemoteStore(RemoteEndpoint(small_virtuoso))
    try:
        assert isinstance(remote.query("ASK { ?s a al:Alliance }"), ox.QueryBoolean)
        assert bool(remote.query("ASK { ?s a al:Alliance }")) is True
        assert bool(remote.query("ASK { ?s a al:NoSuchClass }")) is False
    finally:
        remote.close()


def test_an_answer_virtuoso_capped_is_refused_with_the_setting_to_raise(small_virtuoso: str) -> None:
    """ResultSetMaxRows (50 here, 10,000 by default) cuts an answer silently but for a header."""
    remote = RemoteStore(RemoteEndpoint(small_virtuoso))
    try:
        with pytest.raises(AllianceError, match="cut the answer at 50 rows; raise ResultSetMaxRows"):
            remote.query("SELECT ?a WHERE { ?a a al:Alliance }")
        assert len(list(select(remote, "SELECT ?a WHERE { ?a a al:Alliance } ORDER BY ?a LIMIT 50"))) == 50  # asked for 50
        assert len(list(select(remote, "SELECT ?a WHERE { ?a a al:Alliance } ORDER BY ?a LIMIT 7"))) == 7
    finally:
        remote.close()


def test_a_partial_answer_at_virtuosos_time_limit_is_refused(small_virtuoso: str) -> None:
    """At MaxQueryExecutionTime (1 s here) Virtuoso sends what it has with status 200 (X-SQL-State
    S1TAT, refused here) or, depending on the plan, an error 500 'SR171: Transaction timed out':
    either way no answer passes for whole."""
    remote = RemoteStore(RemoteEndpoint(small_virtuoso))
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER (STRLEN(CONCAT(STR(?c), STR(?f))) > 3) }"
    try:
        with pytest.raises(AllianceError, match="sent a partial answer .*raise MaxQueryExecutionTime|SR171: Transaction timed out"):
            remote.query(heavy)
    finally:
        remote.close()


def test_the_virtuoso_headers_of_a_cut_answer_are_read_whatever_the_server_says_it_is() -> None:
    """The layer that reads them, with the headers Virtuoso 7.2 sends (recorded)."""
    empty = b'{"head":{"vars":["n"]},"results":{"bindings":[]}}'
    partial = {"x-sql-state": "S1TAT", "x-sql-message": "RC...: Returning incomplete results, query interrupted by result timeout."}
    with pytest.raises(AllianceError, match="SQL state S1TAT: RC...: Returning incomplete results"):
        _store(lambda request: httpx.Response(200, content=empty, headers=partial)).query("SELECT ?n {}")
    with pytest.raises(AllianceError, match="cut the answer at 10000 rows"):
        _store(lambda request: httpx.Response(200, content=empty, headers={"x-sparql-maxrows": "10000"})).query("SELECT ?n {}")


def test_query_text_for_virtuoso() -> None:
    # GRAPH ?g never names the merge; the filter sits in the GRAPH pattern's own group
    assert without_graph('SELECT ?g { OPTIONAL { GRAPH ?g { ?s ?p "}" } } GRAPH <x> { ?a ?b ?c } }', MERGE_GRAPH) == \
        f'SELECT ?g {{ OPTIONAL {{ GRAPH ?g {{ ?s ?p "}}" }} FILTER (?g != <{MERGE_GRAPH}>) }} GRAPH <x> {{ ?a ?b ?c }} }}'
    # Virtuoso 7 refuses local-name escapes; a backslash in a string stays
    assert unescaped_names('SELECT * { ?c al:sector tax:sector\\/automotive . ?c ?p "a\\\\b" }') == \
        'SELECT * { ?c al:sector <https://w3id.org/alliance-graph/taxonomy/sector/automotive> . ?c ?p "a\\\\b" }'
    assert [months_as_duration(months) for months in (36, 18, 9, 12, 0)] == ["P3Y", "P1Y6M", "P9M", "P1Y", "P0M"]
    assert top_level_limit("SELECT * { { SELECT ?a { ?a ?b ?c } LIMIT 3 } } LIMIT 50") == 50
    assert top_level_limit("SELECT * { { SELECT ?a { ?a ?b ?c } LIMIT 3 } }") is None
    sent = VIRTUOSO.prepare("SELECT ?s { ?s ?p ?o }")
    assert sent.startswith(f"DEFINE input:default-graph-uri <{MERGE_GRAPH}>\n")
    assert "input:default-graph-uri" not in VIRTUOSO.prepare("SELECT ?s FROM <http://example.org/g> { ?s ?p ?o }")


def test_an_order_virtuoso_refuses_for_a_long_string_is_applied_to_the_answer_by_pyoxigraph() -> None:
    """Virtuoso's SR319 (graph.rdf.engines, 'Sorting long strings'): only a top-level ORDER BY that
    the answer alone can apply is taken off the query and applied locally, in the embedded order."""
    text = "SELECT ?y (GROUP_CONCAT(?t) AS ?ts) { { SELECT ?t { ?a ?b ?t } ORDER BY ?t } } GROUP BY ?y ORDER BY DESC(?y) ?ts"
    assert split_order(text) == ("SELECT ?y (GROUP_CONCAT(?t) AS ?ts) { { SELECT ?t { ?a ?b ?t } ORDER BY ?t } } GROUP BY ?y ",
                                 "ORDER BY DESC(?y) ?ts")
    assert split_order(text + " LIMIT 5") is None  # the server must cut the sorted answer
    assert split_order("SELECT ?y { ?y ?b ?c } GROUP BY ?y ORDER BY COUNT(?c)") is None  # an aggregate: the server's
    assert split_order("SELECT ?y { { SELECT ?y { ?y ?b ?c } ORDER BY ?y } }") is None  # a sub-select's order is not the query's
    answer = ox.parse_query_results(
        b'{"head":{"vars":["y","ts"]},"results":{"bindings":[{"ts":{"type":"literal","value":"b"}},'
        b'{"y":{"type":"literal","datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"10"},"ts":{"type":"literal","value":"a"}},'
        b'{"y":{"type":"literal","datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"9"},"ts":{"type":"literal","value":"c"}}]}}',
        ox.QueryResultsFormat.JSON)
    ordered = sorted_locally(answer, "ORDER BY DESC(?y) ?ts", text)
    assert ordered is not None and [row["ts"].value for row in ordered] == ["a", "c", "b"]  # 10 > 9 as numbers; unbound last
    again = ox.parse_query_results(b'{"head":{"vars":["y"]},"results":{"bindings":[]}}', ox.QueryResultsFormat.JSON)
    assert sorted_locally(again, "ORDER BY ?z", text) is None  # a variable the answer lacks


def _virtuoso_answering(marks: list[str], answers: list[str]) -> tuple[RemoteStore, list[str]]:
    """A Virtuoso stand-in: the merge graph is there, each read of the publication mark gives the
    next of ``marks`` (the last one for ever), each other query the next of ``answers``."""
    sent: list[str] = []
    headers = {"server": "Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu", "content-type": "application/sparql-results+json"}

    def answer_(request: httpx.Request) -> httpx.Response:
        text = dict(httpx.QueryParams(request.content.decode()))["query"]
        if text.startswith("ASK"):  # the probe: Virtuoso's ASK, true
            return httpx.Response(200, headers=headers, content=b'{"head":{"vars":["__ASK_RETVAL"]},"results":{"bindings":'
                                  b'[{"__ASK_RETVAL":{"type":"literal","value":"1"}}]}}')
        if text == PUBLICATION_QUERY:
            mark = marks.pop(0) if len(marks) > 1 else marks[0]
            return httpx.Response(200, headers=headers, content=json.dumps(
                {"head": {"vars": ["state"]}, "results": {"bindings": [{"state": {"type": "literal", "value": mark}}]}}).encode())
        sent.append(text)
        value = answers.pop(0)
        return httpx.Response(200, headers=headers, content=json.dumps(
            {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": value}}]}}).encode())
    return _store(answer_), sent


def test_a_virtuoso_answer_that_a_publish_overlapped_is_asked_again() -> None:
    """graph.rdf.engines, 'Publishing': the mark read after the query differs from the one before
    (a switch began and ended meanwhile), so the first answer, maybe a mix, is not kept."""
    remote, sent = _virtuoso_answering(["stable a 1", "stable b 2"], ["mixed", "new"])
    assert [row["n"].value for row in select(remote, "SELECT ?n {}")] == ["new"]
    assert len(sent) == 2
    remote, sent = _virtuoso_answering(["stable b 2"], ["new"])
    assert [row["n"].value for row in select(remote, "SELECT ?n {}")] == ["new"] and len(sent) == 1


def test_a_virtuoso_switch_that_never_ends_is_reported_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCES_STORE_TIMEOUT", "0.5")
    remote, sent = _virtuoso_answering(["switching b 1"], [])
    with pytest.raises(AllianceError, match="switching to a new build for over 0.5 s .*build again if it was cut off"):
        remote.query("SELECT ?n {}")
    assert sent == []  # no query while the switch runs


REMOTE_COMMANDS = {
    "search": ["search", "宝钢", "--format", "json"],
    "network": ["network", "--format", "json"],
    "network-steel": ["network", "--material", "steel", "--measure", "betweenness", "--format", "json"],
    "path": ["path", "bmw", "hbis", "--format", "json"],
    "timeline": ["timeline", "--by", "material", "--format", "json"],
    "export-nquads": ["export", "nquads"],
    "export-turtle": ["export", "turtle"],
    "export-graphml": ["export", "graphml", "--material", "aluminium", "-o", "-"],
    "export-csv": ["export", "csv", "-o", "-"],
}


@pytest.mark.parametrize("command", sorted(REMOTE_COMMANDS))
def test_the_other_commands_answer_on_the_server_as_on_the_embedded_store(server: str, built: Settings, runner: CliRunner,
                                                                        command: str, tmp_path: Path) -> None:
    """search, network, path, timeline and export read a server as they read the embedded store (issue 13)."""
    args = REMOTE_COMMANDS[command]

    def run(store: str, name: str) -> bytes:
        if "-o" in args:  # network files are written to a file
            out = tmp_path / f"{name}.{args[1]}"
            result = runner.invoke(main, ["--store", store, *[str(out) if a == "-" else a for a in args]])
            assert result.exit_code == 0, result.output
            return out.read_bytes()
        result = runner.invoke(main, ["--store", store, *args])
        assert result.exit_code == 0, result.output
        return result.stdout_bytes

    on_server, embedded = run(server, "server"), run(str(built.store_path), "embedded")
    assert len(embedded) > 100  # a real answer is compared, not two empty ones
    if command.startswith("export-") and args[1] in ("nquads", "turtle"):  # the same statements, in any order
        rdf_format = ox.RdfFormat.N_QUADS if args[1] == "nquads" else ox.RdfFormat.TURTLE
        assert set(ox.parse(on_server, format=rdf_format)) == set(ox.parse(embedded, format=rdf_format))
    else:
        assert on_server == embedded
