"""The ranking of a material's suppliers (``alliances suppliers --material M --region R``): by binding
volume, then buyers, then deals, with their pathways; the same rules as the scorecards
(graph.ask.scorecard) for what a deal's volume is and how binding it is.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from graph.ask.resolve import kind_and_id, resolve
from graph.ask.scorecard import Context, claim_targets, largest, number, query_text, term_value
from graph.errors import AllianceError
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore


def rank_suppliers(store: GraphStore, material: str, region: str | None = None) -> dict[str, Any]:
    """The suppliers of a material (narrower materials included) in a region, ranked by binding
    volume (tonnes a year, then tonnes), then by number of buyers and of deals; with their pathways."""
    from graph.network.coverage import in_region

    material_iri = resolve(store, material, kind="material").iri
    ctx = Context(store)
    rows = list(select(store, query_text("material-suppliers"), {"material": ox.NamedNode(material_iri)}))
    volumes = _deal_volumes(store, {row["alliance"].value for row in rows})
    suppliers: dict[str, dict[str, Any]] = {}
    without_country: set[str] = set()
    for row in rows:
        supplier, country = row["supplier"].value, term_value(row["country"])
        if region is not None:
            try:
                inside = in_region(country, region)
            except ValueError as error:
                raise AllianceError(f"--region {region}: {error}") from None
            if country is None:
                without_country.add(supplier)
            if not inside:
                continue
        entry = suppliers.setdefault(supplier, {"organisation": ctx.ref(supplier), "country": country, "deals": {},
                                                "buyers": set(), "binding_buyers": set(), "pathways": {}})
        alliance = row["alliance"].value
        deal = entry["deals"].setdefault(alliance, {"binding": row["binding"].value, "buyers": set()})
        if row["buyer"] is not None:
            deal["buyers"].add(row["buyer"].value)
            entry["buyers"].add(row["buyer"].value)
            if deal["binding"] == "binding":
                entry["binding_buyers"].add(row["buyer"].value)
        if row["pathway"] is not None:
            entry["pathways"].setdefault(row["pathway"].value, ctx.ref(row["pathway"].value))
    ranked = [_ranked(supplier, entry, volumes) for supplier, entry in suppliers.items()]
    ranked.sort(key=_rank_key)
    for number, entry in enumerate(ranked, start=1):
        entry["rank"] = number
    return {"kind": "suppliers", "material": ctx.ref(material_iri), "region": region,
            "ranked_by": ["binding volume in tonne / year", "binding volume in tonne", "buyers", "deals"],
            "suppliers": ranked, "without_country": sorted(kind_and_id(s)[1] for s in without_country - set(suppliers))}


def _ranked(supplier: str, entry: dict[str, Any], volumes: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    binding: dict[str, Decimal] = defaultdict(Decimal)
    announced: dict[str, Decimal] = defaultdict(Decimal)
    for alliance, deal in entry["deals"].items():
        pair_volumes = [v for v in volumes.get(alliance, []) if not v["named"] or v["named"] & ({supplier} | deal["buyers"])]
        for unit, amount in largest(pair_volumes).items():
            announced[unit] += amount
            if deal["binding"] == "binding":
                binding[unit] += amount
    return {"organisation": entry["organisation"], "country": entry["country"],
            "binding_volume": [{"value": number(v), "unit": u} for u, v in sorted(binding.items())],
            "all_volume": [{"value": number(v), "unit": u} for u, v in sorted(announced.items())],
            "buyers": len(entry["buyers"]), "binding_buyers": len(entry["binding_buyers"]),
            "deals": len(entry["deals"]), "binding_deals": sum(1 for d in entry["deals"].values() if d["binding"] == "binding"),
            "pathways": sorted(entry["pathways"].values(), key=lambda p: p["label"].casefold()),
            "alliances": sorted(kind_and_id(a)[1] for a in entry["deals"])}


def _rank_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    volume = {v["unit"]: Decimal(v["value"]) for v in entry["binding_volume"]}
    return (-volume.get("tonne / year", Decimal(0)), -volume.get("tonne", Decimal(0)), -entry["buyers"], -entry["deals"],
            entry["organisation"]["label"].casefold())


def _deal_volumes(store: GraphStore, alliances: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Alliance IRI -> its volume claims (normalised), each with the organisations it also names;
    a claim about several alliances is a total over them and is left out."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim, targets in claim_targets(store).items():
        deals = {t for t, is_alliance, _ in targets if is_alliance}
        if len(deals) != 1 or not deals & alliances:
            continue
        found[deals.pop()].append({"claim": claim, "named": {t for t, _, is_org in targets if is_org}})
    if not found:
        return {}
    for row in select(store, query_text("volumes")):
        for volume in found.get(row["alliance"].value, []):
            if volume["claim"] == row["claim"].value:
                volume.update(normalised_value=row["normalised_value"].value, normalised_unit=row["normalised_unit"].value)
    return {a: [v for v in vs if "normalised_value" in v] for a, vs in found.items()}
