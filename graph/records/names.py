"""Normalising names so that any spelling of a label finds its entity.

``normalise`` folds case (casefold), width and compatibility forms (NFKC: full-width 'ＨＢＩＳ' is
'hbis'), and drops punctuation and spaces ('FAW-Volkswagen', 'FAW Volkswagen' and 'faw volkswagen'
match; so do '一汽-大众' and '一汽大众'). The build stores the result as skos:hiddenLabel.
"""
from __future__ import annotations

import unicodedata

# ASCII text is its own NFKC form, casefolds as lower() does, and its letters and digits are the
# only ASCII characters of category L or N: so it takes one pass in C, where the general way looks
# up each character's category (a third of a record's labels' cost when building).
_ASCII_DROPPED = {code: None for code in range(128) if not chr(code).isalnum()}


def normalise(text: str) -> str:
    if text.isascii():
        return text.lower().translate(_ASCII_DROPPED)
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if unicodedata.category(char)[0] in ("L", "N"))
