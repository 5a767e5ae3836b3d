"""Each party's role (buyer, supplier, technology provider, investor, convener, recycler), from the
sentence that says what it does.

Rules over verbs and role words in each language (no library reads roles): the party named last
before a verb of supplying ('will supply', 'liefert', '供应') in the same clause supplies, unless
it follows 'to', 'an' or '向' (then it buys) or is a possessive ('一汽的'); the reverse for buying; a party named next to a role word of the taxonomy (its labels in
each language, lexicon.py) or to 'will invest' takes that role. Where no sentence says, the
sectors the graph records decide, with a lower confidence and a note: in a deal between an
automaker and a steel, aluminium, mining or battery-materials company, the automaker buys; a plant
builder provides the technology; otherwise the party is just a 'party'. In a coalition, a community
or a programme, whoever joins is a participant, and the body joined and those who lead it are
conveners.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from graph.draft.lexicon import Lexicon, simplified
from graph.draft.organisations import Mention
from graph.draft.text import Sentence

# Verbs, not nouns: 'a memorandum on the supply of steel' says nothing about who supplies.
_WILL = r"(?:will|to|shall|would|'ll|agreed to|is to|are to)(?: \w+ly)? "
SUPPLY = (rf"(?:{_WILL}(?:supply|deliver|provide|sell|send)\b|\b(?:supplies|supplied|delivers|delivered|sells|sold|sends)\b|"
          r"\b(?:as|als) (?:a |the |der |strategischer )?(?:supplier|Lieferant)\b|作为.{0,8}供应商|"
          r"\bliefer(?:t|n|te|ten)\b|\bversorg(?:t|en)\b|供应|供货|交付|销售)")
BUY = (rf"(?:{_WILL}(?:buy|purchase|procure|source|take)\b|\b(?:buys|bought|purchases|purchased|procures|sources)\b|"
       r"\b(?:kauft|kaufen|abnehmen|nimmt|bezieht|beziehen|bezog)\b|采购|购买|承购)")
TO = r"(?:\bto\b|\ban\b|向|给)"
FROM = r"(?:\bfrom\b|\bvon\b|\bbei\b|从|自)"
CUES: dict[str, str] = {
    "technology-provider": r"(?:technology provider|technology partner|provide[sd]? (?:the |its )?technology|Technologie(?:anbieter|partner|lieferant)|liefert die Technologie|技术提供方|技术支持|提供技术|技术合作方)",
    "investor": r"(?:\binvest(?:s|ed|ing)?\b|\binvestor\b|investiert|beteiligt sich|Investor|投资方|注资|入股)",
    "convener": r"(?:convene[sd]?|launche[sd]|initiated|initiiert|ins Leben gerufen|发起|牵头)",
    "recycler": r"(?:recycler|will recycle|recycelt|回收方|负责回收)",
}
MAKERS = frozenset({"automotive"})
PRODUCERS = frozenset({"steel", "aluminium", "mining", "battery-materials", "energy", "scrap-and-recycling"})


@dataclass(frozen=True)
class Role:
    role: str
    sentence: int
    confidence: float
    review: str | None = None


def find_roles(sentences: list[Sentence], mentions: list[Mention], parties: list[str], lexicon: Lexicon) -> dict[str, Role]:
    """A role for each party key (an organisation id or 'new:<name>')."""
    roles: dict[str, Role] = {}
    by_sentence: dict[int, list[Mention]] = {}
    for mention in mentions:
        by_sentence.setdefault(mention.sentence, []).append(mention)
    for sentence in sentences:
        here = sorted(by_sentence.get(sentence.index, []), key=lambda m: m.start)
        if not here:
            continue
        text = simplified(sentence.text)
        for key, role in _sentence_roles(text, here).items():
            if key not in roles or (roles[key].role in ("investor",) and role not in ("investor",)):
                roles[key] = Role(role, sentence.index, 0.8)
    for key in parties:
        if key not in roles:
            roles[key] = _by_sector(key, parties, lexicon)
    return roles


JOIN = re.compile(r"(?i:\bjoin(?:s|ed|ing)?\b|\bbecome[s]? a member\b|\bbecame a member\b|\bsigned up\b|tritt\b.{0,60}\bbei\b|"
                  r"beigetreten|beitreten|\bBeitritt\b)|加入|成为.{0,12}成员")


def membership_roles(sentences: list[Sentence], mentions: list[Mention], parties: list[str], roles: dict[str, Role]) -> dict[str, Role]:
    """Members join (participant); the body they join and whoever leads it convene (convener)."""
    joiners: dict[str, int] = {}
    for sentence in sentences:
        text = simplified(sentence.text)
        here = sorted((m for m in mentions if m.sentence == sentence.index), key=lambda m: m.start)
        for match in JOIN.finditer(text):
            subject = _nearest_subject(text, here, match.start())
            if subject is not None:
                joiners.setdefault(subject.key, sentence.index)
    if not joiners:
        return roles
    return {key: Role("participant", joiners[key], 0.75) if key in joiners else Role("convener", -1, 0.6,
                      "named beside the membership, not as joining it: check that it convenes") for key in parties}


def _sentence_roles(text: str, here: list[Mention]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, pattern in CUES.items():
        for match in re.finditer(pattern, text):
            subject = _before(here, match.start()) or _after(here, match.end())
            if subject is not None and subject.key not in found:
                found[subject.key] = name
    for verb, own, other, link in ((SUPPLY, "supplier", "buyer", TO), (BUY, "buyer", "supplier", FROM)):
        for match in re.finditer(verb, text, re.IGNORECASE):
            subject = _nearest_subject(text, here, match.start())
            if subject is None:
                continue
            counterpart = _linked(text, here, subject, link)
            found.setdefault(subject.key, own)
            if counterpart is not None and counterpart.key != subject.key:
                found.setdefault(counterpart.key, other)
    return found


def _before(here: list[Mention], at: int) -> Mention | None:
    earlier = [m for m in here if m.end <= at]
    return earlier[0] if earlier else None  # the sentence's subject comes first


def _nearest_subject(text: str, here: list[Mention], at: int) -> Mention | None:
    """The party named last before ``at`` in the same clause, that is not after 'to'/'an'/'向' nor a possessive."""
    clause = max(text.rfind(mark, 0, at) for mark in ";；。")
    candidates = [m for m in here if clause < m.start and m.end <= at
                  and not re.search(r"(?i:(?:\bto|\ban|\bfrom|\bvon|向|给|从)\s*(?:der |die |den |dem |the )?$)", text[max(0, m.start - 10):m.start])
                  and not re.match(r"^(?:'s|’s|的)", text[m.end:])]
    return candidates[-1] if candidates else _before(here, at)


def _after(here: list[Mention], at: int) -> Mention | None:
    later = [m for m in here if m.start >= at]
    return later[0] if later else None


def _linked(text: str, here: list[Mention], subject: Mention, link: str) -> Mention | None:
    """The party right after 'to'/'an'/'向' (or 'from'/'von'/'从'), or else any other party in the sentence."""
    for mention in here:
        if mention.key == subject.key:
            continue
        lead = text[max(0, mention.start - 8):mention.start]
        if re.search(link + r"\s*(?:der |die |den |dem )?$", lead, re.IGNORECASE):
            return mention
    others = [m for m in here if m.key != subject.key]
    return others[0] if len({m.key for m in others}) == 1 else None


def _by_sector(key: str, parties: list[str], lexicon: Lexicon) -> Role:
    def sector(k: str) -> str | None:
        org = lexicon.organisations.get(k)
        return org.sector if org else None
    own = sector(key)
    others = {sector(k) for k in parties if k != key}
    note = "no sentence says what it does: the role follows from the sectors in the graph"
    if own in MAKERS and others & PRODUCERS:
        return Role("buyer", -1, 0.5, note)
    if own in PRODUCERS and others & MAKERS:
        return Role("supplier", -1, 0.5, note)
    if own == "plant-engineering":
        return Role("technology-provider", -1, 0.5, note)
    return Role("party", -1, 0.4, "no sentence says what this party does: choose its role")
