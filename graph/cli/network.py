"""``alliances network``, ``path`` and ``timeline``, and the network formats of ``export``.

They share one set of filter options (``network_options``). Names given to filters resolve as in
``alliances show``.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from tabulate import tabulate

from graph.cli.context import Context
from graph.network.options import MEASURES
from graph.safe_output import csv_cell, terminal_safe

if TYPE_CHECKING:
    from graph.network.projections import Level
    from graph.network.timeline import By

NETWORK_FORMATS = ("html", "png", "svg", "graphml", "gexf", "csv")


def network_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Filters shared by network, path, timeline and the network exports."""
    options = [
        click.option("--material", help="Only alliances about this material or a narrower one (any name, e.g. steel, 绿钢)."),
        click.option("--pathway", help="Only alliances that pursue this pathway or a narrower one."),
        click.option("--type", "alliance_type", help="Only alliances of this type or a narrower one (e.g. memorandum of understanding)."),
        click.option("--sector", help="Only organisations of this sector (e.g. steel, automotive)."),
        click.option("--country", help="Only organisations of this country (ISO code, e.g. CN)."),
        click.option("--status", help="Only alliances whose current status is this or narrower (binding takes in final investment decision, delivering and completed); alliances without a status are left out."),
        click.option("--from", "year_from", type=int, help="Only alliances from this year on."),
        click.option("--to", "year_to", type=int, help="Only alliances up to this year."),
        click.option("--focus", help="Only the neighbourhood of this organisation (any name)."),
        click.option("--depth", type=click.IntRange(1, 10), default=1, show_default=True, help="Hops around --focus."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


FILTER_KEYS = ("material", "pathway", "alliance_type", "sector", "country", "status", "year_from", "year_to", "focus", "depth")


def split_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: kwargs.pop(key) for key in FILTER_KEYS}


def filters_given(filters: dict[str, Any]) -> bool:
    return any(value is not None for key, value in filters.items() if key != "depth") or filters["depth"] != 1



def emit_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_cell(_joined(v)) for k, v in row.items()})
        click.echo(out.getvalue(), nl=False)
    else:
        table = [[_terminal_cell(_joined(row[c])) for c in columns] for row in rows]
        click.echo(tabulate(table, headers=columns, disable_numparse=False, maxcolwidths=50))


def _joined(value: Any) -> Any:
    return "; ".join(map(str, value)) if isinstance(value, list) else value


def _terminal_cell(value: Any) -> Any:
    """Text escaped for the terminal before tabulate measures it; numbers stay numbers (aligned)."""
    return terminal_safe(value) if isinstance(value, str) else value


@click.command()
@network_options
@click.option("--measure", "by", type=click.Choice(MEASURES), default="pagerank", show_default=True,
              help="Rank by this measure (constraint: smallest first, the brokers).")
@click.option("--level", type=click.Choice(["company", "group"]), default="company", show_default=True,
              help="group folds subsidiaries and joint ventures into their groups.")
@click.option("--limit", type=click.IntRange(1), help="Show only the first N.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def network(obj: Context, /, by: str, level: Level, limit: int | None, fmt: str, **kwargs: Any) -> None:
    """Rank organisations by a network measure, with community and component."""
    from graph import api

    filters = split_filters(kwargs)
    ranking = api.rank(obj.open(), by=by, level=level, **filters)
    rows = ranking.rows[:limit] if limit else ranking.rows
    computed = set(rows[0]) if rows else set()  # only the measure asked for is computed, with the cheap ones
    columns = ["label", by] + [c for c in ("degree", "weighted-degree", "pagerank", "betweenness", "constraint",
                                           "effective-size", "community", "component", "sector", "country")
                               if c != by and c in computed]
    if fmt == "json":
        click.echo(json.dumps({"measure": by, "level": level, "notes": ranking.notes, "rows": rows}, ensure_ascii=False, indent=2))
        return
    emit_rows(rows, columns, fmt)
    if fmt == "table":
        click.echo("\n".join(f"note: {n}" for n in ranking.notes), err=True)


@click.command()
@click.argument("a")
@click.argument("b")
@network_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def path(obj: Context, /, a: str, b: str, fmt: str, **kwargs: Any) -> None:
    """How A and B are connected: shortest paths, each hop with its alliance or group link, date and source."""
    from graph import api

    filters = split_filters(kwargs)
    result = api.connections(obj.open(), a, b, **filters)
    click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2) if fmt == "json" else terminal_safe(result.text()), nl=fmt == "json")


@click.command()
@network_options
@click.option("--by", type=click.Choice(["material", "pathway", "type"]), default="material", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def timeline(obj: Context, /, by: By, fmt: str, **kwargs: Any) -> None:
    """Alliances counted by year, split by material, pathway or type."""
    from graph import api

    filters = split_filters(kwargs)
    rows = api.timeline(obj.open(), by=by, **filters)
    emit_rows(rows, ["year", by, "count", "alliances"], fmt)


def export_network(obj: Context, fmt: str, output: Path | None, options: dict[str, Any]) -> None:
    """The network formats of ``alliances export``."""
    from graph import api

    from graph.progress import Progress

    target = output or Path(f"alliances-network.{fmt}")
    progress = Progress()
    try:
        api.export_network(obj.open(), fmt, target, progress=progress.stage, **options)
    finally:
        progress.done()
    click.echo(f"Wrote {target}", err=True)
