"""Organisations an article names: found through the graph's own names, or proposed as new.

Known organisations are found by every label and alias the built graph holds, in any language and
script (Chinese folded to simplified on both sides, lexicon.py), and by the short forms journalists
use: a name without its legal or group suffix ('Volkswagen Group' is found as 'Volkswagen', '宝山钢铁
股份有限公司' as '宝山钢铁') when no other organisation has that short form. A Latin name must start
with a capital in the text ('hydro power' is no mention of Hydro), unless data/ writes it, or its
first word, in lower case itself ('voestalpine', 'thyssenkrupp Steel Europe'), and stand as whole words.

Names the graph does not know are proposed from their shape, by rule (no offline named-entity
model covers German and Chinese): a run of two or more capitalised words, or one that ends in a
legal form ('GmbH', 'Ltd'); in Chinese, the characters before 公司, 集团 or 有限公司. A proposal close
to a known name (rapidfuzz, on names folded by graph.records.names.normalise) is taken as that
organisation, marked for review; the others become new organisations, marked for review too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from graph.draft.lexicon import Lexicon, simplified
from graph.draft.people import POST_WORDS
from graph.draft.text import Sentence
from graph.records.names import normalise

LEGAL_SUFFIXES = ("group", "gruppe", "ag", "se", "gmbh", "co", "co.", "co.,", "ltd", "ltd.", "limited", "inc", "inc.",
                  "corp", "corp.", "corporation", "company", "plc", "llc", "sa", "s.a.", "nv", "n.v.", "asa", "ab", "oyj",
                  "holding", "holdings", "kg", "kgaa", "& co.", "gmbh & co. kg")
CJK_SUFFIXES = ("集团股份有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团公司", "集团", "股份", "公司")
# Capitalised words that open a sentence or name a kind of thing, never an organisation by themselves.
STOP_WORDS = frozenset("""the a an this that these those under according in on at for from with and but as by to of its their our
our his her it we they he she when while after before since during between about also both each every some many new
die der das den dem des ein eine einer eines einem und oder mit im am ab bei seit nach laut für wie auch so zum zur
vom von beim dieser diese dieses jetzt heute tonnen tonnes tonne prozent percent euro euros dollar dollars mio mrd millionen
milliarden million millions billion billions yuan kronor kilogramm beide unsere unser ihre ihr alle viele both""".split())
_WORD = r"(?:[A-Z][\w&.'’-]*[\w&]|[A-Z]|\d[\w-]*[A-Za-z][\w-]*)"
_CAPITALISED = re.compile(rf"(?<![\w-]){_WORD}(?:[ \u00a0]+(?:{_WORD}|&|of|for|für|de|du)(?=[ \u00a0,.;:!?)\"”’]|$))*")
_AFTER_WITH = re.compile(r"\b(?:with|and|between)\s+$")
_AMOUNT = re.compile(r"\d[\d.,]*(?:m|mn|bn|k|t|kt|mt)?", re.IGNORECASE)
CURRENCIES = frozenset({"EUR", "USD", "US$", "SEK", "NOK", "CNY", "RMB", "GBP", "DKK", "CHF", "JPY", "KRW"})
_CJK_SUFFIX = re.compile("|".join(sorted(CJK_SUFFIXES, key=len, reverse=True)))
_CJK_BOUNDARY = frozenset("与和及同向由将在为是对于被给跟把据而的了、，。；：")
_CJK_LEAD = re.compile(r"^(?:另外|此外|同时|其中|并且|以及|与|和|及|同|向|由|将|在|为|是|对|于|被|给|跟|把|据|而)+")
# What a company does, not what it is called: '投资有限公司' alone names no one.
GENERIC_CJK = frozenset({"投资", "科技", "新材料", "实业", "控股", "发展", "贸易", "能源", "资源", "合资", "子", "有限", "责任",
                         "股份", "集团", "技术", "材料", "回收", "循环", "汽车", "钢铁"})
_CJK_GENERIC = re.compile(r"^(?:该|本|两家|双方|这|那|各|多家|一家|子|母|合资|新)")


@dataclass(frozen=True)
class Mention:
    """A name in sentence ``sentence``: a known ``organisation`` id, or a new organisation's ``name``."""

    sentence: int
    start: int
    end: int
    text: str
    organisation: str | None
    confidence: float
    review: str | None = None
    strong: bool = False  # a new name in the headline, or right after 'with': kept even if said once

    @property
    def key(self) -> str:
        return self.organisation or f"new:{normalise(self.text)}"


def _strip_suffixes(name: str) -> str:
    words = name.replace(",", " ").split()
    while len(words) > 1 and words[-1].lower() in LEGAL_SUFFIXES:
        words.pop()
    short = " ".join(words)
    if _has_cjk(short):
        for suffix in CJK_SUFFIXES:
            if short.endswith(suffix) and len(short) - len(suffix) >= 2:
                return short[: -len(suffix)]
    return short


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


