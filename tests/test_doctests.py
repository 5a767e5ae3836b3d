"""The examples in the package's docstrings run for real (graph/api.py shows the whole API).

They run on a graph built from data/ into this test's own store (ALLIANCES_STORE), so the
developer's store is never touched. An example may skip only where its output truly varies;
ELLIPSIS covers parts that do (a path, a time, counts that grow with the data).
"""
from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from graph.config import PROJECT_ROOT

MODULES = sorted(".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
                 for path in (PROJECT_ROOT / "graph").rglob("*.py") if ">>>" in path.read_text(encoding="utf-8"))


def test_the_api_has_examples() -> None:
    assert "graph.api" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCES_STORE", str(tmp_path / "store"))
    tests = [test for test in doctest.DocTestFinder().find(importlib.import_module(name)) if test.examples]
    examples = [example for test in tests for example in test.examples]
    assert examples, f"{name}: '>>>' in its source, but no docstring example was found"
    skipped = [example.source.strip() for example in examples if example.options.get(doctest.SKIP)]
    assert not skipped, f"{name}: examples that never run: {skipped}"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failed = sum(runner.run(test, out=report.append).failed for test in tests)
    assert failed == 0, "".join(report)
