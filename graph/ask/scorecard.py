"""Supplier and buyer scorecards (and what the ranking of suppliers, graph.ask.scorecard_ranking,
shares with them): the views procurement asks for ("which suppliers, how binding, how much"), as
plain dicts (the documented JSON, docs/schemas/scorecard.schema.json) that the text, the PNG and
the explorer page all render.

The questions are SPARQL files in graph/ask/queries/scorecard/ (standard SPARQL, each opening with
the question it answers); this module only joins their rows. Every fact carries the ids of the
source documents that state it, and ``sources`` maps each id to its publisher, date and address.
A fact the graph does not hold is ``None`` or an empty list, shown as "not recorded": nothing is
filled in.

Rules (each stated once, here or in the query it comes from):
- An organisation's deals are those of its group (al:inGroup, as ``alliances show``).
- A buyer-supplier deal is an alliance in which the organisation's group takes one of the roles
  supplier and buyer and another party the other.
- A volume is a claim of kind mass or mass per year about the deal; a claim about several deals is
  a total over them and is left out; a claim that also names organisations belongs only to the
  pairs that include one of them; where a deal has several volumes in one unit, the largest counts
  in totals (the rules of the named query volumes-by-status).
- Standards and certifications are alliances convened only by bodies of the sector
  standards-and-data (ResponsibleSteel, the Aluminium Stewardship Initiative ...). Coalition
  memberships and public pledges are the other alliances of type coalition, community or
  programme (First Movers Coalition, SteelZero, which Climate Group convenes with ResponsibleSteel ...).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.ask.resolve import display_label, kind_and_id, resolve
from graph.config import TAXONOMY_NS
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore

QUERY_DIR = Path(__file__).with_name("queries") / "scorecard"
ROLE = f"{TAXONOMY_NS}role/"
TYPE = f"{TAXONOMY_NS}alliance-type/"
STANDARDS_SECTOR = f"{TAXONOMY_NS}sector/standards-and-data"
COALITION_TYPES = {f"{TYPE}coalition-membership", f"{TYPE}community", f"{TYPE}programme"}
VOLUME_KINDS = ("mass", "mass per year")
BINDING_CLASSES = ("binding", "non-binding", "unknown", "cancelled")
NOT_RECORDED = "not recorded"

Row = ox.QuerySolution
Sources = list[str]


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    """The text of graph/ask/queries/scorecard/<name>.rq."""
    return (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8")


def _rows(store: GraphStore, name: str, **params: str) -> list[Row]:
    return list(select(store, query_text(name), {k: ox.NamedNode(v) for k, v in params.items()}))


def term_value(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def number(value: Decimal) -> str:
    """A decimal as plain text without exponent or trailing zeros: '1500000', '0.5'."""
    return format(value.normalize(), "f")


class Context:
    """Labels and source metadata, each looked up once per scorecard."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.labels: dict[str, str] = {}
        self.used: dict[str, dict[str, Any]] = {}
        self._sources = _all_sources(store)

    def ref(self, iri: str) -> dict[str, str]:
        if iri not in self.labels:
            self.labels[iri] = display_label(self.store, iri)
        kind, ident = kind_and_id(iri)
        return {"kind": kind, "id": ident, "label": self.labels[iri]}

    def source(self, graph: str) -> str | None:
        """The id of a source graph (remembered for the ``sources`` list), or None for a graph
        that is no source document (the taxonomies, the derived graph)."""
        meta = self._sources.get(graph)
        if meta is None:
            return None
        self.used.setdefault(meta["id"], meta)
        return str(meta["id"])

    def sources(self) -> dict[str, dict[str, Any]]:
        """The sources used, oldest first (undated last), as id -> metadata."""
        ordered = sorted(self.used.values(), key=lambda s: (s["published"] is None, s["published"] or "", s["id"]))
        return {s["id"]: s for s in ordered}


def _all_sources(store: GraphStore) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in select(store, query_text("sources")):
        graph = row["g"].value
        found.setdefault(graph, {"id": kind_and_id(graph)[1], "title": row["title"].value,
                                 "publisher": row["publisher"].value, "published": term_value(row["published"]),
                                 "language": row["language"].value, "url": term_value(row["url"])})
    return found


