"""What changed between builds: the manifest each build writes, ``alliances changes`` (--since a
build, a date or a git revision; --watch), its Atom form, the served feeds and the entity
history. Every test builds real data (the seed corpus plus two small records) into its own store.
"""
from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]  # feedparser publishes no type information
import jsonschema
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from graph.build.pipeline import build
from graph.changes.builds import changes_since
from graph.changes.manifest import MANIFEST_FILE, manifests_dir
from graph.cli import main
from graph.config import PROJECT_ROOT, Settings
from graph.errors import AllianceError, InvalidData
from graph.rdf.store import OxigraphStore, builds_dir
from graph.serve.context import ServeSettings
from graph.serve.explorer import explorer_routes

from conftest import FIXTURES, XSS_IMG, explorer_context, seed_corpus

with warnings.catch_warnings():  # starlette asks for httpx2; the project's test extra installs httpx
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

DEAL = "example-recycling-deal"  # in the changed record
PILOT = "example-hbis-recycling-pilot"  # in the added record
CHANGED, ADDED = "data/sources/minimal-new-deal.yaml", "data/sources/zz-example-hbis-pilot.yaml"
CLAIM = """
claims:
  - id: example-recycling-deal-volume
    value: "{value}"
    unit: tonne / year
    measure: {{en: recycled aluminium to be supplied}}
    about: [alliance:example-recycling-deal]
    quote: "{value} tonnes a year"
"""
PILOT_RECORD = f"""
source:
  title: Example news item about a recycling pilot
  url: https://example.org/news/recycling-pilot
  publisher: Example News
  published: 2025-04
  language: en
  kind: news-article

alliances:
  - id: {PILOT}
    type: joint-pilot
    title: {{en: "Example HBIS recycling pilot {XSS_IMG}"}}
    parties:
      - {{organisation: hbis, role: participant}}
      - {{organisation: example-unnamed-recycler, role: recycler}}
    quote: "a pilot with the recycler"
"""


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PROJECT_ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    return loaded


def write_edition(data_dir: Path, volume: str, with_pilot: bool) -> None:
    """The changed record (the deal with a claim of ``volume``) and, if asked, the added one."""
    deal = (FIXTURES / "records" / "valid" / "minimal-new-deal.yaml").read_text(encoding="utf-8")
    (data_dir / "sources" / "minimal-new-deal.yaml").write_text(deal + CLAIM.format(value=volume), encoding="utf-8")
    pilot = data_dir / "sources" / "zz-example-hbis-pilot.yaml"
    if with_pilot:
        pilot.write_text(PILOT_RECORD, encoding="utf-8")
    else:
        pilot.unlink(missing_ok=True)


