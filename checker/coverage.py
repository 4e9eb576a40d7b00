"""Coverage: what the runs of a check never did, and whether a `safe` is vacuous.

A `safe` verdict says no run violates; it says nothing if the assertions were never
evaluated. This module searches the reachable states within the bound once more,
over packed states, and records which moves of the step definition fire. It uses no
reduction that skips states (partial order, merged local steps: a skipped state may
be the only one where a move fires) but one: one state per orbit of threads that run
one program, where a move one thread takes stands for the same move of each of them.
It goes breadth first to the bound, or depth first when the check closed within the
bound (the order then does not matter, and depth first reaches the ends of the
programs soonest). From the moves it derives the unreached items of the spec:
statements never executed, `assert`s never evaluated, `await`s never passed, `never`
conditions one of whose conjuncts never held and, when asked (`full`), model
transitions never fired and ops never called. Both engines' results get their
coverage from here, so it is the same whichever engine answered. The search stops as
soon as every item it measures is covered, so a spec without coverage problems pays
for the states up to that point only; transitions are left to `full` because a model
usually has some that a spec never fires, which would make every search run to the
end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from . import ir, native
from . import terms as T
from .native import conjunct_terms
from .packed import PackedStep, WidthExceeded, compiled, compiled_for
from .reduction import move_groups
from .source import Span
from .step import HOST, Move, StepDefinition
from .symmetry import canonicalizer, symmetric_groups

#: Kinds of unreached items; the first three make a `safe` vacuous.
KINDS = ("statement", "assert", "await", "never", "transition", "op")
VACUOUS_KINDS = frozenset(KINDS[:3])
#: States the C search visits between two looks at the clock.
CHUNK = 8192


@dataclass(frozen=True, slots=True)
class Item:
    """One thing the runs never did: its kind, how people name it, where it is."""

    kind: str
    text: str
    span: Span | None

    def describe(self) -> str:
        """The text after where it is: `line N` in the spec, `FILE:N` in a model."""
        if self.span is None:
            return self.text
        if self.kind == "transition":
            return f"{self.span.file}:{self.span.line}: {self.text}"
        return f"line {self.span.line}: {self.text}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a check's runs never did. `finished` is False when a limit stopped the
    search first; then `unreached` may hold items a longer search would reach."""

    unreached: tuple[Item, ...]
    finished: bool
    states: int
    full: bool = False
    """Whether transitions and ops were measured too (`--coverage`)."""

    @property
    def vacuous(self) -> tuple[Item, ...]:
        """Statements, assertions and awaits no run reached: a `safe` says nothing
        about them."""
        return tuple(i for i in self.unreached if i.kind in VACUOUS_KINDS)


def measure(
    definition: StepDefinition,
    bound: int,
    deadline: float,
    *,
    full: bool = False,
    closed: bool = False,
    orbits: bool = True,
) -> Coverage:
    """Search the states reachable within `bound` steps until every item is covered,
    the states run out, or `deadline` (time.monotonic) passes. Without `full`, only
    what makes a `safe` vacuous and `never` conjuncts are measured (transitions and
    ops need the whole state space whenever one of them never fires). `closed`: the
    check showed that every reachable state lies within the bound, so the search may
    go depth first, which reaches the ends of the threads' programs soonest. `orbits`
    (the default) stores one state per orbit of symmetric threads."""
    try:
        packed = compiled_for(definition, bound + 1)
        return _measure(packed, bound, deadline, full, closed, orbits)
    except WidthExceeded:  # the engine's narrow fields: search again at full width
        packed = compiled(definition, bound + 1)
        return _measure(packed, bound, deadline, full, closed, orbits)


def _measure(
    packed: PackedStep,
    bound: int,
    deadline: float,
    full: bool,
    closed: bool,
    orbits: bool,
) -> Coverage:
    plan = _Plan(packed, full, orbits)
    try:
        return _search(plan, bound, deadline, closed)
    except _GoNative as go:
        in_c = go.step.search(never=False, deadlock=False)
        try:
            return _search_in_c(plan, in_c, bound, deadline, closed)
        finally:
            in_c.close()


