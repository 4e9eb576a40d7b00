"""A violating schedule as a message sequence chart in Graphviz DOT.

Stage: reporters. Input: a checked spec and a `Trace`; output: DOT text for `dot`.
Each thread, the host and each page is a column (a lifeline of one node per step, all
nodes of a step on one rank); a page op is an arrow from its thread to the page,
labelled with the step number, the statement and its result; the page's node shows the
state it changes to; a statement that touches no page is a box on its thread's
lifeline. The violating step is red and a note under the chart tells what went wrong.
The text depends only on the spec and the trace, so goldens can pin it.
"""

from __future__ import annotations

from .. import ir
from ..trace import Trace
from .steps import StepView, columns, initial_text, step_views, violation_where

_FONT = 'fontname="Helvetica", fontsize=11'


def quote(text: str) -> str:
    """A DOT double-quoted string (newlines become centred line breaks)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def trace_to_dot(spec: ir.Spec, trace: Trace, name: str = "trace") -> str:
    """The chart as a `digraph` (ends with a newline)."""
    actors = columns(spec)
    views = step_views(spec, trace)
    for view in views:
        if view.actor not in actors:
            actors.append(view.actor)
    lanes = [(f"t{k}", name) for k, name in enumerate(actors)]
    lanes += [(f"p{k}", f"page {page.name}") for k, page in enumerate(spec.pages)]
    lane_of = {label: lane for lane, label in lanes}
    lines = [
        f"digraph {quote(name)} {{",
        f"  graph [rankdir=TB, nodesep=0.6, ranksep=0.35, {_FONT}];",
        f"  node [{_FONT}];",
        f"  edge [{_FONT}];",
    ]
    start = initial_text(spec, trace.initial)
    if start:
        lines.append(f"  label={quote('start: ' + start)}; labelloc=t;")
    heads = " ".join(
        f"{lane}_0 [group={lane}, shape=box, style=bold, label={quote(label)}];"
        for lane, label in lanes
    )
    lines.append(f"  {{ rank=same; {heads} }}")
    if len(lanes) > 1:
        chain = " -> ".join(f"{lane}_0" for lane, _ in lanes)
        lines.append(f"  {chain} [style=invis];")
    for view in views:
        lines.extend(_rank(spec, view, lanes, lane_of))
    for lane, _ in lanes:
        chain = " -> ".join(f"{lane}_{n}" for n in range(len(views) + 1))
        if views:
            lines.append(f"  {chain} [style=dashed, arrowhead=none, color=gray50];")
    v = trace.violation
    note = quote(f"✗ {v.prop} {violation_where(trace)}:\n{_wrap(v.message)}")
    lines.append(f"  violation [shape=note, color=red, fontcolor=red, label={note}];")
    last = lane_of[views[-1].actor] if views else lanes[0][0]
    lines.append(
        f"  {last}_{len(views)} -> violation [style=dotted, color=red, arrowhead=none];"
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _rank(
    spec: ir.Spec,
    view: StepView,
    lanes: list[tuple[str, str]],
    lane_of: dict[str, str],
) -> list[str]:
    n = view.number
    me = lane_of[view.actor]
    red = ", color=red, fontcolor=red" if view.violation is not None else ""
    local = [a for a in view.actions if a.page is None]
    texts = [a.text for a in local]
    if view.atomic:
        texts.insert(0, "atomic")
    new_states = {}
    for a in view.actions:
        if a.page is not None and a.change:
            new_states[a.page] = a.change
    nodes = []
    for lane, label in lanes:
        node = f"{lane}_{n}"
        group = f"group={lane}, "
        if lane == me and texts:
            text = f"{n}. " + "\n".join(texts)
            nodes.append(
                f"{node} [{group}shape=box, style=rounded, label={quote(text)}{red}];"
            )
        elif label.startswith("page ") and label[5:] in new_states:
            change = new_states[label[5:]]
            nodes.append(f"{node} [{group}shape=plaintext, label={quote(change)}];")
        else:
            nodes.append(f'{node} [{group}shape=point, width=0.05, label=""];')
    out = [f"  {{ rank=same; {' '.join(nodes)} }}"]
    numbered = bool(texts)
    for a in view.actions:
        if a.page is None:
            continue
        text = a.text if numbered else f"{n}. {a.text}"
        numbered = True
        target = f"p{spec.page_index(a.page)}_{n}"
        out.append(
            f"  {me}_{n} -> {target} [label={quote(text)}, constraint=false{red}];"
        )
    return out


def _wrap(text: str, width: int = 60) -> str:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)
