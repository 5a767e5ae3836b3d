"""Read one record file: YAML with line numbers, then the JSON Schema and the quote rule.

Checks here need nothing but the file itself, so a strategist gets them first and fast;
references between files are checked later (graph.validate.integrity). A record file is also
untrusted input: before anything is parsed, it must be a regular file (never a link, whose
target could be any file of the machine, nor a FIFO, which would block the build), within a size
limit, and free of control characters; the parser then refuses aliases and deep nesting.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from collections.abc import Iterator, Mapping

import jsonschema
import jsonschema_rs
import yaml

from graph.problems import Problem
from graph.records.characters import FORBIDDEN, describe, visible
from graph.records.dates import date_problems
from graph.records.quantities import quantity_problems
from graph.records.yaml_positions import Positioned, YamlProblem, parse_yaml

SCHEMA_FILE = Path(__file__).with_name("record.schema.yaml")
RECORD_GUIDE = "graph/records/record.schema.yaml and the examples in data/sources/"  # where a schema problem points
ID_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")  # used with fullmatch: '$' would let a final newline through
MAX_QUOTE_WORDS = 24
MAX_QUOTE_CJK_CHARS = 60
# Ten characters a word: room for German compounds (the longest quote in data/ has 180).
MAX_QUOTE_CHARS = MAX_QUOTE_WORDS * 10
# The largest record in data/ is 10 KB; a hundred times that is no record.
MAX_RECORD_BYTES = 1_000_000
# A record nests five deep at most (alliances / 0 / signing / timing / en).
MAX_NESTING = 10
# Problems of one kind listed per file before the rest are summed up, and characters of a value quoted in one.
MAX_LISTED = 20
MAX_DETAIL = 300
CHARACTER_FIX = ("delete it (a quoted escape such as \\e or \\x01 makes one): a record may hold no control characters "
                 "or bidirectional overrides")
YAML_FIXES = {
    "yaml-syntax": "fix the YAML at or just above this line: indentation, a missing colon, an unquoted ': ' or ', ', or an unclosed quote",
    "yaml-alias": "write the value out in full where the alias stands; a record needs no anchors or aliases",
    "nesting-depth": f"check the indentation: a record nests at most 5 levels deep, like the files in data/sources/ (limit {MAX_NESTING})",
}
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


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
    """The record files under ``data_dir/sources``, in a stable order.

    Every entry named ``*.yaml`` is listed, whatever its type, so that a link, a FIFO or a
    folder is reported by ``read_record`` instead of being skipped in silence. Names sorted as
    text, not paths compared part by part (the order is the same in one folder): 0.1 s less for
    7,197 files.
    """
    folder = data_dir / "sources"
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if entry.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError, PermissionError):  # as Path.glob: nothing to list
        return []
    return [folder / name for name in names]


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    return strict_validator(SCHEMA_FILE)


@lru_cache(maxsize=1)
def _fast() -> jsonschema_rs.Validator:
    return fast_validator(SCHEMA_FILE)


def _whole_pattern(validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[jsonschema.ValidationError]:
    """The ``pattern`` keyword as JSON Schema defines it (ECMA-262), where a final ``$`` matches
    only at the very end. jsonschema uses Python's ``re``, whose ``$`` also matches before a final
    newline: the id ``"abc\\n"`` passed and then broke the build's IRIs with a traceback."""
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=None)
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"(?<!\\)\$$", r"\\Z", pattern))