class _Plan:
    """What the search measures: the moves waiting to fire at each thread counter
    and the host's (each as a `_Pending`, in order), their twins under symmetry,
    the `never` conjuncts, and the compiled tests of both."""

    def __init__(self, packed: PackedStep, full: bool, orbits: bool) -> None:
        definition = packed.definition
        self.packed = packed
        self.full = full
        self.orbits = orbits
        self.pending: dict[tuple[int, int], list[_Pending]] = {}
        for t, per_pc in enumerate(definition.by_pc):
            for pc, moves in enumerate(per_pc):
                here = [_pending(m, full) for m in moves if m.violation is None]
                if here:
                    self.pending[(t, pc)] = here
        self.host = [_pending(m, full) for m in definition.host_moves] if full else []
        self.targets = {
            x
            for xs in [*self.pending.values(), self.host]
            for p in xs
            for x in p.targets
        }
        self.conjuncts = _never_conjuncts(definition)
        candidates = [*(x for xs in self.pending.values() for x in xs), *self.host]
        compiled_tests = packed.predicates(
            [definition.moves[p.index].condition for p in candidates]
            + [c for _, c, _ in self.conjuncts]
        )
        self.tests = {
            p.index: t for p, t in zip(candidates, compiled_tests, strict=False)
        }
        self.premise_tests = compiled_tests[len(candidates) :]
        self.canon = canonicalizer(packed) if orbits else None
        self.twins = _twins(definition, full) if self.canon is not None else {}

    def result(
        self, fired: set[int], held: set[int], done: bool, states: int
    ) -> Coverage:
        return Coverage(
            _unreached(self.packed.definition, fired, held, self.full),
            done,
            states,
            self.full,
        )

    def encoded(self) -> list[int]:
        """The plan as the C search reads it (`native_search.c`, `Cover`)."""
        d = self.packed.definition
        ids: dict[object, int] = {}
        waiting = {p.index for xs in [*self.pending.values(), self.host] for p in xs}
        per_move: list[int] = []
        for m in d.moves:
            targets = [
                ids.setdefault(x, len(ids)) for x in _pending(m, self.full).targets
            ]
            twins = [p.index for p in self.twins.get(m.index, ())]
            per_move += [int(m.index in waiting), len(targets), *targets]
            per_move += [len(twins), *twins]
        groups: list[int] = []
        for t, pc in move_groups(d):
            if t != HOST:
                here = self.pending.get((t, pc), [])
                groups += [len(here), *(p.index for p in here)]
        groups += [len(self.host), *(p.index for p in self.host)]
        terms = conjunct_terms(d)
        conjuncts = [terms.index((n, term)) for n, term, _ in self.conjuncts]
        counters = sum(len(per_pc) for per_pc in d.by_pc)
        head = [len(self.targets), len(ids), len(conjuncts), counters + 1]
        return head + per_move + groups + conjuncts


class _GoNative(Exception):
    """The Python search grew past `native.SWITCH_AT` states and the C search is
    built."""

    def __init__(self, step: native.NativeStep) -> None:
        super().__init__("search coverage in C")
        self.step = step


class _Switch:
    """Builds the C search once the Python one stores `native.SWITCH_AT` states."""

    def __init__(self, plan: _Plan, deadline: float) -> None:
        self.plan = plan
        self.deadline = deadline
        self.off = not native.enabled()

    def check(self, stored: int) -> None:
        if self.off or stored < native.SWITCH_AT:
            return
        self.off = True
        try:
            step = native.built(
                self.plan.packed,
                symmetry=self.plan.orbits,
                timeout=self.deadline - time.monotonic(),
            )
        except native.NativeUnavailable:
            return
        raise _GoNative(step)


