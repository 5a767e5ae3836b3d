"""Named queries (graph/ask/queries/*.rq) against the graph built from data/ (conftest's ``store``).

Every query's first example is run and its answer compared with tests/golden/<name>.json.
After a change to the data or a query, rewrite the goldens with

    UPDATE_GOLDEN=1 python -m pytest tests/test_named_queries.py

and read the diff before committing it: a golden is only as right as the person who checked it.
A few facts are also asserted explicitly, so that a wrong golden cannot hide them.
"""
from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.config import DEFAULT_BASE, PROJECT_ROOT
from graph.ask.query import NamedQuery, named_queries, run_named
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

from conftest import EMPTY_ON_DATA

GOLDEN_DIR = Path(__file__).with_name("golden")
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
QUERY_NAMES = sorted(named_queries())

Row = dict[str, str]


# ------------------------------------------------------------------ helpers and fixtures

def parse_example(example: str) -> tuple[str, dict[str, str]]:
    """('agreements-of', {'org': '河钢'}) for 'alliances query agreements-of --param org=河钢'."""
    words = shlex.split(example)
    assert words[:2] == ["alliances", "query"] and len(words) >= 3, f"an example starts 'alliances query NAME': {example}"
    params: dict[str, str] = {}
    rest = iter(words[3:])
    for word in rest:
        if word == "--param":
            word = next(rest, "")
        elif word.startswith("--param="):
            word = word.removeprefix("--param=")
        else:
            raise AssertionError(f"unexpected '{word}' in example: {example}")
        key, sep, value = word.partition("=")
        assert sep and key, f"--param takes KEY=VALUE, not '{word}', in example: {example}"
        params[key] = value
    return words[2], params


def first_example(query: NamedQuery) -> dict[str, str]:
    return parse_example(query.examples[0])[1]


def answer(store: OxigraphStore, name: str, params: dict[str, str] | None = None) -> tuple[list[str], list[Row]]:
    """The columns and rows of a named query; unbound cells are left out of a row."""
    result = run_named(store, name, params or {})
    assert isinstance(result, ox.QuerySolutions)
    columns = [variable.value for variable in result.variables]
    rows = [{column: row[column].value for column in columns if row[column] is not None} for row in result]
    return columns, rows


def rows_of(store: OxigraphStore, name: str, params: dict[str, str] | None = None) -> list[Row]:
    return answer(store, name, params)[1]


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


# ------------------------------------------------------------------ the query files themselves

def test_there_are_named_queries() -> None:
    expected = {"agreements-of", "partners-of", "automaker-suppliers", "multi-alliance-organisations",
                "alliances-by-material", "pathway-pursuers", "claims", "sources-of", "signatories",
                "agreements-by-year", "unnamed-parties", "organisation-profile-names", "group-members"}
    assert expected <= set(QUERY_NAMES)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_has_question_and_examples_matching_its_parameters(name: str) -> None:
    query = named_queries()[name]
    assert query.question.strip(), f"{name}: no '# question:' line"
    assert query.question.endswith("?"), f"{name}: the question should be a question: {query.question}"
    assert query.examples, f"{name}: no '# example:' line"
    declared = {p.name for p in query.parameters}
    required = {p.name for p in query.parameters if p.default is None}
    for example in query.examples:
        example_name, params = parse_example(example)
        assert example_name == name, f"{name}: the example runs another query: {example}"
        assert set(params) <= declared, f"{name}: the example gives undeclared parameters {set(params) - declared}: {example}"
        assert required <= set(params), f"{name}: the example lacks parameters {required - set(params)}: {example}"
    # Oxigraph substitutes a parameter only where it is projected: it must be a result column.
    for param in query.parameters:
        select = query.text[query.text.index("SELECT"):].split("WHERE", 1)[0]
        assert f"?{param.name}" in select.split(), f"{name}: parameter ?{param.name} is not in the top SELECT"


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_example_runs_and_answers(store: OxigraphStore, name: str) -> None:
    for example in named_queries()[name].examples:
        _, params = parse_example(example)
        if name in EMPTY_ON_DATA:
            assert not rows_of(store, name, params), f"{example} answers now: remove it from EMPTY_ON_DATA"
        else:
            assert rows_of(store, name, params), f"no answer to: {example}"


