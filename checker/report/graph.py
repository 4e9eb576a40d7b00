"""Drawing a model: `ir.Model` -> Graphviz DOT text in the seed mail's style.

One edge per (source, target) pair carries every label of that pair, one per line:
guest operations are solid edges, host actions dashed ones (a pair with both gets one
edge of each style), `same` transitions self loops. Edges come in the order the
transitions are written; the output can be kept as a golden file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ir

_DOT_KEYWORDS = frozenset({"node", "edge", "graph", "digraph", "subgraph", "strict"})


@dataclass
class _Edge:
    source: int
    target: int
    dashed: bool
    labels: dict[str, list[str]] = field(default_factory=dict)


def model_to_dot(model: ir.Model) -> str:
    """The model's transition diagram as a DOT digraph (ends with a newline)."""
    edges: dict[tuple[int, int, bool], _Edge] = {}
    for t in model.transitions:
        dashed = model.op(t.op).kind == "action"
        tail = _label_tail(model, t)
        for source in sorted(t.sources):
            target = source if t.target is None else t.target
            edge = edges.setdefault(
                (source, target, dashed), _Edge(source, target, dashed)
            )
            ops = edge.labels.setdefault(tail, [])
            text = _op_text(t)
            if text not in ops:
                ops.append(text)
    lines = [f"digraph {_dot_id(model.name)} {{"]
    for edge in edges.values():
        labels = "\n".join(", ".join(ops) + tail for tail, ops in edge.labels.items())
        attrs = f'label="{_escape(labels)}"'
        if edge.dashed:
            attrs += ", style=dashed"
        tail_id = _dot_id(model.state_name(edge.source))
        head_id = _dot_id(model.state_name(edge.target))
        lines.append(f"{tail_id} -> {head_id} [ {attrs} ];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label_tail(model: ir.Model, t: ir.Transition) -> str:
    """What follows the ops in a label (` if GUARD => RESULTS`), as a grouping key."""
    text = ""
    if t.guard is not None:
        text += f" if {ir.guard_text(t.guard, model.flags)}"
    results = [word for word, on in (("fault", t.fault), ("fail", t.fail)) if on]
    for k, flag in enumerate(model.flags):
        if t.sets >> k & 1:
            results.append(f"set {flag}")
    for k, flag in enumerate(model.flags):
        if t.clears >> k & 1:
            results.append(f"clear {flag}")
    if results:
        text += f" => {', '.join(results)}"
    return text


def _op_text(t: ir.Transition) -> str:
    if not t.args:
        return t.op
    return f"{t.op}({', '.join(f'{k}={v}' for k, v in t.args)})"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _dot_id(name: str) -> str:
    return f'"{name}"' if name.lower() in _DOT_KEYWORDS else name
