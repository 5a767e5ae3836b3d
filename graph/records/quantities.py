"""Units, currencies and identifiers of a record: checked where the record names them, normalised once.

A claim's ``unit`` is a unit expression that pint parses (``tonne``, ``kilotonne / year``, ``GWh``,
``percent``, ``count``, ``kgCO2e / tonne``); a claim about money has a ``currency`` instead, an
ISO 4217 code that pycountry knows. pint gives each unit its dimensions, from which the kind of
quantity (a mass, a mass per year, an energy...) and a value in that kind's canonical unit follow,
so volumes stated in kilotonnes a year and in million tonnes a year can be summed. Emissions
(``tCO2e``) are a dimension of their own: a tonne of CO2-equivalent is not a tonne of steel.

The identifier checks use python-stdnum (LEI check digits, ISO 17442) and pycountry (ISO 3166
countries); what no library checks (the form of a Wikidata id or a Global Energy Monitor plant id) is
a pattern in the record schema. The rules live here so that each problem names its file and line.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from stdnum import lei

from graph.problems import Problem
from graph.records.yaml_positions import Positioned

if TYPE_CHECKING:
    import pint

# The project's own units, beside pint's: emissions in CO2-equivalent, a dimension of their own.
_DEFINITIONS = (
    "tCO2e = [emissions]",
    "kgCO2e = tCO2e / 1000",
    "ktCO2e = 1000 * tCO2e",
    "MtCO2e = 1e6 * tCO2e",
)


@dataclass(frozen=True)
class Kind:
    """A kind of quantity: its name as users read it and the unit its values are normalised to."""

    name: str
    canonical: str


# Matched by dimensions, in this order; the canonical units are the ones the field reports in.
KINDS = (
    Kind("mass", "tonne"),
    Kind("mass per year", "tonne / year"),
    Kind("energy", "GWh"),
    Kind("energy per year", "GWh / year"),  # a battery plant's output; its dimensions are a power's
    Kind("power", "MW"),
    Kind("emissions", "tCO2e"),
    Kind("emissions per year", "tCO2e / year"),
    Kind("emission intensity", "kgCO2e / tonne"),
    Kind("duration", "year"),
)
SHARE = Kind("share", "percent")
COUNT = Kind("count", "count")
MONEY = "money"
# UN/CEFACT common codes (schema:unitCode) of the units people write most, by pint's name of the unit.
UNIT_CODES = {"percent": "P1", "metric_ton": "TNE", "kilometric_ton": "KTN", "megametric_ton": "MTN", "year": "ANN",
              "count": "C62", "gigawatt_hour": "GWH", "megawatt_hour": "MWH", "megawatt": "MAW", "kilogram": "KGM"}


@dataclass(frozen=True)
class Quantity:
    """A claim's value read with its unit: the kind of quantity and the value in the kind's canonical unit."""

    kind: str
    canonical_unit: str
    normalised: Decimal
    unit_code: str | None


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry[Any]:
    """pint's registry with the project's units; imported on first use (0.2 s), not by every command."""
    import pint

    units: pint.UnitRegistry[Any] = pint.UnitRegistry(on_redefinition="raise")
    for definition in _DEFINITIONS:
        units.define(definition)
    return units


class UnitError(ValueError):
    """A unit that pint cannot read or that measures nothing this project records."""


@lru_cache(maxsize=4096)
def read_quantity(value: str, unit: str) -> Quantity:
    """``value`` in ``unit``, normalised to its kind's canonical unit; UnitError if the unit is unknown.

    Cached: the record check (quantity_problems) and emit read each claim, and pint's parsing is
    the slow part of both."""
    units = registry()
    try:
        parsed = units.parse_units(unit)
    except Exception as error:  # pint raises many types (its own, AttributeError, TokenError) for text it cannot read
        raise UnitError(f"pint cannot read the unit {unit!r} ({type(error).__name__})") from None
    name = f"{parsed}"
    if name in ("percent", "count"):
        kind = SHARE if name == "percent" else COUNT
    else:
        signature = _signature(units, parsed)
        found = [kind for kind in KINDS if _canonical_signature(kind.canonical) == signature]
        if not found:
            raise UnitError(f"the unit {unit!r} measures {parsed.dimensionality}, which no claim here records")
        kind = found[0]
    normalised = units.Quantity(Decimal(value), parsed).to(kind.canonical).magnitude
    return Quantity(kind.name, kind.canonical, _plain(Decimal(str(normalised))), UNIT_CODES.get(name))


def _signature(units: pint.UnitRegistry[Any], unit: pint.Unit) -> tuple[str, bool]:
    """A unit's dimensions, and whether it is written per a time ('GWh / year'), which tells an
    annual output from a power ('MW') of the same dimensions."""
    per_time = any(float(exponent.real) < 0 and str(units.parse_units(name).dimensionality) == "[time]"
                   for name, exponent in units.Quantity(1, unit).unit_items())
    return str(unit.dimensionality), per_time


@lru_cache(maxsize=None)
def _canonical_signature(canonical: str) -> tuple[str, bool]:
    units = registry()
    return _signature(units, units.parse_units(canonical))


def _plain(number: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent: 1.5E+6 becomes 1500000, 20.0 becomes 20."""
    text = format(number.normalize(), "f")
    return Decimal(text)


def is_currency(code: str) -> bool:
    import pycountry

    return pycountry.currencies.get(alpha_3=code) is not None


def is_country(code: str) -> bool:
    import pycountry

    return pycountry.countries.get(alpha_2=code) is not None


def quantity_problems(display: str, positioned: Positioned) -> Iterator[Problem]:
    """Units pint cannot read, unknown currencies and countries, LEIs whose check digits fail."""
    data: dict[str, Any] = positioned.value
    for index, claim in enumerate(data.get("claims") or []):
        path: tuple[str | int, ...] = ("claims", index)
        if "unit" in claim:
            try:
                read_quantity(claim["value"], claim["unit"])
            except UnitError as error:
                yield Problem(display, positioned.line_of(path + ("unit",)), "unit", f"claims/{index}/unit: {error}",
                              "write a unit pint reads, such as tonne, kilotonne / year, GWh, percent, count or kgCO2e / tonne; "
                              "for money use currency: with an ISO 4217 code instead")
        if "currency" in claim and not is_currency(claim["currency"]):
            yield Problem(display, positioned.line_of(path + ("currency",)), "currency",
                          f"claims/{index}/currency: {claim['currency']!r} is not an ISO 4217 currency code",
                          "write the three-letter code, such as EUR, USD, CNY, NOK or SEK")
    for section in ("organisations", "plants"):
        for index, item in enumerate(data.get(section) or []):
            path = (section, index)
            country = item.get("country")
            if country is not None and not is_country(country):
                yield Problem(display, positioned.line_of(path + ("country",)), "country",
                              f"{section}/{index}/country: {country!r} is not an ISO 3166 country code",
                              "write the two-letter code of the country, such as CN, DE, SE or US")
            code = item.get("lei")
            if code is not None and not lei.is_valid(code):
                yield Problem(display, positioned.line_of(path + ("lei",)), "lei",
                              f"{section}/{index}/lei: {code!r} fails the LEI check digits (ISO 17442)",
                              "copy the 20-character LEI again from the page that gives it")
