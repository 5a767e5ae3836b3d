"""Dates at the source's precision, the alliance's year (never a delivery year) and its status over
time: the record rules, the derivations (graph/build/derivations/alliance-year.rq and
current-status.rq) and the shape that refuses a year taken from a delivery field."""
from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

import graph.build.derive
from graph.ask.query import run_named
from graph.build.pipeline import check, compile_all
from graph.network.filters import NetworkFilter
from graph.network.landscape import load_landscape
from graph.config import TAXONOMY_NS, Settings
from graph.problems import Severity
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

from conftest import FIXTURES, seed_corpus

HEADER = """source:
  title: Example {ident}
  publisher: Example Wire
  {published}
  language: en
  kind: news-article

alliances:
  - id: {ident}
    type: offtake-agreement
    parties:
      - {{organisation: bmw-group, role: buyer}}
      - {{organisation: hbis, role: supplier}}
{fields}
    quote: "an offtake agreement"
"""

# ident -> (published, alliance fields); each is one rule of the year or of the status.
DEALS = {
    "signed-announced-started": ("published: 2025-02-01", "    signing: {date: 2023-11}\n    announcement: {date: \"2022\"}\n    start: \"2027\""),
    "announced-and-started": ("published: 2025-02-01", "    announcement: {date: 2024-01-16, basis: '\"Tuesday\" in an article dated 2024-01-18'}\n    start: \"2026\""),
    "only-a-delivery-start": ("published: 2022-10-13", "    start: \"2026\"\n    end: \"2030\""),
    "undated-source-with-a-start": ("", "    start: \"2026\"\n    signing: {date: --10-12}"),
    "status-tie-on-a-date": ("published: 2024-05-01", "    status:\n"
                             "      - {status: non-binding, quote: \"a memorandum\"}\n"
                             "      - {status: binding, date: 2024-04, quote: \"a binding contract\"}\n"
                             "      - {status: final-investment-decision, date: 2024-04, quote: \"and a final investment decision\"}"),
    "status-only-undated": ("published: 2024-05-01", "    status:\n      - {status: non-binding, quote: \"a non-binding memorandum\"}"),
    "binding-then-only-mentioned": ("published: 2024-05-01", "    status:\n"
                                    "      - {status: binding, date: 2023-01, quote: \"a binding contract\"}\n"
                                    "      - {status: announced, date: 2024-02, quote: \"the deal, announced in 2023\"}"),
    "undated-deliveries-after-a-dated-memorandum": ("published: 2024-05-01", "    status:\n"
                                                    "      - {status: delivering, quote: \"first deliveries\"}\n"
                                                    "      - {status: non-binding, date: 2023-03, quote: \"a memorandum\"}"),
}


def _write(folder: Path, ident: str, published: str, fields: str) -> Path:
    path = folder / f"{ident}.yaml"
    path.write_text(HEADER.format(ident=ident, published=published, fields=fields), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, Settings]:
    folder = tmp_path_factory.mktemp("dated")
    files = seed_corpus() + [_write(folder, ident, *deal) for ident, deal in DEALS.items()]
    settings = Settings(data_dir=folder)
    store = OxigraphStore.in_memory()
    _, problems = compile_all(store, settings, files)
    assert [str(p) for p in problems if p.severity is Severity.VIOLATION] == []
    return store, settings


def _one(store: OxigraphStore, settings: Settings, ident: str, sparql: str) -> list[str | None]:
    rows = list(select(store, sparql, {"a": ox.NamedNode(settings.entity_iri("alliance", ident))}))
    assert len(rows) == 1, f"{ident}: {len(rows)} rows"
    return [rows[0][v].value if rows[0][v] is not None else None for v in range(1, len(rows[0]))]


def _year(store: OxigraphStore, settings: Settings, ident: str) -> tuple[str | None, str | None]:
    year, basis = _one(store, settings, ident, "SELECT ?a ?y ?b WHERE { ?a al:yearBasis ?b OPTIONAL { ?a al:year ?y } }")
    return year, basis


@pytest.mark.parametrize(("ident", "expected"), [
    ("signed-announced-started", ("2023", "signing date")),
    ("announced-and-started", ("2024", "announcement date")),
    ("only-a-delivery-start", ("2022", "earliest source publication")),
    ("undated-source-with-a-start", (None, "no date known")),
])
def test_the_year_is_signing_then_announcement_then_publication_never_delivery(dated: tuple[OxigraphStore, Settings],
                                                                                ident: str, expected: tuple[str | None, str]) -> None:
    assert _year(*dated, ident) == expected


def test_an_announcement_keeps_its_precision_and_how_it_was_resolved(dated: tuple[OxigraphStore, Settings]) -> None:
    store, settings = dated
    date, basis = _one(store, settings, "announced-and-started",
                       "SELECT ?a ?d ?b WHERE { ?a al:announcement ?e . ?e a al:AnnouncementEvent ; schema:startDate ?d ; al:dateBasis ?b "
                       "FILTER (datatype(?d) = xsd:date) }")
    assert (date, basis) == ("2024-01-16", '"Tuesday" in an article dated 2024-01-18')


