"""``alliances query``, ``show``, ``search`` and ``stats``: asking the built graph.

Importing this module loads neither networkx nor pySHACL, so these commands start fast.
"""
from __future__ import annotations

import json
import sys
from typing import IO, Any

import click

from graph import api
from graph.ask.results import OutputFormat
from graph.cli.context import Context
from graph.cli.errors import fail
from graph.safe_output import terminal_safe

KINDS = ["organisation", "alliance", "person", "material", "pathway", "platform", "post"]


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


def parse_params(items: tuple[str, ...]) -> dict[str, str]:
    """``--param key=value`` options as a dict; a malformed or repeated key is a usage error."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--param {item}: write it as key=value")
        if key in values:
            fail(f"--param {key} is given more than once; give each parameter once")
        values[key] = value
    return values


def _list_queries() -> None:
    for q in api.named_queries().values():
        click.echo(f"{q.name}\n    {q.question}")
        for p in q.parameters:
            default = f" (default {p.default})" if p.default else ""
            click.echo(f"    --param {p.name}=<{p.type}>{default}  {p.help}")
        for example in q.examples:
            click.echo(f"    e.g. {example}")


@click.command()
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter of the named query (repeatable).")
@click.option("--sparql", help="Run this SPARQL text instead of a named query.")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="Run the SPARQL in this file ('-' for stdin).")
@click.option("--list", "list_", is_flag=True, help="List the named queries with their questions and parameters.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in OutputFormat]), default="table", show_default=True,
              help="SELECT/ASK: table, csv, tsv, json, xml. CONSTRUCT/DESCRIBE: turtle, jsonld, ntriples, xml.")
@click.pass_obj
def query(obj: Context, name: str | None, params: tuple[str, ...], sparql: str | None, file: IO[str] | None,
          list_: bool, fmt: str) -> None:
    """Ask a named query (NAME), or SPARQL from --sparql, --file or standard input."""
    if list_:
        _list_queries()
        return
    values = parse_params(params)
    if sum(x is not None for x in (name, sparql, file)) > 1:
        fail("give one of NAME, --sparql or --file")
    if name is None and sparql is None and file is None:
        if sys.stdin.isatty():
            fail("give a query NAME, --sparql TEXT, --file F, or SPARQL on standard input (see: alliances query --list)")
        sparql = sys.stdin.read()
    if file is not None:
        sparql = file.read()
    output = api.ask(obj.open(), name=name, sparql=sparql, params=values, fmt=OutputFormat(fmt), settings=obj.settings)
    click.echo(output.decode("utf-8"), nl=False)


@click.command()
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def show(obj: Context, name: str, fmt: str) -> None:
    """Profile of an organisation, alliance, person, material, pathway or platform, by any name."""
    data = api.show(obj.open(), name)
    if fmt == "json":
        _json(data)
    else:
        click.echo(api.render_profile(data), nl=False)


@click.command()
@click.argument("text")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def search(obj: Context, text: str, kind: str | None, limit: int, fmt: str) -> None:
    """Entities whose names match TEXT, best first (any language or script)."""
    matches = api.search(obj.open(), text, kind=kind, limit=limit)
    if fmt == "json":
        _json([m.to_json() for m in matches])
    else:
        click.echo(api.render_matches(matches), nl=False)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def stats(obj: Context, fmt: str) -> None:
    """Coverage of the graph: counts by type, material, pathway, sector, country and year; quotes; gaps."""
    from graph.errors import InvalidData
    from graph.network.stats import render_stats, stats as compute
    from graph.records.read import RecordProblems
    from graph.records.reference import read_largest_producers

    try:
        ranking = read_largest_producers(obj.settings.data_dir)
    except RecordProblems as error:
        raise InvalidData(error.problems) from None
    data = compute(obj.open(), ranking=ranking)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if fmt == "json" else terminal_safe(render_stats(data)), nl=fmt == "json")