def read_bytes(path: Path, display: str) -> bytes:
    """The file's bytes, if it is a regular file within the size limit; otherwise nothing is read
    (RecordProblems says why).

    ``lstat`` says what the path is without following a link or opening a FIFO. The open then
    refuses a link (O_NOFOLLOW) and never waits for a writer (O_NONBLOCK), and ``fstat`` checks
    what was opened, so that a file swapped in between is refused too.
    """
    kind = _kind(os.lstat(path).st_mode)
    if kind is None:
        try:
            descriptor = os.open(path, _OPEN_FLAGS)
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            kind = "a symbolic link"
        else:
            with os.fdopen(descriptor, "rb") as file:
                info = os.fstat(file.fileno())
                kind = _kind(info.st_mode)
                if kind is None:
                    data = file.read(MAX_RECORD_BYTES + 1) if info.st_size <= MAX_RECORD_BYTES else b""
                    if info.st_size > MAX_RECORD_BYTES or len(data) > MAX_RECORD_BYTES:
                        raise RecordProblems([_too_big(display, max(info.st_size, len(data)))])
                    return data
    fix = ("replace the link by a copy of the record" if kind == "a symbolic link"
           else "remove it from data/sources/, or rename it so that its name does not end in .yaml")
    raise RecordProblems([Problem(display, 1, "file-type", f"the path is {kind}, not a regular file, so it was not read", fix)])


def _kind(mode: int) -> str | None:
    """What a path is, in words, unless it is a regular file (None)."""
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISDIR, "a folder"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def _too_big(display: str, size: int) -> Problem:
    return Problem(display, 1, "file-size",
                   f"the file has {size:,} bytes ({size / 1e6:.1f} MB), over the limit of {MAX_RECORD_BYTES:,} bytes for one record",
                   "a record states what one source document says, in a few kilobytes: split it into one record per source, "
                   "or check that this is a record file at all")


def _raw_character_problems(display: str, text: str) -> Iterator[Problem]:
    """Forbidden characters written as they are in the file: the first one of each line."""
    line, counted, last_line = 1, 0, 0
    for match in FORBIDDEN.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        if line != last_line:
            last_line = line
            column = match.start() - text.rfind("\n", 0, match.start())
            yield Problem(display, line, "control-character", f"column {column} holds {describe(match.group())}",
                          "delete it: an editor may not show it, so retype the text around it; a record may hold no control characters "
                          "or bidirectional overrides")


def _character_problems(display: str, positioned: Positioned, raw: str) -> Iterator[Problem]:
    """Forbidden characters in any key or text of the record, such as those a quoted escape makes ("\\x1b").

    ``raw``, the file's text, has passed ``_raw_character_problems``. A forbidden character can then
    come only from an escape of a double-quoted scalar ("\\e", "\\x1b", "\\N", "\\u202e"): YAML makes
    no other character than those written, except line breaks and spaces where it folds lines.
    So a file without a backslash is not walked (none in data/ has one; the walk was a sixth of
    reading a record)."""
    if "\\" not in raw:
        return
    for path, text in _texts(positioned.value, ()):
        found = FORBIDDEN.search(text)
        if found:
            where = "/".join(visible(str(part)) for part in path) or "(top level)"
            yield Problem(display, positioned.line_of(path), "control-character", f"{where}: contains {describe(found.group())}", CHARACTER_FIX)


def _texts(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,), key
            yield from _texts(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, path + (index,))
    elif isinstance(value, str):
        yield path, value


def _capped(problems: list[Problem]) -> list[Problem]:
    """The first MAX_LISTED problems, and one that counts the rest: a file full of them stays readable."""
    problems = sorted(set(problems))
    if len(problems) <= MAX_LISTED:
        return problems
    rest = problems[MAX_LISTED]
    return problems[:MAX_LISTED] + [Problem(rest.file, rest.line, rest.rule, f"and {len(problems) - MAX_LISTED} more like these from here on", rest.fix)]


def read_record(path: Path, display: str | None = None, data: bytes | None = None) -> Record:
    """Load and check one file; raise RecordProblems listing everything wrong with it. ``data``:
    its bytes, when the caller has read them (``read_bytes``) to know what it compiled."""
    display = display or str(path)
    source_id = path.stem
    if not ID_PATTERN.fullmatch(source_id):
        raise RecordProblems([Problem(display, 1, "file-name", f"file name '{visible(path.name)}' is not a slug",
                                      "rename it to lower-case words joined by hyphens, e.g. 2024-08-faw-baosteel.yaml")])
    positioned = read_yaml_mapping(path, display, "a 'source:' section", "copy an existing file in data/sources/ and edit it", data)
    # The full validator is made only for a file the fast one refuses (most builds compile none).
    problems = [] if _fast_accepts(_fast(), positioned.value) else schema_problems(display, positioned, _validator())
    if not problems:
        problems = list(_quote_problems(display, positioned)) + list(date_problems(display, positioned)) + list(quantity_problems(display, positioned))
    if problems:
        raise RecordProblems(sorted(set(problems)))
    return Record(path, display, source_id, positioned.value, positioned)


