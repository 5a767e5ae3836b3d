"""graph/ type-checks with no error: mypy runs with the settings of pyproject.toml ([tool.mypy],
strict), so ``scripts/test`` and CI fail on a type error as they fail on a test."""
from __future__ import annotations

import pytest

from graph.config import PROJECT_ROOT


def test_graph_has_no_type_errors() -> None:
    mypy_api = pytest.importorskip("mypy.api", reason="mypy is missing: pip install -e '.[test]' (scripts/setup does it)")
    stdout, stderr, status = mypy_api.run([
        "--config-file", str(PROJECT_ROOT / "pyproject.toml"),
        "--cache-dir", str(PROJECT_ROOT / ".mypy_cache"),
        str(PROJECT_ROOT / "graph"),
    ])
    assert status == 0, f"mypy found type errors in graph/ (run .venv/bin/mypy to see them):\n{stdout}{stderr}"
