"""The finders of alliances draft (graph/draft/), each on small texts in English, German and Chinese,
and the drafts of the development articles (tests/fixtures/draft-dev/), which must validate."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import api
from graph.config import Settings
from graph.draft import draft_article
from graph.draft.agreement import find_binding, find_type
from graph.draft.dates import find_dates
from graph.draft.evaluate import score
from graph.draft.fields import Draft, Field
from graph.draft.language import check, detect
from graph.draft.lexicon import Lexicon, load_lexicon
from graph.draft.organisations import find_organisations
from graph.draft.people import find_people
from graph.draft.quantities import find_quantities
from graph.draft.record import build_record, quote_around
from graph.draft.roles import find_roles
from graph.draft.text import read_article, sentences
from graph.draft.topics import find_topics
from graph.errors import AllianceError
from graph.rdf.store import OxigraphStore
from graph.records.read import _excess

DEV = Path(__file__).parent / "fixtures" / "draft-dev"


@pytest.fixture(scope="module")
def lexicon(store: OxigraphStore) -> Lexicon:
    return load_lexicon(store)


def orgs(text: str, lexicon: Lexicon) -> list[tuple[str | None, str]]:
    return [(m.organisation, m.text) for m in find_organisations(sentences(text), lexicon)]


# ------------------------------------------------------------------ text and language

def test_html_keeps_only_what_a_reader_sees() -> None:
    page = (b"<html><head><title>T</title><script>var x = 'BMW signs';</script><style>p{}</style></head><body>"
            b"<nav>Home | News</nav><h1>Headline here</h1><p>First &amp; only paragraph.</p><footer>(c) Site</footer></body></html>")
    article = read_article(page, "page.html")
    assert article.title == "Headline here"
    assert "First & only paragraph." in article.text
    for hidden in ("BMW signs", "p{}", "Home | News", "(c) Site"):
        assert hidden not in article.text


def test_control_characters_and_overrides_are_removed() -> None:
    article = read_article("BMW\x1b[31m signs\x00 a deal\u202e here.".encode(), "a.txt")
    assert "\x1b" not in article.text and "\x00" not in article.text and "\u202e" not in article.text
    assert "signs" in article.text


def test_a_huge_file_is_refused() -> None:
    with pytest.raises(AllianceError, match="more than an article"):
        read_article(b"a" * 5_000_001, "big.txt")


def test_sentences_in_three_languages() -> None:
    assert [s.text for s in sentences("Das Projekt kostet 2,5 Mio. Euro. Es beginnt 2026.")] == [
        "Das Projekt kostet 2,5 Mio. Euro.", "Es beginnt 2026."]
    assert len(sentences("BMW signed. Baosteel agreed! Really?")) == 3
    assert [s.text for s in sentences("宝钢签署协议。宝马表示欢迎！")] == ["宝钢签署协议。", "宝马表示欢迎！"]


@pytest.mark.parametrize(("text", "language"), [
    ("The two companies signed a memorandum of understanding on green steel supplies.", "en"),
    ("Die beiden Unternehmen haben eine Absichtserklärung über grünen Stahl unterzeichnet.", "de"),
    ("河鋼集團與蔚來簽署戰略合作框架協議", "zh"),
    ("宝钢股份与宝马集团签署谅解备忘录", "zh"),
])
def test_language_is_detected(text: str, language: str) -> None:
    assert detect(text)[0] == language


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(AllianceError, match="--language"):
        check("fr")


# ------------------------------------------------------------------ organisations

def test_known_organisations_by_any_name_and_script(lexicon: Lexicon) -> None:
    assert orgs("Die BMW AG und die Salzgitter AG unterzeichnen.", lexicon) == [("bmw-group", "BMW AG"), ("salzgitter", "Salzgitter AG")]
    assert orgs("河鋼集團與蔚來簽署協議", lexicon) == [("hbis", "河鋼集團"), ("nio", "蔚來")]
    assert ("baosteel", "宝钢股份") in orgs("宝钢股份与宝马集团签署谅解备忘录", lexicon)
    assert ("stegra", "H2 Green Steel") in orgs("Volvo Cars and H2 Green Steel signed.", lexicon)


def test_a_name_without_its_group_suffix_is_found(lexicon: Lexicon) -> None:
    assert orgs("Volkswagen signed a deal.", lexicon) == [("volkswagen-group", "Volkswagen")]


def test_a_lower_case_word_is_no_organisation(lexicon: Lexicon) -> None:
    assert orgs("The plant runs on hydro power.", lexicon) == []


def test_a_name_whose_first_word_data_writes_in_lower_case_is_found_whole(lexicon: Lexicon) -> None:
    # Found in the README's trial: 'thyssenkrupp Steel Europe' gave 'thyssenkrupp' and an unknown 'Steel Europe'.
    assert orgs("Ford signed MoUs with thyssenkrupp Steel Europe.", lexicon) == [("ford", "Ford"), ("thyssenkrupp-steel", "thyssenkrupp Steel Europe")]


def test_unknown_organisations_are_proposed_for_review(lexicon: Lexicon) -> None:
    found = find_organisations(sentences("BMW Group agrees an offtake with Swedish start-up Nordic Green Metals."), lexicon)
    new = [m for m in found if m.organisation is None]
    assert [m.text for m in new] == ["Nordic Green Metals"] and new[0].review
    found = find_organisations(sentences("另外，北方新材料科技有限公司将作为技术提供方参与项目。"), lexicon)
    assert [(m.organisation, m.text) for m in found] == [(None, "北方新材料科技有限公司")]


def test_people_are_not_proposed_as_organisations(lexicon: Lexicon) -> None:
    text = "„Wir freuen uns“, sagte Max Mustermann, Vorstandsvorsitzender der Salzgitter AG."
    people = find_people(0, text)
    found = find_organisations(sentences(text), lexicon, {0: [(p.start, p.end) for p in people]})
    assert [(m.organisation, m.text) for m in found] == [("salzgitter", "Salzgitter AG")]


# ------------------------------------------------------------------ agreement, binding, roles

@pytest.mark.parametrize(("text", "kind"), [
    ("BMW signs offtake agreement with Stegra for green steel.", "offtake-agreement"),
    ("Salzgitter und BMW unterzeichnen Absichtserklärung.", "memorandum-of-understanding"),
    ("Salzgitter und BMW schließen einen Liefervertrag.", "supply-agreement"),
    ("宝钢股份与一汽-大众签署合作备忘录", "cooperation-memorandum"),
    ("河钢与宝马签署战略合作协议", "cooperation"),
    ("Volvo Cars and SSAB signed a letter of intent.", "letter-of-intent"),
    ("Ford Europe has signed memorandums of understanding with three steelmakers.", "memorandum-of-understanding"),
    ("Ford Europe signs MoUs with three European steelmakers.", "memorandum-of-understanding"),
])
def test_agreement_type(text: str, kind: str, lexicon: Lexicon) -> None:
    found = find_type(sentences(text), lexicon)
    assert found is not None and found.value == kind


@pytest.mark.parametrize(("text", "binding"), [
    ("The agreement is non-binding.", "false"),
    ("Die Vereinbarung ist nicht bindend.", "false"),
    ("Sie schlossen einen verbindlichen Liefervertrag.", "true"),
    ("该备忘录不具约束力。", "false"),
    ("The two firms signed a memorandum.", None),
])
def test_binding_only_where_the_text_says(text: str, binding: str | None) -> None:
    found = find_binding(sentences(text))
    assert (found.value if found else None) == binding


def _roles(text: str, lexicon: Lexicon) -> dict[str, str]:
    sents = sentences(text)
    mentions = find_organisations(sents, lexicon)
    keys = list(dict.fromkeys(m.key for m in mentions))
    return {key: role.role for key, role in find_roles(sents, mentions, keys, lexicon).items()}


def test_roles_from_the_sentence(lexicon: Lexicon) -> None:
    assert _roles("Under the deal, BMW will buy 45,000 tonnes of steel from Salzgitter.", lexicon) == {
        "bmw-group": "buyer", "salzgitter": "supplier"}
    assert _roles("Salzgitter soll ab 2026 Stahl an BMW liefern.", lexicon) == {"salzgitter": "supplier", "bmw-group": "buyer"}
    assert _roles("宝钢股份将每年向宝马集团供应13万吨钢材。", lexicon) == {"baosteel": "supplier", "bmw-group": "buyer"}
    assert _roles("Hydro will act as technology provider for the pilot.", lexicon) == {"hydro": "technology-provider"}


def test_roles_from_sectors_are_marked_for_review(lexicon: Lexicon) -> None:
    sents = sentences("Volvo Cars and SSAB signed a memorandum on fossil-free steel.")
    mentions = find_organisations(sents, lexicon)
    roles = find_roles(sents, mentions, ["volvo-cars", "ssab"], lexicon)
    assert roles["volvo-cars"].role == "buyer" and roles["ssab"].role == "supplier"
    assert roles["volvo-cars"].review and roles["volvo-cars"].confidence < 0.7


# ------------------------------------------------------------------ dates

THURSDAY = date(2024, 1, 18)


def test_weekdays_are_resolved_against_the_publication_date() -> None:
    signed = find_dates(sentences("The companies signed the agreement on Tuesday in Munich."), "en", THURSDAY).signed
    assert signed is not None and signed.value == "2024-01-16"
    assert signed.basis == '"on Tuesday" in an article dated 2024-01-18' and signed.basis_kind == "weekday"
    signed = find_dates(sentences("BMW und Salzgitter haben am Mittwoch eine Absichtserklärung unterzeichnet."), "de", THURSDAY).signed
    assert signed is not None and (signed.value, signed.basis) == ("2024-01-17", '"am Mittwoch" in an article dated 2024-01-18')
    signed = find_dates(sentences("宝钢与宝马周四签署协议。"), "zh", THURSDAY).signed
    assert signed is not None and signed.value == "2024-01-18"


def test_this_week_and_yesterday() -> None:
    signed = find_dates(sentences("Volvo Cars and SSAB signed a memorandum this week."), "en", date(2023, 3, 16)).signed
    assert signed is not None and (signed.value, signed.basis_kind) == ("2023-03", "this-week")
    signed = find_dates(sentences("Volvo signed a memorandum this week."), "en", date(2023, 3, 1)).signed
    assert signed is not None and signed.value == "2023"  # the week began in February
    signed = find_dates(sentences("河钢集团与蔚来昨日在石家庄签署框架协议。"), "zh", date(2024, 3, 5)).signed
    assert signed is not None and (signed.value, signed.basis) == ("2024-03-04", '"昨日" in an article dated 2024-03-05')
    signed = find_dates(sentences("Die Partner haben gestern unterzeichnet."), "de", date(2024, 3, 5)).signed
    assert signed is not None and signed.value == "2024-03-04"


def test_no_relative_date_without_a_publication_date() -> None:
    found = find_dates(sentences("The companies signed the agreement on Tuesday, this week, yesterday."), "en", None)
    assert found.signed is None


@pytest.mark.parametrize(("text", "language", "value"), [
    ("The deal was signed on 16 January.", "en", "--01-16"),
    ("The deal was signed on January 16, 2024.", "en", "2024-01-16"),
    ("Der Vertrag wurde am 16. Januar 2024 unterzeichnet.", "de", "2024-01-16"),
    ("Der Vertrag wurde am 18.01.2024 unterzeichnet.", "de", "2024-01-18"),
    ("2024年8月29日，宝钢股份与宝马集团签署谅解备忘录。", "zh", "2024-08-29"),
    ("二〇二四年八月二十九日双方签署协议。", "zh", "2024-08-29"),
    ("The deal was signed in March 2023.", "en", "2023-03"),
])
def test_written_dates_keep_their_precision(text: str, language: str, value: str) -> None:
    signed = find_dates(sentences(text), language, None).signed
    assert signed is not None and signed.value == value and signed.basis is None


def test_periods_and_datelines() -> None:
    found = find_dates(sentences("Munich, 18 January 2024 - BMW has signed an offtake. Deliveries run between 2026 and 2030."), "en", THURSDAY)
    assert found.signed is None  # the dateline is the publication's date
    assert found.start is not None and found.end is not None and (found.start.value, found.end.value) == ("2026", "2030")
    found = find_dates(sentences("河钢集团今年9月起向蔚来供应绿钢。"), "zh", date(2024, 3, 5))
    assert found.start is not None and found.start.value == "2024-09" and found.start.review
    found = find_dates(sentences("Salzgitter soll ab 2026 liefern."), "de", None)
    assert found.start is not None and found.start.value == "2026"


# ------------------------------------------------------------------ quantities, people, topics

def _amounts(text: str, language: str) -> list[tuple[str, str | None, str | None]]:
    return [(a.value, a.unit, a.currency) for a in find_quantities(sentences(text), language)]


def test_quantities_in_each_number_format() -> None:
    assert _amounts("BMW will buy 45,000 tonnes of green steel a year, worth EUR 130m.", "en") == [
        ("45000", "tonne / year", None), ("130000000", None, "EUR")]
    assert _amounts("The memorandum covers up to 1.5 million tonnes and 95 percent less CO2.", "en") == [
        ("1500000", "tonne", None), ("95", "percent", None)]
    assert _amounts("Salzgitter liefert jährlich 1.234,5 Tonnen für 2,5 Mio. Euro, 66 Prozent weniger CO2.", "de") == [
        ("1234.5", "tonne / year", None), ("2500000", None, "EUR"), ("66", "percent", None)]
    assert _amounts("每年供应13万吨，投资5亿元，排放降低百分之三十。", "zh") == [
        ("130000", "tonne / year", None), ("500000000", None, "CNY"), ("30", "percent", None)]


def test_numbers_without_a_unit_are_no_quantities() -> None:
    assert _amounts("The two companies signed in 2024 and will start in 2026 with 3 plants.", "en") == []


def test_a_percentage_keeps_what_it_is_compared_with() -> None:
    amounts = find_quantities(sentences("The steel causes 95 percent less CO2 than conventional steel."), "en")
    assert amounts[0].compared_to == "conventional steel"


def test_people_with_their_posts() -> None:
    assert [(p.name, p.post_gloss) for p in find_people(0, '"Big step," said Erika Example, head of purchasing at BMW Group.')] == [
        ("Erika Example", "head of purchasing")]
    assert [(p.name, p.post_gloss) for p in find_people(0, "sagte Max Mustermann, Vorstandsvorsitzender der Salzgitter AG.")] == [
        ("Max Mustermann", "chief executive")]
    assert [(p.name, p.post) for p in find_people(0, "宝钢股份董事长张三出席签约仪式。")] == [("张三", "董事长")]
    assert find_people(0, "Nordic Green Metals signed with BMW Group.") == []


def test_topics_are_the_most_specific_and_never_inside_a_name(lexicon: Lexicon) -> None:
    def ids(text: str) -> set[str]:
        sents = sentences(text)
        masked: dict[int, list[tuple[int, int]]] = {}
        for m in find_organisations(sents, lexicon):
            masked.setdefault(m.sentence, []).append((m.start, m.end))
        return {t.id for t in find_topics(sents, lexicon, masked)}

    assert ids("BMW buys green steel made with hydrogen-based DRI.") == {"green-steel", "hydrogen-dri"}
    assert ids("BMW kauft grünem Stahl.") == {"green-steel"}
    assert ids("宝钢股份与宝马集团签署协议。") == set()


# ------------------------------------------------------------------ records

def test_quotes_are_cut_to_the_limits() -> None:
    long = " ".join(f"word{n}" for n in range(60)) + " BMW signed here " + " ".join(f"tail{n}" for n in range(60))
    quote = quote_around(long, "BMW signed")
    assert "BMW signed" in quote and _excess(quote) is None and quote in long
    chinese = "宝钢股份" * 30 + "签署协议" + "宝马集团" * 30
    quote = quote_around(chinese, "签署协议")
    assert "签署协议" in quote and _excess(quote) is None


def dev_articles() -> list[Path]:
    found = sorted(p for p in DEV.iterdir() if p.suffix in (".txt", ".html"))
    assert found, f"{DEV} holds no articles"
    return found


@pytest.mark.parametrize("article", dev_articles(), ids=lambda p: p.name)
def test_each_dev_draft_validates(article: Path, lexicon: Lexicon, built: Settings, tmp_path: Path) -> None:
    expected = yaml.safe_load(article.with_name(article.name.rsplit(".", 1)[0] + ".expected.yaml").read_text(encoding="utf-8"))
    found = draft_article(article.read_bytes(), article.name, lexicon, url=expected.get("url"), published=expected.get("published"))
    assert found.language == expected["language"]
    record = build_record(found)
    path = tmp_path / f"{record.alliance_id}.yaml"
    path.write_text(record.yaml("test draft"), encoding="utf-8")
    violations = [p for p in api.validate(built, [path]) if p.severity.value == "violation"]
    assert violations == []
    assert "# review:" in path.read_text(encoding="utf-8") or not record.reviews


def test_scores_compare_quantities_in_canonical_units() -> None:
    draft = Draft("t", "en", 1.0, None, None, [
        Field("quantity", {"value": "45", "unit": "kilotonne / year"}, "q", 0.8),
        Field("party", {"organisation": "bmw-group", "role": "buyer"}, "q", 0.9),
        Field("party", {"name": "Nordic Green Metals AB", "role": "party"}, "q", 0.5)])
    expected = {"alliance": {"quantities": [{"value": "45000", "unit": "tonne / year"}],
                             "parties": [{"organisation": "bmw-group", "role": "buyer"},
                                         {"name": "Nordic Green Metals", "role": "supplier"}]}}
    tallies = score(draft, expected).tallies
    assert (tallies["quantities"].right, tallies["parties"].right, tallies["roles"].right) == (1, 2, 1)
    assert tallies["type"].expected == 0 and tallies["type"].precision is None


def test_an_organisation_named_only_with_a_post_is_no_party(lexicon: Lexicon) -> None:
    text = ("Thyssenkrupp Steel and Mercedes-Benz sign supply agreement.\n"
            "Thyssenkrupp chief executive Miguel López said the deal showed demand was real.")
    found = draft_article(text.encode(), "a.txt", lexicon, language="en")
    assert [f.value["organisation"] for f in found.of("party")] == ["thyssenkrupp-steel", "mercedes-benz-group"]
    assert [f.value["organisation"] for f in found.of("person")] == ["thyssenkrupp"]


def test_an_amount_of_money_is_no_organisation(lexicon: Lexicon) -> None:
    found = find_organisations(sentences("Volkswagen investiert zudem 15 Millionen Euro in eine Pilotanlage."), lexicon)
    assert [(m.organisation, m.text) for m in found] == [("volkswagen-group", "Volkswagen")]


def test_money_after_a_currency_code_is_no_organisation(lexicon: Lexicon) -> None:
    found = find_organisations(sentences("Hydro and Northvolt invest NOK 100m in a pilot."), lexicon)
    assert [m.organisation for m in found] == ["hydro", "northvolt"]


def test_a_target_year_is_neither_a_period_nor_the_announcement() -> None:
    found = find_dates(sentences("河钢集团董事长于勇表示，河钢将于2026年前向宝马供应30万吨绿钢。"), "zh", date(2024, 2, 22))
    assert (found.start, found.end, found.announced) == (None, None, None)
    found = find_dates(sentences("Der Konzern will bis 2030 rund 40 Prozent weniger CO2 verursachen."), "de", date(2024, 2, 22))
    assert found.end is None
    found = find_dates(sentences("Ab 2026 liefert Stegra bis 2032 jährlich Stahl."), "de", date(2024, 2, 22))
    assert found.start is not None and found.end is not None and (found.start.value, found.end.value) == ("2026", "2032")


def test_a_day_without_a_year_takes_the_publication_year_for_review_with_its_basis() -> None:
    signed = find_dates(sentences("The companies signed the memorandum on 16 January."), "en", date(2025, 1, 20)).signed
    assert signed is not None and signed.value == "2025-01-16" and signed.review
    assert (signed.basis, signed.basis_kind) == ('"16 January" in an article dated 2025-01-20', "dateline")
    signed = find_dates(sentences("12月5日，格林美与绿冶签署协议。"), "zh", date(2024, 1, 3)).signed
    assert signed is not None and signed.value == "2023-12-05"  # a December day in a January article
    announced = find_dates(sentences("ESSEN, March 5, 2024 — Thyssenkrupp said it signed a deal."), "en", date(2024, 3, 5)).announced
    assert announced is not None and announced.value == "2024-03-05"


def test_background_numbers_are_no_deal_quantities() -> None:
    text = ("Salzgitter, which shipped about 12 million tonnes of steel products last year, signs. "
            "Hydro reported revenue of NOK 193 billion. Baosteel produced 50 million tonnes in 2022. 去年钢产量超过4000万吨。")
    assert find_quantities(sentences(text), "en", 2024) == []
    assert _amounts("Rio Tinto will supply aluminium with 4 tonnes of CO2 per tonne of aluminium.", "en") == [("4", "tCO2e / tonne", None)]


def test_a_line_of_punctuation_is_no_crash(lexicon: Lexicon) -> None:
    """A sentence end after nothing but punctuation once broke the sentence splitter (IndexError)."""
    assert sentences('. 2026-2030 " < 。 Max')
    build_record(draft_article('. 2026-2030 " < 。 Max'.encode(), "x", lexicon, published=THURSDAY, language="en"))


WORDS = ("BMW", "Baosteel", "宝钢", "河鋼", "signed", "签署", "am Mittwoch", "on Tuesday", "2024年8月29日", "13万吨", "1.234,5 Tonnen",
         "EUR 130m", ".", "。", ",", "\n", "<p>", "</script>", "16.", "Januar", "2026-2030", "百分之", "%", "CEO", "董事长", "said",
         "AG", "GmbH", "有限公司", "grünem Stahl", "this week", "昨日", "今年9月起", "Nordic Green Metals AB", "\x1b", "\u202e")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=60),
       language=st.sampled_from([None, "en", "de", "zh"]), published=st.sampled_from([None, THURSDAY]))
def test_any_text_gives_a_record_or_a_clear_error(words: list[str], language: str | None, published: date | None,
                                                  lexicon: Lexicon) -> None:
    try:
        found = draft_article(" ".join(words).encode("utf-8", "replace"), "x", lexicon, published=published, language=language)
    except AllianceError:
        return
    data = yaml.safe_load(build_record(found).yaml("x"))
    assert set(data) <= {"source", "organisations", "people", "posts", "alliances", "claims"}


def test_one_word_partner_and_possessive_post(lexicon: Lexicon) -> None:
    text = "BMW has signed a partnership agreement with Ferrovia for green steel. BMW's chief executive Oliver Zipse welcomed it."
    found = draft_article(text.encode(), "x", lexicon, language="en")
    assert [f.value.get("organisation") or f.value.get("name") for f in found.of("party")] == ["bmw-group", "Ferrovia"]
    assert [f.value.get("organisation") for f in found.of("person")] == ["bmw-group"]
    german = draft_article("BMW hat einen Liefervertrag mit Wasserstoff unterzeichnet.".encode(), "x", lexicon, language="de")
    assert [f.value.get("organisation") for f in german.of("party")] == ["bmw-group"]  # German capitalises every noun


def test_new_names_said_once_past_the_headline_are_not_proposed(lexicon: Lexicon) -> None:
    text = ("Mercedes-Benz testet Aluminiumkreislauf.\nMercedes-Benz und die Schwarzwald Kreislaufmetall GmbH haben im Werk "
            "Sindelfingen ein Pilotprojekt gestartet.\n格林美与江苏绿冶新材料科技有限公司签署协议。")
    found = find_organisations(sentences(text), lexicon)
    assert [m.text for m in found if m.organisation is None] == ["Schwarzwald Kreislaufmetall GmbH", "江苏绿冶新材料科技有限公司"]


def test_roles_from_the_nearest_subject_and_lower_case_names(lexicon: Lexicon) -> None:
    assert _roles("Volvo Cars would take coils for outer panels; Salzgitter would supply them from 2027.", lexicon) == {
        "volvo-cars": "buyer", "salzgitter": "supplier"}
    assert _roles("voestalpine liefert greentec steel an BMW.", lexicon) == {"voestalpine": "supplier", "bmw-group": "buyer"}
    assert _roles("鞍钢将作为一汽的战略供应商，每年向一汽供应汽车板。", lexicon)["ansteel"] == "supplier"


def test_members_join_and_the_coalition_convenes(lexicon: Lexicon) -> None:
    text = "Hyundai Motor joins the First Movers Coalition.\nHyundai Motor joined the First Movers Coalition, launched by the World Economic Forum."
    found = draft_article(text.encode(), "x", lexicon, language="en")
    assert {f.value["organisation"]: f.value["role"] for f in found.of("party")} == {
        "hyundai-motor": "participant", "first-movers-coalition": "convener", "world-economic-forum": "convener"}


def test_signing_and_announcement_words() -> None:
    found = find_dates(sentences("Batteriretur has signed an agreement with Polestar, the companies said in March 2024."), "en", date(2024, 4, 2))
    assert found.signed is None and found.announced is not None and found.announced.value == "2024-03"
    found = find_dates(sentences("本报讯 今年9月，河钢集团与宝马集团在沈阳签署合作备忘录。"), "zh", date(2025, 10, 8))
    assert found.signed is not None and (found.signed.value, found.signed.basis_kind) == ("2025-09", "relative")
    found = find_dates(sentences("Die Unterschrift erfolgte am 28. April in Völklingen."), "de", date(2025, 4, 30))
    assert found.signed is not None and found.signed.value == "2025-04-28"
    found = find_dates(sentences("2023年11月，包头钢铁与落基山研究所联合启动试点。"), "zh", None)
    assert found.signed is not None and found.signed.value == "2023-11"


def test_a_new_name_from_the_lead_is_found_again_later(lexicon: Lexicon) -> None:
    text = ("BMW Group agrees offtake with Nordic Green Metals.\nIt is a deal.\nIt is big.\n"
            "Under the deal, BMW will buy 45,000 tonnes of green steel a year from Nordic Green Metals.")
    found = draft_article(text.encode(), "x", lexicon, language="en")
    assert [(f.value.get("organisation") or f.value.get("name"), f.value["role"]) for f in found.of("party")] == [
        ("bmw-group", "buyer"), ("Nordic Green Metals", "supplier")]


def test_drafts_never_reuse_ids_of_data(lexicon: Lexicon, built: Settings, tmp_path: Path) -> None:
    """Two drafts with new Chinese companies once both got 'new-organisation-1', and a drafted post
    'baosteel-general-manager' clashed with the post of that id in data/ (two preferred names)."""
    assert "baosteel-general-manager" in lexicon.posts
    paths = []
    for n, text in enumerate(["宝钢股份与江苏绿冶新材料科技有限公司签署协议。宝钢股份总经理王五出席。",
                              "宝钢股份与浙江循环锂业有限公司签署协议。"]):
        record = build_record(draft_article(text.encode(), "x", lexicon, language="zh"))
        path = tmp_path / f"draft-{n}.yaml"
        path.write_text(record.yaml("test"), encoding="utf-8")
        paths.append(path)
    first = yaml.safe_load(paths[0].read_text(encoding="utf-8"))
    assert first["posts"][0]["id"] != "baosteel-general-manager"
    ids = [yaml.safe_load(p.read_text(encoding="utf-8"))["organisations"][0]["id"] for p in paths]
    assert ids[0] != ids[1]
    assert [p for p in api.validate(built, paths) if p.severity.value == "violation"] == []


def test_journalists_words_for_green_steel(lexicon: Lexicon) -> None:
    for text in ("Volvo Cars will buy fossil-free steel.", "Mubea bezieht CO2-reduzierten Stahl.", "宝钢供应低碳钢材。"):
        assert {t.id for t in find_topics(sentences(text), lexicon, {})} == {"green-steel"}, text
