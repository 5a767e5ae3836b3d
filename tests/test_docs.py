"""The docs that describe the command line are checked against it:

- the README's command reference is generated from the click commands (graph/cli/reference.py)
  and names every command and every option; a stale one fails here (``scripts/docs`` rewrites it);
- the JSON that ``show`` (every kind of entity), ``search``, ``validate`` and ``stats`` print
  matches the JSON Schemas of docs/schemas/, which refuse unknown fields; every field a schema
  names appears in some real output; docs/json-output.md's tables are generated from them.
"""
from __future__ import annotations

import copy
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import jsonschema
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from cogapp import Cog  # type: ignore[import-untyped]  # cogapp publishes no type information

from graph.ask.profile import profile
from graph.ask.resolve import KINDS, kind_and_id
from graph.build.pipeline import compile_all
from graph.cli import main
from graph.cli.reference import command_reference, load_schema, schema_fields
from graph.config import PROJECT_ROOT, Settings
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

from conftest import FIXTURES, seed_corpus

SCHEMAS = PROJECT_ROOT / "docs" / "schemas"
INVALID_RECORDS = PROJECT_ROOT / "tests" / "fixtures" / "records" / "invalid"
# Records that are each valid on their own but break a rule across files (checked after the schema).
CROSS_FILE_INVALID = ("alias-names-two-organisations.yaml", "broken-reference.yaml", "duplicate-agreement.yaml",
                      "two-preferred-names.yaml", "wrong-taxonomy-id.yaml")


