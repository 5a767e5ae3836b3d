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