# ------------------------------------------------------------------ goldens

@pytest.mark.parametrize("name", QUERY_NAMES)
def test_answer_matches_golden(store: OxigraphStore, name: str) -> None:
    query = named_queries()[name]
    params = first_example(query)
    columns, rows = answer(store, name, params)
    values = [value for row in rows for value in row.values()]
    assert not [v for v in values if v.count(DEFAULT_BASE) > 1], "an IRI with the base twice"
    assert not [v for v in values if str(PROJECT_ROOT) in v or ".builds/" in v], "an answer depends on a machine path"
    assert len({json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows}) == len(rows), "duplicate rows"
    actual = {"query": name, "example": query.examples[0], "params": params, "columns": columns, "rows": rows}
    path = GOLDEN_DIR / f"{name}.json"
    if UPDATE_GOLDEN:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no golden answer {path.relative_to(PROJECT_ROOT)}; write it with UPDATE_GOLDEN=1 and check it by hand")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual["params"] == expected["params"], "the first example changed; rewrite the golden"
    assert actual["columns"] == expected["columns"]
    assert actual["rows"] == expected["rows"]


def test_no_stray_goldens() -> None:
    stray = {p.stem for p in GOLDEN_DIR.glob("*.json")} - set(QUERY_NAMES)
    assert not stray, f"goldens without a query: {sorted(stray)}"


def test_answers_do_not_depend_on_the_run(store: OxigraphStore) -> None:
    """Run twice, same rows in the same order (lists inside cells are sorted too)."""
    for name in QUERY_NAMES:
        params = first_example(named_queries()[name])
        assert rows_of(store, name, params) == rows_of(store, name, params), name


# ------------------------------------------------------------------ facts, asserted one by one

def test_agreements_of_hbis_include_bmw_memorandum_and_rmi_pilot(store: OxigraphStore) -> None:
    rows = {local(r["alliance_id"]): r for r in rows_of(store, "agreements-of", {"org": "河钢"})}
    assert set(rows) >= {"bmw-hbis-green-low-carbon-steel-supply-chain-mou", "rmi-automotive-steel-carbon-footprint-pilot"}
    mou = rows["bmw-hbis-green-low-carbon-steel-supply-chain-mou"]
    assert (mou["member"], mou["role"], mou["partners"]) == ("HBIS Group", "supplier", "BMW Group (buyer)")
    assert mou["signed"] == "2022-08-04"
    assert mou["materials"] == "low-carbon automotive steel"
    assert "http://www.ecar168.com.cn/content/1037522.html" in mou["urls"].split()
    pilot = rows["rmi-automotive-steel-carbon-footprint-pilot"]
    assert pilot["start"] == "2023-07" and "RMI (convener)" in pilot["partners"]


def test_agreements_of_a_group_include_its_members(store: OxigraphStore) -> None:
    rows = rows_of(store, "agreements-of", {"org": "China Baowu"})
    by_alliance = {local(r["alliance_id"]): r["member"] for r in rows}
    assert by_alliance["faw-volkswagen-baosteel-green-steel-memorandum"] == "Baosteel"
    assert by_alliance["rmi-automotive-steel-carbon-footprint-pilot"] == "China Baowu Steel Group"
    bmw = {(local(r["alliance_id"]), r["member"]) for r in rows_of(store, "agreements-of", {"org": "BMW"})}
    assert ("bmw-brilliance-recycled-aluminium-mou", "BMW Brilliance") in bmw  # a joint venture of BMW Group
    assert len(bmw) >= 6


def test_alliances_by_material_include_narrower_materials(store: OxigraphStore) -> None:
    steel = {local(r["alliance_id"]): r for r in rows_of(store, "alliances-by-material", {"material": "steel"})}
    assert set(steel) >= {"faw-volkswagen-baosteel-green-steel-memorandum",   # green steel
                          "bmw-hbis-green-low-carbon-steel-supply-chain-mou",  # low-carbon automotive steel
                          "sms-group-ansteel-green-steel-mou",                 # green steel
                          "rmi-automotive-steel-carbon-footprint-pilot"}       # automotive steel
    assert steel["bmw-hbis-green-low-carbon-steel-supply-chain-mou"]["materials"] == "low-carbon automotive steel"
    aluminium = {local(r["alliance_id"]) for r in rows_of(store, "alliances-by-material", {"material": "铝"})}
    assert aluminium >= {"bmw-brilliance-green-electrolytic-aluminium-mou", "bmw-brilliance-recycled-aluminium-mou"}
    assert "faw-volkswagen-baosteel-green-steel-memorandum" not in aluminium


