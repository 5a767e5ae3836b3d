"""A synthetic alliance landscape of any size, made in memory: organisations with English, German and
Chinese names, deals between a few of them (with statuses and volumes) and programmes with many
members, attached preferentially so that a few players dominate as in the real data.

Used by the image tests at 1,000 organisations, where building records would take minutes."""
from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

from graph.network.landscape import Alliance, Landscape, Organisation, Source

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"

SECTORS = ("sector/steel", "sector/automotive", "sector/aluminium", "sector/battery-materials", "sector/energy")
STATUSES: tuple[tuple[str | None, set[str]], ...] = (("status/binding", {"status/binding"}), ("status/delivering", {"status/delivering", "status/binding"}),
            ("status/non-binding", {"status/non-binding"}), ("status/announced", {"status/announced"}), (None, set()))
GERMAN = ("Müller", "Schäfer", "Größer", "Weiß", "Kühn", "Böhm")
CHINESE = ("宝山", "河钢", "鞍钢", "首钢", "沙钢", "马钢", "本钢", "华菱")


def organisation_name(index: int, rng: random.Random) -> str:
    """An English, a German or a Chinese company name, as long as real ones are."""
    kind = index % 3
    if kind == 0:
        return f"{rng.choice(('Nordic', 'Pacific', 'Atlas', 'Green', 'United'))} {rng.choice(('Steel', 'Motors', 'Metals', 'Energy'))} {index}"
    if kind == 1:
        return f"{rng.choice(GERMAN)} Stahlwerke {index} GmbH"
    return f"{rng.choice(CHINESE)}{rng.choice(('钢铁', '汽车', '新能源'))}集团{index}"


def synthetic_landscape(organisations: int = 1000, seed: int = 7) -> Landscape:
    rng = random.Random(seed)
    orgs = {}
    for i in range(organisations):
        iri = f"https://example.org/org/o{i}"
        name = organisation_name(i, rng)
        orgs[iri] = Organisation(iri, f"o{i}", "organisation", {"en": [name]}, rng.choice(SECTORS), "DE" if i % 3 == 1 else "CN",
                                 [], label=name)
    ids = list(orgs)
    weights = [1.0] * len(ids)
    alliances = {}
    position = {iri: i for i, iri in enumerate(ids)}
    for a in range(organisations):  # alliance a has organisation a among its parties: every one is drawn
        programme = a % 25 == 0
        size = rng.randint(5, 12) if programme else 2
        parties = {ids[a]}
        while len(parties) < size:
            parties.add(rng.choices(ids, weights)[0])
        for party in parties:
            weights[position[party]] += 1.0
        status, keys = rng.choice(STATUSES)
        iri = f"https://example.org/alliance/a{a}"
        claims = [] if programme or a % 3 else [{"value": str(rng.randint(1, 90) * 10), "unit": "kilotonne / year",
                                                  "measure": "volume"}]
        alliances[iri] = Alliance(
            iri, f"a{a}", "Programme" if programme else "Agreement", {"en": f"Alliance {a}"}, "alliance-type/agreement",
            {"2024-01-01"}, parties=sorted((p, "party") for p in parties), materials={"material/steel"},
            material_keys={"material/steel"}, type_keys={"alliance-type/agreement"}, sources=[f"src-{a}"],
            claims=claims, year=2024, year_basis="signing date", status=status, status_keys=keys, title=f"Alliance {a}")
    sources = {f"src-{a}": Source(f"src-{a}", f"Source {a}", "Example", f"https://example.org/news/{a}", "2025-01-01")
               for a in range(len(alliances))}
    labels = {"material/steel": "steel", "alliance-type/agreement": "agreement", "role/party": "party"}
    return Landscape(alliances, orgs, labels, sources)


def bench_store(folder: Path, organisations: int) -> Path:
    """A store at ``folder`` built as ``scripts/bench network`` builds its landscapes (five deals an
    organisation from the generator of ``scripts/bench build``, compiled and derived, no SHACL)."""
    sys.path.insert(0, str(SCRIPTS))  # bench_network_scale imports bench_build, its neighbour
    try:
        spec = importlib.util.spec_from_file_location("bench_network_scale", SCRIPTS / "bench_network_scale.py")
        assert spec is not None and spec.loader is not None
        bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
        bench.build_store(organisations, folder)
    finally:
        sys.path.remove(str(SCRIPTS))
    return folder
