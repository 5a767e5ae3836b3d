"""A large cold build's landscapes, read by a second Python process while the build finishes.

After the stored merge a cold build writes nothing more to its store, and what is left is Python
on one core: the statement hashes, the manifest and the counts (graph.build.pipeline), and the
landscapes kept for the first network command (graph.build.landscape_kept), 18 s of CPU of their
own at 1.5 million triples. The GIL keeps two threads from sharing that work, so the landscapes
are read by another process, on the other core.

- It reads a checkpoint of the complete store (pyoxigraph's ``Store.backup``: RocksDB links the
  store's files, in milliseconds, no copy), opened read-only: opening the build's own folder
  read-only while the build compacts it would be undefined (pyoxigraph's docs). The checkpoint is
  a folder inside the build folder, so that a build that dies leaves it where its folder is pruned.
- It is started as ``python -m`` this module, importing the same ``graph`` package: not with
  multiprocessing, whose fork would copy a process whose RocksDB threads are running, and whose
  spawn imports the caller's main module again.
- It writes each landscape's payload (graph.network.landscape_cache.encode) to a file, which the
  build reads back as bytes. If it fails, the build reads the landscapes itself and says why; a
  build that fails or stops first stops it and removes the checkpoint.
- Below ``APART_FROM`` triples starting a second Python (0.5-1 s of imports) costs more than it saves.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from graph.network.landscape import Part
from graph.rdf.store import OxigraphStore

APART_FROM = 100_000  # triples
FOLDER = "landscape-checkpoint"  # in the build folder, gone before the store closes
PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder that holds ``graph``
ERROR_TAIL = 2_000  # characters of the process's error output that a failure reports


class ApartFailed(Exception):
    """The second process ended without every payload (the message says how)."""


class ReadApart:
    """The landscapes ``wanted`` (in their order) of ``store``, being read in a second process."""

    def __init__(self, store: OxigraphStore, build_path: Path, wanted: tuple[frozenset[Part], ...]) -> None:
        self.folder = build_path / FOLDER
        self.wanted = wanted
        self.process: subprocess.Popen[bytes] | None = None
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            self.folder.mkdir()
            store.checkpoint(self.folder / "store")
            path = os.environ.get("PYTHONPATH")
            environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE_ROOT), *([path] if path else [])])}
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(self.folder), str(int(store.union)), *(_name(parts) for parts in wanted)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)
        except OSError as error:  # no room for the checkpoint, no Python to start: the build reads itself
            self.stop()
            raise ApartFailed(f"it could not start: {error}") from error
        self.pid = self.process.pid

    def payloads(self) -> dict[frozenset[Part], bytes]:
        """What the process wrote, once it has ended; ApartFailed if it failed."""
        try:
            assert self.process is not None, "payloads are taken once"
            _, errors = self.process.communicate()
            if self.process.returncode != 0:
                tail = errors.decode("utf-8", "replace")[-ERROR_TAIL:].strip()
                raise ApartFailed(f"exit code {self.process.returncode}: {tail or 'no message'}")
            try:
                return {parts: (self.folder / _name(parts)).read_bytes() for parts in self.wanted}
            except OSError as error:
                raise ApartFailed(f"a landscape was not written: {error}") from error
        finally:
            self.stop()

    def stop(self) -> None:
        """End the process if it still runs and remove the checkpoint (a build that fails first)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            if self.process.stderr is not None:
                self.process.stderr.close()
            self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _name(parts: frozenset[Part]) -> str:
    return "-".join(sorted(parts)) or "base"


def _parts(name: str) -> frozenset[Part]:
    return frozenset(cast(Part, part) for part in name.split("-") if part != "base")


def main(folder: Path, union: bool, names: list[str]) -> None:
    from graph.build.landscape_kept import read_whole  # the one reading, as the build makes it in its own process
    from graph.rdf.files import write_atomic

    store = OxigraphStore(ox.Store.read_only(str(folder / "store")), read_only=True, union=union)
    for parts, payload in read_whole(store, tuple(_parts(name) for name in names)).items():
        write_atomic(folder / _name(parts), payload)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:])