@dataclass
class NameIndex:
    latin: re.Pattern[str] | None
    by_name: dict[str, set[str]]  # casefolded (and simplified) name -> organisation ids
    cjk: list[tuple[str, str]]  # (simplified name, id), longest first
    keys: dict[str, str]  # normalised name -> id (for fuzzy matching), only names of one organisation
    exact: frozenset[str]  # names as data/ writes them: 'voestalpine' and 'thyssenkrupp Steel' start in lower case
    lower_initials: frozenset[str]  # first words data/ writes in lower case ('thyssenkrupp'): 'thyssenkrupp Steel Europe' is a mention


@lru_cache(maxsize=4)
def _index(lexicon: Lexicon) -> NameIndex:
    full: dict[str, set[str]] = {}
    for org in lexicon.organisations.values():
        if org.unnamed:
            continue
        for name in org.names:
            full.setdefault(simplified(name).casefold(), set()).add(org.id)
    short: dict[str, set[str]] = {}
    for name, ids in full.items():
        cut = _strip_suffixes(name)
        if cut != name and (len(cut) >= 3 or (_has_cjk(cut) and len(cut) >= 2)) and cut not in full:
            short.setdefault(cut, set()).update(ids)
    by_name = dict(full)
    by_name.update({name: ids for name, ids in short.items() if len(ids) == 1})
    latin = sorted((n for n in by_name if not _has_cjk(n) and len(n) >= 2), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(?:%s)(?![\w-])" % "|".join(re.escape(n) for n in latin), re.IGNORECASE) if latin else None
    cjk = sorted(((n, next(iter(ids))) for n, ids in by_name.items() if _has_cjk(n) and len(ids) == 1 and len(n) >= 2),
                 key=lambda item: len(item[0]), reverse=True)
    keys: dict[str, str] = {}
    for name, ids in by_name.items():
        if len(ids) == 1 and len(normalise(name)) >= 4:
            keys[normalise(name)] = next(iter(ids))
    exact = frozenset(simplified(name) for org in lexicon.organisations.values() for name in org.names)
    lower_initials = frozenset(name.split()[0] for name in exact if name[:1].islower() and not _has_cjk(name))
    return NameIndex(pattern, by_name, cjk, keys, exact, lower_initials)


def find_organisations(sentences: list[Sentence], lexicon: Lexicon, people_spans: dict[int, list[tuple[int, int]]] | None = None) -> list[Mention]:
    """Every mention of an organisation, known or new, in reading order."""
    index = _index(lexicon)
    found: list[Mention] = []
    seen: set[str] = set()  # new names proposed so far: found again past the lead
    for sentence in sentences:
        text = simplified(sentence.text)
        if len(text) != len(sentence.text):  # a rare conversion that changes length: match on the text as written
            text = sentence.text
        taken: list[tuple[int, int]] = list((people_spans or {}).get(sentence.index, []))
        found.extend(_known(sentence, text, index, taken))
        proposed = _proposed(sentence, text, index, taken, seen)
        seen.update(normalise(m.text) for m in proposed)
        found.extend(proposed)
    found.sort(key=lambda m: (m.sentence, m.start))
    counts: dict[str, int] = {}
    for mention in found:
        counts[mention.key] = counts.get(mention.key, 0) + 1
    # a new name said once, without a legal form, is more often a place or a thing than a partner
    return [m for m in found if m.organisation is not None or counts[m.key] > 1 or m.strong or _legal(m.text)]


def _legal(name: str) -> bool:
    words = name.replace(",", " ").split()
    return (len(words) > 1 and words[-1].lower() in LEGAL_SUFFIXES) or name.endswith(CJK_SUFFIXES)


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or start >= b for a, b in taken)


def _known(sentence: Sentence, text: str, index: NameIndex, taken: list[tuple[int, int]]) -> list[Mention]:
    found: list[Mention] = []
    for name, ident in index.cjk:
        for match in re.finditer(re.escape(name), text):
            start, end = match.span()
            if _free(taken, start, end):
                end = _extend_cjk(text, end)
                taken.append((start, end))
                found.append(Mention(sentence.index, start, end, sentence.text[start:end], ident, 0.9))
    if index.latin is not None:
        for match in index.latin.finditer(text):
            start, end = match.span()
            if (not text[start].isupper() and not text[start].isdigit() and match.group() not in index.exact
                    and match.group().split()[0] not in index.lower_initials):
                continue
            ids = index.by_name.get(match.group().casefold(), set())
            if len(ids) != 1 or not _free(taken, start, end):
                continue
            end = _extend_latin(text, end)
            taken.append((start, end))
            found.append(Mention(sentence.index, start, end, sentence.text[start:end], next(iter(ids)), 0.9))
    return found


def _extend_latin(text: str, end: int) -> int:
    """The end of a name with its legal form: 'BMW' in 'BMW AG' ends after 'AG'."""
    while True:
        match = re.match(r"[ ,]+([A-Za-z.&]+)", text[end:])
        if not match or match.group(1).lower().rstrip(",") not in LEGAL_SUFFIXES:
            return end
        end += match.end()


def _extend_cjk(text: str, end: int) -> int:
    for suffix in CJK_SUFFIXES:
        if text.startswith(suffix, end):
            return end + len(suffix)
    return end


