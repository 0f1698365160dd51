"""Progress for long jobs (demo data, the benchmark): a bar on a terminal, plain lines in a log."""
from __future__ import annotations

import sys


class Progress:
    """``bar = Progress("items", total)``, ``bar.advance()``…, ``bar.finish()`` (or use it in ``with``).

    On a terminal it redraws one bar; in a log it prints a line at most every 5 %."""

    def __init__(self, label: str, total: int, *, stream=None):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self._last_step = -1
        self._show()

    def __enter__(self):
        return self

    def advance(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.total)
        self._show()

    def __exit__(self, *exc):
        self.finish()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self) -> None:
        fraction = self.done / self.total
        if self.tty:
            filled = int(30 * fraction)
            self.stream.write(f"\r  {self.label:<30} [{'#' * filled}{'.' * (30 - filled)}] {self.done:>9,}/{self.total:,}")
            self.stream.flush()
            return
        step = int(fraction * 20)
        if step != self._last_step:
            self._last_step = step
            self.stream.write(f"  {self.label}: {self.done:,}/{self.total:,} ({int(fraction * 100)} %)\n")
            self.stream.flush()
