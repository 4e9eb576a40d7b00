"""A trace in people's words: each step as its actor, what it did and what changed.

Stage: reporters. Input: a checked spec and a `Trace`; output: `StepView`s that the
text table, the Mermaid diagram and the DOT chart lay out, so that all three say the
same thing. Only what changed is described: a page's state change (`Sz→Sr`), flags
set or cleared (`+dirty`, `-dirty`) and content the host discarded.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..semantics import HOST, Event, GlobalState, PageVal, Successor, Violation
from ..trace import Run, Trace

HOST_COLUMN = "host"
"""The column (participant) of asynchronous host actions."""


@dataclass(frozen=True, slots=True)
class Action:
    """One statement executed within a step."""

    text: str
    """The statement and its result, e.g. `r = read(p0) → 0` or `freed = 1`."""
    page: str | None
    """The page the statement operated on, if any."""
    change: str
    """What it did to the page, e.g. `Sz→Sr +dirty`; empty when nothing changed."""
    line: int | None
    """Its line in the spec."""

    def describe(self) -> str:
        return f"{self.text}  {self.change}" if self.change else self.text


@dataclass(frozen=True, slots=True)
class StepView:
    """One step of a schedule."""

    number: int
    actor: str
    """A thread's name, or `host` for an asynchronous host action."""
    atomic: bool
    """True for an `atomic` block: `actions` are its inner statements."""
    actions: tuple[Action, ...]
    line: int | None
    violation: Violation | None
    """Set on the last step of a violating trace."""


def columns(spec: ir.Spec) -> list[str]:
    """The actors of a spec in declaration order, then `host` if the host may act."""
    names = [t.name for t in spec.threads]
    if spec.host_moves:
        names.append(HOST_COLUMN)
    return names


def actor_name(spec: ir.Spec, actor: int) -> str:
    return HOST_COLUMN if actor == HOST else spec.threads[actor].name


def step_views(spec: ir.Spec, trace: Trace | Run) -> list[StepView]:
    views = []
    before = trace.initial
    for n, step in enumerate(trace.steps, start=1):
        views.append(_view(spec, n, step, before))
        before = step.state
    return views


def _view(spec: ir.Spec, n: int, step: Successor, before: GlobalState) -> StepView:
    events = list(step.events)
    atomic = bool(events) and events[0].kind == "atomic"
    head = events[0] if events else None
    if atomic:
        events = events[1:]
    extra = _page_changes(spec, before, step.state)
    last_on_page = {e.page: k for k, e in enumerate(events) if e.page is not None}
    actions = []
    undefined = step.violation is not None and step.violation.prop == "undefined"
    for k, e in enumerate(events):
        change = _state_change(spec, e, undefined and k == len(events) - 1)
        if e.page is not None and last_on_page[e.page] == k and e.page in extra:
            change = " ".join(part for part in (change, extra[e.page]) if part)
            change = change.replace(" content lost", ", content lost")
        actions.append(
            Action(
                describe_event(spec, e),
                spec.pages[e.page].name if e.page is not None else None,
                change,
                e.span.line if e.span is not None else None,
            )
        )
    line = head.span.line if head is not None and head.span is not None else None
    return StepView(
        n,
        actor_name(spec, step.actor),
        atomic,
        tuple(actions),
        line,
        step.violation,
    )


def describe_event(spec: ir.Spec, e: Event) -> str:
    """A statement as executed: `r = read(p0) → 0`, `freed = 1`, `if r == 7 → false`."""
    if e.page is not None:
        args = [spec.pages[e.page].name]
        if e.value is not None:
            args.append(str(e.value))
        args.extend(f"{k}={v}" for k, v in e.args)
        text = f"{'whole ' if e.whole else ''}{e.kind}({', '.join(args)})"
        if e.target is not None:
            text = f"{e.target} = {text}"
        if e.result is not None:
            text += f" → {_value_text(spec, e.result, None)}"
        return text
    if e.kind == "assign":
        kind = _target_type(spec, e)
        return f"{e.target} = {_value_text(spec, e.assigned, kind)}"
    if e.kind == "await":
        return f"await {source_text(spec, e)}"
    if e.kind == "drain":
        return f"drain {e.target} = {e.assigned}"
    if e.kind in ("assert", "if", "while"):
        condition = source_text(spec, e)
        return f"{e.kind} {condition} → {_value_text(spec, e.result, 'bool')}"
    return e.kind