def _add(sources: Sources, source: str | None) -> None:
    if source is not None and source not in sources:
        sources.append(source)


# ---------------------------------------------------------------- alliances of an organisation

@dataclass
class _Alliance:
    iri: str
    parties: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (party, role) -> {own, sector, sources}
    facts: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))  # fact -> value -> entry
    status: str | None = None
    binding: str = "unknown"
    year: int | None = None
    year_basis: str | None = None
    claims: list[dict[str, Any]] = field(default_factory=list)

    def parties_in(self, role: str, own: bool) -> list[str]:
        return sorted({party for (party, r), info in self.parties.items() if r == role and info["own"] is own})

    def sources(self) -> Sources:
        found: Sources = []
        for info in self.parties.values():
            for source in info["sources"]:
                _add(found, source)
        return found


def _alliances(store: GraphStore, org: str, ctx: Context) -> tuple[dict[str, _Alliance], list[dict[str, Any]]]:
    """The alliances of the organisation's group, and every claim about the group, its alliances and plants."""
    alliances: dict[str, _Alliance] = {}
    for row in _rows(store, "participations", org=org):
        alliance = alliances.setdefault(row["alliance"].value, _Alliance(row["alliance"].value))
        party_role = (row["party"].value, row["role"].value.removeprefix(ROLE))
        info = alliance.parties.setdefault(party_role, {"own": row["own"].value == "true", "sector": term_value(row["sector"]),
                                                 "country": term_value(row["country"]), "sources": []})
        _add(info["sources"], ctx.source(row["g"].value))
    for row in _rows(store, "alliance-facts", org=org):
        alliance = alliances.setdefault(row["alliance"].value, _Alliance(row["alliance"].value))
        value = row["value"]
        shown = ctx.ref(value.value)["label"] if isinstance(value, ox.NamedNode) else str(value.value)
        key = f"{value.value}|{term_value(row['date']) or ''}"
        entry = alliance.facts[row["fact"].value].setdefault(key, {"value": shown, "sources": []})
        if isinstance(value, ox.NamedNode):
            entry["ref"] = ctx.ref(value.value)
        if row["fact"].value == "status":
            entry["date"] = term_value(row["date"])
        _add(entry["sources"], ctx.source(row["g"].value))
    for row in _rows(store, "alliance-status", org=org):
        if (known := alliances.get(row["alliance"].value)) is None:
            continue
        alliance = known
        alliance.status = ctx.ref(row["status"].value)["label"] if row["status"] is not None else None
        alliance.binding = row["binding"].value
        alliance.year = int(row["year"].value) if row["year"] is not None else None
        alliance.year_basis = term_value(row["year_basis"])
    claims = _claims(store, org, ctx)
    for claim in claims:
        for target in claim["targets"]:
            if target in alliances:
                alliances[target].claims.append(claim)
    return alliances, claims


def _claims(store: GraphStore, org: str, ctx: Context) -> list[dict[str, Any]]:
    """Every claim about the organisation's group, its alliances and its plants, with all its targets."""
    claims: dict[str, dict[str, Any]] = {}
    for row in _rows(store, "claims", org=org):
        iri = row["claim"].value
        claim = claims.get(iri)
        if claim is None:
            baseline = row["compared_to"]
            approximate = row["approximate"]
            claim = claims[iri] = {
                "id": kind_and_id(iri)[1], "value": row["value"].value, "unit": row["unit"].value, "kind": row["kind"].value,
                "normalised_value": term_value(row["normalised_value"]), "normalised_unit": term_value(row["normalised_unit"]),
                "measure": row["measure"].value, "scope": term_value(row["scope"]),
                "baseline": ctx.ref(baseline.value) if baseline is not None else None,
                "approximate": approximate.value == "true" if approximate is not None else None,
                "about": [], "targets": [], "sources": []}
        if row["target"].value not in claim["targets"]:
            claim["targets"].append(row["target"].value)
            claim["about"].append(ctx.ref(row["target"].value))
        _add(claim["sources"], ctx.source(row["g"].value))
    targets = claim_targets(store)
    for iri, claim in claims.items():
        claim["all_targets"] = targets.get(iri, set())
    return list(claims.values())


