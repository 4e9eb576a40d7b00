"""The `--json` document: the reference's fields plus provenance, in a stable order.

Stage: reporters. Input: results and input errors; output: one JSON document,

    {"schema_version", "pagecheck_version", "z3_version", "seed",
     "results": [R, ...], "errors": [E, ...]}

where each R has the fields of the language reference (section 4) in its order:
`file`, `model`, `verdict`, `complete`, `bound`, `property`, `message`, `expect`,
`expectation_met`, `time_s`, `trace`, then `engine`, `answered_by` (the engine whose
answer it is: `engine`, or the portfolio's winner), `length`, `location`, `stats`
and, when `expect violation P` was met by another run than the shortest,
`expected_property` and `expected_trace`; a liveness violation (a lasso) adds
`cycle`: `{"first_step", "steps"}`, the steps from `first_step` to the end repeat
forever (`steps` 0: no guest thread can step in the last state and the host
stays idle). Each trace step is
`{"step", "thread", "op", "page", "args", "result", "before", "after", "line"}`, with
`target`/`value` on assignments, `condition` on assert/await/if/while and `events`
(the inner statements) on an atomic step. Nothing depends on the machine: paths are
the ones the user gave, and `time_s` is the only field that varies between runs.
Bump `SCHEMA_VERSION` when a field changes meaning or goes away.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import ir
from ..errors import Diagnostic
from ..result import CheckResult
from ..semantics import Event, Successor
from ..trace import Run, Trace
from .states import changes, state_values
from .steps import actor_name

SCHEMA_VERSION = 1
#: The version of a trace step's fields beyond the reference's (`line`, `changes`,
#: `state`, `events`), which `pagecheck replay` reads; see docs/reference.md.
TRACE_SCHEMA_VERSION = 1


def step_json(spec: ir.Spec, n: int, step: Successor) -> dict[str, Any]:
    """One trace step as the reference's `{"step", "thread", "op", ...}` object."""
    main = step.events[0]
    out: dict[str, Any] = {"step": n, "thread": actor_name(spec, step.actor)}
    if main.kind == "atomic":
        out.update(
            op="atomic", page=None, args={}, result=None, before=None, after=None
        )
        out["line"] = _line(main)
        out["events"] = [_event_json(spec, e) for e in step.events[1:]]
    else:
        out.update(_event_json(spec, main))
    return out


def _line(e: Event) -> int | None:
    return e.span.line if e.span is not None else None


def _event_json(spec: ir.Spec, e: Event) -> dict[str, Any]:
    model = spec.model
    if e.page is None:
        result: Any = None
        if e.kind == "assign" and type(e.assigned) is int:
            result = e.assigned
        out: dict[str, Any] = {
            "op": e.kind,
            "page": None,
            "args": {},
            "result": result,
            "before": None,
            "after": None,
            "line": _line(e),
        }
        if e.kind == "assign":
            out["target"] = e.target
            out["value"] = _value(spec, e)
        elif e.kind == "drain":
            out["target"] = e.target
            out["value"] = e.assigned
        elif e.kind in ("assert", "await", "if", "while"):
            out["condition"] = e.result
        return out
    args: dict[str, Any] = dict(e.args)
    if e.value is not None:
        args["value"] = e.value
    out = {
        "op": e.kind,
        "page": spec.pages[e.page].name,
        "args": args,
        "result": e.result,
        "before": model.state_name(e.before) if e.before is not None else None,
        "after": model.state_name(e.after) if e.after is not None else None,
        "line": _line(e),
    }
    if e.whole:
        out["whole"] = True
    return out


def _value(spec: ir.Spec, e: Event) -> Any:
    """An assigned value; a state-typed local's value by its state name."""
    if e.actor >= 0 and type(e.assigned) is int:
        kinds = dict(spec.threads[e.actor].locals)
        if kinds.get(e.target or "") == "state":
            return spec.model.state_name(e.assigned)
    return e.assigned


