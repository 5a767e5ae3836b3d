"""graph/serve/app.py: the service description's choice between the query page (HTML) and RDF,
made by the one content negotiator; and a server whose explorer cannot be loaded does not start."""
from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest

from graph.cli import main
from graph.config import Settings
from graph.errors import AllianceError
from graph.serve.app import create_app
from graph.serve.context import ServeSettings

from endpoint_support import Server, running_server

SD_SERVICE = "http://www.w3.org/ns/sparql-service-description#Service"


@pytest.fixture(scope="module")
def with_pages(built: Settings) -> Iterator[Server]:
    """The project's graph served read-only with the explorer, whose /query a browser is sent to."""
    with running_server(built.store_path, explorer=True, workers=1, deadline_s=5) as server:
        yield server


@pytest.mark.parametrize("accept, media", [
    ("text/html;q=0.1, text/turtle", "text/turtle"),  # the client prefers Turtle
    ("text/html;q=0, */*", "text/turtle"),  # HTML refused outright
    ("application/n-triples, text/html;q=0.5", "application/n-triples"),
    ("*/*", "text/turtle"),  # anything: RDF, the description itself
    (None, "text/turtle"),
])
def test_the_service_description_is_rdf_when_the_client_prefers_rdf(accept: str | None, media: str, with_pages: Server) -> None:
    with with_pages.client() as client:
        response = client.get("/sparql", headers={"accept": accept} if accept is not None else {}, follow_redirects=False)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    fmt = ox.RdfFormat.from_media_type(media)
    assert fmt is not None
    assert any(t.object.value == SD_SERVICE for t in ox.parse(response.content, format=fmt))


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html",
                                    "application/xhtml+xml"])
def test_a_browser_is_sent_to_the_query_page(accept: str, with_pages: Server) -> None:
    with with_pages.client() as client:
        response = client.get("/sparql", headers={"accept": accept}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/query"


# ------------------------------------------------------------------ an explorer that cannot be loaded

@pytest.fixture
def broken_explorer(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import graph.serve.explorer`` raises ImportError, as when a dependency of its pages is missing."""
    for name in [name for name in sys.modules if name.startswith("graph.serve.explorer")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "graph.serve.explorer", None)


def test_an_explorer_that_cannot_be_loaded_stops_the_app(broken_explorer: None, built: Settings) -> None:
    with pytest.raises(AllianceError, match=r"explorer.*cannot be loaded.*graph\.serve\.explorer"):
        create_app(ServeSettings(store_path=built.store_path, workers=1))


def test_alliances_serve_fails_with_one_line_when_the_explorer_cannot_be_loaded(
        broken_explorer: None, built: Settings, runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(app))  # never serve in a test
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(main, ["--store", str(built.store_path), "serve", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert not served
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "explorer" in errors[0] and "scripts/setup" in errors[0], result.output
    assert "Traceback" not in result.output
