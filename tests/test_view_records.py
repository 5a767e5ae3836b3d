"""The drawing's edge colours and statuses, the page's alliance records and its filter options are
made by faster paths (graph.visualise.view, session 10: a tenth of ``export html``'s CPU at 15,000
organisations). They must be what the code before made, kept here as the reference, on a synthetic
landscape varied on purpose: several materials and types a deal (inside and outside the palettes),
every status, parties that are no organisation, sources that are missing, roles, dates and pathways.
Compared as the page writes them (orjson's bytes), so that the order of keys counts too."""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

import orjson
import pytest

from graph.network.landscape import Alliance, Landscape
from graph.visualise.html import page_json_bytes
from graph.visualise.view import (EDGE_MATERIAL_COLOURS, EDGE_TYPE_COLOURS, _alliance_records, _edge_key,
                                  _filter_options, build_view, edge_status)

from landscape_support import STATUSES, synthetic_landscape


def reference_edge_key(alliances: list[Alliance], by: str) -> str:
    keys: set[str] = set()
    for a in alliances:
        if by == "material":
            keys |= {k for k in a.material_keys if k in EDGE_MATERIAL_COLOURS}
        else:
            keys |= {k for k in a.type_keys if k in EDGE_TYPE_COLOURS}
    return keys.pop() if len(keys) == 1 else ("several" if keys else "none")


def reference_status(alliances: list[Alliance]) -> str:
    keys = set().union(*(a.status_keys for a in alliances)) if alliances else set()
    if "status/binding" in keys:
        return "binding"
    if keys & {"status/announced", "status/non-binding"}:
        return "non-binding"
    return "cancelled" if "status/cancelled" in keys else "unknown"


def reference_record(landscape: Landscape, a: Alliance, label: Callable[[str], str]) -> dict[str, Any]:
    orgs, sources = landscape.organisations, landscape.sources
    parties = []
    for p, role in a.parties:
        org = orgs.get(p)
        parties.append({"id": org.id if org else p, "label": org.label if org else p, "role": label(f"role/{role}")})
    return {
        "title": a.title, "type": label(a.type_key) if a.type_key else None, "type_keys": sorted(a.type_keys),
        "date": ", ".join(sorted(a.dates)) or a.start, "year": a.year,
        "materials": sorted(map(label, a.materials)), "material_keys": sorted(a.material_keys),
        "pathways": sorted(map(label, a.pathways)), "pathway_keys": sorted(a.pathway_keys),
        "parties": parties,
        "claims": a.claims,
        "sources": [{"title": source.title, "publisher": source.publisher, "url": source.url, "published": source.published}
                    for s in a.sources if (source := sources.get(s)) is not None],
    }


def reference_filter_options(landscape: Landscape, shown: dict[str, Alliance]) -> dict[str, Any]:
    def options(keys: set[str]) -> list[dict[str, str]]:
        return [{"key": k, "label": landscape.label(k)} for k in sorted(keys, key=landscape.label)]

    years = [a.year for a in shown.values() if a.year is not None]
    return {
        "materials": options({k for a in shown.values() for k in a.material_keys}),
        "pathways": options({k for a in shown.values() for k in a.pathway_keys}),
        "types": options({k for a in shown.values() for k in a.type_keys}),
        "years": [min(years) if years else None, max(years) if years else None],
    }


MATERIALS = [*EDGE_MATERIAL_COLOURS, "material/green-steel", "material/scrap"]
TYPES = [*EDGE_TYPE_COLOURS, "alliance-type/memorandum-of-understanding"]
STATUS_KEYS = [keys for _, keys in STATUSES] + [{"status/cancelled"}]


