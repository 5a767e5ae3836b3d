"""Valid and invalid record files: each invalid one names, in its first line, the rule it breaks,
and marks with a comment the line the problem must be reported on."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from graph.build.pipeline import check
from graph.config import Settings
from graph.problems import Severity
from graph.records.read import MAX_QUOTE_CJK_CHARS, MAX_QUOTE_WORDS, _excess

from conftest import FIXTURES, seed_corpus

VALID = sorted((FIXTURES / "records" / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "records" / "invalid").glob("*.yaml"))
MUST_FAIL = re.compile(r"^# must fail: (?P<rule>[\w:-]+) \((?P<why>.+)\)$")
REPORTED_HERE = "# <- reported here"


def reported_lines(path: Path) -> set[int]:
    """The numbers of the lines of an invalid fixture that end with REPORTED_HERE (a fixture that
    breaks its rule in several fields marks each line)."""
    marked = {number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
              if line.rstrip().endswith(REPORTED_HERE)}
    assert marked, f"{path.name}: end each line the problem is reported on with '{REPORTED_HERE}'"
    return marked


def test_fixture_folders_are_not_empty() -> None:
    assert VALID, "tests/fixtures/records/valid/ is empty: the valid-fixture test would pass on nothing"
    assert INVALID, "tests/fixtures/records/invalid/ is empty: the invalid-fixture test would pass on nothing"


def test_every_invalid_fixture_says_why_it_must_fail_and_where() -> None:
    for path in INVALID:
        assert MUST_FAIL.match(path.read_text(encoding="utf-8").splitlines()[0]), f"{path.name}: first line must be '# must fail: RULE (why)'"
        reported_lines(path)


def _with_project_data(path: Path, settings: Settings) -> list[Path]:
    """The fixture is checked together with the seed corpus, which it may refer to."""
    return seed_corpus() + [path]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_has_no_violation(path: Path) -> None:
    settings = Settings()
    problems = check(settings, _with_project_data(path, settings))
    violations = [str(p) for p in problems if p.severity is Severity.VIOLATION]
    assert violations == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_fails_with_its_rule_file_and_line(path: Path) -> None:
    """The fixture breaks its rule on the marked lines, and nothing else (the seed corpus is valid;
    a rule that involves two records, such as alias-unique, also names the other one)."""
    settings = Settings()
    marker = MUST_FAIL.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert marker is not None, f"{path.name}: begin it with '# must fail: RULE (why)'"
    expected = marker["rule"]
    problems = check(settings, _with_project_data(path, settings))
    violations = [p for p in problems if p.severity is Severity.VIOLATION]
    mine = [(p.rule, p.line) for p in violations if p.file == settings.display(path)]
    assert {rule for rule, _ in mine} == {expected}, [str(p) for p in violations]
    assert {line for _, line in mine} == reported_lines(path), [str(p) for p in violations]
    assert {p.rule for p in violations} == {expected}, [str(p) for p in violations]


def test_syntax_error_names_the_line() -> None:
    problems = check(Settings(), [FIXTURES / "records" / "invalid" / "yaml-syntax.yaml"])
    assert [(p.rule, p.line) for p in problems] == [("yaml-syntax", 11)]


def test_broken_reference_names_line_and_suggests_the_id() -> None:
    path = FIXTURES / "records" / "invalid" / "broken-reference.yaml"
    problems = [p for p in check(Settings(), _with_project_data(path, Settings())) if p.rule == "reference-resolves"]
    assert len(problems) == 1
    assert problems[0].line == 12
    assert "hbis-grop" in problems[0].message and "hbis" in problems[0].fix


def test_a_broken_reference_is_not_followed_by_the_shapes_noise() -> None:
    """The shapes run beside the integrity checks (graph.validate.check_graph) and are dropped when a
    reference does not resolve: the party it misses would only repeat as shape violations."""
    path = FIXTURES / "records" / "invalid" / "broken-reference.yaml"
    rules = {p.rule for p in check(Settings(), _with_project_data(path, Settings()))}
    assert "reference-resolves" in rules
    assert not {rule for rule in rules if rule.startswith("shape")}


def test_project_data_is_valid() -> None:
    problems = check(Settings())
    assert [str(p) for p in problems if p.severity is Severity.VIOLATION] == []


def test_ascii_quotes_are_bounded_by_words_and_cjk_ones_by_characters() -> None:
    """_excess counts no wide character in ASCII text without looking at each: true of every ASCII character."""
    assert not [char for char in map(chr, range(128)) if unicodedata.east_asian_width(char) in ("W", "F")]
    assert _excess("word " * MAX_QUOTE_WORDS) is None
    assert _excess("word " * (MAX_QUOTE_WORDS + 1)) == f"{MAX_QUOTE_WORDS} words"
    assert _excess("汉" * (MAX_QUOTE_CJK_CHARS + 1)) == f"{MAX_QUOTE_CJK_CHARS} Chinese or Japanese characters"
    assert _excess("汉" * MAX_QUOTE_CJK_CHARS + " a" * 30) is None  # mostly Chinese: words do not count
