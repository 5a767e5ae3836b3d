"""Hostile record files meet the real command line: each test runs ``alliances validate`` or a
build in a child process and checks the outcome a user would see (the exit code, what is and is
not printed, the memory the child used, and that it returned at all), not only the rule."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.config import PROJECT_ROOT, Settings

from conftest import FIXTURES

INVALID = FIXTURES / "records" / "invalid"
PEAK_LIMIT_MB = 300  # validating the whole project data peaks near 110 MB
ADDRESS_SPACE = 2 * 1024**3  # so that a regression fails with MemoryError instead of taking the machine
RETURN_WITHIN = 120  # seconds before a child that has not returned is killed and the test fails
# `alliances build` over a data folder of the test's own (the command reads the project's data/),
# with the command line's own error handling and exit codes.
BUILD = """
import sys
from pathlib import Path
import click
from graph import api
from graph.cli.errors import AlliancesGroup
from graph.config import Settings
settings = Settings(data_dir=Path(sys.argv[1]), store_path=Path(sys.argv[2]))
main = AlliancesGroup()
@main.command()
def build() -> None:
    click.echo(api.build(settings).text())
main(["build"])
"""


@dataclass
class Outcome:
    code: int
    output: str  # standard output and standard error together
    peak_mb: float
    returned: bool


# The child limits its own address space, runs the command's code in the same process and, at exit,
# writes its own peak resident memory (VmHWM) where the test reads it. wait4's ru_maxrss would not
# do: a child spawned from the test process counts the test process's own peak (hundreds of MB
# after the session's builds) from before its exec.
CHILD = """import atexit, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
def _peak():
    with open('/proc/self/status') as status, open(os.environ['ALLIANCES_TEST_PEAK'], 'w') as out:
        out.write(next(line.split()[1] for line in status if line.startswith('VmHWM:')))
atexit.register(_peak)
code, sys.argv = sys.argv[2], ['-c', *sys.argv[3:]]
exec(compile(code, '<command>', 'exec'), {{'__name__': '__main__'}})
""".format(limit=ADDRESS_SPACE)


def _run(*args: str) -> Outcome:
    """Run ``python -c CODE ARGS...`` to its end, or kill it after RETURN_WITHIN seconds, with its
    own peak memory (None when it was killed before it could say)."""
    assert args[0] == "-c"
    with tempfile.TemporaryFile() as output, tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak-kb"
        child = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                 stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "ALLIANCES_TEST_PEAK": str(peak_file)})
        try:
            child.wait(timeout=RETURN_WITHIN)
            returned = True
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            returned = False
        output.seek(0)
        peak_mb = int(peak_file.read_text()) / 1024 if peak_file.exists() else float("inf")
        return Outcome(child.returncode, output.read().decode("utf-8", "replace"), peak_mb, returned)


def _validate(path: Path) -> Outcome:
    return _run("-c", "from graph.cli import main; main()", "validate", str(path))


def _build(settings: Settings) -> Outcome:
    """``build`` over the test's own copy of the seed records (conftest.own_data), which builds cleanly."""
    return _run("-c", BUILD, str(settings.data_dir), str(settings.store_path))


def _assert_refused(outcome: Outcome) -> None:
    assert outcome.returned, f"the command did not return within {RETURN_WITHIN} s"
    assert "Traceback" not in outcome.output and "Error:" not in outcome.output, outcome.output[-3000:]
    assert outcome.code == 1, outcome.output[-3000:]  # 1: the data is invalid (README, exit codes)
    assert outcome.peak_mb < PEAK_LIMIT_MB, f"peak memory {outcome.peak_mb:.0f} MB"


def test_billion_laughs_is_refused_at_its_first_anchor_in_bounded_memory() -> None:
    fixture = INVALID / "yaml-alias-billion-laughs.yaml"
    assert fixture.stat().st_size < 1000  # the whole attack is a few hundred bytes
    outcome = _validate(fixture)
    _assert_refused(outcome)
    assert f"{fixture.name}:7: violation [yaml-alias]" in outcome.output


