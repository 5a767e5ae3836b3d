"""Shared fixtures: a graph built once per test session from the project's data (every test that
reads it shares it, read-only), and fresh copies to break."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from click.testing import CliRunner

from graph.build.pipeline import build
from graph.config import DEFAULT_BASE, PROJECT_ROOT, Settings
from graph.rdf.store import OxigraphStore
from graph.serve.context import ServerContext, ServeSettings

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_VIEW = FIXTURES / "views" / "small.json"  # a hand-made view with hostile labels
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>alert(2)</script>"
# What a user may set to change where the graph is and how it is served; the browser's location
# (ALLIANCES_CHROMIUM) and the switches of the test run (ALLIANCES_REQUIRE_*) stay.
USER_SETTINGS = ("ALLIANCES_BASE", "ALLIANCES_STORE", "ALLIANCES_HOST", "ALLIANCES_PORT", "ALLIANCES_DEADLINE",
                 "ALLIANCES_WORKERS", "ALLIANCES_UPDATE_TOKEN")


@pytest.fixture(scope="session", autouse=True)
def without_user_settings() -> Iterator[None]:
    """Tests see the documented defaults, whatever the developer's shell sets, and never touch
    the developer's own store."""
    with pytest.MonkeyPatch.context() as patch:
        for name in USER_SETTINGS:
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the graph of the project's own data/, built once per session with the default
    IRI base (the goldens of the named queries are written with it). Tests only read it: a test
    that changes data or builds uses ``own_data`` or its own ``tmp_path``."""
    settings = Settings(store_path=tmp_path_factory.mktemp("built") / "store", base=DEFAULT_BASE)
    build(settings)
    return settings


@pytest.fixture(scope="session")
def store(built: Settings) -> OxigraphStore:
    """The session's graph, opened read-only."""
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


def browser_unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the browser tests must run (CI sets ALLIANCES_REQUIRE_BROWSER)."""
    if os.environ.get("ALLIANCES_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} ALLIANCES_REQUIRE_BROWSER is set, so the browser tests must run.")
    pytest.skip(reason)


def chromium_or_skip() -> str:
    """The machine's Chromium, or a skip (a failure in CI) that says how to install it."""
    from graph.visualise.image import INSTALL_HINT, find_chromium

    chromium = find_chromium()
    if chromium is None:
        browser_unavailable(f"No Chromium found. {INSTALL_HINT} In CI, .ci/run installs it.")
    return chromium


def explorer_context(settings: ServeSettings, store: OxigraphStore) -> ServerContext:
    """The explorer's pages read a plain store and send no query to the pool; ServerContext is
    typed for the whole server (a PublishedStore and a QueryPool)."""
    return ServerContext(settings, store, pool=None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (executable_path), or a skip that says how to install it."""
    from graph.visualise.image import INSTALL_HINT, launch_chromium

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable(f"The playwright package is missing. {INSTALL_HINT}")
    chromium = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright, chromium)
        yield launched
        launched.close()


# Named queries whose answer on data/ is empty for a stated reason; each is tested on a fixture that
# has what it lists (tests/test_quantities_and_plants.py). The day data/ has an answer,
# test_every_example_runs_and_answers fails: then remove the entry.
EMPTY_ON_DATA = {"external-identifiers": "no page read so far shows a Wikidata item, an LEI or a GEM plant id"}


def child_pids() -> list[int]:
    """The processes whose parent is this one (a test server's workers: the servers run in its threads)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.append(int(entry))
    return found
