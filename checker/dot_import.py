"""DOT import: the edges of a model's Graphviz file -> `ir.Transition`s.

`model NAME from dot "FILE"` takes transitions from the digraph's edges (the seed's
format): each edge label names one or more operations (language.md §1, "Import from
Graphviz"). The model's own declarations give the states, operations and flags the
edges are resolved against; problems are recorded in the model's `ErrorCollector`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from . import ir
from . import syntax as ast
from .errors import ErrorCollector, SourceError, quote, suggest
from .files import decode_source, display_path, read_source
from .parser import DotEdge, parse_dot
from .source import SourceFile

_LabelOps = list[tuple[str, tuple[tuple[str, int], ...], str | None]]

#: Seed-style edge labels (newlines and spaces before `(` normalised) -> (op, args,
#: guard) for each operation the label stands for.
_LABELS: dict[str, _LabelOps] = {
    "set stable": [("set_stable", (), None)],
    "set stable(_if_present)": [
        ("set_stable", (), None),
        ("set_stable_if_present", (), None),
    ],
    "set stable_if_present": [("set_stable_if_present", (), None)],
    "set stable if present": [("set_stable_if_present", (), None)],
    "set unused": [("set_unused", (), None)],
    "set volatile": [("set_volatile", (), None)],
    "set volatile(w=0)": [("set_volatile", (("w", 0),), None)],
    "set volatile(w=1)": [("set_volatile", (("w", 1),), None)],
    "guest write": [("write", (), None)],
    "guest read": [("read", (), None)],
    "guest access": [("read", (), None), ("write", (), None)],
    "host swap": [("swap", (), None)],
    "host discard": [("discard", (), None)],
    "host discard(dirty)": [("discard", (), "dirty")],
    "host discard(clean)": [("discard", (), "not dirty")],
}


def label_ops(label: str) -> _LabelOps | None:
    """Ops (name, args, guard) for a seed-style edge label, or None when unknown."""
    return _LABELS.get(" ".join(label.split()).replace(" (", "("))


def dot_transitions(
    header: ast.ModelHeader,
    source: SourceFile,
    states: Mapping[str, int],
    ops: Mapping[str, ir.Op],
    flags: Mapping[str, int],
    errors: ErrorCollector,
    dot: bytes | None = None,
) -> list[ir.Transition]:
    """The transitions of the DOT file `header` names (relative to the model's folder),
    numbered from 0 in edge order; `dot` is that file's content when it was read
    before (else the file is read now)."""
    assert header.dot_file is not None
    base = source.path.parent if source.path is not None else Path(".")
    path = base / header.dot_file
    display = display_path(source, header.dot_file)
    if dot is None and not path.is_file():
        errors.error(
            header.span,
            f"cannot import {header.dot_file!r}: no such file"
            " (the path is relative to the model's folder)",
        )
        return []
    try:
        text = (
            read_source(path, display)
            if dot is None
            else decode_source(dot, display, path)
        )
        edges = parse_dot(text)
    except SourceError as err:
        errors.items.extend(err.diagnostics)
        return []
    out: list[ir.Transition] = []
    for edge in edges:
        out.extend(_edge_transitions(edge, states, ops, flags, errors, len(out)))
    return out


def _edge_transitions(
    edge: DotEdge,
    states: Mapping[str, int],
    ops: Mapping[str, ir.Op],
    flags: Mapping[str, int],
    errors: ErrorCollector,
    start: int,
) -> list[ir.Transition]:
    where = f"edge {edge.source} -> {edge.target} (line {edge.span.line})"
    label = edge.attr("label")
    if label is None:
        errors.error(
            edge.span,
            f"{where} has no label: pagecheck cannot tell which operation it is",
        )
        return []
    wanted = label_ops(label)
    if wanted is None:
        shown = " ".join(label.split())
        errors.error(
            edge.span,
            f"unknown label {shown!r} on {where}; known labels: set stable,"
            " set stable(_if_present), set unused, set volatile [(w=0|w=1)],"
            " guest write, guest access, host swap, "
            "host discard [(dirty|clean)]",
        )
        return []
    ends = []
    for end in (edge.source, edge.target):
        if end in states:
            ends.append(states[end])
        else:
            errors.error(
                edge.span,
                f"unknown state {quote(end)} on {where}{suggest(end, states)}",
            )
    if len(ends) != 2:
        return []
    out: list[ir.Transition] = []
    for name, args, guard_words in wanted:
        op = ops.get(name)
        if op is None:
            errors.error(
                edge.span,
                f"{where} needs the operation {quote(name)},"
                " which the model does not declare",
            )
            continue
        guard: ir.Guard | None = None
        if guard_words is not None:
            if "dirty" not in flags:
                errors.error(
                    edge.span,
                    f"{where} needs the flag 'dirty', which the model does not declare",
                )
                continue
            flag = ir.GuardFlag(flags["dirty"])
            guard = flag if guard_words == "dirty" else ir.GuardNot(flag)
        target = ends[1] if ends[1] != ends[0] else None
        out.append(
            ir.Transition(
                start + len(out),
                frozenset({ends[0]}),
                target,
                op.name,
                args,
                guard,
                False,
                False,
                0,
                0,
                edge.span,
            )
        )
    return out
