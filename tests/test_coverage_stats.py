"""Issue 12's measures: corroboration by independent sources (a reprint is not one), alliances by
region, the balance across materials, the largest producers with no deal, and likely duplicates."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph import api
from graph.cli import main
from graph.config import Settings
from graph.errors import InvalidData
from graph.network.stats import stats
from graph.rdf.store import OxigraphStore
from graph.records.reference import read_largest_producers

ORGS = """
organisations:
  - {id: example-steel-jp, kind: company, label: {en: Example Steel Japan}, sector: steel, country: JP, quote: "a Japanese steelmaker"}
  - {id: example-motors-de, kind: company, label: {en: Example Motors}, sector: automotive, country: DE, quote: "a German carmaker"}
  - {id: example-alu-no, kind: company, label: {en: Example Aluminium}, sector: aluminium, country: "NO", quote: "a Norwegian smelter"}
"""


def record(publisher: str, alliance: str, parties: tuple[str, str] = ("example-steel-jp", "example-motors-de"),
           material: str = "green-steel", copies: str | None = None, extra: str = "") -> str:
    copied = f"\n  copies: {copies}" if copies else ""
    return f"""source:
  title: A report by {publisher}
  url: https://example.org/{publisher.replace(' ', '-').lower()}/{alliance}
  publisher: {publisher}{copied}
  published: 2025-03-04
  language: en
  kind: news-article
{ORGS}
alliances:
  - id: {alliance}
    type: supply-agreement{extra}
    parties:
      - {{organisation: {parties[0]}, role: supplier}}
      - {{organisation: {parties[1]}, role: buyer}}
    materials: [{material}]
    status: [{{status: binding, quote: "signed a supply agreement"}}]
    quote: "signed a supply agreement"
"""


def write(settings: Settings, name: str, text: str) -> Path:
    path = settings.data_dir / "sources" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_reprint_does_not_corroborate_the_text_it_copies(own_data: Settings) -> None:
    write(own_data, "example-release", record("Example Steel Japan", "example-reprinted-deal"))
    write(own_data, "example-reprint", record("Wire Service", "example-reprinted-deal", copies="Example Steel Japan"))
    write(own_data, "example-release-2", record("Example Steel Japan", "example-reported-deal", material="primary-aluminium"))
    write(own_data, "example-own-report", record("Trade Weekly", "example-reported-deal", material="primary-aluminium"))
    api.build(own_data)
    store = OxigraphStore.open(own_data.store_path)
    from graph.network.landscape import load_landscape
    from graph.network.coverage import independent_origins

    landscape = load_landscape(store)
    assert independent_origins(landscape.alliances[_iri(landscape, "example-reprinted-deal")], landscape) == {"example steel japan"}
    assert len(independent_origins(landscape.alliances[_iri(landscape, "example-reported-deal")], landscape)) == 2
    data = stats(store, landscape)
    expected = sum(1 for a in landscape.alliances.values() if len(independent_origins(a, landscape)) >= 2)
    assert data["corroboration"]["with_two_independent_sources"] == expected
    reprinted_sources = len(landscape.alliances[_iri(landscape, "example-reprinted-deal")].sources)
    assert reprinted_sources == 2  # two sources, one origin: not corroborated


def _iri(landscape: object, ident: str) -> str:
    from graph.network.landscape import Landscape

    assert isinstance(landscape, Landscape)
    return next(a.iri for a in landscape.alliances.values() if a.id == ident)


def test_regions_and_balance_count_each_alliance_once_per_region(own_data: Settings) -> None:
    write(own_data, "example-jp-de", record("Trade Weekly", "example-jp-de-deal"))
    write(own_data, "example-no-de", record("Trade Weekly", "example-no-de-deal", ("example-alu-no", "example-motors-de"), "primary-aluminium"))
    api.build(own_data)
    store = OxigraphStore.open(own_data.store_path)
    before = stats(OxigraphStore.open(_built_without(own_data)))
    after = stats(store)
    regions = {k: after["by_region"]["target_regions"][k] - before["by_region"]["target_regions"][k] for k in after["by_region"]["target_regions"]}
    # Japan-Germany counts for Japan and Korea only (Germany is not 'Europe outside Germany');
    # Norway-Germany counts for Europe outside Germany once.
    assert regions == {"North America": 0, "Japan and Korea": 1, "China": 0, "Europe outside Germany": 1}
    assert after["by_region"]["by_continent"]["Europe"] - before["by_region"]["by_continent"].get("Europe", 0) == 2
    assert after["balance"]["steel"] - before["balance"]["steel"] == 1
    assert after["balance"]["aluminium"] - before["balance"]["aluminium"] == 1
    assert after["balance"]["steel_share"] == round(after["balance"]["steel"] / after["alliances"], 4)


def _built_without(settings: Settings) -> Path:
    """A build of the seed corpus alone, beside the test's own."""
    other = Settings(data_dir=settings.data_dir.parent / "seed-only", store_path=settings.store_path.parent.parent / "seed-store" / "store")
    (other.data_dir / "sources").mkdir(parents=True)
    for path in (settings.data_dir / "sources").glob("*.yaml"):
        if not path.name.startswith("example-"):
            (other.data_dir / "sources" / path.name).write_bytes(path.read_bytes())
    api.build(other)
    return other.store_path


