"""How many terms one query or update carries, and how IRIs are written in its VALUES block.

A build, a check or a reading that asks about many nodes asks a few hundred at a time (a query
text of tens of kilobytes, not megabytes); each caller names its batch size, and all of them cut
their lists here and write their IRIs here, so that one rule holds for both.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), in their order; none for no items.
    (A few lines of our own: itertools.batched comes with Python 3.12, and the project runs on 3.11.)

    >>> list(chunks("abcde", 2))
    [['a', 'b'], ['c', 'd'], ['e']]
    """
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def iri_values(iris: Iterable[str]) -> str:
    """The IRIs as terms of a VALUES block, in their order (they are not checked: callers pass IRIs
    read from the store or made by the build).

    >>> iri_values(["https://example.org/a", "https://example.org/b"])
    '<https://example.org/a> <https://example.org/b>'
    """
    return " ".join(f"<{iri}>" for iri in iris)
