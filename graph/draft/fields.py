"""What a draft holds: fields found in the article, each with the sentence it came from (its
quote), a confidence between 0 and 1, and a note when a person must check it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Below this confidence a field is marked for review in the record.
REVIEW_BELOW = 0.7


@dataclass
class Field:
    """One fact: ``kind`` says what it is (type, binding, party, signed, announced, period, quantity,
    person, material, pathway), ``value`` its parts as text."""

    kind: str
    value: dict[str, str]
    quote: str
    confidence: float
    review: str | None = None

    @property
    def needs_review(self) -> bool:
        return self.review is not None or self.confidence < REVIEW_BELOW


@dataclass
class Draft:
    title: str
    language: str
    language_confidence: float
    url: str | None
    published: date | None
    fields: list[Field] = field(default_factory=list)
    taken_ids: frozenset[str] = frozenset()  # post ids data/ already uses

    def of(self, kind: str) -> list[Field]:
        return [f for f in self.fields if f.kind == kind]