RANKING = """steelmakers:
  source:
    title: Top steel producers (example)
    url: https://example.org/top-steel
    publisher: Example Association
    published: 2025-06
    language: en
    quote: "the largest steel-producing companies"
  ranking:
    - {rank: 1, name: Example Steel Japan, organisation: example-steel-jp, output: "10 Mt"}
    - {rank: 2, name: Baosteel, organisation: baosteel}
    - {rank: 3, name: Nobody Steel}
"""


def test_the_largest_producers_without_a_deal_are_named(own_data: Settings) -> None:
    write(own_data, "example-jp-de", record("Trade Weekly", "example-jp-de-deal"))
    (own_data.data_dir / "reference").mkdir()
    (own_data.data_dir / "reference" / "largest-producers.yaml").write_text(RANKING, encoding="utf-8")
    api.build(own_data)
    assert [p for p in api.validate(own_data) if p.severity.value == "violation"] == []
    ranking = read_largest_producers(own_data.data_dir)
    data = stats(OxigraphStore.open(own_data.store_path), ranking=ranking)
    steel = data["largest_without_deal"]["steelmakers"]
    assert (steel["listed"], steel["with_deal"], steel["without_deal"]) == (3, 2, ["Nobody Steel"])
    assert steel["ranking"] == "https://example.org/top-steel"


def test_a_bad_ranking_file_is_named_with_its_line_and_keeps_the_previous_graph(own_data: Settings) -> None:
    write(own_data, "example-jp-de", record("Trade Weekly", "example-jp-de-deal"))
    api.build(own_data)
    (own_data.data_dir / "reference").mkdir()
    path = own_data.data_dir / "reference" / "largest-producers.yaml"
    path.write_text(RANKING.replace("organisation: baosteel", "organisation: no-such-steel"), encoding="utf-8")
    with pytest.raises(InvalidData) as refused:
        api.build(own_data)
    problems = [p for p in refused.value.problems if p.rule == "unknown-organisation"]
    assert [(p.file, p.line) for p in problems] == [("data/reference/largest-producers.yaml", 11)]
    assert "alliances search" in problems[0].fix
    path.write_text(RANKING.replace("rank: 3", "rank: 0"), encoding="utf-8")
    problems = [p for p in api.validate(own_data) if p.rule == "record-schema"]
    assert [(p.file, p.line) for p in problems] == [("data/reference/largest-producers.yaml", 12)]
    assert "whole number" in problems[0].fix
    path.write_text(RANKING.replace("    language: en", "    language: en\n    lang: en"), encoding="utf-8")
    problems = [p for p in api.validate(own_data) if p.rule == "record-schema"]
    assert [(p.file, p.line) for p in problems] == [("data/reference/largest-producers.yaml", 8)]
    assert "unknown field 'lang'" in problems[0].message
    assert OxigraphStore.open(own_data.store_path).query("ASK { ?a a <https://w3id.org/alliance-graph/ontology#Alliance> }")


def test_two_reports_of_one_deal_as_two_alliances_are_flagged(own_data: Settings) -> None:
    write(own_data, "example-first", record("Trade Weekly", "example-first-report"))
    second = write(own_data, "example-second", record("Other Weekly", "example-second-report"))
    api.build(own_data)
    flagged = [p for p in api.validate(own_data) if p.rule == "likely-duplicate"]
    assert len(flagged) == 1 and "example-first-report" in flagged[0].message and flagged[0].severity.value == "warning"
    assert flagged[0].file.endswith("example-second.yaml")
    second.write_text(record("Other Weekly", "example-second-report", extra="\n    distinct_from: [example-first-report]"), encoding="utf-8")
    api.build(own_data)
    assert [p for p in api.validate(own_data) if p.rule == "likely-duplicate"] == []


def test_the_project_data_has_no_likely_duplicates(built: Settings) -> None:
    problems = api.validate(built)
    assert [str(p) for p in problems if p.rule in ("likely-duplicate", "alliance-unique")] == []


def test_stats_reports_coverage_in_text_and_json(runner: CliRunner, built: Settings) -> None:
    data = json.loads(runner.invoke(main, ["--store", str(built.store_path), "stats", "--format", "json"]).stdout)
    corroboration = data["corroboration"]
    assert 0 < corroboration["with_two_independent_sources"] <= data["alliances"] - corroboration["with_one_source"]
    assert set(data["by_region"]["target_regions"]) == {"North America", "Japan and Korea", "China", "Europe outside Germany"}
    assert sum(data["by_region"]["by_continent"].values()) >= data["alliances"]
    text = runner.invoke(main, ["--store", str(built.store_path), "stats"]).output
    assert "corroborated by two independent sources:" in text and "Europe outside Germany:" in text


def test_one_page_read_twice_is_flagged_with_both_places(own_data: Settings) -> None:
    # Three helpers once added the same RMI page as three files: each counted as a source.
    write(own_data, "example-first", record("Trade Weekly", "example-one-deal"))
    text = record("Trade Weekly", "example-one-deal").replace("https://example.org/", "http://www.EXAMPLE.org/").replace(
        "example-one-deal\n  publisher", "example-one-deal/\n  publisher")
    write(own_data, "example-second", text)
    with pytest.raises(InvalidData) as refused:
        api.build(own_data)
    flagged = [p for p in refused.value.problems if p.rule == "one-file-per-page"]
    assert len(flagged) == 1 and flagged[0].file.endswith("example-second.yaml") and "example-first.yaml:" in flagged[0].message
