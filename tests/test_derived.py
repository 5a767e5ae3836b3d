"""Display labels and the alliance's year are derived once, at build time, and read everywhere.

The rules themselves are in graph/build/display.py and graph/build/derivations/alliance-year.rq; these tests
check the rule, that it can be configured, and that no reader decides it a second time.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build.pipeline import compile_all
from graph.config import DEFAULT_LABEL_LANGUAGES, PROJECT_ROOT, TAXONOMY_NS, Settings
from graph.errors import AllianceError
from graph.build.display import language_rank, preference
from graph.network.landscape import load_landscape
from graph.ask.profile import profile
from graph.ask.resolve import display_label, search
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

from conftest import seed_corpus

PACKAGE = PROJECT_ROOT / "graph"
NAMED = ("al:Alliance", "org:Organization", "foaf:Person", "org:Post", "al:DataPlatform", "al:Claim", "schema:CreativeWork")


def _label(store: OxigraphStore, settings: Settings, kind: str, ident: str) -> ox.Literal:
    rows = list(select(store, "SELECT ?e ?l WHERE { ?e al:displayLabel ?l }", {"e": ox.NamedNode(settings.entity_iri(kind, ident))}))
    assert len(rows) == 1, f"{kind}/{ident}: {len(rows)} display labels"
    label = rows[0]["l"]
    assert isinstance(label, ox.Literal)
    return label


# ------------------------------------------------------------------ the rule

def test_language_rank_follows_the_order_and_lang_matches() -> None:
    order = ("en", "zh", "de")
    assert [language_rank(tag, order) for tag in ("en", "EN-gb", "zh", "zh-hant", "de", "ko", "english")] == [0, 0, 1, 1, 2, 3, 3]


def test_preference_breaks_ties_by_tag_then_text_and_puts_unknown_languages_last() -> None:
    order = ("en", "zh")
    texts = [ox.Literal("嵐圖", language="zh-hant"), ox.Literal("岚图汽车", language="zh"), ox.Literal("Voyah"),
             ox.Literal("보야", language="ko"), ox.Literal("Voyah Automobile", language="en")]
    ranked = sorted(texts, key=lambda t: preference(t, 0, order))
    assert [t.value for t in ranked] == ["Voyah Automobile", "岚图汽车", "嵐圖", "Voyah", "보야"]
    assert preference(ox.Literal("x", language="en"), 1, order) > preference(ox.Literal("y", language="ko"), 0, order)


def test_the_language_order_is_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCES_LABEL_LANGUAGES", "zh, en")
    assert Settings().label_languages == ("zh", "en")
    monkeypatch.delenv("ALLIANCES_LABEL_LANGUAGES")
    assert Settings().label_languages == DEFAULT_LABEL_LANGUAGES
    for wrong in ("", "en;zh", "english language"):
        monkeypatch.setenv("ALLIANCES_LABEL_LANGUAGES", wrong)
        with pytest.raises(AllianceError, match="ALLIANCES_LABEL_LANGUAGES"):
            Settings()


@pytest.mark.parametrize("languages, hbis, mou", [
    (("en", "zh"), "HBIS Group", "memorandum of understanding"),
    (("zh", "en"), "河钢集团", "谅解备忘录"),
    (("de",), "HBIS Group", "Absichtserklärung"),  # HBIS has no German name: English comes before Chinese by tag
])
def test_a_build_picks_labels_in_the_configured_order(languages: tuple[str, ...], hbis: str, mou: str) -> None:
    settings = Settings(label_languages=languages)
    store = OxigraphStore.in_memory()
    _, problems = compile_all(store, settings, seed_corpus())
    assert not [p for p in problems if p.severity.value == "violation"]
    assert _label(store, settings, "organisation", "hbis").value == hbis
    assert display_label(store, f"{TAXONOMY_NS}alliance-type/memorandum-of-understanding") == mou


# ------------------------------------------------------------------ one label per entity, read by everyone

def test_every_named_entity_has_exactly_one_display_label(store: OxigraphStore) -> None:
    counts = select(store, """
        SELECT ?e (COUNT(DISTINCT ?l) AS ?n) WHERE { VALUES ?class { %s } ?e a ?class OPTIONAL { ?e al:displayLabel ?l } }
        GROUP BY ?e HAVING (COUNT(DISTINCT ?l) != 1)""" % " ".join(NAMED))
    assert [(row["e"].value, row["n"].value) for row in counts] == []


NAMES_WITHOUT_ENGLISH = """source:
  title: Example
  publisher: Example
  language: ja
  kind: web-page

