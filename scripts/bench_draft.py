"""Benchmark: how well `alliances draft` reads the test articles, and how fast.

Each article (<lang>-<nn>-<slug>.txt or .html) in FOLDER is drafted with the --url, --published and
language its .expected.yaml gives (the language is detected, and checked), and the draft is compared
with the expected record field by field (graph.draft.evaluate). The graph is built once, into a
temporary store, from the project's data/. Prints a table and writes JSON.

    scripts/bench draft [FOLDER] [--json FILE]     (FOLDER: tests/fixtures/draft by default)
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"parties": {"recall": 0.9, "precision": 0.85}, "type": {"precision": 0.85, "recall": 0.85},
           "dates": {"precision": 0.8, "recall": 0.8}, "quantities": {"precision": 0.8, "recall": 0.8}}
SECONDS_PER_ARTICLE = 2.0


def articles(folder: Path) -> list[tuple[Path, Path]]:
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".txt", ".html") and not path.name.endswith(".expected.yaml"):
            expected = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.yaml")
            if expected.exists():
                found.append((path, expected))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "tests" / "fixtures" / "draft")
    parser.add_argument("--json", type=Path, default=ROOT / ".alliances" / "bench-draft.json", help="where to write the figures")
    args = parser.parse_args()
    pairs = articles(args.folder) if args.folder.is_dir() else []
    if not pairs:
        print(f"error: {args.folder} has no articles with .expected.yaml beside them; give a folder of test articles", file=sys.stderr)
        return 2
    from graph.build.pipeline import build
    from graph.config import Settings
    from graph.draft import draft_article
    from graph.draft.evaluate import FIELDS, Tally, score
    from graph.draft.lexicon import load_lexicon
    from graph.rdf.store import OxigraphStore

    with tempfile.TemporaryDirectory(prefix="bench-draft-") as folder:
        settings = Settings(store_path=Path(folder) / "store")
        build(settings)
        started = time.perf_counter()
        lexicon = load_lexicon(OxigraphStore.open(settings.store_path))
        lexicon_seconds = time.perf_counter() - started
        totals = {name: Tally() for name in FIELDS}
        rows: list[dict[str, Any]] = []
        languages_right = 0
        for article, expected_path in pairs:
            expected = yaml.safe_load(expected_path.read_text(encoding="utf-8")) or {}
            published = expected.get("published")
            started = time.perf_counter()
            draft = draft_article(article.read_bytes(), article.name, lexicon, url=expected.get("url"),
                                  published=published if hasattr(published, "isoformat") else None)
            seconds = time.perf_counter() - started
            result = score(draft, expected)
            for name, tally in result.tallies.items():
                totals[name].add(tally)
            languages_right += draft.language == expected.get("language")
            rows.append({"article": article.name, "seconds": round(seconds, 3), "language": draft.language,
                         **{name: [t.right, t.found, t.expected] for name, t in result.tallies.items()}})
    times = [row["seconds"] for row in rows]
    figures = {name: {"precision": _round(t.precision), "recall": _round(t.recall), "right": t.right, "found": t.found,
                      "expected": t.expected} for name, t in totals.items()}
    report: dict[str, Any] = {"folder": str(args.folder), "articles": len(rows), "language_right": languages_right,
              "seconds_per_article": {"mean": round(sum(times) / len(times), 3), "max": max(times),
                                      "first_includes_imports": True},
              "lexicon_load_seconds": round(lexicon_seconds, 3), "fields": figures, "per_article": rows,
              "targets": TARGETS, "machine": {"python": platform.python_version(), "system": platform.platform()}}
    print(f"{len(rows)} articles in {args.folder}; language right in {languages_right}")
    print(f"{'field':<12}{'precision':>10}{'recall':>8}{'right':>7}{'found':>7}{'expected':>9}  target")
    for name, figure in figures.items():
        target = TARGETS.get(name)
        goal = ", ".join(f"{k} >= {v}" for k, v in target.items()) if target else ""
        print(f"{name:<12}{_show(figure['precision']):>10}{_show(figure['recall']):>8}{figure['right']:>7}{figure['found']:>7}"
              f"{figure['expected']:>9}  {goal}")
    print(f"time per article: mean {report['seconds_per_article']['mean']} s, max {max(times)} s "
          f"(target under {SECONDS_PER_ARTICLE} s; the graph's names load once in {report['lexicon_load_seconds']} s)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"figures written to {args.json}")
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _show(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    sys.exit(main())