def _search(plan: _Plan, bound: int, deadline: float, closed: bool) -> Coverage:
    """The search in Python: breadth first to the bound, or depth first when the
    check closed (every reachable state is within the bound: any order will do)."""
    packed = plan.packed
    tests, twins = plan.tests, plan.twins
    # the moves still waiting: the lists shrink as moves fire, the plan's do not
    pending = {at: list(waiting) for at, waiting in plan.pending.items()}
    host = list(plan.host)
    premise_tests, canon = plan.premise_tests, plan.canon
    targets, conjuncts = plan.targets, plan.conjuncts
    switch = _Switch(plan, deadline)
    fired: set[int] = set()
    covered: set[object] = set()
    held: set[int] = set()
    start = packed.pack(packed.definition.initial)
    if canon is not None:
        start = canon(start)
    seen = {start}
    out: list[int] = []
    bad: list[int] = []

    def visit(s: int, expand: bool) -> bool:
        """Record what `s` enables; whether every item is covered. With `expand`,
        the successors of `s` not seen yet go to `out`."""
        for k, test in enumerate(premise_tests):
            if k not in held and test(s):
                held.add(k)
        out.clear()
        if not expand or packed.never(s) >= 0:
            return False
        for t, pc in enumerate(packed.control(s)):
            waiting = pending.get((t, pc)) if pc >= 0 else None
            if waiting:
                _fire(waiting, tests, s, fired, covered, twins)
        if host:
            _fire(host, tests, s, fired, covered, twins)
        if len(covered) == len(targets) and len(held) == len(conjuncts):
            return True
        bad.clear()
        packed.expand(s, out, bad)
        if canon is not None:
            out[:] = [canon(n) for n in out]
        out[:] = [n for n in dict.fromkeys(out) if n not in seen]
        seen.update(out)
        return False

    def result(done: bool) -> Coverage:
        return plan.result(fired, held, done, len(seen))

    if closed:
        stack = [start]
        visits = 0
        while stack:
            visits += 1
            if visits % 1024 == 1:
                if time.monotonic() > deadline:
                    return result(False)
                switch.check(len(seen))
            if visit(stack.pop(), True):
                return result(True)
            stack += out
        return result(True)
    frontier = [start]
    depth = 0
    while frontier:
        if time.monotonic() > deadline:
            return result(False)
        switch.check(len(seen))
        nxt: list[int] = []
        for s in frontier:
            if visit(s, depth < bound):
                return result(True)
            nxt += out
        frontier = nxt
        depth += 1
    return result(True)


def _search_in_c(
    plan: _Plan, in_c: native.NativeSearch, bound: int, deadline: float, closed: bool
) -> Coverage:
    """The same search in C, from the start, with the same plan: it visits the
    states in the same order and stops at the same one."""
    definition = plan.packed.definition
    in_c.start_cover(
        plan.packed.pack(definition.initial), plan.encoded(), closed, bound
    )
    done = False
    try:
        while not done:
            if time.monotonic() > deadline:
                break
            done = in_c.cover(CHUNK)
    except MemoryError:
        pass
    fired, held = in_c.marks(len(plan.conjuncts))
    return plan.result(fired, held, done, in_c.count())


def _twins(d: StepDefinition, full: bool) -> dict[int, list[_Pending]]:
    """For each move of a thread that runs one program with others
    (`symmetry.symmetric_groups`), the same move of each of the others: a search over
    one state per orbit sees one thread take it where each of them could."""
    out: dict[int, list[_Pending]] = {}
    for group in symmetric_groups(d.spec):
        for t in group:
            for pc, moves in enumerate(d.by_pc[t]):
                for k, m in enumerate(moves):
                    out[m.index] = [
                        _pending(d.by_pc[u][pc][k], full) for u in group if u != t
                    ]
    return out


@dataclass(frozen=True, slots=True)
class _Pending:
    """A move not yet seen to fire, and what its firing would cover: the statements
    it executes and, when measuring everything, the transitions it takes."""

    index: int
    targets: frozenset[object]


def _pending(move: Move, full: bool) -> _Pending:
    targets: set[object] = {e.span for e in move.events if e.span is not None}
    if full:
        targets |= {e.transition for e in move.events if e.transition is not None}
    return _Pending(move.index, frozenset(targets))