organisations:
  - id: example-steel-ja-zh
    label: {ja: 例示製鉄, zh: 例示钢铁}
    quote: 例示製鉄
  - id: example-auto-hant-zh
    label: {zh-Hant: 例示汽車, zh: 例示汽车}
    quote: 例示製鉄
"""


def test_display_label_prefers_english_then_chinese_and_keeps_the_language(built: Settings, store: OxigraphStore,
                                                                           tmp_path: Path) -> None:
    assert _label(store, built, "organisation", "hbis") == ox.Literal("HBIS Group", language="en")
    assert _label(store, built, "organisation", "tokyo-steel") == ox.Literal("Tokyo Steel Manufacturing", language="en")
    record = tmp_path / "example-names-without-english.yaml"
    record.write_text(NAMES_WITHOUT_ENGLISH, encoding="utf-8")
    names, settings = OxigraphStore.in_memory(), Settings()
    compile_all(names, settings, seed_corpus() + [record])
    assert _label(names, settings, "organisation", "example-steel-ja-zh") == ox.Literal("例示钢铁", language="zh")  # zh before ja
    assert _label(names, settings, "organisation", "example-auto-hant-zh") == ox.Literal("例示汽车", language="zh")  # zh before zh-hant
    nameless = select(store, "SELECT ?c WHERE { ?c a al:Claim FILTER NOT EXISTS { ?c skos:prefLabel ?any } } LIMIT 1")
    claim = next(iter(nameless))["c"]
    assert display_label(store, claim.value) == claim.value.rsplit("/", 1)[-1]  # the id, without a language


def test_profile_search_network_and_queries_show_the_same_label(store: OxigraphStore) -> None:
    landscape = load_landscape(store)
    for org in landscape.organisations.values():
        assert org.label == display_label(store, org.iri), org.id
    for alliance in landscape.alliances.values():
        assert alliance.title == display_label(store, alliance.iri), alliance.id
    dongfeng = next(o for o in landscape.organisations.values() if o.id == "dongfeng-motor-group")
    assert dongfeng.label == profile(store, "dongfeng-motor-group")["label"] \
        == search(store, "dongfeng-motor-group", limit=1)[0].label  # no English preferred name: not an English alias


def test_a_claim_is_shown_once_in_its_display_measure(store: OxigraphStore) -> None:
    miele = profile(store, "miele")["claims"]
    assert [c["id"] for c in miele].count("miele-salzgitter-green-steel-2023") == 1  # not once per language
    alliances = load_landscape(store).alliances.values()
    tokyo = next(a for a in alliances if a.id == "tokyo-steel-toyota-eaf-automotive-sheet")
    assert [c["measure"] for c in tokyo.claims] == [  # stated only in Chinese: no longer dropped from the network
        row["m"].value for row in select(store, "SELECT ?a ?m WHERE { ?c al:about ?a ; al:displayMeasure ?m } ORDER BY ?m", {"a": ox.NamedNode(tokyo.iri)})]
    assert tokyo.claims


LANGUAGE_CHOICE = re.compile(
    r"CONCAT\(IF\(langMatches"  # the old 'English first, else any' idiom
    r"|(prefLabel|rdfs:label|dcterms:title|al:measure|al:scope|schema:description|schema:addressRegion|schema:location)"
    r"[^\n]*(FILTER\s*\(\s*(LANG|langMatches)\s*\()", re.IGNORECASE)


def test_no_query_or_module_chooses_a_label_language_itself() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".rq", ".py", ".j2") and path.name != "display.py":
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if LANGUAGE_CHOICE.search(line):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "read al:displayLabel (graph/build/display.py) instead:\n" + "\n".join(offenders)


# ------------------------------------------------------------------ the alliance's year

def test_every_alliance_has_one_year_basis_and_a_year_unless_none_is_known(store: OxigraphStore) -> None:
    rows = list(select(store, """
        SELECT ?a (COUNT(DISTINCT ?basis) AS ?bases) (COUNT(DISTINCT ?year) AS ?years) (SAMPLE(?basis) AS ?b) WHERE {
          ?a a al:Alliance OPTIONAL { ?a al:yearBasis ?basis } OPTIONAL { ?a al:year ?year } } GROUP BY ?a"""))
    assert len(rows) > 100
    for row in rows:
        assert row["bases"].value == "1", row["a"]
        assert row["years"].value == ("0" if row["b"].value == "no date known" else "1"), row["a"]


def test_the_network_reads_the_derived_year(store: OxigraphStore) -> None:
    derived = {row["a"].value: (int(row["y"].value) if row["y"] else None, row["b"].value)
               for row in select(store, "SELECT ?a ?y ?b WHERE { ?a al:yearBasis ?b OPTIONAL { ?a al:year ?y } }")}
    landscape = load_landscape(store)
    assert {a.iri: (a.year, a.year_basis) for a in landscape.alliances.values()} == derived
    memorandum = next(a for a in landscape.alliances.values() if a.id == "sms-group-ansteel-green-steel-mou")
    assert (memorandum.year, memorandum.year_basis) == (2025, "signing date")


def test_the_year_rule_has_one_home() -> None:
    """Only the derivation turns a date into a year; readers take al:year."""
    homes = [str(path.relative_to(PROJECT_ROOT)) for path in sorted(PACKAGE.rglob("*"))
             if path.suffix in (".rq", ".py") and re.search(r"\bYEAR\s*\(|_date_alliance|value\[:4\]", path.read_text(encoding="utf-8"))]
    assert homes == ["graph/build/derivations/alliance-year.rq"]


def test_profiles_show_the_year_with_its_basis(store: OxigraphStore) -> None:
    memorandum = profile(store, "sms-group-ansteel-green-steel-mou")
    assert (memorandum["year"], memorandum["year_basis"]) == (2025, "signing date")
    pilot = next(a for a in profile(store, "RMI")["alliances"] if a["id"] == "rmi-automotive-steel-carbon-footprint-pilot")
    assert (pilot["year"], pilot["year_basis"]) == (2024, "earliest source publication")  # not its start, 2023
    # its page shows no date, and its start of operation (December 2023) is a delivery date
    plant = profile(store, "tenova-sinosteel-baosteel-zhanjiang-energiron-dri-plant")
    assert (plant["year"], plant["year_basis"]) == (None, "no date known")


def test_derived_graph_is_described_by_the_ontology(store: OxigraphStore) -> None:
    """Every predicate the derived graph uses is a term the ontology or a reused vocabulary defines."""
    used = {row["p"].value for row in select(store,
        "SELECT DISTINCT ?p WHERE { GRAPH <https://w3id.org/alliance-graph/id/graph/derived> { ?s ?p ?o } }")}
    own = {p for p in used if p.startswith("https://w3id.org/alliance-graph/ontology#")}
    defined = {row["t"].value for row in select(store,
        "SELECT ?t WHERE { GRAPH <https://w3id.org/alliance-graph/id/graph/ontology> { ?t a ?kind } }")}
    assert own and own <= defined, own - defined
