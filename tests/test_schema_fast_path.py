"""The record schema's fast path (jsonschema-rs) never accepts what the full check refuses.

``schema_problems`` returns no problem as soon as jsonschema-rs calls a file valid, so a file that
jsonschema-rs accepts and python-jsonschema (with ``_whole_pattern``) refuses would enter the
graph unchecked. These tests run both validators on every record and fixture in the repository,
on mutations of every text and key of records that use every field of the schema (a final
newline before ``$``, other digits and spaces, every ``enum`` value, nulls, unknown keys), and on
every Unicode code point against every ``pattern``; the only place they may differ is where the
fast one refuses, whose file then gets today's messages from the full check.
"""
from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
import yaml

from graph.records.characters import FORBIDDEN
from graph.records.read import (SCHEMA_FILE, RecordProblems, _ecma_regex, _validator, fast_validator, read_yaml_mapping,
                                schema_problems, strict_validator)
from graph.records.yaml_positions import Positioned

from conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
SCHEMA: dict[str, Any] = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
FAST = fast_validator(SCHEMA_FILE)
FILES = sorted({*FIXTURES.rglob("*.yaml"), *(ROOT / "data" / "sources").glob("*.yaml")})
# Other digits, spaces and letters that Python's \d, \s and [a-z] and ECMA-262's may read apart.
ODD_TEXTS = ["", " ", "\n", "\t", "\r\n", "٢٠٢٤", "２０２４", "𝟚𝟘𝟚𝟜", "\u00a0", "\u2028", "\u3000", "\ufeff", "ß", "İ",
             "\u212a", "ｅｎ", "é", "e\u0301", "😀", "-", "--", "0", "00", "P", "Q0"]