def project(root: Path) -> Settings:
    (root / "data" / "sources").mkdir(parents=True)
    for path in seed_corpus():
        shutil.copy(path, root / "data" / "sources" / path.name)
    return Settings(data_dir=root / "data", store_path=root / "store" / "store")


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Build 1: the seed corpus and the deal with 40000 t/a. Build 2: the deal corrected to 45000 t/a,
    and a new record with a new alliance of HBIS."""
    settings = project(tmp_path_factory.mktemp("changes"))
    write_edition(settings.data_dir, "40000", with_pilot=False)
    build(settings)
    write_edition(settings.data_dir, "45000", with_pilot=True)
    build(settings)
    return settings


def changes_json(runner: CliRunner, settings: Settings, *args: str) -> dict[str, Any]:
    result = runner.invoke(main, ["--store", str(settings.store_path), "changes", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    jsonschema.validate(data, schema("changes"))
    return data


def listed(data: dict[str, Any]) -> set[tuple[str, str, str | None, str | None, tuple[str, ...]]]:
    return {(c["kind"], c["entity"]["id"], c["before"], c["after"], tuple(s["file"] for s in c["sources"]))
            for c in data["changes"]}


# ------------------------------------------------------------------ the manifest

def test_each_build_writes_a_manifest_before_it_is_published(two_builds: Settings) -> None:
    current = two_builds.store_path.resolve()
    manifest = json.loads((current / MANIFEST_FILE).read_text(encoding="utf-8"))
    jsonschema.validate(manifest, schema("manifest"))
    assert manifest["build"]["id"] == current.name == "2"
    deal = manifest["alliances"][DEAL]
    assert deal["parties"] == ["bmw-group", "example-unnamed-recycler"]
    assert [(c["id"], c["value"], c["unit"], c["source"]) for c in deal["claims"]] == [
        ("example-recycling-deal-volume", "45000", "tonne / year", "minimal-new-deal")]
    assert PILOT in manifest["organisations"]["hbis"]["partners"]["example-unnamed-recycler"]
    assert manifest["sources"]["zz-example-hbis-pilot"]["file"] == ADDED
    archived = manifests_dir(two_builds.store_path)
    assert sorted(p.name for p in archived.iterdir()) == ["1.json", "2.json"]  # outlive their folders


def test_a_failed_build_writes_no_manifest(tmp_path: Path) -> None:
    settings = project(tmp_path)
    write_edition(settings.data_dir, "40000", with_pilot=False)
    build(settings)
    (settings.data_dir / "sources" / "zz-broken.yaml").write_text(PILOT_RECORD.replace("hbis", "no-such-organisation"),
                                                                  encoding="utf-8")
    with pytest.raises(InvalidData):
        build(settings)
    assert [p.name for p in builds_dir(settings.store_path).iterdir()] == ["1"]
    assert [p.name for p in manifests_dir(settings.store_path).iterdir()] == ["1.json"]


# ------------------------------------------------------------------ alliances changes

def test_changes_between_two_builds_list_exactly_the_added_and_the_changed_record(runner: CliRunner, two_builds: Settings) -> None:
    data = changes_json(runner, two_builds)
    assert (data["since"]["id"], data["until"]["id"], data["since"]["how"]) == ("1", "2", "the previous build")
    assert listed(data) == {("new-alliance", PILOT, None, None, (ADDED,)),
                            ("corrected-claim", DEAL, "40000 tonne / year", "45000 tonne / year", (CHANGED,))}
    text = runner.invoke(main, ["--store", str(two_builds.store_path), "changes"])
    assert text.exit_code == 0
    assert "new alliance: Example HBIS recycling pilot" in text.output and f"    source: {ADDED}" in text.output
    assert "corrected claim: Example recycling supply agreement" in text.output and "40000 tonne / year -> 45000 tonne / year" in text.output


def test_watch_keeps_what_concerns_an_organisation_and_its_new_partners(runner: CliRunner, two_builds: Settings) -> None:
    for name in ("hbis", "HBIS Group", "河钢集团"):
        data = changes_json(runner, two_builds, "--watch", name)
        assert data["watch"] == ["hbis"]
        assert {(c["kind"], c["entity"]["id"]) for c in data["changes"]} == {("new-alliance", PILOT), ("new-partner", "hbis")}
        [partner] = [c for c in data["changes"] if c["kind"] == "new-partner"]
        assert "example-unnamed-recycler" in partner["about"] and [s["file"] for s in partner["sources"]] == [ADDED]
    bmw = changes_json(runner, two_builds, "--watch", "bmw-group")
    assert {(c["kind"], c["entity"]["id"]) for c in bmw["changes"]} == {("corrected-claim", DEAL)}
    unknown = runner.invoke(main, ["--store", str(two_builds.store_path), "changes", "--watch", "nobody-at-all"])
    assert unknown.exit_code == 2 and "--watch nobody-at-all" in unknown.output


def test_since_a_kept_build_or_a_date(runner: CliRunner, two_builds: Settings) -> None:
    default = changes_json(runner, two_builds)
    assert listed(changes_json(runner, two_builds, "--since", "1")) == listed(default)
    today = datetime.now(timezone.utc).date().isoformat()
    by_date = changes_json(runner, two_builds, "--since", today)
    assert by_date["since"]["id"] == "1" and listed(by_date) == listed(default)
    for since, words in (("7", "kept builds: 1"), ("2000-01-01", "no kept build is that old")):
        result = runner.invoke(main, ["--store", str(two_builds.store_path), "changes", "--since", since])
        assert result.exit_code == 2 and f"--since {since}" in result.output and words in result.output


def test_with_one_build_there_is_nothing_to_compare_with(runner: CliRunner, tmp_path: Path) -> None:
    settings = project(tmp_path)
    write_edition(settings.data_dir, "40000", with_pilot=False)
    build(settings)
    result = runner.invoke(main, ["--store", str(settings.store_path), "changes"])
    assert result.exit_code == 2 and "--since" in result.output and "no build before the current one" in result.output
    with served(settings) as client:
        feed = parse_feed(client.get("/changes.atom").content)  # valid, empty, and says why
        assert feed.entries == [] and "no earlier build is kept" in feed.feed.subtitle
        (settings.store_path.resolve() / MANIFEST_FILE).unlink()  # a build made before builds wrote manifests
        for path in ("/changes.atom", "/id/organisation/hbis/changes.atom"):
            response = client.get(path)
            assert response.status_code == 503 and "alliances build" in response.text and str(tmp_path) not in response.text
        assert client.get("/id/organisation/hbis").status_code == 200  # the page, without a history


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org",
                           "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed: apt-get install git")
def test_since_a_git_revision(tmp_path: Path) -> None:
    settings = project(tmp_path / "repo")
    write_edition(settings.data_dir, "40000", with_pilot=False)
    git(tmp_path / "repo", "init", "-q")
    git(tmp_path / "repo", "add", "data")
    git(tmp_path / "repo", "commit", "-q", "-m", "first")
    first = git(tmp_path / "repo", "rev-parse", "HEAD")
    write_edition(settings.data_dir, "45000", with_pilot=True)
    build(settings)  # the only build: HEAD's data was never built, so it is built into a temporary store
    built = changes_since(settings, "HEAD")
    assert built.how == f"git {first[:12]}, built into a temporary store"
    assert {(c.kind, c.entity) for c in built.changes} == {("new-alliance", PILOT), ("corrected-claim", DEAL)}
    assert list(builds_dir(settings.store_path).iterdir()) and settings.store_path.resolve().name == "1"  # store untouched
    git(tmp_path / "repo", "add", "data")
    git(tmp_path / "repo", "commit", "-q", "-m", "second")
    build(settings)  # build 2, of the committed revision: the same data as build 1 hashes the same
    assert changes_since(settings).changes == []
    write_edition(settings.data_dir, "50000", with_pilot=True)
    build(settings)  # build 3, not committed: --since HEAD reads build 2's manifest
    kept = changes_since(settings, "HEAD")
    assert kept.how.startswith("kept build 2, made from git")
    assert [(c.kind, c.before, c.after) for c in kept.changes] == [("corrected-claim", "45000 tonne / year", "50000 tonne / year")]
    with pytest.raises(AllianceError, match="--since no-such-rev"):
        changes_since(settings, "no-such-rev")


# ------------------------------------------------------------------ Atom

def parse_feed(body: bytes) -> Any:
    assert b"<img" not in body  # text from the data is escaped
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id.startswith("urn:alliance-graph:changes:") and feed.feed.title and feed.feed.updated
    for entry in feed.entries:
        assert entry.id.startswith("urn:alliance-graph:change:") and entry.title and entry.updated
        assert entry.link.startswith("/id/")
    return feed


def test_the_atom_form_parses_with_its_required_elements(runner: CliRunner, two_builds: Settings) -> None:
    result = runner.invoke(main, ["--store", str(two_builds.store_path), "changes", "--format", "atom"])
    assert result.exit_code == 0
    feed = parse_feed(result.output.encode("utf-8"))
    assert {e.link for e in feed.entries} == {f"/id/alliance/{PILOT}", f"/id/alliance/{DEAL}"}
    assert any(XSS_IMG in e.title for e in feed.entries)  # shown as text
    again = runner.invoke(main, ["--store", str(two_builds.store_path), "changes", "--format", "atom"])
    assert [e.id for e in parse_feed(again.output.encode()).entries] == [e.id for e in feed.entries]  # stable ids


@contextlib.contextmanager
def served(settings: Settings) -> Iterator[TestClient]:
    """The explorer's routes over the published build of ``settings``, through the test client."""
    store = OxigraphStore.open(settings.store_path)
    context = explorer_context(ServeSettings(store_path=settings.store_path, base=settings.base), store)
    with TestClient(Starlette(routes=explorer_routes(context))) as test_client:
        yield test_client
    store.close()


