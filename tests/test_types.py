"""The package, the scripts and the tests type-check with no error: mypy runs with the settings of
pyproject.toml ([tool.mypy], strict), so ``scripts/test`` and CI fail on a type error as they fail
on a test. The scripts and tests are checked too: a benchmark that calls the package with the
arguments of an older version (scripts/bench_network.py did, unnoticed) fails here first."""
from __future__ import annotations

import pytest

from graph.config import PROJECT_ROOT


def test_the_package_scripts_and_tests_have_no_type_errors() -> None:
    mypy_api = pytest.importorskip("mypy.api", reason="mypy is missing: pip install -e '.[test]' (scripts/setup does it)")
    stdout, stderr, status = mypy_api.run([
        "--config-file", str(PROJECT_ROOT / "pyproject.toml"),
        "--cache-dir", str(PROJECT_ROOT / ".mypy_cache"),
        *(str(PROJECT_ROOT / folder) for folder in ("graph", "scripts", "tests")),
    ])
    assert status == 0, f"mypy found type errors (run .venv/bin/mypy to see them):\n{stdout}{stderr}"
