"""What resolving a query parameter asks the store (graph/ask/resolve.py): a parameter needs only
the entity's IRI, so an id is found by its IRI alone and no name is read for it, and a name by its
one exact-match look-up; the display label is read only where a match is shown."""
from __future__ import annotations

from typing import cast

import pytest

from graph.ask.resolve import resolve, resolve_iri
from graph.errors import AmbiguousName
from graph.rdf.store import GraphStore, OxigraphStore, QueryResult


class Recording:
    """The session's store, recording the SPARQL it is asked."""

    def __init__(self, store: OxigraphStore) -> None:
        self.store, self.asked = store, cast(list[str], [])

    def query(self, sparql: str, substitutions: dict[str, object] | None = None) -> QueryResult:
        self.asked.append(sparql)
        return self.store.query(sparql, substitutions)  # type: ignore[arg-type]


def test_an_id_is_resolved_by_its_iri_without_reading_names(store: OxigraphStore) -> None:
    recording = Recording(store)
    assert resolve_iri(cast(GraphStore, recording), "hbis", "organisation") == resolve(store, "河钢").iri
    assert recording.asked and not [q for q in recording.asked if "Label" in q], recording.asked


def test_a_name_is_resolved_without_its_display_label(store: OxigraphStore) -> None:
    recording = Recording(store)
    assert resolve_iri(cast(GraphStore, recording), "河钢", "organisation") == resolve(store, "hbis").iri
    assert not [q for q in recording.asked if "displayLabel" in q], recording.asked


def test_an_ambiguous_parameter_still_lists_the_candidates(store: OxigraphStore) -> None:
    with pytest.raises(AmbiguousName) as error:
        resolve_iri(store, "Henan aluminium company", "organisation")
    assert {c[0] for c in error.value.candidates} == {"henan-aluminium-company-1", "henan-aluminium-company-2"}
