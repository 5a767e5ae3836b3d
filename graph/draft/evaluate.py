"""How well drafts match what test articles state (tests/fixtures/draft/*.expected.yaml, see
scripts/bench draft): precision and recall per field, over the facts each side states.

A party matches by organisation id, or, for one the graph does not know, by its name folded
(graph.records.names.normalise) and compared with rapidfuzz; quantities match by their kind and
value in the kind's canonical unit (graph.records.quantities), so '45 kilotonne / year' is '45000
tonne / year'; dates match as written, at their precision.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz

from graph.draft.fields import Draft
from graph.records.names import normalise
from graph.records.quantities import UnitError, read_quantity

FIELDS = ("parties", "roles", "type", "binding", "dates", "quantities", "people", "materials", "pathways")


@dataclass
class Tally:
    found: int = 0  # stated by the draft
    expected: int = 0  # stated by the article's record
    right: int = 0  # stated by both

    def add(self, other: "Tally") -> None:
        self.found += other.found
        self.expected += other.expected
        self.right += other.right

    @property
    def precision(self) -> float | None:
        return self.right / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.right / self.expected if self.expected else None


@dataclass
class Score:
    tallies: dict[str, Tally] = field(default_factory=lambda: {name: Tally() for name in FIELDS})


def _party_key(value: dict[str, Any]) -> str:
    return str(value.get("organisation") or "new:" + normalise(str(value.get("name", ""))))


def _same_party(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.startswith("new:") and b.startswith("new:"):
        return fuzz.ratio(a[4:], b[4:]) >= 85 or (len(a) > 6 and len(b) > 6 and (a[4:] in b[4:] or b[4:] in a[4:]))
    return False


def _match(found: list[Any], expected: list[Any], same: Any = None) -> Tally:
    same = same or (lambda a, b: a == b)
    left = list(expected)
    right = 0
    for item in found:
        for index, wanted in enumerate(left):
            if same(item, wanted):
                right += 1
                del left[index]
                break
    return Tally(len(found), len(expected), right)


def _quantity_key(value: dict[str, Any]) -> tuple[str, Decimal] | None:
    try:
        if value.get("currency"):
            return (str(value["currency"]), Decimal(str(value["value"])).normalize())
        quantity = read_quantity(str(value["value"]), str(value["unit"]))
        return (quantity.kind, quantity.normalised.normalize())
    except (UnitError, ArithmeticError, KeyError, ValueError):
        return None


def score(draft: Draft, expected: dict[str, Any]) -> Score:
    """The draft against one article's expected record."""
    result = Score()
    gold = expected.get("alliance") or {}
    tallies = result.tallies
    found_parties = [(_party_key(f.value), f.value.get("role")) for f in draft.of("party")]
    gold_parties = [(_party_key(p), p.get("role")) for p in gold.get("parties") or []]
    tallies["parties"] = _match([p for p, _ in found_parties], [p for p, _ in gold_parties], _same_party)
    tallies["roles"] = _match(found_parties, gold_parties, lambda a, b: _same_party(a[0], b[0]) and a[1] == b[1])
    tallies["type"] = _match([f.value["type"] for f in draft.of("type")], [gold["type"]] if gold.get("type") else [])
    binding = gold.get("binding")
    tallies["binding"] = _match([f.value["binding"] for f in draft.of("binding")],
                                [str(binding).lower()] if binding is not None else [])
    tallies["dates"] = _match(_draft_dates(draft), _gold_dates(gold))
    tallies["quantities"] = _match([_quantity_key(f.value) for f in draft.of("quantity")],
                                   [_quantity_key(q) for q in gold.get("quantities") or []])
    tallies["people"] = _match([normalise(f.value["name"]) for f in draft.of("person")],
                               [normalise(str(p["name"])) for p in gold.get("people") or []])
    tallies["materials"] = _match([f.value["id"] for f in draft.of("material")], list(gold.get("materials") or []))
    tallies["pathways"] = _match([f.value["id"] for f in draft.of("pathway")], list(gold.get("pathways") or []))
    return result


def _draft_dates(draft: Draft) -> list[tuple[str, str]]:
    dates = [(kind, f.value["date"]) for kind in ("signed", "announced") for f in draft.of(kind)]
    for f in draft.of("period"):
        dates += [(key, f.value[key]) for key in ("start", "end") if key in f.value]
    return dates


def _gold_dates(gold: dict[str, Any]) -> list[tuple[str, str]]:
    dates = [(kind, str(gold[kind])) for kind in ("signed", "announced") if gold.get(kind)]
    period = gold.get("period") or {}
    dates += [(key, str(period[key])) for key in ("start", "end") if period.get(key)]
    return dates
