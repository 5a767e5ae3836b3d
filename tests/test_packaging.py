"""Every package the code imports is declared in pyproject.toml, and an extra is really optional:
without it, every default command still runs, and the command that needs it says which extra to
install in one line (graph/extras.py)."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from graph.config import PROJECT_ROOT, Settings
from graph.extras import EXTRAS, IMAGES, SERVE, Extra

PROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
OWN_NAME = PROJECT["name"]
GROUPS_BESIDE_EXTRAS = {"all", "test"}
EXIT_ERROR = 2


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> tuple[str, list[str]]:
    """('uvicorn', ['standard']) for 'uvicorn[standard]>=0.30'."""
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", requirement)
    assert found, f"pyproject.toml: cannot read the requirement {requirement!r}"
    return canonical(found[1]), [e.strip() for e in (found[2] or "").split(",") if e.strip()]


def declared(*groups: str) -> set[str]:
    """Distributions that the core dependencies (group '') or an extra declare, its own extras expanded."""
    names: set[str] = set()
    for group in groups:
        requirements = PROJECT["dependencies"] if group == "" else PROJECT["optional-dependencies"][group]
        for requirement in requirements:
            name, extras = requirement_name(requirement)
            if name == canonical(OWN_NAME):
                names |= declared(*extras)
            else:
                names.add(name)
    return names


def third_party_imports(*folders: str) -> dict[str, list[str]]:
    """Top-level module name -> the places that import it, for every import not of the standard
    library, of the project itself or of a test's own helper module."""
    local = {"graph"} | {p.stem for p in (PROJECT_ROOT / "tests").glob("*.py")} | {p.stem for p in (PROJECT_ROOT / "scripts").glob("*.py")}
    found: dict[str, list[str]] = {}
    for folder in folders:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, []).append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    return found


def distribution_of(module: str) -> set[str]:
    return {canonical(d) for d in importlib.metadata.packages_distributions().get(module, [])}


def undeclared(imports: dict[str, list[str]], allowed: set[str]) -> list[str]:
    missing = []
    for module, places in sorted(imports.items()):
        distributions = distribution_of(module)
        if not distributions & allowed:
            missing.append(f"{module} ({', '.join(sorted(distributions)) or 'not installed'}), imported at {places[0]}")
    return missing


def test_every_package_the_code_imports_is_declared() -> None:
    imports = third_party_imports("graph")
    assert {"jinja2", "markupsafe", "httptools"} <= set(imports)  # the walk finds what it is meant to
    assert undeclared(imports, declared("", *(e.name for e in EXTRAS))) == []


def test_every_package_the_tests_and_scripts_import_is_declared() -> None:
    assert undeclared(third_party_imports("tests", "scripts"), declared("", "test")) == []


def test_the_extras_of_the_code_are_those_of_pyproject() -> None:
    extras = set(PROJECT["optional-dependencies"]) - GROUPS_BESIDE_EXTRAS
    assert extras == {e.name for e in EXTRAS}
    for extra in EXTRAS:
        assert {d for m in extra.modules + extra.best_effort for d in distribution_of(m)} == declared(extra.name), extra.name
    assert declared("all") == declared(*extras)
    assert declared("all") <= declared("test")  # the tests run every command
    setup = (PROJECT_ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    assert '"$root[all,test]"' in setup


def test_no_package_of_an_extra_is_a_core_dependency() -> None:
    for extra in EXTRAS:
        assert not declared(extra.name) & declared(""), extra.name


def _without(extra_modules: tuple[str, ...], code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in which the given modules cannot be imported."""
    blocked = "".join(f"sys.modules[{m!r}] = None\n" for m in extra_modules)
    return subprocess.run([sys.executable, "-c", f"import sys\n{blocked}{code}", *args], capture_output=True,
                          text=True, cwd=PROJECT_ROOT, timeout=300)


EVERY_EXTRA = tuple(m for e in EXTRAS for m in e.modules)


def test_without_any_extra_every_module_but_the_server_imports() -> None:
    modules = sorted(".".join(p.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for p in (PROJECT_ROOT / "graph").rglob("*.py")
                     if "serve" not in p.relative_to(PROJECT_ROOT / "graph").parts[:1] and p.name != "__main__.py")
    assert "graph.visualise.image" in modules and "graph.cli.serve" in modules
    code = f"""
import importlib
failed = []
for name in {modules!r}:
    try:
        importlib.import_module(name)
    except ImportError as error:
        failed.append(f"{{name}}: {{error}}")
print("\\n".join(failed))
"""
    result = _without(EVERY_EXTRA, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_without_any_extra_the_default_commands_run(built: Settings, tmp_path: Path) -> None:
    store = str(built.store_path)
    code = "from graph.cli import main; main()"
    for args in (["--help"], ["serve", "--help"], ["export", "--help"], ["show", "hbis", "--format", "json"],
                 ["query", "claims", "--format", "csv"], ["network", "--limit", "3"],
                 ["export", "html", "-o", str(tmp_path / "page.html")], ["export", "graphml", "-o", str(tmp_path / "n.graphml")]):
        result = _without(EVERY_EXTRA, code, "--store", store, *args) if args != ["--help"] else _without(EVERY_EXTRA, code, *args)
        assert result.returncode == 0, (args, result.stderr)
    assert (tmp_path / "page.html").stat().st_size > 0 and (tmp_path / "n.graphml").stat().st_size > 0


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("module", SERVE.modules)
def test_serve_without_its_extra_names_the_extra(built: Settings, module: str) -> None:
    result = _without((module,), "from graph.cli import main; main()", "--store", str(built.store_path), "serve",
                      "--port", "1")  # never reached: the check comes before the server binds
    assert result.returncode == EXIT_ERROR
    line = _one_error_line(result)
    assert f"'{module}'" in line and f"'{SERVE.name}' extra of {OWN_NAME}" in line and SERVE.install in line
    assert "Serving" not in result.stderr


def test_image_export_without_its_extra_names_the_extra(built: Settings, tmp_path: Path) -> None:
    target = tmp_path / "landscape.png"
    code = f"import os; os.environ['ALLIANCES_CHROMIUM'] = {sys.executable!r}\nfrom graph.cli import main; main()"
    result = _without(IMAGES.modules, code, "--store", str(built.store_path), "export", "png", "-o", str(target))
    assert result.returncode == EXIT_ERROR
    line = _one_error_line(result)
    assert "'playwright'" in line and f"'{IMAGES.name}' extra" in line and IMAGES.install in line
    assert list(tmp_path.iterdir()) == []


def test_an_extra_says_which_command_needs_it() -> None:
    assert SERVE.needed_by == "alliances serve"
    assert IMAGES.needed_by == "alliances export png|svg"
    assert Extra("x", ("m",), "c").install == "pip install -e '.[x]' in the project folder"
