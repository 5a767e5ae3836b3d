"""A draft as a record of data/sources/ (graph/records/record.schema.yaml), written as YAML text
with comments: each field's confidence, and '# review: ...' where a person must check it. The
schema has no place for either, and a comment changes nothing a validator reads, so the record
format is unchanged.

Quotes are cut from the sentence a field came from, around the words that give it, to the limits
that ``alliances validate`` applies (graph.records.read: under 25 words and 240 characters, or 60
Chinese characters), with the same rule function.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from graph.draft.fields import Draft, Field
from graph.records.read import ID_PATTERN, _excess  # the quote rule itself, so drafts and validate agree

PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _./-]*")
YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})
MEASURES = {"money": "value", "percent": "share", "mass": "volume"}


def quote_around(sentence: str, words: str) -> str:
    """The longest part of ``sentence`` around ``words`` that is a valid quote."""
    if _excess(sentence) is None:
        return sentence
    cjk = sum(1 for char in sentence if unicodedata.east_asian_width(char) in ("W", "F")) > len(sentence) / 3
    at = max(sentence.find(words), 0) if words else 0
    if cjk:
        start, end = at, at + max(len(words), 1)
        while True:
            grown = False
            for a, b in ((start - 1, end), (start, end + 1)):
                if 0 <= a and b <= len(sentence) and _excess(sentence[a:b]) is None and (a, b) != (start, end):
                    start, end, grown = a, b, True
            if not grown:
                return sentence[start:end].strip()
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", sentence)]
    first = next((i for i, (a, b) in enumerate(tokens) if b > at), 0)
    lo, hi = first, first
    while True:
        grown = False
        for a, b in ((lo - 1, hi), (lo, hi + 1)):
            if 0 <= a and b < len(tokens) and _excess(sentence[tokens[a][0]:tokens[b][1]]) is None and (a, b) != (lo, hi):
                lo, hi, grown = a, b, True
        if not grown:
            return sentence[tokens[lo][0]:tokens[hi][1]]


def slug(text: str) -> str:
    """An ASCII id from a name ('Nordic Green Metals' -> 'nordic-green-metals'), or '' if none can be made."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    made = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return made if ID_PATTERN.fullmatch(made) else ""


@dataclass
class Node:
    """A YAML value with a comment for its line."""

    value: Any
    comment: str | None = None


@dataclass
class Record:
    data: dict[str, Any]
    alliance_id: str
    reviews: list[str] = field(default_factory=list)

    def yaml(self, header: str) -> str:
        lines = [f"# {_one_line(line)}" for line in header.splitlines()]
        _emit(self.data, 0, lines)
        return "\n".join(lines) + "\n"


def _note(item: Field) -> str:
    text = f"confidence {item.confidence:.2f}"
    if item.needs_review:
        text += f"; review: {item.review or 'the finder is unsure of this field'}"
    return text


def build_record(draft: Draft) -> Record:
    """The record of ``draft``; fields a person must check carry a review comment."""
    lang = draft.language
    source: dict[str, Any] = {"title": draft.title}
    if draft.url:
        source["url"] = draft.url
    host = urlsplit(draft.url).hostname if draft.url else None
    source["publisher"] = Node(host or "unknown", "review: the publisher's name as the page gives it")
    if draft.published:
        source["published"] = draft.published.isoformat()
    source["language"] = Node(lang, f"confidence {draft.language_confidence:.2f}")
    source["kind"] = Node("news-article", "review: news-article, press-release, report, web-page or company-page")
    new_orgs: dict[str, str] = {}  # name -> id
    organisations: list[Node] = []
    party_ids: list[str] = []
    parties: list[Node] = []
    for item in draft.of("party"):
        ident = item.value.get("organisation") or _new_org(item, new_orgs, organisations, lang)
        if ident in party_ids:
            continue
        party_ids.append(ident)
        parties.append(Node({"organisation": ident, "role": item.value["role"]}, _note(item)))
    kind = draft.of("type")
    alliance_id = "-".join([*party_ids[:3], kind[0].value["type"] if kind else "alliance",
                            *( [draft.published.strftime("%Y")] if draft.published else [])])
    alliance_id = slug(alliance_id)[:80].strip("-") or "drafted-alliance"
    people, posts = _people(draft, new_orgs, organisations, lang, parties)
    alliance: dict[str, Any] = {"id": Node(alliance_id, "review: a stable id that no other record uses")}
    quotes: list[str] = []
    if kind:
        alliance["type"] = Node(kind[0].value["type"], _note(kind[0]))
        quotes.append(kind[0].quote)
    alliance["title"] = {lang: draft.title}
    if parties:
        alliance["parties"] = parties
    quotes += [f.quote for f in draft.of("party")]
    for scheme, key in (("material", "materials"), ("pathway", "pathways")):
        found = draft.of(scheme)
        if found:
            alliance[key] = Node([f.value["id"] for f in found], "; ".join(_note(f) for f in found[:1]))
            quotes += [f.quote for f in found]
    for kind_name, key in (("signed", "signing"), ("announced", "announcement")):
        for item in draft.of(kind_name)[:1]:
            event = {"date": item.value["date"]}
            if item.value.get("basis"):
                event["basis"] = item.value["basis"]
            alliance[key] = Node(event, _note(item))
            quotes.append(item.quote)
    for item in draft.of("binding")[:1]:
        status = "binding" if item.value["binding"] == "true" else "non-binding"
        alliance["status"] = [Node({"status": status, "quote": item.quote}, _note(item))]
    for item in draft.of("period")[:1]:
        for key in ("start", "end"):
            if key in item.value:
                alliance[key] = Node(item.value[key], _note(item))
        quotes.append(item.quote)
    alliance["quote"] = list(dict.fromkeys(q for q in quotes if q)) or [draft.title[:200]]
    claims = [_claim(item, n, alliance_id, lang) for n, item in enumerate(draft.of("quantity"), 1)]
    data: dict[str, Any] = {"source": source}
    for key, value in (("organisations", organisations), ("people", people), ("posts", posts),
                       ("alliances", [alliance]), ("claims", claims)):
        if value:
            data[key] = value
    return Record(data, alliance_id, [f.review or f.kind for f in draft.fields if f.needs_review])


