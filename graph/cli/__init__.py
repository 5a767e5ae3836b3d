"""The ``alliances`` command line: thin commands over the Python API (graph.api), one module per
front of the graph: build (build, validate), ask (query, show, search, stats), network (network,
path, timeline), export, serve, changes, draft. Errors map to exit codes in one place (graph.cli.errors):

0 success; 1 the data is invalid (``build``, ``validate``; the previous graph is kept); 2 an error
to fix in the command or its environment (a bad option or parameter, an unknown or ambiguous
name, SPARQL syntax, no built graph, a path that cannot be written).
"""
from __future__ import annotations

from pathlib import Path

import click

from graph.cli.ask import query, search, show, stats
from graph.cli.build import build, validate
from graph.cli.changes import changes
from graph.cli.context import Context
from graph.cli.draft import draft
from graph.cli.errors import AlliancesGroup
from graph.cli.export import export
from graph.cli.network import network, path, timeline
from graph.cli.serve import serve


@click.group(cls=AlliancesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", type=click.Path(path_type=Path), envvar="ALLIANCES_STORE",
              help="Where the built graph lives (default: .alliances/store in the project; env ALLIANCES_STORE).")
@click.pass_context
def main(ctx: click.Context, store: Path | None) -> None:
    """The decarbonization alliance graph: build it from data/, ask it, export it."""
    ctx.obj = Context(store)


for command in (build, validate, query, show, search, export, stats, serve, network, path, timeline, changes, draft):
    main.add_command(command)

__all__ = ["main"]