def test_a_50_mb_record_gets_one_line_with_its_size_and_the_limit(tmp_path: Path) -> None:
    record = tmp_path / "huge-record.yaml"
    entry = "  - id: example-{0}\n    label: {{en: Example {0} Ltd}}\n    quote: Example {0} Ltd signed\n"
    with record.open("w", encoding="utf-8") as out:
        out.write("source:\n  title: Example\n  publisher: Example\n  language: en\n  kind: web-page\norganisations:\n")
        index = 0
        while out.tell() < 50_000_000:
            out.write("".join(entry.format(index + i) for i in range(1000)))
            index += 1000
    outcome = _validate(record)
    _assert_refused(outcome)
    problems = [line for line in outcome.output.splitlines() if "violation" in line and "(see --all)" not in line]
    assert len(problems) == 1
    assert f"{record}:1: violation [file-size]" in problems[0]
    assert f"{record.stat().st_size:,} bytes" in problems[0] and "limit of 1,000,000 bytes" in problems[0]
    assert "split it" in outcome.output


def test_deep_nesting_is_refused_with_its_line_not_a_recursion_error() -> None:
    outcome = _validate(INVALID / "nesting-too-deep.yaml")
    _assert_refused(outcome)
    assert "nesting-too-deep.yaml:7: violation [nesting-depth]" in outcome.output
    assert "RecursionError" not in outcome.output


def test_a_link_in_data_sources_is_refused_and_nothing_of_its_target_is_printed(own_data: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "credentials.yaml"  # stands for any file of the machine a link could reach
    secret.parent.mkdir()
    secret.write_text("database_password: hunter2-do-not-print\nsource: {url: token-do-not-print}\n", encoding="utf-8")
    (own_data.data_dir / "sources" / "leak.yaml").symlink_to(secret)
    outcome = _build(own_data)
    _assert_refused(outcome)
    assert "leak.yaml:1: violation [file-type] the path is a symbolic link" in outcome.output
    for word in ("database_password", "hunter2", "token-do-not-print", "outside"):
        assert word not in outcome.output
    assert not own_data.store_path.exists()  # nothing was published


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_special_file_in_data_sources_is_refused_and_the_build_returns(own_data: Settings, kind: str) -> None:
    entry = own_data.data_dir / "sources" / "special.yaml"
    if kind == "fifo":
        os.mkfifo(entry)  # nobody ever writes to it: reading it would wait for ever
    else:
        entry.mkdir()
    outcome = _build(own_data)
    _assert_refused(outcome)
    name = "a FIFO (named pipe)" if kind == "fifo" else "a folder"
    assert f"special.yaml:1: violation [file-type] the path is {name}, not a regular file" in outcome.output


def test_control_characters_are_named_by_field_and_never_reach_the_terminal() -> None:
    fixture = INVALID / "control-character-in-every-field.yaml"
    outcome = _validate(fixture)
    _assert_refused(outcome)
    for line, field in [(3, "source/title"), (4, "source/url"), (8, "source/note"), (10, "organisations/0/id"),
                        (11, "organisations/0/label/en"), (12, "organisations/0/quote")]:
        assert f"{fixture.name}:{line}: violation [control-character] {field}: contains U+" in outcome.output
    assert not any(char in outcome.output for char in "\x00\x07\x0b\x1b\x9b")


def test_a_raw_control_character_is_refused_at_its_line_and_column(tmp_path: Path) -> None:
    record = tmp_path / "raw-escape.yaml"
    record.write_text("source:\n  title: Example\n  publisher: Ex\x1b[2Jample\n  language: en\n  kind: web-page\n", encoding="utf-8")
    outcome = _validate(record)
    _assert_refused(outcome)
    assert f"{record}:3: violation [control-character] column 16 holds U+001B (control character ESC)" in outcome.output
    assert "\x1b" not in outcome.output


def test_a_link_is_named_as_itself_not_as_its_target(tmp_path: Path) -> None:
    link = tmp_path / "leak.yaml"
    link.symlink_to(PROJECT_ROOT / "README.md")  # a target inside the project would otherwise be named instead
    assert Settings().display(link) == str(link)
