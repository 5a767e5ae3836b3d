"""What the endpoint refuses before any evaluation.

SERVICE makes the engine call out to any address (pyoxigraph's client is in Rust, so no Python
hook sees it) and LOAD fetches URLs: both are refused whatever the mode. Oxigraph reads FROM and
FROM NAMED from the store's own named graphs and never fetches them.

No SPARQL parser in Python exposes the algebra that Oxigraph would evaluate, so the check is
lexical: strings, IRIs and comments are removed, then a keyword is a word not preceded by
'?', '$', ':' or a name character. A prefixed name such as ex:service or a variable ?service is
therefore not the keyword.
"""
from __future__ import annotations

import re

_STRIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'      # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'                 # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'           # IRIs
    r"|#[^\n]*",                            # comments
    re.DOTALL,
)
_KEYWORDS = re.compile(r"(?<![\w?$:])(SERVICE|LOAD)(?![\w:])", re.IGNORECASE)


class Refused(Exception):
    """A request the endpoint will not run; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def keywords(text: str) -> set[str]:
    """The refused keywords that ``text`` uses as SPARQL keywords (upper case)."""
    return {match.upper() for match in _KEYWORDS.findall(_STRIP.sub(" ", text))}


def check_operation(text: str, max_chars: int) -> None:
    """Raise Refused for a too long operation, SERVICE, or LOAD."""
    if len(text) > max_chars:
        raise Refused(413, f"the query is {len(text):,} characters long; the limit is {max_chars:,}")
    found = keywords(text)
    if "SERVICE" in found:
        raise Refused(400, "SERVICE is refused: this endpoint does not query other endpoints (federation is off)")
    if "LOAD" in found:
        raise Refused(400, "LOAD is refused: this endpoint never fetches URLs or reads files")
