"""``alliances --store URL serve``: the endpoint in front of a remote SPARQL store (graph/serve/forward.py),
tested against the Oxigraph server (PyPI ``oxigraph``) on 127.0.0.1: the same answers as the
embedded store, and every limit of the endpoint kept."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from graph.cli import main
from graph.config import Settings
from graph.errors import AllianceError
from graph.rdf.location import RemoteEndpoint
from graph.rdf.store import OxigraphStore
from graph.serve.app import create_app
from graph.serve.context import ServeSettings

from endpoint_support import Server, running_server
from network_support import Listener
from remote_servers import dump, oxigraph


@pytest.fixture(scope="module")
def oxigraph_server(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Oxigraph server on the project's graph (tests/remote_servers.py): its query endpoint."""
    with oxigraph(tmp_path_factory.mktemp("oxigraph"), dump(built.store_path, tmp_path_factory.mktemp("dump"))) as url:
        yield url

JSON = "application/sparql-results+json"
PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def forwarding(oxigraph_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # noqa: F811
    with running_server(tmp_path_factory.mktemp("no-store") / "store", remote=RemoteEndpoint(oxigraph_server),
                        workers=2, deadline_s=2.0, max_rows=50, client_workers=1, client_queue=0) as server:
        yield server


def _post(server: Server, query: str, **params: str) -> httpx.Response:
    return httpx.post(server.sparql, content=query.encode(), params=params, timeout=30,
                      headers={"Content-Type": "application/sparql-query", "Accept": JSON})


def _rows(response: httpx.Response) -> list[tuple[str, ...]]:
    assert response.status_code == 200, response.text
    document = response.json()
    return sorted(tuple(row[v]["value"] for v in document["head"]["vars"] if v in row) for row in document["results"]["bindings"])


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g LIMIT 20",
    "SELECT ?a ?label WHERE { ?a a al:Alliance ; skos:prefLabel ?label } ORDER BY ?a ?label LIMIT 40",
])
def test_answers_are_those_of_the_embedded_store(query: str, forwarding: Server, store: OxigraphStore) -> None:
    expected = sorted(tuple(term.value for term in row) for row in store.query(query))  # type: ignore[union-attr]
    assert expected, "the query should find something in the project's graph"
    assert _rows(_post(forwarding, query)) == expected


def test_ask_and_the_formats_of_the_endpoint(forwarding: Server) -> None:
    response = httpx.get(forwarding.sparql, params={"query": "ASK { ?a a al:Alliance }"}, headers={"Accept": JSON})
    assert response.status_code == 200 and response.json()["boolean"] is True
    csv = httpx.get(forwarding.sparql, params={"query": "SELECT ?a WHERE { ?a a al:Alliance } ORDER BY ?a LIMIT 3"},
                    headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv") and len(csv.text.splitlines()) == 4


def test_service_is_refused_and_never_reaches_anyone(forwarding: Server) -> None:
    with Listener() as listening:
        response = _post(forwarding, f"SELECT * WHERE {{ SERVICE <{listening.url}/sparql> {{ ?s ?p ?o }} }}")
        assert response.status_code == 400 and "SERVICE" in response.text
        listening.settle()
        assert listening.calls() == []


def test_the_row_limit_holds(forwarding: Server) -> None:
    response = _post(forwarding, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 51")
    assert response.status_code == 400 and "50" in response.text


def test_the_byte_limit_holds(oxigraph_server: str, tmp_path: Path) -> None:  # noqa: F811
    with running_server(tmp_path / "store", remote=RemoteEndpoint(oxigraph_server), workers=1, max_result_bytes=2_000) as small:
        response = _post(small, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 40")
        assert response.status_code == 400 and "2,000 bytes" in response.text
        assert _post(small, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1").status_code == 200


def test_the_dataset_of_the_protocol_is_refused_with_what_to_do(forwarding: Server) -> None:
    response = _post(forwarding, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{"default-graph-uri": "http://example.org/g"})
    assert response.status_code == 400 and "FROM" in response.text


def test_the_deadline_and_the_turns_of_a_client_hold(forwarding: Server) -> None:
    pool = forwarding.app.state.context.pool
    answers: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: answers.append(_post(forwarding, PATHOLOGICAL)))
    slow.start()
    deadline = time.monotonic() + 10
    while pool.slots.busy == 0:  # the slow query holds the client's one slot
        assert time.monotonic() < deadline, "the slow query never started"
        time.sleep(0.01)
    second = _post(forwarding, "ASK {}")
    slow.join(30)
    assert second.status_code == 429  # one at a time, none waiting (--client-workers 1 --client-queue 0)
    assert answers and answers[0].status_code == 503 and "deadline" in answers[0].text


def test_a_remote_that_times_out_first_is_the_deadline_too(forwarding: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's read timeout is the deadline: when it runs out before the server's own clock (a
    loaded machine), the answer is the same 503, not a 502 as if the store had failed."""
    monkeypatch.setattr(forwarding.app.state.context.pool, "deadline_s", 30.0)  # the client's 2 s run out first
    response = _post(forwarding, PATHOLOGICAL)
    assert response.status_code == 503 and "deadline" in response.text, (response.status_code, response.text)


def test_updates_are_not_forwarded(oxigraph_server: str, tmp_path: Path, built: Settings) -> None:  # noqa: F811
    settings = ServeSettings(store_path=tmp_path / "store", remote=RemoteEndpoint(oxigraph_server), allow_update=True,
                             update_token="t")
    with pytest.raises(AllianceError, match="not forwarded"):
        create_app(settings)
    result = CliRunner().invoke(main, ["--store", oxigraph_server, "serve", "--allow-update", "--token", "t"])
    assert result.exit_code == 2 and "not forwarded" in result.output


def test_an_update_sent_to_the_endpoint_is_refused(forwarding: Server) -> None:
    response = httpx.post(forwarding.sparql, content=b"INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }",
                          headers={"Content-Type": "application/sparql-update"}, timeout=30)
    assert response.status_code == 403