def _target_type(spec: ir.Spec, e: Event) -> ir.ValueType | None:
    if e.actor == HOST:
        return None
    for name, kind in spec.threads[e.actor].locals:
        if name == e.target:
            return kind
    return "int"


def _value_text(spec: ir.Spec, v: ir.Value | None, kind: ir.ValueType | None) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if kind == "state" and isinstance(v, int):
        return spec.model.state_name(v)
    return str(v)


def source_text(spec: ir.Spec, e: Event) -> str:
    """The condition of an assert, await, if or while, as written in the spec."""
    cond = _condition(spec, e)
    if cond is not None and cond.span is not None:
        return cond.span.one_line()
    if e.span is None:
        return ""
    text = e.span.one_line().split("{")[0]
    for keyword in ("assert ", "await ", "if ", "while "):
        text = text.removeprefix(keyword)
    return text.strip()


def _condition(spec: ir.Spec, e: Event) -> ir.Expr | None:
    """The condition expression of the instruction that produced `e`."""
    if e.actor < 0 or e.span is None:
        return None
    for instr in spec.threads[e.actor].instrs:
        if instr.span is e.span:
            match instr:
                case ir.AssertInstr() | ir.AwaitInstr() | ir.BranchInstr():
                    return instr.cond
                case _:
                    return None
    return None


def _state_change(spec: ir.Spec, e: Event, undefined: bool) -> str:
    if e.before is None or e.after is None:
        return ""
    name = spec.model.state_name
    if e.before != e.after:
        return f"{name(e.before)}→{name(e.after)}"
    if e.result in ("fault", "fail") or undefined:
        return f"in {name(e.before)}"  # why it failed, or the undefined state
    return ""


def _page_changes(
    spec: ir.Spec, before: GlobalState, after: GlobalState
) -> dict[int, str]:
    """Flag and content changes per page over one step (not visible in events)."""
    out = {}
    for p, (old, new) in enumerate(zip(before.pages, after.pages, strict=True)):
        parts = _flag_changes(spec, old, new)
        if old.valid and not new.valid:
            parts.append("content lost")
        if parts:
            out[p] = " ".join(parts)
    return out


def _flag_changes(spec: ir.Spec, old: PageVal, new: PageVal) -> list[str]:
    parts = []
    for k, flag in enumerate(spec.model.flags):
        was, now = bool(old.flags >> k & 1), bool(new.flags >> k & 1)
        if was != now:
            parts.append(("+" if now else "-") + flag)
    return parts


def initial_text(spec: ir.Spec, state: GlobalState) -> str:
    """The start of a run: `p0 Sr = 7, p1 Vr dirty (no data); freed = 0`."""
    pages = []
    for page, val in zip(spec.pages, state.pages, strict=True):
        text = f"{page.name} {spec.model.state_name(val.state)}"
        flags = [f for k, f in enumerate(spec.model.flags) if val.flags >> k & 1]
        if flags:
            text += " " + " ".join(flags)
        text += f" = {val.data}" if val.valid else " (no data)"
        pages.append(text)
    variables = [f"{v.name} = {x}" for v, x in zip(spec.vars, state.vars, strict=True)]
    return "; ".join(part for part in (", ".join(pages), ", ".join(variables)) if part)


def violation_actor(spec: ir.Spec, trace: Trace) -> str | None:
    """Who violated: the actor of the last step (None for the initial state)."""
    if not trace.steps:
        return None
    return actor_name(spec, trace.steps[-1].actor)


def cycle_steps(loop: int, length: int) -> str:
    """`step N` or `steps N–M`: the cycle of a lasso whose prefix has `loop` steps."""
    if loop + 1 == length:
        return f"step {length}"
    return f"steps {loop + 1}–{length}"


def violation_where(trace: Trace) -> str:
    """`at step N` (a statement violated), `after step N` (the state it led to),
    `in the cycle of steps N–M` (a lasso's cycle repeats forever)."""
    if trace.loop is not None and trace.loop < trace.length:
        return f"in the cycle of {cycle_steps(trace.loop, trace.length)}"
    if not trace.steps:
        return "in the initial state"
    if trace.violation.prop in ("never", "deadlock") or trace.loop is not None:
        return f"after step {trace.length}"
    return f"at step {trace.length}"
