"""Text renderings of profiles and search results, made from the same dicts as the JSON.

They are for a terminal, so control characters from the data are shown as escapes
(graph.safe_output.terminal_safe).
"""
from __future__ import annotations

from typing import Any

from graph.ask.resolve import Match
from graph.safe_output import terminal_safe


def _names(names: dict[str, dict[str, list[str]]]) -> list[str]:
    lines = []
    for kind in ("preferred", "alias"):
        for lang, values in sorted(names.get(kind, {}).items()):
            lines.append(f"  {kind:<9} {lang or '-':<8} {' | '.join(values)}")
    return lines


def _ref(ref: dict[str, Any] | None) -> str:
    return f"{ref['label']} [{ref['kind']}/{ref['id']}]" if ref else ""


def _year(alliance: dict[str, Any]) -> str:
    """'counted in 2022 (signing date)': the derived year always with what it rests on."""
    return f"counted in {alliance['year']} ({alliance['year_basis']})" if alliance.get("year") else alliance["year_basis"]


def _signatory(person: dict[str, Any]) -> str:
    posts = f" ({', '.join(post['label'] for post in person['posts'])})" if person.get("posts") else ""
    if person["took_part_as"] == "attendee":
        return f"attended the signing: {_ref(person)}{posts}"
    party = f" for {person['signed_for']['label']}" if person.get("signed_for") else ""
    return f"signed by {_ref(person)}{posts}{party}"


def _quantity(claim: dict[str, Any]) -> str:
    """'45 kilotonne / year (mass per year): contracted volume'; money reads 'EUR 130000000'."""
    amount = f"{claim['unit']} {claim['value']}" if claim["kind"] == "money" else f"{claim['value']} {claim['unit']}"
    return f"{amount}: {claim['measure']}"


def render_profile(profile: dict[str, Any]) -> str:
    out = [f"{profile['label']}  ({profile['kind']} {profile['id']})", f"  {profile['iri']}", "", "Names"]
    out += _names(profile["names"])
    if profile["facts"]:
        out += ["", "Facts (with the sources that state them)"]
        for fact in profile["facts"]:
            out.append(f"  {fact['property']}: {fact['value']}   <- {', '.join(fact['sources'])}")
    if profile.get("parties"):
        out += ["", "Parties"]
    for party in profile.get("parties", []):
        line = f"  {_ref(party)} as {party['role']}"
        if "signatory" in party:
            line += f"; signed by {party['signatory']['label']}"
        if "signatory_post" in party:
            line += f" ({party['signatory_post']['label']})" if "signatory" in party else f"; signed by the {party['signatory_post']['label']}"
        out.append(line)
    if profile.get("year_basis"):
        out += ["", "Year", f"  {_year(profile)}"]
    for section in ("signing", "announcement"):
        if profile.get(section):
            out += ["", section.capitalize()] + [f"  {s['property']}: {s['value']}   <- {', '.join(s['sources'])}" for s in profile[section]]
    if profile.get("status_history"):
        out += ["", f"Status: {profile['status']}"]
        for change in profile["status_history"]:
            when = change["date"] or "undated"
            basis = f" ({change['basis']})" if change.get("basis") else ""
            out.append(f"  {when}{basis}: {change['status']}   <- {', '.join(change['sources'])}")
    if profile.get("alliances"):
        out += ["", "Alliances"]
        for alliance in profile["alliances"]:
            out.append(f"  {_ref(alliance)}" + (f"  {alliance['type']}" if alliance.get("type") else ""))
            for member in alliance.get("members", []):
                out.append(f"      member: {member['label']} as {member['role']}")
            for partner in alliance.get("partners", []):
                out.append(f"      with {partner['label']} as {partner['role']}")
            dates = [f"signed {', '.join(alliance['signed'])}"] if alliance.get("signed") else []
            dates += [f"{k} {alliance[k]}" for k in ("start", "end") if alliance.get(k)]
            dates += [_year(alliance)] if alliance.get("year_basis") else []
            dates += [f"status: {alliance['status']}"] if alliance.get("status") else []
            if dates:
                out.append(f"      {'; '.join(dates)}")
            out += [f"      {_quantity(claim)}" for claim in alliance.get("quantities", [])]
            out += [f"      {_signatory(person)}" for person in alliance.get("signatories", [])]
            if alliance.get("via"):
                out.append(f"      via {alliance['via']}; parties: {', '.join(p['label'] for p in alliance['parties'])}")
    if profile.get("plants"):
        out += ["", "Plants"] + [f"  {_ref(plant)}" for plant in profile["plants"]]
    if profile.get("operators"):
        out += ["", "Operated by"] + [f"  {_ref(operator)}" for operator in profile["operators"]]
    if profile.get("identifiers"):
        out += ["", "Identifiers"] + [f"  {i['scheme']}: {i['id']}" + (f"  {i['link']}" if i["link"] else "") + f"   <- {', '.join(i['sources'])}"
                                      for i in profile["identifiers"]]
    if profile.get("members"):
        out += ["", "Members and joint ventures"] + [f"  {_ref(m)}  ({m['relation']})" for m in profile["members"]]
    if profile.get("roles"):
        out += ["", "Roles"] + [f"  {r['how']}: {_ref(r)}" for r in profile["roles"]]
    if profile.get("links"):
        out += ["", "Related concepts"] + [f"  {l['relation']}: {_ref(l)}" for l in profile["links"]]
    if profile.get("claims"):
        out += ["", "Quantitative claims"] + [f"  {_quantity(c)}   <- {c['source']}" for c in profile["claims"]]
    if profile["sources"]:
        out += ["", "Sources"]
        for source in profile["sources"]:
            out.append(f"  [{source['id']}] {source['title']} - {source['publisher']}, {source['published'] or 'undated'} ({source['language']})")
            if source["url"]:
                out.append(f"      {source['url']}")
            out += [f"      \u201c{quote}\u201d" for quote in source["quotes"]]
    return terminal_safe("\n".join(out) + "\n")


def render_matches(matches: list[Match]) -> str:
    if not matches:
        return "No matches.\n"
    width = max(len(m.kind) for m in matches)
    text = "".join(f"{m.score:5.0f}  {m.kind:<{width}}  {m.id:<40}  {m.label}" + (f"  (matched '{m.matched}')" if m.matched != m.label else "") + "\n"
                   for m in matches)
    return terminal_safe(text)