def claim_targets(store: GraphStore) -> dict[str, set[tuple[str, bool, bool]]]:
    """Claim IRI -> (target, is an alliance, is an organisation) for every target of every claim."""
    found: dict[str, set[tuple[str, bool, bool]]] = defaultdict(set)
    for row in select(store, query_text("claim-targets")):
        found[row["claim"].value].add((row["target"].value, row["target_is_alliance"].value == "true",
                                       row["target_is_organisation"].value == "true"))
    return found


def _pair_volumes(alliance: _Alliance, pair: tuple[str, ...]) -> list[dict[str, Any]]:
    """The volumes of a deal that belong to a buyer-supplier pair (the rules in the module docstring)."""
    volumes = []
    for claim in alliance.claims:
        if claim["kind"] not in VOLUME_KINDS:
            continue
        targets = claim["all_targets"]
        if any(is_alliance and target != alliance.iri for target, is_alliance, _ in targets):
            continue  # a total over several deals
        named = {target for target, _, is_org in targets if is_org}
        if named and not named & set(pair):
            continue
        volumes.append(_volume(claim))
    return volumes


def _volume(claim: dict[str, Any]) -> dict[str, Any]:
    return {key: claim[key] for key in ("id", "value", "unit", "kind", "normalised_value", "normalised_unit", "measure", "sources")}


def largest(volumes: list[dict[str, Any]]) -> dict[str, Decimal]:
    """Normalised unit -> the largest volume of one deal in it (what counts in totals)."""
    largest: dict[str, Decimal] = {}
    for volume in volumes:
        amount = _decimal(volume["normalised_value"])
        unit = volume["normalised_unit"]
        if amount is not None and unit and amount > largest.get(unit, Decimal(-1)):
            largest[unit] = amount
    return largest


def _facts(alliance: _Alliance, name: str) -> list[dict[str, Any]]:
    return list(alliance.facts.get(name, {}).values())


def _deal(alliance: _Alliance, ctx: Context, own: list[str], other: str) -> dict[str, Any]:
    """One deal of the organisation's group (``own``: its members in the deal) with a counterparty:
    what it is, how binding, when, how much, and the sources."""
    volumes = _pair_volumes(alliance, (*own, other))
    status_history = [{"status": f["value"], "date": f.get("date"), "sources": f["sources"]} for f in _facts(alliance, "status")]
    status_history.sort(key=lambda s: (s["date"] is not None, s["date"] or ""))
    sources = alliance.sources()
    for fact_list in alliance.facts.values():
        for fact in fact_list.values():
            for source in fact["sources"]:
                _add(sources, source)
    return {"alliance": ctx.ref(alliance.iri), "own_parties": [ctx.ref(o) for o in own], "counterparty": ctx.ref(other),
            "type": _first(alliance, "type"), "materials": [f["ref"] for f in _facts(alliance, "material")],
            "material_groups": [f["ref"] for f in _facts(alliance, "material group")],
            "pathways": [f["ref"] for f in _facts(alliance, "pathway")],
            "status": alliance.status, "binding": alliance.binding, "status_history": status_history,
            "year": alliance.year, "year_basis": alliance.year_basis,
            "signed": _dated(alliance, "signed"), "announced": _dated(alliance, "announced"),
            "start": _dated(alliance, "start"), "end": _dated(alliance, "end"),
            "plants": [f["ref"] for f in _facts(alliance, "plant")],
            "volumes": volumes, "sources": sources}


def _first(alliance: _Alliance, name: str) -> str | None:
    facts = _facts(alliance, name)
    return str(facts[0]["value"]) if facts else None


def _dated(alliance: _Alliance, name: str) -> list[dict[str, Any]]:
    return [{"value": f["value"], "sources": f["sources"]} for f in _facts(alliance, name)]


