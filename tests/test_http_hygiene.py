"""HTTP hygiene of ``alliances serve``, on a real uvicorn server with the options ``serve`` gives it
(endpoint_support.running_server): the Host allow-list for updates (DNS rebinding), the status of
each malformed request the README lists, redirects that never name the client's Host, limits on
the request line and header fields, and the deadline for receiving a request (slowloris).

Requests the HTTP clients would refuse to send (a 70 KB URL, a 2 MB header line, a request sent
one line at a time) go through a raw socket. Every wait is a loop bounded by a generous limit
that stops by itself.
"""
from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.errors import AllianceError
from graph.serve.hosts import HostPolicy

from endpoint_support import Server, captured_access_log, make_store, running_server

TOKEN = "hygiene-test-token"
EX = "http://example.org/"
REQUEST_TIMEOUT_S = 1.0  # the servers' --request-timeout
WAIT_LIMIT_S = 15.0  # how long a test waits for the server to act before it fails
PROXY_NAME = "sparql.example.org"  # given to the writable server as --allowed-host
ASK = "ASK {}"
INSERT = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}"


# ------------------------------------------------------------------ servers

@pytest.fixture(scope="module")
def data_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hygiene")
    data = folder / "data.nt"
    data.write_text("".join(f"<{EX}s{i}> <{EX}p> <{EX}o{i % 7}> .\n" for i in range(300)))
    return make_store(folder / "store", [(data, f"{EX}g")])


@pytest.fixture(scope="module")
def reader(data_store: Path) -> Iterator[Server]:
    """Read-only, with the explorer (for its redirects) and a 1 s request timeout."""
    with running_server(data_store, explorer=True, request_timeout_s=REQUEST_TIMEOUT_S, deadline_s=3) as server:
        yield server


SMALL_DATA = f"<{EX}s> <{EX}p> <{EX}o> .\n"


@pytest.fixture(scope="module")
def writer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hygiene-writable")
    data = folder / "data.nt"
    data.write_text(SMALL_DATA)
    store = make_store(folder / "store", [(data, f"{EX}g")])
    with running_server(store, allow_update=True, update_token=TOKEN, allowed_hosts=(PROXY_NAME,),
                        request_timeout_s=REQUEST_TIMEOUT_S) as server:
        yield server


@pytest.fixture
def writer(writer_server: Server) -> Server:
    """--allow-update with a token, and --allowed-host sparql.example.org (a reverse proxy's name);
    holding one triple in <http://example.org/g> at the start of each test."""
    reset = update(writer_server, f"DROP ALL ; INSERT DATA {{ GRAPH <{EX}g> {{ {SMALL_DATA} }} }}")
    assert reset.status_code in (200, 204), reset.text
    return writer_server


def update(server: Server, text: str, **headers: str) -> httpx.Response:
    return httpx.post(server.sparql, content=text.encode(), timeout=30,
                      headers={"content-type": "application/sparql-update", "authorization": f"Bearer {TOKEN}", **headers})


def ask(server: Server, query: str) -> bool:
    response = httpx.get(server.sparql, params={"query": query}, headers={"accept": "application/sparql-results+json"},
                         timeout=30)
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def is_plain_error(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("text/plain")
    for word in words:
        assert word in response.text, response.text


def still_serving(server: Server) -> None:
    assert ask(server, ASK)


# ------------------------------------------------------------------ raw connections

def connect(server: Server) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=5)
    sock.settimeout(0.1)
    return sock


def read_until_closed(sock: socket.socket, limit_s: float = WAIT_LIMIT_S) -> tuple[bytes, bool]:
    """What the server sends until it closes the connection, and whether it closed it within limit_s."""
    received = b""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def exchange(server: Server, request: bytes) -> tuple[int, bytes]:
    """Send one raw request (that may be refused before it is all sent); the status and body of the answer."""
    with connect(server) as sock:
        try:
            sock.settimeout(5)
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-request: the answer was sent before the connection closed
        sock.settimeout(0.1)
        received, closed = read_until_closed(sock)
    assert received, "the server sent no answer"
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def status_of_first_answer(received: bytes) -> int | None:
    return int(received.split()[1]) if received.startswith(b"HTTP/1.1 ") else None


# ------------------------------------------------------------------ updates: the Host allow-list

