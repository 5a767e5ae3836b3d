"""A comparison as text for a terminal and as JSON (docs/schemas/changes.schema.json)."""
from __future__ import annotations

import json

from graph.changes.compare import TITLES, Change, Comparison
from graph.safe_output import terminal_safe


def summary(change: Change) -> str:
    """One line: 'status change: HBIS-BMW memorandum (bmw-hbis-...): non-binding -> binding'."""
    what = f"{TITLES[change.kind]}: {change.label}"
    if change.entity_kind != "source" and change.entity != change.label:
        what += f" ({change.entity})"
    if change.about:
        what += f", {change.about}"
    if change.before is not None or change.after is not None:
        what += f": {change.before or 'none'} -> {change.after or 'none'}"
    return what


def render_text(comparison: Comparison) -> str:
    head = [f"Changes from {comparison.since.describe()} [{comparison.how}]",
            f"          to {comparison.until.describe()}"]
    if comparison.watch:
        head.append(f"watching: {', '.join(comparison.watch)}")
    count = len(comparison.changes)
    head.append(f"{count} change{'s' if count != 1 else ''}" + (":" if count else "."))
    lines = []
    for change in comparison.changes:
        lines.append(summary(change))
        lines += [f"    source: {s.file or s.id}" for s in change.sources]
    return terminal_safe("\n".join(head + lines)) + "\n"


def render_json(comparison: Comparison) -> str:
    return json.dumps(comparison.to_json(), ensure_ascii=False, indent=2) + "\n"
