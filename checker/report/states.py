"""Full-state traces: every value of the global state at every step of a run.

Stage: reporters. Input: a checked spec and a run (`Trace` or `Run`); output: named
values, as text lines (`--trace full`) and as JSON objects (the trace's `state` and
`changes`). A value is named as a slot is (`p0.state`, `p0.data`, `p0.valid`,
`p0.warned`, `p0.FLAG`, `p0.frame` where the spec names frames, `p0.mapping` and a
guest thread's `cpu0.tlb.p0` where it names translations, a shared variable by its
name, `cpu0.pc`, `cpu0.status`, `cpu0.LOCAL`, under `memory tso` `cpu0.buffer`, the
buffered stores oldest first, and per `check eventually T at L` the monitor
`T.passed.L`). A thread's `pc` is the line of the statement it runs next, or `end`.
"""

from __future__ import annotations

import textwrap
from typing import Any

from .. import ir
from ..semantics import GlobalState, Status
from ..step import uses_frames, uses_tlb
from ..trace import Run, Trace

_STATUS = {s.value: s.name.lower() for s in Status}


def state_values(spec: ir.Spec, state: GlobalState) -> dict[str, Any]:
    """Every value of `state` by name, in layout order; JSON-ready."""
    model = spec.model
    frames = uses_frames(spec)
    tlb = uses_tlb(spec)
    out: dict[str, Any] = {}
    for page, pv in zip(spec.pages, state.pages, strict=True):
        out[f"{page.name}.state"] = model.state_name(pv.state)
        out[f"{page.name}.data"] = pv.data
        out[f"{page.name}.valid"] = pv.valid
        out[f"{page.name}.warned"] = pv.warned
        if frames:
            out[f"{page.name}.frame"] = pv.frame
        if tlb:
            out[f"{page.name}.mapping"] = pv.mapping
        for k, flag in enumerate(model.flags):
            out[f"{page.name}.{flag}"] = bool(pv.flags >> k & 1)
    for var, value in zip(spec.vars, state.vars, strict=True):
        out[var.name] = value
    for thread, tv in zip(spec.threads, state.threads, strict=True):
        out[f"{thread.name}.pc"] = _line_of(thread, tv.pc)
        out[f"{thread.name}.status"] = _STATUS[tv.status]
        for (name, ty), local in zip(thread.locals, tv.locals, strict=True):
            shown = model.state_name(int(local)) if ty == "state" else local
            out[f"{thread.name}.{name}"] = shown
        if tv.tlb:
            for page, held in zip(spec.pages, tv.tlb, strict=True):
                out[f"{thread.name}.tlb.{page.name}"] = held - 1 if held else "none"
        if tv.buffer:
            stores = [f"{spec.vars[v - 1].name}:{x}" for v, x in tv.buffer if v]
            out[f"{thread.name}.buffer"] = f"[{', '.join(stores)}]"
    for e, passed in zip(spec.eventually, state.passed, strict=True):
        out[f"{spec.threads[e.thread].name}.passed.{e.label.name}"] = passed
    return out


def _line_of(thread: ir.Thread, pc: int) -> int | str:
    """The line of the statement at `pc`, or `end`."""
    return thread.instrs[pc].span.line if pc < thread.end else "end"


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The values that differ, with their new values."""
    return {k: v for k, v in after.items() if before[k] != v}


def state_lines(spec: ir.Spec, run: Trace | Run, *, every: bool = False) -> list[str]:
    """The run's states as text: the start in full, then per step what changed (or,
    with `every`, every value)."""
    states = [run.initial, *(s.state for s in run.steps)]
    values = [state_values(spec, s) for s in states]
    title = "every value at each step" if every else "what each step changed"
    lines = [f"states ({title}):"]
    loop = run.loop if isinstance(run, Trace) else None
    for n, shown in enumerate(values):
        if n > 0 and not every:
            shown = changes(values[n - 1], shown)
        lines += _entry(str(n) if n else "start", shown)
        if n == loop:
            lines.append(f"{'':8}(the cycle starts from this state)")
    if loop is not None and loop < len(run.steps):
        where = f"of step {loop}" if loop else "at the start"
        lines.append(f"{'':8}(the state {where} again: the cycle repeats)")
    return lines


def _entry(label: str, values: dict[str, Any]) -> list[str]:
    text = " ".join(f"{k}={_text(v)}" for k, v in values.items()) or "(no change)"
    head = f"{label:>6}  "
    return textwrap.wrap(
        text,
        width=88,
        initial_indent=head,
        subsequent_indent=" " * len(head),
        break_on_hyphens=False,
    )


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