def test_signatories_and_attendees(store: OxigraphStore) -> None:
    rows = [r for r in rows_of(store, "signatories") if local(r["alliance_id"]) == "sms-group-ansteel-green-steel-mou"]
    signatories = {(r.get("person", ""), r["post"], r["signed_for"]) for r in rows if r["took_part_as"] == "signatory"}
    assert signatories == {("Peter Langner", "CEO (SMS group China)", "SMS group"),
                           ("", "head of strategic planning (Ansteel Group)", "Ansteel Group")}
    attendees = {(r["person"], r["post"]) for r in rows if r["took_part_as"] == "attendee"}
    # Japan Metal Daily names SMS group China's CEO, who signed, among those at the ceremony too
    assert attendees == {("Jochen Burg", "CEO (SMS group)"), ("Tan Chengxu", "chairman and party secretary (Ansteel Group)"),
                         ("Peter Langner", "CEO (SMS group China)")}
    assert {r["signing_date"] for r in rows} == {"--01-16, 2025-01-16"}
    hbis = [r for r in rows_of(store, "signatories") if local(r["alliance_id"]) == "bmw-hbis-green-low-carbon-steel-supply-chain-mou"]
    assert [(r["took_part_as"], r["signing_date"], r["signing_place"]) for r in hbis] == [("none named", "2022-08-04", "Shenyang, Liaoning Province")]


def test_claims(store: OxigraphStore) -> None:
    all_rows = rows_of(store, "claims")
    assert {"11.98", "90", "15", "50", "33"} <= {r["value"] for r in all_rows}
    seed_claims = {"rmi-pilot-share-of-global-steel-supply": "11.98", "green-and-recycled-aluminium-90-percent-lower-emissions": "90",
                   "steel-industry-share-of-china-carbon-emissions": "15"}
    rows = {seed_claims[local(r["claim_id"])]: r for r in all_rows if local(r["claim_id"]) in seed_claims}
    assert rows["11.98"]["about"] == "Carbon footprint accounting pilot for automotive steel (alliance)"
    assert rows["11.98"]["unit"] == "percent" and rows["11.98"]["published"] == "2024-07-05"
    assert rows["90"]["compared_to"] == "primary aluminium (material)"
    assert rows["90"]["about"] == "green electrolytic aluminium (material), recycled aluminium (material)"
    assert rows["90"]["quotes"].startswith("Carbon emissions decrease by 90%!")
    assert rows["15"]["approximate"] == "yes" and rows["15"]["about"] == "steel (sector)"


