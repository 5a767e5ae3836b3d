"""Materials and pathways an article names, from the labels of ontology/taxonomies/materials.ttl and
pathways.ttl in each language (read from the store, lexicon.py).

No library knows this vocabulary; matching its labels is the rule, with the wordings journalists
use that the taxonomy lacks ('low-CO2 steel', 'fossil-free steel', 'CO2-reduzierter Stahl' are green
steel; ``WORDINGS``). Labels match as whole words
(German adjective endings vary: 'grüner Stahl' also matches 'grünem Stahl'), longest first, and
never inside an organisation's name ('钢' in '宝钢'). Only the most specific concept is kept: 'green
steel' makes 'steel' redundant.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from graph.draft.lexicon import Lexicon, simplified
from graph.draft.text import Sentence

_ENDING = re.compile(r"(?<=[a-zäöüß])(?:e|em|en|er|es)$")
WORDINGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("material", "green-steel"): ("low-carbon steel", "low-CO2 steel", "low-emission steel", "low-emissions steel",
                                  "fossil-free steel", "near-zero steel", "CO2-reduced steel", "carbon-neutral steel",
                                  "decarbonised steel", "decarbonized steel", "zero-carbon steel", "CO2-reduzierter Stahl",
                                  "CO2-armer Stahl", "klimaneutraler Stahl", "grünstahl", "低碳钢材", "低碳钢铁", "绿色低碳钢", "零碳钢"),
    ("material", "low-carbon-aluminium"): ("low-carbon aluminium", "low-carbon aluminum", "low-CO2 aluminium",
                                           "CO2-armes Aluminium", "CO2-reduziertes Aluminium", "低碳铝材"),
}


@dataclass(frozen=True)
class Topic:
    scheme: str
    id: str
    sentence: int
    words: str
    confidence: float


def _label_pattern(label: str) -> str:
    if re.search(r"[\u4e00-\u9fff]", label):
        return re.escape(label)
    words = []
    for word in label.split():
        if (word[0].islower() or "-" in word) and _ENDING.search(word):
            words.append(re.escape(_ENDING.sub("", word)) + r"(?:e|em|en|er|es)?")
        else:
            words.append(re.escape(word))
    return r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?![\w-])"


@lru_cache(maxsize=4)
def _patterns(lexicon: Lexicon) -> list[tuple[re.Pattern[str], str, str, int]]:
    found: list[tuple[re.Pattern[str], str, str, int]] = []
    for scheme in ("material", "pathway"):
        for concept in lexicon.scheme(scheme):
            for labels in concept.labels.values():
                for label in labels:
                    label = simplified(label)
                    flags = 0 if label.isupper() else re.IGNORECASE
                    found.append((re.compile(_label_pattern(label), flags), scheme, concept.id, len(label)))
    for (scheme, ident), words in WORDINGS.items():
        for word in words:
            found.append((re.compile(_label_pattern(simplified(word)), re.IGNORECASE), scheme, ident, len(word)))
    found.sort(key=lambda item: item[3], reverse=True)
    return found


def find_topics(sentences: list[Sentence], lexicon: Lexicon, masked: dict[int, list[tuple[int, int]]]) -> list[Topic]:
    """The most specific materials and pathways, each with the first sentence that names it."""
    found: dict[tuple[str, str], Topic] = {}
    for sentence in sentences:
        text = simplified(sentence.text)
        taken = list(masked.get(sentence.index, []))
        for pattern, scheme, ident, _ in _patterns(lexicon):
            for match in pattern.finditer(text):
                if any(match.start() < b and match.end() > a for a, b in taken):
                    continue
                taken.append(match.span())
                found.setdefault((scheme, ident), Topic(scheme, ident, sentence.index, sentence.text[match.start():match.end()], 0.75))
    redundant = {(scheme, up) for (scheme, ident) in found for up in lexicon.ancestors(scheme, ident)}
    return [topic for key, topic in found.items() if key not in redundant]