def _fire(
    moves: list[_Pending],
    tests: dict[int, Callable[[int], bool]],
    s: int,
    fired: set[int],
    covered: set[object],
    twins: dict[int, list[_Pending]],
) -> None:
    """Drop from `moves` those whose targets are covered, and fire those `s`
    enables (with their twins)."""
    for entry in list(moves):
        if entry.targets <= covered:
            moves.remove(entry)
        elif tests[entry.index](s):
            for x in (entry, *twins.get(entry.index, ())):
                fired.add(x.index)
                covered |= x.targets
            moves.remove(entry)


def _never_conjuncts(d: StepDefinition) -> list[tuple[int, T.Term, str]]:
    """Per `never A and B ...` of two or more conjuncts: each conjunct's term and
    text. A conjunct that holds in no reached state makes the condition unreachable
    for a reason that has nothing to do with the race it describes."""
    if "never" not in d.spec.properties:
        return []
    out = []
    for k, ((term, _), never) in enumerate(zip(d.nevers, d.spec.nevers, strict=True)):
        parts = _and_parts(never.cond)
        if len(parts) < 2 or not isinstance(term, T.And):
            continue
        if len(term.operands) != len(parts):
            continue
        for x, part in zip(term.operands, parts, strict=True):
            text = part.span.one_line() if part.span is not None else str(x)
            out.append((k, x, text))
    return out


def _and_parts(e: ir.Expr) -> list[ir.Expr]:
    if isinstance(e, ir.BoolOp) and e.op == "and":
        return _and_parts(e.left) + _and_parts(e.right)
    return [e]


def _unreached(
    d: StepDefinition, fired: set[int], held: set[int], full: bool
) -> tuple[Item, ...]:
    spec = d.spec
    moves = [d.moves[i] for i in sorted(fired)]
    spans = {e.span for m in moves for e in m.events if e.span is not None}
    transitions = {e.transition for m in moves for e in m.events}
    called = {e.kind for m in moves for e in m.events if e.page is not None}
    items: list[Item] = []
    for thread in spec.threads:
        for instr in thread.instrs:
            if instr.span in spans:
                continue
            items.append(_instr_item(thread, instr))
    for k, (n, _, text) in enumerate(_never_conjuncts(d)):
        if k not in held:
            items.append(
                Item(
                    "never",
                    f"`never {spec.nevers[n].cond.span.one_line()}`: "
                    f"`{text}` never held",
                    spec.nevers[n].span,
                )
            )
    if not full:
        return tuple(items)
    used = {e.kind for m in d.moves for e in m.events if e.page is not None}
    model = spec.model
    for i, tr in enumerate(model.transitions):
        if tr.op in used and i not in transitions:
            items.append(Item("transition", _transition_text(model, tr), tr.span))
    for op in model.ops:
        if op.name not in called:
            items.append(Item("op", f"{op.kind} {op.name} never happened", None))
    return tuple(items)


def _instr_item(thread: ir.Thread, instr: ir.Instr) -> Item:
    text = f"{thread.name}: `{first_line(instr.span)}`"
    match instr:
        case ir.AssertInstr():
            return Item("assert", f"{text} never evaluated", instr.span)
        case ir.AwaitInstr():
            return Item("await", f"{text} never passed", instr.span)
        case ir.AtomicInstr(guard=guard) if guard is not None:
            return Item("await", f"{text} never passed", instr.span)
    return Item("statement", f"{text} never executed", instr.span)


def first_line(span: Span) -> str:
    """A statement as people name it: its first line, without a comment or the `{`
    that opens its block."""
    line = span.source.line(span.line)[span.col - 1 :]
    if span.end_line == span.line:
        line = line[: span.end_col - span.col]
    return " ".join(line.split("#")[0].split()).removesuffix("{").rstrip()


def _transition_text(model: ir.Model, tr: ir.Transition) -> str:
    sources = ", ".join(model.state_name(s) for s in sorted(tr.sources))
    target = "same" if tr.target is None else model.state_name(tr.target)
    args = "".join(f"({k}={v})" for k, v in tr.args)
    return f"transition {sources} -> {target} on {tr.op}{args} never fired"