@pytest.fixture(scope="module")
def client(two_builds: Settings) -> Iterator[TestClient]:
    with served(two_builds) as test_client:
        yield test_client


def test_serve_publishes_the_feeds(client: TestClient) -> None:
    everything = client.get("/changes.atom")
    assert everything.status_code == 200 and everything.headers["content-type"].startswith("application/atom+xml")
    assert len(parse_feed(everything.content).entries) == 2
    hbis = client.get("/id/organisation/hbis/changes.atom")
    assert hbis.status_code == 200
    feed = parse_feed(hbis.content)
    assert feed.feed.id == "urn:alliance-graph:changes:organisation:hbis"
    assert {e.tags[0].term for e in feed.entries} == {"new-alliance", "new-partner"}
    for path in ("/id/organisation/no-such-org/changes.atom", "/id/organisation/%3Cscript%3E/changes.atom"):
        missing = client.get(path)
        assert missing.status_code == 404 and "<script" not in missing.text


def test_entity_pages_link_their_feed_and_show_their_history(client: TestClient) -> None:
    page = client.get("/id/organisation/hbis").text
    assert '<link rel="alternate" type="application/atom+xml" href="/id/organisation/hbis/changes.atom"' in page
    assert 'type="application/atom+xml" href="/changes.atom"' in client.get("/").text
    pilot = client.get(f"/id/alliance/{PILOT}").text
    assert "History" in pilot and "zz-example-hbis-pilot.yaml</a></td>\n            <td>in build 2" in pilot
    deal = client.get(f"/id/alliance/{DEAL}").text
    assert "minimal-new-deal.yaml</a></td>\n            <td>by build 1" in deal and "<td>build 2 (" in deal
