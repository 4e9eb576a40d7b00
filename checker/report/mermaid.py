"""A violating schedule as a Mermaid `sequenceDiagram` (GitHub renders it in Markdown).

Stage: reporters. Input: a checked spec and a `Trace`; output: the diagram's text.
Participants are the threads, the host (when it may act) and the pages; a page op is a
message from its thread to the page, labelled with the step number, the statement,
its result and the page's state change; a statement that touches no page is a note
over its thread; an atomic step is a `critical` region; the violation is a note over
the actor and the page. `markdown` wraps diagrams and summary lines into a Markdown
document (for pull-request comments or `$GITHUB_STEP_SUMMARY`).
"""

from __future__ import annotations

import re

from .. import ir
from ..trace import Trace
from .steps import (
    Action,
    StepView,
    columns,
    initial_text,
    step_views,
    violation_where,
)

# Characters that end a Mermaid statement or start markup, as Mermaid entity codes.
_ESCAPES = {";": "#59;", "#": "#35;", "<": "#60;", ">": "#62;", '"': "#quot;"}
_ESCAPE_RE = re.compile("|".join(re.escape(c) for c in _ESCAPES))


def escape(text: str) -> str:
    """Text safe inside a Mermaid message or note."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text)


def trace_to_mermaid(spec: ir.Spec, trace: Trace) -> str:
    """The diagram (ends with a newline)."""
    actors = columns(spec)
    views = step_views(spec, trace)
    for view in views:
        if view.actor not in actors:
            actors.append(view.actor)
    ids = {name: f"T{k}" for k, name in enumerate(actors)}
    for k, page in enumerate(spec.pages):
        ids[f"page {page.name}"] = f"P{k}"
    lines = ["sequenceDiagram"]
    lines.extend(f"  participant {ids[name]} as {name}" for name in actors)
    lines.extend(
        f"  participant P{k} as page {page.name}" for k, page in enumerate(spec.pages)
    )
    start = initial_text(spec, trace.initial)
    if start:
        over = _over(ids, actors, spec)
        lines.append(f"  Note over {over}: start: {escape(start)}")
    for view in views:
        lines.extend(_step(spec, ids, view))
    v = trace.violation
    last = views[-1] if views else None
    over = _violation_over(spec, ids, actors, last)
    note = f"✗ {v.prop} {violation_where(trace)}: {v.message}"
    lines.append(f"  Note over {over}: {escape(note)}")
    return "\n".join(lines) + "\n"


def _over(ids: dict[str, str], actors: list[str], spec: ir.Spec) -> str:
    first = ids[actors[0]] if actors else "P0"
    last = f"P{len(spec.pages) - 1}" if spec.pages else ids[actors[-1]]
    return first if first == last else f"{first},{last}"


def _violation_over(
    spec: ir.Spec, ids: dict[str, str], actors: list[str], last: StepView | None
) -> str:
    if last is None:
        return _over(ids, actors, spec)
    actor = ids[last.actor]
    pages = [a.page for a in last.actions if a.page is not None]
    if pages and last.violation is not None and last.violation.prop != "never":
        return f"{actor},{ids[f'page {pages[-1]}']}"
    if last.violation is not None and last.violation.prop in ("never", "deadlock"):
        return _over(ids, actors, spec)
    return actor


def _step(spec: ir.Spec, ids: dict[str, str], view: StepView) -> list[str]:
    actor = ids[view.actor]
    out = []
    if view.atomic:
        out.append(f"  critical {view.number}. atomic ({view.actor})")
    for k, action in enumerate(view.actions):
        number = f"{view.number}. " if k == 0 and not view.atomic else ""
        out.append("    " * view.atomic + _message(ids, actor, number, action))
    if not view.actions:
        out.append(f"  Note over {actor}: {view.number}. (nothing)")
    if view.atomic:
        out.append("  end")
    return out


def _message(ids: dict[str, str], actor: str, number: str, action: Action) -> str:
    if action.page is None:
        return f"  Note over {actor}: {escape(number + action.text)}"
    text = number + action.text
    if action.change:
        text += f" — {action.change}"
    return f"  {actor}->>{ids[f'page {action.page}']}: {escape(text)}"


def markdown(blocks: list[tuple[str, str | None]]) -> str:
    """A Markdown document: each summary line, then its diagram (if any) fenced."""
    parts = []
    for summary, diagram in blocks:
        parts.append(summary.replace("\n", "  \n") + "\n")
        if diagram is not None:
            parts.append(f"```mermaid\n{diagram}```\n")
    return "\n".join(parts)
