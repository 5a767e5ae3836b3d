"""Parse YAML keeping the line of every value, so that errors can name file and line.

We build values from PyYAML's event stream ourselves instead of using its composer and a
resolver because (a) every scalar must stay a string (YAML 1.1 would turn the country code ``NO``
into ``False`` and ``2024-08-29`` into a date); (b) duplicate keys, which PyYAML silently
overwrites, must be an error; (c) anchors and aliases must be refused where they appear, before
anything is expanded: a 700-byte "billion laughs" of nested aliases grows to gigabytes once its
nodes are walked, and records need no aliases; (d) nesting is bounded as the events stream in,
with a plain loop and a stack, so a deep file can neither exhaust memory nor the recursion limit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
# libyaml's C parser when PyYAML was built with it (the wheels are): same events and marks, faster.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NULL_TAG = "tag:yaml.org,2002:null"
NULLS = ("", "~", "null")


class YamlProblem(Exception):
    """A syntax error, duplicate key, alias or too deep nesting, with the 1-based line where it
    happens and the rule it breaks (yaml-syntax, yaml-alias or nesting-depth)."""

    def __init__(self, message: str, line: int, rule: str = "yaml-syntax") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.rule = rule


@dataclass
class Positioned:
    """The plain value of a YAML document and the line of each path in it."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """Line of the deepest known ancestor of ``path`` (1 if none)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


@dataclass
class _Open:
    """A mapping or sequence whose end event has not come yet."""

    path: Path
    value: dict[str, Any] | list[Any]
    key: str | None = None  # in a mapping, the key whose value comes next

    @property
    def expects_key(self) -> bool:
        return isinstance(self.value, dict) and self.key is None


def parse_yaml(text: str, max_depth: int) -> Positioned:
    """Parse one YAML document; raise YamlProblem on bad syntax, a repeated key, an anchor or
    alias, or mappings and sequences nested more than ``max_depth`` deep."""
    positioned = Positioned(None)
    try:
        _compose(yaml.parse(text, Loader=LOADER), positioned, max_depth)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        if "nesting depth" in str(error.problem):  # libyaml's own bound (1,000) met while its scanner looks ahead
            raise YamlProblem(f"mappings and lists are nested more than {max_depth} deep", line, "nesting-depth") from None
        raise YamlProblem(f"YAML syntax: {error.problem or error}", line) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"YAML syntax: {error}", 1) from None
    return positioned


def _compose(events: Iterable[yaml.Event], positioned: Positioned, max_depth: int) -> None:
    stack: list[_Open] = []
    documents = 0
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent) or isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            raise YamlProblem("anchors (&name) and aliases (*name) are not allowed in records", line, "yaml-alias")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlProblem("a record file holds one YAML document; remove the second '---' or split the file", line)
        elif isinstance(event, yaml.ScalarEvent):
            if stack and stack[-1].expects_key:
                _take_key(stack[-1], event.value, line)
            else:
                _start(stack, positioned, line)
                _attach(stack, positioned, _scalar(event))
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if stack and stack[-1].expects_key:
                raise YamlProblem("a mapping key must be a plain word", line)
            if len(stack) >= max_depth:
                raise YamlProblem(f"mappings and lists are nested more than {max_depth} deep", line, "nesting-depth")
            path = _start(stack, positioned, line)
            stack.append(_Open(path, {} if isinstance(event, yaml.MappingStartEvent) else []))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = stack.pop()
            _attach(stack, positioned, done.value)


def _start(stack: list[_Open], positioned: Positioned, line: int) -> Path:
    """The path of a value that begins at ``line``; its line is kept."""
    if not stack:
        path: Path = ()
    else:
        parent = stack[-1]
        step: str | int = len(parent.value) if isinstance(parent.value, list) else str(parent.key)
        path = parent.path + (step,)
    positioned.lines[path] = line
    return path


def _attach(stack: list[_Open], positioned: Positioned, value: Any) -> None:
    if not stack:
        positioned.value = value
        return
    parent = stack[-1]
    if isinstance(parent.value, dict):
        parent.value[str(parent.key)] = value
        parent.key = None
    else:
        parent.value.append(value)


def _take_key(mapping: _Open, key: str, line: int) -> None:
    if key == "<<":
        raise YamlProblem("merge keys (<<) are not supported; write the fields out", line)
    if key in mapping.value:
        raise YamlProblem(f"key '{key}' appears twice in the same mapping; keep one", line)
    mapping.key = key


def _scalar(event: yaml.ScalarEvent) -> str | None:
    """Every scalar is a string, except an empty value or a plain ``~``/``null``, which is None."""
    plain = event.tag in (None, "!") and event.implicit[0]
    if event.value in NULLS and (plain or event.tag == NULL_TAG):
        return None
    return str(event.value)
