"""Dates an article gives, at the precision it gives them, and what each one dates.

- Written dates ('16 January', '16. Januar 2024', '18.01.2024', 'March 2026', '2024年8月29日',
  '今年9月') are found by patterns built from babel's month names for English and German, and
  read with cn2an where Chinese numerals are used. A day and month without a year take the year of
  the publication date (the year before, if the day would fall after it), as the records in data/
  take a year from their source's dateline, and are marked for review; without --published they
  stay without one ('--01-16'). '今年' (this year), '去年' and '明年' are read against --published.
- Words relative to the article's date ('on Tuesday', 'am Mittwoch', '周二', 'this week', 'diese
  Woche', '本周', 'yesterday', 'gestern', '昨日') are resolved against --published and never
  without it; the basis is kept as the record wants it: '"Tuesday" in an article dated
  2024-01-18'. 'today' and 'yesterday' are read by dateparser with the publication date as its
  base; a weekday is the latest such day on or before the publication date (dateparser takes the
  publication's own weekday as a week earlier, which no article means); 'this week' gives the
  month (or the year) that holds the whole week up to the publication date.
- What a date dates comes from its sentence: a delivery or work period ('between 2026 and 2030',
  'ab 2026', '2025年起'; a target year, 'by 2030', is no period), the signing (a verb of signing),
  the announcement (a verb of saying, or a dateline: 'Munich, 18 January 2024 -').
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from graph.draft.lexicon import simplified
from graph.draft.text import Sentence

SIGN = re.compile(r"(?i:\bsign(?:s|ed|ing)?\b|\binked\b|\bconclude[sd]?\b|\bagreed\b|\bstruck\b|\blaunched\b|unterzeichne\w*|"
                  r"unterschrieben|unterschreib\w*|\bunterschrift\b|abgeschlossen|schließen|vereinbart|gestartet)|签署|签订|签约|签下|达成|成立|启动")
ANNOUNCE = re.compile(r"(?i:\bannounce[sd]?\b|\bsaid\b|\bsays\b|\bunveiled\b|\bconfirmed\b|bekannt|mitgeteilt|teilte\w* mit|"
                      r"\bsagte\b|erklärte|angekündigt)|宣布|表示|发布|披露|透露")
CN_DIGITS = "〇零一二两三四五六七八九十"
_CN = rf"[{CN_DIGITS}]"
CN_DIGIT = {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
THIS_WEEK = re.compile(r"(?i:\bthis week\b|\bearlier this week\b|\bin dieser woche\b|\bdiese woche\b|\banfang der woche\b)|本周|这周|这个星期|本星期")
DAY_WORDS = {"en": {"today": 0, "yesterday": 1}, "de": {"heute": 0, "gestern": 1, "vorgestern": 2},
             "zh": {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}}
DATELINE = re.compile(r"^[A-ZÄÖÜ][\w .'-]{1,40}, ")
YEAR = r"(?:19|20)\d{2}"


@dataclass(frozen=True)
class DateFact:
    value: str  # YYYY-MM-DD, YYYY-MM, YYYY or --MM-DD
    sentence: int
    words: str  # the words that give it, as written
    basis: str | None  # '"Tuesday" in an article dated 2024-01-18' where resolved against the publication date
    basis_kind: str | None  # weekday, this-week, relative, or dateline (a day and month dated by the article)
    confidence: float
    review: str | None = None


@dataclass
class Dates:
    signed: DateFact | None = None
    announced: DateFact | None = None
    start: DateFact | None = None
    end: DateFact | None = None


@lru_cache(maxsize=4)
def _names(language: str) -> tuple[dict[str, int], dict[str, int]]:
    """Month and weekday names of ``language`` (babel's CLDR data) to their numbers."""
    from babel.dates import get_day_names, get_month_names

    months: dict[str, int] = {}
    days: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for number, name in get_month_names(width, locale=language).items():
            months[name.rstrip(".").casefold()] = int(number)
        for number, name in get_day_names(width, locale=language).items():
            days[name.rstrip(".").casefold()] = int(number)
    months.pop("mai", None) if language == "en" else None
    if language == "en":
        months["sept"] = 9
    return months, days


@lru_cache(maxsize=4)
def _patterns(language: str) -> list[tuple[re.Pattern[str], str]]:
    months, days = _names(language)
    month = "(?P<month>%s)\\.?" % "|".join(sorted(map(re.escape, months), key=len, reverse=True))
    day = r"(?P<day>[0-3]?\d)"
    year = rf"(?P<year>{YEAR})"
    weekday = "(?P<weekday>%s)" % "|".join(sorted((re.escape(d) for d in days if len(d) > 3), key=len, reverse=True))
    if language == "en":
        return [(re.compile(rf"(?i:\b{day}(?:st|nd|rd|th)? {month}(?:,? {year})?\b)"), "written"),
                (re.compile(rf"(?i:\b{month} {day}(?:st|nd|rd|th)?\b(?:,? {year})?)"), "written"),
                (re.compile(rf"(?i:\b(?:in |early |late |mid-)?{month},? {year}\b)"), "written"),
                (re.compile(rf"\b{year}-(?P<nmonth>[01]\d)-(?P<day2>[0-3]\d)\b"), "written"),
                (re.compile(rf"(?i:\b(?:on |last |this )?{weekday}\b)"), "weekday")]
    if language == "de":
        return [(re.compile(rf"(?i:\b{day}\. ?{month}(?: {year})?\b)"), "written"),
                (re.compile(rf"\b{day}\.(?P<nmonth>[01]?\d)\.{year}\b"), "written"),
                (re.compile(rf"(?i:\b(?:im |Anfang |Ende |Mitte )?{month} {year}\b)"), "written"),
                (re.compile(rf"(?i:\b(?:am |vergangenen |letzten |diesen )?{weekday}\b)"), "weekday")]
    cn_year = rf"(?:(?P<year>{YEAR}|{_CN}{{4}})年|(?P<year2>今年|去年|明年))"
    return [(re.compile(rf"{cn_year}(?:(?P<nmonth>[01]?\d|{_CN}{{1,2}})月(?:份)?(?:(?P<day2>[0-3]?\d|{_CN}{{1,3}})[日号])?)?"), "written"),
            (re.compile(rf"(?<![\d年])(?P<nmonth>[01]?\d)月(?P<day2>[0-3]?\d)[日号]"), "written"),
            (re.compile(r"(?:上)?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天])"), "weekday")]


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    import cn2an

    if len(text) == 4 and all(char in CN_DIGITS for char in text) and "十" not in text:  # 二〇二四: digit by digit
        return int("".join(str(CN_DIGIT[c]) for c in text))
    return int(cn2an.cn2an(text, "smart"))


def find_dates(sentences: list[Sentence], language: str, published: date | None) -> Dates:
    found = Dates()
    for sentence in sentences:
        text = simplified(sentence.text)
        period = _period(sentence, text, language, published)
        for key in ("start", "end"):
            if getattr(found, key) is None and getattr(period, key) is not None:
                setattr(found, key, getattr(period, key))
        covered = [(f.words) for f in (period.start, period.end) if f is not None]
        for fact, at in _dates_in(sentence, text, language, published):
            if any(fact.words in words or words in fact.words for words in covered):
                continue
            if at == 0 and sentence.index <= 2 and DATELINE.match(text) is None and not SIGN.search(text) and not ANNOUNCE.search(text):
                continue
            dateline = DATELINE.match(text)
            if dateline and sentence.index <= 2 and at == dateline.end():
                if found.announced is None:  # 'Munich, 18 January 2024 - ...': the day it was made public
                    found.announced = fact
                continue
            said = ANNOUNCE.search(text)
            signed = SIGN.search(text)
            near_said = said is not None and abs(said.start() - at) < 40 and (signed is None or said.start() < signed.start()
                                                                              or said.end() <= at)
            if signed and found.signed is None and not near_said:
                found.signed = fact
            elif near_said and found.announced is None and len(fact.value) > 4:  # 'the companies said in March 2024', '6月26日，华友发布公告称'
                found.announced = fact
            elif ANNOUNCE.search(text) and found.announced is None and not SIGN.search(text) and len(fact.value) > 4:
                # a year alone beside 'said' is rarely the day of the announcement
                found.announced = fact
    return found


def _dates_in(sentence: Sentence, text: str, language: str, published: date | None) -> list[tuple[DateFact, int]]:
    found: list[tuple[DateFact, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _patterns(language):
        for match in pattern.finditer(text):
            if any(match.start() < b and match.end() > a for a, b in taken):
                continue
            fact = (_weekday(sentence, match, language, published) if kind == "weekday"
                    else _written(sentence, match, language, published))
            if fact is not None:
                taken.append(match.span())
                found.append((fact, match.start()))
    for match in THIS_WEEK.finditer(text):
        if published is not None:
            monday = published - timedelta(days=published.weekday())
            value = f"{published:%Y-%m}" if monday.month == published.month else f"{published:%Y}"
            words = sentence.text[match.start():match.end()]
            found.append((DateFact(value, sentence.index, words, _basis(words, published), "this-week", 0.75), match.start()))
    for word, back in DAY_WORDS.get(language, {}).items():
        for match in re.finditer(rf"(?i:\b{word}\b)" if language != "zh" else word, text):
            if published is None:
                continue
            day = _dateparser_day(word, language, published)
            if day is not None and (published - day).days == back:
                words = sentence.text[match.start():match.end()]
                found.append((DateFact(day.isoformat(), sentence.index, words, _basis(words, published), "relative", 0.75),
                              match.start()))
    found.sort(key=lambda item: item[1])
    return found


def _dateparser_day(word: str, language: str, published: date) -> date | None:
    """'yesterday', 'gestern', '昨天' read by dateparser against the publication date."""
    from datetime import datetime

    from dateparser.date import DateDataParser

    canonical = {"今日": "今天", "昨日": "昨天"}.get(word, word)
    parser = DateDataParser(languages=[language], settings={"RELATIVE_BASE": datetime(published.year, published.month, published.day),
                                                            "PREFER_DATES_FROM": "past"})
    parsed = parser.get_date_data(canonical).date_obj
    return parsed.date() if parsed is not None else None


def _basis(words: str, published: date) -> str:
    return f'"{words}" in an article dated {published.isoformat()}'


def _weekday(sentence: Sentence, match: re.Match[str], language: str, published: date | None) -> DateFact | None:
    if published is None:
        return None
    name = match.group("weekday")
    wanted = WEEKDAYS_ZH[name] if language == "zh" else _names(language)[1][name.casefold()]
    day = published - timedelta(days=(published.weekday() - wanted) % 7)
    words = sentence.text[match.start():match.end()]
    return DateFact(day.isoformat(), sentence.index, words, _basis(words.strip(), published), "weekday", 0.8)


def _written(sentence: Sentence, match: re.Match[str], language: str, published: date | None) -> DateFact | None:
    parts = match.groupdict()
    year_text = parts.get("year") or parts.get("year2")
    review = None
    basis = None
    if year_text in ("今年", "去年", "明年"):
        if published is None:
            return None
        year: int | None = published.year + {"今年": 0, "去年": -1, "明年": 1}[year_text]
        review = f"'{year_text}' read against the publication date {published.isoformat()}"
        basis = _basis(sentence.text[match.start():match.end()].strip(), published)
    else:
        year = _number(year_text) if year_text else None
    month = None
    if parts.get("month"):
        month = _names(language)[0].get(parts["month"].casefold().rstrip("."))
    elif parts.get("nmonth"):
        month = _number(parts["nmonth"])
    day_text = parts.get("day") or parts.get("day2")
    day = _number(day_text) if day_text else None
    try:
        if day is not None and month is not None:
            date(year or 2000, month, day)  # 2000 is a leap year: '29 February' without a year stays possible
    except ValueError:
        return None
    if month is not None and not 1 <= month <= 12:
        return None
    if year is None and (month is None or day is None):
        return None
    if year is None and published is not None and month is not None and day is not None:
        year = published.year - (1 if (month, day) > (published.month, published.day) else 0)
        review = f"the year is the publication's ({published.isoformat()}): the text gives only the day"
        basis = _basis(sentence.text[match.start():match.end()].strip(), published)
    value = (f"{year:04d}" if year else "-") + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day and month else "")
    words = sentence.text[match.start():match.end()]
    kind = ("dateline" if year_text is None else "relative") if basis else None
    return DateFact(value, sentence.index, words.strip(), basis, kind,
                    0.8 if review is None else 0.65, review)


_START = re.compile(rf"(?i:\b(?:from|starting(?: in)?|beginning(?: in)?|as of|as from|ab(?: dem jahr)?|beginnend)\s+(?P<y>{YEAR})\b)|"
                    rf"(?:自|从)?(?:(?P<z>{YEAR})年|(?P<z2>今年|明年))(?:(?P<m>\d{{1,2}})月份?)?(?:起|开始)")
_RANGE = re.compile(rf"(?i:\bbetween (?P<a>{YEAR}) and (?P<b>{YEAR})\b|\bfrom (?P<c>{YEAR}) (?:to|until|through) (?P<d>{YEAR})\b|"
                    rf"\bvon (?P<e>{YEAR}) bis (?P<f>{YEAR})\b|\b(?P<g>{YEAR}) ?[-–—] ?(?P<h>{YEAR})\b|\b(?P<k>{YEAR}) bis (?P<l>{YEAR})\b)|"
                    rf"(?P<i>{YEAR})年?(?:至|到|-|–|—)(?P<j>{YEAR})年")
_YEARS_FROM = re.compile(rf"(?i:\bfor (?P<n>two|three|four|five|six|seven|eight|nine|ten|\d+) years,? (?:from|starting(?: in)?|beginning(?: in)?) (?P<y>{YEAR})\b)")
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_END = re.compile(rf"(?i:\b(?:until|through|by|by the end of|bis(?: zum jahr| ende)?)\s+(?P<y>{YEAR})\b)|(?:到|至)(?P<z>{YEAR})年(?:底)?|"
                  rf"(?P<w>{YEAR})年(?:底)?(?:前|之前)")


def _period(sentence: Sentence, text: str, language: str, published: date | None) -> Dates:
    found = Dates()
    match = _RANGE.search(text)
    if match:
        a, b = [g for g in match.groups() if g][:2]
        words = sentence.text[match.start():match.end()]
        found.start = DateFact(a, sentence.index, words, None, None, 0.8)
        found.end = DateFact(b, sentence.index, words, None, None, 0.8)
        return found
    years = _YEARS_FROM.search(text)
    if years:
        words = sentence.text[years.start():years.end()]
        count = _NUMBERS.get(years.group("n").lower()) or int(years.group("n"))
        found.start = DateFact(years.group("y"), sentence.index, words, None, None, 0.75)
        found.end = DateFact(str(int(years.group("y")) + count - 1), sentence.index, words, None, None, 0.65,
                             f"the last year of {count} years from {years.group('y')}")
        return found
    start = _START.search(text)
    if start:
        words = sentence.text[start.start():start.end()]
        year = start.group("y") or start.group("z") or start.group("z2")
        review = None
        if year in ("今年", "明年"):
            if published is None:
                year = None
            else:
                review = f"'{year}' read against the publication date {published.isoformat()}"
                year = str(published.year + (1 if year == "明年" else 0))
        if year is not None:
            month = start.groupdict().get("m")
            value = f"{year}-{int(month):02d}" if month else year
            found.start = DateFact(value, sentence.index, words, None, None, 0.75 if review is None else 0.65, review)
    end = _END.search(text)
    if end and found.start is not None:  # an end alone ('by 2030') is a target, not a period
        words = sentence.text[end.start():end.end()]
        found.end = DateFact(end.group("y") or end.group("z") or end.group("w"), sentence.index, words, None, None, 0.7)
    return found
