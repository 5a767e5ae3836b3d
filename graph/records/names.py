"""Normalising names so that any spelling of a label finds its entity.

``normalise`` folds case (casefold), width and compatibility forms (NFKC: full-width 'ＨＢＩＳ' is
'hbis'), and drops punctuation and spaces ('FAW-Volkswagen', 'FAW Volkswagen' and 'faw volkswagen'
match; so do '一汽-大众' and '一汽大众'). The build stores the result as skos:hiddenLabel.
"""
from __future__ import annotations

import unicodedata


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if unicodedata.category(char)[0] in ("L", "N"))
