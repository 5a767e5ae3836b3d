"""A small SPARQL lexer that follows Oxigraph's grammar (spargebra 0.4, in pyoxigraph 0.5.13) on
every token boundary, for three uses:

- ``inspect``: what the endpoint checks before evaluation (safety.py): whether SERVICE or LOAD can
  start a token in any reading Oxigraph could make, how deep brackets nest, and how many operators
  and group patterns the query has;
- ``tokens``: the words, braces and semicolons of the likely reading with their positions, to
  place USING clauses (protocol.py) and find FROM (workers.py).

No Python SPARQL library parses Oxigraph's dialect the way Oxigraph does, and Oxigraph exposes no
parser, so this module is written by hand. Oxigraph's parser is a PEG with backtracking and
semantic failures, so a token stream alone cannot always say what it reads. Where it can read a
text two ways, ``inspect`` keeps both (a refusal of a harmless query is a nuisance; a missed
SERVICE is a hole). These ways were each seen to make Oxigraph call out (tests/test_lexer.py):

- ``#`` comments end at CR as well as LF; short strings may not hold CR either;
- ``<`` after an operand is the less-than operator, not the start of an IRI:
  ``FILTER(?o<?b)SERVICE?e#>`` is a comparison, then SERVICE, then a comment;
- keywords need no separator: ``SERVICESILENT<...>``, ``SERVICEex:x``, ``?o.SERVICE``,
  ``true.SERVICE``, ``trueSERVICE``, ``1e5SERVICE`` all read SERVICE;
- a prefixed name whose full IRI is invalid falls back to its bare prefix: with
  ``PREFIX e: <http://a>``, ``e:SERVICE:x`` reads ``e:`` (http://a), then SERVICE, then ``:x``;
- a local name takes one group of dots only: ``e:x.y.SERVICE`` reads ``e:x.y``, ``.``, SERVICE.

Codepoint escapes (``\\u0053``) are only read inside strings and IRIs by this Oxigraph version.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from graph.rdf.namespaces import PREFIXES

_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf"'\\]"""
# The four string forms of the grammar, tried in Oxigraph's order, with its escapes only. The
# long forms are atomic, as a PEG does not backtrack into a repetition.
_STRING = (
    rf"'''(?>(?:''|')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''"
    rf'|"""(?>(?:""|")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*+"""'
    rf"|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*+'"
    rf'|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*+"'
)
_IRI = rf'<(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>'
# Python's \w stands in for the grammar's PN_CHARS_U and digits. Where it takes a character the
# grammar refuses, Oxigraph stops with a syntax error there, so nothing after it is read.
_NAME_CHAR = r"\w\u00B7\u0300-\u036F\u203F\u2040"
_VAR = rf"[?$][{_NAME_CHAR}]+"
# A run of name characters: keywords, prefixed names, blank node labels, numbers.
_RUN = rf"(?:[{_NAME_CHAR}.:-]|%{_HEX}{{2}}|\\[_~.!$&'()*+,;=/?#@%-])+"
_PUNCT = r"<<|>>|<=|>=|!=|&&|\|\||\^\^|[{}()\[\];,*+/|^!=<>]"
_LEX = re.compile(
    rf"(?P<ws>[ \t\r\n]+)|(?P<comment>\#[^\r\n]*)|(?P<string>{_STRING})|(?P<iri>{_IRI})"
    rf"|(?P<var>{_VAR})|(?P<run>{_RUN})|(?P<punct>{_PUNCT})|(?P<other>.)",
    re.DOTALL,
)
_NUMBERS = [re.compile(p) for p in (r"(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+",  # DOUBLE,
                                    r"[0-9]*\.[0-9]+", r"[0-9]+")]  # DECIMAL, INTEGER
