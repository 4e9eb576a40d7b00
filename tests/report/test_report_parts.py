"""Small parts of the reporters: escaping, the live progress line, output file names."""

from __future__ import annotations

import io
from pathlib import Path

from checker.cli import _picture_paths
from checker.progress import ProgressInfo
from checker.report.mermaid import escape
from checker.report.msc import quote
from checker.report.progress import LiveProgress, live_progress, progress_text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def info(depth: int, states: int | None = 10) -> ProgressInfo:
    return ProgressInfo("explicit", depth, 50, states=states)


def test_progress_waits_a_second_then_throttles_and_erases() -> None:
    out, clock = io.StringIO(), Clock()
    live = LiveProgress(out, clock=clock)
    live.start("a.pg")
    live(info(1))
    assert out.getvalue() == ""  # a short check shows nothing
    clock.now += 1.5
    live(info(2))
    assert out.getvalue() == "\ra.pg: explicit, step 2/50, 10 states, 1.5s"
    clock.now += 0.01
    live(info(3))  # too soon after the last line
    assert "step 3" not in out.getvalue()
    clock.now += 0.5
    live(info(4, states=None))
    assert out.getvalue().endswith("\ra.pg: explicit, step 4/50, 2.0s" + " " * 11)
    live.finish()
    width = len("a.pg: explicit, step 4/50, 2.0s")
    assert out.getvalue().endswith("\r" + " " * width + "\r")
    live.finish()  # nothing more to erase
    assert out.getvalue().endswith("\r" + " " * width + "\r")


def test_progress_restarts_per_spec() -> None:
    out, clock = io.StringIO(), Clock()
    live = LiveProgress(out, clock=clock)
    live.start("a.pg")
    clock.now += 2
    live(info(1))
    live.start("b.pg")  # erases a.pg's line and restarts the delay
    drawn = out.getvalue()
    live(info(1))
    assert out.getvalue() == drawn
    assert drawn.endswith("\r")


def test_progress_text_of_the_z3_engine() -> None:
    z3 = ProgressInfo("z3", 7, 100, formula_size=1234, solver_calls=15)
    assert progress_text("s.pg", z3, 3.25) == (
        "s.pg: z3, step 7/100, formula size 1234, 15 queries, 3.2s"
    )


def test_live_progress_only_on_a_terminal() -> None:
    assert live_progress(io.StringIO()) is None
    assert isinstance(live_progress(Terminal()), LiveProgress)


def test_mermaid_escape() -> None:
    assert escape('a; b # c <d> "e"') == "a#59; b #35; c #60;d#62; #quot;e#quot;"
    assert escape("read(p0) → 0") == "read(p0) → 0"


def test_dot_quote() -> None:
    assert quote('say "hi"\\now\nnext') == '"say \\"hi\\"\\\\now\\nnext"'


def test_picture_paths() -> None:
    out = Path("t.svg")
    assert _picture_paths(out, ["specs/a.pg"]) == [out]
    assert _picture_paths(out, ["specs/a.pg", "x/b.pg", "y/a.pg"]) == [
        Path("t-a.svg"),
        Path("t-b.svg"),
        Path("t-a-2.svg"),
    ]
