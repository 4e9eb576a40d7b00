"""`pagecheck replay SPEC [TRACE.json] [--schedule S]`: one run on the concrete semantics.

Stage: tools, beside the CLI. A saved trace (the `--json` document of a check, one
result of it, or its bare `trace` list) is matched step by step against the
successors the reference semantics allows (`semantics.py`): a step fits a successor
when every field it gives (thread, op, page, args, result, states, line, condition,
the inner events of an atomic step) is the successor's. A schedule is a comma-
separated list of actors, each optionally with the op it does
(`cpu0,host:discard(p0),cpu1`): the actor's first step that matches is taken. What
does not fit is an error that says which step and what the spec allows there (exit
2); a run that fits is printed as a schedule table with the state's values.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import ir
from .arguments import add_models_option
from .exit import ExitStatus
from .load import load_spec
from .report.json import SCHEMA_VERSION, TRACE_SCHEMA_VERSION, step_json, trace_json
from .report.states import state_lines, state_values
from .report.steps import actor_name, describe_event, initial_text
from .report.text import schedule_table
from .semantics import GlobalState, Semantics, Status, Successor
from .trace import Run

REPLAY_HELP = (
    "Re-run a saved trace (a --json document) or a given schedule on the concrete "
    "semantics\nand print every step with the state's values. A trace or schedule "
    "that the spec\ndoes not allow is an error (exit 2) that says where it stops "
    "fitting.\n\nschedule: actors separated by commas, each optionally with its op:\n"
    '  --schedule "cpu0,host:discard(p0),cpu1"'
)

#: The fields of a saved step compared with a successor's (those it gives).
_KEYS = (
    "thread",
    "op",
    "page",
    "args",
    "result",
    "before",
    "after",
    "line",
    "condition",
    "target",
    "value",
)


class DoesNotFit(Exception):
    """The trace or schedule is not a run of the spec; the message says where."""


def read_trace(path: Path) -> list[dict[str, Any]]:
    """The steps of a saved trace: a `--json` document's first result with a trace,
    one result object, or a bare list of steps."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise DoesNotFit(f"{path}: cannot read: {e.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DoesNotFit(f"{path}: not a JSON trace: {e}") from None
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        traced = [r for r in doc["results"] if isinstance(r, dict) and r.get("trace")]
        if not traced:
            raise DoesNotFit(f"{path}: no trace: none of its results has one")
        doc = traced[0]
    if isinstance(doc, dict):
        doc = doc.get("trace")
    if not isinstance(doc, list) or not all(isinstance(s, dict) for s in doc):
        raise DoesNotFit(
            f"{path}: no trace: expected a --json document, a result with a "
            '"trace", or a list of steps'
        )
    return doc


Fits = Callable[[int, Successor], bool]
"""Whether step number n may be this successor."""


def fit_trace(spec: ir.Spec, steps: Sequence[dict[str, Any]]) -> Run:
    """The run whose steps are the saved ones, or DoesNotFit."""
    wanted = [
        (
            f"step {n} ({_wanted(want)}) does not fit",
            _saved_step(spec, want),
        )
        for n, want in enumerate(steps, start=1)
    ]
    return _walk(spec, wanted)


def run_schedule(spec: ir.Spec, schedule: str) -> Run:
    """The run that takes the schedule's steps in order, or DoesNotFit."""
    names = [t.name for t in spec.threads] + ["host"]
    wanted = []
    for n, token in enumerate(split_schedule(schedule), start=1):
        actor, _, op = token.partition(":")
        if actor not in names:
            raise DoesNotFit(
                f"step {n} ({token!r}): no actor {actor!r} (actors: {', '.join(names)})"
            )
        fits = _scheduled_step(spec, actor, op.replace(" ", ""))
        wanted.append((f"step {n} ({token!r}) is not possible here", fits))
    return _walk(spec, wanted)


def _walk(spec: ir.Spec, wanted: Sequence[tuple[str, Fits]]) -> Run:
    """From the initial state, each step the first successor that fits."""
    sem = Semantics(spec)
    state = sem.initial()
    taken: list[Successor] = []
    for n, (label, fits) in enumerate(wanted, start=1):
        _not_after_violation(taken, n)
        options = sem.successors(state)
        match = next((s for s in options if fits(n, s)), None)
        if match is None:
            raise DoesNotFit(f"{label}: " + allowed(spec, state, options))
        taken.append(match)
        state = match.state
    return _run(sem, state, taken)


def _saved_step(spec: ir.Spec, want: dict[str, Any]) -> Fits:
    return lambda n, s: _fits(step_json(spec, n, s), want)


def _scheduled_step(spec: ir.Spec, actor: str, op: str) -> Fits:
    return lambda _, s: _token_fits(spec, s, actor, op)


def split_schedule(schedule: str) -> list[str]:
    """Tokens separated by commas outside parentheses, spaces around them dropped."""
    tokens, depth, current = [], 0, ""
    for ch in schedule:
        if ch == "," and depth == 0:
            tokens.append(current.strip())
            current = ""
            continue
        depth += (ch == "(") - (ch == ")")
        current += ch
    tokens.append(current.strip())
    if any(not t for t in tokens):
        raise DoesNotFit(f"empty step in schedule {schedule!r}")
    return tokens


def schedule_token(spec: ir.Spec, step: Successor) -> str:
    """How `--schedule` names a step: the actor, and its op for a page op; a drain
    of a store buffer as `cpu0:drain` (a bare `cpu0` is its statement)."""
    actor = actor_name(spec, step.actor)
    main = step.events[0] if step.events else None
    if main is not None and main.page is not None:
        return f"{actor}:{main.kind}({spec.pages[main.page].name})"
    if main is not None and main.kind == "drain":
        return f"{actor}:drain"
    return actor


def allowed(spec: ir.Spec, state: GlobalState, options: Sequence[Successor]) -> str:
    """What the spec allows in `state`, for an error message."""
    if not options:
        return "no step is possible here (" + _threads_text(spec, state) + ")"
    seen: list[str] = []
    for s in options:
        text = _describe(spec, s)
        if text not in seen:
            seen.append(text)
    return "the spec allows here: " + "; ".join(seen)


def _run(sem: Semantics, state: GlobalState, taken: list[Successor]) -> Run:
    violation = taken[-1].violation if taken else sem.initial_violation(state)
    return Run(sem.initial(), tuple(taken), violation)


def _not_after_violation(taken: Sequence[Successor], n: int) -> None:
    if taken and taken[-1].violation is not None:
        v = taken[-1].violation
        raise DoesNotFit(
            f"step {n} comes after the run violated {v.prop} at step {n - 1}: "
            f"{v.message}"
        )


def _fits(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if any(k in want and want[k] != got.get(k) for k in _KEYS):
        return False
    if "events" in want:
        inner = got.get("events", [])
        events = want["events"]
        if not isinstance(events, list) or len(events) != len(inner):
            return False
        return all(
            isinstance(w, dict) and _fits(g, w)
            for g, w in zip(inner, events, strict=True)
        )
    return True


def _token_fits(spec: ir.Spec, step: Successor, actor: str, op: str) -> bool:
    if actor_name(spec, step.actor) != actor:
        return False
    if not op:
        return True
    main = step.events[0] if step.events else None
    if main is None:
        return False
    named = main.kind
    if main.page is not None:
        named += f"({spec.pages[main.page].name}"
    return op == main.kind or op == named + ")" or op.startswith(named + ",")


def _describe(spec: ir.Spec, s: Successor) -> str:

    main = s.events[0] if s.events else None
    if main is None:
        return actor_name(spec, s.actor)
    where = f" (line {main.span.line})" if main.span is not None else ""
    return f"{actor_name(spec, s.actor)} {describe_event(spec, main)}{where}"


def _wanted(want: dict[str, Any]) -> str:
    parts = [str(want.get("thread", "?")), str(want.get("op", "?"))]
    if want.get("page") is not None:
        parts[-1] += f"({want['page']})"
    if want.get("line") is not None:
        parts.append(f"at line {want['line']}")
    return " ".join(parts)


def _threads_text(spec: ir.Spec, state: GlobalState) -> str:

    values = state_values(spec, state)
    return ", ".join(
        f"{t.name} {values[f'{t.name}.status']}"
        + (f" at line {values[f'{t.name}.pc']}" if tv.status == Status.RUNNING else "")
        for t, tv in zip(spec.threads, state.threads, strict=True)
    )


def ending_text(spec: ir.Spec, run: Run) -> str:
    """How the run ends: its violation, or where each thread is."""
    final = run.steps[-1].state if run.steps else run.initial
    if run.violation is not None:
        return f"ends in violation {run.violation.prop}: {run.violation.message}"
    return "ends without a violation: " + _threads_text(spec, final)


def render_run(spec: ir.Spec, file: str, run: Run, *, every: bool = False) -> str:
    """The run as text: how many steps, the start, the table, the states, the end."""

    n = len(run.steps)
    lines = [f"{file}: a run of {n} step{'' if n == 1 else 's'} that the spec allows"]
    lines.append(f"  start: {initial_text(spec, run.initial) or '(nothing)'}")
    if run.steps:
        lines += ["  " + row for row in schedule_table(spec, run)]
    lines += ["  " + row for row in state_lines(spec, run, every=every)]
    lines.append("  " + ending_text(spec, run))
    return "\n".join(lines)


def run_json(spec: ir.Spec, file: str, run: Run, *, every: bool = False) -> str:
    """The run as a document `replay` reads back."""

    v = run.violation
    doc = {
        "schema_version": SCHEMA_VERSION,
        "trace_schema_version": TRACE_SCHEMA_VERSION,
        "file": file,
        "model": spec.model.name,
        "property": v.prop if v is not None else None,
        "message": v.message if v is not None else None,
        "initial_state": state_values(spec, run.initial),
        "trace": trace_json(spec, run, every=every),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `pagecheck replay`."""
    parser.add_argument("spec", type=Path, metavar="SPEC", help="the spec file")
    parser.add_argument(
        "trace",
        type=Path,
        nargs="?",
        metavar="TRACE.json",
        help="a saved trace: the --json output of a check (its first trace), one "
        "result, or a list of steps",
    )
    parser.add_argument(
        "--schedule",
        metavar="STEPS",
        help='the steps to take instead of a trace, e.g. "cpu0,host:discard(p0),cpu1"',
    )
    parser.add_argument(
        "--all-values",
        action="store_true",
        help="every value of the state at each step, not only what changed",
    )
    parser.add_argument("--json", action="store_true", help="print the run as JSON")
    add_models_option(parser)


def run_replay(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """`pagecheck replay SPEC [TRACE.json] [--schedule STEPS]`."""
    if (ns.trace is None) == (ns.schedule is None):
        ns.parser.error("give a TRACE.json or --schedule STEPS (one of them)")
    spec = load_spec(ns.spec, models_dirs=tuple(ns.models))
    try:
        if ns.schedule is not None:
            run = run_schedule(spec, ns.schedule)
        else:
            run = fit_trace(spec, read_trace(ns.trace))
    except DoesNotFit as e:
        what = ns.trace if ns.trace is not None else "--schedule"
        print(f"pagecheck: {what}: {e}", file=err)
        return ExitStatus.INPUT_ERROR
    name = str(ns.spec)
    if ns.json:
        print(run_json(spec, name, run, every=ns.all_values), file=out)
    else:
        print(render_run(spec, name, run, every=ns.all_values), file=out)
    return ExitStatus.OK


__all__ = ["DoesNotFit", "add_arguments", "fit_trace", "run_replay", "run_schedule"]