def read_yaml_mapping(path: Path, display: str, expected: str, fix: str, data: bytes | None = None) -> Positioned:
    """The file's YAML mapping with line numbers, after the checks every data file gets (a regular
    file within the size limit, UTF-8, no control characters, no aliases, bounded nesting); from
    ``data`` when given (the bytes ``read_bytes`` read), else from the file."""
    try:
        text = (data if data is not None else read_bytes(path, display)).decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordProblems([Problem(display, 1, "encoding", f"not UTF-8 ({error.reason})", "save the file as UTF-8")]) from None
    refused = _capped(list(_raw_character_problems(display, text)))
    if refused:  # before parsing: the parser's own message would name the character less clearly
        raise RecordProblems(refused)
    try:
        positioned = parse_yaml(text, max_depth=MAX_NESTING)
    except YamlProblem as problem:
        raise RecordProblems([Problem(display, problem.line, problem.rule, visible(problem.message), YAML_FIXES[problem.rule])]) from None
    if not isinstance(positioned.value, dict):
        raise RecordProblems([Problem(display, 1, "record-shape", f"the file must be a mapping with {expected}", fix)])
    refused = _capped(list(_character_problems(display, positioned, text)))
    if refused:  # before the schema, whose messages would print the text with its control characters
        raise RecordProblems(refused)
    return positioned


def schema_problems(display: str, positioned: Positioned, validator: jsonschema.protocols.Validator,
                    guide: str = RECORD_GUIDE, fast: jsonschema_rs.Validator | None = None) -> list[Problem]:
    """Every place where the file breaks its JSON Schema, with its line and what to do.

    ``fast`` (from ``fast_validator``) answers only "valid or not", in about 1 % of the time
    ``validator`` takes (which was 60 % of compiling a record); a file it accepts has no problems.
    A file it refuses, or cannot read, goes through ``validator``, whose errors make the messages:
    so the messages are today's word for word, and a file that ``validator`` accepts is accepted
    whatever ``fast`` said. tests/test_schema_fast_path.py checks that ``fast`` never accepts what
    ``validator`` refuses."""
    if fast is not None and _fast_accepts(fast, positioned.value):
        return []
    return [_schema_problem(display, positioned, error, guide) for error in validator.iter_errors(positioned.value)]


def _fast_accepts(fast: jsonschema_rs.Validator, value: Any) -> bool:
    """Whether jsonschema-rs finds ``value`` valid; a value it cannot take (a lone surrogate
    from a YAML escape cannot become Rust text) is left to the full check."""
    try:
        return fast.is_valid(value)
    except ValueError:
        return False


def _load_schema(schema_file: Path) -> dict[str, Any]:
    """The schema as data, parsed once per content (the fast and the full validator share it) by
    libyaml where PyYAML has it: 0.01 s, where the pure-Python parser took 0.1 s on every build."""
    return _parse_schema(schema_file.read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def _parse_schema(text: str) -> dict[str, Any]:
    schema: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return schema


def fast_validator(schema_file: Path) -> jsonschema_rs.Validator:
    """jsonschema-rs (Rust) on the same schema, for ``schema_problems``' fast path. Its
    ``pattern`` is ECMA-262's, as JSON Schema defines it: ``$`` only at the very end, like
    ``_whole_pattern``, and ``\\d``, ``\\s`` in their ECMA (ASCII-digit) sense, where Python's are
    Unicode; where the two differ it refuses what ``strict_validator`` accepts, never the reverse
    (control characters, where ``\\S`` differs the other way, are refused before the schema)."""
    return jsonschema_rs.Draft202012Validator(_load_schema(schema_file))


def strict_validator(schema_file: Path) -> jsonschema.protocols.Validator:
    """A JSON Schema validator whose ``pattern`` matches as JSON Schema defines it. The schemas
    are the package's own, so that they are valid JSON Schema is checked by a test
    (tests/test_schema_fast_path.py), not on every build (0.2 s)."""
    schema = _load_schema(schema_file)
    strict: type[jsonschema.protocols.Validator] = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, {"pattern": _whole_pattern})
    return strict(schema)


