"""``alliances draft``: a draft record from a news article (graph/draft/), to check and add to data/."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from graph.cli.context import Context
from graph.cli.errors import EXIT_INVALID, fail, print_problems
from graph.errors import InvalidData
from graph.safe_output import terminal_safe

if TYPE_CHECKING:
    from graph.draft.fields import Draft

URL = re.compile(r"https?://\S+")


@click.command()
@click.argument("file", type=click.File("rb"))
@click.option("--url", help="The page's address as published (becomes source/url).")
@click.option("--published", metavar="YYYY-MM-DD", help="The page's date; 'Tuesday' or 'this week' are resolved against it, never without it.")
@click.option("--language", type=click.Choice(["en", "de", "zh"]), help="The article's language (detected if not given).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the draft to this file instead of standard output.")
@click.option("--write", "write_", is_flag=True, help="Validate the draft and, only if it is valid, add it to data/sources/.")
@click.option("--review", is_flag=True, help="Walk through the fields on the terminal: accept, edit or drop each.")
@click.pass_obj
def draft(obj: Context, file: IO[bytes], url: str | None, published: str | None, language: str | None, output: Path | None,
          write_: bool, review: bool) -> None:
    """Draft a record from a news article (text or saved HTML; '-' for standard input).

    Fields a person must check are marked '# review:'; every field has its quote and a confidence.
    Nothing is written into data/ unless --write is given, and then only a draft that validates.
    """
    from graph.draft import draft_article
    from graph.draft.lexicon import load_lexicon
    from graph.draft.record import build_record
    from graph.draft.text import MAX_ARTICLE_BYTES

    if url is not None and not URL.fullmatch(url):
        fail(f"--url {url}: give the page's address, starting with http:// or https:// and without spaces")
    day = _date(published) if published is not None else None
    raw = file.read(MAX_ARTICLE_BYTES + 1)
    lexicon = load_lexicon(obj.open())
    found = draft_article(raw, file.name if isinstance(getattr(file, "name", None), str) else "the article", lexicon,
                          url=url, published=day, language=language)
    if review:
        _review(found)
    record = build_record(found)
    where = getattr(file, "name", "-")
    text = record.yaml(f"Draft of {where} by `alliances draft`: check every line marked 'review', then run alliances validate.")
    if write_:
        from graph.draft.write import write_record

        name = "-".join(filter(None, [day.isoformat() if day else None, record.alliance_id]))[:100].strip("-")
        try:
            target = write_record(obj.settings, text, name)
        except InvalidData as error:
            print_problems(error.problems, show_info=False)
            fail("the draft does not validate, so nothing was written to data/: write it with -o FILE, fix the fields "
                 "above and run alliances validate FILE", EXIT_INVALID)
        click.echo(f"wrote {obj.settings.display(target)} ({len(record.reviews)} field(s) to review)", err=True)
        return
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({len(record.reviews)} field(s) to review)", err=True)
    else:
        click.echo(text, nl=False)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--published {text}: write the page's date as YYYY-MM-DD, e.g. 2024-01-18")


def _review(found: Draft) -> None:
    """Each field with its quote: [a]ccept, [e]dit (each part, its value as default) or [d]rop."""
    kept = []
    for item in found.fields:
        parts = ", ".join(f"{k}={v}" for k, v in item.value.items())
        click.echo(terminal_safe(f"\n{item.kind}: {parts}  (confidence {item.confidence:.2f})"))
        click.echo(terminal_safe(f"  quote: {item.quote}"))
        if item.review:
            click.echo(terminal_safe(f"  review: {item.review}"))
        choice = click.prompt("  [a]ccept, [e]dit, [d]rop", type=click.Choice(["a", "e", "d"]), default="a", show_choices=False)
        if choice == "d":
            continue
        if choice == "e":
            item.value = {k: str(click.prompt(f"  {k}", default=v)) for k, v in item.value.items()}
            item.confidence, item.review = 1.0, None
        elif item.needs_review:
            item.confidence, item.review = max(item.confidence, 0.7), None  # a person has looked at it
        kept.append(item)
    found.fields = kept

