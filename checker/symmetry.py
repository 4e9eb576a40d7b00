"""Symmetry: guest threads that run the same program are interchangeable.

Two guest threads with the same instructions (the same pages, shared variables and ops
at the same program counters), the same locals and the same entry differ only in their
names. A state and the state with two such threads' program counters, statuses and
locals swapped have the same successors up to that swap, the same violations at the
same depths (a `never` condition cannot see a thread's own slots, and deadlock does not
care which thread is blocked). A breadth-first search may therefore store one state of
each orbit, the one whose symmetric threads' bit blocks are in ascending order, and
still reaches every violation at its shortest depth and closes exactly when the full
search closes. Traces are rebuilt on real states, so they use the spec's own names.

Scripted host threads are left alone: they are few, and they act for the host. So
are threads that a `check eventually` names: their monitor slot is no part of their
block, and the property is about that thread, not about any of its twins.
"""

from __future__ import annotations

from collections.abc import Callable

from . import ir
from .packed import PackedStep
from .step import ThreadSlots


def symmetric_groups(spec: ir.Spec) -> tuple[tuple[int, ...], ...]:
    """The guest threads that run one and the same program, in groups of two or
    more (thread indexes, ascending)."""
    groups: dict[object, list[int]] = {}
    named = {e.thread for e in spec.eventually}
    for t, thread in enumerate(spec.threads):
        if not thread.is_host and t not in named:
            key = (thread.instrs, thread.entry, thread.locals)
            groups.setdefault(key, []).append(t)
    return tuple(tuple(g) for g in groups.values() if len(g) > 1)


Canonical = Callable[[int], int]


def _block(ts: ThreadSlots) -> tuple[int, ...]:
    """A thread's own slots: counter, status, locals, translations, store buffer."""
    buffer = (s for entry in ts.buffer for s in entry)
    return (ts.pc, ts.status, *ts.locals, *ts.tlb, *buffer)


Block = tuple[int, int]
"""A thread's own slots as one bit range of a packed state: (offset, width)."""


def blocks(packed: PackedStep) -> tuple[tuple[Block, ...], ...] | None:
    """Per group of symmetric threads, each thread's block, or None when some
    thread's slots are not laid out as one block."""
    layout = packed.definition.layout
    out = []
    for group in symmetric_groups(packed.definition.spec):
        found = []
        for t in group:
            fields = sorted(
                (packed.fields[slot] for slot in _block(layout.threads[t])),
                key=lambda f: f.offset,
            )
            start = fields[0].offset
            width = sum(f.width for f in fields)
            if fields[-1].offset + fields[-1].width != start + width:
                return None
            found.append((start, width))
        out.append(tuple(found))
    return tuple(out)


def canonicalizer(packed: PackedStep) -> Canonical | None:
    """A function from a packed state to its orbit's representative, or None when the
    spec has no symmetric threads (or their slots are not laid out as blocks)."""
    groups = blocks(packed)
    if not groups:
        return None
    lines = ["def canon(s):"]
    for group in groups:
        width = group[0][1]
        mask = (1 << width) - 1
        keep = (1 << packed.bits) - 1
        for start, _ in group:
            keep &= ~(mask << start)
        names = ", ".join(f"b{k}" for k in range(len(group)))
        lines += [
            f"    b{k} = s >> {start} & {mask}" for k, (start, _) in enumerate(group)
        ]
        lines.append(f"    if not ({names.replace(', ', ' <= ')}):")
        lines.append(f"        {names} = sorted(({names}))")
        rebuilt = " | ".join(f"b{k} << {start}" for k, (start, _) in enumerate(group))
        lines.append(f"        s = (s & {keep}) | {rebuilt}")
    lines.append("    return s")
    namespace: dict[str, object] = {}
    exec(compile("\n".join(lines) + "\n", "<symmetry>", "exec"), namespace)
    canon: Canonical = namespace["canon"]  # type: ignore[assignment]
    return canon
