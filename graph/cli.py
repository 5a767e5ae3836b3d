"""The ``alliances`` command line: a thin layer over the Python API (graph/__init__.py).

Exit codes: 0 success; 1 the data is invalid (``build`` and ``validate``; the previous graph is
kept); 2 an error to fix in the command (bad option, unknown or ambiguous name, SPARQL syntax,
no built graph) or in the environment.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from graph import api
from graph.config import Settings, default_store_path
from graph.errors import AllianceError, AmbiguousName, InvalidData, UnknownName
from graph.export import ExportFormat
from graph.problems import Problem, Severity, problems_as_json
from graph.cli_network import NETWORK_FORMATS, export_network, filters_given, network_options, register, split_filters
from graph.network.measures import MEASURES
from graph.results import OutputFormat
from graph.safe_output import terminal_safe

EXIT_INVALID = 1
EXIT_ERROR = 2


class Context:
    def __init__(self, store: Path | None) -> None:
        self.settings = Settings(store_path=store or default_store_path())

    def open(self) -> Any:
        return api.open_store(self.settings)


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    click.secho(f"error: {terminal_safe(message)}", fg="red", err=True)
    sys.exit(code)


def _run(action: Any) -> Any:
    """Run an API call; turn our errors into one clear line and the documented exit code."""
    try:
        return action()
    except InvalidData as error:
        _print_problems(error.problems, show_info=False)
        _fail(str(error), EXIT_INVALID)
    except (UnknownName, AmbiguousName, AllianceError) as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"{error}. Check the path and that no other 'alliances build' is running.")


def _print_problems(problems: list[Problem], show_info: bool, err: bool = True) -> None:
    for problem in problems:
        if problem.severity is Severity.INFO and not show_info:
            continue
        colour = {"violation": "red", "warning": "yellow", "info": None}[problem.severity.value]
        click.secho(terminal_safe(str(problem)), fg=colour, err=err)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", type=click.Path(path_type=Path), envvar="ALLIANCES_STORE",
              help="Where the built graph lives (default: .alliances/store in the project; env ALLIANCES_STORE).")
@click.pass_context
def main(ctx: click.Context, store: Path | None) -> None:
    """The decarbonization alliance graph: build it from data/, ask it, export it."""
    ctx.obj = Context(store)


@main.command()
@click.pass_obj
def build(obj: Context) -> None:
    """Compile data/ and ontology/ into the store; keep the old graph if anything is invalid."""
    summary = _run(lambda: api.build(obj.settings))
    click.echo(summary.text())


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all", "show_info", is_flag=True, help="Also list notes of severity 'info'.")
@click.pass_obj
def validate(obj: Context, files: tuple[Path, ...], fmt: str, show_info: bool) -> None:
    """Check records (schema), the graph (SHACL) and integrity; exit 0 valid, 1 invalid, 2 error.

    With FILES (new or changed records, inside data/ or not), they are checked together with all
    of data/sources/ and only their problems are listed; without, all of data/sources/.
    """
    problems = _run(lambda: api.validate(obj.settings, list(files) or None))
    if fmt == "json":
        click.echo(problems_as_json(problems))
    else:
        _print_problems(problems, show_info, err=False)  # the report is validate's output: keep it on stdout
        counts = {s: sum(1 for p in problems if p.severity is s) for s in Severity}
        click.echo(f"{counts[Severity.VIOLATION]} violation(s), {counts[Severity.WARNING]} warning(s), "
                   f"{counts[Severity.INFO]} note(s)" + ("" if show_info else " (see --all)"))
    if any(p.severity is Severity.VIOLATION for p in problems):
        sys.exit(EXIT_INVALID)


@main.command()
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter of the named query (repeatable).")
@click.option("--sparql", help="Run this SPARQL text instead of a named query.")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="Run the SPARQL in this file ('-' for stdin).")
@click.option("--list", "list_", is_flag=True, help="List the named queries with their questions and parameters.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in OutputFormat]), default="table", show_default=True,
              help="SELECT/ASK: table, csv, tsv, json, xml. CONSTRUCT/DESCRIBE: turtle, jsonld, ntriples, xml.")
@click.pass_obj
def query(obj: Context, name: str | None, params: tuple[str, ...], sparql: str | None, file: Any, list_: bool, fmt: str) -> None:
    """Ask a named query (NAME), or SPARQL from --sparql, --file or standard input."""
    if list_:
        for q in api.named_queries().values():
            click.echo(f"{q.name}\n    {q.question}")
            for p in q.parameters:
                default = f" (default {p.default})" if p.default else ""
                click.echo(f"    --param {p.name}=<{p.type}>{default}  {p.help}")
            for example in q.examples:
                click.echo(f"    e.g. {example}")
        return
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--param {item}: write it as key=value")
        values[key] = value
    if sum(x is not None for x in (name, sparql, file)) > 1:
        _fail("give one of NAME, --sparql or --file")
    if name is None and sparql is None and file is None:
        if sys.stdin.isatty():
            _fail("give a query NAME, --sparql TEXT, --file F, or SPARQL on standard input (see: alliances query --list)")
        sparql = sys.stdin.read()
    if file is not None:
        sparql = file.read()
    store = _run(obj.open)
    output = _run(lambda: api.ask(store, name=name, sparql=sparql, params=values, fmt=OutputFormat(fmt), settings=obj.settings))
    click.echo(output.decode("utf-8"), nl=False)


@main.command()
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def show(obj: Context, name: str, fmt: str) -> None:
    """Profile of an organisation, alliance, person, material, pathway or platform, by any name."""
    store = _run(obj.open)
    data = _run(lambda: api.show(store, name))
    if fmt == "json":
        _json(data)
    else:
        click.echo(api.render_profile(data), nl=False)


@main.command()
@click.argument("text")
@click.option("--kind", type=click.Choice(["organisation", "alliance", "person", "material", "pathway", "platform", "post"]))
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def search(obj: Context, text: str, kind: str | None, limit: int, fmt: str) -> None:
    """Entities whose names match TEXT, best first (any language or script)."""
    store = _run(obj.open)
    matches = _run(lambda: api.search(store, text, kind=kind, limit=limit))
    if fmt == "json":
        _json([m.to_json() for m in matches])
    else:
        click.echo(api.render_matches(matches), nl=False)


@main.command()
@click.argument("fmt", metavar="FORMAT", type=click.Choice([f.value for f in ExportFormat] + list(NETWORK_FORMATS)))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (RDF default: standard output; network default: alliances-network.FORMAT).")
@network_options
@click.option("--level", type=click.Choice(["company", "group"]), default="company", show_default=True)
@click.option("--size-by", type=click.Choice(MEASURES), default="pagerank", show_default=True, help="Node size (html, png, svg).")
@click.option("--edge-colour", type=click.Choice(["material", "type"]), default="material", show_default=True)
@click.option("--title", help="Page title (html, png, svg).")
@click.option("--width", type=click.IntRange(320, 8000), default=1920, show_default=True, help="Image width (png, svg).")
@click.option("--height", type=click.IntRange(240, 8000), default=1080, show_default=True, help="Image height (png, svg).")
@click.pass_obj
def export(obj: Context, fmt: str, output: Path | None, **kwargs: Any) -> None:
    """Write the graph (trig, nquads, turtle, jsonld) or the network (html, png, svg, graphml, gexf, csv).

    TriG, N-Quads and JSON-LD keep the source graphs; Turtle is their union. Network formats take
    the filters; html opens offline; png and svg are rendered in headless Chromium.
    """
    filters = split_filters(kwargs)
    if fmt in NETWORK_FORMATS:
        export_network(obj, _run, fmt, output, {**kwargs, **filters})
        return
    if filters_given(filters):
        _fail(f"filters apply to network formats ({', '.join(NETWORK_FORMATS)}), not to {fmt}")
    store = _run(obj.open)
    if output is None:
        _run(lambda: api.export(store, sys.stdout.buffer, ExportFormat(fmt)))
        return
    partial = output.with_name(output.name + ".partial")
    with partial.open("wb") as handle:
        _run(lambda: api.export(store, handle, ExportFormat(fmt)))
    partial.replace(output)
    click.echo(f"Wrote {output}", err=True)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def stats(obj: Context, fmt: str) -> None:
    """Coverage of the graph: counts by type, material, pathway, sector, country and year; quotes; gaps."""
    from graph.stats import render_stats, stats as compute

    store = _run(obj.open)
    data = _run(lambda: compute(store))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if fmt == "json" else terminal_safe(render_stats(data)), nl=fmt == "json")


class _Size(click.ParamType):
    """A memory size such as 2G or 512M (graph.serve.context.parse_size), in bytes."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from graph.serve.context import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value), "")  # click names the option
        except ValueError as error:
            self.fail(str(error), param, ctx)


