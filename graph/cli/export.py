"""``alliances export``: the graph as RDF (the source graphs kept), or the network as a file."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from graph import api
from graph.ask.export import ExportFormat
from graph.cli.context import Context
from graph.cli.errors import fail
from graph.cli.network import NETWORK_FORMATS, export_network, filters_given, network_options, split_filters
from graph.network.options import MEASURES
from graph.progress import Progress
from graph.rdf.files import atomic_writer


@click.command()
@click.argument("fmt", metavar="FORMAT", type=click.Choice([f.value for f in ExportFormat] + list(NETWORK_FORMATS)))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (RDF default: standard output; network default: alliances-network.FORMAT).")
@network_options
@click.option("--level", type=click.Choice(["company", "group"]), default="company", show_default=True)
@click.option("--size-by", type=click.Choice(MEASURES), default="pagerank", show_default=True, help="Node size (html, png, svg).")
@click.option("--edge-colour", type=click.Choice(["material", "type"]), default="material", show_default=True)
@click.option("--edge-width", type=click.Choice(["alliances", "volume"]), default="alliances", show_default=True,
              help="Line width: number of shared alliances, or contracted volume (html, png, svg).")
@click.option("--title", help="Page title (html, png, svg).")
@click.option("--width", type=click.IntRange(320, 8000), default=1920, show_default=True, help="Image width (png, svg).")
@click.option("--height", type=click.IntRange(240, 8000), default=1080, show_default=True, help="Image height (png, svg).")
@click.option("--sources", type=click.Choice(["compact", "full"]), default="compact", show_default=True,
              help="Sources in images: one line with their count, or the full list below the picture (png, svg).")
@click.pass_obj
def export(obj: Context, /, fmt: str, output: Path | None, **kwargs: Any) -> None:
    """Write the graph (trig, nquads, turtle, jsonld) or the network (html, png, svg, graphml, gexf, csv).

    TriG, N-Quads and JSON-LD keep the source graphs; Turtle is their union. Network formats take
    the filters; html opens offline; png and svg are rendered in headless Chromium.
    """
    filters = split_filters(kwargs)
    if fmt in NETWORK_FORMATS:
        export_network(obj, fmt, output, {**kwargs, **filters})
        return
    if filters_given(filters):
        fail(f"filters apply to network formats ({', '.join(NETWORK_FORMATS)}), not to {fmt}")
    store = obj.open()
    # Not over the RDF itself when both go to one terminal.
    progress = Progress(enabled=None if output else sys.stderr.isatty() and not sys.stdout.isatty())
    progress.stage(f"writing {output.name if output else fmt}")
    try:
        if output is None:
            api.export(store, sys.stdout.buffer, ExportFormat(fmt))
            return
        with atomic_writer(output) as handle:
            api.export(store, handle, ExportFormat(fmt))
    finally:
        progress.done()
    click.echo(f"Wrote {output}", err=True)
