"""Which manifest ``alliances changes --since`` compares with: a kept build (by id), a date (the
newest kept build made at or before the end of that day, UTC), or a git revision.

For a git revision, a kept build made from exactly that commit (its manifest's ``git_revision``,
with no uncommitted change to data/ or ontology/) is used as it is. Otherwise the revision's
data/ and ontology/ are taken from git (``git archive``) into a temporary folder and built there,
with the code of today, into a temporary store that is removed afterwards; its manifest is the one
compared. The project's own store is never touched.
"""
from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from graph.changes.compare import Comparison, compare
from graph.changes.manifest import MANIFEST_FILE, Manifest, build_id_of, kept_manifest_paths, kept_manifests, read_manifest
from graph.config import Settings
from graph.errors import AllianceError, InvalidData
from graph.rdf.store import lease_build

DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?")


@dataclass(frozen=True)
class Baseline:
    """The manifest to compare with, and how it was found (for the output)."""

    manifest: Manifest
    how: str


def current_manifest(settings: Settings) -> Manifest:
    """The manifest of the published build."""
    lease = lease_build(settings.store_path)
    try:
        path = lease.folder / MANIFEST_FILE
        if not path.is_file():
            raise AllianceError(f"the current build ({lease.folder.name}) has no manifest: it was made before builds "
                                "wrote one; build again (alliances build)")
        return read_manifest(path)
    finally:
        lease.release()


def baseline(settings: Settings, since: str | None, current: Manifest) -> Baseline:
    """The manifest ``--since`` names (see the module); the build before the current one by default."""
    now = int(current["build"]["id"])
    paths = {build_id_of(p): p for p in kept_manifest_paths(settings.store_path)}
    paths.pop(str(now), None)
    if since is None:
        older = sorted(int(i) for i in paths if int(i) < now)
        if not older:
            raise AllianceError("--since: no build before the current one is kept; build again after a change, or give "
                                "--since with a git revision or a date")
        return Baseline(read_manifest(paths[str(older[-1])]), "the previous build")
    if since.isdigit():
        if since.lstrip("0") not in paths:
            ids = ", ".join(sorted(paths, key=int)) or "none"
            raise AllianceError(f"--since {since}: no build {since} is kept (kept builds: {ids}); give one of them, "
                                "a date or a git revision")
        return Baseline(read_manifest(paths[since.lstrip("0")]), f"kept build {since.lstrip('0')}")
    kept = kept_manifests(settings.store_path)
    if DATE.fullmatch(since):
        return _by_date(since, [m for m in kept if int(m["build"]["id"]) < now])
    return _by_git(settings, since, [m for m in kept if int(m["build"]["id"]) != now])



def _by_date(since: str, older: list[Manifest]) -> Baseline:
    try:
        moment = datetime.fromisoformat(since.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise AllianceError(f"--since {since}: not a valid date; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if len(since) == 10:  # a day: builds made during it count
        moment = moment.replace(hour=23, minute=59, second=59)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    before = [m for m in older if _created(m) <= moment]
    if not before:
        oldest = f"; the oldest kept build is from {older[0]['build']['created']}" if older else "; no earlier build is kept"
        raise AllianceError(f"--since {since}: no kept build is that old{oldest}; give a later date or a git revision")
    return Baseline(before[-1], f"the newest kept build made by {since}")


def _created(manifest: Manifest) -> datetime:
    return datetime.fromisoformat(str(manifest["build"]["created"]).replace("Z", "+00:00"))


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        raise AllianceError(f"--since: git cannot be run ({error}); install git, or give a build id or a date") from None


def _by_git(settings: Settings, since: str, kept: list[Manifest]) -> Baseline:
    top = _git(settings.data_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise AllianceError(f"--since {since}: not a build id or a date, and {settings.data_dir} is not in a git "
                            "repository; give a kept build id or a date (YYYY-MM-DD)")
    root = Path(top.stdout.decode().strip())
    resolved = _git(root, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}")
    if resolved.returncode != 0:
        raise AllianceError(f"--since {since}: not a kept build id, a date (YYYY-MM-DD) or a git revision of {root}; "
                            "check the name (git log --oneline)")
    commit = resolved.stdout.decode().strip()
    for manifest in reversed(kept):
        if manifest["build"].get("git_revision") == commit and manifest["build"].get("git_dirty") is False:
            return Baseline(manifest, f"kept build {manifest['build']['id']}, made from git {commit[:12]}")
    return Baseline(build_revision(settings, root, commit), f"git {commit[:12]}, built into a temporary store")


def build_revision(settings: Settings, root: Path, commit: str) -> Manifest:
    """Build the data/ and ontology/ of ``commit`` into a temporary store and return its manifest."""
    from graph.build.pipeline import build

    if not settings.data_dir.resolve().is_relative_to(root):
        raise AllianceError(f"--since {commit[:12]}: {settings.data_dir} is not inside the git repository {root}; "
                            "give a kept build id or a date")
    data = settings.data_dir.resolve().relative_to(root).as_posix()
    ontology_dir = settings.ontology_dir.resolve()
    in_repo = ontology_dir.is_relative_to(root)
    paths = [data] + ([ontology_dir.relative_to(root).as_posix()] if in_repo else [])
    archive = _git(root, "archive", "--format=tar", commit, "--", *paths)
    if archive.returncode != 0:
        raise AllianceError(f"--since {commit[:12]}: git has no {' or '.join(paths)} at that revision "
                            f"({archive.stderr.decode(errors='replace').strip()}); give a later revision")
    with tempfile.TemporaryDirectory(prefix="alliances-since-") as temporary:
        folder = Path(temporary)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder / "tree", filter="data")
        old = Settings(data_dir=folder / "tree" / data, store_path=folder / "store" / "store", base=settings.base,
                       ontology_dir=folder / "tree" / paths[1] if in_repo else ontology_dir,
                       label_languages=settings.label_languages)
        try:
            build(old)
        except InvalidData as error:
            raise AllianceError(f"--since {commit[:12]}: the data of that revision does not build with this version "
                                f"({error}); compare with a kept build (--since BUILD) or a date instead") from None
        manifest = read_manifest(old.store_path / MANIFEST_FILE)
    return {**manifest, "build": {**manifest["build"], "id": f"git:{commit[:12]}", "git_revision": commit, "git_dirty": False}}


def changes_since(settings: Settings, since: str | None = None, watch: Iterable[str] = ()) -> Comparison:
    """What changed from the build ``since`` names (the previous build by default) to the current
    one; with ``watch`` (organisation names in any language, or ids), only what concerns them."""
    current = current_manifest(settings)
    earlier = baseline(settings, since, current)
    return compare(earlier.manifest, current, earlier.how, watched_ids(settings, watch, [earlier.manifest, current]))


def watched_ids(settings: Settings, names: Iterable[str], manifests: list[Manifest]) -> list[str]:
    """Organisation ids for ``--watch`` names: an id either build knows, else any name the current graph resolves."""
    from graph.ask.resolve import ID_LIKE, resolve
    from graph.rdf.store import OxigraphStore

    ids, store = [], None
    for name in names:
        if ID_LIKE.fullmatch(name) and any(name in m["organisations"] for m in manifests):
            ids.append(name)
            continue
        store = store or OxigraphStore.open(settings.store_path)
        try:
            ids.append(resolve(store, name, kind="organisation", base=settings.base).id)
        except AllianceError as error:
            raise AllianceError(f"--watch {name}: {error}") from None
    return ids
