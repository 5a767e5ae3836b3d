"""Benchmark: cold and incremental builds of synthetic landscapes, against pyoxigraph's bulk load
of the same N-Quads in the same run (the floor: no build can load its triples faster).

Synthetic records follow the real format: organisations on company pages, and news articles
with several alliances each between random organisations (about 28 triples an alliance).
For each size it prints one JSON line:
- cold: a build with no cache (every file read, checked, emitted; the graph derived and checked);
- unchanged: a build again with nothing changed (incremental: it starts from the published build);
- one_file: a build after one record file changed (incremental: that file compiled and its graph
  replaced, the derived graph changed by its difference, the checks that can be scoped run on
  what the change reaches, the manifest patched);
- many_files: a build after ``MANY`` of the files changed (their alliances retitled): incremental
  too, below the share past which a build is cold (graph.build.incremental.MOST_CHANGED), and
  reported against the cold build (``many_files_over_cold``: below 1, the incremental build pays);
- bulk_load: pyoxigraph loading the build's N-Quads into a new on-disk store.
Each as seconds and triples a second, and cold against the floor (``cold_over_bulk_load``).

    scripts/bench build                         # 4,000 alliances, about 100,000 triples: minutes
    scripts/bench build --triples 1000000       # about 1 million triples (35,273 alliances)
    scripts/bench build --alliances 1000 10000  # several sizes, one line each
    scripts/bench build --profile out.txt       # pyinstrument's profile of the cold build, if installed
    scripts/bench build --profile-one-file out.txt  # ... and of the build after one file changed

The machine matters: say how many cores it has and how loaded it was (the first line says the cores).
"""
from __future__ import annotations

import argparse
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
TRIPLES_PER_ALLIANCE = 28.35  # measured: 113,395 triples for 4,000 alliances (derived triples included)
MANY = 0.05  # of the files, changed for the many_files build


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
    signed: set[tuple[frozenset[int], str]] = set()  # two deals of one type, parties and date are one deal (a violation)
    for start in range(0, alliances, per_file):
        deals: list[str] = []
        for a in range(start, min(start + per_file, alliances)):
            while True:  # drawn again only when it would repeat a deal, so other sizes keep their data
                parties = rng.sample(range(organisations), 2)
                text = (f"  - id: deal-{a}\n    type: memorandum-of-understanding\n    title: {{en: Deal {a}}}\n    parties:\n"
                        + "".join(f"      - {{organisation: org-{p}, role: {rng.choice(ROLES)}}}\n" for p in parties)
                        + f"    materials: [{rng.choice(MATERIALS)}]\n    pathways: [{rng.choice(PATHWAYS)}]\n")
                date = f"{rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}"
                if (frozenset(parties), date) not in signed:
                    break
            signed.add((frozenset(parties), date))
            deals.append(text + f"    signing: {{date: {date}}}\n    quote: \"deal {a} was signed\"\n")
        (sources / f"news-{start}.yaml").write_text(
            f"source: {{title: News {start}, url: 'https://example.org/{start}', publisher: Example, published: '2025', "
            f"language: en, kind: news-article}}\nalliances:\n{''.join(deals)}", encoding="utf-8")


def _timed_build(settings: object, profile: str | None = None) -> tuple[float, int]:
    from graph.build.pipeline import build

    profiler = None
    if profile:
        from pyinstrument import Profiler  # a measuring tool, in the test extra (scripts/setup installs it)
        profiler = Profiler()
        profiler.start()
    started = time.perf_counter()
    summary = build(settings)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    if profiler is not None and profile:
        profiler.stop()
        Path(profile).write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
    return seconds, summary.triples


def _note(text: str) -> None:
    """Each phase on stderr as it ends: a run at a million triples that is cut short still says something."""
    print(text, file=sys.stderr, flush=True)


def measure_one(alliances: int, profile: str | None = None, profile_one_file: str | None = None) -> dict[str, object]:
    """Runs in a child process so that peak memory belongs to this size alone."""
    import pyoxigraph as ox

    from graph.config import Settings
    from graph.rdf.store import OxigraphStore

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        make_data(data, alliances)
        settings = Settings(data_dir=data, store_path=Path(tmp) / "store")
        cold_s, triples = _timed_build(settings, profile)
        _note(f"{alliances} alliances: cold build {cold_s:.1f} s, {triples} triples")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        unchanged_s, _ = _timed_build(settings)
        _note(f"{alliances} alliances: nothing changed {unchanged_s:.1f} s")
        changed = data / "sources" / "news-0.yaml"
        changed.write_text(changed.read_text(encoding="utf-8").replace("Deal 0}", "Deal zero}"), encoding="utf-8")
        one_file_s, _ = _timed_build(settings, profile_one_file)
        _note(f"{alliances} alliances: one file changed {one_file_s:.1f} s")
        files = len(list((data / "sources").glob("*.yaml")))
        news = sorted((data / "sources").glob("news-*.yaml"), key=lambda path: int(path.stem.removeprefix("news-")))
        many = news[:max(1, round(MANY * files))]
        for path in many:
            path.write_text(path.read_text(encoding="utf-8").replace("title: {en: Deal ", "title: {en: Deal x"), encoding="utf-8")
        many_s, _ = _timed_build(settings)
        _note(f"{alliances} alliances: {len(many)} files changed {many_s:.1f} s")
        nquads = Path(tmp) / "graph.nq"
        with nquads.open("wb") as out:
            OxigraphStore.open(settings.store_path).export(out, ox.RdfFormat.N_QUADS)
        started = time.perf_counter()
        floor = ox.Store(str(Path(tmp) / "floor"))
        floor.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        floor.flush()
        bulk_s = time.perf_counter() - started
        del floor

        def rate(seconds: float) -> int:
            return round(triples / seconds)

        return {"alliances": alliances, "files": files, "triples": triples,
                "cold_s": round(cold_s, 2), "cold_triples_per_s": rate(cold_s),
                "unchanged_s": round(unchanged_s, 2), "unchanged_triples_per_s": rate(unchanged_s),
                "one_file_s": round(one_file_s, 2), "one_file_triples_per_s": rate(one_file_s),
                "many_files": len(many), "many_files_s": round(many_s, 2), "many_files_over_cold": round(many_s / cold_s, 2),
                "bulk_load_s": round(bulk_s, 2), "bulk_load_triples_per_s": rate(bulk_s),
                "cold_over_bulk_load": round(cold_s / bulk_s, 1), "one_file_over_bulk_load": round(one_file_s / bulk_s, 1),
                "peak_rss_mb_after_cold_build": round(rss_mb)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--alliances", type=int, nargs="+", help="sizes in alliances (default 4000)")
    sizes.add_argument("--triples", type=int, nargs="+", help=f"sizes in triples (about {TRIPLES_PER_ALLIANCE} an alliance)")
    parser.add_argument("--profile", help="write pyinstrument's profile of the (last size's) cold build to this file")
    parser.add_argument("--profile-one-file", help="write pyinstrument's profile of the (last size's) one-file build to this file")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        print(json.dumps(measure_one(args.child, args.profile, args.profile_one_file)))
        return
    alliances = args.alliances or [round(t / TRIPLES_PER_ALLIANCE) for t in args.triples or []] or [4000]
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, "
          f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    for size in alliances:
        command = [sys.executable, __file__, "--child", str(size)] + (["--profile", args.profile] if args.profile else []) \
            + (["--profile-one-file", args.profile_one_file] if args.profile_one_file else [])
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        print(result.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
