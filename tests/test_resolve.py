"""Names resolve in any language and script, case- and width-insensitively."""
from __future__ import annotations

import unicodedata

import pytest

from graph.errors import AmbiguousName, UnknownName
from graph.records.names import normalise
from graph.ask.resolve import resolve, search
from graph.rdf.store import OxigraphStore


def test_normalise_folds_case_width_and_punctuation() -> None:
    assert normalise("ＦＡＷ－Volkswagen") == normalise("faw volkswagen") == "fawvolkswagen"
    assert normalise("一汽-大众") == normalise("一汽大众")


def test_ascii_names_normalise_as_the_general_rule_does() -> None:
    """normalise takes a short cut for ASCII text: it must give what NFKC, casefold and keeping
    letters and digits (Unicode categories L and N) give."""
    def by_rule(text: str) -> str:
        folded = unicodedata.normalize("NFKC", text).casefold()
        return "".join(char for char in folded if unicodedata.category(char)[0] in ("L", "N"))

    every_ascii = "".join(map(chr, range(128)))
    for text in [*every_ascii, every_ascii, "Baowu Steel Group Co., Ltd.", "FAW-VW (2024)_x\t"]:
        assert text.isascii() and normalise(text) == by_rule(text), repr(text)
    assert normalise("Ｈｅｂｅｉ Steel") == by_rule("Ｈｅｂｅｉ Steel") == "hebeisteel"


@pytest.mark.parametrize("name, ident", [
    ("河钢", "hbis"), ("Hebei Iron and Steel Group", "hbis"), ("HEBEI STEEL", "hbis"), ("河钢集团", "hbis"),
    ("HBIS Group", "hbis"), ("Ｈｅｂｅｉ　Ｓｔｅｅｌ", "hbis"),
    ("鞍钢", "ansteel"), ("Ansteel", "ansteel"), ("Angang Group", "ansteel"),
    ("宝武", "baowu"), ("中国宝武", "baowu"), ("Baowu", "baowu"),
    ("蔚来", "nio"), ("NIO", "nio"), ("一汽-大众", "faw-volkswagen"), ("一汽大众", "faw-volkswagen"),
    ("FAW-VW", "faw-volkswagen"), ("西马克", "sms-group"), ("落基山研究所", "rmi"),
    ("Rocky Mountain Institute", "rmi"), ("华晨宝马", "bmw-brilliance"), ("郎崇道", "peter-langner"),
    ("绿钢", "green-steel"), ("Recyclingaluminium", "recycled-aluminium"), ("hbis", "hbis"),
])
def test_names_in_any_language_resolve(store: OxigraphStore, name: str, ident: str) -> None:
    assert resolve(store, name).id == ident


def test_chinese_and_english_names_give_the_same_organisation(store: OxigraphStore) -> None:
    assert resolve(store, "河钢").iri == resolve(store, "Hebei Iron and Steel Group").iri


def test_ambiguous_name_lists_the_candidates(store: OxigraphStore) -> None:
    with pytest.raises(AmbiguousName) as error:
        resolve(store, "Henan aluminium company")
    assert {c[0] for c in error.value.candidates} == {"henan-aluminium-company-1", "henan-aluminium-company-2"}


def test_a_name_two_organisations_start_with_is_ambiguous(store: OxigraphStore) -> None:
    with pytest.raises(AmbiguousName) as error:
        resolve(store, "HBIS")  # HBIS Group and its listed arm HBIS Company Limited
    assert {"hbis", "hbis-company-limited"} <= {c[0] for c in error.value.candidates}


def test_unknown_name_suggests_the_nearest(store: OxigraphStore) -> None:
    with pytest.raises(UnknownName) as error:
        resolve(store, "Baotou Steal")
    assert any("Baotou Steel" in s for s in error.value.suggestions)


def test_kind_restricts_resolution(store: OxigraphStore) -> None:
    assert resolve(store, "steel").kind == "material"
    assert resolve(store, "steel", kind="sector").id == "steel"


def test_search_ranks_exact_before_partial(store: OxigraphStore) -> None:
    hits = search(store, "steel", limit=40)
    assert hits[0].score == 100
    ids = [h.id for h in hits]
    assert "hbis" in ids and "baotou-steel" in ids
    assert search(store, "zzzzqqqq") == []
