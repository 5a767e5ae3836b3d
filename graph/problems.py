"""Problems found in records or in the built graph, reported with file, line, rule and fix."""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """SHACL's severities; only violations make a build or validation fail."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing to fix. ``file`` is relative to the project root where possible.

    ``about``: the IRIs of the entities the problem is about, for an incremental build to know
    which problems a change can alter without reading the wording of messages (a wording is for
    people and may change): a duplicate alliance's two alliances, a shared name's organisations, a
    page's two sources, the entity with two preferred names, a shape result's focus node and then
    the entity whose entry places it (graph.validate.locations.Locations.owner) if another; the
    first is the entity the problem is placed at. Empty for the rules that are always checked whole. Not shown to users (text or JSON)."""

    file: str
    line: int
    rule: str
    message: str
    fix: str = ""
    severity: Severity = Severity.VIOLATION
    about: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.severity.value} [{self.rule}] {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text

    def to_json(self) -> dict[str, object]:
        """The fields docs/schemas/validate.schema.json describes (``about`` is the build's own)."""
        return {"file": self.file, "line": self.line, "rule": self.rule, "message": self.message, "fix": self.fix,
                "severity": self.severity.value}


def has_violations(problems: list[Problem]) -> bool:
    return any(problem.severity is Severity.VIOLATION for problem in problems)


def problems_as_json(problems: list[Problem]) -> str:
    return json.dumps([problem.to_json() for problem in sorted(problems)], ensure_ascii=False, indent=2)