@main.command()
@click.option("--host", envvar="ALLIANCES_HOST", default="127.0.0.1", show_default=True, help="Address to listen on (env ALLIANCES_HOST).")
@click.option("--port", envvar="ALLIANCES_PORT", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port (env ALLIANCES_PORT).")
@click.option("--deadline", envvar="ALLIANCES_DEADLINE", type=click.FloatRange(0.1), default=30.0, show_default=True,
              help="Seconds a query may run before its worker is killed (env ALLIANCES_DEADLINE).")
@click.option("--workers", envvar="ALLIANCES_WORKERS", type=click.IntRange(1, 64), default=None,
              help="Query worker processes (env ALLIANCES_WORKERS; default: one per core, at least 2).")
@click.option("--max-rows", type=click.IntRange(1), default=100_000, show_default=True)
@click.option("--worker-memory", envvar="ALLIANCES_WORKER_MEMORY", type=_Size(), default=None,
              help="Memory one query worker may use, e.g. 2G or 512M; a query over it ends with 503 "
                   "(env ALLIANCES_WORKER_MEMORY; default: total memory / (workers + 1), at most 4G).")
@click.option("--client-workers", envvar="ALLIANCES_CLIENT_WORKERS", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Query workers one client address may hold at a time; its other requests wait their turn (env ALLIANCES_CLIENT_WORKERS).")
@click.option("--client-queue", envvar="ALLIANCES_CLIENT_QUEUE", type=click.IntRange(0), default=8, show_default=True,
              help="Requests one client address may have waiting; beyond, 429 with Retry-After (env ALLIANCES_CLIENT_QUEUE).")
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update with the token from --token or ALLIANCES_UPDATE_TOKEN.")
@click.option("--token", envvar="ALLIANCES_UPDATE_TOKEN", help="The bearer token updates must carry (with --allow-update).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME[:PORT]", envvar="ALLIANCES_ALLOWED_HOSTS",
              help="Another name of this server that updates may use in Host and Origin (repeatable; env "
                   "ALLIANCES_ALLOWED_HOSTS, space-separated). The bound address, and localhost when bound to "
                   "loopback, are always allowed.")
@click.option("--request-timeout", envvar="ALLIANCES_REQUEST_TIMEOUT", type=click.FloatRange(0.1), default=20.0,
              show_default=True, help="Seconds a client has to send a whole request (env ALLIANCES_REQUEST_TIMEOUT).")
@click.option("--no-access-log", is_flag=True, help="Do not write one JSON line per request to standard error.")
@click.pass_obj
def serve(obj: Context, host: str, port: int, deadline: float, workers: int | None, max_rows: int, worker_memory: int | None,
          client_workers: int, client_queue: int, allow_update: bool, token: str | None, allowed_hosts: tuple[str, ...],
          request_timeout: float, no_access_log: bool) -> None:
    """Serve the graph: SPARQL 1.1 Protocol at /sparql, and the explorer at /."""
    from graph.serve.app import serve as run_server
    from graph.serve.context import ServeSettings, default_workers
    from graph.serve.hosts import HostPolicy

    if allow_update and not token:
        _fail("--allow-update needs a token: --token TOKEN or ALLIANCES_UPDATE_TOKEN")
    _run(lambda: api.open_store(obj.settings))  # a clear error now if nothing is built
    settings = ServeSettings(store_path=obj.settings.store_path, host=host, port=port, deadline_s=deadline,
                             workers=workers or default_workers(),
                             max_rows=max_rows, worker_memory=worker_memory, client_workers=client_workers,
                             client_queue=client_queue, allow_update=allow_update, update_token=token, base=obj.settings.base,
                             access_log=not no_access_log, allowed_hosts=allowed_hosts, request_timeout_s=request_timeout)
    _run(lambda: HostPolicy(host, port, allowed_hosts))  # a bad --allowed-host: exit 2 before "Serving"
    click.echo(f"Serving {settings.store_path} at http://{host}:{port}/  (SPARQL: http://{host}:{port}/sparql)", err=True)
    _run(lambda: run_server(settings))


register(main, _run)
