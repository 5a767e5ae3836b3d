"""Numbers an article states about the deal: volumes with their units, money with its currency,
shares in percent (with what they are compared against), in each language's number format.

Numbers are read by babel (``parse_decimal`` with the language's separators: '1.234,5' in German,
'45,000' in English) and cn2an (Chinese numerals: '三点五', '十三'); the scales ('million', 'Mio.',
'Milliarden', '万', '亿') and the words for units and currencies are rules, because quantulum3 reads
English only. Units are written as pint reads them and checked with the project's one unit home,
graph.records.quantities.read_quantity, so a draft never holds a unit a record would refuse. A
number without a unit or currency ('two companies', a year) is not a quantity, and neither is a
number in a sentence about a company rather than the deal: its output, revenue, headcount or
funding, last year or in an earlier year (``BACKGROUND``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from graph.draft.lexicon import simplified
from graph.draft.text import Sentence
from graph.records.quantities import UnitError, is_currency, read_quantity

NUMBER = {
    "en": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?",
    "de": r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?",
    "zh": r"\d+(?:\.\d+)?|[零一二两三四五六七八九十百千点]+",
}
SCALES = {"million": 6, "millions": 6, "mn": 6, "m": 6, "mln": 6, "billion": 9, "billions": 9, "bn": 9, "thousand": 3,
          "millionen": 6, "million.": 6, "mio": 6, "mio.": 6, "milliarden": 9, "milliarde": 9, "mrd": 9, "mrd.": 9,
          "tausend": 3, "tsd": 3, "tsd.": 3, "万": 4, "亿": 8, "千万": 7, "百万": 6, "千": 3}
UNITS = {"tonnes": "tonne", "tonne": "tonne", "tons": "tonne", "ton": "tonne", "metric tons": "tonne", "t": "tonne",
         "tonnen": "tonne", "吨": "tonne", "kilotonnes": "kilotonne", "kt": "kilotonne", "megatonnes": "megatonne",
         "mt": "megatonne", "gwh": "GWh", "mwh": "MWh", "twh": "TWh", "kwh": "kWh", "gw": "GW", "mw": "MW",
         "千瓦时": "kWh", "兆瓦时": "MWh", "吉瓦时": "GWh", "兆瓦": "MW", "吉瓦": "GW", "千瓦": "kW",
         "tonnes of co2": "tCO2e", "tonnes of co2e": "tCO2e", "tco2e": "tCO2e", "tonnen co2": "tCO2e", "吨二氧化碳": "tCO2e",
         "kilogramm co2e": "kgCO2e", "kilogramm co2": "kgCO2e", "kg co2e": "kgCO2e", "kg co2": "kgCO2e",
         "kilograms of co2": "kgCO2e", "kilograms of co2e": "kgCO2e", "公斤二氧化碳": "kgCO2e", "千克二氧化碳": "kgCO2e",
         "tonnes of co2 equivalent": "tCO2e", "t co2": "tCO2e", "t co2e": "tCO2e", "tonnen co2e": "tCO2e",
         "percent": "percent", "per cent": "percent", "%": "percent", "prozent": "percent", "％": "percent"}
CURRENCY_BEFORE = {"eur": "EUR", "€": "EUR", "usd": "USD", "us$": "USD", "$": "USD", "£": "GBP", "gbp": "GBP", "sek": "SEK",
                   "nok": "NOK", "cny": "CNY", "rmb": "CNY", "¥": "CNY", "人民币": "CNY"}
CURRENCY_AFTER = {"euros": "EUR", "euro": "EUR", "eur": "EUR", "dollars": "USD", "dollar": "USD", "usd": "USD", "yuan": "CNY",
                  "元": "CNY", "人民币": "CNY", "欧元": "EUR", "美元": "USD", "kronor": "SEK", "kronen": "SEK", "sek": "SEK",
                  "nok": "NOK", "cny": "CNY", "€": "EUR"}
PER_YEAR = re.compile(r"(?i:\ba year\b|\bper year\b|\bannually\b|\beach year\b|\bevery year\b|\bper annum\b|/year|\bjährlich\b|"
                      r"\bpro jahr\b|\bim jahr\b|\bjedes jahr\b|\bjahreskapazität)|每年|年产|年供应|年供货|年采购|/年|年产能")
PER_MASS = re.compile(r"^\s*(?i:(?:per|pro|je|for each|for every) (?:metric )?(?P<t>tonne|ton|tonne|kilogram|kilogramm|kg|t)\b)|^\s*(?:每)(?P<z>吨|公斤|千克)")
BACKGROUND = re.compile(r"(?i:\blast year\b|\brevenue|\bsales of\b|\bturnover\b|\bemploys\b|\bemployees\b|\bfounded\b|\braised\b|"
                        r"market capitali[sz]ation|\bproduced\b|\bshipped\b|\boperates\b|vergangenen jahr|\bzuletzt\b|umsatz|"
                        r"setzte .{0,40} um\b|beschäftigt|mitarbeiter|gegründet|eingesammelt|produzierte|nach eigenen angaben|"
                        r"jahreskapazität|capacity of|kapazität von|der größte|the largest|second-largest)|"
                        r"去年|营业收入|营收|产量|产能|年产钢能力|资料显示|据悉|据了解|位居|现有")
APPROXIMATE = re.compile(r"(?i:\b(?:around|about|approximately|roughly|nearly|some|up to|rund|etwa|circa|ca\.|bis zu|fast))\s*$|(?:约|近|大约|预计|逾)\s*$")
COMPARED = re.compile(r"(?i:\b(?:than|compared (?:with|to)|als|gegenüber|im vergleich zu)\s+(?P<what>[\w\- ]{3,60}?)(?=[,.;]|$))|(?:与|和|较)(?P<zh>[\u4e00-\u9fff]{2,15})相比")


@dataclass(frozen=True)
class Amount:
    value: str
    unit: str | None
    currency: str | None
    sentence: int
    words: str
    approximate: bool
    compared_to: str | None
    confidence: float


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _pattern(language: str) -> re.Pattern[str]:
    number = NUMBER[language]
    scale = _alternation(list(SCALES))
    unit = _alternation(list(UNITS))
    before = _alternation(list(CURRENCY_BEFORE))
    after = _alternation(list(CURRENCY_AFTER))
    gap = "" if language == "zh" else r"\s?"
    edge = "" if language == "zh" else r"(?![\w-])"
    lead = r"(?<![\d.,])" if language == "zh" else r"(?<![\w.,])"
    return re.compile(
        rf"(?i:(?P<cur1>{before}){gap}(?P<n1>{number})(?:{gap}(?P<s1>{scale}){edge})?|"
        rf"{lead}(?P<n2>{number})(?:{gap}(?P<s2>{scale}){edge})?(?:{gap}(?P<unit>{unit}){edge}|{gap}(?P<cur2>{after}){edge}))"
        + (r"|百分之(?P<pct>[零一二两三四五六七八九十百点\d.]+)" if language == "zh" else ""))


_PATTERNS: dict[str, re.Pattern[str]] = {}


def find_quantities(sentences: list[Sentence], language: str, published_year: int | None = None) -> list[Amount]:
    pattern = _PATTERNS.setdefault(language, _pattern(language))
    found: list[Amount] = []
    for sentence in sentences:
        text = simplified(sentence.text)
        if BACKGROUND.search(text) or (published_year and _earlier_year(text, published_year)):
            continue
        for match in pattern.finditer(text):
            amount = _amount(sentence, text, match, language)
            if amount is not None:
                found.append(amount)
    return found


def _earlier_year(text: str, year: int) -> bool:
    """A year before the publication's, not as a start ('in 2022', '2023年'): the sentence tells the past."""
    return any(int(y) < year for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text)) and not re.search(
        r"(?i:\bfrom (?:19|20)\d{2}|\bsince\b|\bab (?:19|20)\d{2}|\bseit\b|起|以来|相比|than|als|compared|gegenüber|versus)", text)


