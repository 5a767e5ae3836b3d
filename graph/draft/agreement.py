"""The kind of agreement and whether it binds, from the article's wording.

Rules over the graph's own vocabulary: every label of ontology/taxonomies/alliance-types.ttl in
each language (read from the store, lexicon.py), and the words journalists use for the same kinds
(below), which the taxonomy does not hold. No library classifies agreements. The first specific
wording in the article wins (the headline and lead name the deal; later sentences name side
matters); one-word labels such as 'agreement', 'Kooperation' or '合作' count only when nothing more
specific is said.

Binding is only what the text says ('non-binding', 'nicht bindend', '不具约束力'; 'legally binding',
'verbindlich', '具有约束力'): a memorandum is not assumed to be non-binding.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from graph.draft.lexicon import Lexicon, simplified
from graph.draft.text import Sentence

# Wordings the taxonomy labels lack, by alliance type (Chinese in simplified characters).
WORDINGS: dict[str, tuple[str, ...]] = {
    "memorandum-of-understanding": ("memorandum of understanding", "memorandums of understanding", "memoranda of understanding",
                                    "memorandum", "memorandums", "memoranda", "MoU", "MoUs", "Absichtserklärung",
                                    "Absichtserklärungen", "Memorandum of Understanding", "谅解备忘录", "备忘录"),
    "cooperation-memorandum": ("cooperation memorandum", "Kooperationsmemorandum", "合作备忘录", "战略合作备忘录"),
    "letter-of-intent": ("letter of intent", "letters of intent", "LOI", "LoI", "意向书", "意向协议"),
    "agreement": ("heads of agreement", "framework agreement", "Rahmenvertrag", "Rahmenvereinbarung"),
    "offtake-agreement": ("offtake agreement", "offtake deal", "offtake contract", "offtake", "Abnahmevertrag",
                          "Abnahmevereinbarung", "承购协议", "包销协议"),
    "supply-agreement": ("Rahmenvertrag über die Lieferung", "Rahmenvertrag zur Lieferung", "Rahmenliefervertrag",
                         "supply agreement", "supply contract", "supply deal", "long-term supply", "Liefervertrag",
                         "Liefervereinbarung", "Lieferabkommen", "供货协议", "供应协议", "采购协议", "长期供货"),
    "joint-venture-agreement": ("joint venture", "joint-venture", "Gemeinschaftsunternehmen", "Joint Venture", "合资公司",
                                "合资协议", "合资"),
    "joint-pilot": ("pilot project", "pilot", "Pilotprojekt", "试点项目", "示范项目", "试点"),
    "coalition-membership": ("joined the", "joins the", "membership", "became a member", "tritt bei", "beigetreten",
                             "Mitglied", "加入", "成为成员"),
    "cooperation": ("strategic cooperation agreement", "cooperation agreement", "strategic partnership", "partnership agreement",
                    "Partnerschaftsvereinbarung", "Kooperationsabkommen", "战略合作伙伴", "合作框架协议", "框架合作协议", "框架协议",
                    "Kooperationsvereinbarung", "Kooperationsvertrag", "strategische Partnerschaft", "战略合作协议",
                    "合作协议", "战略合作"),
}
NOT_BINDING = ("non-binding", "nonbinding", "not binding", "not legally binding", "nicht bindend", "unverbindlich",
               "nicht verbindlich", "nicht rechtsverbindlich", "不具约束力", "不具有约束力", "不具有法律约束力", "不具法律约束力",
               "无约束力", "非约束性", "没有约束力", "框架性协议")
BINDING = ("legally binding", "binding agreement", "binding contract", "binding offtake", "binding supply", "firm order",
           "definitive agreement", "definitive", "is binding", "binding", "rechtsverbindlich", "verbindlichen", "verbindliche",
           "verbindlich", "具有法律约束力", "具有约束力", "具约束力", "有约束力")


@dataclass(frozen=True)
class Found:
    value: str
    sentence: int
    start: int
    end: int
    confidence: float


@lru_cache(maxsize=4)
def _patterns(lexicon: Lexicon) -> tuple[list[tuple[re.Pattern[str], str]], list[tuple[re.Pattern[str], str]]]:
    specific: list[tuple[str, str]] = [(w, t) for t, words in WORDINGS.items() for w in words]
    generic: list[tuple[str, str]] = []
    for concept in lexicon.scheme("alliance-type"):
        for labels in concept.labels.values():
            for label in labels:
                label = simplified(re.sub(r"\s*\(.*\)$", "", label))
                one_word = (" " not in label and not re.search(r"[\u4e00-\u9fff]{3}", label))
                (generic if one_word else specific).append((label, concept.id))
    def compile_(pairs: list[tuple[str, str]]) -> list[tuple[re.Pattern[str], str]]:
        pairs = sorted(set(pairs), key=lambda pair: len(pair[0]), reverse=True)
        return [(re.compile(_word(w), 0 if w.isupper() else re.IGNORECASE), t) for w, t in pairs]
    return compile_(specific), compile_(generic)


def _word(text: str) -> str:
    if re.search(r"[\u4e00-\u9fff]", text):
        return re.escape(text)
    return rf"(?<![\w-]){re.escape(text)}(?![\w-])" if len(text) < 12 else rf"(?<![\w-]){re.escape(text)}"


def find_type(sentences: list[Sentence], lexicon: Lexicon) -> Found | None:
    """The alliance type the article's first specific wording names."""
    specific, generic = _patterns(lexicon)
    for patterns, confidence in ((specific, 0.85), (generic, 0.55)):
        for sentence in sentences:
            text = simplified(sentence.text)
            hits: list[Found] = []
            for pattern, ident in patterns:
                for match in pattern.finditer(text):
                    hits.append(Found(ident, sentence.index, match.start(), match.end(), confidence))
            if hits:  # earliest in the sentence, then the longest wording there
                return min(hits, key=lambda f: (f.start, -(f.end - f.start)))
    return None


def find_binding(sentences: list[Sentence]) -> Found | None:
    """True or false where the article says so; None otherwise."""
    for sentence in sentences:
        text = simplified(sentence.text)
        for words, value in ((NOT_BINDING, "false"), (BINDING, "true")):
            for word in words:
                at = text.lower().find(word.lower())
                if at >= 0:
                    return Found(value, sentence.index, at, at + len(word), 0.9)
    return None
