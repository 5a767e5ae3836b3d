"""What the endpoint refuses before any evaluation.

SERVICE makes the engine call out to any address (pyoxigraph's client is in Rust, so no Python
hook sees it) and LOAD fetches URLs: both are refused whatever the mode. Oxigraph reads FROM and
FROM NAMED from the store's own named graphs and never fetches them. This check is the first
layer; the second is that query workers cannot open network connections at all (sandbox.py).

No SPARQL parser in Python exposes the algebra that Oxigraph would evaluate, so the check is
lexical (graph.rdf.sparql_text), and where Oxigraph could read a text two ways it refuses if either
reading has SERVICE or LOAD. A prefixed name such as ex:service, a variable ?service, or the word
in a string, an IRI or a comment is not the keyword.

Deep nesting and long chains of operators make Oxigraph recurse until its worker crashes
(measured with pyoxigraph 0.5.13 on an 8 MB stack: 3,000 nested braces, 1,000 nested STR(...),
10,000 nested parentheses, 3,000 BINDs or OPTIONALs in one group, 7,000 UNIONs or '+' in a
row). The limits below stay well under those and well above real queries.
"""
from __future__ import annotations

from graph.rdf.sparql_text import OPERATOR_WORDS, inspect

MAX_NESTING = 128  # { ( [ << inside one another
MAX_OPERATORS = 1_000  # operators and group patterns (UNION, OPTIONAL, BIND, FILTER, { ...) in one operation


class Refused(Exception):
    """A request the endpoint will not run; ``status`` is the HTTP status to answer with.
    ``fault``: the query has a shape known to crash a worker (nesting, operators), so its client
    waits before its next request, as after a crash (graph.serve.workers.QueryPool.fault)."""

    def __init__(self, status: int, message: str, fault: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.fault = status, message, fault


def _may_exceed_limits(text: str, upper: str) -> bool:
    """Counts that bound the lexer's nesting and operators from above, without lexing."""
    openers = text.count("{") + text.count("(") + text.count("[") + text.count("<<")
    if openers > MAX_NESTING:
        return True
    return openers + sum(map(text.count, "&|+-*/=!<>^")) + sum(map(upper.count, OPERATOR_WORDS)) > MAX_OPERATORS


def check_operation(text: str, max_chars: int) -> None:
    """Raise Refused for a too long or too deep operation, SERVICE, or LOAD."""
    if len(text) > max_chars:
        raise Refused(413, f"the query is {len(text):,} characters long; the limit is {max_chars:,}")
    upper = text.upper()  # maps more characters to ASCII than Oxigraph does: never misses a keyword
    if "\\" not in text and "SERVICE" not in upper and "LOAD" not in upper and not _may_exceed_limits(text, upper):
        return  # nothing to look for: skip lexing
    found = inspect(text)  # lexed once for every check
    if found.stray_backslash:
        raise Refused(400, "a backslash outside a string, IRI or prefixed name is not SPARQL; remove it")
    if "SERVICE" in found.keywords:
        raise Refused(400, "SERVICE is refused: this endpoint does not query other endpoints (federation is off)")
    if "LOAD" in found.keywords:
        raise Refused(400, "LOAD is refused: this endpoint never fetches URLs or reads files")
    if found.nesting > MAX_NESTING:
        raise Refused(400, f"the query nests brackets {found.nesting:,} deep; the limit is {MAX_NESTING}: flatten it", fault=True)
    if found.operators > MAX_OPERATORS:
        raise Refused(400, f"the query has {found.operators:,} operators and group patterns; the limit is "
                           f"{MAX_OPERATORS:,}: split it, or list values with VALUES", fault=True)
