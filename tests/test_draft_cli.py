"""``alliances draft`` end to end: a record on standard output or in a file, --write only after
validation (and never over data/ otherwise), --review through the terminal, and hostile input."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from graph import api
from graph.cli import main
from graph.config import PROJECT_ROOT, Settings

DEV = Path(__file__).parent / "fixtures" / "draft-dev"
EN = DEV / "en-01-bmw-nordic-offtake.txt"


def data_fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run(runner: CliRunner, built: Settings, *args: str, input: str | bytes | None = None) -> Result:
    return runner.invoke(main, ["--store", str(built.store_path), "draft", *args], input=input)


@pytest.fixture
def private_data(tmp_path: Path, built: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command's settings over a copy of data/ (with the session's built graph), so that --write
    can be tried without touching the project's own data."""
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    settings = Settings(data_dir=tmp_path / "data", store_path=built.store_path)
    monkeypatch.setattr("graph.cli.context.Settings", lambda store_path: settings)
    return settings


@pytest.mark.parametrize("article", sorted(p for p in DEV.iterdir() if p.suffix in (".txt", ".html")), ids=lambda p: p.name)
def test_a_draft_on_standard_output_is_a_record(article: Path, runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    expected = yaml.safe_load(article.with_name(article.name.rsplit(".", 1)[0] + ".expected.yaml").read_text(encoding="utf-8"))
    result = run(runner, built, str(article), "--published", str(expected["published"]), "--url", expected["url"])
    assert result.exit_code == 0, result.output
    record = yaml.safe_load(result.stdout)
    assert record["source"]["language"] == expected["language"]
    assert record["alliances"][0]["type"] == expected["alliance"]["type"]
    path = tmp_path / "draft.yaml"
    path.write_text(result.stdout, encoding="utf-8")
    assert [p for p in api.validate(built, [path]) if p.severity.value == "violation"] == []


def test_standard_input_and_an_output_file(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    before = data_fingerprint(PROJECT_ROOT / "data")
    out = tmp_path / "draft.yaml"
    result = run(runner, built, "-", "--published", "2024-01-18", "-o", str(out), input=EN.read_bytes())
    assert result.exit_code == 0, result.output
    assert "bmw-group" in out.read_text(encoding="utf-8")
    assert data_fingerprint(PROJECT_ROOT / "data") == before


def test_relative_dates_need_the_publication_date(runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, str(EN))
    record = yaml.safe_load(result.stdout)
    assert "signing" not in record["alliances"][0] and "published" not in record["source"]
    result = run(runner, built, str(EN), "--published", "2024-01-18")
    record = yaml.load(result.stdout, Loader=yaml.BaseLoader)  # every scalar a string, as records are read
    assert record["alliances"][0]["signing"] == {"date": "2024-01-16", "basis": '"on Tuesday" in an article dated 2024-01-18'}


def test_write_adds_a_valid_draft_to_data(runner: CliRunner, private_data: Settings) -> None:
    result = runner.invoke(main, ["draft", str(EN), "--published", "2024-01-18", "--url", "https://example.org/a", "--write"])
    assert result.exit_code == 0, result.output
    written = sorted((private_data.data_dir / "sources").glob("2024-01-18-bmw-group-*.yaml"))
    assert len(written) == 1
    assert [p for p in api.validate(private_data, written) if p.severity.value == "violation"] == []
    again = runner.invoke(main, ["draft", str(EN), "--published", "2024-01-18", "--url", "https://example.org/a", "--write"])
    assert again.exit_code == 2 and "exists already" in again.output


def test_write_refuses_an_invalid_draft_and_leaves_data_untouched(runner: CliRunner, private_data: Settings) -> None:
    before = data_fingerprint(private_data.data_dir)
    project_before = data_fingerprint(PROJECT_ROOT / "data")
    # --review: edit the first field (the agreement's type) to a type the taxonomy lacks, accept the rest
    answers = "e\nno-such-type\n" + "a\n" * 40
    result = runner.invoke(main, ["draft", str(EN), "--published", "2024-01-18", "--review", "--write"], input=answers)
    assert result.exit_code == 1, result.output
    assert "nothing was written to data/" in result.output and "no-such-type" in result.output
    assert data_fingerprint(private_data.data_dir) == before
    assert data_fingerprint(PROJECT_ROOT / "data") == project_before


def test_review_accepts_edits_and_drops(runner: CliRunner, built: Settings) -> None:
    # the type and binding: drop; party 1: accept; party 2: drop; everything else: drop
    result = run(runner, built, str(EN), "--published", "2024-01-18", "--review", input="d\nd\na\nd\n" + "d\n" * 40)
    assert result.exit_code == 0, result.output
    text = result.stdout
    record = yaml.safe_load(text[text.index("# Draft"):])
    assert record["alliances"][0]["parties"] == [{"organisation": "bmw-group", "role": "buyer"}]
    assert "claims" not in record and "type" not in record["alliances"][0]


@pytest.mark.parametrize(("args", "message"), [
    (["--published", "2024-13-40"], "--published"),
    (["--url", "not a url"], "--url"),
])
def test_bad_options_exit_2(args: list[str], message: str, runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, str(EN), *args)
    assert result.exit_code == 2 and message in result.output


def test_without_a_built_graph_the_command_says_what_to_do(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["--store", str(tmp_path / "none"), "draft", str(EN)])
    assert result.exit_code == 2 and "build" in result.output


# ------------------------------------------------------------------ hostile input

def test_a_huge_file_is_refused_without_reading_it_all(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.write(b"BMW signs. " * 1_000_000)
    result = run(runner, built, str(big))
    assert result.exit_code == 2 and "more than an article" in result.output


def test_control_characters_never_reach_the_record(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    article = tmp_path / "evil.txt"
    article.write_bytes("BMW Group\x1b]0;owned\x07 signs offtake\x00 agreement with Nordic\u202e Green Metals.\n".encode())
    result = run(runner, built, str(article), "--language", "en")
    assert result.exit_code == 0, result.output
    for char in ("\x1b", "\x07", "\x00", "\u202e"):
        assert char not in result.stdout
    path = tmp_path / "evil.yaml"
    path.write_text(result.stdout, encoding="utf-8")
    assert [p for p in api.validate(built, [path]) if p.severity.value == "violation"] == []


def test_scripts_in_a_page_are_not_read(runner: CliRunner, built: Settings) -> None:
    result = run(runner, built, str(DEV / "en-02-stegra-volvo-mou.html"), "--published", "2023-03-16")
    assert result.exit_code == 0
    record = yaml.safe_load(result.stdout)
    parties = {p["organisation"] for p in record["alliances"][0]["parties"]}
    assert parties == {"volvo-cars", "stegra", "hydro"}  # the page's script names Thyssenkrupp and BMW
    assert "thyssenkrupp" not in result.stdout.lower() and "1000000000" not in result.stdout


def test_binary_garbage_is_an_error_not_a_traceback(runner: CliRunner, built: Settings, tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    result = run(runner, built, str(junk))
    assert result.exit_code == 2 and "Traceback" not in result.output