def _deals(alliances: dict[str, _Alliance], ctx: Context, own_role: str, other_role: str) -> dict[str, list[dict[str, Any]]]:
    """Counterparty IRI -> its deals with the organisation's group, own_role against other_role."""
    by_counterparty: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for alliance in sorted(alliances.values(), key=lambda a: (-(a.year or 0), a.iri)):
        own = alliance.parties_in(own_role, own=True)
        for other in alliance.parties_in(other_role, own=False) if own else []:
            by_counterparty[other].append(_deal(alliance, ctx, own, other))
    return by_counterparty


def _memberships(alliances: dict[str, _Alliance], ctx: Context) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(standards and certifications, coalition memberships and pledges) of the organisation's group."""
    standards: list[dict[str, Any]] = []
    coalitions: list[dict[str, Any]] = []
    for alliance in sorted(alliances.values(), key=lambda a: (-(a.year or 0), a.iri)):
        conveners = {party: info["sector"] for (party, role), info in alliance.parties.items() if role == "convener" and not info["own"]}
        standard = bool(conveners) and all(sector == STANDARDS_SECTOR for sector in conveners.values())
        is_coalition = bool({TYPE + f["ref"]["id"] for f in _facts(alliance, "type")} & COALITION_TYPES)
        if not standard and not is_coalition:
            continue
        own_roles = sorted({role for (party, role), info in alliance.parties.items() if info["own"]})
        own = {party for (party, _), info in alliance.parties.items() if info["own"]}
        members = {party for (party, role), info in alliance.parties.items() if role != "convener"}
        entry = {"alliance": ctx.ref(alliance.iri), "type": _first(alliance, "type"),
                 "bodies": [ctx.ref(b) for b in sorted(conveners)], "roles": own_roles,
                 "materials": [f["ref"] for f in _facts(alliance, "material")],
                 "material_groups": [f["ref"] for f in _facts(alliance, "material group")],
                 "status": alliance.status, "year": alliance.year, "year_basis": alliance.year_basis,
                 "start": _dated(alliance, "start"), "announced": _dated(alliance, "announced"),
                 "claims": [{**_claim_out(c), "own": members <= own or bool(set(c["targets"]) & own)}
                            for c in alliance.claims],
                 "sources": alliance.sources()}
        (standards if standard else coalitions).append(entry)
    return standards, coalitions


def _claim_out(claim: dict[str, Any]) -> dict[str, Any]:
    return {key: claim[key] for key in ("id", "value", "unit", "kind", "normalised_value", "normalised_unit", "measure",
                                        "scope", "baseline", "approximate", "about", "sources")}


def _concepts(alliances: dict[str, _Alliance], fact: str, ctx: Context) -> list[dict[str, Any]]:
    """Each material, pathway or indicator of the group's alliances, with those alliances and the sources."""
    found: dict[str, dict[str, Any]] = {}
    for alliance in sorted(alliances.values(), key=lambda a: a.iri):
        for entry in _facts(alliance, fact):
            concept = found.setdefault(entry["ref"]["id"], {"concept": entry["ref"], "alliances": [], "sources": []})
            if (ident := kind_and_id(alliance.iri)[1]) not in concept["alliances"]:
                concept["alliances"].append(ident)
            for source in entry["sources"]:
                _add(concept["sources"], source)
    return sorted(found.values(), key=lambda c: (-len(c["alliances"]), c["concept"]["label"].casefold()))


def _organisation(store: GraphStore, org: str, ctx: Context) -> dict[str, Any]:
    """The organisation itself: sector, country, groups, each with its sources (None: not recorded)."""
    facts: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in _rows(store, "organisation-facts", org=org):
        if (source := ctx.source(row["g"].value)) is None:
            continue
        value = row["value"]
        shown = ctx.ref(value.value)["label"] if isinstance(value, ox.NamedNode) else str(value.value)
        entry = facts[row["fact"].value].setdefault(value.value, {"value": shown, "sources": []})
        if isinstance(value, ox.NamedNode):
            entry["ref"] = ctx.ref(value.value)
        _add(entry["sources"], source)

    def one(name: str) -> dict[str, Any] | None:
        values = list(facts.get(name, {}).values())
        return values[0] if values else None

    return {**ctx.ref(org), "iri": org, "sector": one("sector"), "country": one("country"),
            "groups": list(facts.get("part of", {}).values()) + list(facts.get("joint venture of", {}).values())}


