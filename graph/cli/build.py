"""``alliances build`` and ``alliances validate``: records into a published graph, or only checked."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from graph import api
from graph.cli.context import Context
from graph.cli.errors import EXIT_INVALID, print_problems
from graph.problems import Severity, problems_as_json


@click.command()
@click.pass_obj
def build(obj: Context) -> None:
    """Compile data/ and ontology/ into the store; keep the old graph if anything is invalid."""
    if obj.remote is not None:
        from graph.build.pipeline import build_remote

        click.echo(build_remote(obj.settings, obj.remote).text())
    else:
        click.echo(api.build(obj.local_store("build")).text())


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all", "show_info", is_flag=True, help="Also list notes of severity 'info'.")
@click.pass_obj
def validate(obj: Context, files: tuple[Path, ...], fmt: str, show_info: bool) -> None:
    """Check records (schema), the graph (SHACL) and integrity; exit 0 valid, 1 invalid, 2 error.

    With FILES (new or changed records, inside data/ or not), they are checked together with all
    of data/sources/ and only their problems are listed; without, all of data/sources/.
    """
    problems = api.validate(obj.settings, list(files) or None)
    if fmt == "json":
        click.echo(problems_as_json(problems))
    else:
        print_problems(problems, show_info, err=False)  # the report is validate's output: keep it on stdout
        counts = {s: sum(1 for p in problems if p.severity is s) for s in Severity}
        click.echo(f"{counts[Severity.VIOLATION]} violation(s), {counts[Severity.WARNING]} warning(s), "
                   f"{counts[Severity.INFO]} note(s)" + ("" if show_info else " (see --all)"))
    if any(p.severity is Severity.VIOLATION for p in problems):
        sys.exit(EXIT_INVALID)
