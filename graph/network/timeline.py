"""Alliances counted by year, split by material, pathway or alliance type."""
from __future__ import annotations

from collections import defaultdict
from typing import Literal

from graph.network.filters import NetworkFilter
from graph.network.landscape import Landscape
from graph.network.projections import kept_alliances

By = Literal["material", "pathway", "type"]


def timeline(landscape: Landscape, by: By = "material", flt: NetworkFilter | None = None) -> list[dict[str, object]]:
    """Rows of year, category, count and alliance ids; an alliance with no known year counts under
    year None, and one without a category under '(none)'."""
    counts: dict[tuple[int | None, str], list[str]] = defaultdict(list)
    for alliance in kept_alliances(landscape, flt or NetworkFilter()):
        keys = {"material": alliance.materials, "pathway": alliance.pathways,
                "type": {alliance.type_key} if alliance.type_key else set()}[by]
        for key in sorted(keys) or ["(none)"]:
            counts[(alliance.year, key)].append(alliance.id)
    rows: list[dict[str, object]] = []
    for (year, key), ids in sorted(counts.items(), key=lambda item: (item[0][0] is None, item[0][0] or 0, item[0][1])):
        rows.append({"year": year, by: landscape.label(key) if key != "(none)" else key, "count": len(ids),
                     "alliances": sorted(ids)})
    return rows
