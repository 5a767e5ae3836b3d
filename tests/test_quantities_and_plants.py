"""Quantities with units (pint) or currencies (ISO 4217), plants, and identifiers other datasets
share: the record rules (graph/records/quantities.py), what the build emits, and the named queries
that read them (volumes-by-status, plants, external-identifiers)."""
from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest

from graph.ask.profile import profile
from graph.ask.query import run_named
from graph.ask.render import render_profile
from graph.build.pipeline import compile_all
from graph.config import Settings
from graph.problems import Severity
from graph.rdf.store import OxigraphStore
from graph.records.quantities import UnitError, read_quantity

from conftest import FIXTURES, seed_corpus

VALID = FIXTURES / "records" / "valid" / "offtake-with-volume-money-and-plant.yaml"


@pytest.mark.parametrize(("value", "unit", "kind", "normalised", "canonical"), [
    ("1.5", "megatonne / year", "mass per year", "1500000", "tonne / year"),
    ("45", "kilotonne / year", "mass per year", "45000", "tonne / year"),
    ("2", "Mt/a", "mass per year", "2000000", "tonne / year"),
    ("130", "kilotonne", "mass", "130000", "tonne"),
    ("500", "MWh", "energy", "0.5", "GWh"),
    ("24", "GWh / year", "energy per year", "24", "GWh / year"),
    ("5", "MW", "power", "5", "MW"),
    ("20", "percent", "share", "20", "percent"),
    ("12", "count", "count", "12", "count"),
    ("3", "MtCO2e", "emissions", "3000000", "tCO2e"),
    ("800", "kgCO2e / tonne", "emission intensity", "800", "kgCO2e / tonne"),
])
def test_a_unit_gives_the_kind_and_a_value_in_the_canonical_unit(value: str, unit: str, kind: str, normalised: str, canonical: str) -> None:
    quantity = read_quantity(value, unit)
    assert (quantity.kind, quantity.normalised, quantity.canonical_unit) == (kind, Decimal(normalised), canonical)


@pytest.mark.parametrize("unit", ["tonne of steel", "metre", "kelvin", "1 +", "__class__"])
def test_a_unit_pint_cannot_read_or_that_measures_nothing_recorded_is_refused(unit: str) -> None:
    with pytest.raises(UnitError):
        read_quantity("1", unit)


def test_emissions_are_not_a_mass() -> None:
    """A tonne of CO2-equivalent must never be added to tonnes of steel."""
    assert read_quantity("1", "tCO2e").kind != read_quantity("1", "tonne").kind


@pytest.fixture(scope="module")
def built() -> tuple[OxigraphStore, Settings]:
    store, settings = OxigraphStore.in_memory(), Settings()
    _, problems = compile_all(store, settings, seed_corpus() + [VALID])
    assert [str(p) for p in problems if p.severity is Severity.VIOLATION] == []
    return store, settings


