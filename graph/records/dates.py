"""Rules on an alliance's dates and status changes that one record can break by itself.

- A date resolved from "Tuesday" or "this week" rests on the publication date: a ``basis`` in a
  record whose source has no ``published`` date has nothing to rest on (an undated source stays
  undated).
- Status changes are listed in the order they happened: the undated ones (the deal as the source
  first reports it) first, then the dated ones, none before one it follows. Dates of different
  precision are compared at the coarser one, so 2023 and 2023-05 are never out of order.

The schema cannot compare two values, and SHACL would lose the order of the list, so the rules
live here, where each problem can name its file and line.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graph.problems import Problem
from graph.records.yaml_positions import Positioned

DATED_PARTS = ("signing", "announcement")


def date_problems(display: str, positioned: Positioned) -> Iterator[Problem]:
    data: dict[str, Any] = positioned.value
    published = "published" in data["source"]
    for index, alliance in enumerate(data.get("alliances") or []):
        path: tuple[str | int, ...] = ("alliances", index)
        if not published:
            bases: list[tuple[str | int, ...]] = [(part,) for part in DATED_PARTS if "basis" in (alliance.get(part) or {})]
            bases += [("status", n) for n, change in enumerate(alliance.get("status") or []) if "basis" in change]
            for where in bases:
                yield Problem(display, positioned.line_of(path + where + ("basis",)), "date-basis",
                              f"{'/'.join(map(str, where))}/basis: a date resolved against the publication date, but the source has no published date",
                              "add source/published from the page, or remove the date and its basis: an undated source stays undated")
        yield from _status_order(display, positioned, path, alliance.get("status") or [])


def _status_order(display: str, positioned: Positioned, path: tuple[str | int, ...], changes: list[dict[str, Any]]) -> Iterator[Problem]:
    latest: str | None = None
    for index, change in enumerate(changes):
        date = change.get("date")
        where = path + ("status", index)
        if date is None and latest is not None:
            yield Problem(display, positioned.line_of(where), "status-order",
                          f"status/{index}: an undated status change follows one dated {latest}",
                          "list undated changes first (they describe the deal as first reported), then the dated ones in time order")
        elif date is not None and latest is not None and _before(date, latest):
            yield Problem(display, positioned.line_of(where + ("date",)), "status-order",
                          f"status/{index}/date: {date} comes before {latest}, the date of a change listed above it",
                          "list the status changes in the order they happened")
        elif date is not None:
            latest = date


def _before(date: str, other: str) -> bool:
    """Whether ``date`` is earlier than ``other`` at the precision both share."""
    shared = min(len(date), len(other))
    return date[:shared] < other[:shared]
