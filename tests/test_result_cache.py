"""The result cache of the endpoint (graph/serve/cache.py, graph/serve/fastpath.py): keyed by query,
dataset, format and build; bounded in bytes; dropped when a build is published; never an error, a
stopped query or an update; and a cached answer is one the limits allowed (a client held after a
fault is held for a cached answer too)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from graph.rdf.store import OxigraphStore, new_build_dir, publish
from graph.serve.cache import CacheKey, ResultCache
from graph.serve.execute import Outcome, text_outcome

from endpoint_support import CACHE, Server, running_server

EX = "http://example.org/"
JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
OBJECTS = f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }} ORDER BY ?o"
HEAD = [(b"content-type", JSON.encode())]


def key(text: str = "ASK {}", default: tuple[str, ...] = (), named: tuple[str, ...] = (), base: str = "http://h/sparql",
        formats: tuple[str | None, str | None] = (JSON, "text/turtle")) -> CacheKey:
    return CacheKey(text, default, named, base, formats)


def ok(body: bytes = b"{}") -> Outcome:
    return Outcome(200, JSON, body, 1)


# ------------------------------------------------------------------ the cache alone

def test_each_part_of_the_key_tells_answers_apart() -> None:
    cache = ResultCache(1_000_000)
    cache.get(key(), "b1")
    variants = [key(), key(text="ASK { ?s ?p ?o }"), key(default=(f"{EX}g1",)), key(named=(f"{EX}g1",)),
                key(base="http://other/sparql"), key(formats=(XML, "text/turtle")), key(formats=(JSON, "application/n-triples"))]
    for index, variant in enumerate(variants):
        cache.put(variant, "b1", ok(str(index).encode()), HEAD)
    assert [cache.get(variant, "b1").outcome.body for variant in variants] == [str(i).encode() for i in range(len(variants))]  # type: ignore[union-attr]


def test_another_build_finds_nothing_and_drops_every_entry() -> None:
    cache = ResultCache(1_000_000)
    cache.get(key(), "builds/1")
    cache.put(key(), "builds/1", ok(), HEAD)
    assert cache.get(key(), "builds/1") is not None
    assert cache.get(key(), "builds/2") is None
    assert len(cache) == 0 and cache.size == 0
    assert cache.get(key(), "builds/1") is None  # and nothing of the old build comes back


def test_an_answer_of_another_build_than_the_last_asked_for_is_not_kept() -> None:
    cache = ResultCache(1_000_000)
    cache.get(key(), "builds/2")  # a request saw the new build while a worker still held the old one
    cache.put(key(), "builds/1", ok(), HEAD)
    assert len(cache) == 0


@pytest.mark.parametrize("outcome", [text_outcome(400, "syntax error"), text_outcome(503, "stopped at the deadline"),
                                     text_outcome(429, "wait", 3.0), text_outcome(500, "the worker crashed"),
                                     Outcome(204, "text/plain", b"")])
def test_nothing_but_a_complete_answer_is_kept(outcome: Outcome) -> None:
    cache = ResultCache(1_000_000)
    cache.get(key(), None)
    cache.put(key(), None, outcome, HEAD)
    assert len(cache) == 0


def test_the_bytes_are_bounded_and_the_least_recently_used_go_first() -> None:
    cache = ResultCache(40_000)
    cache.get(key(), None)
    for index in range(20):
        cache.put(key(text=f"ASK {{ <{EX}{index}> ?p ?o }}"), None, ok(b"x" * 3_000), HEAD)
        cache.get(key(text=f"ASK {{ <{EX}0> ?p ?o }}"), None)  # the first one stays in use
        assert cache.size <= cache.max_bytes
    assert 0 < len(cache) < 20
    assert cache.get(key(text=f"ASK {{ <{EX}0> ?p ?o }}"), None) is not None
    assert cache.get(key(text=f"ASK {{ <{EX}1> ?p ?o }}"), None) is None


def test_an_answer_over_an_eighth_of_the_bound_is_not_kept() -> None:
    cache = ResultCache(80_000)
    cache.get(key(), None)
    cache.put(key(text="ASK { ?small ?p ?o }"), None, ok(b"x" * 100), HEAD)
    cache.put(key(), None, ok(b"x" * 10_001), HEAD)
    assert cache.get(key(), None) is None
    assert cache.get(key(text="ASK { ?small ?p ?o }"), None) is not None  # and it did not push the small one out


def test_no_cache_at_all_with_size_zero() -> None:
    cache = ResultCache(0)
    cache.get(key(), None)
    cache.put(key(), None, ok(), HEAD)
    assert len(cache) == 0


# ------------------------------------------------------------------ the cache in a running server

def _build(store_path: Path, data: str) -> None:
    """Publish a build of ``data`` (N-Triples, in one named graph) as `alliances build` does."""
    lease = new_build_dir(store_path)
    store = OxigraphStore.create(lease.folder)
    store.load(data.encode(), ox.RdfFormat.N_TRIPLES, f"{EX}g1")
    store.materialise_union()
    store.flush()
    store.close()
    publish(store_path, lease.folder)
    lease.release()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store_path = tmp_path_factory.mktemp("cache") / "store"
    _build(store_path, f"<{EX}s> <{EX}p> <{EX}a> .\n<{EX}s> <{EX}p> <{EX}b> .\n")
    return store_path


@pytest.fixture(scope="module")
def server(published: Path) -> Iterator[Server]:
    with running_server(published, deadline_s=2.0, workers=1, max_rows=3, cache_bytes=CACHE) as running:
        yield running


def _cache(server: Server) -> ResultCache:
    cache = server.app.state.context.cache
    assert cache is not None
    return cache  # type: ignore[no-any-return]


def _post(server: Server, query: str, accept: str = JSON, **params: str) -> httpx.Response:
    return httpx.post(server.sparql, content=query.encode(), params=params, timeout=30,
                      headers={"Content-Type": "application/sparql-query", "Accept": accept})


def _objects(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["o"]["value"] for row in response.json()["results"]["bindings"]]


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_answer(server: Server) -> None:
    cache = _cache(server)
    query = f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }} ORDER BY DESC(?o)"
    first = _post(server, query)
    hits = cache.hits
    again = [_post(server, query), httpx.get(server.sparql, params={"query": query}, headers={"Accept": JSON})]
    assert cache.hits == hits + 2
    for response in again:
        assert (response.status_code, response.content) == (first.status_code, first.content)
        assert {name: response.headers[name] for name in ("content-type", "content-length", "access-control-allow-origin", "vary")} == \
               {name: first.headers[name] for name in ("content-type", "content-length", "access-control-allow-origin", "vary")}
    assert _objects(first) == [f"{EX}b", f"{EX}a"]


def test_the_format_is_part_of_the_key(server: Server) -> None:
    json_answer, xml_answer = _post(server, OBJECTS), _post(server, OBJECTS, accept=XML)
    again_json, again_xml = _post(server, OBJECTS), _post(server, OBJECTS, accept=XML)
    assert json_answer.headers["content-type"].startswith(JSON) and xml_answer.headers["content-type"].startswith(XML)
    assert (again_json.content, again_xml.content) == (json_answer.content, xml_answer.content)
    assert again_json.content != again_xml.content


def test_the_dataset_is_part_of_the_key(server: Server) -> None:
    assert _objects(_post(server, OBJECTS)) == [f"{EX}a", f"{EX}b"]
    assert _objects(_post(server, OBJECTS, **{"default-graph-uri": f"{EX}other"})) == []
    assert _objects(_post(server, OBJECTS, **{"default-graph-uri": f"{EX}g1"})) == [f"{EX}a", f"{EX}b"]
    assert _objects(_post(server, OBJECTS, **{"default-graph-uri": f"{EX}other"})) == []


def test_errors_and_refusals_are_not_kept(server: Server) -> None:
    cache = _cache(server)
    before = len(cache)
    for query, status in [("SELECT ?o WHERE { ?s ?p ?o", 400),  # a syntax error
                          ("SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }", 400),  # over max_rows (3)
                          ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", 400)]:
        for _ in range(2):
            assert _post(server, query).status_code == status
    assert len(cache) == before


def test_a_query_stopped_at_its_deadline_is_not_kept(server: Server) -> None:
    cache = _cache(server)
    before = len(cache)
    values = " ".join(map(str, range(100)))
    slow = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"VALUES ?{v} {{ {values} }}" for v in "abcde") + " }"  # 10^10 rows
    response = _post(server, slow)
    assert response.status_code == 503 and "deadline" in response.text
    assert len(cache) == before


def test_a_client_held_after_a_fault_is_held_for_a_cached_answer_too(published: Path) -> None:
    with running_server(published, deadline_s=1.0, workers=1, cache_bytes=CACHE) as held:
        held.app.state.context.pool.fault_wait_first_s = 600.0  # longer than the deadline: a held request ends in 429
        assert _post(held, OBJECTS).status_code == 200
        assert _post(held, OBJECTS).status_code == 200  # cached
        deep = "ASK { " + "{ " * 200 + "} " * 200 + "}"
        assert _post(held, deep).status_code == 400  # a shape known to crash workers: its client waits
        response = _post(held, OBJECTS)
        assert response.status_code == 429 and "Retry-After" in response.headers


def test_a_published_build_is_answered_at_once(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    _build(store_path, f"<{EX}s> <{EX}p> <{EX}old> .\n")
    with running_server(store_path, workers=1, cache_bytes=CACHE) as running:
        assert _objects(_post(running, OBJECTS)) == [f"{EX}old"]
        assert _objects(_post(running, OBJECTS)) == [f"{EX}old"]  # from the cache
        _build(store_path, f"<{EX}s> <{EX}p> <{EX}new> .\n")
        assert _objects(_post(running, OBJECTS)) == [f"{EX}new"]


def test_no_cache_with_updates(published: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "writable"
    _build(store_path, f"<{EX}s> <{EX}p> <{EX}a> .\n")
    with running_server(store_path, workers=1, allow_update=True, update_token="t", cache_bytes=CACHE) as writable:
        assert writable.app.state.context.cache is None
        assert _objects(_post(writable, OBJECTS)) == [f"{EX}a"]
        update = httpx.post(writable.sparql, content=f"INSERT DATA {{ GRAPH <{EX}g1> {{ <{EX}s> <{EX}p> <{EX}c> }} }}",
                            headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer t"}, timeout=30)
        assert update.status_code == 204, update.text
        assert _objects(_post(writable, OBJECTS)) == [f"{EX}a", f"{EX}c"]