def _plants(store: GraphStore, org: str, alliances: dict[str, _Alliance], ctx: Context) -> list[dict[str, Any]]:
    plants: dict[str, dict[str, Any]] = {}
    for row in _rows(store, "organisation-facts", org=org):
        if row["fact"].value == "plant" and (source := ctx.source(row["g"].value)) is not None:
            plant = plants.setdefault(row["value"].value, _plant_entry(row["value"].value, ctx))
            plant["operated"] = True
            _add(plant["sources"], source)
    for alliance in alliances.values():
        for (fact_key, entry) in alliance.facts.get("plant", {}).items():
            iri = fact_key.split("|", 1)[0]
            plant = plants.setdefault(iri, _plant_entry(iri, ctx))
            if (ident := kind_and_id(alliance.iri)[1]) not in plant["alliances"]:
                plant["alliances"].append(ident)
            for source in entry["sources"]:
                _add(plant["sources"], source)
    for row in _rows(store, "plants", org=org):
        found = plants.get(row["plant"].value)
        source = ctx.source(row["g"].value)
        if found is None or source is None:
            continue
        if found[row["fact"].value] is None:
            found[row["fact"].value] = {"value": row["value"].value, "sources": []}
        _add(found[row["fact"].value]["sources"], source)
    return sorted(plants.values(), key=lambda p: p["plant"]["label"].casefold())


def _plant_entry(iri: str, ctx: Context) -> dict[str, Any]:
    return {"plant": ctx.ref(iri), "operated": False, "location": None, "country": None, "gem_id": None,
            "alliances": [], "sources": []}


# ---------------------------------------------------------------- the scorecards

def supplier_scorecard(store: GraphStore, name: str) -> dict[str, Any]:
    """The scorecard of a supplier (any name, alias or id of an organisation): its buyers with
    volumes, status and dates; materials, pathways and plants; claims with baselines and scope;
    indicators and platforms; standards and certifications; coalition memberships."""
    org = resolve(store, name, kind="organisation").iri
    ctx = Context(store)
    alliances, all_claims = _alliances(store, org, ctx)
    buyers: list[dict[str, Any]] = [{"organisation": ctx.ref(buyer), "deals": deals}
              for buyer, deals in _deals(alliances, ctx, "supplier", "buyer").items()]
    buyers.sort(key=lambda b: (-len(b["deals"]), b["organisation"]["label"].casefold()))
    standards, coalitions = _memberships(alliances, ctx)
    claims = [_claim_out(c) for c in all_claims if not (c["kind"] in VOLUME_KINDS and any(t in alliances for t in c["targets"]))]
    # Claims other than the volumes of deals (which the buyers' deals show): reductions, shares,
    # intensities, money, capacities, each with its baseline and scope where the source states them.
    result = {"kind": "supplier", "organisation": _organisation(store, org, ctx), "buyers": buyers,
              "materials": _concepts(alliances, "material", ctx), "pathways": _concepts(alliances, "pathway", ctx),
              "plants": _plants(store, org, alliances, ctx), "claims": claims,
              "indicators": _concepts(alliances, "indicator", ctx), "platforms": _concepts(alliances, "platform", ctx),
              "standards": standards, "coalitions": coalitions}
    result["sources"] = ctx.sources()
    return result


def buyer_scorecard(store: GraphStore, name: str) -> dict[str, Any]:
    """The scorecard of a buyer (any name, alias or id of an organisation): its suppliers by
    material, contracted volumes by binding status and year, its public pledges and coalition
    memberships, and the gap between binding and pledged volumes where both are in one unit."""
    org = resolve(store, name, kind="organisation").iri
    ctx = Context(store)
    alliances, _ = _alliances(store, org, ctx)
    deals_of = _deals(alliances, ctx, "buyer", "supplier")
    suppliers: list[dict[str, Any]] = []
    by_material: dict[str, dict[str, Any]] = {}
    for supplier, deals in deals_of.items():
        materials: dict[str, dict[str, str]] = {}
        for deal in deals:
            for material in deal["materials"]:
                materials.setdefault(material["id"], material)
                entry = by_material.setdefault(material["id"], {"material": material, "suppliers": []})
                if (ident := kind_and_id(supplier)[1]) not in entry["suppliers"]:
                    entry["suppliers"].append(ident)
        suppliers.append({"organisation": ctx.ref(supplier), "materials": list(materials.values()), "deals": deals})
    suppliers.sort(key=lambda s: (-len(s["deals"]), s["organisation"]["label"].casefold()))
    standards, coalitions = _memberships(alliances, ctx)
    pledges = standards + coalitions
    result = {"kind": "buyer", "organisation": _organisation(store, org, ctx), "suppliers": suppliers,
              "by_material": sorted(by_material.values(), key=lambda m: m["material"]["label"].casefold()),
              "volumes": _volume_totals(deals_of), "pledges": pledges, "gap": _gap(deals_of, pledges)}
    result["sources"] = ctx.sources()
    return result


