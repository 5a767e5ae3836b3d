"""``alliances stats`` reports consistent counts and the gaps in the data."""
from __future__ import annotations

import json

from click.testing import CliRunner

from graph.cli import main
from graph.config import Settings
from graph.ask.profile import profile
from graph.rdf.store import OxigraphStore


def test_stats_json_is_consistent_with_the_graph(runner: CliRunner, built: Settings) -> None:
    result = runner.invoke(main, ["--store", str(built.store_path), "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sum(data["by_type"].values()) == data["alliances"]
    assert sum(data["by_year"].values()) == data["alliances"]
    organisations = data["organisations"]
    assert sum(data["by_sector"].values()) == sum(data["by_country"].values()) == organisations["named"]
    assert organisations["named"] - organisations["with_sector"] == data["by_sector"].get("(no sector)", 0)
    assert organisations["named"] - organisations["with_country"] == data["by_country"].get("(no country)", 0)
    assert organisations["with_english_name"] <= organisations["named"]
    quantities = data["quantities"]
    assert sum(quantities["by_kind"].values()) == quantities["with_unit_or_currency"] == quantities["claims"]  # every claim has one
    assert sum(data["sources_by_language"].values()) == data["sources"] == len(list((built.data_dir / "sources").glob("*.yaml")))
    assert data["quotes"]["share"] == 1.0  # every entry of every record carries a quote
    assert {"zh", "en", "de"} <= set(data["sources_by_language"])


def test_stats_names_the_gaps(runner: CliRunner, built: Settings) -> None:
    data = json.loads(runner.invoke(main, ["--store", str(built.store_path), "stats", "--format", "json"]).stdout)
    gaps = {o["id"]: o for o in data["lacking_home_language_name"]}
    assert "hbis" not in gaps  # 河钢集团 is its home-language name
    store = OxigraphStore.open(built.store_path)
    for ident, gap in list(gaps.items())[:20]:
        names = profile(store, ident)["names"]
        languages = {lang.split("-")[0] for kind in names.values() for lang in kind}
        if gap["missing"] == "country":
            assert not any(f["property"] == "country" for f in profile(store, ident)["facts"])
        else:
            assert gap["missing"] not in languages
    text = runner.invoke(main, ["--store", str(built.store_path), "stats"]).output
    assert "lacking a name in their home language" in text and "quotes:" in text


def test_stats_count_dates_by_basis_and_status(runner: CliRunner, built: Settings) -> None:
    data = json.loads(runner.invoke(main, ["--store", str(built.store_path), "stats", "--format", "json"]).stdout)
    assert sum(data["dates"]["by_basis"].values()) == data["alliances"]
    assert data["dates"]["with_year"] == data["alliances"] - data["dates"]["by_basis"].get("no date known", 0)
    assert data["dates"]["with_year"] == data["alliances"] - data["by_year"].get("(no year)", 0)
    assert "start date" not in data["dates"]["by_basis"]
    assert data["dates"]["by_basis"]["announcement date"] >= 1  # the Vale heads of agreement
    assert data["status"]["with_status"] == sum(data["status"]["by_status"].values())
    assert {"binding", "non-binding"} <= set(data["status"]["by_status"])