def varied(seed: int) -> Landscape:
    """The synthetic landscape with each deal's topics, status, parties, sources and dates drawn at random."""
    rng = random.Random(seed)
    landscape = synthetic_landscape(200, seed=seed)
    alliances = {}
    for iri, a in landscape.alliances.items():
        materials = set(rng.sample(MATERIALS, rng.randint(0, 3)))
        parties = list(a.parties) + ([("https://example.org/org/nobody", "buyer")] if rng.random() < 0.2 else [])
        alliances[iri] = replace(
            a, materials=materials, material_keys=materials | ({"material/steel"} if "material/green-steel" in materials else set()),
            pathways=set(rng.sample(["pathway/hydrogen-dri", "pathway/scrap-eaf"], rng.randint(0, 2))),
            pathway_keys=set(rng.sample(["pathway/hydrogen-dri", "pathway/scrap-eaf", "pathway/low-carbon"], rng.randint(0, 3))),
            type_keys=set(rng.sample(TYPES, rng.randint(0, 2))), type_key=rng.choice([None, *TYPES]),
            status_keys=set(rng.choice(STATUS_KEYS)), parties=[(p, rng.choice(["party", "buyer", "supplier"])) for p, _ in parties],
            sources=[*a.sources, "missing-source"] if rng.random() < 0.3 else list(a.sources),
            dates=set(rng.sample(["2023", "2024-05", "2025-01-02"], rng.randint(0, 2))), start=rng.choice([None, "2022"]),
            year=rng.choice([None, 2021, 2024]))
    labels = {**landscape.concept_labels, "material/green-steel": "green steel", "role/buyer": "buyer"}
    return replace(landscape, alliances=alliances, concept_labels=labels)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_edge_colours_and_statuses_are_those_before(seed: int) -> None:
    alliances = list(varied(seed).alliances.values())
    rng = random.Random(seed)
    groups = [[a] for a in alliances] + [rng.sample(alliances, rng.randint(2, 4)) for _ in range(300)] + [[]]
    for group in groups:
        for by in ("material", "type"):
            assert _edge_key(group, by) == reference_edge_key(group, by), (by, [a.id for a in group])
        assert edge_status(group) == reference_status(group), [a.id for a in group]


def test_an_edge_of_deals_in_two_materials_has_several() -> None:
    """The key of several deals is the palette's part of the union of their keys (not of the intersection)."""
    base = synthetic_landscape(200).alliances
    steel, aluminium = (replace(a, material_keys={k}) for a, k in zip(base.values(), ("material/steel", "material/aluminium")))
    assert _edge_key([steel, aluminium], "material") == "several"
    assert _edge_key([steel, replace(aluminium, material_keys={"material/steel", "material/scrap"})], "material") == "material/steel"
    assert _edge_key([steel, replace(aluminium, material_keys=set())], "material") == "material/steel"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_page_records_and_filter_options_are_those_before(seed: int) -> None:
    landscape = varied(seed)
    shown = {a.id: a for a in list(landscape.alliances.values())[::2]}
    label = lru_cache(maxsize=None)(landscape.label)
    before = {ident: reference_record(landscape, a, label) for ident, a in sorted(shown.items())}
    assert orjson.dumps(_alliance_records(landscape, shown, label)) == orjson.dumps(before)
    assert orjson.dumps(_filter_options(landscape, shown)) == orjson.dumps(reference_filter_options(landscape, shown))


def test_deals_without_claims_have_no_volume() -> None:
    """No deal states a volume: every edge's volume is null, as the sums of nothing gave, and the width
    legend says so."""
    landscape = synthetic_landscape(200)
    bare = replace(landscape, alliances={iri: replace(a, claims=[]) for iri, a in landscape.alliances.items()})
    view = build_view(bare, edge_width="volume")
    assert view.data["edges"] and all(e["volume"] is None and e["volume_unit"] is None for e in view.data["edges"].values())
    assert view.data["legend"]["width"] == "contracted volume (none is stated for these deals)"
    assert {e["width"] for e in view.network.edges} == {1}
    with_claims = build_view(landscape, edge_width="volume")
    assert any(e["volume"] for e in with_claims.data["edges"].values())


@pytest.mark.parametrize("text", ["a\u2028b", "–\u2029", "– ’ “ €", "plain", "宝山\u2028", "<&>\u2028\u2029"])
def test_line_separators_are_escaped_with_or_without_other_e2_bytes(text: str) -> None:
    written = page_json_bytes({"label": text})
    assert b"\xe2\x80\xa8" not in written and b"\xe2\x80\xa9" not in written
    assert orjson.loads(written) == {"label": text}
    assert written == orjson.dumps({"label": text}).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(
        b"&", b"\\u0026").replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
