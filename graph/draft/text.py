"""An article's text from a file of text or a saved HTML page, and its sentences.

HTML is read with the standard library's ``html.parser`` (no dependency, and tolerant of broken
pages): only text that a reader sees is kept; ``script``, ``style``, ``template``, ``noscript``,
``nav``, ``footer`` and ``aside`` are dropped, so a page's scripts or menus never become facts. Where
the page has an ``article`` element, only its text is the article (cookie banners, related links
and sidebars lie outside it). The title is the page's first ``h1``, else its ``title``, else the
first line of the text.

Sentences are split by rule (no library here serves German and Chinese without a model download):
after ``. ! ?`` followed by a space and a capital, a digit or a quote, unless the word before is a
known abbreviation (``Mio.``, ``Dr.``, ``Co.``) or a German ordinal (``16. Januar``); after ``。！？；`` always; and at every line break.
The input is untrusted: it is bounded in size, decoded as UTF-8 with replacement, normalised to NFC,
and stripped of control characters and bidirectional overrides (graph.records.characters).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from graph.errors import AllianceError
from graph.records.characters import FORBIDDEN

# A long article has 50 KB of text; a saved page with its markup rarely 2 MB.
MAX_ARTICLE_BYTES = 5_000_000
HIDDEN = frozenset({"script", "style", "template", "noscript", "nav", "footer", "aside", "head", "svg", "iframe", "form"})
BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "article", "section", "header",
                    "blockquote", "title", "td", "dd", "dt", "ul", "ol", "table", "main"})
ABBREVIATIONS = frozenset({"mio", "mrd", "dr", "prof", "co", "inc", "ltd", "corp", "nr", "bzw", "ca", "st", "mr", "ms", "mrs",
                           "vs", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "okt", "nov",
                           "dec", "dez", "tsd", "z.b", "u.a", "d.h", "etc", "abs", "gmbh", "e.v", "jr", "sr", "u.s"})
_LATIN_END = re.compile(r"(?<=[.!?])[\"'”’»]?\s+(?=[\"'“„«A-ZÄÖÜ0-9])")
_CJK_END = re.compile(r"(?<=[。！？；])")


@dataclass(frozen=True)
class Article:
    title: str
    text: str


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str


class _PageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.where: list[str] = []
        self.h1: list[str] = []
        self.title: list[str] = []
        self.in_article = 0
        self.article: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
        if tag == "article":
            self.in_article += 1
        if tag in BLOCKS:
            self.parts.append("\n")
            if self.in_article:
                self.article.append("\n")
        self.where.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1
        if tag in BLOCKS:
            self.parts.append("\n")
            if self.in_article:
                self.article.append("\n")
        if tag == "article" and self.in_article:
            self.in_article -= 1
        if tag in self.where:
            while self.where and self.where.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        current = self.where[-1] if self.where else ""
        if current == "title":
            self.title.append(data)
        if self.hidden:
            return
        if current == "h1":
            self.h1.append(data)
        self.parts.append(data)
        if self.in_article:
            self.article.append(data)


def clean(text: str) -> str:
    """NFC text without control characters or bidirectional overrides; line breaks kept."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return FORBIDDEN.sub(" ", text).replace("\t", " ")


def read_article(raw: bytes, where: str) -> Article:
    """The article in ``raw`` (text or HTML); ``where`` names it in messages."""
    if len(raw) > MAX_ARTICLE_BYTES:
        raise AllianceError(f"{where} has {len(raw):,} bytes, more than an article's {MAX_ARTICLE_BYTES:,}: "
                            "save only the article's page or text and try again")
    decoded = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    if _looks_like_html(decoded):
        page = _PageText()
        page.feed(decoded)
        page.close()
        text = clean("".join(page.article if "".join(page.article).strip() else page.parts))
        title = clean(" ".join(page.h1).strip() or " ".join(page.title).strip())
    else:
        text, title = clean(decoded), ""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    if not text.strip():
        raise AllianceError(f"{where} holds no text: give the article as text or as a saved HTML page")
    return Article(" ".join(title.split()) or text.split("\n", 1)[0][:300], text)


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return head.lstrip().startswith("<") or any(tag in head for tag in ("<html", "<body", "<p>", "<article", "<div"))


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order."""
    found: list[str] = []
    for line in text.split("\n"):
        for part in _CJK_END.split(line):
            found.extend(_split_latin(part))
    return [Sentence(i, s) for i, s in enumerate(s for s in (part.strip() for part in found) if s)]


def _split_latin(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _LATIN_END.finditer(text):
        before = text[start:match.start()]
        words = before.rstrip(".!?\"'”’»").split()
        word = words[-1].lower() if words else ""
        if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or (word.isdigit() and len(word) <= 2):

            continue
        pieces.append(text[start:match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces
