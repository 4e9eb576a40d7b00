"""The symbolic encoding of a spec's runs into Z3: the only module that imports z3.

A global state is a vector of bit-vectors and Booleans, one per slot of the step
definition (`x@k` is its copy at step k). The moves of `step.py` are translated term by
term; nothing here says what a statement means.

Integers are bit-vectors wide enough that no value reachable within the bound can
overflow (an interval bound over the spec's assignments), so arithmetic is exact.

`Horn` is the same moves posed as constrained Horn clauses over unbounded integers
(the reference semantics' integers do not wrap), solved by Z3's Spacer; its invariants
are checked here with a plain solver before anyone trusts them.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from . import ir
from . import terms as T
from .step import Status, StepDefinition, int_width

__all__ = [
    "Encoding",
    "Horn",
    "Lasso",
    "Unrolling",
    "int_width",
    "is_sat",
    "is_unsat",
    "z3_version",
]
from .terms import Sort

PROPERTY_CODE = {p: k + 1 for k, p in enumerate(ir.PROPERTIES)}
CODE_PROPERTY = {v: k for k, v in PROPERTY_CODE.items()}
VIOL_BITS = 3


def z3_version() -> str:
    return str(z3.get_version_string())


def _bits(n: int) -> int:
    """Bits to hold the values 0..n-1 (at least 1)."""
    return max(1, (max(n, 1) - 1).bit_length())


# --------------------------------------------------------------------------- terms


class Encoding:
    """Z3 sorts for a spec's slots, and the translation of step terms into Z3.

    Integers are signed bit-vectors of `int_width` bits; page states, program counters
    and statuses share one unsigned width; `ok`/`fail` is a Boolean (`ok` is true).
    """

    def __init__(self, definition: StepDefinition, steps: int, ctx: Any) -> None:
        self.definition = definition
        self.ctx = ctx
        self.layout = definition.layout
        self.int_bits = int_width(definition.spec, steps)
        self.enum_bits = _bits(max((s.size for s in self.layout.slots), default=1))

    def fresh(self, tag: str) -> list[Any]:
        """One Z3 variable per slot, named after the spec (`cpu0.pc@3`)."""
        return [
            self._var(f"{slot.name}@{tag}", slot.sort) for slot in self.layout.slots
        ]

    def _var(self, name: str, sort: Sort) -> Any:
        if sort == "int":
            return z3.BitVec(name, self.int_bits, self.ctx)
        if sort == "enum":
            return z3.BitVec(name, self.enum_bits, self.ctx)
        return z3.Bool(name, self.ctx)

    def value(self, value: ir.Value, sort: Sort) -> Any:
        if sort == "int":
            return z3.BitVecVal(int(value), self.int_bits, self.ctx)
        if sort == "enum":
            return z3.BitVecVal(int(value), self.enum_bits, self.ctx)
        if sort == "result":
            return z3.BoolVal(value == "ok", self.ctx)
        return z3.BoolVal(bool(value), self.ctx)

    def values(self, slots: Sequence[ir.Value]) -> list[Any]:
        return [
            self.value(v, slot.sort)
            for v, slot in zip(slots, self.layout.slots, strict=True)
        ]

    def decode(self, model: Any, variables: Sequence[Any]) -> list[ir.Value]:
        """The concrete slot values of `variables` in a Z3 model."""
        out: list[ir.Value] = []
        for x, slot in zip(variables, self.layout.slots, strict=True):
            v = model.eval(x, model_completion=True)
            if slot.sort == "int":
                out.append(int(v.as_signed_long()))
            elif slot.sort == "enum":
                out.append(int(v.as_long()))
            elif slot.sort == "result":
                out.append("ok" if z3.is_true(v) else "fail")
            else:
                out.append(z3.is_true(v))
        return out

    def term(self, term: T.Term, state: Sequence[Any]) -> Any:
        """`term` over the slot variables `state` (a step's terms read the state before
        it)."""
        memo: dict[int, Any] = {}

        def go(t: T.Term) -> Any:
            key = id(t)
            if key in memo:
                return memo[key]
            match t:
                case T.Lit(value, sort):
                    out = self.value(value, sort)
                case T.Read(slot):
                    out = state[slot]
                case T.Not(x):
                    out = z3.Not(go(x))
                case T.And(xs):
                    out = z3.And([go(x) for x in xs], self.ctx)
                case T.Or(xs):
                    out = z3.Or([go(x) for x in xs], self.ctx)
                case T.Ite(c, a, b):
                    out = z3.If(go(c), go(a), go(b))
                case T.Arith(op, a, b):
                    out = go(a) + go(b) if op == "+" else go(a) - go(b)
                case T.Neg(x):
                    out = -go(x)
                case T.Compare(op, a, b):
                    out = _COMPARE[op](go(a), go(b))
                case _:
                    raise AssertionError(t)
            memo[key] = out
            return out

        return go(term)


class IntEncoding(Encoding):
    """The translation with unbounded integers: Z3's `Int` for integers, page states,
    program counters and statuses. Integers never wrap, as in the reference semantics;
    enumerations get no range constraint, so a proof over them covers more states than
    exist, never fewer."""

    def __init__(self, definition: StepDefinition, ctx: Any = None) -> None:
        self.definition = definition
        self.layout = definition.layout
        self.ctx = ctx

    def _var(self, name: str, sort: Sort) -> Any:
        if sort in ("int", "enum"):
            return z3.Int(name, self.ctx)
        return z3.Bool(name, self.ctx)

    def value(self, value: ir.Value, sort: Sort) -> Any:
        if sort in ("int", "enum"):
            return z3.IntVal(int(value), self.ctx)
        if sort == "result":
            return z3.BoolVal(value == "ok", self.ctx)
        return z3.BoolVal(bool(value), self.ctx)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


# --------------------------------------------------------------------------- the unrolling


class Unrolling:
    """Steps 0..k of a spec's runs in one incremental solver.

    Each step picks one move of the step definition with a selector `sel@k`; every
    slot's next value is an if-then-else chain over the moves that change it; a
    violation code per step records which property (if any) the step violated. The
    transition template is built once over placeholder variables and instantiated per
    step with `z3.substitute`. `allow_stutter` adds a move that changes nothing, so
    that "reachable within k steps" is one query at step k.
    """

    def __init__(
        self,
        definition: StepDefinition,
        horizon: int,
        *,
        seed: int = 0,
        allow_stutter: bool = False,
        initial: Sequence[ir.Value],
    ) -> None:
        self.definition = definition
        self.spec = definition.spec
        # Each unrolling has a Z3 context of its own: which model Z3 returns depends
        # on the terms its context has seen, so a check's counterexample must not
        # depend on the checks run before it in the same process.
        self.ctx = z3.Context()
        self.encoding = Encoding(definition, horizon, self.ctx)
        self.solver = _new_solver(self.ctx)
        self.solver.set("random_seed", seed)
        self.allow_stutter = allow_stutter
        self._cur = self._fresh("cur")
        self._nxt = self._fresh("next")
        self._build_template()
        s0 = self._fresh("0")
        self.states: list[list[Any]] = [s0]
        self.selectors: list[Any] = []
        pinned = [*self.encoding.values(initial), self._viol(0)]
        self.solver.add(*[a == b for a, b in zip(s0, pinned, strict=True)])
        self.checks = 0
        self._assumption_ids = itertools.count()
        # translations of terms per step, for `lasso` (keyed by the term's identity,
        # the terms kept alive in `_keep`)
        self._templates: dict[int, Any] = {}
        self._at: dict[tuple[int, int], Any] = {}
        self._obligations: dict[tuple[int, int, bool], Any] = {}
        self._keep: list[T.Term] = []
        self._can_step: dict[int, T.Term] = {}

    def _fresh(self, tag: str) -> list[Any]:
        """The slot variables of one step, and its violation code last."""
        return [
            *self.encoding.fresh(tag),
            z3.BitVec(f"violation@{tag}", VIOL_BITS, self.ctx),
        ]

    # -- template
    def _build_template(self) -> None:
        d, enc = self.definition, self.encoding
        cur, nxt = self._cur, self._nxt
        moves = d.moves
        n = len(moves) + (1 if self.allow_stutter else 0)
        self.sel_bits = _bits(n)
        sel = z3.BitVec("sel@cur", self.sel_bits, self.ctx)
        parts = []
        if n < 2**self.sel_bits:
            parts.append(z3.ULT(sel, z3.BitVecVal(n, self.sel_bits, self.ctx)))
        no_violation = cur[-1] == self._viol(0)
        for m, move in enumerate(moves):
            enabled = enc.term(d.enabled(move), cur)
            parts.append(z3.Implies(sel == m, z3.And(enabled, no_violation)))
        chains: list[Any] = list(cur[:-1])
        for m in reversed(range(len(moves))):
            for slot, term in moves[m].updates:
                chains[slot] = z3.If(sel == m, enc.term(term, cur), chains[slot])
        parts += [new == term for new, term in zip(nxt[:-1], chains, strict=True)]
        step_viol: Any = self._viol(0)
        for m, move in enumerate(moves):
            if move.violation is not None:
                code = self._viol(PROPERTY_CODE[move.violation.prop])
                step_viol = z3.If(sel == m, code, step_viol)
        parts.append(nxt[-1] == self._state_violation(step_viol))
        self.template = z3.And(parts, self.ctx)
        self._pairs_cur = [*cur, sel]

    def _state_violation(self, step_viol: Any) -> Any:
        """The step's own violation, else `never` on the new state, else deadlock."""
        d, enc, nxt = self.definition, self.encoding, self._nxt
        props = self.spec.properties
        result = self._viol(0)
        if "deadlock" in props:
            running = [
                nxt[ts.status] == enc.value(int(Status.RUNNING), "enum")
                for ts in d.layout.threads
            ]
            enabled_next = [enc.term(d.enabled(m), nxt) for m in d.moves]
            stuck = z3.And(
                z3.Or(running, self.ctx), z3.Not(z3.Or(enabled_next, self.ctx))
            )
            result = z3.If(stuck, self._viol(PROPERTY_CODE["deadlock"]), result)
        if "never" in props and d.nevers:
            holds = z3.Or([enc.term(cond, nxt) for cond, _ in d.nevers], self.ctx)
            result = z3.If(holds, self._viol(PROPERTY_CODE["never"]), result)
        return z3.If(step_viol != self._viol(0), step_viol, result)

    # -- unrolling
    @property
    def depth(self) -> int:
        return len(self.states) - 1

    def extend(self) -> None:
        """Add one more step."""
        k = len(self.states)
        new = self._fresh(str(k))
        sel = z3.BitVec(f"sel@{k - 1}", self.sel_bits, self.ctx)
        cur = self.states[-1]
        pairs = list(zip(self._pairs_cur, [*cur, sel], strict=True))
        pairs += list(zip(self._nxt, new, strict=True))
        step = z3.substitute(self.template, *pairs)
        if self.allow_stutter:
            stutter = sel == len(self.definition.moves)
            same = z3.And([a == b for a, b in zip(cur, new, strict=True)], self.ctx)
            step = z3.If(stutter, same, step)
        self.solver.add(step)
        self.states.append(new)
        self.selectors.append(sel)

    def formula_size(self) -> int:
        return _dag_size(self.template) * max(1, self.depth)

    # -- queries
    def check(self, *conditions: Any, timeout_ms: int) -> Any:
        """sat / unsat / unknown for the unrolling plus `conditions` (as assumptions)."""
        self.checks += 1
        self.solver.set("timeout", max(1, timeout_ms))
        lits = []
        for c in conditions:
            lit = z3.Bool(f"assume#{next(self._assumption_ids)}", self.ctx)
            self.solver.add(z3.Implies(lit, c))
            lits.append(lit)
        answer = self.solver.check(*lits)
        if "interrupted from keyboard" in self.reason_unknown():
            raise KeyboardInterrupt  # Z3 catches Ctrl-C itself while it runs
        return answer

    def violation_is(self, k: int, prop: str) -> Any:
        return self.states[k][-1] == self._viol(PROPERTY_CODE[prop])

    def any_violation(self, k: int) -> Any:
        return self.states[k][-1] != self._viol(0)

    def equals_state(self, k: int, slots: Sequence[ir.Value]) -> Any:
        """Step k's state is `slots` (and no violation has happened)."""
        values = [*self.encoding.values(slots), self._viol(0)]
        return z3.And(
            [a == b for a, b in zip(self.states[k], values, strict=True)], self.ctx
        )

    def differs_from(self, k: int, slots: Sequence[ir.Value]) -> Any:
        return z3.Not(self.equals_state(k, slots))

    def differs(self, i: int, j: int) -> Any:
        return z3.Or(
            [a != b for a, b in zip(self.states[i], self.states[j], strict=True)],
            self.ctx,
        )

    def add(self, constraint: Any) -> None:
        self.solver.add(constraint)

    def lasso(self, conditions: Sequence[T.Term], guests: Sequence[int]) -> Lasso:
        """Steps 0..n (n = depth) as a fair lasso: state n is state l for some l <= n,
        no state violates, every guest thread steps in steps l..n or cannot step in
        one of states l..n, and one of `conditions` holds in every state l..n. l = n
        is the empty cycle: state n itself, where the host stays idle."""
        n = self.depth
        tag = next(self._assumption_ids)
        cycle = [z3.Bool(f"cycle@{k}#{tag}", self.ctx) for k in range(n)]
        inside = [*cycle, z3.BoolVal(True, self.ctx)]
        parts = [z3.Not(self.any_violation(n))]
        parts += [z3.Implies(a, b) for a, b in itertools.pairwise(cycle)]
        for k in range(n):
            first = cycle[k] if k == 0 else z3.And(cycle[k], z3.Not(cycle[k - 1]))
            parts.append(z3.Implies(first, self._same(k, n)))
        for u in guests:
            met = [z3.And(inside[k], self._meets(u, k)) for k in range(n + 1)]
            parts.append(z3.Or(met, self.ctx))
        throughout = [
            z3.And(
                [z3.Implies(inside[k], self.at(c, k)) for k in range(n + 1)],
                self.ctx,
            )
            for c in conditions
        ]
        parts.append(z3.Or(throughout, self.ctx))
        return Lasso(z3.And(parts, self.ctx), cycle)

    def _meets(self, u: int, k: int) -> Any:
        """Weak fairness's obligation for guest thread `u` at state k: it cannot
        step there, or (if the unrolling has a step k) it takes step k."""
        stepping = k < self.depth
        key = (u, k, stepping)
        if key not in self._obligations:
            d = self.definition
            moved = [
                self.selectors[k] == m.index
                for m in d.moves
                if m.actor == u and stepping
            ]
            if u not in self._can_step:
                self._can_step[u] = d.can_step(u)
            disabled = z3.Not(self.at(self._can_step[u], k))
            self._obligations[key] = z3.Or(disabled, *moved)
        return self._obligations[key]

    def at(self, term: T.Term, k: int) -> Any:
        """`term` over step k's state: translated once over placeholders, then
        substituted once per step."""
        key = (id(term), k)
        if key not in self._at:
            template = self._templates.get(id(term))
            if template is None:
                template = self.encoding.term(term, self._cur)
                self._templates[id(term)] = template
                self._keep.append(term)
            pairs = list(zip(self._cur, self.states[k], strict=True))
            self._at[key] = z3.substitute(template, *pairs)
        return self._at[key]

    def loop_start(self, lasso: Lasso) -> int:
        """The current model's l: the first state of the lasso's cycle."""
        model = self.solver.model()
        return next(
            (k for k, c in enumerate(lasso.cycle) if z3.is_true(model.eval(c))),
            self.depth,
        )

    def _same(self, i: int, j: int) -> Any:
        return z3.And(
            [a == b for a, b in zip(self.states[i], self.states[j], strict=True)],
            self.ctx,
        )

    def run(self) -> tuple[list[tuple[list[ir.Value], str | None]], list[int]]:
        """The current model's slot values and violation per step, and the move each
        step took (`len(moves)` for a stutter)."""
        model = self.solver.model()

        def code(x: Any) -> int:
            return int(model.eval(x, model_completion=True).as_long())

        states = [
            (self.encoding.decode(model, s[:-1]), CODE_PROPERTY.get(code(s[-1])))
            for s in self.states
        ]
        return states, [code(sel) for sel in self.selectors]

    def reason_unknown(self) -> str:
        return str(self.solver.reason_unknown())

    def _viol(self, code: int) -> Any:
        return z3.BitVecVal(code, VIOL_BITS, self.ctx)


