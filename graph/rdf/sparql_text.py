"""A small SPARQL lexer: the words, braces and semicolons that are code, outside strings, IRIs
and comments, with their positions in the text.

It serves two checks that no Python SPARQL library offers on Oxigraph's dialect: finding the
keywords SERVICE and LOAD (safety.py), and placing USING clauses for the protocol's
using-graph-uri parameters (protocol.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# The local part of a prefixed name, with SPARQL's %-escapes and backslash escapes (ex:a\#b).
_LOCAL = r"(?:[\w.:-]|%[0-9A-Fa-f]{2}|\\[_~.!$&'()*+,;=/?#@%-])*"
_TOKEN = re.compile(
    r'(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>'
    r"|\#[^\n]*)"
    r"|(?P<word>[?$]?[A-Za-z_][\w.-]*(?::" + _LOCAL + r")?|:" + _LOCAL + r")"
    r"|(?P<punct>[{};])"
    r"|(?P<backslash>\\)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    depth: int  # brace depth at the token

    @property
    def keyword(self) -> str | None:
        """The upper-cased word if it can be a keyword (not a variable or prefixed name)."""
        if self.text[0] in "?$:" or ":" in self.text:
            return None
        return self.text.upper()


def tokens(text: str) -> Iterator[Token]:
    depth = 0
    for match in _TOKEN.finditer(text):
        if match.group("skip"):
            continue
        value = match.group("word") or match.group("punct") or match.group("backslash")
        if value == "}":
            depth -= 1
        yield Token(value, match.start(), depth)
        if value == "{":
            depth += 1


# ------------------------------------------------------------------ rewriting query text
# The one way query text is rewritten (USING clauses for the protocol's using-graph-uri, VALUES for
# the explorer's examples): find the place on the tokens above, so that a WHERE or a brace inside a
# string, an IRI or a comment is never taken for code, then insert text at offsets of the original.


def has_keyword(text: str, *keywords: str) -> bool:
    """Whether one of ``keywords`` (upper case) is code at the top level of the text (brace depth 0)."""
    if not any(word in text.upper() for word in keywords):  # the common case, without lexing
        return False
    return any(token.depth == 0 and token.keyword in keywords for token in tokens(text))


def insert(text: str, insertions: list[tuple[int, str]]) -> str:
    """``text`` with each string inserted at its offset (offsets into ``text`` as given)."""
    for offset, addition in sorted(insertions, key=lambda item: item[0], reverse=True):
        text = text[:offset] + addition + text[offset:]
    return text


def update_where_offsets(text: str) -> list[int]:
    """Where each ``DELETE``/``INSERT ... WHERE`` operation of an update has its WHERE keyword:
    the place for USING clauses. ``DELETE WHERE`` (which takes no USING) and data operations have none."""
    found = list(tokens(text))
    return [t.start for i, t in enumerate(found)
            if t.keyword == "WHERE" and t.depth == 0 and not (i and found[i - 1].keyword == "DELETE")]


def where_body_offset(text: str) -> int | None:
    """The offset just after the ``{`` that opens the query's WHERE clause (the keyword WHERE may be
    left out, except in CONSTRUCT, whose first brace opens the template); None if there is none."""
    found = list(tokens(text))
    for index, token in enumerate(found):
        if token.keyword == "WHERE" and token.depth == 0:
            following = found[index + 1] if index + 1 < len(found) else None
            return following.start + 1 if following is not None and following.text == "{" else None
    if any(t.keyword == "CONSTRUCT" and t.depth == 0 for t in found):
        return None
    return next((t.start + 1 for t in found if t.text == "{" and t.depth == 0), None)


def undeclared_prefixes(text: str) -> list[str]:
    """The prefixes of the prefixed names the text uses (``al:Alliance``) and does not declare
    with PREFIX, in the order of first use."""
    found = list(tokens(text))
    declared = {found[i + 1].text.partition(":")[0] for i, t in enumerate(found[:-1])
                if t.keyword == "PREFIX" and found[i + 1].text.endswith(":")}
    used: dict[str, None] = {}
    for index, token in enumerate(found):
        if ":" in token.text and token.text[0] not in "?$" and not (index and found[index - 1].keyword == "PREFIX"):
            used.setdefault(token.text.partition(":")[0], None)
    return [prefix for prefix in used if prefix not in declared]
