"""People an article names with their posts: 'said Erika Example, head of purchasing at BMW Group',
'BMW chief executive Oliver Zipse', 'Max Mustermann, Vorstandsvorsitzender der Salzgitter AG',
'宝钢股份董事长张三'.

By rule over a vocabulary of posts in each language (no offline model finds people and their posts
in German and Chinese): a person is only proposed next to a post, so a capitalised pair of words
alone is never taken for a person. Each post has an English gloss, from which the post's id is made.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Posts as articles write them, longest first within each language; the value is the English gloss.
POSTS: dict[str, str] = {
    "chief executive officer": "chief executive", "chief executive": "chief executive", "ceo": "chief executive",
    "chief financial officer": "chief financial officer", "cfo": "chief financial officer",
    "chief operating officer": "chief operating officer", "chief technology officer": "chief technology officer",
    "chief procurement officer": "chief procurement officer", "chief sustainability officer": "chief sustainability officer",
    "chairman of the board": "chairman", "chairman": "chairman", "chairwoman": "chairwoman", "chair": "chair",
    "executive vice president": "executive vice president", "senior vice president": "senior vice president",
    "vice president": "vice president", "president": "president", "managing director": "managing director",
    "general manager": "general manager", "board member": "board member",
    "vorstandsvorsitzender": "chief executive", "vorstandsvorsitzende": "chief executive", "vorstandschef": "chief executive",
    "vorstandschefin": "chief executive", "aufsichtsratsvorsitzender": "chairman of the supervisory board",
    "aufsichtsratsvorsitzende": "chairman of the supervisory board", "geschäftsführer": "managing director",
    "geschäftsführerin": "managing director", "einkaufsvorstand": "board member for purchasing",
    "einkaufschef": "head of purchasing", "einkaufschefin": "head of purchasing", "finanzvorstand": "chief financial officer",
    "vorstandsmitglied": "board member", "konzernchef": "chief executive", "konzernchefin": "chief executive",
    "董事长兼总经理": "chairman and general manager", "董事长": "chairman", "总经理": "general manager", "总裁": "president",
    "首席执行官": "chief executive", "副总裁": "vice president", "副总经理": "deputy general manager", "党委书记": "party secretary",
    "执行董事": "executive director", "首席财务官": "chief financial officer",
}
_LATIN_POST = r"(?:head|director|leiter(?:in)?|chef(?:in)?) (?:of|für|des|der) [a-zäöü ]{3,40}?(?=[,.;]| at | of | bei | der | des | von |$)"
_POSTS = "|".join(sorted((re.escape(p) for p in POSTS if not re.search(r"[\u4e00-\u9fff]", p)), key=len, reverse=True))
POST = rf"(?i:{_LATIN_POST}|(?:{_POSTS})\b)"
NAME = r"(?:[A-ZÄÖÜ][a-zäöüßéèáíóúñ'’-]+|[A-Z]\.)(?: (?:[A-ZÄÖÜ][a-zäöüßéèáíóúñ'’-]+|[A-Z]\.|van|von|de|der)\b){1,3}"
# 'Erika Example, head of purchasing at BMW Group' / 'Max Mustermann, Vorstandsvorsitzender der Salzgitter AG'
_NAME_POST = re.compile(rf"(?P<name>{NAME}), (?:the |der |die |des )?(?P<post>{POST})")
# 'chief executive Oliver Zipse' / 'BMW-Chef Oliver Zipse' / 'Vorstandschef Max Mustermann'
_POST_NAME = re.compile(rf"(?P<post>{POST}|[A-Z][\w-]*-(?i:chef|chefin)) (?P<name>{NAME})")
# Words that make a phrase a post, in any of its words: 'Leiterin Einkauf Rohmaterialien', 'Vertriebsvorständin'.
POST_WORDS = re.compile(r"(?i:leiter|vorst|vorsitz|chef|geschäftsf|gesellschafter|gründer|sprecher|officer|chief|head|director|"
                        r"president|executive|manager|chair|founder|partner|member of the|board|secretary|minister|envoy|"
                        r"spokes|analyst)")
_TITLE = r"(?:(?:Dr|Prof)\. )*"
# 'Dr. Petra Lang, Leiterin Einkauf Rohmaterialien bei ZF' / 'Kenji Morita, a senior vice president at JFE Steel'
_NAME_PHRASE = re.compile(rf"{_TITLE}(?P<name>{NAME}), (?:a |an |the |der |die )?(?P<post>[^,.;:!?„“\"()|·]{{2,90}})"
                          r"(?= (?:bei|der|des|von|at|of|for|with|in charge of) \S)")
_CJK_POSTS = "|".join(sorted((re.escape(p) for p in POSTS if re.search(r"[\u4e00-\u9fff]", p)), key=len, reverse=True))
_CJK_PERSON = re.compile(rf"(?P<post>{_CJK_POSTS})(?P<name>[\u4e00-\u9fff]{{2,3}})")
_CJK_AFTER_NAME = "出表说称在指强介与和等、，。致也将对亦"


@dataclass(frozen=True)
class Person:
    sentence: int
    start: int
    end: int  # span of the name
    name: str
    post: str
    post_gloss: str
    post_start: int
    sentence_text: str


def find_people(index: int, text: str) -> list[Person]:
    """People with posts in one sentence."""
    found: list[Person] = []
    for match in _NAME_PHRASE.finditer(text):
        name, post = match.group("name"), match.group("post")
        if POST_WORDS.search(post) and not any(word.lower() in POSTS for word in name.split()):
            found.append(Person(index, match.start("name"), match.end("name"), name, post, _gloss(post), match.start("post"), text))
    for pattern in (_NAME_POST, _POST_NAME):
        for match in pattern.finditer(text):
            name = match.group("name")
            if not name[0].isupper() or any(word.lower() in POSTS for word in name.split()):
                continue
            post = match.group("post")
            found.append(Person(index, match.start("name"), match.end("name"), name, post,
                                _gloss(post), match.start("post"), text))
    for match in _CJK_PERSON.finditer(text):
        name = match.group("name")
        if len(name) == 3 and name[2] in _CJK_AFTER_NAME:
            name = name[:2]
        if name[1] in _CJK_AFTER_NAME:
            continue
        found.append(Person(index, match.start("name"), match.start("name") + len(name), name, match.group("post"),
                            POSTS[match.group("post")], match.start("post"), text))
    unique: dict[tuple[int, int], Person] = {}  # the first pattern that found a name wins (the longest post)
    for person in found:
        unique.setdefault((person.start, person.end), person)
    posts = [(p.post_start, p.post_start + len(p.post)) for p in unique.values()]
    return sorted((p for p in unique.values() if not any(a <= p.start < b for a, b in posts)), key=lambda p: p.start)


def _gloss(post: str) -> str:
    lowered = post.lower()
    if lowered in POSTS:
        return POSTS[lowered]
    if lowered.endswith(("-chef", "-chefin")):
        return "chief executive"
    return lowered
