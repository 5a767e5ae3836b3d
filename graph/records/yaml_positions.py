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
        line = self.lines.get(path)  # most often ``path`` itself: no slice made (emit asks for each reference)
        if line is not None:
            return line
        for end in range(len(path) - 1, -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


class _Open:
    """A mapping or sequence whose end event has not come yet."""

    __slots__ = ("path", "value", "key", "is_mapping")

    def __init__(self, path: Path, value: dict[str, Any] | list[Any]) -> None:
        self.path = path
        self.value: Any = value  # Any: the loop knows which from is_mapping, and a cast would cost a call
        self.key: str | None = None  # in a mapping, the key whose value comes next
        self.is_mapping = isinstance(value, dict)


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


_ALIAS_MESSAGE = "anchors (&name) and aliases (*name) are not allowed in records"


def _compose(events: Iterable[Any], positioned: Positioned, max_depth: int) -> None:
    """Build ``positioned`` from the events, with a stack of the open mappings and lists (``top``
    is the innermost), checking each event as it comes: the first problem met is the one raised.

    This loop runs for every scalar of every record (about 180 a file), so it compares the event's
    class with locals rather than calling isinstance, and does inline what small functions did.
    The events are Any: their classes have different attributes, and the class says which."""
    scalar_event, end_events = yaml.ScalarEvent, (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    start_events, mapping_start = (yaml.MappingStartEvent, yaml.SequenceStartEvent), yaml.MappingStartEvent
    lines = positioned.lines
    stack: list[_Open] = []
    top: _Open | None = None
    documents = 0
    for event in events:
        kind = type(event)
        if kind is scalar_event:
            line = _line(event)
            if event.anchor is not None:
                raise YamlProblem(_ALIAS_MESSAGE, line, "yaml-alias")
            text = event.value
            if top is None:
                lines[()] = line
                positioned.value = _scalar(event)
            elif not top.is_mapping:
                items = top.value
                lines[top.path + (len(items),)] = line
                items.append(_scalar(event) if text in NULLS else text)
            elif top.key is None:
                if text == "<<" or text in top.value:
                    _refuse_key(text, line)
                top.key = text
            else:
                lines[top.path + (top.key,)] = line
                top.value[top.key] = _scalar(event) if text in NULLS else text
                top.key = None
        elif kind in end_events:
            done = stack.pop()
            top = stack[-1] if stack else None
            if top is None:
                positioned.value = done.value
            elif top.is_mapping:
                top.value[top.key] = done.value
                top.key = None
            else:
                top.value.append(done.value)
        elif kind in start_events:
            line = _line(event)
            if event.anchor is not None:
                raise YamlProblem(_ALIAS_MESSAGE, line, "yaml-alias")
            if top is not None and top.is_mapping and top.key is None:
                raise YamlProblem("a mapping key must be a plain word", line)
            if len(stack) >= max_depth:
                raise YamlProblem(f"mappings and lists are nested more than {max_depth} deep", line, "nesting-depth")
            if top is None:
                path: Path = ()
            else:
                path = top.path + (str(top.key) if top.is_mapping else len(top.value),)
            lines[path] = line
            top = _Open(path, {} if kind is mapping_start else [])
            stack.append(top)
        elif kind is yaml.AliasEvent:
            raise YamlProblem(_ALIAS_MESSAGE, _line(event), "yaml-alias")
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise YamlProblem("a record file holds one YAML document; remove the second '---' or split the file", _line(event))


def _line(event: Any) -> int:
    """The line an event starts on, counted from 1."""
    return event.start_mark.line + 1 if event.start_mark else 1


def _refuse_key(key: str, line: int) -> None:
    """A mapping key that is a merge key or that the mapping already has."""
    if key == "<<":
        raise YamlProblem("merge keys (<<) are not supported; write the fields out", line)
    raise YamlProblem(f"key '{key}' appears twice in the same mapping; keep one", line)


def _scalar(event: yaml.ScalarEvent) -> str | None:
    """Every scalar is a string, except an empty value or a plain ``~``/``null``, which is None."""
    plain = event.tag in (None, "!") and event.implicit[0]
    if event.value in NULLS and (plain or event.tag == NULL_TAG):
        return None
    return str(event.value)
