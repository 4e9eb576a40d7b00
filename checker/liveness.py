"""Dead locals: a local that no future step reads may as well hold its default value.

A thread's local is *live* at a program counter when some move from there reads it
(in its condition or in a new slot value) before a move writes it; every local of a
thread that has ended is dead. No `never` condition and no other thread can read a
thread's locals, so two states that differ only in dead locals have the same futures:
the same moves enabled, the same violations at the same depths. A breadth-first search
that resets dead locals to their defaults before it stores a state therefore keeps
shortest counterexamples and `complete` exactly, and stores fewer states (a thread's
`t = ref`, dead once its `if t == 1` has run, no longer splits the states after it).
Traces are replayed on real states, so they show the values the locals really had.
"""

from __future__ import annotations

from collections.abc import Callable

from . import terms as T
from .packed import PackedStep, code
from .step import Move, Status, StepDefinition, default_value


def live_locals(d: StepDefinition) -> tuple[tuple[frozenset[int], ...], ...]:
    """For each thread and program counter, the local slots live there."""
    out = []
    for t, per_pc in enumerate(d.by_pc):
        ts = d.layout.threads[t]
        mine = frozenset(ts.locals)
        live = [frozenset[int]() for _ in range(len(per_pc) + 1)]
        changed = True
        while changed:
            changed = False
            for pc, moves in enumerate(per_pc):
                new = frozenset[int]().union(
                    *(_live_before(m, live, ts.pc, ts.status, mine, pc) for m in moves)
                )
                if new != live[pc]:
                    live[pc], changed = new, True
        out.append(tuple(live))
    return tuple(out)


def _live_before(
    m: Move,
    live: list[frozenset[int]],
    pc_slot: int,
    status_slot: int,
    mine: frozenset[int],
    pc: int,
) -> frozenset[int]:
    """The locals live before move `m`: those it reads, and those live after it that
    it does not write."""
    read = T.reads_of(m.condition)
    if m.violation is not None:
        return frozenset(read & mine)
    updates = dict(m.updates)
    for term in updates.values():
        read |= T.reads_of(term)
    status = updates.get(status_slot)
    if isinstance(status, T.Lit) and status.value != Status.RUNNING:
        return frozenset(read & mine)
    target = updates.get(pc_slot)
    after = live[int(target.value) if isinstance(target, T.Lit) else pc]
    return frozenset((read & mine) | (after - updates.keys()))


Forget = Callable[[int], int]


def forgetter(packed: PackedStep) -> Forget | None:
    """A function that resets the dead locals of a packed state to their defaults, or
    None when no thread ever has a dead local."""
    d = packed.definition
    live = live_locals(d)
    lines = ["def forget(s):"]
    tables: dict[str, tuple[int, ...]] = {}
    for t, ts in enumerate(d.layout.threads):
        if not ts.locals:
            continue
        status, counter = packed.fields[ts.status], packed.fields[ts.pc]
        width = status.width + counter.width
        keep_all = (1 << packed.bits) - 1
        keep, reset = [], []
        for x in range(1 << width):
            st, pc = x & status.mask, x >> status.width
            if st == Status.RUNNING and pc >= len(d.by_pc[t]):
                keep.append(keep_all)
                reset.append(0)
                continue
            alive = live[t][pc] if st == Status.RUNNING else frozenset()
            mask, bits = keep_all, 0
            for slot, (_, ty) in zip(ts.locals, d.spec.threads[t].locals, strict=True):
                if slot in alive:
                    continue
                f = packed.fields[slot]
                mask &= ~(f.mask << f.offset)
                sort = d.layout.slots[slot].sort
                bits |= (code(default_value(ty), sort) + f.bias) << f.offset
            keep.append(mask)
            reset.append(bits)
        if all(k == keep_all for k in keep):
            continue
        tables[f"K{t}"], tables[f"R{t}"] = tuple(keep), tuple(reset)
        lines += [
            f"    x = s >> {status.offset} & {(1 << width) - 1}",
            f"    s = s & K{t}[x] | R{t}[x]",
        ]
    if not tables:
        return None
    lines.append("    return s")
    namespace: dict[str, object] = dict(tables)
    exec(compile("\n".join(lines) + "\n", "<dead locals>", "exec"), namespace)
    forget: Forget = namespace["forget"]  # type: ignore[assignment]
    return forget
