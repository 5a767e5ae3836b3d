"""What the endpoint refuses before any evaluation.

SERVICE makes the engine call out to any address (pyoxigraph's client is in Rust, so no Python
hook sees it) and LOAD fetches URLs: both are refused whatever the mode. Oxigraph reads FROM and
FROM NAMED from the store's own named graphs and never fetches them.

No SPARQL parser in Python exposes the algebra that Oxigraph would evaluate, so the check is
lexical (graph.rdf.sparql_text): outside strings, IRIs and comments, a keyword is a bare word; a
prefixed name such as ex:service or a variable ?service is not the keyword.
"""
from __future__ import annotations

from graph.rdf.sparql_text import tokens

REFUSED_KEYWORDS = {"SERVICE", "LOAD"}


class Refused(Exception):
    """A request the endpoint will not run; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def check_operation(text: str, max_chars: int) -> None:
    """Raise Refused for a too long operation, SERVICE, or LOAD."""
    if len(text) > max_chars:
        raise Refused(413, f"the query is {len(text):,} characters long; the limit is {max_chars:,}")
    upper = text.upper()
    if "\\" not in text and "SERVICE" not in upper and "LOAD" not in upper:  # nothing to look for: skip lexing
        return
    code = list(tokens(text))  # lexed once for both checks
    if any(token.text == "\\" for token in code):
        raise Refused(400, "a backslash outside a string, IRI or prefixed name is not SPARQL; remove it")
    found = {token.keyword for token in code if token.keyword in REFUSED_KEYWORDS}
    if "SERVICE" in found:
        raise Refused(400, "SERVICE is refused: this endpoint does not query other endpoints (federation is off)")
    if "LOAD" in found:
        raise Refused(400, "LOAD is refused: this endpoint never fetches URLs or reads files")
