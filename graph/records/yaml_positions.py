"""Parse YAML keeping the line of every value, so that errors can name file and line.

PyYAML's composer already knows where each node starts; we convert its node tree ourselves
instead of using a resolver because (a) every scalar must stay a string (YAML 1.1 would turn the
country code ``NO`` into ``False`` and ``2024-08-29`` into a date) and (b) duplicate keys, which
PyYAML silently overwrites, must be an error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
# libyaml's C parser when PyYAML was built with it (the wheels are): same nodes and marks, faster.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(Exception):
    """A syntax error or duplicate key, with the 1-based line where it happens."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


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


def parse_yaml(text: str) -> Positioned:
    """Parse one YAML document; raise YamlProblem on bad syntax or a repeated key."""
    try:
        node = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(f"YAML syntax: {error.problem or error}", line) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"YAML syntax: {error}", 1) from None
    positioned = Positioned(None)
    positioned.value = _convert(node, (), positioned.lines) if node is not None else None
    return positioned


def _convert(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                raise YamlProblem("a mapping key must be a plain word", key_node.start_mark.line + 1)
            if key == "<<":
                raise YamlProblem("merge keys (<<) are not supported; write the fields out", key_node.start_mark.line + 1)
            if key in result:
                raise YamlProblem(f"key '{key}' appears twice in the same mapping; keep one", key_node.start_mark.line + 1)
            result[key] = _convert(value_node, path + (key,), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (index,), lines) for index, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null"):
        return None
    return str(node.value)