def _amount(sentence: Sentence, text: str, match: re.Match[str], language: str) -> Amount | None:
    groups = match.groupdict()
    unit: str | None
    scale: str | None
    if groups.get("pct"):
        number, scale, unit, currency = groups["pct"], None, "percent", None
    else:  # the pattern's alternatives each have a number
        number = groups["n1"] or groups["n2"]
        scale = groups["s1"] or groups["s2"]
        unit = UNITS.get((groups["unit"] or "").lower())
        currency = CURRENCY_BEFORE.get((groups["cur1"] or "").lower()) or CURRENCY_AFTER.get((groups["cur2"] or "").lower())
    if scale and scale.lower() == "m" and not currency:
        return None  # 'm' is a million only in money ('EUR 130m'); '5 m' is a length
    value = _decimal(number, language)
    if value is None:
        return None
    if scale:
        value *= Decimal(10) ** SCALES[scale.lower()]
    if re.fullmatch(r"(?:19|20)\d{2}", number) and unit is None and currency is None:
        return None
    clause = re.split(r"[,;，；]", text[match.end():])[0] + " " + re.split(r"[,;，；]", text[:match.start()])[-1]
    per = PER_MASS.search(text[match.end():match.end() + 30])
    if unit in ("tCO2e", "kgCO2e") and per:
        unit = f"{unit} / {'kg' if (per.group('t') or per.group('z') or '').lower() in ('kilogram', 'kilogramm', 'kg', '公斤', '千克') else 'tonne'}"
    elif unit in ("tonne", "kilotonne", "megatonne", "GWh", "MWh", "TWh", "kWh", "tCO2e") and PER_YEAR.search(clause):
        unit = f"{unit} / year"
    plain = format(value.normalize(), "f")
    try:
        if unit is not None:
            read_quantity(plain, unit)
        elif currency is None or not is_currency(currency):
            return None
    except UnitError:
        return None
    compared = None
    if unit == "percent":
        after = COMPARED.search(text[match.end():match.end() + 120])
        if after:
            compared = (after.group("what") or after.group("zh") or "").strip() or None
    approximate = bool(APPROXIMATE.search(text[max(0, match.start() - 15):match.start()]))
    words = sentence.text[match.start():match.end()]
    return Amount(plain, unit, currency, sentence.index, words, approximate, compared, 0.8)


def _decimal(number: str, language: str) -> Decimal | None:
    from babel.numbers import NumberFormatError, parse_decimal

    try:
        if re.search(r"[零一二两三四五六七八九十百千点]", number):
            import cn2an

            return Decimal(str(cn2an.cn2an(number, "smart")))
        return Decimal(parse_decimal(number, locale={"zh": "en"}.get(language, language), strict=False))
    except (ValueError, InvalidOperation, NumberFormatError):
        return None
