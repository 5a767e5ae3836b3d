"""The command line's one error mapping: what a command raises becomes one line on standard error
and a documented exit code, never a traceback.

Exit codes: 0 success; 1 the data is invalid (``build``, ``validate``; the previous graph is
kept); 2 an error to fix in the command or its environment (a bad option or parameter, an
unknown or ambiguous name, SPARQL syntax, no built graph, a path that cannot be written).
"""
from __future__ import annotations

import errno
import os
import sys
from typing import Any, NoReturn

import click

from graph.errors import AllianceError, InvalidData
from graph.problems import Problem, Severity
from graph.safe_output import terminal_safe

EXIT_INVALID = 1
EXIT_ERROR = 2

_OS_HINTS = {
    errno.ENOENT: "check that the path exists",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EACCES: "you have no permission there: choose another path or change its permissions",
    errno.EPERM: "you have no permission there: choose another path or change its permissions",
    errno.ENOSPC: "the disk is full: free some space",
    errno.EROFS: "the file system is read-only: choose another path",
    errno.EISDIR: "that is a folder: give a file name",
    errno.EADDRINUSE: "another program uses the address: choose another port",
}


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.secho(f"error: {terminal_safe(message)}", fg="red", err=True)
    sys.exit(code)


def print_problems(problems: list[Problem], show_info: bool, err: bool = True) -> None:
    for problem in problems:
        if problem.severity is Severity.INFO and not show_info:
            continue
        colour = {"violation": "red", "warning": "yellow", "info": None}[problem.severity.value]
        click.secho(terminal_safe(str(problem)), fg=colour, err=err)


def describe_os_error(error: OSError) -> str:
    """An OSError as one sentence that names the path and says what to do."""
    where = f" {error.filename}" if error.filename else ""
    what = error.strerror or str(error)
    hint = _OS_HINTS.get(error.errno or 0, "check the path and try again")
    return f"cannot use{where}: {what}; {hint}"


class AlliancesGroup(click.Group):
    """A click group whose commands' errors all pass through the mapping above."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidData as error:
            print_problems(error.problems, show_info=False)
            fail(str(error), EXIT_INVALID)
        except AllianceError as error:
            fail(str(error))
        except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): nothing to say
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except OSError as error:
            fail(describe_os_error(error))
