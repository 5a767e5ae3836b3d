"""Nothing in the project reads outside the repository, so that a fresh clone runs anywhere.

Every file git knows (tracked, or new and not ignored; without git, every file under the
project but caches, virtual environments and installed packages) is searched for a path that
leads outside it:

- an absolute path under a top folder that belongs to one machine or one user: work, root,
  home, Users, tmp, var/tmp, mnt, media, srv, scratch, private (a ``file://`` URL too), a
  home-relative path (tilde slash) or a Windows user folder. System locations of programs,
  such as Debian's Chromium in usr/bin, are not machine paths: a default executable is looked
  up, never read as data. Paths inside URLs (``https://host/home/...``) and inside longer
  paths are not absolute, so they are left alone.
- a relative path into a sibling ``shared`` folder (dot-dot slash shared), where this
  project's working notes live on the machine it was written on;
- a relative path that, read from the folder of the file it is in, climbs above the project
  root (a Markdown link such as ``../README.md`` from docs/ stays inside and is fine).
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.config import PROJECT_ROOT

MACHINE_ROOTS = ("work", "root", "home", "Users", "tmp", "var/tmp", "mnt", "media", "srv", "scratch", "private")
# An absolute path starts a token: it follows neither a host name, a word, nor another path
# (nor a shell or f-string substitution such as "$(pwd)" or "{root}").
_NOT_IN_A_TOKEN = r"(?<![\w.~/:%})\]-])"
ABSOLUTE = re.compile(rf"(?:file://|{_NOT_IN_A_TOKEN})/(?:{'|'.join(map(re.escape, MACHINE_ROOTS))})/")
HOME_RELATIVE = re.compile(r"(?<![\w.~/-])~[/]")
WINDOWS_USER = re.compile(r"\b[A-Za-z]:[\\/]+(?:Users|Documents and Settings)[\\/]", re.IGNORECASE)
SHARED = re.compile(r"\.\./+shared\b")
CLIMB = re.compile(r"(?<![\w./-])((?:\.\./+)+)")
SKIPPED_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".alliances", ".pytest_cache", ".mypy_cache"}
SKIPPED_AT_TOP = {"build", "dist"}  # packaging output (.gitignore: /build/, /dist/); graph/build/ is code


def project_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The files of the project, relative to ``root``: what git tracks or would add, else a walk."""
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):  # no git, or not a checkout (an unpacked archive)
        return sorted(path.relative_to(root) for path in _walk(root))
    return sorted({Path(name) for name in listed.decode("utf-8").split("\0") if name and (root / name).is_file()})


def _walk(folder: Path, top: bool = True) -> Iterator[Path]:
    for path in folder.iterdir():
        if path.name in SKIPPED_FOLDERS or (top and path.name in SKIPPED_AT_TOP):  # .git is a file in a git worktree
            continue
        if path.is_dir() and not path.is_symlink():
            if not path.name.endswith((".egg-info", ".builds")):
                yield from _walk(path, top=False)
        elif path.is_file():
            yield path


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def outside_references(relative: Path, text: str) -> Iterator[tuple[int, str]]:
    """(line number, what was found) for each reference in ``text`` that leads outside the project."""
    depth = len(relative.parent.parts)
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern in (ABSOLUTE, HOME_RELATIVE, WINDOWS_USER, SHARED):
            for match in pattern.finditer(line):
                yield number, line[match.start():match.start() + 60]
        for match in CLIMB.finditer(line):
            if match.group(1).count("..") > depth:
                yield number, line[match.start():match.start() + 60]


def test_no_file_refers_to_a_path_outside_the_project() -> None:
    files = project_files()
    assert Path("graph/config.py") in files and Path("tests/test_self_contained.py") in files, "the project's files were not found"
    found = [f"{relative}:{number}: {found}" for relative in files if (text := _text(PROJECT_ROOT / relative)) is not None
             for number, found in outside_references(relative, text)]
    assert not found, ("these lines refer to paths outside the project; put what they need under tests/ or data/ and "
                       "read it relative to the project:\n" + "\n".join(found))


# Written with placeholders, so that this file does not hold what it looks for.
PLACES = {"root": "/", "up": ".." + "/", "home": "~" + "/", "bs": "\\"}


@pytest.mark.parametrize(("relative", "line"), [
    ("tests/x.py", 'W3C = Path("{root}work/shared/w3c-sparql11")'),
    ("x.py", "store = '{root}home/someone/store'"),
    ("x.py", "tmp = '{root}tmp/s'"),
    ("x.py", 'uri = "file://{root}root/data.ttl"'),
    ("docs/x.md", "python bench.py --store {root}var/tmp/s"),
    ("docs/x.md", "--store={root}Users/me/s"),
    ("x.py", "data = '{home}data/records'"),
    ("x.py", "data = 'C:{bs}Users{bs}me{bs}data'"),
    ("tests/x.py", "see {up}shared/w3c-sparql11/protocol/manifest.ttl"),
    ("tests/x.py", "Path(__file__).parent / '{up}{up}corpus'"),
    ("x.py", "open('{up}data.csv')"),
])
def test_the_guard_finds(relative: str, line: str) -> None:
    line = line.format(**PLACES)
    assert list(outside_references(Path(relative), line)), line


@pytest.mark.parametrize(("relative", "line"), [
    ("graph/visualise/image.py", 'for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):'),
    ("scripts/run", "#!/usr/bin/env bash"),
    ("data/sources/x.yaml", "url: https://www.example.com/home/tmp/news.html"),
    ("tests/x.py", 'client.get("/assets/../entity.html.j2")'),
    ("tests/x.py", 'client.get("/id/organisation/hbis")'),
    ("docs/x.md", "[the README](../README.md)"),
    ("tests/x.py", 'FIXTURES / "records/tmp/x"'),
    ("scripts/x", 'out="$(pwd)/tmp/x"'),
    ("x.py", 'f"{root}/home/page"'),
])
def test_the_guard_leaves_alone(relative: str, line: str) -> None:
    assert not list(outside_references(Path(relative), line)), line


def test_without_git_the_project_is_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unpacked archive has no git: the walk finds the same project files, and no installed ones."""
    tracked = set(project_files())

    def no_git(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", no_git)
    walked = set(project_files())
    assert tracked <= walked
    assert not [path for path in walked if path.parts[0] in SKIPPED_FOLDERS or "__pycache__" in path.parts]
