"""The options of the network commands: filters given by name (any language) become a
NetworkFilter, and the measures a ranking can use. Light to import: no networkx here."""
from __future__ import annotations

from graph.errors import AllianceError
from graph.network.filters import NetworkFilter
from graph.network.landscape import concept_key
from graph.ask.resolve import resolve
from graph.rdf.store import GraphStore

MEASURES = ("pagerank", "degree", "weighted-degree", "betweenness", "constraint", "effective-size")


def make_filter(store: GraphStore, material: str | None = None, pathway: str | None = None,
                alliance_type: str | None = None, sector: str | None = None, country: str | None = None,
                year_from: int | None = None, year_to: int | None = None, focus: str | None = None,
                depth: int = 1, status: str | None = None) -> NetworkFilter:
    """Names resolve as in ``alliances show``: '绿钢' is the material green steel."""
    def concept(text: str | None, kind: str) -> str | None:
        return concept_key(resolve(store, text, kind).iri) if text else None

    if year_from is not None and year_to is not None and year_from > year_to:
        raise AllianceError(f"--from {year_from} is after --to {year_to}")
    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise AllianceError(f"--country {country}: give a two-letter ISO code such as CN or DE")
    if depth < 1:
        raise AllianceError("--depth must be 1 or more")
    return NetworkFilter(
        material=concept(material, "material"), pathway=concept(pathway, "pathway"),
        alliance_type=concept(alliance_type, "alliance-type"), sector=concept(sector, "sector"),
        country=country.upper() if country else None, status=concept(status, "status"), year_from=year_from, year_to=year_to,
        focus=resolve(store, focus, "organisation").iri if focus else None, depth=depth)
