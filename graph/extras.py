"""The optional parts of the package: each extra of pyproject.toml, the modules it brings and the
command that needs it.

Everything a default command imports is a plain dependency. The SPARQL server (starlette,
uvicorn) and the image export (playwright) are imported only by the command that uses them, so
they are extras; such a command, run without its extra, stops with one sentence that names the
extra to install (``MissingExtra``, exit 2) instead of an ImportError traceback. The README's
command reference reads the same table (graph/cli/reference.py), and tests/test_packaging.py
keeps it equal to pyproject.toml.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from graph.errors import AllianceError

DISTRIBUTION = "alliance-graph"


@dataclass(frozen=True)
class Extra:
    """An extra of pyproject.toml: ``modules`` are the top-level names the code imports from it."""

    name: str
    modules: tuple[str, ...]
    command: str
    formats: tuple[str, ...] = ()  # only these formats of the command need it (empty: all of it)
    best_effort: tuple[str, ...] = ()  # installed with the extra where the platform has them; not required

    @property
    def needed_by(self) -> str:
        return f"alliances {self.command}" + (f" {'|'.join(self.formats)}" if self.formats else "")

    @property
    def install(self) -> str:
        """How to install it from the project folder (the package is not on a registry)."""
        return f"pip install -e '.[{self.name}]' in the project folder"


IMAGES = Extra("images", ("playwright",), "export", ("png", "svg"))
SERVE = Extra("serve", ("starlette", "uvicorn", "httptools"), "serve", best_effort=("pyseccomp",))  # Linux: graph/serve/sandbox.py
EXTRAS = (IMAGES, SERVE)


class MissingExtra(AllianceError):
    """A command needs a package of an extra that is not installed. Exit code 2."""

    def __init__(self, extra: Extra, module: str) -> None:
        self.extra, self.module = extra, module
        super().__init__(f"{extra.needed_by} needs the Python package '{module}', which the '{extra.name}' extra of "
                         f"{DISTRIBUTION} installs: {extra.install} (scripts/setup installs every extra)")


@contextmanager
def needs(extra: Extra) -> Iterator[None]:
    """Turn an ImportError of one of the extra's modules, inside the block, into MissingExtra."""
    try:
        yield
    except ImportError as error:
        module = (error.name or "").split(".")[0]
        if module not in extra.modules:
            raise
        raise MissingExtra(extra, module) from error


def require(extra: Extra) -> None:
    """Import every module of the extra now, so that a command stops before it starts its work."""
    with needs(extra):
        for module in extra.modules:
            importlib.import_module(module)