def _new_org(item: Field, new_orgs: dict[str, str], organisations: list[Node], lang: str) -> str:
    name = item.value["name"]
    if name in new_orgs:
        return new_orgs[name]
    # a name with no Latin letters gets an id from its digest: stable for the name, and unlike any other draft's
    ident = slug(name) or f"organisation-{hashlib.sha1(name.encode()).hexdigest()[:10]}"
    new_orgs[name] = ident
    organisations.append(Node({"id": ident, "label": {lang: name}, "quote": item.quote},
                              "review: an organisation the graph does not know; add kind, sector and country"))
    return ident


def _people(draft: Draft, new_orgs: dict[str, str], organisations: list[Node], lang: str,
            parties: list[Node]) -> tuple[list[Node], list[Node]]:
    people: list[Node] = []
    posts: list[Node] = []
    seen: set[str] = set()
    for item in draft.of("person"):
        name = item.value["name"]
        person_id = slug(name) or "person-" + "-".join(f"{ord(c):x}" for c in name)[:60]
        if person_id in seen:
            continue
        seen.add(person_id)
        person: dict[str, Any] = {"id": person_id, "name": {lang: name}}
        org = item.value.get("organisation")
        if org and org not in {p.value["organisation"] for p in parties} and org not in new_orgs.values():
            org = new_orgs.get(org)
        if org:
            # the post as written: two spellings of one post would be two preferred names of one id
            post_id = slug(f"{org}-{item.value['post']}") if slug(item.value["post"]) else slug(f"{org}-{item.value['post_gloss']}")
            post_id = post_id[:80].strip("-") or f"{org}-post"
            if post_id in draft.taken_ids:  # data/ has a post of this id, perhaps with another title: this holder's own
                post_id = f"{post_id}-{person_id}"[:100].strip("-")
            posts.append(Node({"id": post_id, "title": {lang: item.value["post"]}, "organisation": org, "quote": item.quote},
                              _note(item)))
            person["holds"] = [post_id]
            for party in parties:
                if party.value["organisation"] == org and "signatory" not in party.value:
                    pass  # who signed is not what a post says: left to the reviewer
        person["quote"] = item.quote
        people.append(Node(person, _note(item)))
    return people, posts


def _claim(item: Field, number: int, alliance_id: str, lang: str) -> Node:
    value = item.value
    if "currency" in value:
        measure = "value"
    elif value.get("unit") == "percent":
        measure = "share"
    else:
        measure = "volume"
    claim: dict[str, Any] = {"id": f"{alliance_id}-{measure}-{number}"[:100], "value": value["value"]}
    if "currency" in value:
        claim["currency"] = value["currency"]
    else:
        claim["unit"] = value["unit"]
    claim["measure"] = {"en": measure}
    claim["about"] = [f"alliance:{alliance_id}"]
    if value.get("compared_to"):
        claim["scope"] = {lang: f"compared with {value['compared_to']}" if lang == "en" else value["compared_to"]}
    if value.get("approximate"):
        claim["approximate"] = "true"
    claim["quote"] = item.quote
    return Node(claim, _note(item) + ("" if item.needs_review else "; review: say what the number measures"))


# ------------------------------------------------------------------ YAML with comments

def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _scalar(value: Any) -> str:
    text = str(value)
    if PLAIN.fullmatch(text) and text.lower() not in YAML_WORDS and not text.endswith(" ") and ": " not in text:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _flow(value: Any) -> str:
    if isinstance(value, Node):
        return _flow(value.value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _simple(value: Any) -> bool:
    inner = value.value if isinstance(value, Node) else value
    if isinstance(inner, dict):
        return all(not isinstance(v, (dict, list)) or _simple(v) for v in inner.values()) and len(_flow(inner)) < 100
    if isinstance(inner, list):
        return all(not isinstance(v, (dict, list, Node)) for v in inner) and len(_flow(inner)) < 100
    return True


def _emit(value: Any, indent: int, lines: list[str], lead: str | None = None) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        first = True
        for key, item in value.items():
            comment = f"  # {_one_line(item.comment)}" if isinstance(item, Node) and item.comment else ""
            inner = item.value if isinstance(item, Node) else item
            prefix = (lead if first and lead is not None else pad)
            first = False
            if isinstance(inner, (dict, list)) and not _simple(item) or (isinstance(inner, list) and inner and isinstance(inner[0], (dict, Node))):
                lines.append(f"{prefix}{key}:{comment}")
                _emit(inner, indent + 2, lines)
            else:
                lines.append(f"{prefix}{key}: {_flow(inner)}{comment}")
    elif isinstance(value, list):
        for item in value:
            comment = f"  # {_one_line(item.comment)}" if isinstance(item, Node) and item.comment else ""
            inner = item.value if isinstance(item, Node) else item
            if isinstance(inner, dict) and not _simple(item):
                if comment:
                    lines.append(f"{pad}{comment.strip()}")
                _emit(inner, indent + 2, lines, lead=f"{pad}- ")
            else:
                lines.append(f"{pad}- {_flow(inner)}{comment}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
