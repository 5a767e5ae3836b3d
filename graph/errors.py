"""Exceptions the command line turns into clear messages and documented exit codes."""
from __future__ import annotations

from graph.problems import Problem


class AllianceError(Exception):
    """An error a user can fix; the message says what to do. Exit code 2."""


class InvalidData(AllianceError):
    """Records or the built graph break the rules. Exit code 1; the previous graph is kept."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = sum(1 for p in problems if p.severity.value == "violation")
        super().__init__(f"{count} problem(s) in the data; the previous graph was kept")


class StoreMissing(AllianceError):
    """No built graph where one is expected."""


class UnknownName(AllianceError):
    """A name resolves to nothing; carries the nearest matches."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name, self.suggestions = name, suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"No entity is called '{name}'.{hint} Try: alliances search '{name}'")


class AmbiguousName(AllianceError):
    """A name fits several entities; carries them so the user can pick one by id."""

    def __init__(self, name: str, candidates: list[tuple[str, str, str]]) -> None:
        self.name, self.candidates = name, candidates
        listed = "; ".join(f"{label} ({kind}, id {ident})" for ident, kind, label in candidates)
        super().__init__(f"'{name}' names more than one entity: {listed}. Give the id instead.")
