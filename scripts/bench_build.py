"""Benchmark: build and validation time and peak memory on synthetic landscapes.

Synthetic records follow the real format: organisations on company pages, and news articles
with several alliances each between random organisations. The peer in the same run is rdflib
parsing the N-Quads of the built graph: the floor any rdflib-based pipeline would pay to hold
the graph in memory, which ours avoids.

    scripts/bench build [--alliances 1000 10000]
"""
from __future__ import annotations

import argparse
import io
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROLES = ["buyer", "supplier", "participant", "technology-provider"]
MATERIALS = ["green-steel", "low-carbon-automotive-steel", "recycled-aluminium", "green-electrolytic-aluminium", "nickel"]
PATHWAYS = ["hydrogen-dri", "electric-arc-furnace-scrap", "renewable-electricity", "closed-loop-recycling"]
SECTORS = ["steel", "automotive", "aluminium", "battery-materials"]


def make_data(folder: Path, alliances: int, per_file: int = 5, seed: int = 7) -> None:
    rng = random.Random(seed)
    sources = folder / "sources"
    sources.mkdir(parents=True)
    organisations = max(20, alliances // 5)
    for start in range(0, organisations, 50):
        entries = "".join(
            f"  - id: org-{i}\n    kind: company\n    label: {{en: Org {i} Steel, zh: 组织{i}}}\n"
            f"    sector: {rng.choice(SECTORS)}\n    country: CN\n    quote: \"Org {i} is a company\"\n"
            for i in range(start, min(start + 50, organisations)))
        (sources / f"company-pages-{start}.yaml").write_text(
            f"source: {{title: Company pages {start}, publisher: Example, language: en, kind: web-page}}\norganisations:\n{entries}",
            encoding="utf-8")
    for start in range(0, alliances, per_file):
        entries = []
        for a in range(start, min(start + per_file, alliances)):
            parties = rng.sample(range(organisations), 2)
            entries.append(
                f"  - id: deal-{a}\n    type: memorandum-of-understanding\n    title: {{en: Deal {a}}}\n    parties:\n"
                + "".join(f"      - {{organisation: org-{p}, role: {rng.choice(ROLES)}}}\n" for p in parties)
                + f"    materials: [{rng.choice(MATERIALS)}]\n    pathways: [{rng.choice(PATHWAYS)}]\n"
                + f"    signing: {{date: {rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}}}\n    quote: \"deal {a} was signed\"\n")
        (sources / f"news-{start}.yaml").write_text(
            f"source: {{title: News {start}, url: 'https://example.org/{start}', publisher: Example, published: '2025', "
            f"language: en, kind: news-article}}\nalliances:\n{''.join(entries)}", encoding="utf-8")


def measure_one(alliances: int) -> dict[str, float]:
    """Runs in a child process so that peak memory belongs to this size alone."""
    import pyoxigraph as ox
    from rdflib import Dataset

    from graph.build.pipeline import build, check
    from graph.config import Settings
    from graph.rdf.store import OxigraphStore

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        make_data(data, alliances)
        settings = Settings(data_dir=data, store_path=Path(tmp) / "store")
        started = time.perf_counter()
        summary = build(settings)
        build_s = time.perf_counter() - started
        rss_after_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        problems = check(settings)
        validate_s = time.perf_counter() - started
        out = io.BytesIO()
        OxigraphStore.open(settings.store_path).export(out, ox.RdfFormat.N_QUADS)
        started = time.perf_counter()
        Dataset().parse(data=out.getvalue().decode(), format="nquads")
        rdflib_s = time.perf_counter() - started
        return {"alliances": alliances, "files": summary.files, "triples": summary.triples,
                "build_s": round(build_s, 2), "validate_s": round(validate_s, 2), "violations": sum(p.severity.value == "violation" for p in problems),
                "peak_rss_mb_after_build": round(rss_after_build), "rdflib_parse_s": round(rdflib_s, 2),
                "build_over_rdflib_parse": round(build_s / rdflib_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alliances", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        print(json.dumps(measure_one(args.child)))
        return
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores")
    for size in args.alliances:
        result = subprocess.run([sys.executable, __file__, "--child", str(size)], capture_output=True, text=True, check=True)
        print(result.stdout.strip())


if __name__ == "__main__":
    main()
