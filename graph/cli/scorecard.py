"""``alliances supplier``, ``buyer`` and ``suppliers``: the scorecards procurement asks for
(graph.ask.scorecard), as text, JSON (docs/schemas/scorecard.schema.json) or a PNG chart."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click

from graph.ask.scorecard import buyer_scorecard, supplier_scorecard
from graph.ask.scorecard_ranking import rank_suppliers
from graph.ask.scorecard_text import render_buyer, render_ranking, render_supplier
from graph.cli.context import Context

FORMATS = click.Choice(["text", "json", "png"])


def _options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                           help="The PNG file to write (png only; default: <command>-<id>.png).")(command)
    return click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
                        help="text, json, or a png chart (rendered in headless Chromium: the 'images' extra).")(command)


def _emit(scorecard: dict[str, Any], fmt: str, output: Path | None, default_name: str,
          render: Callable[[dict[str, Any]], str]) -> None:
    if fmt == "json":
        click.echo(json.dumps(scorecard, ensure_ascii=False, indent=2))
    elif fmt == "png":
        from graph.ask.scorecard_chart import write_png

        written = write_png(scorecard, output or Path(default_name))
        click.echo(f"Wrote {written}", err=True)
    else:
        if output is not None:
            raise click.UsageError("-o/--output is for --format png; redirect text and JSON instead")
        click.echo(render(scorecard), nl=False)


def _organisation_scorecard(kind: str, make: Callable[[Any, str], dict[str, Any]],
                            render: Callable[[dict[str, Any]], str], summary: str) -> click.Command:
    """The supplier and buyer commands: one organisation's scorecard, made and written alike."""
    @click.command(kind, help=summary)
    @click.argument("name")
    @_options
    @click.pass_obj
    def command(obj: Context, name: str, fmt: str, output: Path | None) -> None:
        scorecard = make(obj.open(), name)
        _emit(scorecard, fmt, output, f"{kind}-{scorecard['organisation']['id']}.png", render)
    return command


supplier = _organisation_scorecard(
    "supplier", supplier_scorecard, render_supplier,
    "Supplier scorecard: buyers with volumes, status and dates; pathways, plants, claims, standards, coalitions.")
buyer = _organisation_scorecard(
    "buyer", buyer_scorecard, render_buyer,
    "Buyer scorecard: suppliers by material, volumes by status and year, pledges and the gap to them.")


@click.command()
@click.option("--material", required=True, help="A material of the taxonomy, narrower ones included (e.g. green-steel, 绿钢).")
@click.option("--region", help="Only suppliers of this region: a continent (EU, Europe, AS, NA ...) or a region of "
                               "`alliances stats` (e.g. 'Japan and Korea').")
@_options
@click.pass_obj
def suppliers(obj: Context, material: str, region: str | None, fmt: str, output: Path | None) -> None:
    """Suppliers of a material ranked by binding volume, buyers and deals, with their pathways."""
    ranking = rank_suppliers(obj.open(), material, region)
    suffix = f"-{region.lower().replace(' ', '-')}" if region else ""
    _emit(ranking, fmt, output, f"suppliers-{ranking['material']['id']}{suffix}.png", render_ranking)
