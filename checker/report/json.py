"""The `--json` document: the reference's fields plus provenance, in a stable order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import ir
from ..errors import Diagnostic
from ..result import CheckResult
from ..semantics import HOST, Event, Successor
from ..trace import Trace

SCHEMA_VERSION = 1


def step_json(spec: ir.Spec, n: int, step: Successor) -> dict[str, Any]:
    """One trace step as the reference's `{"step", "thread", "op", ...}` object."""
    thread = "host" if step.actor == HOST else spec.threads[step.actor].name
    main = step.events[0]
    out: dict[str, Any] = {"step": n, "thread": thread}
    if main.kind == "atomic":
        out.update(op="atomic", page=None, args={}, result=None, before=None, after=None)
        out["events"] = [_event_json(spec, e) for e in step.events[1:]]
    else:
        out.update(_event_json(spec, main))
    out["line"] = main.span.line if main.span is not None else None
    return out


def _event_json(spec: ir.Spec, e: Event) -> dict[str, Any]:
    model = spec.model
    if e.page is None:
        result: Any = None
        if e.kind == "assign" and isinstance(e.assigned, int) and not isinstance(e.assigned, bool):
            result = e.assigned
        out: dict[str, Any] = {"op": e.kind, "page": None, "args": {}, "result": result, "before": None, "after": None}
        if e.kind == "assign":
            out["target"] = e.target
            out["value"] = _value(spec, e.assigned)
        elif e.kind in ("assert", "await", "if", "while"):
            out["condition"] = e.result
        return out
    args: dict[str, Any] = dict(e.args)
    if e.value is not None:
        args["value"] = e.value
    return {
        "op": e.kind,
        "page": spec.pages[e.page].name,
        "args": args,
        "result": e.result,
        "before": model.state_name(e.before) if e.before is not None else None,
        "after": model.state_name(e.after) if e.after is not None else None,
    }


def _value(spec: ir.Spec, v: ir.Value | None) -> Any:
    return v


def trace_json(spec: ir.Spec, trace: Trace | None) -> list[dict[str, Any]]:
    if trace is None:
        return []
    return [step_json(spec, n, s) for n, s in enumerate(trace.steps, start=1)]


def result_json(r: CheckResult) -> dict[str, Any]:
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
        "engine": r.engine,
        "length": r.trace.length if r.trace is not None else None,
        "trace": trace_json(spec, r.trace),
    }
    if r.trace is not None and r.trace.violation.span is not None:
        span = r.trace.violation.span
        out["location"] = {"line": span.line, "col": span.col}
    if r.expected_trace is not None:
        out["expected_property"] = r.expected_trace.violation.prop
        out["expected_trace"] = trace_json(spec, r.expected_trace)
    stats = {k: v for k, v in (("states", r.stats.states), ("transitions", r.stats.transitions), ("solver_calls", r.stats.solver_calls or None), ("formula_size", r.stats.formula_size)) if v is not None}
    out["stats"] = stats
    return out


def error_json(d: Diagnostic) -> dict[str, Any]:
    if d.span is None:
        return {"file": d.file, "line": None, "col": None, "message": d.message}
    return {"file": d.span.file, "line": d.span.line, "col": d.span.col, "message": d.message}


def render_json(results: Sequence[CheckResult], errors: Sequence[Diagnostic], *, versions: dict[str, str], seed: int) -> str:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "pagecheck_version": versions.get("pagecheck"),
        "z3_version": versions.get("z3"),
        "seed": seed,
        "results": [result_json(r) for r in results],
        "errors": [error_json(d) for d in errors],
    }
    return json.dumps(doc, indent=2)
