"""One article in, one draft out: runs each finder over the sentences and keeps, for every field,
the words it came from and how sure the finder is. A notebook user calls ``draft_article``; the
command line (graph/cli/draft.py) only reads files and writes the record."""
from __future__ import annotations

import re
from datetime import date

from graph.draft.agreement import find_binding, find_type
from graph.draft.dates import DateFact, find_dates
from graph.draft.fields import Draft, Field
from graph.draft.language import check, detect
from graph.draft.lexicon import Lexicon
from graph.draft.organisations import Mention, find_organisations
from graph.draft.people import Person, find_people
from graph.draft.quantities import find_quantities
from graph.draft.record import quote_around
from graph.draft.roles import find_roles, membership_roles
from graph.draft.text import Sentence, read_article, sentences
from graph.draft.topics import find_topics


def draft_article(raw: bytes, where: str, lexicon: Lexicon, url: str | None = None, published: date | None = None,
                  language: str | None = None) -> Draft:
    """The draft of the article in ``raw`` (text or a saved HTML page); ``where`` names it in messages."""
    article = read_article(raw, where)
    if language is not None:
        code, sure = check(language), 1.0
    else:
        code, sure = detect(article.text)
    body = article.text if article.text.startswith(article.title) else f"{article.title}\n{article.text}"
    sents = sentences(body)
    draft = Draft(article.title, code, sure, url, published, taken_ids=lexicon.posts)
    people = [p for s in sents for p in find_people(s.index, s.text)]
    spans: dict[int, list[tuple[int, int]]] = {}
    for person in people:
        spans.setdefault(person.sentence, []).append((person.start, person.end))
    mentions = find_organisations(sents, lexicon, spans)
    affiliations = {person: _affiliation(person, mentions) for person in people}
    _agreement(draft, sents, lexicon)
    _parties(draft, sents, [m for m in mentions if m not in affiliations.values()] or mentions, lexicon)
    _dates(draft, sents, code, published)
    for amount in find_quantities(sents, code, published.year if published else None):
        value = {"value": amount.value, "unit": amount.unit or "", "currency": amount.currency or "",
                 "compared_to": amount.compared_to or "", "approximate": "true" if amount.approximate else ""}
        draft.fields.append(Field("quantity", {k: v for k, v in value.items() if v}, _quote(sents, amount.sentence, amount.words),
                                  amount.confidence))
    _people(draft, sents, affiliations)
    masked: dict[int, list[tuple[int, int]]] = {}
    for mention in mentions:
        masked.setdefault(mention.sentence, []).append((mention.start, mention.end))
    for topic in find_topics(sents, lexicon, masked):
        draft.fields.append(Field(topic.scheme, {"id": topic.id}, _quote(sents, topic.sentence, topic.words), topic.confidence))
    return draft


def _quote(sents: list[Sentence], index: int, words: str) -> str:
    return quote_around(sents[index].text, words) if 0 <= index < len(sents) else words


def _parties(draft: Draft, sents: list[Sentence], mentions: list[Mention], lexicon: Lexicon) -> None:
    mentions = [m for m in mentions if not _context(sents[m.sentence].text, m)]
    first: dict[str, Mention] = {}
    for mention in mentions:
        known = first.get(mention.key)
        if known is None or (known.review is not None and mention.review is None):
            first[mention.key] = mention if known is None else mention
    keys = list(dict.fromkeys(m.key for m in mentions))
    roles = find_roles(sents, mentions, keys, lexicon)
    if any(f.value["type"] in ("coalition-membership", "community", "programme") for f in draft.of("type")):
        roles = membership_roles(sents, mentions, keys, roles)
    lead = {m.key for m in mentions if m.sentence <= 2}
    for key in keys:
        mention, role = first[key], roles[key]
        if key not in lead and role.sentence < 0:
            continue  # named past the lead with no part in the deal: context, not a party
        value = {"organisation": mention.organisation} if mention.organisation else {"name": mention.text}
        value["role"] = role.role
        notes = [note for note in (mention.review, role.review) if note]
        quote = _quote(sents, mention.sentence, mention.text)
        if role.sentence >= 0 and role.sentence != mention.sentence:
            quote = _quote(sents, role.sentence, "")
        draft.fields.append(Field("party", value, quote, round(min(mention.confidence, role.confidence + 0.1), 2),
                                  "; ".join(notes) or None))


