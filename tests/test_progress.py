"""Progress of exports (issue 13: "progress on a terminal for long builds and exports, quiet when
piped"): each step is named as it starts on a terminal, and nothing but the result reaches a pipe."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from graph import api
from graph.config import Settings
from graph.rdf.store import OxigraphStore


@pytest.mark.parametrize(("fmt", "steps"), [
    ("csv", ["reading the network", "writing n.csv"]),
    ("graphml", ["reading the network", "measuring", "writing n.graphml"]),
    ("html", ["reading the network", "measuring and laying out", "writing n.html"]),
])
def test_an_export_names_each_step_as_it_starts(store: OxigraphStore, tmp_path: Path, fmt: str, steps: list[str]) -> None:
    told: list[str] = []
    api.export_network(store, fmt, tmp_path / f"n.{fmt}", progress=told.append)
    assert told == steps and (tmp_path / f"n.{fmt}").stat().st_size > 0


def _export(built: Settings, tmp_path: Path, fmt: str, stderr: int) -> subprocess.CompletedProcess[bytes]:
    target = tmp_path / f"n.{fmt}"
    return subprocess.run([sys.executable, "-m", "graph", "--store", str(built.store_path), "export", fmt, "-o", str(target)],
                          stdout=subprocess.PIPE, stderr=stderr, timeout=300, check=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})


def test_an_export_to_a_pipe_prints_only_what_it_wrote(built: Settings, tmp_path: Path) -> None:
    for fmt in ("graphml", "trig"):
        result = _export(built, tmp_path, fmt, subprocess.PIPE)
        assert result.stderr.decode() == f"Wrote {tmp_path / f'n.{fmt}'}\n"


def test_an_export_on_a_terminal_shows_its_steps_and_clears_them(built: Settings, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    try:
        result = _export(built, tmp_path, "graphml", follower)
        os.close(follower)
        shown = b""
        while select.select([leader], [], [], 1)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all has been read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert result.returncode == 0
    text = shown.decode()
    assert "reading the network" in text and "writing n.graphml" in text
    # The last step line is cleared before the result is printed.
    assert text.rstrip("\r\n").endswith(f"\r\x1b[KWrote {tmp_path / 'n.graphml'}")
