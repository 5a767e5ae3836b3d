"""Text renderings of the scorecards (graph.ask.scorecard), made from the same dicts as the JSON.

Each fact ends with the numbers of its sources, ``[1, 3]``; the list at the end gives each number's
publisher, date and address. A fact the graph does not hold reads "not recorded". For a terminal:
control characters from the data are shown as escapes (graph.safe_output.terminal_safe).
"""
from __future__ import annotations

from typing import Any

from tabulate import tabulate

from graph.ask.scorecard import NOT_RECORDED
from graph.safe_output import terminal_safe


class _Notes:
    """Source ids numbered in the order of the scorecard's ``sources`` (oldest first)."""

    def __init__(self, sources: dict[str, dict[str, Any]]) -> None:
        self.sources = sources
        self.numbers = {ident: n for n, ident in enumerate(sources, start=1)}

    def __call__(self, ids: list[str]) -> str:
        numbers = sorted(self.numbers[i] for i in ids if i in self.numbers)
        return " [" + ", ".join(map(str, numbers)) + "]" if numbers else ""

    def listing(self) -> list[str]:
        lines = ["", "Sources"]
        for ident, source in self.sources.items():
            date = source["published"] or "undated"
            lines.append(f"  [{self.numbers[ident]}] {source['publisher']}, {date}: {source['title']}")
            lines.append(f"      {source['url'] or 'address ' + NOT_RECORDED}")
        return lines


def _fact(fact: dict[str, Any] | None, notes: _Notes) -> str:
    return NOT_RECORDED if fact is None else f"{fact['value']}{notes(fact['sources'])}"


def _facts(facts: list[dict[str, Any]], notes: _Notes) -> str:
    return "; ".join(f"{f['value']}{notes(f['sources'])}" for f in facts) if facts else NOT_RECORDED


def _head(scorecard: dict[str, Any], title: str, notes: _Notes) -> list[str]:
    org = scorecard["organisation"]
    groups = _facts(org["groups"], notes)
    return [f"{org['label']}: {title} (organisation {org['id']})", f"  {org['iri']}",
            f"  sector: {_fact(org['sector'], notes)}   country: {_fact(org['country'], notes)}   part of: {groups}"]


def _deal(deal: dict[str, Any], notes: _Notes, indent: str = "    ") -> list[str]:
    alliance = deal["alliance"]
    materials = ", ".join(m["label"] for m in deal["materials"]) or NOT_RECORDED
    year = f"{deal['year']} ({deal['year_basis']})" if deal["year"] else NOT_RECORDED
    history = "; ".join(f"{s['status']}{' ' + s['date'] if s['date'] else ''}{notes(s['sources'])}"
                        for s in deal["status_history"]) or NOT_RECORDED
    lines = [f"{indent}{alliance['label']} [alliance/{alliance['id']}]",
             f"{indent}  {deal['type'] or 'type ' + NOT_RECORDED}; materials: {materials}; via {', '.join(o['label'] for o in deal['own_parties'])}",
             f"{indent}  status: {_status(deal)}; history: {history}",
             f"{indent}  year: {year}; signed: {_facts(deal['signed'], notes)}; announced: {_facts(deal['announced'], notes)}",
             f"{indent}  delivery from: {_facts(deal['start'], notes)}; until: {_facts(deal['end'], notes)}"]
    volumes = "; ".join(f"{v['value']} {v['unit']} ({v['measure']}){notes(v['sources'])}" for v in deal["volumes"])
    lines.append(f"{indent}  volume: {volumes or NOT_RECORDED}")
    lines.append(f"{indent}  sources:{notes(deal['sources']) or ' ' + NOT_RECORDED}")
    return lines


def _status(deal: dict[str, Any]) -> str:
    """'binding', or 'announced (counts as non-binding)' where the class differs from the status."""
    status = deal["status"] or NOT_RECORDED
    return status if status == deal["binding"] else f"{status} (counts as {deal['binding']})"


def _concepts(title: str, concepts: list[dict[str, Any]], notes: _Notes) -> list[str]:
    lines = ["", title]
    if not concepts:
        return lines + [f"  {NOT_RECORDED}"]
    for c in concepts:
        count = len(c["alliances"])
        lines.append(f"  {c['concept']['label']}: {count} alliance{'s' if count != 1 else ''}{notes(c['sources'])}")
    return lines


def _claim(claim: dict[str, Any], notes: _Notes) -> str:
    amount = f"{claim['unit']} {claim['value']}" if claim["kind"] == "money" else f"{claim['value']} {claim['unit']}"
    about = ", ".join(a["label"] for a in claim["about"])
    baseline = claim["baseline"]["label"] if claim["baseline"] else NOT_RECORDED
    approx = "about " if claim["approximate"] else ""
    return (f"  {approx}{amount}: {claim['measure']} (about {about}; baseline: {baseline}; "
            f"scope: {claim['scope'] or NOT_RECORDED}){notes(claim['sources'])}")


def _memberships(title: str, entries: list[dict[str, Any]], notes: _Notes) -> list[str]:
    lines = ["", title]
    if not entries:
        return lines + [f"  {NOT_RECORDED}"]
    for entry in entries:
        bodies = ", ".join(b["label"] for b in entry["bodies"]) or "no convener recorded"
        year = f"{entry['year']}" if entry["year"] else "year " + NOT_RECORDED
        lines.append(f"  {entry['alliance']['label']} [alliance/{entry['alliance']['id']}]")
        lines.append(f"    {entry['type'] or 'type ' + NOT_RECORDED} of {bodies}; as {', '.join(entry['roles'])}; "
                     f"status: {entry['status'] or NOT_RECORDED}; {year}{notes(entry['sources'])}")
        lines += ["  " + _claim(c, notes) for c in entry["claims"]]
    return lines