def test_agreements_by_year_basis(store: OxigraphStore) -> None:
    rows = rows_of(store, "agreements-by-year")
    years = {title: (r.get("year", ""), r["basis"]) for r in rows for title in r["alliances"].split(" | ")}
    assert years["SMS group and Ansteel Group memorandum on green steel technologies"] == ("2025", "signing date")  # not --01-16
    assert years["Memorandum of Understanding on Building a Green and Low-Carbon Steel and Iron Supply Chain"] == ("2022", "signing date")
    # started in 2023 by its own start date, a delivery field: it counts by its source, published in 2024
    assert years["Carbon footprint accounting pilot for automotive steel"] == ("2024", "earliest source publication")
    assert years["Carbon-Neutral 'Green Steel' Cooperation Memorandum"] == ("2024", "earliest source publication")
    # its page shows no date, and its start of operation (December 2023) is a delivery date
    assert years["ENERGIRON hydrogen-based direct reduction plant for Baosteel Zhanjiang"] == ("", "no date known")
    alliances = int(next(iter(select(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a al:Alliance }")))["n"].value)
    assert sum(int(r["alliance_count"]) for r in rows) == alliances


def test_unnamed_parties_identified(store: OxigraphStore) -> None:
    rows = {local(r["party_id"]): r for r in rows_of(store, "unnamed-parties")}
    assert local(rows["henan-aluminium-company-1"]["identified_as_id"]) == "henan-shenhuo-group"
    assert local(rows["henan-aluminium-company-2"]["identified_as_id"]) == "shuaiyichi-new-materials-group"
    assert rows["henan-aluminium-company-1"]["identified_by"] == "华晨宝马签订绿色电解铝和再生铝备忘录"
    assert rows["henan-aluminium-company-1"]["region"] == "Henan Province"
    assert "identified_as" not in rows["rmi-pilot-fourth-automaker"]


def test_partners_and_suppliers_at_group_level(store: OxigraphStore) -> None:
    partners = {r["partner"]: r for r in rows_of(store, "partners-of", {"org": "BMW"})}
    assert set(partners) >= {"HBIS Group", "Huayou Cycle", "Henan aluminium company (unnamed, 1 of 2)",
                             "Henan aluminium company (unnamed, 2 of 2)"}
    assert partners["Huayou Cycle"]["partner_groups"] == "Zhejiang Huayou Cobalt"
    assert partners["Henan aluminium company (unnamed, 1 of 2)"]["via_members"] == "BMW Brilliance"
    pairs = {(r["automaker"], r["supplier"]): r for r in rows_of(store, "automaker-suppliers")}
    faw = pairs[("FAW-Volkswagen", "Baosteel")]
    assert (faw["automaker_groups"], faw["supplier_groups"], faw["materials"]) == ("FAW Group, Volkswagen Group", "China Baowu Steel Group", "green steel")
    assert pairs[("BMW Group", "HBIS Group")]["supplier_role"] == "supplier"
    assert ("BMW Group", "Huayou Cycle") not in pairs  # battery materials, not steel or aluminium
    multi = {r["organisation"]: r for r in rows_of(store, "multi-alliance-organisations")}
    assert int(multi["BMW Group"]["alliance_count"]) > int(multi["BMW Group"]["direct_count"]) >= 4  # BMW Brilliance counts at group level
    assert "Volvo" not in multi


def test_names_come_with_their_sources(store: OxigraphStore) -> None:
    rows = {(r["name"], r["kind"]): r for r in rows_of(store, "organisation-profile-names", {"org": "河钢"})}
    assert "2023-06-24-hebei-news-hbis-hydrogen" in rows[("河钢", "alias")]["source_ids"].split()
    assert rows[("河钢集团", "preferred")]["language"] == "zh"
    assert rows[("HBIS Group", "preferred")]["language"] == "en"


def test_sources_of_an_alliance(store: OxigraphStore) -> None:
    rows = rows_of(store, "sources-of", {"alliance": "sms-group-ansteel-green-steel-mou"})
    assert {(r["language"], r.get("published", "")) for r in rows} >= {("de", ""), ("zh", "2025-01-24")}
    assert any("vom Leiter Strategische Planung der Ansteel Group und Peter Langner, CEO der SMS group China" in r["quotes"] for r in rows)


def test_binding_deals_only(store: OxigraphStore) -> None:
    binding = {r["alliance_id"].rsplit("/", 1)[-1] for r in rows_of(store, "alliances-by-status", {"status": "binding"})}
    assert "h2-green-steel-mercedes-benz-supply-agreement-2023" in binding
    assert "vale-kobe-steel-mitsui-low-co2-metallics-hoa" not in binding  # non-binding heads of agreement
    non_binding = {r["alliance_id"].rsplit("/", 1)[-1] for r in rows_of(store, "alliances-by-status", {"status": "non-binding"})}
    assert non_binding & binding == set() and "vale-kobe-steel-mitsui-low-co2-metallics-hoa" in non_binding


def test_status_history_follows_the_deal_in_time(store: OxigraphStore) -> None:
    rows = rows_of(store, "status-history", {"alliance": "h2-green-steel-mercedes-benz-supply-agreement-2023"})
    # the 2023 agreement succeeds the offtake BusinessGreen reported on 2022-05-11 ("yesterday")
    assert [(r["record"], r.get("date"), r["status"], r["current"]) for r in rows] == [
        ("Mercedes-Benz off-take supply agreement with H2 Green Steel", "2022-05-10", "announced", "binding"),
        ("Mercedes-Benz supply agreement with H2 Green Steel for its European press shops", "2023-06", "binding", "binding")]
    assert rows[1]["date_basis"] == '"now" in an article dated 2023-06-07'
