"""The human report: a line per spec; for a violation its story and schedule table.

Stage: reporters. Input: a `CheckResult`; output: text. The first line of
`render_result` is always `summary_line` (what `-q` prints). A violation then gets one
sentence (the property and what happened), the offending statement with its source
line and a caret, the start state, and the schedule as a table with a column per
thread and one for the host, a row per step, each cell the statement, its result and
what it changed. A safe or unknown result says how it was reached. Colour is opt-in
(`color=True`); the plain text is stable and is what the golden tests pin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import ir
from ..errors import plural
from ..result import CheckResult, Verdict
from ..semantics import GlobalState, Status
from ..source import Span
from ..trace import Run, Trace
from .states import state_lines
from .steps import (
    StepView,
    columns,
    cycle_steps,
    initial_text,
    step_views,
    violation_actor,
    violation_where,
)

# ANSI SGR codes
_RED, _GREEN, _YELLOW, _BOLD = "31", "32", "33", "1"


@dataclass(frozen=True, slots=True)
class _Paint:
    on: bool

    def __call__(self, text: str, *codes: str) -> str:
        if not self.on or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def summary_line(r: CheckResult, *, color: bool = False) -> str:
    """`FILE: VERDICT, complete|bounded at K (TIME[, by ENGINE])`, plus
    `[FAIL: expected ...]`; the engine is named when it is not the one asked for
    (the portfolio's winner)."""
    paint = _Paint(color)
    if r.verdict == Verdict.VIOLATION:
        assert r.trace is not None
        n = r.trace.length
        what = paint(f"violation {r.prop}", _RED, _BOLD)
        what += f" in {_steps(n)}"
        if r.expected_trace is not None:
            other = r.expected_trace
            what += (
                f" (and the expected {other.violation.prop} in {_steps(other.length)})"
            )
        what += ", complete"
    elif r.verdict == Verdict.SAFE:
        what = paint("safe", _GREEN, _BOLD)
        what += ", complete" if r.complete else f", bounded at {r.bound}"
    else:
        what = paint("unknown", _YELLOW, _BOLD) + f" ({r.message})"
    by = f", by {r.answered_by}" if r.answered_by not in ("", r.engine) else ""
    line = f"{r.file}: {what} ({r.time_s:.2f}s{by})"
    if not r.expectation_met and r.verdict != Verdict.UNKNOWN:
        expected = r.spec.expect.describe() if r.spec.expect else "safe"
        if r.strict and r.vacuous:
            expected += ", with every statement reached (strict)"
        line += "  " + paint(f"[FAIL: expected {expected}]", _RED, _BOLD)
    return line


def coverage_lines(r: CheckResult, *, every: bool = False) -> list[str]:
    """The vacuity warning under a `safe` verdict; with `every`, each item the runs
    never reached."""
    c = r.coverage
    if c is None:
        return []
    items = c.unreached if every else c.vacuous
    lines = []
    if c.vacuous:
        n = len(c.vacuous)
        lines.append(
            f"warning: vacuous: {n} {plural(n, 'statement')} no run reached; "
            "the proof says nothing about them"
        )
    elif every:
        lines.append("coverage: every statement was reached")
    lines += [f"  {item.kind}: {item.describe()}" for item in items]
    if not c.finished and (items or every):
        lines.append(
            f"  (coverage stopped by the time limit after {c.states:,} states; "
            "a longer search may reach these)"
        )
    return lines


_REDUCTIONS = {
    "symmetry": "one per orbit of symmetric threads",
    "partial-order": "partial-order reduction",
    "local-steps": "local steps merged",
}
"""How the text report names each reduction of `Stats.reduction`."""


def how_line(r: CheckResult) -> str:
    """How a safe or unknown verdict was reached (empty for a violation)."""
    states = r.stats.states
    counted = ""
    if states is not None:
        names = r.stats.reduction.split(",") if r.stats.reduction else []
        reduced = "".join(", " + _REDUCTIONS[name] for name in names)
        counted = f" ({states:,} {plural(states, 'state')}{reduced})"
    if r.verdict == Verdict.SAFE and r.complete:
        if r.answered_by == "induction":
            k = dict(r.stats.extra).get("k")
            if k is not None:
                return f"proved by k-induction: a {k}-inductive invariant, checked"
            return "proved by induction: an inductive invariant, checked"
        if r.stats.reduction == "partial-order":
            return f"proved: no reachable state violates{counted}"
        if states is None and r.stats.solver_calls:
            counted = f" ({r.stats.solver_calls} solver queries)"
        return f"proved: every reachable state covered{counted}"
    if r.verdict == Verdict.SAFE:
        return (
            f"no violation up to bound {r.bound}{counted}; longer runs were not covered"
        )
    if r.verdict == Verdict.UNKNOWN:
        return f"stopped: {r.message}{counted}"
    return ""


def render_result(
    r: CheckResult,
    *,
    color: bool = False,
    coverage: bool = False,
    full: bool = False,
    every: bool = False,
) -> str:
    """The full report of one result (no trailing newline); `coverage`: every item
    the runs never reached, not only the vacuity warning; `full`: the values of the
    state at each step of a violation (what changed, or with `every` all of them)."""
    paint = _Paint(color)
    lines = [summary_line(r, color=color)]
    if r.trace is None:
        how = how_line(r)
        if how:
            lines.append("  " + how)
        for k, line in enumerate(coverage_lines(r, every=coverage)):
            lines.append("  " + (paint(line, _YELLOW, _BOLD) if k == 0 else line))
        return "\n".join(lines)
    lines.extend(_violation_lines(r.spec, r.trace, paint))
    if full:
        lines += ["  " + line for line in state_lines(r.spec, r.trace, every=every)]
    if r.expected_trace is not None:
        expected = r.expected_trace
        lines.append(
            f"  the expected {expected.violation.prop} violation, "
            f"in {_steps(expected.length)}:"
        )
        lines.extend(_violation_lines(r.spec, expected, paint))
        if full:
            lines += [
                "  " + line for line in state_lines(r.spec, expected, every=every)
            ]
    return "\n".join(lines)


def render_trace(spec: ir.Spec, trace: Trace, *, color: bool = False) -> str:
    """A violating trace without the summary line: story, source excerpt, schedule."""
    return "\n".join(_violation_lines(spec, trace, _Paint(color)))


def _steps(n: int) -> str:
    return f"{n} step{'' if n == 1 else 's'}"


def _violation_lines(spec: ir.Spec, trace: Trace, paint: _Paint) -> list[str]:
    v = trace.violation
    where = violation_where(trace)
    if trace.steps and trace.loop is None:
        where += f" ({_by(violation_actor(spec, trace))})"
    lines = ["  " + paint(f"{v.prop} {where}:", _RED, _BOLD) + f" {v.message}"]
    if v.span is not None:
        lines.extend(_excerpt(v.span, paint))
    elif v.prop == "deadlock":
        lines.extend(_blocked_threads(spec, trace.final, paint))
    lines.append(f"  start: {initial_text(spec, trace.initial) or '(nothing)'}")
    if trace.steps:
        lines.extend("  " + row for row in schedule_table(spec, trace, paint))
    return lines


def _by(actor: str | None) -> str:
    return "by the host" if actor == "host" else f"thread {actor}"


def _excerpt(span: Span, paint: _Paint, label: str = "") -> list[str]:
    text, caret = span.excerpt().split("\n")
    if span.end_line > span.line:  # a statement with a block: mark its first line
        code = text.split("#")[0].rstrip().removesuffix("{").rstrip()
        caret = " " * (span.col - 1) + "^" * max(1, len(code) - span.col + 1)
    number = str(span.line)
    pad = " " * len(number)
    head = f"  --> {span.location()}" + (f" ({label})" if label else "")
    return [
        head,
        f"  {number} | {text.rstrip()}",
        f"  {pad} | " + paint(caret.rstrip(), _RED, _BOLD),
    ]


def _blocked_threads(spec: ir.Spec, state: GlobalState, paint: _Paint) -> list[str]:
    lines = []
    for thread, tv in zip(spec.threads, state.threads, strict=True):
        if tv.status != Status.RUNNING:
            continue
        span = thread.instrs[tv.pc].span if tv.pc < thread.end else None
        if span is not None:
            lines.extend(_excerpt(span, paint, f"{thread.name} waits here"))
    return lines


def schedule_table(
    spec: ir.Spec, trace: Trace | Run, paint: _Paint | None = None
) -> list[str]:
    """The schedule: a column per actor, a row per step, the violating step marked."""
    paint = paint or _Paint(False)
    names = columns(spec)
    views = step_views(spec, trace)
    for view in views:
        if view.actor not in names:
            names.append(view.actor)
    cells = [
        [_cell(view) if view.actor == name else [] for name in names] for view in views
    ]
    widths = [
        max([len(name), *(len(text) for row in cells for text in row[k])])
        for k, name in enumerate(names)
    ]
    number_width = max(4, len(str(len(views))) + 2)
    header = "step".rjust(number_width) + "".join(
        "  " + name.ljust(w) for name, w in zip(names, widths, strict=True)
    )
    rule = "-" * number_width + "".join("  " + "-" * w for w in widths)
    out = [paint(header.rstrip(), _BOLD), rule]
    loop = trace.loop if isinstance(trace, Trace) else None
    for k, (view, row) in enumerate(zip(views, cells, strict=True)):
        if k == loop:
            out.append(paint(f"{'↓':>{number_width}}  the cycle starts", _RED, _BOLD))
        out.extend(_row(view, row, widths, number_width, paint))
    if loop is not None:
        out.append(paint(_cycle_end(loop, len(views), number_width), _RED, _BOLD))
    return out


def _cycle_end(loop: int, length: int, number_width: int) -> str:
    """The line under a lasso: where its cycle goes back to, or that it stays."""
    if loop == length:
        stays = "the run stays here: no guest thread can step, the host idles"
        return f"{'■':>{number_width}}  {stays}"
    steps = cycle_steps(loop, length)
    verb = "repeats" if loop + 1 == length else "repeat"
    return (
        f"{'↑':>{number_width}}  back to the state before step {loop + 1}: "
        f"{steps} {verb} forever"
    )


def _cell(view: StepView) -> list[str]:
    texts = [a.describe() for a in view.actions]
    if not view.atomic:
        return texts or ["(nothing)"]
    if not texts:
        return ["atomic: (nothing)"]
    return ["atomic: " + texts[0], *("        " + t for t in texts[1:])]


def _row(
    view: StepView,
    row: Sequence[list[str]],
    widths: Sequence[int],
    number_width: int,
    paint: _Paint,
) -> list[str]:
    height = max(1, *(len(c) for c in row))
    marked = view.violation is not None
    lines = []
    for i in range(height):
        if i == 0:
            number = (">" if marked else "") + str(view.number)
            text = number.rjust(number_width)
        else:
            text = " " * number_width
        for cell, w in zip(row, widths, strict=True):
            text += "  " + (cell[i] if i < len(cell) else "").ljust(w)
        text = text.rstrip()
        if marked and i == 0:
            assert view.violation is not None
            text += "  ← " + view.violation.prop
            text = paint(text, _RED, _BOLD)
        lines.append(text)
    return lines
