"""Real SPARQL servers for the remote-store tests, each started on 127.0.0.1 and free ports in a
temporary folder, loaded with a build, and stopped at the end.

- the Oxigraph server (PyPI ``oxigraph``, in the test extras): the named graphs and their merge as
  its default graph, loaded with ``oxigraph load`` before it serves read-only;
- Virtuoso 7 (Debian ``virtuoso-opensource``): ``virtuoso-t`` in the foreground with its own
  virtuoso.ini, the named graphs and their merge (in graph.rdf.engines.MERGE_GRAPH) loaded with
  its bulk loader through ``isql`` (``ld_dir`` + ``rdf_loader_run``). The bulk loader reads N-Quads
  with their graph names in one pass and needs no HTTP account; the Graph Store Protocol would
  need a digest-authenticated user granted SPARQL_UPDATE and one request per graph (1,300 here).

A server that is not installed makes the test skip with how to install it, unless
ALLIANCES_REQUIRE_INTEROP is set (CI sets it: then the test fails).

    with virtuoso(folder, dump(built.store_path, folder), {"ResultSetMaxRows": "50"}) as url:
        RemoteStore(RemoteEndpoint(url)).query("ASK {}")
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from graph.rdf.engines import MERGE_GRAPH
from graph.rdf.store import OxigraphStore

STARTUP_S = 180.0  # a fresh Virtuoso database takes about 30 s to create on a busy 2-core machine
LOAD_S = 600.0
ENGINES = ("oxigraph", "virtuoso")
INSTALL = {"oxigraph": "pip install oxigraph (scripts/setup installs it)",
           "virtuoso": "apt-get install virtuoso-opensource (Debian; .ci/run installs it in CI)"}


@dataclass(frozen=True)
class Dump:
    """A build written out as a server loads it: the named graphs, and their merge."""

    graphs: Path  # N-Quads
    merge: Path  # N-Triples, each triple once


def dump(store_path: Path, folder: Path) -> Dump:
    store = OxigraphStore.open(store_path)
    try:
        with open(folder / "graphs.nq", "wb") as handle:
            store.export(handle, ox.RdfFormat.N_QUADS)
        with open(folder / "merge.nt", "wb") as handle:
            store.export(handle, ox.RdfFormat.N_TRIPLES)
    finally:
        store.close()
    return Dump(folder / "graphs.nq", folder / "merge.nt")


def missing(engine: str) -> None:
    """Skip, or fail where the remote-store tests must run."""
    message = f"the {engine} server is not installed: {INSTALL[engine]}."
    if os.environ.get("ALLIANCES_REQUIRE_INTEROP"):
        pytest.fail(message + " ALLIANCES_REQUIRE_INTEROP is set, so the remote-store tests must run.")
    pytest.skip(message)


def program(engine: str, *names: str) -> str:
    """The first of ``names`` installed beside this Python or on the PATH; skips (or fails) if none is."""
    for name in names:
        beside = Path(sys.executable).with_name(name)
        found = str(beside) if beside.is_file() else shutil.which(name)
        if found is not None:
            return found
    missing(engine)
    raise AssertionError("unreachable")  # pytest.skip and pytest.fail raise


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(command: list[str], url: str, name: str, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait (boundedly) until ``url`` answers ``ASK {}``, stop it at the end."""
    log = open(folder / f"{name}.out", "wb")
    process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.post(url, data={"query": "ASK {}"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise AssertionError(f"the {name} server stopped: {(folder / f'{name}.out').read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the {name} server did not answer within {STARTUP_S:.0f} s")
            time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def oxigraph(folder: Path, data: Dump) -> Iterator[str]:
    """The Oxigraph server on ``data``: the named graphs, and the merge as its default graph."""
    binary = program("oxigraph", "oxigraph")
    subprocess.run([binary, "load", "--location", str(folder / "db"), "--file", str(data.graphs), str(data.merge)],
                   check=True, capture_output=True, timeout=LOAD_S)
    port = free_port()
    url = f"http://127.0.0.1:{port}/query"
    with running([binary, "serve-read-only", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
                 url, "oxigraph", folder):
        yield url


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
DirsAllowed = {folder}, {data}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 4
MaxClientConnections = 4
[SPARQL]
"""
# The project's queries need whole answers (README, 'A SPARQL server as the store').
VIRTUOSO_SPARQL = {"ResultSetMaxRows": "1000000", "MaxQueryExecutionTime": "0", "MaxQueryCostEstimationTime": "0"}


@contextlib.contextmanager
def virtuoso(folder: Path, data: Dump, sparql: Mapping[str, str] | None = None) -> Iterator[str]:
    """Virtuoso 7 on ``data``, with the [SPARQL] settings given (whole answers by default)."""
    binary = program("virtuoso", "virtuoso-t")
    isql = program("virtuoso", "isql-vt", "isql")
    http_port, isql_port = free_port(), free_port()
    settings = {**VIRTUOSO_SPARQL, **(sparql or {})}
    ini = VIRTUOSO_INI.format(folder=folder, data=data.graphs.parent, isql_port=isql_port, http_port=http_port)
    (folder / "virtuoso.ini").write_text(ini + "".join(f"{key} = {value}\n" for key, value in settings.items()))
    url = f"http://127.0.0.1:{http_port}/sparql"
    with running([binary, "+foreground", "+configfile", str(folder / "virtuoso.ini")], url, "virtuoso", folder):
        script = (f"ld_dir('{data.graphs.parent}', '{data.graphs.name}', '{MERGE_GRAPH}');\n"
                  f"ld_dir('{data.merge.parent}', '{data.merge.name}', '{MERGE_GRAPH}');\n"
                  "rdf_loader_run();\ncheckpoint;\n"
                  "SELECT 'failed=' || CAST(COUNT(*) AS VARCHAR) FROM DB.DBA.load_list WHERE ll_error IS NOT NULL OR ll_state <> 2;\n")
        done = subprocess.run([isql, f"127.0.0.1:{isql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF"], input=script,
                              capture_output=True, text=True, timeout=LOAD_S)
        assert done.returncode == 0 and "failed=0" in done.stdout, f"Virtuoso's bulk load failed: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        yield url


# SPARQL Update over HTTP: Virtuoso's /sparql endpoint runs as the SQL user "SPARQL", which may
# only read until it is granted the SPARQL_UPDATE role (the authenticated /sparql-auth endpoint
# would need a digest-authenticated user instead). Tested here: the GRANT alone is enough.
VIRTUOSO_WRITABLE = 'GRANT SPARQL_UPDATE TO "SPARQL";\n'
# A switch rewrites the whole graph in one transaction: its log must fit (README, 'Building into a remote store').
VIRTUOSO_TRANSACTION = {"TransactionAfterImageLimit": "1500000000"}


@contextlib.contextmanager
def writable_virtuoso(folder: Path) -> Iterator[str]:
    """An empty Virtuoso 7 whose /sparql endpoint accepts SPARQL Update; yields that endpoint."""
    binary = program("virtuoso", "virtuoso-t")
    isql = program("virtuoso", "isql-vt", "isql")
    http_port, isql_port = free_port(), free_port()
    ini = VIRTUOSO_INI.format(folder=folder, data=folder, isql_port=isql_port, http_port=http_port)
    parameters = "".join(f"{key} = {value}\n" for key, value in VIRTUOSO_TRANSACTION.items())
    ini = ini.replace("[HTTPServer]\n", parameters + "[HTTPServer]\n")
    (folder / "virtuoso.ini").write_text(ini + "".join(f"{key} = {value}\n" for key, value in VIRTUOSO_SPARQL.items()))
    url = f"http://127.0.0.1:{http_port}/sparql"
    with running([binary, "+foreground", "+configfile", str(folder / "virtuoso.ini")], url, "virtuoso", folder):
        done = subprocess.run([isql, f"127.0.0.1:{isql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF"],
                              input=VIRTUOSO_WRITABLE, capture_output=True, text=True, timeout=LOAD_S)
        assert done.returncode == 0 and "Error" not in done.stdout, f"Virtuoso's grant failed: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        yield url