def trace_json(
    spec: ir.Spec, trace: Trace | Run | None, *, every: bool = False
) -> list[dict[str, Any]]:
    """The steps, each with `changes` (the values it changed) and, with `every`,
    `state` (every value after it)."""
    if trace is None:
        return []
    out = []
    before = state_values(spec, trace.initial)
    for n, s in enumerate(trace.steps, start=1):
        step = step_json(spec, n, s)
        after = state_values(spec, s.state)
        step["changes"] = changes(before, after)
        if every:
            step["state"] = after
        out.append(step)
        before = after
    return out


def result_json(r: CheckResult, *, every: bool = False) -> dict[str, Any]:
    spec = r.spec
    out: dict[str, Any] = {
        "file": r.file,
        "model": spec.model.name,
        "verdict": str(r.verdict),
        "complete": r.complete,
        "bound": r.bound,
        "property": r.prop,
        "message": r.message,
        "expect": spec.expect.describe() if spec.expect else None,
        "expectation_met": r.expectation_met,
        "time_s": round(r.time_s, 3),
        "trace": trace_json(spec, r.trace, every=every),
        "engine": r.engine,
        "answered_by": r.answered_by,
        "length": r.trace.length if r.trace is not None else None,
        "location": None,
    }
    if r.trace is not None and r.trace.violation.span is not None:
        span = r.trace.violation.span
        out["location"] = {"file": span.file, "line": span.line, "col": span.col}
    if r.trace is not None:
        out["initial_state"] = state_values(spec, r.trace.initial)
    if r.trace is not None and r.trace.loop is not None:
        out["cycle"] = {
            "first_step": r.trace.loop + 1,
            "steps": r.trace.length - r.trace.loop,
        }
    if r.expected_trace is not None:
        out["expected_property"] = r.expected_trace.violation.prop
        out["expected_trace"] = trace_json(spec, r.expected_trace, every=every)
    counters = (
        ("states", r.stats.states),
        ("transitions", r.stats.transitions),
        ("depth", r.stats.depth),
        ("solver_calls", r.stats.solver_calls or None),
        ("formula_size", r.stats.formula_size),
        ("reduction", r.stats.reduction),
    )
    out["stats"] = {k: v for k, v in counters if v is not None}
    out["coverage"] = coverage_json(r)
    return out


def coverage_json(r: CheckResult) -> dict[str, Any] | None:
    """What the runs never did (null unless the verdict is safe): `vacuous` is true
    when statements, assertions or awaits are among the `unreached` items; `full`
    when transitions and ops were measured too (`--coverage`)."""
    c = r.coverage
    if c is None:
        return None
    return {
        "vacuous": bool(c.vacuous),
        "finished": c.finished,
        "full": c.full,
        "states": c.states,
        "unreached": [
            {
                "kind": i.kind,
                "text": i.text,
                "line": i.span.line if i.span is not None else None,
                "file": i.span.file if i.span is not None else None,
            }
            for i in c.unreached
        ],
    }


def error_json(d: Diagnostic) -> dict[str, Any]:
    if d.span is None:
        return {"file": d.file, "line": None, "col": None, "message": d.message}
    return {
        "file": d.span.file,
        "line": d.span.line,
        "col": d.span.col,
        "message": d.message,
    }


def render_json(
    results: Sequence[CheckResult],
    errors: Sequence[Diagnostic],
    *,
    versions: dict[str, str],
    seed: int,
    every: bool = False,
) -> str:
    """The whole document, indented, without a trailing newline; `every`: each trace
    step carries every value of the state after it."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "trace_schema_version": TRACE_SCHEMA_VERSION,
        "pagecheck_version": versions.get("pagecheck"),
        "z3_version": versions.get("z3"),
        "seed": seed,
        "results": [result_json(r, every=every) for r in results],
        "errors": [error_json(d) for d in errors],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