def test_dns_rebinding_an_update_naming_a_foreign_host_is_refused_even_with_the_token(writer: Server) -> None:
    foreign = f"evil.example:{writer.port}"
    rebinding = update(writer, INSERT, host=foreign, origin=f"http://{foreign}")
    is_plain_error(rebinding, 403, "Host", "--allowed-host")
    is_plain_error(update(writer, INSERT, host=foreign), 403, "Host")
    form = httpx.post(writer.sparql, data={"update": INSERT}, timeout=30,
                      headers={"authorization": f"Bearer {TOKEN}", "host": foreign, "origin": f"http://{foreign}"})
    is_plain_error(form, 403, "Host")
    assert not ask(writer, f"ASK {{ <{EX}a> ?p ?o }}")


@pytest.mark.parametrize("origin", ["http://evil.example:{port}", "http://localhost:1", "null", "http://127.0.0.1:{port}/x"])
def test_an_update_from_a_foreign_origin_is_refused_with_an_allowed_host(origin: str, writer: Server) -> None:
    response = update(writer, INSERT, host=f"localhost:{writer.port}", origin=origin.format(port=writer.port))
    is_plain_error(response, 403, "origin")
    assert not ask(writer, f"ASK {{ <{EX}a> ?p ?o }}")


@pytest.mark.parametrize("host, origin", [
    ("127.0.0.1:{port}", None), ("localhost:{port}", "http://localhost:{port}"), ("[::1]:{port}", "http://[::1]:{port}"),
    ("LOCALHOST:{port}", None), (PROXY_NAME, f"https://{PROXY_NAME}"), (f"{PROXY_NAME}:{{port}}", None),
])
def test_an_update_naming_this_server_is_applied(host: str, origin: str | None, writer: Server) -> None:
    headers = {"host": host.format(port=writer.port)}
    if origin:
        headers["origin"] = origin.format(port=writer.port)
    response = update(writer, INSERT, **headers)
    assert response.status_code in (200, 204), response.text
    assert ask(writer, f"ASK {{ <{EX}a> ?p ?o }}")


