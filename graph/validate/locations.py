"""Where in ``data/`` each IRI was written, so that a problem in the graph names file and line."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from graph.config import Settings


@dataclass
class Locations:
    """IRI -> [(file, line)] for each record entry, and source IRI -> file."""

    settings: Settings
    by_iri: dict[str, list[tuple[str, int]]]
    file_of_source: dict[str, str]

    @classmethod
    def from_declared(cls, settings: Settings, declared: list[tuple[str, str, str, int]]) -> Locations:
        by_iri: dict[str, list[tuple[str, int]]] = defaultdict(list)
        file_of_source: dict[str, str] = {}
        for kind, ident, file, line in declared:
            iri = settings.entity_iri(kind, ident)
            by_iri[iri].append((file, line))
            if kind == "source":
                file_of_source[iri] = file
        return cls(settings, dict(by_iri), file_of_source)

    def owner(self, iri: str) -> str | None:
        """The entity whose entries place ``iri``: itself if a record describes it, else the one it
        belongs to (a participation belongs to its alliance); None if no record describes either."""
        owner = iri
        while owner not in self.by_iri and "/" in owner.removeprefix(self.settings.base):
            owner = owner.rsplit("/", 1)[0]
        return owner if owner in self.by_iri else None

    def of(self, iri: str, in_graph: str | None = None) -> tuple[str, int]:
        """The entry that wrote ``iri`` (or its owner's, Locations.owner), preferring the one in the
        file of source graph ``in_graph``."""
        owner = self.owner(iri)
        places = self.by_iri.get(owner, []) if owner is not None else []
        if in_graph and in_graph in self.file_of_source:
            wanted = self.file_of_source[in_graph]
            for place in places:
                if place[0] == wanted:
                    return place
            return wanted, 0
        return places[0] if places else ("(built graph)", 0)

    def kind_and_id(self, iri: str) -> str:
        """How messages show an entity; for people only (the checks know problems by ``Problem.about``)."""
        return iri.removeprefix(self.settings.base)