def _per_deal(deals_of: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[dict[str, Any], dict[str, Decimal]]]:
    """Each deal once (whatever the number of its suppliers), with its largest volume in each unit."""
    per_deal: dict[str, tuple[dict[str, Any], dict[str, Decimal]]] = {}
    for deals in deals_of.values():
        for deal in deals:
            _, seen = per_deal.setdefault(deal["alliance"]["id"], (deal, {}))
            for unit, amount in largest(deal["volumes"]).items():
                seen[unit] = max(seen.get(unit, amount), amount)
    return per_deal


def _volume_totals(deals_of: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Contracted volumes by binding class, year and unit: each deal counts once, with its largest
    volume in the unit."""
    totals: dict[tuple[str, int | None, str], dict[str, Any]] = {}
    for ident, (deal, largest) in sorted(_per_deal(deals_of).items()):
        for unit, amount in largest.items():
            key = (deal["binding"], deal["year"], unit)
            entry = totals.setdefault(key, {"binding": deal["binding"], "year": deal["year"], "unit": unit,
                                            "value": Decimal(0), "deals": []})
            entry["value"] += amount
            entry["deals"].append(ident)
    ordered = sorted(totals.values(), key=lambda t: (BINDING_CLASSES.index(t["binding"]), t["year"] or 0, t["unit"]))
    return [{**t, "value": number(t["value"])} for t in ordered]


def _gap(deals_of: dict[str, list[dict[str, Any]]], pledges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each quantity pledged, the binding volume of the same material group (steel, aluminium,
    battery raw materials) in the same unit and the gap between them, or why they cannot be
    compared: a share of purchases against tonnes, a coalition's collective figure against one
    buyer's deals, tonnes against tonnes a year."""
    per_deal = _per_deal(deals_of)
    gaps = []
    for pledge in pledges:
        groups = {g["id"] for g in pledge["material_groups"]}
        binding: dict[str, Decimal] = defaultdict(Decimal)
        for deal, largest in per_deal.values():
            if deal["binding"] == "binding" and (not groups or groups & {g["id"] for g in deal["material_groups"]}):
                for unit, amount in largest.items():
                    binding[unit] += amount
        units = ", ".join(sorted(binding)) or "none recorded"
        for claim in pledge["claims"]:
            unit = claim["normalised_unit"]
            pledged = _decimal(claim["normalised_value"])
            entry = {"pledge": pledge["alliance"], "claim": claim["id"], "measure": claim["measure"],
                     "pledged": claim["value"], "pledged_unit": claim["unit"], "binding": None, "unit": unit,
                     "gap": None, "comparable": False, "sources": claim["sources"]}
            if not claim["own"]:
                entry["note"] = "not comparable: a figure for the whole coalition or programme, not this buyer's own"
            elif claim["kind"] not in VOLUME_KINDS or pledged is None or unit is None:
                entry["note"] = f"not comparable: the pledge is a {claim['kind']} ({claim['unit']}), not a volume (binding volumes in: {units})"
            elif unit not in binding:
                entry["note"] = f"not comparable: no binding volume of this material in {unit} (binding volumes in: {units})"
            else:
                entry.update(binding=number(binding[unit]), gap=number(pledged - binding[unit]), comparable=True,
                             note=f"pledged minus binding, in {unit}")
            gaps.append(entry)
    return gaps