def render_supplier(scorecard: dict[str, Any]) -> str:
    notes = _Notes(scorecard["sources"])
    out = _head(scorecard, "supplier scorecard", notes)
    out += ["", f"Buyers ({len(scorecard['buyers'])}): deals in which it or its group supplies"]
    if not scorecard["buyers"]:
        out.append(f"  {NOT_RECORDED}")
    for buyer in scorecard["buyers"]:
        out.append(f"  {buyer['organisation']['label']} [organisation/{buyer['organisation']['id']}]")
        for deal in buyer["deals"]:
            out += _deal(deal, notes)
    out += _concepts("Materials", scorecard["materials"], notes)
    out += _concepts("Pathways", scorecard["pathways"], notes)
    out += ["", "Plants and sites"]
    for plant in scorecard["plants"] or []:
        how = "runs it" if plant["operated"] else "named by its deals"
        out.append(f"  {plant['plant']['label']} ({how}){notes(plant['sources'])}: location {_fact(plant['location'], notes)}, "
                   f"country {_fact(plant['country'], notes)}, GEM id {_fact(plant['gem_id'], notes)}")
    if not scorecard["plants"]:
        out.append(f"  {NOT_RECORDED}")
    out += ["", "Claims (reductions, shares, capacities, money) with baseline and scope"]
    out += [_claim(c, notes) for c in scorecard["claims"]] or [f"  {NOT_RECORDED}"]
    out += _concepts("Indicators", scorecard["indicators"], notes)
    out += _concepts("Data platforms", scorecard["platforms"], notes)
    out += _memberships("Standards and certifications (convened by a standards body)", scorecard["standards"], notes)
    out += _memberships("Coalitions, programmes and communities", scorecard["coalitions"], notes)
    return terminal_safe("\n".join(out + notes.listing()) + "\n")


def render_buyer(scorecard: dict[str, Any]) -> str:
    notes = _Notes(scorecard["sources"])
    out = _head(scorecard, "buyer scorecard", notes)
    out += ["", "Suppliers by material"]
    for entry in scorecard["by_material"]:
        labels = {s["organisation"]["id"]: s["organisation"]["label"] for s in scorecard["suppliers"]}
        out.append(f"  {entry['material']['label']}: {', '.join(labels[s] for s in entry['suppliers'])}")
    if not scorecard["by_material"]:
        out.append(f"  {NOT_RECORDED}")
    out += ["", f"Suppliers ({len(scorecard['suppliers'])}): deals in which it or its group buys"]
    for supplier in scorecard["suppliers"]:
        out.append(f"  {supplier['organisation']['label']} [organisation/{supplier['organisation']['id']}]")
        for deal in supplier["deals"]:
            out += _deal(deal, notes)
    if not scorecard["suppliers"]:
        out.append(f"  {NOT_RECORDED}")
    out += ["", "Contracted volumes by status and year (each deal once, its largest volume per unit)"]
    if scorecard["volumes"]:
        rows = [[v["binding"], v["year"] or NOT_RECORDED, v["value"], v["unit"], len(v["deals"])] for v in scorecard["volumes"]]
        out += ["  " + line for line in tabulate(rows, headers=["status", "year", "volume", "unit", "deals"],
                                                   disable_numparse=True).splitlines()]
    else:
        out.append(f"  {NOT_RECORDED}")
    out += _memberships("Public pledges and coalition memberships", scorecard["pledges"], notes)
    out += ["", "Binding volumes against pledges"]
    for gap in scorecard["gap"]:
        if gap["comparable"]:
            line = (f"  {gap['pledge']['label']}: pledged {gap['pledged']} {gap['pledged_unit']}, binding {gap['binding']} "
                    f"{gap['unit']}, gap {gap['gap']} {gap['unit']}")
        else:
            line = f"  {gap['pledge']['label']}: {gap['pledged']} {gap['pledged_unit']} ({gap['measure']}): {gap['note']}"
        out.append(line + notes(gap["sources"]))
    if not scorecard["gap"]:
        out.append("  no pledged quantity recorded, so no gap can be stated")
    return terminal_safe("\n".join(out + notes.listing()) + "\n")


def render_ranking(ranking: dict[str, Any]) -> str:
    region = f" in {ranking['region']}" if ranking["region"] else ""
    out = [f"Suppliers of {ranking['material']['label']}{region}, ranked by " + ", then ".join(ranking["ranked_by"]), ""]
    rows = [[r["rank"], r["organisation"]["label"], r["country"] or NOT_RECORDED,
             "; ".join(f"{v['value']} {v['unit']}" for v in r["binding_volume"]) or NOT_RECORDED,
             f"{r['binding_buyers']} of {r['buyers']}", f"{r['binding_deals']} of {r['deals']}",
             ", ".join(p["label"] for p in r["pathways"]) or NOT_RECORDED] for r in ranking["suppliers"]]
    if rows:
        out += tabulate(rows, headers=["#", "supplier", "country", "binding volume", "binding buyers", "binding deals", "pathways"],
                        disable_numparse=True).splitlines()
    else:
        out.append(NOT_RECORDED)
    if ranking["without_country"]:
        out += ["", f"Left out, no country recorded: {', '.join(ranking['without_country'])}"]
    return terminal_safe("\n".join(out) + "\n")
