"""The ``alliances`` command line: thin commands over the Python API (graph.api), one module per
front of the graph: build (build, validate), ask (query, show, search, stats), network (network,
path, timeline), export, serve, changes, draft, scorecard (supplier, buyer, suppliers). Errors map to exit codes in one place (graph.cli.errors):

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
from graph.cli.scorecard import buyer, supplier, suppliers
from graph.cli.serve import serve


@click.group(cls=AlliancesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="ALLIANCES_STORE", metavar="PATH|URL",
              help="Where the built graph lives: a folder (default: .alliances/store in the project) or the "
                   "http(s):// query endpoint of a SPARQL 1.1 server (env ALLIANCES_STORE; credentials in "
                   "ALLIANCES_STORE_USER and ALLIANCES_STORE_PASSWORD).")
@click.option("--update-endpoint", envvar="ALLIANCES_UPDATE_ENDPOINT", metavar="URL",
              help="The SPARQL update endpoint of a remote store (env ALLIANCES_UPDATE_ENDPOINT).")
@click.option("--gsp-endpoint", envvar="ALLIANCES_GSP_ENDPOINT", metavar="URL",
              help="The Graph Store Protocol endpoint of a remote store (env ALLIANCES_GSP_ENDPOINT).")
@click.pass_context
def main(ctx: click.Context, store: str | None, update_endpoint: str | None, gsp_endpoint: str | None) -> None:
    """The decarbonization alliance graph: build it from data/, ask it, export it."""
    ctx.obj = Context(store, update_endpoint, gsp_endpoint)
    ctx.call_on_close(ctx.obj.close)


for command in (build, validate, query, show, search, export, stats, serve, network, path, timeline, changes, draft,
                supplier, buyer, suppliers):
    main.add_command(command)

__all__ = ["main"]
