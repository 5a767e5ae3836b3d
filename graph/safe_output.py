"""The rules for text from the data that leaves the program: CSV and TSV cells, XML documents and
terminal text. Every writer of those outputs calls these functions, so each rule has one home.

**CSV and TSV: formula injection.** Spreadsheet programs run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula, and TAB or CR at the start can hide one (OWASP "CSV Injection";
ASVS 5.0 1.2.10 adds NUL). So:

- *CSV*: a cell that starts with one of ``= + - @ TAB CR NUL`` gets a single quote (``'``)
  prefixed, as OWASP recommends, *unless the whole cell is a plain decimal number* (``-3``,
  ``+2.5``, ``1.0E6``): a spreadsheet reads that as a number, never as a formula, and a negative
  number stays a number (the W3C SPARQL CSV tests keep ``-3``). ``-3 `` or ``-1+2`` are not plain
  numbers and are prefixed. The check looks at the cell's value before it is quoted, and the cells
  are written by Python's csv module (RFC 4180: a cell holding a comma, a quote or a line break is
  quoted, its quotes doubled), so ``"=1+1"`` in quotes is caught as well. CSV has no escapes, so
  the prefix is part of the cell: ``'=1+1`` is read back as ``'=1+1``.
- *SPARQL TSV* writes each cell as an RDF term in Turtle syntax (``"=1+1"@en``), and a spreadsheet
  strips the quotes. There the first character of a literal that starts with one of those
  characters is written as a Turtle escape (``"\\u003D1+1"@en``): a SPARQL client reads the same
  literal back, nothing is lost, and a spreadsheet sees ``\\u003D1+1``. Oxigraph writes only
  integers, decimals and booleans bare; those are plain numbers and stay as they are.

Not PyPI's defusedcsv: it does not handle TAB or CR, also prefixes ``|`` and ``%`` and rewrites
``|`` as ``\\|`` inside the cell, wraps only Python's csv writer (SPARQL results arrive serialised
by Oxigraph) and has no notion of TSV terms. The rule is a few lines; here it is one function.

**XML: characters XML 1.0 forbids** (``\\x00``-``\\x08``, ``\\x0b``, ``\\x0c``, ``\\x0e``-``\\x1f``,
U+FFFE, U+FFFF) make a document that no parser accepts; Oxigraph and networkx write them as they
are. Every XML output (SPARQL XML results, RDF/XML, GraphML, GEXF) replaces them with U+FFFD and
says so in a comment at the top of the document. Refusing would fail a whole query or export for
one label, and the clients that ask for XML by default (SPARQLWrapper, rdflib's SPARQLStore)
could not read anything; JSON, CSV, TSV and N-Triples carry the characters exactly.

**Terminal text** (``show``, ``search``, ``path``, ``stats``, query tables, error messages): C0 and
C1 control characters other than the line break, DEL, and the bidirectional overrides and isolates
(which reorder what a terminal shows) are written visibly as ``\\x1b``, ``\\t``, ``\\u202e``, so
no escape sequence from the data reaches the terminal. Chinese and other wide characters stay;
tables escape their cells before measuring them, so columns stay aligned. JSON output is escaped
by json itself.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import pyoxigraph as ox

FORMULA_START = frozenset("=+-@\t\r\x00")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# a cell that may start with FORMULA_START (quoted or not): only then is a result rewritten
_CSV_RISK = re.compile(rb'(?:^|[,\n])"?[=+\-@\t\r\x00]')
_TSV_RISK = re.compile(rb'(?:^|[\t\n])"[=+\-@\t\r\x00]')

_XML_FORBIDDEN = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")  # UTF-8 of U+FFFE, U+FFFF
_XML_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]*\?>")

_TERMINAL_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TERMINAL_NAMES = {"\t": "\\t", "\r": "\\r"}


# ------------------------------------------------------------------ CSV and TSV

def csv_cell(value: object) -> str:
    """The text of one CSV cell, neutralised if a spreadsheet could run it (see the module)."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_START and text and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(values: Iterable[object]) -> list[str]:
    return [csv_cell(value) for value in values]


def neutralise_csv(body: bytes) -> bytes:
    """SPARQL CSV results (UTF-8, CRLF) with every cell passed through ``csv_cell``."""
    if not _CSV_RISK.search(body):
        return body
    if len(body) > csv.field_size_limit():  # a literal can be longer than csv's 128 KiB guard for files
        csv.field_size_limit(len(body))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv.reader(io.StringIO(body.decode("utf-8"), newline="")):
        writer.writerow(csv_row(row))
    return out.getvalue().encode("utf-8")


def neutralise_tsv(body: bytes) -> bytes:
    """SPARQL TSV results with the first character of a risky literal written as ``\\uXXXX``.

    Terms in TSV never hold a raw TAB or line break (Turtle escapes them), so splitting is exact."""
    if not _TSV_RISK.search(body):
        return body
    lines = [b"\t".join(_tsv_term(cell) for cell in line.split(b"\t")) for line in body.split(b"\n")]
    return b"\n".join(lines)


def _tsv_term(cell: bytes) -> bytes:
    if cell[:1] == b'"' and len(cell) > 1 and chr(cell[1]) in FORMULA_START:
        return b'"\\u%04X' % cell[1] + cell[2:]
    return cell


# ------------------------------------------------------------------ XML

def xml_safe(body: bytes) -> bytes:
    """A UTF-8 XML document with the characters XML 1.0 forbids replaced by U+FFFD, and a
    comment after the declaration that says how many were replaced."""
    cleaned, count = _XML_FORBIDDEN.subn("\ufffd".encode(), body)
    if not count:
        return body
    note = (f"<!-- {count} character{'s' if count != 1 else ''} that XML 1.0 forbids (control characters) "
            "replaced by U+FFFD; JSON, CSV, TSV and N-Triples keep them -->").encode()
    declaration = _XML_DECLARATION.match(cleaned)
    at = declaration.end() if declaration else 0
    return cleaned[:at] + (b"\n" if at else b"") + note + (b"" if at else b"\n") + cleaned[at:]


_XML_FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """One text for an XML writer that refuses the characters XML 1.0 forbids (lxml, under the
    Atom feeds), with each replaced by U+FFFD as ``xml_safe`` does for whole documents."""
    return _XML_FORBIDDEN_TEXT.sub("\ufffd", text)


# ------------------------------------------------------------------ one entry for serialised results

def safe_serialisation(body: bytes, fmt: ox.QueryResultsFormat | ox.RdfFormat) -> bytes:
    """What Oxigraph serialised in ``fmt``, made safe by the rules above (other formats unchanged)."""
    if fmt == ox.QueryResultsFormat.CSV:
        return neutralise_csv(body)
    if fmt == ox.QueryResultsFormat.TSV:
        return neutralise_tsv(body)
    if fmt == ox.QueryResultsFormat.XML or fmt == ox.RdfFormat.RDF_XML:
        return xml_safe(body)
    return body


# ------------------------------------------------------------------ terminal

def terminal_safe(text: str) -> str:
    """``text`` with control characters (but the line break) shown as escapes, never sent raw."""
    return _TERMINAL_UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
