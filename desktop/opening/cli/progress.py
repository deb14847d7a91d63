"""The one terminal progress writer of every command: a tqdm line on stderr when stderr is a terminal,
and nothing (or, with ``every``, a plain line at most that often) when it is a pipe or a file, so logs
and scripts are not filled with carriage returns."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from tqdm import tqdm


def _size(stream: TextIO) -> tuple[int, int]:
    """The terminal's (columns, rows); a pseudo-terminal may report 0 × 0 (tqdm then hides the bar)."""
    try:
        size = os.get_terminal_size(stream.fileno())
        return size.columns or 80, size.lines or 24
    except (OSError, ValueError, AttributeError):
        return 80, 24


class TerminalProgress:
    def __init__(self, *, unit: str = "%", scale: bool = False, every: float | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(self.stream is not None and self.stream.isatty())
        self.unit, self.scale, self.every = unit, scale, every
        self._bar: tqdm | None = None
        self._last_plain = 0.0
        self._lock = threading.Lock()

    def update(self, done: float, total: float | None = None, desc: str = "") -> None:
        """Show ``done`` of ``total`` (``None``: unknown) under the label ``desc``."""
        with self._lock:
            if self.live:
                self._update_bar(done, total, desc)
            elif self.every is not None:
                self._plain(done, total, desc)

    def count(self, done: int, total: int, desc: str, *, label: str) -> None:
        """A counted step (passages of a batch): the bar on a terminal; elsewhere a plain line per 5% and at
        the end, ``label: done/total unit, desc``."""
        if self.live:
            self.update(done, total, desc)
        elif total and (done * 20 // total > (done - 1) * 20 // total or done == total):
            try:
                print(f"{label}: {done}/{total}{self.unit}, {desc}", file=self.stream)
            except (OSError, ValueError):
                pass

    def note(self, text: str) -> None:
        """A line of its own: above the bar on a terminal, a plain line elsewhere."""
        with self._lock:
            try:
                if self._bar is not None:
                    tqdm.write(text, file=self.stream)
                else:
                    print(text, file=self.stream, flush=True)
            except (OSError, ValueError):
                pass

    def _update_bar(self, done: float, total: float | None, desc: str) -> None:
        bar = self._bar
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = self._bar = tqdm(
                total=total,
                unit=self.unit,
                unit_scale=self.scale,
                file=self.stream,
                leave=False,
                ncols=_size(self.stream)[0],
                nrows=_size(self.stream)[1],
                mininterval=0.1,
                desc=desc,
            )
        if desc != bar.desc:
            bar.set_description_str(desc, refresh=False)
        bar.n = done
        bar.refresh()

    def _plain(self, done: float, total: float | None, desc: str) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - self._last_plain < (self.every or 0):
            return
        self._last_plain = now
        amount = tqdm.format_sizeof(done) if self.scale else f"{done:.0f}"
        of = f"/{tqdm.format_sizeof(total) if self.scale else f'{total:.0f}'}" if total else ""
        try:
            self.stream.write(f"{desc} {amount}{of}{self.unit}\n".lstrip())
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
