"""A large cold build reads its landscapes in a second process (graph/build/landscape_apart.py).

- What it keeps is byte for byte what a whole reading of the published store gives, the checkpoint
  it read is gone from the published folder, and the next build patches it as any other.
- A second process that fails leaves the build to read the landscapes itself, saying why.
- A build that fails while the second process runs stops it and keeps nothing of it.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

import graph.build.landscape_apart as landscape_apart
import graph.build.landscape_kept as landscape_kept
import graph.build.pipeline as pipeline
from graph.build.landscape_apart import FOLDER, ReadApart
from graph.build.landscape_kept import LandscapeKeeper
from graph.build.pipeline import build
from graph.config import Settings

from conftest import FIXTURES
from test_landscape_kept import NEW_DEAL, _folder, assert_kept_is_read, keepers  # noqa: F401  (a fixture)


@pytest.fixture
def apart(monkeypatch: pytest.MonkeyPatch) -> list[ReadApart]:
    """Every cold build reads apart, however small; the readings started, to look at their processes."""
    started: list[ReadApart] = []

    class Recorded(ReadApart):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(landscape_kept, "APART_FROM", 0)
    monkeypatch.setattr(landscape_kept, "ReadApart", Recorded)
    return started


def test_a_cold_build_read_apart_keeps_what_a_whole_reading_gives(own_data: Settings, apart: list[ReadApart],
                                                                  keepers: list[LandscapeKeeper]) -> None:
    build(own_data)
    assert keepers[-1].how == "read whole apart" and len(apart) == 1
    assert not (_folder(own_data) / FOLDER).exists()
    assert_kept_is_read(own_data)
    shutil.copy(FIXTURES / "records" / "valid" / NEW_DEAL, own_data.data_dir / "sources")
    build(own_data)
    assert keepers[-1].how == "patched" and len(apart) == 1  # an incremental build patches, in its own process
    assert_kept_is_read(own_data)


def test_a_second_process_that_fails_leaves_the_build_to_read_itself(own_data: Settings, apart: list[ReadApart],
                                                                      keepers: list[LandscapeKeeper], tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    failing = tmp_path / "failing-python"
    failing.write_text("#!/bin/sh\necho 'out of memory, say' >&2\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(failing))
    build(own_data)
    assert keepers[-1].how == "read whole: the second process failed (exit code 3: out of memory, say)"
    assert not (_folder(own_data) / FOLDER).exists()
    assert_kept_is_read(own_data)


def test_a_second_process_that_cannot_start_leaves_the_build_to_read_itself(own_data: Settings, apart: list[ReadApart],
                                                                          keepers: list[LandscapeKeeper], tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    build(own_data)
    assert keepers[-1].how.startswith("read whole: the second process failed (it could not start: "), keepers[-1].how
    assert "no-such-python" in keepers[-1].how and apart == []
    assert not (_folder(own_data) / FOLDER).exists()
    assert_kept_is_read(own_data)


def test_a_build_that_fails_meanwhile_stops_the_second_process(own_data: Settings, apart: list[ReadApart],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: Any) -> Any:
        raise RuntimeError("the disk is full, say")

    monkeypatch.setattr(pipeline, "_publishable", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        build(own_data)
    assert len(apart) == 1 and apart[0].process is None
    with pytest.raises(ProcessLookupError):  # ended and reaped, not left running or a zombie
        os.kill(apart[0].pid, 0)
    builds = own_data.store_path.parent / f"{own_data.store_path.name}.builds"
    assert not list(builds.glob(f"*/{FOLDER}")) and not list(builds.glob("*"))


def test_below_the_threshold_a_cold_build_reads_in_its_own_process(own_data: Settings,
                                                                   keepers: list[LandscapeKeeper]) -> None:
    assert landscape_apart.APART_FROM > 10_000  # the seed corpus is smaller
    build(own_data)
    assert keepers[-1].how == "read whole"
