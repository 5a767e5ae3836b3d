"""Read replicas (docs/scaling.md): several ``serve`` processes on copies of one build, behind any
load balancer, answer alike, so a client cannot tell which one answered."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx

from graph.config import Settings
from graph.rdf.store import OxigraphStore

from endpoint_support import CACHE, running_server

RESULTS = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values")
GRAPHS = ("text/turtle", "application/n-triples")
SELECTS = ["SELECT ?a ?label WHERE { ?a a al:Alliance ; skos:prefLabel ?label } ORDER BY ?a ?label",
           "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
           "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
           "ASK { ?a a al:Alliance }"]
CONSTRUCT = "CONSTRUCT { ?a skos:prefLabel ?label } WHERE { ?a a al:Alliance ; skos:prefLabel ?label }"


def _copy_of_the_build(built: Settings, to: Path) -> Path:
    """The published build's folder, copied as an operator would copy it to another machine."""
    shutil.copytree(os.path.realpath(built.store_path), to)
    return to


def test_two_replicas_on_copies_of_one_build_answer_identically(built: Settings, store: OxigraphStore, tmp_path: Path) -> None:
    first, second = _copy_of_the_build(built, tmp_path / "replica-1"), _copy_of_the_build(built, tmp_path / "replica-2")
    with running_server(first, workers=1, cache_bytes=CACHE) as one, running_server(second, workers=1) as two:
        asked = [(text, accept) for text in SELECTS for accept in RESULTS] + [(CONSTRUCT, accept) for accept in GRAPHS]
        for text, accept in asked:
            answers = [httpx.get(replica.sparql, params={"query": text}, headers={"Accept": accept}, timeout=60)
                       for replica in (one, two, one)]  # the third: replica one again, from its cache
            assert [response.status_code for response in answers] == [200, 200, 200], (text, accept)
            assert answers[0].content == answers[1].content == answers[2].content, (text, accept)
            assert answers[0].headers["content-type"] == answers[1].headers["content-type"]
        assert one.app.state.context.cache.hits >= len(asked)
        counted = httpx.get(one.sparql, params={"query": SELECTS[2]}, headers={"Accept": RESULTS[0]}, timeout=60).json()
    (expected,) = store.query(SELECTS[2])  # type: ignore[misc]
    assert counted["results"]["bindings"][0]["n"]["value"] == expected["n"].value  # and what they answer is the build's
