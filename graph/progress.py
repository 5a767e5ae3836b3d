"""What a long build or export is doing, on a terminal; nothing when the output is not one (a pipe, a log).

A few lines of our own: tqdm or rich would be a dependency for one counter. Problems that will
fail the build are printed as soon as they are found, so that a mistake in one file is seen
before minutes of work on the others.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

from graph.problems import Problem, Severity
from graph.safe_output import terminal_safe

EVERY_S = 0.25


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled if enabled is not None else self.stream.isatty()
        self._last = 0.0
        self._line = ""
        self._started = time.perf_counter()

    def stage(self, text: str) -> None:
        self._show(f"{text} ...", force=True)

    def count(self, what: str, done: int, total: int) -> None:
        if done == total or time.perf_counter() - self._last >= EVERY_S:
            self._show(f"{what} {done:,}/{total:,}", force=done == total)

    def problems(self, problems: list[Problem]) -> None:
        """Violations, at once: each will fail the build."""
        violations = [p for p in problems if p.severity is Severity.VIOLATION]
        if not self.enabled or not violations:
            return
        self._clear()
        for problem in violations:
            self.stream.write(terminal_safe(str(problem)) + "\n")
        self.stream.write("(the build will fail; still checking the rest)\n")
        self._show(self._line, force=True)

    def note(self, text: str) -> None:
        """One line that stays (what kind of build this is, and why)."""
        if not self.enabled:
            return
        self._clear()
        self.stream.write(terminal_safe(text) + "\n")
        self._show(self._line, force=True)

    def done(self) -> None:
        self._clear()

    def _show(self, text: str, force: bool = False) -> None:
        self._line = text
        if not self.enabled or not (force or time.perf_counter() - self._last >= EVERY_S):
            return
        self._last = time.perf_counter()
        elapsed = self._last - self._started
        self.stream.write(f"\r\x1b[K{elapsed:6.1f} s  {text}")
        self.stream.flush()

    def _clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