def generated_docs() -> list[Path]:
    """The files with cog blocks, as scripts/docs finds them."""
    return [p for p in [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
            if "[[[cog" in p.read_text(encoding="utf-8")]


def cog_check(files: list[Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = Cog().main(["cog", "--check", "--diff", *map(str, files)])
    return status, capsys.readouterr().out


# ------------------------------------------------------------------ the command reference

def test_the_generated_docs_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    files = generated_docs()
    assert {p.name for p in files} >= {"README.md", "json-output.md"}
    status, output = cog_check(files, capsys)
    assert status == 0, f"{output}\nThe generated docs are stale: run scripts/docs"


def test_a_stale_reference_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    stale = re.sub(r"^\| `alliances stats` .*\n", "", text, count=1, flags=re.MULTILINE)  # the drift of issue 9
    assert stale != text
    readme.write_text(stale, encoding="utf-8")
    status, output = cog_check([readme], capsys)
    assert status != 0 and "alliances stats" in output


def _reference_section() -> str:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Command reference\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_names_every_command_and_option() -> None:
    section = _reference_section()
    for name, command in main.commands.items():
        assert f"`alliances {name}`" in section, name
        assert f"Usage: alliances {name} " in section, name
        block = section.split(f"Usage: alliances {name} ", 1)[1].split("```", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    assert re.search(rf"(?<![\w-]){re.escape(opt)}\b", block), f"alliances {name} {opt}"
    for opt in ("--store",):
        assert opt in section


def test_the_reference_says_which_extra_a_command_needs() -> None:
    rows = {line.split("|")[1].strip(): line.split("|")[3].strip() for line in _reference_section().splitlines()
            if line.startswith("| `alliances ")}
    assert rows["`alliances serve`"] == "`serve`"
    assert rows["`alliances export`"] == "`images` (png, svg only)"
    assert rows["`alliances show`"] == "none"


def test_the_reference_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    assert command_reference() == command_reference(main)
    assert max(len(line) for line in command_reference().splitlines() if not line.startswith("|")) <= 100


# ------------------------------------------------------------------ the JSON Schemas

def schema(name: str) -> dict[str, Any]:
    return load_schema(SCHEMAS / f"{name}.schema.json")


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(name))


def errors(name: str, data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(data)]


SCHEMA_NAMES = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))


def test_there_is_a_schema_for_each_documented_output() -> None:
    assert SCHEMA_NAMES == ["changes", "manifest", "scorecard", "search", "show", "stats", "validate"]
    doc = (PROJECT_ROOT / "docs" / "json-output.md").read_text(encoding="utf-8")
    for name in SCHEMA_NAMES:
        assert f"(schemas/{name}.schema.json)" in doc


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_a_schema_is_valid_documented_and_its_examples_pass(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(name))
    assert schema(name)["examples"]
    for example in schema(name)["examples"]:
        assert errors(name, example) == []
    undocumented = [f"{f.section}:{f.path}" for f in schema_fields(schema(name)) if f.path and not f.description]
    assert undocumented == []


def invoke(runner: CliRunner, built: Settings, *args: str) -> Any:
    result = runner.invoke(main, ["--store", str(built.store_path), *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


ENTITIES = """
SELECT ?e (COUNT(*) AS ?n) WHERE {
  VALUES ?class { org:Organization al:Alliance foaf:Person al:DataPlatform al:Plant org:Post al:Claim skos:Concept }
  ?e a ?class . { ?e ?p ?o } UNION { ?s ?p ?e }
} GROUP BY ?e"""


def sample_of_every_kind(store: OxigraphStore, per_kind: int = 8) -> dict[str, list[str]]:
    """Ids (kind/id) of the entities of each kind with the most statements, and of the first by
    IRI: the richest profiles have every optional field, the others the empty cases."""
    by_kind: dict[str, list[tuple[int, str]]] = defaultdict(list)
    solutions = store.query(ENTITIES)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        by_kind[kind_and_id(row["e"].value)[0]].append((int(row["n"].value), row["e"].value))
    # Sections only some entities have (an announcement, a status history, plants, identifiers, quantities)
    # come from the first that has each.
    rare_paths = {"alliance": ("al:announcement", "al:statusChange/al:dateBasis", "al:statusChange", "al:plant"),
                  "organisation": ("^al:operator", "^al:party/^al:participation/^al:about"),
                  "plant": ("^al:plant", "al:operator")}
    rare = {kind: [min(row["e"].value for row in select(store, f"SELECT DISTINCT ?e WHERE {{ ?e {p} ?x }}")) for p in paths]
            for kind, paths in rare_paths.items()}
    sample = {}
    for kind, entities in by_kind.items():
        richest = [iri for _, iri in sorted(entities, key=lambda item: (-item[0], item[1]))[:per_kind - 2]]
        sample[kind] = sorted(set(richest + sorted(iri for _, iri in entities)[:2] + rare.get(kind, [])))
    return sample


def json_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """``alliances[].partners[].role`` for each field in ``value``, as the field tables write them."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{prefix}{key}"
            yield from json_paths(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            yield from json_paths(item, f"{prefix.removesuffix('.')}[].")


@pytest.fixture(scope="module")
def profiles(built: Settings, store: OxigraphStore) -> list[dict[str, Any]]:
    """A sample of every kind in data/, and the entities of the fixture that has every field the data
    may not have yet (identifiers, money): profiled by the function `show` prints."""
    runner = CliRunner()
    sampled = [invoke(runner, built, "show", iri, "--format", "json")
               for iris in sample_of_every_kind(store).values() for iri in iris]
    fixture = OxigraphStore.in_memory()
    compile_all(fixture, Settings(), seed_corpus() + [FIXTURES / "records" / "valid" / "offtake-with-volume-money-and-plant.yaml"])
    return sampled + [profile(fixture, ident) for ident in ("example-green-steel", "example-green-steel-works", "example-binding-offtake")]


def test_show_prints_every_kind_as_its_schema_says(profiles: list[dict[str, Any]]) -> None:
    assert {p["kind"] for p in profiles} == set(KINDS)  # the graph has every kind, and the sample takes it
    for profile in profiles:
        assert errors("show", profile) == [], profile["iri"]


def test_every_field_of_the_show_schema_is_in_some_output(profiles: list[dict[str, Any]]) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for profile in profiles:
        seen[profile["kind"]] |= set(json_paths(profile))
    never = [f"{f.section or 'every kind'}: {f.path}" for f in schema_fields(schema("show"))
             if (f.section == "" or f.kinds is not None)
             and not any(f.path in seen[kind] for kind in (f.kinds or seen))]
    assert never == []


def test_the_show_schema_refuses_drift(profiles: list[dict[str, Any]]) -> None:
    organisation = next(p for p in profiles if p["kind"] == "organisation" and p["alliances"] and p["alliances"][0]["partners"])
    alliance = next(p for p in profiles if p["kind"] == "alliance")
    cases: dict[str, Callable[[dict[str, Any]], object]] = {
        "an unknown field": lambda p: p.update(since=2020),
        "a missing field": lambda p: p.pop("sources"),
        "an unknown field in an alliance's partner": lambda p: p["alliances"][0]["partners"][0].update(country="CN"),
        "a section of another kind": lambda p: p.update(links=[]),
        "a missing section": lambda p: p.pop("members"),
        "a year as text": lambda p: p["alliances"][0].update(year="2021"),
        "a date in another form": lambda p: p["alliances"][0].update(start="29.08.2024"),
    }
    for what, change in cases.items():
        changed = copy.deepcopy(organisation)
        change(changed)
        assert errors("show", changed), what
    changed = copy.deepcopy(alliance)
    changed["parties"][0]["signatory"] = {"kind": "person", "id": "x", "label": "X", "post": "CEO"}
    assert errors("show", changed)


def test_search_prints_as_its_schema_says(runner: CliRunner, built: Settings) -> None:
    fields: set[str] = set()
    outputs = [invoke(runner, built, "search", *args, "--format", "json")
               for args in (["宝"], ["steel", "--limit", "50"], ["hbis", "--kind", "organisation"], ["zzzz-nothing"])]
    for matches in outputs:
        assert errors("search", matches) == []
        fields |= set(json_paths(matches))
    assert {"[]." + f.path for f in schema_fields(schema("search"))} <= fields
    first = outputs[0][0]
    assert errors("search", [{**first, "rank": 1}]) and errors("search", [{**first, "score": "95"}])


def test_validate_prints_as_its_schema_says(runner: CliRunner, built: Settings) -> None:
    record_level = invoke(runner, built, "validate", "--format", "json", *map(str, sorted(INVALID_RECORDS.glob("*.yaml"))))
    cross_file = invoke(runner, built, "validate", "--format", "json", *(str(INVALID_RECORDS / n) for n in CROSS_FILE_INVALID))
    for problems in (record_level, cross_file):
        assert problems and errors("validate", problems) == []
    assert {p["rule"] for p in cross_file} >= {"reference-resolves", "alias-unique"}
    assert errors("validate", [{**record_level[0], "severity": "error"}])
    assert errors("validate", [{k: v for k, v in record_level[0].items() if k != "fix"}])


def test_stats_prints_as_its_schema_says(runner: CliRunner, built: Settings) -> None:
    data = invoke(runner, built, "stats", "--format", "json")
    assert errors("stats", data) == []
    # A ranking appears only when data/reference/largest-producers.yaml has it.
    absent = {f"largest_without_deal.{kind}" for kind in ("steelmakers", "automakers", "aluminium_producers", "battery_recyclers")
              if kind not in data["largest_without_deal"]}
    expected = {f.path for f in schema_fields(schema("stats")) if not any(f.path.startswith(a) for a in absent)}
    assert expected <= set(json_paths(data))
    assert errors("stats", {**data, "by_decade": {}})
    assert errors("stats", {k: v for k, v in data.items() if k != "lacking_group"})