@dataclass(frozen=True, slots=True)
class Lasso:
    """A lasso query on an unrolling: its formula, and `cycle[k]`, whether state k
    lies on the cycle (l <= k <= m holds exactly when `cycle[m]`, for m < n)."""

    formula: Any
    cycle: list[Any]

    def starts_at(self, loop: int) -> list[Any]:
        """Conditions that the cycle's first state is state `loop`."""
        parts = [self.cycle[loop]] if loop < len(self.cycle) else []
        if loop > 0:
            parts.append(z3.Not(self.cycle[loop - 1]))
        return parts


def _dag_size(term: Any) -> int:
    seen: set[int] = set()
    stack = [term]
    while stack:
        t = stack.pop()
        ident = t.get_id()
        if ident in seen:
            continue
        seen.add(ident)
        stack.extend(t.children())
    return len(seen)


def is_sat(answer: Any) -> bool:
    return bool(answer == z3.sat)


def is_unsat(answer: Any) -> bool:
    return bool(answer == z3.unsat)


def _new_solver(ctx: Any) -> Any:
    """QF_FD: an incremental SAT core that keeps its speed with assumptions."""
    logic = os.environ.get("PAGECHECK_Z3_LOGIC", "QF_FD")
    return z3.Solver(ctx=ctx) if logic == "default" else z3.SolverFor(logic, ctx=ctx)


# --------------------------------------------------------------------------- Horn clauses


#: Spacer's configurations worth racing: the default, and proof-obligation
#: simplification with pushing, which is far faster on some specs and diverges on others.
SPACER_CONFIGS: dict[str, dict[str, bool]] = {
    "spacer": {},
    "spacer+pob": {"spacer.simplify_pob": True, "spacer.push_pob": True},
}


class Horn:
    """The spec's reachable states as the least relation `inv` with
    Init(s) => inv(s), inv(s) and Step(s, s') => inv(s'), and the query
    inv(s) and Bad(s): is a violation reachable?

    Step is one disjunction of the moves that do not violate (each: its enabling
    condition, and every slot's next value); Bad holds where a violating move is
    enabled, a `never` condition holds or the state is deadlocked. All terms come from
    the step definition through `IntEncoding`. Each `Horn` lives in its own Z3 context,
    so that several can be solved at once on different threads.
    """

    def __init__(self, definition: StepDefinition) -> None:
        self.definition = definition
        self.ctx = z3.Context()
        self.encoding = IntEncoding(definition, self.ctx)
        self.state = [
            self.encoding._var(slot.name, slot.sort) for slot in definition.layout.slots
        ]
        self.next = [
            self.encoding._var(f"{slot.name}'", slot.sort)
            for slot in definition.layout.slots
        ]
        enc = self.encoding
        self.init = z3.And(
            [
                x == v
                for x, v in zip(self.state, enc.values(definition.initial), strict=True)
            ]
        )
        steps = []
        bad = []
        for move in definition.moves:
            enabled = enc.term(definition.enabled(move), self.state)
            if move.violation is not None:
                bad.append(enabled)
                continue
            after = list(self.state)
            for slot, term in move.updates:
                after[slot] = enc.term(term, self.state)
            same = [n == a for n, a in zip(self.next, after, strict=True)]
            steps.append(z3.And(enabled, *same))
        self.step = z3.Or(steps) if steps else z3.BoolVal(False, self.ctx)
        bad.extend(self._state_bad())
        self.bad = z3.Or(bad) if bad else z3.BoolVal(False, self.ctx)
        self.stop: Callable[[], None] = self.ctx.interrupt

    def _state_bad(self) -> list[Any]:
        """A `never` condition that holds, or a deadlock, in the state."""
        d, enc = self.definition, self.encoding
        props = d.spec.properties
        out = []
        if "never" in props:
            out += [enc.term(cond, self.state) for cond, _ in d.nevers]
        if "deadlock" in props:
            running = [
                self.state[ts.status] == enc.value(int(Status.RUNNING), "enum")
                for ts in d.layout.threads
            ]
            enabled = [enc.term(d.enabled(m), self.state) for m in d.moves]
            out.append(z3.And(z3.Or(running), z3.Not(z3.Or(enabled))))
        return out

    def solve(
        self, config: str, seed: int, timeout_ms: int, trace: str | None = None
    ) -> tuple[str, Any, dict[str, int]]:
        """Spacer's answer: (`safe`, the invariant over `state`, statistics),
        (`violation`, None, ...) or (`unknown`, the reason, ...). Spacer writes its
        progress events (frames, lemmas) to the file `trace` as it works."""
        fp = z3.Fixedpoint(ctx=self.ctx)
        if trace is not None:
            fp.set("spacer.trace_file", trace)
        try:
            return self._solve(fp, config, seed, timeout_ms)
        except z3.Z3Exception as stopped:  # interrupted by `stop`
            return "unknown", str(stopped), {}

    def _solve(
        self, fp: Any, config: str, seed: int, timeout_ms: int
    ) -> tuple[str, Any, dict[str, int]]:
        fp.set(engine="spacer")
        fp.set("spacer.random_seed", seed)
        fp.set("timeout", max(1, timeout_ms))
        for key, value in SPACER_CONFIGS[config].items():
            fp.set(key, value)
        sorts = [x.sort() for x in self.state]
        inv = z3.Function("inv", *sorts, z3.BoolSort(self.ctx))
        err = z3.Function("err", z3.BoolSort(self.ctx))
        fp.register_relation(inv, err)
        fp.declare_var(*self.state, *self.next)
        fp.rule(inv(*self.state), self.init)
        fp.rule(inv(*self.next), [inv(*self.state), self.step])
        fp.rule(err(), [inv(*self.state), self.bad])
        answer = fp.query(err())
        stats = _spacer_stats(fp)
        if answer == z3.unsat:
            cover = fp.get_cover_delta(-1, inv)
            return "safe", z3.substitute_vars(cover, *self.state), stats
        if answer == z3.sat:
            return "violation", None, stats
        return "unknown", fp.reason_unknown(), stats

    def refuted(self, invariant: Any, timeout_ms: int) -> str | None:
        """Which of initiation, consecution and safety `invariant` fails (or cannot be
        shown within the time), None when it is an inductive invariant that excludes
        every violation. Checked by a plain solver, independent of Spacer."""
        after = z3.substitute(invariant, *zip(self.state, self.next, strict=True))
        obligations = (
            ("initiation", [self.init, z3.Not(invariant)]),
            ("consecution", [invariant, self.step, z3.Not(after)]),
            ("safety", [invariant, self.bad]),
        )
        for name, formulas in obligations:
            solver = z3.Solver(ctx=self.ctx)
            solver.set("timeout", max(1, timeout_ms))
            solver.add(*formulas)
            answer = solver.check()
            if answer == z3.sat:
                return f"{name} fails"
            if answer != z3.unsat:
                return f"{name} undecided ({solver.reason_unknown()})"
        return None

    def k_induction(self, max_k: int, timeout_ms: int) -> tuple[str, int]:
        """k-induction with simple-path constraints for k = 0, 1, ... `max_k`:
        (`safe`, k) when no violation is reachable within k steps and no path of
        distinct states that allow none for k steps reaches one that does;
        (`violation`, k) when a state k steps from the start allows one; (`unknown`,
        k) when the time ran out (or `stop` was called) at k, or neither holds up to
        k = `max_k`."""
        deadline = time.monotonic() + timeout_ms / 1000
        path = [self._copy(0)]
        base, step = z3.Solver(ctx=self.ctx), z3.Solver(ctx=self.ctx)
        base.add(self._at(self.init, path[0]))
        for k in range(max_k + 1):
            bad = self._at(self.bad, path[k])
            found = _check(base, deadline, bad)
            if found != z3.unsat:
                return ("violation" if found == z3.sat else "unknown"), k
            proved = _check(step, deadline, bad)
            if proved != z3.sat:
                return ("safe" if proved == z3.unsat else "unknown"), k
            step.add(z3.Not(bad))
            path.append(self._copy(k + 1))
            move = self._at(self.step, path[k], path[k + 1])
            base.add(move)
            step.add(move, *self._differ(path[:-1], path[-1]))
        return "unknown", max_k

    def k_refuted(self, k: int, timeout_ms: int) -> str | None:
        """Which of the base case and the step case of a k-induction proof fails (or
        cannot be shown within the time), None when both hold. Checked by plain
        solvers from nothing, independent of the search that found k."""
        deadline = time.monotonic() + timeout_ms / 1000
        path = [self._copy(i) for i in range(k + 1)]
        moves = [self._at(self.step, a, b) for a, b in itertools.pairwise(path)]
        bads = [self._at(self.bad, s) for s in path]
        distinct = [d for i in range(1, k + 1) for d in self._differ(path[:i], path[i])]
        obligations = (
            ("base case", [self._at(self.init, path[0]), *moves, z3.Or(bads)]),
            ("step case", [*moves, *map(z3.Not, bads[:-1]), bads[-1], *distinct]),
        )
        for name, formulas in obligations:
            answer = _check(z3.Solver(ctx=self.ctx), deadline, *formulas)
            if answer == z3.sat:
                return f"{name} fails"
            if answer != z3.unsat:
                return f"{name} undecided"
        return None

    def _copy(self, i: int) -> list[Any]:
        return [z3.Const(f"{x}@{i}", x.sort()) for x in self.state]

    def _at(self, formula: Any, now: list[Any], then: list[Any] | None = None) -> Any:
        """`formula` over `state` (and `next`) said of `now` (and `then`)."""
        pairs = list(zip(self.state, now, strict=True))
        if then is not None:
            pairs += zip(self.next, then, strict=True)
        return z3.substitute(formula, *pairs)

    @staticmethod
    def _differ(earlier: list[list[Any]], state: list[Any]) -> list[Any]:
        """`state` is none of `earlier`: the simple-path constraint."""
        return [z3.Or([a != b for a, b in zip(e, state, strict=True)]) for e in earlier]

    def k_certificate(self, k: int, title: str) -> str:
        """The certificate of a k-induction proof: no state allows a violation."""
        return self.certificate(z3.Not(self.bad), title, k)

    def certificate(self, invariant: Any, title: str, k: int = 1) -> str:
        """The invariant as SMT-LIB: one constant per slot, named after the spec, and
        a comment per program counter with its source line. With `k` > 1 it is
        k-inductive (over paths without a repeated state) rather than inductive."""
        spec = self.definition.spec
        if k > 1:
            lines = [f"; a {k}-inductive invariant of {title}, checked by pagecheck:"]
            lines.append(
                f"; it holds in the first {k} states of every run, and {k} distinct "
                "consecutive states that satisfy it are followed by one that does; "
                "no state it allows violates"
            )
        else:
            lines = [f"; an inductive invariant of {title}, checked by pagecheck:"]
            lines.append(
                "; it holds initially, every step preserves it, and no state it "
                "allows violates"
            )
        lines.append(";")
        for thread in spec.threads:
            lines.append(f"; {thread.name}.pc:")
            for pc, instr in enumerate(thread.instrs):
                span = instr.span
                lines.append(f";   {pc} = line {span.line}: {span.one_line()}")
            lines.append(f";   {thread.end} = the end of {thread.name}")
        lines.append(";")
        names = ", ".join(
            f"{k} = {spec.model.state_name(k)}"
            for k in range(len(spec.model.guest_states) * len(spec.model.host_states))
        )
        lines.append(f"; page states: {names}")
        for x in self.state:
            lines.append(f"(declare-const {x.sexpr()} {x.sort().sexpr()})")
        lines.append("(define-fun invariant () Bool")
        lines.append("  " + z3.simplify(invariant).sexpr().replace("\n", "\n  "))
        lines.append(")")
        return "\n".join(lines) + "\n"


def _check(solver: Any, deadline: float, *formulas: Any) -> Any:
    solver.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
    return solver.check(*formulas)


def _spacer_stats(fp: Any) -> dict[str, int]:
    """Spacer's frame count and lemma total from its statistics."""
    stats = fp.statistics()
    out = {}
    for k in range(len(stats)):
        key, value = stats[k]
        if key in ("SPACER max depth", "SPACER num lemmas", "SPACER num queries"):
            out[key.removeprefix("SPACER ").replace(" ", "_")] = int(value)
    return out
