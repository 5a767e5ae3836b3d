"""Nesting and operator limits (graph/serve/safety.py): the shapes that crashed an Oxigraph worker
are refused with 400 before any worker sees them, and shapes at the limits still run.
"""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.serve.safety import MAX_NESTING, MAX_OPERATORS, Refused, check_operation

from endpoint_support import Server, make_store, running_server

MAX_CHARS = 100_000


def nested_braces(n: int) -> str:
    return "SELECT * WHERE " + "{" * n + "}" * n


def nested_parentheses(n: int) -> str:
    return "SELECT * WHERE { FILTER(" + "(" * n + "1" + ")" * n + ") }"


def nested_calls(n: int) -> str:
    return "SELECT * WHERE { BIND(" + "STR(" * n + "1" + ")" * n + " AS ?x) }"


def binds(n: int) -> str:
    return "SELECT * WHERE { " + "".join(f"BIND(1 AS ?{i})" for i in range(n)) + " }"


def unions(n: int) -> str:
    return "SELECT * WHERE { " + " UNION ".join(["{}"] * n) + " }"


def additions(n: int) -> str:
    return "SELECT * WHERE { BIND(" + "+".join(["1"] * n) + " AS ?x) }"


def optionals(n: int) -> str:
    return "SELECT * WHERE { " + " ".join(f"OPTIONAL{{?s ?p ?o{i}}}" for i in range(n)) + " }"


# Each crashed a pyoxigraph 0.5.13 worker process (SIGSEGV: its stack overflowed).
CRASHED_A_WORKER = {
    "3,000 nested braces": (nested_braces(3_000), "nests"),
    "10,000 nested parentheses": (nested_parentheses(10_000), "nests"),
    "1,000 nested function calls": (nested_calls(1_000), "nests"),
    "3,000 BINDs": (binds(3_000), "operators"),
    "7,000 UNIONs": (unions(7_000), "operators"),
    "7,000 additions": (additions(7_000), "operators"),
    "10,000 ORs": ("SELECT * WHERE { FILTER(" + " || ".join(["true"] * 10_000) + ") }", "operators"),
    "3,000 OPTIONALs": (optionals(3_000), "operators"),
    "nested blank nodes in an update": ("INSERT DATA { <http://e/s> <http://e/p> " + "[ <http://e/p> " * 3_000 + "1"
                                        + " ]" * 3_000 + " }", "nests"),
}


@pytest.mark.parametrize("text, limit", list(CRASHED_A_WORKER.values()), ids=list(CRASHED_A_WORKER))
def test_shapes_that_crashed_a_worker_are_refused_with_the_limit_named(text: str, limit: str) -> None:
    assert len(text) <= MAX_CHARS  # within the size limit: only the new limits stop them
    with pytest.raises(Refused) as refused:
        check_operation(text, MAX_CHARS)
    assert refused.value.status == 400
    assert limit in refused.value.message
    assert (f"{MAX_NESTING:,}" if limit == "nests" else f"{MAX_OPERATORS:,}") in refused.value.message


def test_the_limits_are_exact() -> None:
    check_operation(nested_braces(MAX_NESTING), MAX_CHARS)
    with pytest.raises(Refused, match="nests brackets"):
        check_operation(nested_braces(MAX_NESTING + 1), MAX_CHARS)
    # operators: '*', '{', BIND, and the additions
    check_operation(additions(MAX_OPERATORS - 3 + 1), MAX_CHARS)
    with pytest.raises(Refused, match="operators"):
        check_operation(additions(MAX_OPERATORS - 3 + 2), MAX_CHARS)


def test_brackets_in_strings_comments_and_iris_do_not_count() -> None:
    deep = "(" * (MAX_NESTING * 2)
    check_operation(f"SELECT * WHERE {{ ?s ?p '{deep}' }} # {deep}\n", MAX_CHARS)
    check_operation("SELECT * WHERE { ?s ?p <http://e/a_(b)> }" + " # " + "{" * MAX_NESTING * 2, MAX_CHARS)


def test_shapes_at_the_limits_run_in_oxigraph() -> None:
    """The limits leave a margin: what they let through does not crash a worker."""
    shapes = [nested_braces(MAX_NESTING), nested_parentheses(MAX_NESTING - 2), nested_calls(MAX_NESTING - 2),  # - { (
              binds(MAX_OPERATORS - 4), unions(MAX_OPERATORS // 2 - 1), additions(MAX_OPERATORS - 3),
              optionals(MAX_OPERATORS // 2 - 1)]
    for shape in shapes:
        check_operation(shape, MAX_CHARS)
    script = ("import sys, pyoxigraph as ox\n"
              "store = ox.Store()\n"
              "for text in sys.stdin.read().split('\\0'):\n"
              "    list(store.query(text))\n")
    run = subprocess.run([sys.executable, "-c", script], input="\0".join(shapes), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-500:]


# ------------------------------------------------------------------ over HTTP: refused before a worker runs it

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("limits")
    (folder / "data.nt").write_text("<http://e/s> <http://e/p> <http://e/o> .\n")
    store = make_store(folder / "store", [(folder / "data.nt", "http://e/g")])
    with running_server(store, workers=1, deadline_s=20) as running:
        yield running


@pytest.mark.parametrize("name", ["3,000 nested braces", "10,000 nested parentheses", "7,000 UNIONs"])
def test_the_endpoint_refuses_them_and_its_worker_keeps_answering(name: str, server: Server) -> None:
    text, limit = CRASHED_A_WORKER[name]
    response = httpx.post(server.sparql, content=text.encode(), headers={"content-type": "application/sparql-query"},
                          timeout=60)
    assert response.status_code == 400, response.text
    assert limit in response.text
    ask = httpx.get(server.sparql, params={"query": "ASK { ?s ?p ?o }"},
                    headers={"accept": "application/sparql-results+json"}, timeout=60)
    assert ask.status_code == 200 and ask.json()["boolean"] is True


def test_a_client_that_sent_a_crashing_shape_waits_and_others_do_not(tmp_path: Path) -> None:
    """A shape refused for its nesting is treated as a crash: its client's next request is held
    (here past the 0.5 s deadline, shorter than the first 1 s wait, so 429 with Retry-After), before
    any lexing, while another client is answered at once. A client in a crash loop then costs the server one request per wait."""
    (tmp_path / "data.nt").write_text("<http://e/s> <http://e/p> <http://e/o> .\n")
    store = make_store(tmp_path / "store", [(tmp_path / "data.nt", "http://e/g")])
    ask = {"query": "ASK { ?s ?p ?o }"}
    with running_server(store, workers=1, deadline_s=0.5) as running:
        def at(address: str) -> httpx.Client:
            return httpx.Client(base_url=running.base, timeout=60.0, transport=httpx.HTTPTransport(local_address=address))
        with at("127.0.0.21") as looping, at("127.0.0.22") as other:
            text, _ = CRASHED_A_WORKER["3,000 nested braces"]
            assert looping.get("/sparql", params={"query": text}).status_code == 400
            held = looping.get("/sparql", params=ask)
            assert held.status_code == 429 and "Retry-After" in held.headers, held.text
            assert other.get("/sparql", params=ask).status_code == 200
