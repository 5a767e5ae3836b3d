"""Filters shared by every network command: what alliances and organisations a view keeps."""
from __future__ import annotations

from dataclasses import dataclass

from graph.network.landscape import Alliance, Landscape, Organisation, Part


@dataclass(frozen=True)
class NetworkFilter:
    """Concept filters are keys such as 'material/steel' and match narrower concepts too."""

    material: str | None = None
    pathway: str | None = None
    alliance_type: str | None = None
    sector: str | None = None
    country: str | None = None
    status: str | None = None  # a concept key such as 'status/binding': the current status or a broader one
    year_from: int | None = None
    year_to: int | None = None
    focus: str | None = None  # organisation IRI: keep its neighbourhood only
    depth: int = 1

    @property
    def needs(self) -> frozenset[Part]:
        """What ``load_landscape`` must read for this filter: topics when it selects alliances by them."""
        topical = (self.material, self.pathway, self.alliance_type, self.status, self.year_from, self.year_to)
        return frozenset(("topics",)) if any(value is not None for value in topical) else frozenset()

    def keeps_alliance(self, a: Alliance) -> bool:
        if self.material and self.material not in a.material_keys:
            return False
        if self.pathway and self.pathway not in a.pathway_keys:
            return False
        if self.alliance_type and self.alliance_type not in a.type_keys:
            return False
        # 'binding' takes in the later stages (final investment decision, delivering, completed), which are
        # narrower than it in the statuses scheme; an alliance with no status is not known to be binding.
        if self.status and self.status not in a.status_keys:
            return False
        if self.year_from is not None or self.year_to is not None:
            # an alliance with no known year cannot be shown to fall in a range
            if a.year is None:
                return False
            if self.year_from is not None and a.year < self.year_from:
                return False
            if self.year_to is not None and a.year > self.year_to:
                return False
        return True

    def keeps_organisation(self, o: Organisation | None) -> bool:
        if o is None:
            return not (self.sector or self.country)
        if self.sector and o.sector != self.sector:
            return False
        return not (self.country and o.country != self.country)

    def summary(self, landscape: Landscape) -> str:
        """One line for titles and exports, e.g. 'material: steel; 2022-2025'."""
        parts = []
        for name, key in (("material", self.material), ("pathway", self.pathway), ("type", self.alliance_type), ("status", self.status),
                          ("sector", self.sector)):
            if key:
                parts.append(f"{name}: {landscape.label(key)}")
        if self.country:
            parts.append(f"country: {self.country}")
        if self.year_from is not None or self.year_to is not None:
            parts.append(f"years: {self.year_from or '…'}–{self.year_to or '…'}")
        if self.focus:
            focus = landscape.organisations.get(self.focus)
            parts.append(f"around {focus.label if focus else self.focus} (depth {self.depth})")
        return "; ".join(parts) or "all alliances"
