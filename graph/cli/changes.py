"""``alliances changes``: what changed in the graph since an earlier build (graph.changes)."""
from __future__ import annotations

import click

from graph.cli.context import Context


@click.command()
@click.option("--since", metavar="BUILD|GIT-REV|DATE",
              help="Compare with this kept build (its id, e.g. 12), git revision (e.g. HEAD~3, v1.0) or date "
                   "(YYYY-MM-DD: the newest kept build made by the end of that day, UTC). Default: the previous build.")
@click.option("--watch", "watch", multiple=True, metavar="ORG",
              help="Only changes that concern this organisation (any name or id), and its new partners (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "atom"]), default="text", show_default=True)
@click.pass_obj
def changes(obj: Context, since: str | None, watch: tuple[str, ...], fmt: str) -> None:
    """What changed since an earlier build: new and removed alliances, status, year, partners, claims, facts.

    Each change names the record files that state it. A git revision is built into a temporary store
    unless a kept build was made from it.
    """
    from graph import api

    comparison = api.changes(obj.local_store("changes"), since, list(watch))
    if fmt == "json":
        from graph.changes.render import render_json

        click.echo(render_json(comparison), nl=False)
    elif fmt == "atom":
        from graph.changes.atom import render_atom

        scope = "organisation:" + ",".join(comparison.watch) if comparison.watch else "all"
        click.echo(render_atom(comparison, "Changes in the decarbonization alliance graph", scope).decode("utf-8"), nl=False)
    else:
        from graph.changes.render import render_text

        click.echo(render_text(comparison), nl=False)