def test_reads_answer_whatever_the_host(reader: Server) -> None:
    """Reads are public and CORS-open: a Host check would refuse readers for no gain (graph/serve/app.py)."""
    response = httpx.get(reader.sparql, params={"query": ASK}, headers={"host": "evil.example"}, timeout=30)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("bound, allowed, accepted, refused", [
    ("127.0.0.1", (), ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"], ["127.0.0.1:8001", "evil.example:8000", "", "localhost"]),
    ("0.0.0.0", (), ["localhost:8000", "127.0.0.1:8000"], ["0.0.0.0:8000", "192.168.1.5:8000"]),
    ("::", ("192.168.1.5", "[fe80::1]:9000"), ["[::1]:8000", "192.168.1.5:8000", "192.168.1.5", "[fe80::1]:9000"],
     ["[fe80::1]:8000", "192.168.1.5:9000"]),
    ("192.168.1.5", ("Sparql.Example.org",), ["192.168.1.5:8000", "sparql.example.org", "SPARQL.example.org:443"],
     ["localhost:8000", "127.0.0.1:8000", "sparql.example.org:8080"]),
])
def test_host_policy(bound: str, allowed: tuple[str, ...], accepted: list[str], refused: list[str]) -> None:
    policy = HostPolicy(bound, 8000, allowed)
    for host in accepted:
        assert policy.allows_host(host, "http"), host
    for host in refused:
        assert not policy.allows_host(host, "http"), host


@pytest.mark.parametrize("entry", ["bad host", "a:b", "user@example.org", "example.org/path", "::1"])
def test_an_allowed_host_that_is_not_a_host_is_a_usage_error(entry: str) -> None:
    with pytest.raises(AllianceError, match="--allowed-host"):
        HostPolicy("127.0.0.1", 8000, [entry])


# ------------------------------------------------------------------ the README's status table

@pytest.mark.parametrize("name, value", [("default-graph-uri", "not an iri"), ("named-graph-uri", "<http://a/>"),
                                         ("default-graph-uri", "relative/path")])
def test_400_for_a_dataset_parameter_that_is_not_an_iri(name: str, value: str, reader: Server) -> None:
    is_plain_error(httpx.get(reader.sparql, params={"query": ASK, name: value}, timeout=30), 400, name)
    form = httpx.post(reader.sparql, data={"query": ASK, name: value}, timeout=30)
    is_plain_error(form, 400, name)


def test_400_for_a_using_graph_that_is_not_an_iri(writer: Server) -> None:
    response = httpx.post(writer.sparql, params={"using-graph-uri": "x> } ; DROP ALL ; INSERT { <a:b"}, timeout=30,
                          content=f"INSERT {{ <{EX}a> <{EX}b> <{EX}c> }} WHERE {{ }}".encode(),
                          headers={"content-type": "application/sparql-update", "authorization": f"Bearer {TOKEN}"})
    is_plain_error(response, 400, "using-graph-uri")
    assert ask(writer, f"ASK {{ <{EX}s> ?p ?o }}")


@pytest.mark.parametrize("size", [64_001, 70_000, 300_000])
def test_413_with_our_message_for_a_url_over_the_limit(size: int, reader: Server) -> None:
    prefix = b"/sparql?query=ASK%7B%7D%23"
    target = prefix + b"x" * (size - len(prefix))
    status, body = exchange(reader, b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert status == 413 and b"64,000 bytes" in body and b"POST" in body, body
    still_serving(reader)


def test_a_url_at_the_limit_is_answered(reader: Server) -> None:
    prefix = b"/sparql?query=ASK%7B%7D%23"
    status, body = exchange(reader, b"GET " + prefix + b"x" * (64_000 - len(prefix)) +
                            b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert status == 200, body


def test_400_for_query_both_in_the_url_and_a_form_body(reader: Server) -> None:
    for in_url, in_body in (("query", "query"), ("query", "update"), ("update", "query")):
        response = httpx.post(reader.sparql, params={in_url: ASK}, data={in_body: ASK}, timeout=30)
        is_plain_error(response, 400, "URL")


def test_dataset_parameters_in_the_url_and_a_form_body_both_count(reader: Server) -> None:
    query = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = httpx.post(reader.sparql, params={"named-graph-uri": f"{EX}g"}, timeout=30,
                          data={"query": query, "named-graph-uri": f"{EX}none"},
                          headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "1"


@pytest.mark.parametrize("body, content_type", [
    ('ASK { FILTER("é" != "") }'.encode("latin-1"), "application/sparql-query"),
    ('ASK { FILTER("é" != "") }'.encode("latin-1"), "application/sparql-query; charset=utf-8"),
    ('ASK { FILTER("é" != "") }'.encode("latin-1"), "application/sparql-query; charset=ISO-8859-1"),
    ('ASK { FILTER("é" != "") }'.encode("utf-8"), "application/sparql-query; charset=latin-1"),
    (b"query=ASK+%7B+FILTER%28%22%E9%22+%21%3D+%22%22%29+%7D", "application/x-www-form-urlencoded"),
    ("query=ASK {}é".encode("latin-1"), "application/x-www-form-urlencoded"),
])
def test_415_for_a_post_body_that_is_not_utf8(body: bytes, content_type: str, reader: Server) -> None:
    response = httpx.post(reader.sparql, content=body, headers={"content-type": content_type}, timeout=30)
    is_plain_error(response, 415, "UTF-8")


def test_400_for_a_url_parameter_that_is_not_utf8(reader: Server) -> None:
    response = httpx.get(reader.sparql + "?query=ASK+%7B+FILTER%28%22%E9%22+%21%3D+%22%22%29+%7D", timeout=30)
    is_plain_error(response, 400, "UTF-8")


def test_utf8_bodies_are_answered(reader: Server) -> None:
    for content_type in ("application/sparql-query", "application/sparql-query; charset=UTF-8"):
        response = httpx.post(reader.sparql, content='ASK { FILTER("é" != "") }'.encode(), timeout=30,
                              headers={"content-type": content_type, "accept": "application/sparql-results+json"})
        assert response.status_code == 200 and response.json()["boolean"] is True, response.text


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_leaving_mid_body_is_one_log_line_without_a_traceback(reader: Server) -> None:
    server_log = Records()
    logging.getLogger("uvicorn.error").addHandler(server_log)
    try:
        with captured_access_log() as log:
            with connect(reader) as sock:
                sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: a\r\nContent-Type: application/sparql-query\r\n"
                             b"Content-Length: 1000\r\n\r\nASK {")
            deadline = time.monotonic() + WAIT_LIMIT_S
            while time.monotonic() < deadline and not log.records:
                time.sleep(0.05)
            lines = log.lines()
    finally:
        logging.getLogger("uvicorn.error").removeHandler(server_log)
    assert [(line["method"], line["status"]) for line in lines] == [("POST", 499)], lines
    assert not [r for r in server_log.records if r.exc_info or r.levelno >= logging.ERROR], \
        [r.getMessage() for r in server_log.records]
    still_serving(reader)


# ------------------------------------------------------------------ redirects

@pytest.mark.parametrize("path, location", [("/query/", "/query"), ("/sparql/?query=ASK%7B%7D", "/sparql?query=ASK%7B%7D"),
                                            ("/network/", "/network")])
def test_a_redirect_never_names_the_clients_host(path: str, location: str, reader: Server) -> None:
    response = httpx.get(reader.base + path, headers={"host": "evil.example"}, follow_redirects=False, timeout=30)
    assert response.status_code in (301, 302, 303, 307, 308), response.text
    assert response.headers["location"] == location


@pytest.mark.parametrize("path", ["//evil.example/", "/nothing/", "/%2Fevil.example/"])
def test_no_redirect_for_a_path_that_names_no_page(path: str, reader: Server) -> None:
    status, _ = exchange(reader, f"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
    assert status == 404


def test_the_html_service_description_redirect_names_no_host(reader: Server) -> None:
    response = httpx.get(reader.sparql, headers={"host": "evil.example", "accept": "text/html"}, timeout=30)
    assert response.status_code == 303 and response.headers["location"] == "/query"


# ------------------------------------------------------------------ request head limits

def test_431_for_header_fields_over_the_limit_and_the_server_goes_on(reader: Server) -> None:
    many = b"".join(b"X-Field-%d: %s\r\n" % (i, b"v" * 1000) for i in range(40))  # about 41 KB
    status, body = exchange(reader, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n")
    assert status == 431 and b"32,768 bytes" in body, body
    still_serving(reader)


def test_431_for_one_endless_header_line(reader: Server) -> None:
    status, body = exchange(reader, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n")
    assert status == 431, body
    still_serving(reader)


def test_header_fields_under_the_limit_are_answered(reader: Server) -> None:
    response = httpx.get(reader.sparql, params={"query": ASK}, headers={"x-field": "v" * 30_000}, timeout=30)
    assert response.status_code == 200, response.text


def test_400_with_a_sentence_for_a_request_that_is_not_http(reader: Server) -> None:
    status, body = exchange(reader, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400 and b"HTTP/1.1" in body, body


# ------------------------------------------------------------------ slow connections

def test_slowloris_a_head_sent_slowly_is_refused_with_408_and_closed(reader: Server) -> None:
    with connect(reader) as sock:
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: a\r\n")
        received, closed = b"", False
        for line in range(int(WAIT_LIMIT_S / 0.2)):  # one header line every 0.2 s, for at most WAIT_LIMIT_S
            try:
                sock.sendall(b"X-Slow-%d: y\r\n" % line)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            more, closed_now = read_until_closed(sock, 0.2)
            received += more
            if closed or closed_now:
                closed = True
                break
    assert closed, "the server kept a connection whose head never ended"
    assert status_of_first_answer(received) == 408, received
    still_serving(reader)


def test_a_connection_that_sends_nothing_is_closed_silently(reader: Server) -> None:
    with connect(reader) as sock:
        received, closed = read_until_closed(sock)
    assert closed and received == b""


def test_a_body_sent_slowly_is_cut_and_logged_once(reader: Server) -> None:
    with captured_access_log() as log, connect(reader) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: a\r\nContent-Type: application/sparql-query\r\nContent-Length: 500\r\n\r\n")
        closed = False
        for _ in range(int(WAIT_LIMIT_S / 0.2)):
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            _, closed_now = read_until_closed(sock, 0.2)
            if closed or closed_now:
                closed = True
                break
        deadline = time.monotonic() + WAIT_LIMIT_S
        while time.monotonic() < deadline and not log.records:
            time.sleep(0.05)
        lines = log.lines()
    assert closed, "the server kept a connection whose body never ended"
    assert [line["status"] for line in lines] == [499], lines
    still_serving(reader)


def test_a_slow_answer_is_not_cut_by_the_request_timeout(reader: Server) -> None:
    """The request timeout covers receiving the request, not the time the query runs (deadline 3 s)."""
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    response = httpx.get(reader.sparql, params={"query": slow}, timeout=30)
    assert response.status_code == 503 and "deadline" in response.text, response.text
