"""How many terms one query or update carries, and how IRIs are written in its VALUES block.

A build, a check or a reading that asks about many nodes asks a few hundred at a time (a query
text of tens of kilobytes, not megabytes); each caller names its batch size, and all of them cut
their lists here and write their IRIs here, so that one rule holds for both.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
# What SPARQL's IRIREF cannot hold: written into a query, such an "IRI" would end the term early.
NOT_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')


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
    """The IRIs as terms of a VALUES block, in their order. A string that no IRI can be (a space, an
    angle bracket, a quote...) is refused, so that no text reaches a query as SPARQL of its own.

    >>> iri_values(["https://example.org/a", "https://example.org/b"])
    '<https://example.org/a> <https://example.org/b>'
    >>> iri_values(["https://example.org/a> } ?s ?p ?o {"])
    Traceback (most recent call last):
    ...
    ValueError: not an IRI: 'https://example.org/a> } ?s ?p ?o {' (an IRI holds no space, control character or any of <>"{}|^`\\)
    """
    terms = []
    for iri in iris:
        if NOT_IN_IRI.search(iri):
            raise ValueError(f"not an IRI: {iri!r} (an IRI holds no space, control character or any of <>\"{{}}|^`\\)")
        terms.append(f"<{iri}>")
    return " ".join(terms)


def bound_to(var: str, iris: Iterable[str]) -> str:
    """A group that binds ``var`` (``?name``) to each of ``iris``: their VALUES block inside a
    sub-select, which joins with the rest of the query as the VALUES block would. Why not the block
    alone: past about 1,000 rows Oxigraph 0.5's optimizer puts a block behind a pattern with constant
    terms and reads the block again for each of the pattern's rows (2,000 subjects and ``?s a
    al:Alliance`` at 35,000 alliances: 2.5 s, against 0.06 s inside a sub-select, whose rows it does
    not guess); with a second block (of predicates) the loss was a hundredfold at 500 rows.

    >>> bound_to("?s", ["https://example.org/a"])
    '{ SELECT ?s WHERE { VALUES ?s { <https://example.org/a> } } }'
    """
    return f"{{ SELECT {var} WHERE {{ VALUES {var} {{ {iri_values(iris)} }} }} }}"
