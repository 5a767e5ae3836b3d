"""Shared fixtures: a graph built once from the project's data, and fresh copies to break."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph.build import build
from graph.config import PROJECT_ROOT, Settings
from graph.store import OxigraphStore

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_VIEW = FIXTURES / "views" / "small.json"  # a hand-made view with hostile labels
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>alert(2)</script>"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a graph built from the project's own data/ (read-only for tests)."""
    settings = Settings(store_path=tmp_path_factory.mktemp("built") / "store")
    build(settings)
    return settings


@pytest.fixture(scope="session")
def store(built: Settings) -> OxigraphStore:
    return OxigraphStore.open(built.store_path)


def seed_corpus() -> list[Path]:
    """The 31 records of the seed documents and their second sources: enough for the fixtures to
    refer to, and small enough to compile many times in a test run."""
    names = (FIXTURES / "seed-corpus.txt").read_text(encoding="utf-8").split()
    return [PROJECT_ROOT / "data" / "sources" / name for name in names]


@pytest.fixture
def own_data(tmp_path: Path) -> Settings:
    """Settings over a private copy of the seed corpus and a private store, for tests that change data."""
    (tmp_path / "data" / "sources").mkdir(parents=True)
    for path in seed_corpus():
        shutil.copy(path, tmp_path / "data" / "sources" / path.name)
    return Settings(data_dir=tmp_path / "data", store_path=tmp_path / "store" / "store")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
