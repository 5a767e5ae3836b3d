"""The command line: outputs, formats and documented exit codes (0 ok, 1 invalid data, 2 error)."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from click.testing import CliRunner, Result
import pyoxigraph as ox
from rdflib import Graph
from wcwidth import wcswidth, wcwidth

from graph.cli import main
from graph.config import Settings

from conftest import FIXTURES


def run(runner: CliRunner, settings: Settings, *args: str, input: str | None = None) -> Result:
    return runner.invoke(main, ["--store", str(settings.store_path), *args], input=input)


def _alliance_count(settings: Settings) -> int:
    """Counted in-process, without the command line, to compare with what the CLI prints."""
    from graph.rdf.query_forms import select
    from graph.rdf.store import OxigraphStore
    store = OxigraphStore.open(settings.store_path)
    return int(next(iter(select(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a al:Alliance }")))["n"].value)


def test_build_prints_a_summary(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["--store", str(tmp_path / "s"), "build"])
    assert result.exit_code == 0, result.output
    assert "alliances" in result.output and "named graphs" in result.output


def test_validate_exit_codes(runner: CliRunner, built: Settings) -> None:
    assert run(runner, built, "validate").exit_code == 0
    bad = FIXTURES / "records" / "invalid" / "unknown-field.yaml"
    result = run(runner, built, "validate", str(bad))
    assert result.exit_code == 1
    assert "unknown-field.yaml:10" in result.output and "partys" in result.output


def test_validate_a_new_file_against_the_whole_data(runner: CliRunner, built: Settings) -> None:
    good = FIXTURES / "records" / "valid" / "minimal-new-deal.yaml"  # refers to bmw-group, defined in data/
    result = run(runner, built, "validate", str(good))
    assert result.exit_code == 0, result.output
    assert "0 violation(s)" in result.output
    bad = FIXTURES / "records" / "invalid" / "broken-reference.yaml"
    result = run(runner, built, "validate", str(bad))
    assert result.exit_code == 1 and "broken-reference.yaml:12" in result.output and "data/sources" not in result.output


def test_validate_json_is_a_list_of_problems(runner: CliRunner, built: Settings) -> None:
    bad = FIXTURES / "records" / "invalid" / "bad-date.yaml"
    result = run(runner, built, "validate", "--format", "json", str(bad))
    problems = json.loads(result.stdout)
    assert result.exit_code == 1
    assert {"file", "line", "rule", "message", "fix", "severity"} <= set(problems[0])


def test_missing_store_is_an_error_with_advice(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["--store", str(tmp_path / "none"), "show", "河钢"])
    assert result.exit_code == 2
    assert "alliances build" in result.output


def test_query_list_shows_questions(runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, "query", "--list")
    assert result.exit_code == 0
    assert "agreements-of" in result.output and "question" not in result.output.split("\n")[0]


def test_named_query_with_a_chinese_parameter(runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, "query", "agreements-of", "--param", "org=河钢", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and any("Steel and Iron Supply Chain" in " ".join(r.values()) for r in rows)


def test_sparql_from_option_stdin_and_file(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    text = "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a al:Alliance }"
    by_option = run(runner, built, "query", "--sparql", text, "--format", "json")
    by_stdin = run(runner, built, "query", "--format", "json", input=text)
    (tmp_path / "q.rq").write_text(text)
    by_file = run(runner, built, "query", "--file", str(tmp_path / "q.rq"), "--format", "json")
    answers = {json.loads(r.stdout)["results"]["bindings"][0]["n"]["value"] for r in (by_option, by_stdin, by_file)}
    assert answers == {str(_alliance_count(built))}


def _display_columns(line: str, start: int, end: int) -> str:
    """The characters of ``line`` that a terminal shows from column ``start`` to ``end``
    (a Chinese character takes two columns)."""
    shown, column = [], 0
    for char in line:
        if start <= column < end:
            shown.append(char)
        column += max(wcwidth(char), 0)
    return "".join(shown)


def test_table_output_lines_up_chinese(runner: CliRunner, built: Settings) -> None:
    """Every cell sits under its column's rule, counted in terminal columns, however many wide
    characters the cells before it hold."""
    sparql = ('SELECT ?zh ?en WHERE { ?o a org:Organization ; skos:prefLabel ?zh, ?en '
              'FILTER(LANG(?zh)="zh" && LANG(?en)="en") } ORDER BY ?zh LIMIT 4')
    result = run(runner, built, "query", "--sparql", sparql)
    assert result.exit_code == 0, result.output
    cells = list(csv.reader(io.StringIO(run(runner, built, "query", "--sparql", sparql, "--format", "csv").stdout)))
    assert len({wcswidth(row[0]) - len(row[0]) for row in cells[1:]}) > 1, "the labels should differ in wide characters"
    header, rule, *rows, count = result.output.splitlines()
    assert count == "(4 rows)"
    columns = [(dashes.start(), dashes.end()) for dashes in re.finditer(r"-+", rule)]
    assert len(columns) == 2
    for line, expected in zip([header, *rows], cells, strict=True):
        assert [_display_columns(line, start, end).strip() for start, end in columns] == expected, line
        assert wcswidth(line.rstrip()) <= columns[-1][1], f"a cell runs past its column: {line}"


def test_construct_as_turtle_and_xml_results(runner: CliRunner, built: Settings) -> None:
    construct = run(runner, built, "query", "--sparql", "CONSTRUCT { ?a a al:Alliance } WHERE { ?a a al:Alliance }", "--format", "turtle")
    assert len(Graph().parse(data=construct.stdout, format="turtle")) == _alliance_count(built)
    ask = run(runner, built, "query", "--sparql", "ASK { ?a a al:Alliance }", "--format", "xml")
    assert "<boolean>true</boolean>" in ask.stdout


def test_bad_sparql_and_bad_params_exit_2(runner: CliRunner, built: Settings) -> None:
    assert run(runner, built, "query", "--sparql", "SELEKT nothing").exit_code == 2
    assert run(runner, built, "query", "no-such-query").exit_code == 2
    assert run(runner, built, "query", "agreements-of", "--param", "nobody=x").exit_code == 2
    assert run(runner, built, "query", "agreements-of", "--param", "org=Nobody Steel Works").exit_code == 2


def test_show_text_and_stable_json(runner: CliRunner, built: Settings) -> None:
    text = run(runner, built, "show", "河钢")
    english = run(runner, built, "show", "Hebei Iron and Steel Group", "--format", "json")
    chinese = run(runner, built, "show", "河钢", "--format", "json")
    assert text.exit_code == english.exit_code == 0
    assert "HBIS Group" in text.output and "Sources" in text.output
    data = json.loads(english.stdout)
    assert data == json.loads(chinese.stdout)
    assert list(data)[:8] == ["kind", "id", "iri", "label", "names", "types", "facts", "alliances"]
    assert data["names"]["preferred"]["zh"] == ["河钢集团"]


def test_show_ambiguous_and_unknown(runner: CliRunner, built: Settings) -> None:
    ambiguous = run(runner, built, "show", "Henan aluminium company")
    assert ambiguous.exit_code == 2 and "henan-aluminium-company-1" in ambiguous.output
    unknown = run(runner, built, "show", "Baotou Steal")
    assert unknown.exit_code == 2 and "Baotou Steel" in unknown.output


def test_search_json(runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, "search", "宝", "--format", "json")
    hits = json.loads(result.stdout)
    assert {"baowu", "baosteel"} <= {h["id"] for h in hits}
    assert set(hits[0]) == {"iri", "kind", "id", "label", "matched", "score"}


def test_export_trig_keeps_every_quad(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    out = tmp_path / "graph.trig"
    assert run(runner, built, "export", "trig", "-o", str(out)).exit_code == 0
    nquads = run(runner, built, "export", "nquads")
    trig = set(ox.parse(path=str(out), format=ox.RdfFormat.TRIG))
    quads = set(ox.parse(nquads.stdout_bytes, format=ox.RdfFormat.N_QUADS))
    assert trig == quads and len(quads) > 1000
    assert len({q.graph_name for q in quads}) == len(list((built.data_dir / "sources").glob("*.yaml"))) + 3
    assert not (tmp_path / "graph.trig.partial").exists()
