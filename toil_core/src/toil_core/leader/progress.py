"""A one-line "Workflow Progress" bar on a terminal, plain status lines otherwise."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Shows done/total jobs (and failures) on stderr when it is a terminal."""

    def __init__(self, enabled: bool, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.enabled = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.total = 0
        self.done = 0
        self.failed = 0
        self._last = 0.0

    def add_total(self, count: int = 1) -> None:
        self.total += count
        self._draw()

    def completed(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def failure(self) -> None:
        self.failed += 1
        self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        total = max(self.total, self.done, 1)
        width = 30
        filled = int(width * self.done / total)
        failed = f" failed: {self.failed}" if self.failed else ""
        self.stream.write(f"\rWorkflow Progress |{'#' * filled}{' ' * (width - filled)}| "
                          f"{self.done}/{total} jobs{failed}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