_CONTEXT_BEFORE = re.compile(r"(?i:\b(?:subsidiary of|a unit of|part of|owned by|parent,?|Tochter(?:gesellschaft)? (?:von|der|des)|"
                             r"Teil (?:von|der|des)|Mutterkonzern|developed by|entwickelt von)\s*(?:the |der |des |dem )?)$|(?:隶属于|旗下的?)$")
_CONTEXT_AFTER = re.compile(r"^(?:[ -]?(?:technology|process|Technologie|Verfahren|Prozess|technique)\b|技术|工艺|旗下)")


def _context(text: str, mention: Mention) -> bool:
    """A mention that names a parent or a technology ('a subsidiary of China Baowu', 'HYBRIT technology')."""
    return bool(_CONTEXT_BEFORE.search(text[:mention.start]) or _CONTEXT_AFTER.search(text[mention.end:]))


def _agreement(draft: Draft, sents: list[Sentence], lexicon: Lexicon) -> None:
    kind = find_type(sents, lexicon)
    if kind is not None:
        words = sents[kind.sentence].text[kind.start:kind.end]
        draft.fields.append(Field("type", {"type": kind.value}, _quote(sents, kind.sentence, words), kind.confidence,
                                  None if kind.confidence >= 0.7 else "only a general word names the kind of agreement"))
    binding = find_binding(sents)
    if binding is not None:
        words = sents[binding.sentence].text[binding.start:binding.end]
        draft.fields.append(Field("binding", {"binding": binding.value}, _quote(sents, binding.sentence, words), binding.confidence))


def _dates(draft: Draft, sents: list[Sentence], language: str, published: date | None) -> None:
    found = find_dates(sents, language, published)
    for kind, fact in (("signed", found.signed), ("announced", found.announced)):
        if fact is not None:
            draft.fields.append(_date_field(kind, fact, sents))
    if found.start is not None or found.end is not None:
        value = {k: f.value for k, f in (("start", found.start), ("end", found.end)) if f is not None}
        fact = found.start or found.end
        assert fact is not None
        draft.fields.append(Field("period", value, _quote(sents, fact.sentence, fact.words), fact.confidence, fact.review))


def _date_field(kind: str, fact: DateFact, sents: list[Sentence]) -> Field:
    value = {"date": fact.value}
    if fact.basis:
        value["basis"] = fact.basis
        value["basis_kind"] = fact.basis_kind or ""
    return Field(kind, value, _quote(sents, fact.sentence, fact.words), fact.confidence, fact.review)


def _affiliation(person: Person, mentions: list[Mention]) -> Mention | None:
    """The organisation a post belongs to: 'head of purchasing at BMW', 'BMW chief executive', '宝钢股份董事长'.
    Such a mention alone does not make the organisation a party."""
    here = [m for m in mentions if m.sentence == person.sentence]
    after = [m for m in here if m.start >= person.post_start and m.start - person.post_start < 60]
    before = [m for m in here if m.end <= person.post_start and re.fullmatch(r"(?:'s|’s|s)?\W{0,2}", person_text(m, person))]
    if person.post_start > person.start:  # 'Name, post of ORG'
        return after[0] if after else None
    return before[-1] if before else None


def person_text(mention: Mention, person: Person) -> str:
    """What stands between an organisation's name and a post after it ("'s " in "BMW's chief executive")."""
    return person.sentence_text[mention.end:person.post_start]


def _people(draft: Draft, sents: list[Sentence], affiliations: dict[Person, Mention | None]) -> None:
    for person, org in affiliations.items():
        value = {"name": person.name, "post": person.post, "post_gloss": person.post_gloss}
        if org is not None:
            value["organisation"] = org.organisation or org.text
        draft.fields.append(Field("person", value, _quote(sents, person.sentence, person.name), 0.75,
                                  None if org is not None else "no organisation is named next to the post"))
