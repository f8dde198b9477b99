"""What `contextgraph import-profiles` shows while it runs: profiles, not bytes. On a terminal one line
rewritten in place a few times a second; otherwise (a cron job, a CI log) one plain line every few
seconds. The last line, with the same figures, is always written.
"""

from __future__ import annotations

import time
from typing import TextIO

from contextgraph.resolvers.profiles.bulk_import import ImportReport


class ImportProgress:
    """Rows read, rows/s, imported, errors so far and the time left (from the share of the file read)."""

    def __init__(self, out: TextIO, size: int, *, every: float | None = None, quiet: bool = False) -> None:
        self.out, self.size, self.quiet = out, max(size, 1), quiet
        self.terminal = out.isatty()
        self.every = every if every is not None else (0.2 if self.terminal else 5.0)
        self.started = self.shown = time.monotonic()
        self.rows = 0

    def update(self, rows: int, report: ImportReport, done_bytes: int) -> None:
        now = time.monotonic()
        if self.quiet or rows == self.rows or now - self.shown < self.every:
            return
        self.shown, self.rows = now, rows
        self._write(self._line(rows, report, done_bytes, now), final=False)

    def finish(self, rows: int, report: ImportReport) -> None:
        if not self.quiet:
            self._write(self._line(rows, report, self.size, time.monotonic(), final=True), final=True)

    def _line(self, rows: int, report: ImportReport, done_bytes: int, now: float, final: bool = False) -> str:
        elapsed = max(now - self.started, 1e-9)
        share = min(done_bytes / self.size, 1.0)
        line = (
            f"import: {rows:,} rows read, {rows / elapsed:,.0f} rows/s, {report.imported:,} imported, "
            f"{report.skipped:,} skipped, {len(report.errors):,} errors"
        )
        if final:
            return f"{line}, done in {_duration(elapsed)}"
        left = elapsed * (1 - share) / share if share > 0 else None
        return f"{line}, {share:.0%} of the file, ETA {_duration(left) if left is not None else '?'}"

    def _write(self, line: str, *, final: bool) -> None:
        if self.terminal:
            self.out.write("\r\x1b[K" + line + ("\n" if final else ""))
        else:
            self.out.write(line + "\n")
        self.out.flush()


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
