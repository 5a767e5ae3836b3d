"""``alliances stats``: what the graph covers, and where its data is thin.

Counts by alliance type, material, pathway, sector, country and year; alliances with a year (by
its basis) and with a current status (by status); named organisations with a sector, a country, an
English name and a Wikidata id; claims with a unit or currency (by kind); the share of entries that
carry a quote; organisations that lack a name in their home language or a group; sources by
language. Built from the landscape (graph.network.landscape, kept beside the build:
graph.network.landscape_cache) and a few SPARQL counts.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from graph.network.coverage import balance, by_region, corroboration, largest_without_deal
from graph.network.landscape import Landscape
from graph.network.landscape_cache import landscape_of
from graph.rdf.namespaces import WIKIDATA
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore
from graph.records.reference import Ranking

# The language an organisation's own name is expected in, by country. Countries that write their
# names in English need no second name.
HOME_LANGUAGE = {"CN": "zh", "TW": "zh", "HK": "zh", "JP": "ja", "KR": "ko", "DE": "de", "AT": "de", "CH": "de",
                 "SE": "sv", "NO": "no", "FI": "fi", "DK": "da", "NL": "nl", "BE": "nl", "FR": "fr", "IT": "it",
                 "ES": "es", "PT": "pt", "BR": "pt", "PL": "pl", "CZ": "cs", "RU": "ru", "UA": "uk", "TR": "tr",
                 "AE": "ar", "SA": "ar", "IN": "en", "US": "en", "GB": "en", "AU": "en", "CA": "en", "IE": "en"}
QUOTED = """
SELECT (COUNT(*) AS ?entries) (SUM(?has) AS ?quoted) WHERE {
  { SELECT DISTINCT ?g ?s ?has WHERE {
      GRAPH ?g { ?s a ?type FILTER (?type IN (al:Alliance, org:Organization, foaf:Person, org:Post, al:Claim, al:DataPlatform, al:Plant)) }
      BIND (IF(EXISTS { GRAPH ?g { ?s al:quote ?q } }, 1, 0) AS ?has) } }
}"""
CLAIM_UNITS = """
SELECT (COUNT(DISTINCT ?c) AS ?claims) (COUNT(DISTINCT ?measured) AS ?measured_claims) WHERE {
  ?c a al:Claim OPTIONAL { ?c schema:unitText|schema:currency ?u BIND (?c AS ?measured) } }"""
CLAIM_KINDS = """SELECT ?kind (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a al:Claim ; al:quantityKind ?kind } GROUP BY ?kind"""
WIKIDATA_ITEMS = """SELECT DISTINCT ?o WHERE { ?o a org:Organization ; schema:sameAs ?item
  FILTER (STRSTARTS(STR(?item), "%s")) }""" % WIKIDATA
SOURCE_LANGUAGES = """SELECT ?language (COUNT(DISTINCT ?g) AS ?n) WHERE { ?g a schema:CreativeWork ; schema:inLanguage ?language }
GROUP BY ?language ORDER BY DESC(?n) ?language"""


def _counter(values: list[str] | Counter[str]) -> dict[str, int]:
    """Counts of values (or counts already made), largest first, ties by label."""
    counts = values if isinstance(values, Counter) else Counter(values)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def stats(store: GraphStore, landscape: Landscape | None = None, ranking: Ranking | None = None) -> dict[str, Any]:
    """The figures; ``ranking`` (data/reference/largest-producers.yaml) adds the largest producers
    with no deal. The landscape is the build's kept one where it may be kept (graph.network.landscape_cache)."""
    landscape = landscape or landscape_of(store)
    alliances = list(landscape.alliances.values())
    orgs = [o for o in landscape.organisations.values() if o.kind != "unnamed"]
    quoted = next(iter(select(store, QUOTED)))
    entries, with_quote = int(quoted["entries"].value), int(quoted["quoted"].value or 0)
    missing_home = []
    for o in sorted(orgs, key=lambda o: o.label):
        home = HOME_LANGUAGE.get(o.country or "")
        if o.country is None:
            missing_home.append({"id": o.id, "label": o.label, "country": None, "missing": "country"})
        elif home and home != "en" and not any(lang.split("-")[0] == home for lang in o.names):
            missing_home.append({"id": o.id, "label": o.label, "country": o.country, "missing": home})
    claims = next(iter(select(store, CLAIM_UNITS)))
    with_wikidata = {row["o"].value for row in select(store, WIKIDATA_ITEMS)}
    without_group = [{"id": o.id, "label": o.label, "kind": o.kind} for o in sorted(orgs, key=lambda o: o.label)
                     if o.kind in ("organisation", "joint-venture") and not o.parents]
    return {
        "alliances": len(alliances),
        "organisations": {"named": len(orgs),
                          "with_sector": sum(1 for o in orgs if o.sector),
                          "with_country": sum(1 for o in orgs if o.country),
                          "with_english_name": sum(1 for o in orgs if any(lang.split("-")[0] == "en" for lang in o.names)),
                          "with_wikidata": sum(1 for o in orgs if o.iri in with_wikidata)},
        "unnamed_parties": sum(1 for o in landscape.organisations.values() if o.kind == "unnamed"),
        "sources": len(landscape.sources),
        "corroboration": corroboration(landscape),
        "balance": balance(landscape),
        "by_region": by_region(landscape),
        "largest_without_deal": largest_without_deal(landscape, ranking),
        "by_type": _counter([landscape.label(a.type_key) if a.type_key else "(no type)" for a in alliances]),
        "by_material": _counter([landscape.label(m) for a in alliances for m in a.materials] or []),
        "by_pathway": _counter([landscape.label(p) for a in alliances for p in a.pathways]),
        "by_sector": _counter([landscape.label(o.sector) if o.sector else "(no sector)" for o in orgs]),
        "by_country": _counter([o.country or "(no country)" for o in orgs]),
        "by_year": dict(sorted(Counter(str(a.year) if a.year else "(no year)" for a in alliances).items())),
        "dates": {"with_year": sum(1 for a in alliances if a.year is not None),
                  "by_basis": _counter([a.year_basis or "no date known" for a in alliances])},
        "status": {"with_status": sum(1 for a in alliances if a.status),
                   "by_status": _counter([landscape.label(a.status) for a in alliances if a.status])},
        "quantities": {"claims": int(claims["claims"].value),
                       "with_unit_or_currency": int(claims["measured_claims"].value),
                       "by_kind": _counter(Counter({row["kind"].value: int(row["n"].value) for row in select(store, CLAIM_KINDS)}))},
        "quotes": {"entries": entries, "with_quote": with_quote,
                   "share": round(with_quote / entries, 4) if entries else None},
        "sources_by_language": {row["language"].value: int(row["n"].value) for row in select(store, SOURCE_LANGUAGES)},
        "lacking_home_language_name": missing_home,
        "lacking_group": without_group,
    }