def _enums(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        yield from (str(value) for value in schema.get("enum", []))
        for item in schema.values():
            yield from _enums(item)
    elif isinstance(schema, list):
        for item in schema:
            yield from _enums(item)


def _patterns(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            yield schema["pattern"]
        for item in schema.values():
            yield from _patterns(item)
    elif isinstance(schema, list):
        for item in schema:
            yield from _patterns(item)


ENUMS = sorted(set(_enums(SCHEMA)))
PATTERNS = sorted(set(_patterns(SCHEMA)))


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for item in schema.values():
            names |= _property_names(item)
    elif isinstance(schema, list):
        for item in schema:
            names |= _property_names(item)
    return names


def _positioned(path: Path) -> Positioned | None:
    """The file as the schema sees it, or None when it is refused before the schema."""
    try:
        return read_yaml_mapping(path, str(path), "a 'source:' section", "-")
    except RecordProblems:
        return None


@functools.cache
def _corpus() -> list[Any]:
    """Every record and fixture that reaches the schema."""
    return [p.value for p in map(_positioned, FILES) if p is not None]


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


@functools.cache
def _richest() -> list[Any]:
    """A few valid records that together use every field the schema names (a greedy cover)."""
    valid = [value for value in _corpus() if _validator().is_valid(value)]
    wanted, chosen = _property_names(SCHEMA), []
    while wanted:
        best = max(valid, key=lambda value: len(_keys(value) & wanted))
        if not _keys(best) & wanted:
            break
        chosen.append(best)
        wanted -= _keys(best)
    return chosen


def _string_variants(text: str) -> Iterator[str]:
    yield from (text + "\n", "\n" + text, text + " ", text + "\r", text.upper(), text + "\u2028", text[:-1], text * 2)
    yield from (text.translate(str.maketrans("0123456789", digits)) for digits in ("٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"))
    yield from (text.replace(" ", space) for space in ("\u00a0", "\u3000", "\u2009"))
    yield from (text + odd for odd in ODD_TEXTS)
    yield from ODD_TEXTS
    yield from ENUMS
    yield from (value + "\n" for value in ENUMS)


def _mutations(value: Any, seen: set[tuple[Any, ...]]) -> Iterator[Any]:
    """``value`` with one change: each text and each key replaced, each field removed or nulled,
    each list emptied; in the first item of each list only, and at a place (path without list
    indexes) not in ``seen`` yet, so that each field of the schema is changed once."""
    def at(path: tuple[Any, ...], change: Callable[..., None]) -> Any:  # (parent, last); "..." as some bind a variant by default
        """A copy of ``value`` changed at ``path``; only the mappings and lists on the path are copied."""
        changed = parent = value.copy()
        for part in path[:-1]:
            parent[part] = parent[part].copy()
            parent = parent[part]
        change(parent, path[-1])
        return changed

    def walk(item: Any, path: tuple[Any, ...]) -> Iterator[Any]:
        place = tuple(part for part in path if isinstance(part, str))
        if place not in seen:
            seen.add(place)
            yield from changes(item, path)
        if isinstance(item, dict):
            for key, child in item.items():
                yield from walk(child, path + (key,))
        elif isinstance(item, list) and item:
            yield from walk(item[0], path + (0,))

    def changes(item: Any, path: tuple[Any, ...]) -> Iterator[Any]:
        if path:
            yield at(path, lambda parent, last: parent.__setitem__(last, None))
            if isinstance(parent_of(path), dict):
                yield at(path, lambda parent, last: parent.pop(last))
                for variant in (path[-1] + "\n", path[-1].upper(), path[-1] + "\u00a0", "ｅｎ", "zh-Hant\n", "zh-Hant"):
                    yield at(path, lambda parent, last, variant=variant: parent.__setitem__(variant, parent.pop(last)))
            if isinstance(item, list):
                yield at(path, lambda parent, last: parent.__setitem__(last, []))
        if isinstance(item, str):
            for variant in _string_variants(item):
                yield at(path, lambda parent, last, variant=variant: parent.__setitem__(last, variant))

    def parent_of(path: tuple[Any, ...]) -> Any:
        parent = value
        for part in path[:-1]:
            parent = parent[part]
        return parent

    yield from walk(value, ())


def _unsafe(values: list[Any], fast_accepts: Callable[[Any], bool]) -> list[Any]:
    """The values the fast validator accepts and the full one refuses: they would enter unchecked."""
    return [value for value in values if fast_accepts(value) and not _validator().is_valid(value)]


def _accepts(value: Any) -> bool:
    try:
        return FAST.is_valid(value)
    except ValueError:
        return False


def test_the_corpus_covers_the_schema() -> None:
    """Every field the schema names is in some file of the corpus, so the mutations reach every pattern."""
    covered = set().union(*map(_keys, _richest()))
    assert _property_names(SCHEMA) <= covered, f"no valid record uses {sorted(_property_names(SCHEMA) - covered)}"
    assert PATTERNS and ENUMS


def test_both_validators_agree_on_every_record_and_fixture() -> None:
    values = _corpus()
    assert len(values) > 100, "data/sources/ and tests/fixtures/ should hold the records"
    refused = [value for value in values if not _validator().is_valid(value)]
    assert refused, "the invalid fixtures should reach the schema"
    unsafe = _unsafe(values, _accepts)
    assert not unsafe, f"jsonschema-rs accepts records the full check refuses: {unsafe[:3]}"
    stricter = [value for value in values if value not in refused and not _accepts(value)]
    assert not stricter, f"jsonschema-rs refuses valid records (each then pays for the full check): {stricter[:3]}"


def test_every_invalid_fixture_gets_the_same_messages_through_the_fast_path() -> None:
    invalid = [(path, p) for path in sorted((FIXTURES / "records" / "invalid").glob("*.yaml")) if (p := _positioned(path))]
    assert invalid
    for path, positioned in invalid:
        assert schema_problems(str(path), positioned, _validator(), fast=FAST) == schema_problems(str(path), positioned, _validator())


def test_no_mutation_of_a_record_is_accepted_by_the_fast_path_alone() -> None:
    seen: set[tuple[Any, ...]] = set()
    values = [mutated for record in _richest() for mutated in _mutations(record, seen)]
    values = [value for value in values if not FORBIDDEN.search(repr(value))]  # refused before the schema
    assert len(values) > 1000
    unsafe = _unsafe(values, _accepts)
    assert not unsafe, f"{len(unsafe)} records pass jsonschema-rs but not the full check, e.g. {unsafe[:2]}"


def test_a_record_with_a_lone_surrogate_goes_to_the_full_check() -> None:
    """jsonschema-rs cannot take a lone surrogate (a YAML escape can make one); the full check decides."""
    positioned = Positioned({"source": {"title": "\ud800", "publisher": "x", "language": "en", "kind": "web-page"}})
    assert schema_problems("f.yaml", positioned, _validator(), fast=FAST) == schema_problems("f.yaml", positioned, _validator()) == []


# The character classes of the schema's patterns; the bracketed ones list ASCII only, which both engines read alike.
CLASSES = {r"\d", r"\S"}


def test_the_patterns_use_no_other_class_escape() -> None:
    """A pattern with another class (\\w, \\s, \\b...) needs its own line in the code-point test below."""
    used = {escape for pattern in PATTERNS for escape in re.findall(r"\\[a-zA-Z]", pattern)}
    assert used <= CLASSES, f"the schema uses {sorted(used - CLASSES)}: compare them code point by code point too"


@pytest.mark.parametrize("escape", sorted(CLASSES))
def test_each_class_accepts_in_jsonschema_rs_only_what_python_accepts(escape: str) -> None:
    """Every code point: where Python's class refuses it, jsonschema-rs's refuses it too, unless the
    character is refused before the schema (a control character). Python's ``\\d`` takes every
    Unicode digit and ECMA-262's only 0-9, so the fast path is stricter there, never looser."""
    fast = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": f"^{escape}$"})
    full = re.compile(escape)
    chars = (chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)
    unsafe = [char for char in chars if fast.is_valid(char) and not full.fullmatch(char) and not FORBIDDEN.match(char)]
    assert not unsafe, f"{escape}: jsonschema-rs accepts {[f'U+{ord(c):04X}' for c in unsafe[:10]]}, which Python refuses"


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_agrees_on_odd_characters_at_each_place(pattern: str) -> None:
    """Samples that match, with each character in turn replaced by an odd one, and with a final newline."""
    fast = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": pattern})
    full = _ecma_regex(pattern)
    samples = _samples(pattern)
    assert samples, f"no sample matches {pattern}"
    odd = sorted({char for text in ODD_TEXTS for char in text} | set("09aAzZ-_ /*.:\n"))
    for sample in samples:
        assert fast.is_valid(sample) and full.search(sample)
        probes = [sample[:at] + char + sample[at + 1:] for at in range(len(sample) + 1) for char in odd]
        probes += [sample + "\n", sample + "\r\n", "\n" + sample, sample + "\u2028", sample + "\n\n"]
        unsafe = [probe for probe in probes if fast.is_valid(probe) and not full.search(probe) and not FORBIDDEN.search(probe)]
        assert not unsafe, f"{pattern}: jsonschema-rs accepts {unsafe[:5]!r}, which Python's pattern refuses"


def _samples(pattern: str) -> list[str]:
    """Short texts of the corpus that match ``pattern``, one per length up to three."""
    texts = {text for value in _corpus() for text in _texts(value)}
    texts |= {"2024-08-29", "--01-16", "P9M", "Q26678", "5299000EXAMPLE000193", "P100000120826", "EUR", "CN", "-12.5",
              "material:green-steel", "https://example.org/a", "zh-Hant", "t / year"}
    matching = sorted((text for text in texts if _ecma_regex(pattern).search(text)), key=lambda text: (len(text), text))
    by_length: dict[int, str] = {}
    for text in matching:
        by_length.setdefault(len(text), text)
    return list(by_length.values())[:3]


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        yield from value
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, str):
        yield value


def test_the_guard_catches_a_fast_path_that_lets_a_final_newline_through() -> None:
    """The checks above can fail: python-jsonschema without ``_whole_pattern`` (whose ``$`` also
    matches before a final newline) as the fast path is caught by the mutations."""
    loose = jsonschema.Draft202012Validator(SCHEMA)
    values = [mutated for mutated in _mutations(_richest()[0], set()) if any(text.endswith("\n") for text in _texts(mutated))]
    unsafe = _unsafe(values, loose.is_valid)
    assert any(text.endswith("\n") for value in unsafe for text in _texts(value))
    assert strict_validator(SCHEMA_FILE).is_valid(_richest()[0])


@pytest.mark.parametrize("schema_file", [SCHEMA_FILE, ROOT / "graph" / "records" / "reference.schema.yaml"], ids=["record", "reference"])
def test_the_package_schemas_are_json_schema_and_read_as_pyyaml_reads_them(schema_file: Path) -> None:
    """strict_validator does not check its schema on every build: the schemas are the package's
    own, checked here; and the libyaml parse it uses gives what PyYAML's own parser gives."""
    from graph.records.read import _load_schema

    schema = yaml.safe_load(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert _load_schema(schema_file) == schema
