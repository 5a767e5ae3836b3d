"""Writing a draft into data/sources/: only a record that validates, and never over another file.

The draft is first written to a temporary folder and checked with everything in data/ (the same
check as ``alliances validate FILE``); only if it has no violation is it written, with exclusive
creation, into data/sources/. A draft that fails leaves data/ as it was.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from graph.config import Settings
from graph.errors import AllianceError, InvalidData
from graph.problems import Severity


def write_record(settings: Settings, text: str, name: str) -> Path:
    """``text`` as data/sources/NAME.yaml, if it validates; InvalidData (nothing written) if not."""
    from graph.api import validate

    target = settings.data_dir / "sources" / f"{name}.yaml"
    if target.exists():
        raise AllianceError(f"{settings.display(target)} exists already: draft to a file with -o and merge it by hand")
    with tempfile.TemporaryDirectory(prefix="alliances-draft-") as folder:
        candidate = Path(folder) / f"{name}.yaml"
        candidate.write_text(text, encoding="utf-8")
        problems = validate(settings, [candidate])
    if any(problem.severity is Severity.VIOLATION for problem in problems):
        raise InvalidData([p for p in problems if p.severity is not Severity.INFO])
    with open(target, "x", encoding="utf-8") as output:
        output.write(text)
    return target
