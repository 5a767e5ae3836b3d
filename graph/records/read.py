"""Read one record file: YAML with line numbers, then the JSON Schema and the quote rule.

Checks here need nothing but the file itself, so a strategist gets them first and fast;
references between files are checked later (graph.validate.integrity).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import jsonschema
import yaml

from graph.problems import Problem
from graph.records.yaml_positions import Positioned, YamlProblem, parse_yaml

SCHEMA_FILE = Path(__file__).with_name("record.schema.yaml")
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_QUOTE_WORDS = 24
MAX_QUOTE_CJK_CHARS = 60


@dataclass
class Record:
    """A record file that passed the file-level checks."""

    path: Path
    display: str  # path as shown in messages, relative to the project
    source_id: str
    data: dict[str, Any]
    positions: Positioned

    def line(self, *path: str | int) -> int:
        return self.positions.line_of(tuple(path))

    @property
    def language(self) -> str:
        return str(self.data["source"]["language"])


class RecordProblems(Exception):
    """A file failed its own checks; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def record_files(data_dir: Path) -> list[Path]:
    """The record files under ``data_dir/sources``, in a stable order."""
    return sorted((data_dir / "sources").glob("*.yaml"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def read_record(path: Path, display: str | None = None) -> Record:
    """Load and check one file; raise RecordProblems listing everything wrong with it."""
    display = display or str(path)
    source_id = path.stem
    if not ID_PATTERN.match(source_id):
        raise RecordProblems([Problem(display, 1, "file-name", f"file name '{path.name}' is not a slug",
                                      "rename it to lower-case words joined by hyphens, e.g. 2024-08-faw-baosteel.yaml")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RecordProblems([Problem(display, 1, "encoding", f"not UTF-8 ({error.reason})", "save the file as UTF-8")]) from None
    try:
        positioned = parse_yaml(text)
    except YamlProblem as problem:
        raise RecordProblems([Problem(display, problem.line, "yaml-syntax", problem.message,
                                      "fix the YAML at or just above this line: indentation, a missing colon, an unquoted ': ' or ', ', or an unclosed quote")]) from None
    if not isinstance(positioned.value, dict):
        raise RecordProblems([Problem(display, 1, "record-shape", "the file must be a mapping with a 'source:' section",
                                      "copy an existing file in data/sources/ and edit it")])
    problems = [_schema_problem(display, positioned, error) for error in _validator().iter_errors(positioned.value)]
    if not problems:
        problems = list(_quote_problems(display, positioned))
    if problems:
        raise RecordProblems(sorted(set(problems)))
    return Record(path, display, source_id, positioned.value, positioned)


def _schema_problem(display: str, positioned: Positioned, error: jsonschema.ValidationError) -> Problem:
    path = tuple(error.absolute_path)
    where = "/".join(str(part) for part in path) or "(top level)"
    detail = error.message
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed) if isinstance(error.instance, dict) else []
        if extra:  # point at the first unexpected key rather than at its mapping
            path = path + (extra[0],)
            detail = f"unknown field '{extra[0]}'"
        fix = "remove or rename the field; allowed here: " + ", ".join(sorted(allowed))
    elif error.validator == "required":
        fix = "add the missing field"
    elif error.validator == "pattern" and isinstance(error.instance, str):
        hint = error.schema.get("description")
        fix = f"write it as {hint}" if hint else f"it must match the pattern {error.schema['pattern']}"
        detail = f"'{error.instance}' has the wrong form"
    elif error.validator == "enum":
        fix = "use one of: " + ", ".join(map(str, error.schema["enum"]))
    elif error.validator == "oneOf":
        fix = "write a quoted text, a list of them, or a mapping of language to a list, such as {zh: [...]}"
    else:
        fix = "see graph/records/record.schema.yaml and the examples in data/sources/"
    return Problem(display, positioned.line_of(path), "record-schema", f"{where}: {detail}", fix)


def _quote_problems(display: str, positioned: Positioned) -> Iterator[Problem]:
    """Quotes are short by rule: facts may be taken from a source, its sentences may not."""
    data = positioned.value
    for section, items in data.items():
        if section == "source":
            continue
        for index, item in enumerate(items or []):
            quote = item.get("quote")
            groups = quote.values() if isinstance(quote, dict) else [quote]
            for text in (t for group in groups for t in (group if isinstance(group, list) else [group])):
                if _too_long(str(text)):
                    yield Problem(display, positioned.line_of((section, index, "quote")), "quote-length",
                                  f"{section}/{index}/quote is longer than {MAX_QUOTE_WORDS} words",
                                  "quote only the words that support the fact (under 25 words)")


def _too_long(text: str) -> bool:
    cjk = sum(1 for char in text if unicodedata.east_asian_width(char) in ("W", "F"))
    if cjk > len(text) / 3:
        return cjk > MAX_QUOTE_CJK_CHARS
    return len(text.split()) > MAX_QUOTE_WORDS
