"""Files written whole or not at all: every file the project writes goes through here.

A reader (a browser reloading a page, a tool watching an export) never sees half a file, and a
failed write leaves nothing behind: the bytes go to a temporary file beside the target, which is
synced and renamed over it in one step, or removed on any failure.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from graph.errors import AllianceError


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[IO[bytes]]:
    """A binary stream whose content replaces ``path`` when the block ends without an error."""
    path = Path(path)
    if not path.parent.is_dir():
        raise AllianceError(f"cannot write {path}: the folder {path.parent} does not exist; create it or choose another path")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` whole or not at all."""
    with atomic_writer(path) as stream:
        stream.write(content)
    return Path(path)
