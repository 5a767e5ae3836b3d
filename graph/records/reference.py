"""Reference lists that are not records of alliances: the largest producers of each kind, as a
ranking page gives them, or as a page names them where none ranks them, with further names from a
second page (``also_named``) (``data/reference/largest-producers.yaml``).

They let ``alliances stats`` say which of the largest steelmakers, automakers, aluminium producers
and battery recyclers have no deal in the graph: absence is only visible against a list of who
should be there. The file gets the same file checks as a record (graph.records.read) and its own
JSON Schema; an organisation it names must exist in data/ (checked by ``alliances validate``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from graph.problems import Problem
from graph.records.read import RecordProblems, quote_length, read_yaml_mapping, schema_problems, strict_validator

SCHEMA_FILE = Path(__file__).with_name("reference.schema.yaml")
LARGEST_PRODUCERS = Path("reference") / "largest-producers.yaml"  # under the data folder
KINDS = ("steelmakers", "automakers", "aluminium_producers", "battery_recyclers")


@dataclass(frozen=True)
class Ranked:
    kind: str  # one of KINDS
    rank: int | None
    name: str
    organisation: str | None  # an organisation id in data/, when the ranking's company is there
    line: int


@dataclass(frozen=True)
class Ranking:
    display: str
    entries: list[Ranked]
    sources: dict[str, str]  # kind -> the ranking page's URL


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    return strict_validator(SCHEMA_FILE)


def read_largest_producers(data_dir: Path) -> Ranking | None:
    """The ranking file, checked; None when the data folder has none. Raises RecordProblems."""
    path = data_dir / LARGEST_PRODUCERS
    if not path.exists() and not path.is_symlink():
        return None
    display = f"data/{LARGEST_PRODUCERS.as_posix()}"
    positioned = read_yaml_mapping(path, display, "sections such as 'steelmakers:'",
                                   "see graph/records/reference.schema.yaml")
    problems = schema_problems(display, positioned, _validator(), "graph/records/reference.schema.yaml")
    if not problems:
        problems = [p for kind in positioned.value for path in ((kind, "source"), (kind, "also_named", "source"))
                    if _has(positioned.value, path) for p in quote_length(display, positioned, path)]
    if problems:
        raise RecordProblems(sorted(set(problems)))
    entries = [Ranked(kind, int(item["rank"]) if "rank" in item else None, item["name"], item.get("organisation"),
                      positioned.line_of(path + (index,)))
               for kind in KINDS for path in ((kind, "ranking"), (kind, "named"), (kind, "also_named", "entries"))
               if _has(positioned.value, path) for index, item in enumerate(_at(positioned.value, path))]
    return Ranking(display, entries, {kind: positioned.value[kind]["source"]["url"] for kind in KINDS if kind in positioned.value})


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _has(value: Any, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def unknown_organisations(ranking: Ranking, known: set[str]) -> list[Problem]:
    """Ranked organisations named by an id that no record defines."""
    return [Problem(ranking.display, entry.line, "unknown-organisation",
                    f"{entry.kind}: '{entry.organisation}' is not an organisation in data/sources/",
                    "use the id that `alliances search NAME` shows, or leave out 'organisation:'")
            for entry in ranking.entries if entry.organisation and entry.organisation not in known]