def test_the_current_status_is_the_furthest_stage_reported(dated: tuple[OxigraphStore, Settings]) -> None:
    """Deals move forward: a later mention that says nothing of bindingness does not undo a binding
    contract, and an undated report of deliveries outranks a dated memorandum."""
    store, settings = dated
    sparql = "SELECT ?a ?s WHERE { ?a al:currentStatus ?s }"
    assert _one(store, settings, "binding-then-only-mentioned", sparql) == [f"{TAXONOMY_NS}status/binding"]
    assert _one(store, settings, "undated-deliveries-after-a-dated-memorandum", sparql) == [f"{TAXONOMY_NS}status/delivering"]
    assert _one(store, settings, "status-tie-on-a-date", sparql) == [f"{TAXONOMY_NS}status/final-investment-decision"]
    assert _one(store, settings, "status-only-undated", sparql) == [f"{TAXONOMY_NS}status/non-binding"]
    assert list(select(store, sparql, {"a": ox.NamedNode(settings.entity_iri("alliance", "only-a-delivery-start"))})) == []


def test_asking_for_binding_deals_finds_the_later_stages_too(dated: tuple[OxigraphStore, Settings]) -> None:
    """Final investment decision, delivering and completed are narrower than binding (statuses.ttl)."""
    store, settings = dated
    rows = run_named(store, "alliances-by-status", {"status": "binding"})
    assert isinstance(rows, ox.QuerySolutions)
    found = {row["alliance_id"].value.rsplit("/", 1)[-1]: row["current"].value for row in rows}
    assert found["status-tie-on-a-date"] == "final investment decision"
    assert "status-only-undated" not in found  # non-binding
    landscape = load_landscape(store)
    binding = NetworkFilter(status="status/binding")
    kept = {a.id for a in landscape.alliances.values() if binding.keeps_alliance(a)}
    assert "status-tie-on-a-date" in kept and "status-only-undated" not in kept
    assert not NetworkFilter(status="status/delivering").keeps_alliance(landscape.alliances[settings.entity_iri("alliance", "status-tie-on-a-date")])


def test_a_year_taken_from_a_delivery_field_is_refused_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A derivation that falls back on the start date (as one did) breaks the year-basis shape."""
    rules = tmp_path / "derivations"
    shutil.copytree(graph.build.derive.DERIVATIONS, rules)
    year_rule = rules / "alliance-year.rq"
    text = year_rule.read_text(encoding="utf-8")
    year_rule.write_text(text.replace("al:announcement/schema:startDate", "schema:startDate")
                         .replace('"announcement date"', '"start date"'), encoding="utf-8")
    monkeypatch.setattr(graph.build.derive, "DERIVATIONS", rules)
    record = _write(tmp_path, "only-a-delivery-start", *DEALS["only-a-delivery-start"])
    settings = Settings(data_dir=tmp_path)
    problems = [p for p in check(settings, seed_corpus() + [record]) if p.severity is Severity.VIOLATION]
    assert {p.rule for p in problems} == {"shape:yearBasis"}  # seed records with a start date are refused too
    mine = [p for p in problems if p.file == settings.display(record)]
    assert [p.line for p in mine] == [9]  # the alliance's entry
    assert "never on a delivery date [start]" in mine[0].message and "(value start date)" in mine[0].message


def test_the_bluemint_memoranda_of_october_2022_do_not_count_in_their_delivery_year(store: OxigraphStore) -> None:
    """Both were signed in October 2022 for supplies from 2026 (their start). The Miele record's
    source is dated 2022-10-13; the Mubea memorandum's SteelOrbis page shows no date, and
    Stahleisen's report of it, dated 2022-10-04, gives its year."""
    years = {row["a"].value.rsplit("/", 1)[-1]: (row["y"].value if row["y"] else None, row["b"].value) for row in select(store,
        "SELECT ?a ?y ?b WHERE { VALUES ?a { <https://w3id.org/alliance-graph/id/alliance/thyssenkrupp-steel-miele-bluemint-mou> "
        "<https://w3id.org/alliance-graph/id/alliance/thyssenkrupp-steel-mubea-bluemint-mou> } ?a al:yearBasis ?b OPTIONAL { ?a al:year ?y } }")}
    assert years["thyssenkrupp-steel-miele-bluemint-mou"] == ("2022", "earliest source publication")
    assert years["thyssenkrupp-steel-mubea-bluemint-mou"] == ("2022", "earliest source publication")


def test_the_mubea_memorandum_counts_in_2022_once_its_source_date_is_recorded(own_data: Settings) -> None:
    """The earliest-publication rule gives 2022 as soon as the record carries the page's date."""
    name = "steelorbis-thyssenkrupp-mubea-bluemint-mou.yaml"
    original = Path(__file__).parents[1] / "data" / "sources" / name
    copy = own_data.data_dir / "sources" / name
    copy.write_text(original.read_text(encoding="utf-8").replace("  language: en\n", "  published: 2022-10\n  language: en\n", 1),
                    encoding="utf-8")
    store = OxigraphStore.in_memory()
    compile_all(store, own_data, seed_corpus() + [copy])
    assert _year(store, own_data, "thyssenkrupp-steel-mubea-bluemint-mou") == ("2022", "earliest source publication")


def test_the_valid_fixture_with_a_status_history_builds(tmp_path: Path) -> None:
    path = FIXTURES / "records" / "valid" / "dated-deal-with-status-history.yaml"
    store = OxigraphStore.in_memory()
    settings = Settings()
    compile_all(store, settings, seed_corpus() + [path])
    assert _year(store, settings, "example-dated-offtake-deal") == ("2024", "signing date")
    assert _one(store, settings, "example-dated-offtake-deal", "SELECT ?a ?s WHERE { ?a al:currentStatus ?s }") == [f"{TAXONOMY_NS}status/delivering"]
