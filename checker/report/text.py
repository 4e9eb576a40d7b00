"""The human report: one line per spec, and for a violation the story and the schedule."""

from __future__ import annotations

from .. import ir
from ..result import CheckResult, Verdict
from ..semantics import HOST, Event, Successor


def summary_line(r: CheckResult) -> str:
    if r.verdict == Verdict.VIOLATION:
        assert r.trace is not None
        what = f"violation {r.prop} in {r.trace.length} step{'s' if r.trace.length != 1 else ''}"
    elif r.verdict == Verdict.SAFE:
        what = "safe, complete" if r.complete else f"safe, bounded at {r.bound}"
    else:
        what = f"unknown ({r.message})"
    mark = "" if r.expectation_met else f"  [expected {r.spec.expect.describe() if r.spec.expect else 'safe'}]"
    return f"{r.file}: {what} ({r.time_s:.2f}s){mark}"


def describe_event(spec: ir.Spec, e: Event) -> str:
    model = spec.model
    if e.page is not None:
        args = [spec.pages[e.page].name]
        if e.value is not None:
            args.append(str(e.value))
        args.extend(f"{k}={v}" for k, v in e.args)
        text = f"{e.kind}({', '.join(args)})"
        if e.result is not None:
            text += f" -> {e.result}"
        if e.before is not None and e.after is not None and e.before != e.after:
            text += f"  [{model.state_name(e.before)} -> {model.state_name(e.after)}]"
        return text
    if e.kind == "assign":
        return f"{e.target} = {e.assigned}"
    if e.kind in ("assert", "await", "if", "while"):
        return f"{e.kind} {_source(e)} -> {str(e.result).lower()}"
    return f"{e.kind}"


def _source(e: Event) -> str:
    if e.span is None:
        return ""
    line = e.span.source.line(e.span.line)
    end = e.span.end_col - 1 if e.span.end_line == e.span.line else len(line)
    text = line[e.span.col - 1 : end].strip()
    for kw in ("assert ", "await ", "if ", "while "):
        if text.startswith(kw):
            text = text[len(kw) :]
    return text.split("{")[0].strip()


def describe_step(spec: ir.Spec, step: Successor) -> str:
    return "; ".join(describe_event(spec, e) for e in step.events)


def render_result(r: CheckResult) -> str:
    lines = [summary_line(r)]
    if r.trace is None:
        return "\n".join(lines)
    spec = r.spec
    v = r.trace.violation
    lines.append(f"  {v.prop}: {v.message}")
    if v.span is not None:
        lines.append(f"  at {v.span.location()}:")
        lines.extend("    " + part for part in v.span.excerpt().splitlines())
    for n, step in enumerate(r.trace.steps, start=1):
        who = "host" if step.actor == HOST else spec.threads[step.actor].name
        marker = "  <-- " + v.prop if n == r.trace.length else ""
        lines.append(f"  {n:>3}  {who:<10} {describe_step(spec, step)}{marker}")
    return "\n".join(lines)