def render_stats(data: dict[str, Any]) -> str:
    orgs = data["organisations"]
    lines = [f"{data['alliances']} alliances, {orgs['named']} organisations (+{data['unnamed_parties']} unnamed parties), "
             f"{data['sources']} sources",
             f"organisations with a sector: {orgs['with_sector']}, a country: {orgs['with_country']}, "
             f"an English name: {orgs['with_english_name']}, a Wikidata id: {orgs['with_wikidata']} (of {orgs['named']})",
             f"claims with a unit or currency: {data['quantities']['with_unit_or_currency']} of {data['quantities']['claims']}"
             + (f" ({', '.join(f'{n} {kind}' for kind, n in data['quantities']['by_kind'].items())})" if data['quantities']['by_kind'] else ""),
             f"quotes: {data['quotes']['with_quote']} of {data['quotes']['entries']} entries "
             f"({(data['quotes']['share'] or 0) * 100:.1f}%)",
             f"with a year: {data['dates']['with_year']} of {data['alliances']} alliances "
             f"({', '.join(f'{n} by {basis}' for basis, n in data['dates']['by_basis'].items())})",
             f"with a status: {data['status']['with_status']} of {data['alliances']} alliances"
             + (f" ({', '.join(f'{n} {status}' for status, n in data['status']['by_status'].items())})" if data['status']['by_status'] else "")]
    corr, bal, regions = data["corroboration"], data["balance"], data["by_region"]
    lines.append(f"corroborated by two independent sources: {corr['with_two_independent_sources']} of {data['alliances']} alliances "
                 f"({(corr['share'] or 0) * 100:.1f}%); {corr['with_one_source']} rest on one source")
    lines.append(f"about steel: {bal['steel']} ({(bal['steel_share'] or 0) * 100:.1f}%), aluminium: {bal['aluminium']}, "
                 f"battery materials: {bal['battery_materials']}")
    lines.append("with parties from " + ", ".join(f"{name}: {n}" for name, n in regions["target_regions"].items()))
    for kind, entry in data["largest_without_deal"].items():
        lines.append(f"largest {kind.replace('_', ' ')}: {entry['with_deal']} of {entry['listed']} have a deal"
                     + (f"; none found for {', '.join(entry['without_deal'])}" if entry["without_deal"] else ""))
    for key, title in (("by_type", "by alliance type"), ("by_material", "by material"), ("by_pathway", "by pathway"),
                       ("by_sector", "organisations by sector"), ("by_country", "organisations by country"),
                       ("by_year", "alliances by year"), ("sources_by_language", "sources by language")):
        lines.append(f"\n{title}:")
        lines += [f"  {count:>5}  {name}" for name, count in data[key].items()]
    lines.append(f"\nlacking a name in their home language ({len(data['lacking_home_language_name'])}):")
    lines += [f"  {o['label']} [{o['id']}]: " + ("no country" if o["missing"] == "country" else f"no '{o['missing']}' name ({o['country']})")
              for o in data["lacking_home_language_name"]]
    lines.append(f"\ncompanies and joint ventures lacking a group ({len(data['lacking_group'])}):")
    lines += [f"  {o['label']} [{o['id']}]" for o in data["lacking_group"]]
    return "\n".join(lines) + "\n"
