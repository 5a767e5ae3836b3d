"""Every failure of the command line ends in one line and a documented exit code (graph.cli.errors),
never a traceback; and the commands that only ask the graph start without the heavy libraries."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from graph.ask.query import NamedQuery, Parameter, bind
from graph.cli import main
from graph.config import PROJECT_ROOT, Settings
from graph.errors import AllianceError
from graph.rdf.store import OxigraphStore

EXIT_ERROR = 2


def run(runner: CliRunner, settings: Settings, *args: str) -> Result:
    return runner.invoke(main, ["--store", str(settings.store_path), *args])


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and "Traceback" not in output
    return lines[0]


def test_export_into_a_missing_folder_is_one_line_and_leaves_nothing(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "graph.ttl"
    result = run(runner, built, "export", "turtle", "-o", str(target))
    assert result.exit_code == EXIT_ERROR
    line = one_error_line(result.output)
    assert str(target.parent) in line and "does not exist" in line
    assert not target.parent.exists() and list(tmp_path.iterdir()) == []


def test_a_network_export_into_a_missing_folder_is_one_line(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "net.graphml"
    result = run(runner, built, "export", "graphml", "-o", str(target))
    assert result.exit_code == EXIT_ERROR
    assert "does not exist" in one_error_line(result.output)
    assert list(tmp_path.iterdir()) == []


def test_an_export_that_fails_midway_leaves_the_previous_file(runner: CliRunner, built: Settings, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "graph.ttl"
    target.write_text("previous")

    def broken(self: OxigraphStore, output: object, format: object) -> None:
        raise OSError(28, "No space left on device", str(target))
    monkeypatch.setattr(OxigraphStore, "export", broken)
    result = run(runner, built, "export", "turtle", "-o", str(target))
    assert result.exit_code == EXIT_ERROR
    line = one_error_line(result.output)
    assert "No space left on device" in line and "disk is full" in line and "another 'alliances build'" not in line
    assert target.read_text() == "previous" and [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


def test_a_bad_iri_base_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ALLIANCES_BASE": "not an iri", "ALLIANCES_STORE": str(tmp_path / "store")}
    result = subprocess.run([sys.executable, "-m", "graph", "query", "--list"], capture_output=True, text=True,
                            env=env, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == EXIT_ERROR
    line = one_error_line(result.stderr)
    assert "ALLIANCES_BASE" in line and "'not an iri'" in line


def test_a_repeated_param_is_an_error(runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, "query", "partners-of", "--param", "org=BMW", "--param", "org=HBIS")
    assert result.exit_code == EXIT_ERROR
    assert "--param org is given more than once" in one_error_line(result.output)


def test_a_date_parameter_binds_an_xsd_date(store: OxigraphStore) -> None:
    query = NamedQuery("since", "Alliances since a date?", (Parameter("since", "date", None, "a date"),),
                       "SELECT ?since WHERE {}", Path("since.rq"))
    bound = bind(store, query, {"since": "2024-08-29"})["since"]
    assert isinstance(bound, ox.Literal)
    assert bound.datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#date") and bound.value == "2024-08-29"
    with pytest.raises(AllianceError, match="YYYY-MM-DD"):
        bind(store, query, {"since": "29 August 2024"})


@pytest.mark.parametrize("command", [["query", "claims"], ["show", "河钢"], ["search", "宝"], ["supplier", "SSAB"],
                                     ["suppliers", "--material", "green-steel", "--region", "EU"]])
def test_asking_commands_load_neither_pyshacl_nor_networkx(built: Settings, command: list[str]) -> None:
    """The command line imports per command what it needs: a query, a profile or a scorecard pays
    neither for validation (pySHACL, rdflib's graph machinery) nor for network analysis (networkx,
    igraph), the server or the browser (which only a scorecard's --format png loads)."""
    code = ("import sys\nfrom graph.cli import main\n"
            f"try:\n    main({['--store', str(built.store_path), *command]!r})\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pyshacl', 'networkx', 'igraph', 'pyvis', 'starlette', 'playwright'})\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert "HEAVY []" in result.stderr, result.stderr[-2000:]
