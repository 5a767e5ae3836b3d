"""Characters a record may not contain, and how messages show them without printing them.

A record's text ends up in XML (GraphML, GEXF, RDF/XML, SPARQL XML results), in terminals and in
web pages. XML 1.0 forbids the C0 controls other than TAB, LF and CR, and U+FFFE/U+FFFF; a
terminal runs ESC sequences; C1 controls (U+0080-U+009F, with CSI at U+009B) do the same on some
terminals. The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
reorder what a reader sees ("Trojan Source", CVE-2021-42574): a name could display as another.
No source text needs any of them, so they are refused at the door rather than escaped in every
output. TAB, LF and CR stay allowed in text (a folded YAML block ends with LF); the single
direction marks LRM/RLM/ALM (U+200E, U+200F, U+061C) stay allowed because mixed-script names
use them and they reorder nothing beyond themselves.
"""
from __future__ import annotations

import re
import unicodedata

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")

# unicodedata has no names for controls; the C0 ones by their ASCII abbreviations.
_C0 = "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US".split()


def describe(char: str) -> str:
    """``U+001B (control character ESC)``: a forbidden character as a message may print it."""
    code = ord(char)
    if code < 0x20:
        name = f"control character {_C0[code]}"
    elif code <= 0x9F:
        name = "control character DEL" if code == 0x7F else "C1 control character"
    else:
        name = unicodedata.name(char, "noncharacter")
    return f"U+{code:04X} ({name})"


def visible(text: str) -> str:
    """``text`` with every forbidden character written as an escape, safe to print anywhere."""
    return FORBIDDEN.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