def _schema_problem(display: str, positioned: Positioned, error: jsonschema.ValidationError,
                    guide: str = RECORD_GUIDE) -> Problem:
    path = tuple(error.absolute_path)
    where = "/".join(str(part) for part in path) or "(top level)"
    detail = error.message
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}  # true/false have no keywords
    if error.validator == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed) if isinstance(error.instance, dict) else []
        if extra:  # point at the first unexpected key rather than at its mapping
            path = path + (extra[0],)
            detail = f"unknown field '{extra[0]}'"
        fix = "remove or rename the field; allowed here: " + ", ".join(sorted(allowed))
    elif error.validator == "required":
        fix = "add the missing field"
    elif error.validator == "pattern" and isinstance(error.instance, str):
        hint = schema.get("description")
        fix = f"write it as {hint}" if hint else f"it must match the pattern {schema['pattern']}"
        detail = f"{error.instance!r} has the wrong form"
    elif error.validator == "enum":
        fix = "use one of: " + ", ".join(map(str, schema["enum"]))
    elif error.validator == "oneOf" and any("required" in option for option in schema.get("oneOf", [])):
        fix = "give exactly one of " + " or ".join(f"{option['required'][0]}:" for option in schema["oneOf"])
    elif error.validator == "oneOf":
        fix = "write a quoted text, a list of them, or a mapping of language to a list, such as {zh: [...]}"
    else:
        fix = f"see {guide}"
    if len(detail) > MAX_DETAIL:  # jsonschema quotes the whole value, which can be a megabyte
        detail = detail[:MAX_DETAIL] + " …"
    return Problem(display, positioned.line_of(path), "record-schema", f"{where}: {detail}", fix)


def _quote_problems(display: str, positioned: Positioned) -> Iterator[Problem]:
    """Quotes are short by rule: facts may be taken from a source, its sentences may not."""
    data = positioned.value
    for section, items in data.items():
        if section == "source":
            continue
        for index, item in enumerate(items or []):
            quoted: list[tuple[str | int, ...]] = [(section, index)]
            quoted += [(section, index, "status", n) for n in range(len(item.get("status") or []))]
            for path in quoted:
                yield from quote_length(display, positioned, path)


def quote_length(display: str, positioned: Positioned, path: tuple[str | int, ...]) -> Iterator[Problem]:
    item = positioned.value
    for part in path:
        item = item[part]
    quote = item.get("quote")
    groups = quote.values() if isinstance(quote, dict) else [quote]
    for text in (t for group in groups for t in (group if isinstance(group, list) else [group])):
        excess = _excess(str(text))
        if excess:
            yield Problem(display, positioned.line_of(path + ("quote",)), "quote-length",
                          f"{'/'.join(map(str, path))}/quote is longer than {excess}",
                          f"quote only the words that support the fact (under 25 words and {MAX_QUOTE_CHARS} characters, "
                          f"or {MAX_QUOTE_CJK_CHARS} Chinese characters)")


def _excess(text: str) -> str | None:
    """Which bound a quote passes, if any. Characters bound it too: a 'word' can be 10,000 long."""
    if len(text) > MAX_QUOTE_CHARS:
        return f"{MAX_QUOTE_CHARS} characters"
    # No ASCII character is wide (W) or full-width (F): most quotes need no look-up per character.
    cjk = 0 if text.isascii() else sum(1 for char in text if unicodedata.east_asian_width(char) in ("W", "F"))
    if cjk > len(text) / 3:
        return f"{MAX_QUOTE_CJK_CHARS} Chinese or Japanese characters" if cjk > MAX_QUOTE_CJK_CHARS else None
    return f"{MAX_QUOTE_WORDS} words" if len(text.split()) > MAX_QUOTE_WORDS else None