def _proposed(sentence: Sentence, text: str, index: NameIndex, taken: list[tuple[int, int]], seen: set[str]) -> list[Mention]:
    found: list[Mention] = []
    spans: list[tuple[int, int]] = []
    strong: set[tuple[int, int]] = set()
    for match in _CAPITALISED.finditer(text):
        start, end = match.span()
        words = match.group().split()
        while words and (words[0].lower() in STOP_WORDS or _is_common_name(words[0])):
            start = text.index(words[0], start) + len(words[0])
            start += len(text[start:]) - len(text[start:].lstrip())
            words.pop(0)
        while words and (words[-1].lower() in ("&", "of", "for", "für", "de", "du") or words[-1].lower() in STOP_WORDS):
            words.pop()
        if not words:
            continue
        end = start + len(" ".join(words)) if text[start:].startswith(" ".join(words)) else end
        legal = len(words) > 1 and words[-1].lower().rstrip(",") in LEGAL_SUFFIXES
        if any(_AMOUNT.fullmatch(word) or word.upper() in CURRENCIES for word in words):
            continue  # 'NOK 100m', 'EUR 2bn': money, not a name
        if any(re.search(r"-[a-zäöü]", word) and not re.search(r"-[a-zäöü]+-?[A-Z]", word) for word in words) and not legal:
            continue  # 'CO2-armen Stahl': a German adjective, not a name
        if not legal and ((sentence.index > 2 and normalise(" ".join(words)) not in seen) or any(POST_WORDS.search(w) for w in words)
                          or " ".join(words).casefold() in _common_names()):
            if not (_AFTER_WITH.search(text[:start]) and _looks_english(text)):
                continue  # past the headline and lead, a new name needs its legal form ('GmbH') to be proposed
        if re.search(r"(?i:\b(?:by|von)\s*$)", text[:start]):
            continue  # a byline: 'By Rachel Moore', 'Von Sabine Huber'
        if len(words) >= 2 or legal:
            spans.append((start, end))
        elif _AFTER_WITH.search(text[:start]) and len(words[0]) >= 4 and not words[0].isupper() and _looks_english(text):
            spans.append((start, end))  # 'signed a deal with Ferrovia': one word after 'with' names a partner
            strong.add((start, end))
    for match in _CJK_SUFFIX.finditer(text):
        start, end = match.span()
        while start > 0 and "\u4e00" <= text[start - 1] <= "\u9fff" and text[start - 1] not in _CJK_BOUNDARY \
                and _free(taken, start - 1, start) and match.start() - start < 16:
            start -= 1  # back over the name's characters, to a word that joins names ('与') or a known name
        lead = _CJK_LEAD.match(text, start)
        if lead and lead.end() > start:
            start = lead.end()
        if match.start() - start >= 2 and not _CJK_GENERIC.match(text[start:end]) and text[start:match.start()] not in GENERIC_CJK:
            spans.append((start, end))
    for start, end in spans:
        if not _free(taken, start, end):
            continue
        name = sentence.text[start:end]
        taken.append((start, end))
        key = normalise(name)
        hit = process.extractOne(key, index.keys.keys(), scorer=fuzz.ratio, score_cutoff=88) if key else None
        if hit is not None:
            found.append(Mention(sentence.index, start, end, name, index.keys[hit[0]], 0.7,
                                 f"'{name}' taken as the known name '{hit[0]}' ({hit[1]:.0f}% alike): check"))
        else:
            found.append(Mention(sentence.index, start, end, name, None, 0.55, strong=(start, end) in strong or sentence.index == 0,
                                 review=f"'{name}' is not a name the graph knows: check that it is an organisation, and whether it is one under another name"))
    return found


@lru_cache(maxsize=1)
def _common_names() -> frozenset[str]:
    """Names of languages, countries and months in English and German (babel's locale data), which
    start many capitalised runs ('Swedish start-up', 'German carmaker') without being organisations."""
    from babel import Locale
    from babel.dates import get_day_names, get_month_names

    words: set[str] = set()
    for code in ("en", "de"):
        locale = Locale.parse(code)
        for names in (locale.languages, locale.territories):
            words.update(name.casefold() for name in names.values())
        words.update(n.casefold() for n in get_month_names("wide", locale=code).values())
        words.update(n.casefold() for n in get_day_names("wide", locale=code).values())
    words.update({"swedish", "german", "chinese", "french", "norwegian", "finnish", "european", "american", "japanese",
                  "korean", "british", "italian", "spanish", "dutch", "austrian", "north american", "middle east",
                  "south east asia", "asia pacific"})
    return frozenset(words)


def _looks_english(text: str) -> bool:
    """English capitalises names, not nouns: a lone capitalised word is a name only there."""
    return bool(re.search(r"\b(?:the|and|with|has|have|will|of)\b", text)) and not re.search(r"\b(?:der|die|das|und|mit)\b", text)


def _is_common_name(word: str) -> bool:
    return word.casefold().rstrip(".,") in _common_names()