def _rows(store: OxigraphStore, name: str) -> list[dict[str, str | None]]:
    """A named query's rows, each variable by name (unbound variables as None)."""
    result = run_named(store, name)
    assert isinstance(result, ox.QuerySolutions)
    names = [variable.value for variable in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def _values(store: OxigraphStore, sparql: str) -> list[tuple[str | None, ...]]:
    return [tuple(term.value if term is not None else None for term in row) for row in store.query(sparql)]  # type: ignore[union-attr]


def test_a_volume_is_stored_as_written_and_normalised(built: tuple[OxigraphStore, Settings]) -> None:
    store, settings = built
    claim = ox.NamedNode(settings.entity_iri("claim", "example-offtake-volume"))
    rows = _values(store, f"SELECT ?v ?u ?k ?n ?nu WHERE {{ {claim} schema:value ?v ; schema:unitText ?u ; al:quantityKind ?k ; "
                          "al:normalisedValue ?n ; al:normalisedUnit ?nu }")
    assert rows == [("45", "kilotonne / year", "mass per year", "45000", "tonne / year")]


def test_money_has_a_currency_and_no_unit(built: tuple[OxigraphStore, Settings]) -> None:
    store, settings = built
    claim = ox.NamedNode(settings.entity_iri("claim", "example-offtake-value"))
    rows = _values(store, f"SELECT ?v ?c ?k (EXISTS {{ {claim} schema:unitText ?u }} AS ?unit) "
                          f"WHERE {{ {claim} schema:value ?v ; schema:currency ?c ; al:quantityKind ?k }}")
    assert rows == [("130000000", "EUR", "money", "false")]


def test_a_plant_has_its_place_operator_identifier_and_the_deal_that_names_it(built: tuple[OxigraphStore, Settings]) -> None:
    store, _ = built
    rows = [row for row in _rows(store, "plants") if row["plant"] == "Example green steel works"]
    assert [(r["location"], r["country"], r["operators"], r["gem_id"], r["status"], r["year"]) for r in rows] == [
        ("Exampleby", "SE", "Example Green Steel", "P100000999001", "binding", "2024")]


def test_identifiers_are_listed_with_where_to_look_them_up(built: tuple[OxigraphStore, Settings]) -> None:
    store, _ = built
    rows = {(r["name"], r["scheme"], r["identifier"], r["link"]) for r in _rows(store, "external-identifiers")}
    assert {("Example Green Steel", "Wikidata", "Q999999001", "https://www.wikidata.org/wiki/Q999999001"),
            ("Example Green Steel", "LEI", "5299000EXAMPLE000193", "https://search.gleif.org/#/record/5299000EXAMPLE000193"),
            ("Example green steel works", "Global Energy Monitor", "P100000999001", "")} <= rows


def test_a_binding_volume_is_counted_for_its_buyer_and_supplier(built: tuple[OxigraphStore, Settings]) -> None:
    store, _ = built
    rows = [r for r in _rows(store, "volumes-by-status") if r["supplier"] == "Example Green Steel"]
    assert [(r["buyer"], r["binding"], r["volume"], r["unit"], r["deals"]) for r in rows] == [
        ("BMW Group", "binding", "45000", "tonne / year", "1")]


def test_profiles_show_plants_identifiers_and_quantities_with_their_units(built: tuple[OxigraphStore, Settings]) -> None:
    store, _ = built
    plant = profile(store, "example-green-steel-works")
    assert plant["kind"] == "plant"
    assert [o["id"] for o in plant["operators"]] == ["example-green-steel"]
    assert [(a["id"], a["year"], a["year_basis"], a["status"]) for a in plant["alliances"]] == [
        ("example-binding-offtake", 2024, "signing date", "binding")]
    assert [(i["scheme"], i["id"]) for i in plant["identifiers"]] == [("Global Energy Monitor", "P100000999001")]
    supplier = profile(store, "Example Green Steel")
    assert {(i["scheme"], i["id"], i["link"]) for i in supplier["identifiers"]} == {
        ("LEI", "5299000EXAMPLE000193", "https://search.gleif.org/#/record/5299000EXAMPLE000193"),
        ("Wikidata", "Q999999001", "https://www.wikidata.org/wiki/Q999999001")}
    assert [p["id"] for p in supplier["plants"]] == ["example-green-steel-works"]
    deal = next(a for a in supplier["alliances"] if a["id"] == "example-binding-offtake")
    assert deal["status"] == "binding"
    assert sorted((q["value"], q["unit"], q["kind"]) for q in deal["quantities"]) == [
        ("130000000", "EUR", "money"), ("45", "kilotonne / year", "mass per year")]
    text = render_profile(supplier)
    assert "EUR 130000000: contract value" in text and "45 kilotonne / year: contracted volume" in text
    assert "Wikidata: Q999999001  https://www.wikidata.org/wiki/Q999999001" in text
    alliance = profile(store, "example-binding-offtake")
    assert [p["id"] for p in alliance["plants"]] == ["example-green-steel-works"]