_PN_PREFIX = re.compile(rf"[^\W\d_](?:[{_NAME_CHAR}-]|\.+(?=[{_NAME_CHAR}-]))*")
_GAP = r"(?:[ \t\r\n]|\#[^\r\n]*)*"
_DECLARATION = re.compile(rf"PREFIX{_GAP}((?:{_PN_PREFIX.pattern})?):{_GAP}<([^>]*)>", re.IGNORECASE)
_PREFIX_WORD = re.compile("PREFIX", re.IGNORECASE)
# An IRI to which a local name can be appended without making it invalid: a scheme and either no
# authority or an authority closed by a path, query or fragment. ``http://a`` is not one
# (``http://a`` + ``SERVICE:x`` has the port "x").
_SAFE_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!//)[^\x00-\x20<>\"{}|^`\\]*"
                             r"|[A-Za-z][A-Za-z0-9+.-]*://[^/?#\x00-\x20<>\"{}|^`\\]*[/?#][^\x00-\x20<>\"{}|^`\\]*")

OPENERS = {"{", "(", "[", "<<"}
CLOSERS = {"}", ")", "]", ">>"}
# Each makes one more node in the algebra Oxigraph builds and walks recursively.
OPERATOR_PUNCT = {"{", "||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "*", "/", "|", "^", "!"}
OPERATOR_WORDS = {"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "GRAPH", "SERVICE", "VALUES", "EXISTS", "LATERAL"}
# SERVICE and LOAD; Python's case folding matches more than ASCII (ſERVICE): never less.
_KEYWORD = re.compile("SERVICE|LOAD", re.IGNORECASE)
LONG_RUN = 256


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


@dataclass(frozen=True)
class Inspection:
    """What ``inspect`` found in a query or update."""

    keywords: frozenset[str]  # SERVICE and LOAD where some reading makes them keywords
    nesting: int  # deepest nesting of { ( [ <<
    operators: int  # operators and group patterns: each a node of the algebra
    stray_backslash: bool  # a backslash outside a string, an IRI or a local name


@dataclass
class _Namespaces:
    """The prefixes a text may declare, and whether a prefixed name can fall back to its prefix."""

    declared: set[str] = field(default_factory=set)
    unsafe: set[str] = field(default_factory=set)  # declared with an IRI a local name can break
    unknown: bool = False  # a PREFIX this module cannot read: assume the worst

    @classmethod
    def of(cls, text: str) -> _Namespaces:
        found = cls(declared=set(PREFIXES), unsafe={p for p, iri in PREFIXES.items() if not _SAFE_NAMESPACE.fullmatch(iri)})
        for word in _PREFIX_WORD.finditer(text):  # anywhere, even in strings: a superset
            match = _DECLARATION.match(text, word.start())
            if match is None:
                found.unknown = True
                continue
            found.declared.add(match.group(1))
            if not _SAFE_NAMESPACE.fullmatch(match.group(2)):
                found.unsafe.add(match.group(1))
        return found

    def may_declare(self, prefix: str) -> bool:
        return self.unknown or prefix in self.declared

    def may_fall_back(self, prefix: str, local: str) -> bool:
        """Whether ``prefix:local`` can be invalid as an IRI while ``prefix:`` is valid."""
        if not self.may_declare(prefix):
            return False  # neither reading exists
        return self.unknown or prefix in self.unsafe or "\\" in local or not local.isascii()


def _lex(text: str, pos: int = 0) -> Iterator[re.Match[str]]:
    return _LEX.finditer(text, pos)


def tokens(text: str) -> Iterator[Token]:
    """Words (keywords, names, variables) and the punctuation { } ; of the likely reading."""
    depth = 0
    for match in _lex(text):
        kind = match.lastgroup
        value = match.group()
        if kind == "var" or (kind == "run" and value.strip(".")) or value in ("{", "}", ";"):
            if value == "}":
                depth = max(0, depth - 1)
            yield Token(value, match.start(), depth)
            if value == "{":
                depth += 1


def _could_follow_keyword(text: str, end: int, names: _Namespaces) -> bool:
    """Whether SERVICE or LOAD ending at ``end`` can be followed by what the grammar asks next:
    space or a comment, SILENT, a variable, or an IRI (<...>, prefix:local)."""
    if end >= len(text):
        return False
    char = text[end]
    if char == ":":
        return names.may_declare("")
    if char.isdigit() or char in "_-.%\\\u00B7\u203F\u2040" or "\u0300" <= char <= "\u036F":
        return False  # none of these starts SILENT, a variable or an IRI
    if not char.isalpha():
        return True  # space, '#', '?', '$', '<', or anything this check need not understand
    if text[end:end + 6].upper() == "SILENT":
        return True
    prefix = _PN_PREFIX.match(text, end)
    return prefix is not None and text.startswith(":", prefix.end()) and names.may_declare(prefix.group())


def _keywords_at(text: str, start: int, names: _Namespaces) -> set[str]:
    match = _KEYWORD.match(text, start)
    if match and _could_follow_keyword(text, match.end(), names):
        return {match.group().upper()}
    return set()


def _starts_in_run(text: str, start: int, end: int, names: _Namespaces) -> set[int]:
    """Every position in a run of name characters where some reading starts a token: after each
    dot, after a number, after ``true``/``false``, and after the colon of a prefixed name that can
    fall back to its prefix. A run longer than any real name counts every position (bounded time)."""
    if end - start > LONG_RUN:
        return {m.start() for m in _KEYWORD.finditer(text, start, end)}
    colons = [i for i in range(start, end) if text[i] == ":"] if ":" in text[start:end] else []
    todo = [start] + [i + 1 for i in range(start, end) if text[i] == "."]
    seen: set[int] = set()
    while todo:
        pos = todo.pop()
        if pos in seen or pos >= end:
            continue
        seen.add(pos)
        for number in _NUMBERS:
            match = number.match(text, pos, end)
            if match:
                todo.append(match.end())
        for word in ("true", "false"):
            if text[pos:pos + len(word)].lower() == word:
                todo.append(pos + len(word))
        next_colon = bisect_right(colons, pos - 1)
        if next_colon < len(colons):
            colon = colons[next_colon]
            if names.may_fall_back(text[pos:colon], text[colon + 1:end]):
                todo.append(colon + 1)
    return seen


def _paren_depth(text: str) -> int:
    deepest = depth = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return deepest


def inspect(text: str) -> Inspection:
    """One pass over the likely reading (nesting, operators, stray backslashes), and over every
    other reading where they part (for SERVICE and LOAD), until it meets the first again."""
    keywords = [m.start() for m in _KEYWORD.finditer(text)]  # where a hit could be, if anywhere
    names = _Namespaces.of(text) if keywords else _Namespaces()
    found: set[str] = set()
    forks: list[int] = []

    def visit(kind: str | None, start: int, end: int) -> None:
        if kind == "run":
            if bisect_left(keywords, end) > bisect_left(keywords, start):  # a keyword lies in this run
                for position in _starts_in_run(text, start, end, names):
                    found.update(_keywords_at(text, position, names))
        elif kind == "iri" and start < keywords[-1] and ")" in text[start:end]:
            # After an operand, '<' is less-than and what looked like an IRI is code; getting from
            # inside the expression to SERVICE takes a ')'.
            forks.append(start + 1)

    nesting = depth = operators = 0
    stray = False
    for match in _lex(text):
        kind = match.lastgroup
        if kind == "ws" or kind == "comment" or kind == "string" or kind == "var":
            continue
        value = match.group()
        if kind == "punct":
            if value in OPENERS:
                depth += 1
                nesting = max(nesting, depth)
            elif value in CLOSERS:
                depth = max(0, depth - 1)
            operators += value in OPERATOR_PUNCT
            continue
        if keywords:
            visit(kind, match.start(), match.end())
        if kind == "run":
            operators += value.count("-") + (value.upper() in OPERATOR_WORDS)
            colon = value.find(":")
            stray = stray or "\\" in (value if colon < 0 else value[:colon])
        elif kind == "iri" and "(" in value:
            nesting = max(nesting, depth + _paren_depth(value))
        elif value == "\\":
            stray = True
    if forks:
        boundaries = {match.start() for match in _lex(text)}  # token starts of the readings followed
        while forks:
            for match in _lex(text, forks.pop()):
                if match.start() in boundaries:
                    break  # from here on this reading is one already followed
                boundaries.add(match.start())
                visit(match.lastgroup, match.start(), match.end())
    return Inspection(frozenset(found), nesting, operators, stray)


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
