"""A live progress line on a terminal: the `Progress` callback the CLI passes engines.

Stage: reporters. Input: `ProgressInfo` from a running engine; output: one line on a
terminal, rewritten in place (`\\r`) and erased when the check ends. Nothing is shown
for checks shorter than `delay` seconds, nor at all when the stream is not a terminal
(`live_progress` returns None then, and the CLI passes no callback).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from ..progress import ProgressInfo

DELAY_S = 1.0
"""Checks shorter than this show no progress line."""
INTERVAL_S = 0.1
"""The line is rewritten at most this often."""


class LiveProgress:
    """Call `start(file)` before a check, pass the object as `Options.progress`, and
    call `finish()` after it."""

    def __init__(
        self,
        stream: TextIO,
        *,
        delay: float = DELAY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.file = ""
        self.started = clock()
        self.last_draw = -INTERVAL_S
        self.width = 0

    def start(self, file: str) -> None:
        self.finish()
        self.file = file
        self.started = self.clock()
        self.last_draw = -INTERVAL_S

    def __call__(self, info: ProgressInfo) -> None:
        now = self.clock()
        elapsed = now - self.started
        if elapsed < self.delay or now - self.last_draw < INTERVAL_S:
            return
        self.last_draw = now
        self._draw(progress_text(self.file, info, elapsed))

    def finish(self) -> None:
        """Erase the line, if one was drawn."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

    def _draw(self, text: str) -> None:
        pad = max(0, self.width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self.width = len(text)


def progress_text(file: str, info: ProgressInfo, elapsed: float) -> str:
    """`specs/x.pg: explicit, step 12/100, 4711 states, 3.2s`."""
    if info.lemmas is not None:
        parts = [f"{info.engine}, frame {info.depth}, {info.lemmas} lemmas"]
    else:
        parts = [f"{info.engine}, step {info.depth}/{info.bound}"]
    if info.states is not None:
        parts.append(f"{info.states} states")
    if info.formula_size is not None:
        parts.append(f"formula size {info.formula_size}")
    if info.solver_calls is not None:
        parts.append(f"{info.solver_calls} queries")
    parts.append(f"{elapsed:.1f}s")
    return f"{file}: " + ", ".join(parts)


def live_progress(stream: TextIO) -> LiveProgress | None:
    """A live line on `stream` if it is a terminal, else None (no progress output)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return None
    return LiveProgress(stream)
