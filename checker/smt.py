"""The symbolic encoding of a spec's runs into Z3: the only module that imports z3.

A global state is a vector of bit-vectors and Booleans (`x@k` is its copy at step k).
Each possible step is a *move*: one path through one instruction of one thread at one
pc (forking at transition choices, branches, asserts and silent-loss checks, so that a
violation ends its step exactly where the concrete semantics stops), or one host action
on one page by one transition. The step relation picks a move with a selector `sel@k`;
every state variable is an if-then-else chain over the moves that change it. The
transition template is built once over placeholder variables and instantiated per step
with `z3.substitute`.

Integers are bit-vectors wide enough that no value reachable within the bound can
overflow (an interval bound over the spec's assignments), so arithmetic is exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import z3

from . import ir
from .semantics import HOST, GlobalState, PageVal, Status, ThreadVal

PROPERTY_CODE = {p: k + 1 for k, p in enumerate(ir.PROPERTIES)}
CODE_PROPERTY = {v: k for k, v in PROPERTY_CODE.items()}
VIOL_BITS = 3


def z3_version() -> str:
    return str(z3.get_version_string())


def _bits(n: int) -> int:
    """Bits to hold the values 0..n-1 (at least 1)."""
    return max(1, (max(n, 1) - 1).bit_length())


# --------------------------------------------------------------------------- widths


def int_width(spec: ir.Spec, steps: int) -> int:
    """A signed width that holds every integer a run of `steps` steps can produce."""
    consts = [1]
    consts += [abs(p.data) for p in spec.pages] + [abs(v.value) for v in spec.vars]

    def visit(e: ir.Expr) -> None:
        match e:
            case ir.Const(value, "int"):
                consts.append(abs(int(value)))
            case ir.Not(x) | ir.Neg(x):
                visit(x)
            case ir.BoolOp(_, a, b) | ir.Arith(_, a, b) | ir.Compare(_, a, b):
                visit(a)
                visit(b)
            case ir.Member(x, items):
                visit(x)
                for i in items:
                    visit(i)

    writers: list[ir.Expr] = []
    per_step = 1
    for thread in spec.threads:
        for instr in thread.instrs:
            for e in _instr_exprs(instr):
                visit(e)
            if isinstance(instr, ir.AssignInstr) and _is_int_target(
                thread, instr.target
            ):
                writers.append(instr.value)
            if isinstance(instr, ir.OpInstr) and instr.value is not None:
                writers.append(instr.value)
        per_step = max(
            per_step,
            sum(1 for i in thread.instrs if isinstance(i, ir.AssignInstr | ir.OpInstr)),
        )
    for n in spec.nevers:
        visit(n.cond)
    magnitude = max(consts)

    def bound_of(e: ir.Expr, m: int) -> int:
        match e:
            case ir.Const(value):
                return abs(int(value))
            case ir.LocalRef() | ir.VarRef():
                return m
            case ir.Neg(x):
                return bound_of(x, m)
            case ir.Arith(_, a, b):
                return bound_of(a, m) + bound_of(b, m)
        return m

    for _ in range(steps * per_step if writers else 0):
        grown = max((bound_of(e, magnitude) for e in writers), default=magnitude)
        if grown <= magnitude:
            break
        magnitude = grown
    return magnitude.bit_length() + 2


def _is_int_target(thread: ir.Thread, target: ir.Target) -> bool:
    if isinstance(target, ir.VarTarget):
        return True
    return thread.locals[target.slot][1] == "int"


def _instr_exprs(instr: ir.Instr) -> Iterator[ir.Expr]:
    match instr:
        case ir.AssignInstr(_, value):
            yield value
        case ir.AssertInstr(cond) | ir.AwaitInstr(cond) | ir.BranchInstr(_, cond):
            yield cond
        case ir.OpInstr(value=value) if value is not None:
            yield value
        case ir.AtomicInstr(guard=guard) if guard is not None:
            yield guard


# --------------------------------------------------------------------------- state vectors


@dataclass
class SymPage:
    state: Any
    flags: list[Any]
    data: Any
    valid: Any
    warned: Any


@dataclass
class SymThread:
    pc: Any
    status: Any
    locals: list[Any]


@dataclass
class SymState:
    """One copy of the state variables (or terms over them)."""

    pages: list[SymPage]
    vars: list[Any]
    threads: list[SymThread]
    viol: Any

    def leaves(self) -> list[Any]:
        out: list[Any] = []
        for p in self.pages:
            out += [p.state, *p.flags, p.data, p.valid, p.warned]
        out += self.vars
        for t in self.threads:
            out += [t.pc, t.status, *t.locals]
        out.append(self.viol)
        return out


class Layout:
    """Sorts and widths of every state variable of one spec."""

    def __init__(self, spec: ir.Spec, steps: int) -> None:
        self.spec = spec
        self.model = spec.model
        self.int_bits = int_width(spec, steps)
        self.state_bits = _bits(
            len(self.model.guest_states) * len(self.model.host_states)
        )
        self.pc_bits = [_bits(t.end + 1) for t in spec.threads]

    def int_val(self, v: int) -> Any:
        return z3.BitVecVal(v, self.int_bits)

    def state_val(self, v: int) -> Any:
        return z3.BitVecVal(v, self.state_bits)

    def fresh(self, tag: str) -> SymState:
        spec = self.spec
        pages = [
            SymPage(
                z3.BitVec(f"{p.name}.state@{tag}", self.state_bits),
                [z3.Bool(f"{p.name}.{f}@{tag}") for f in self.model.flags],
                z3.BitVec(f"{p.name}.data@{tag}", self.int_bits),
                z3.Bool(f"{p.name}.valid@{tag}"),
                z3.Bool(f"{p.name}.warned@{tag}"),
            )
            for p in spec.pages
        ]
        vars_ = [z3.BitVec(f"{v.name}@{tag}", self.int_bits) for v in spec.vars]
        threads = [
            SymThread(
                z3.BitVec(f"{t.name}.pc@{tag}", self.pc_bits[k]),
                z3.BitVec(f"{t.name}.status@{tag}", 2),
                [self._local(f"{t.name}.{name}@{tag}", ty) for name, ty in t.locals],
            )
            for k, t in enumerate(spec.threads)
        ]
        return SymState(pages, vars_, threads, z3.BitVec(f"violation@{tag}", VIOL_BITS))

    def _local(self, name: str, ty: ir.ValueType) -> Any:
        if ty == "int":
            return z3.BitVec(name, self.int_bits)
        if ty == "state":
            return z3.BitVec(name, self.state_bits)
        return z3.Bool(name)

    def value(self, v: ir.Value, ty: ir.ValueType) -> Any:
        if ty == "int":
            return self.int_val(int(v))
        if ty == "state":
            return self.state_val(int(v))
        if ty == "result":
            return z3.BoolVal(v == "ok")
        return z3.BoolVal(bool(v))

    def concrete(self, state: GlobalState) -> list[Any]:
        """Equalities pinning a symbolic copy to a concrete state, in `leaves` order."""
        out: list[Any] = []
        nflags = len(self.model.flags)
        for pv in state.pages:
            out += [self.state_val(pv.state)]
            out += [z3.BoolVal(bool(pv.flags >> f & 1)) for f in range(nflags)]
            out += [self.int_val(pv.data), z3.BoolVal(pv.valid), z3.BoolVal(pv.warned)]
        out += [self.int_val(v) for v in state.vars]
        for k, tv in enumerate(state.threads):
            out += [z3.BitVecVal(tv.pc, self.pc_bits[k]), z3.BitVecVal(tv.status, 2)]
            out += [
                self.value(v, ty)
                for v, (_, ty) in zip(
                    tv.locals, self.spec.threads[k].locals, strict=True
                )
            ]
        out.append(z3.BitVecVal(0, VIOL_BITS))
        return out

    def decode(self, model: Any, sym: SymState) -> tuple[GlobalState, str | None]:
        def ev(x: Any) -> Any:
            return model.eval(x, model_completion=True)

        def signed(x: Any) -> int:
            return int(ev(x).as_signed_long())

        pages = tuple(
            PageVal(
                ev(p.state).as_long(),
                sum(1 << f for f, b in enumerate(p.flags) if z3.is_true(ev(b))),
                signed(p.data),
                z3.is_true(ev(p.valid)),
                z3.is_true(ev(p.warned)),
            )
            for p in sym.pages
        )
        vars_ = tuple(signed(v) for v in sym.vars)
        threads = []
        for k, t in enumerate(sym.threads):
            locals_: list[ir.Value] = []
            for x, (_, ty) in zip(t.locals, self.spec.threads[k].locals, strict=True):
                if ty == "int":
                    locals_.append(signed(x))
                elif ty == "state":
                    locals_.append(ev(x).as_long())
                elif ty == "result":
                    locals_.append("ok" if z3.is_true(ev(x)) else "fail")
                else:
                    locals_.append(z3.is_true(ev(x)))
            threads.append(
                ThreadVal(ev(t.pc).as_long(), ev(t.status).as_long(), tuple(locals_))
            )
        code = ev(sym.viol).as_long()
        return GlobalState(pages, vars_, tuple(threads)), CODE_PROPERTY.get(code)


# --------------------------------------------------------------------------- moves


@dataclass
class _Path:
    """A symbolic execution path within one step."""

    pages: list[SymPage]
    vars: list[Any]
    locals: list[Any]
    pc: int
    status: int
    viol: int = 0
    conds: list[Any] = field(default_factory=list)

    def fork(self) -> _Path:
        return _Path(
            [
                SymPage(p.state, list(p.flags), p.data, p.valid, p.warned)
                for p in self.pages
            ],
            list(self.vars),
            list(self.locals),
            self.pc,
            self.status,
            self.viol,
            list(self.conds),
        )


@dataclass(frozen=True)
class Move:
    actor: int
    enabled: Any  # over the current state, without the "no violation yet" conjunct
    updates: dict[int, Any]  # leaf index -> new term
    viol: int


class _Executor:
    """Symbolic twin of `semantics.Semantics`: the same statements, over Z3 terms."""

    def __init__(self, layout: Layout, cur: SymState) -> None:
        self.L = layout
        self.spec = layout.spec
        self.model = layout.model
        self.props = self.spec.properties
        self.cur = cur
        nh = len(self.model.host_states)
        self._lost = [s.index for s in self.model.states if s.host.lost]
        self._unused = [s.index for s in self.model.states if s.guest.unused]
        self._nh = nh

    def is_lost(self, state: Any) -> Any:
        return (
            z3.Or([state == self.L.state_val(i) for i in self._lost])
            if self._lost
            else z3.BoolVal(False)
        )

    def is_unused(self, state: Any) -> Any:
        return (
            z3.Or([state == self.L.state_val(i) for i in self._unused])
            if self._unused
            else z3.BoolVal(False)
        )

    # -- expressions
    def expr(
        self,
        e: ir.Expr,
        path: _Path,
        tells: list[tuple[int, Any]] | None,
        when: Any = None,
    ) -> Any:
        L = self.L
        match e:
            case ir.Const(value, ty):
                return L.value(value, ty)
            case ir.LocalRef(slot):
                return path.locals[slot]
            case ir.VarRef(index):
                return path.vars[index]
            case ir.StateOf(page):
                if tells is not None:
                    tells.append((page, when if when is not None else z3.BoolVal(True)))
                return path.pages[page].state
            case ir.FlagOf(page, flag):
                return path.pages[page].flags[flag]
            case ir.Not(x):
                return z3.Not(self.expr(x, path, tells, when))
            case ir.Neg(x):
                return -self.expr(x, path, tells, when)
            case ir.BoolOp(op, a, b):
                left = self.expr(a, path, tells, when)
                guard = left if op == "and" else z3.Not(left)
                right_when = guard if when is None else z3.And(when, guard)
                right = self.expr(b, path, tells, right_when)
                return z3.And(left, right) if op == "and" else z3.Or(left, right)
            case ir.Arith(op, a, b):
                x, y = self.expr(a, path, tells, when), self.expr(b, path, tells, when)
                return x + y if op == "+" else x - y
            case ir.Compare(op, a, b):
                x, y = self.expr(a, path, tells, when), self.expr(b, path, tells, when)
                return {
                    "==": lambda: x == y,
                    "!=": lambda: x != y,
                    "<": lambda: x < y,
                    "<=": lambda: x <= y,
                    ">": lambda: x > y,
                    ">=": lambda: x >= y,
                }[op]()
            case ir.Member(x, items):
                v = self.expr(x, path, tells, when)
                return z3.Or([v == self.expr(i, path, tells, when) for i in items])
        raise AssertionError(e)

    def tell(
        self, path: _Path, thread: ir.Thread, tells: list[tuple[int, Any]]
    ) -> None:
        if thread.is_host:
            return
        for page, when in tells:
            p = path.pages[page]
            p.warned = z3.Or(p.warned, z3.And(when, self.is_lost(p.state)))

    def cond(self, e: ir.Expr, path: _Path, thread: ir.Thread) -> Any:
        tells: list[tuple[int, Any]] = []
        c = self.expr(e, path, tells)
        self.tell(path, thread, tells)
        return c

    # -- thread steps
    def thread_paths(self, t: int, pc: int) -> list[_Path]:
        thread = self.spec.threads[t]
        tv = self.cur.threads[t]
        start = _Path(
            self.cur.pages, self.cur.vars, tv.locals, pc, int(Status.RUNNING)
        ).fork()
        instr = thread.instrs[pc]
        if isinstance(instr, ir.AwaitInstr):
            holds = self.cond(instr.cond, start, thread)
            start.conds.append(holds)
            start.pc = instr.next
            return [self._settle(start, thread)]
        if isinstance(instr, ir.AtomicInstr):
            if instr.guard is not None:
                start.conds.append(self.cond(instr.guard, start, thread))
            start.pc = instr.entry
            return [
                self._settle(p, thread)
                for p in self._run_atomic(start, t, thread, instr.next)
            ]
        return [self._settle(p, thread) for p in self._exec(start, t, thread, instr)]

    @staticmethod
    def _settle(path: _Path, thread: ir.Thread) -> _Path:
        if path.status == Status.RUNNING and path.pc == thread.end:
            path.status = int(Status.DONE)
        return path

    def _run_atomic(
        self, path: _Path, t: int, thread: ir.Thread, exit_pc: int
    ) -> list[_Path]:
        if path.pc == exit_pc or path.viol or path.status != Status.RUNNING:
            return [path]
        out = []
        for nxt in self._exec(path, t, thread, thread.instrs[path.pc]):
            out.extend(self._run_atomic(nxt, t, thread, exit_pc))
        return out

    def _exec(
        self, path: _Path, t: int, thread: ir.Thread, instr: ir.Instr
    ) -> list[_Path]:
        match instr:
            case ir.AssignInstr(target, value, nxt):
                v = self.cond(value, path, thread)
                self._store(path, target, v)
                path.pc = nxt
                return [path]
            case ir.AssertInstr(cond, _, nxt):
                c = self.cond(cond, path, thread)
                path.pc = nxt
                if "assertion" not in self.props:
                    return [path]
                bad = path.fork()
                path.conds.append(c)
                bad.conds.append(z3.Not(c))
                bad.viol = PROPERTY_CODE["assertion"]
                return [path, bad]
            case ir.BranchInstr(_, cond, then, orelse):
                c = self.cond(cond, path, thread)
                other = path.fork()
                path.conds.append(c)
                path.pc = then
                other.conds.append(z3.Not(c))
                other.pc = orelse
                return [path, other]
            case ir.OpInstr():
                return self._exec_op(path, t, thread, instr)
        raise AssertionError(instr)

    def _store(self, path: _Path, target: ir.Target, value: Any) -> None:
        if isinstance(target, ir.LocalTarget):
            path.locals[target.slot] = value
        else:
            path.vars[target.index] = value

    def _candidates(self, op: str, args: dict[str, int] | None) -> list[ir.Transition]:
        """Transitions of `op` whose arguments can match (`None`: any argument values)."""
        return [
            tr
            for tr in self.model.transitions
            if tr.op == op
            and (args is None or all(args.get(k) == v for k, v in tr.args))
        ]

    def _match_cond(self, tr: ir.Transition, page: SymPage) -> Any:
        in_source = z3.Or(
            [page.state == self.L.state_val(s) for s in sorted(tr.sources)]
        )
        return z3.And(in_source, self._guard(tr.guard, page))

    def _guard(self, g: ir.Guard | None, page: SymPage) -> Any:
        match g:
            case None:
                return z3.BoolVal(True)
            case ir.GuardFlag(flag):
                return page.flags[flag]
            case ir.GuardConst(value):
                return z3.BoolVal(value)
            case ir.GuardNot(x):
                return z3.Not(self._guard(x, page))
            case ir.GuardAnd(a, b):
                return z3.And(self._guard(a, page), self._guard(b, page))
            case ir.GuardOr(a, b):
                return z3.Or(self._guard(a, page), self._guard(b, page))
        raise AssertionError(g)

    def _exec_op(
        self, path: _Path, t: int, thread: ir.Thread, instr: ir.OpInstr
    ) -> list[_Path]:
        value = None
        if instr.value is not None:
            value = self.cond(instr.value, path, thread)
        page = path.pages[instr.page]
        candidates = self._candidates(instr.op.name, dict(instr.args))
        conds = [self._match_cond(tr, page) for tr in candidates]
        out = []
        for tr, c in zip(candidates, conds, strict=True):
            branch = path.fork()
            branch.conds.append(c)
            out.extend(self._apply(branch, instr.page, tr, instr, value, thread))
        if not thread.is_host:
            undefined = path.fork()
            undefined.conds.append(z3.Not(z3.Or(conds)) if conds else z3.BoolVal(True))
            if "undefined" in self.props:
                undefined.viol = PROPERTY_CODE["undefined"]
            else:
                undefined.status = int(Status.STUCK)
            out.append(undefined)
        return out

    def host_paths(self, move: ir.HostMove) -> list[_Path]:
        out = []
        for tr in self._candidates(move.op, None):
            path = _Path(
                self.cur.pages, self.cur.vars, [], 0, int(Status.RUNNING)
            ).fork()
            path.conds.append(self._match_cond(tr, path.pages[move.page]))
            out.extend(self._apply(path, move.page, tr, None, None, None))
        return out

    def _apply(
        self,
        path: _Path,
        page_index: int,
        tr: ir.Transition,
        instr: ir.OpInstr | None,
        value: Any,
        thread: ir.Thread | None,
    ) -> list[_Path]:
        """Mirrors `Semantics._apply_transition`; forks where a violation may occur."""
        L = self.L
        op = self.model.op(tr.op)
        page = path.pages[page_index]
        before = page.state
        after = L.state_val(tr.target) if tr.target is not None else before
        valid, warned = page.valid, page.warned
        if tr.target is not None and self.model.is_lost(tr.target):
            discard = z3.Not(self.is_lost(before))
            valid = z3.If(discard, z3.BoolVal(False), valid)
            warned = z3.If(
                discard, z3.Or(self.is_unused(before), self.is_unused(after)), warned
            )
        flags = _set_clear(page.flags, tr.sets, tr.clears)
        guest = thread is not None and not thread.is_host
        result: Any = None
        if tr.fail:
            result = z3.BoolVal(False)
            if guest:
                warned = z3.BoolVal(True)
        elif tr.fault:
            if guest:
                warned = z3.BoolVal(True)
        elif op.kind == "call":
            result = z3.BoolVal(True)
        completed = not tr.fault
        data = page.data
        paths = [path]
        if tr.fault and "fault" in self.props:
            path.viol = PROPERTY_CODE["fault"]
        if completed and op.kind == "access":
            if op.is_write:
                lost_write = z3.And(z3.Not(valid), z3.Not(warned))
                if "silent-loss" in self.props:
                    bad = path.fork()
                    bad.conds.append(lost_write)
                    bad.viol = PROPERTY_CODE["silent-loss"]
                    path.conds.append(z3.Not(lost_write))
                    paths.append(bad)
                data = value if value is not None else L.int_val(0)
                valid = z3.BoolVal(True)
            else:
                result = z3.If(valid, data, L.int_val(0))
                if "silent-loss" in self.props:
                    bad = path.fork()
                    bad.conds.append(z3.Not(valid))
                    bad.viol = PROPERTY_CODE["silent-loss"]
                    path.conds.append(valid)
                    paths.append(bad)
        if completed:
            flags = _set_clear(flags, op.sets, op.clears)
        for p in paths:
            p.pages[page_index] = SymPage(after, list(flags), data, valid, warned)
            if instr is None:
                continue
            if instr.target is not None and completed and result is not None:
                self._store(p, instr.target, result)
            if tr.fault:
                if instr.handler is not None:
                    p.pc = instr.handler
                else:
                    p.status = int(Status.FAULTED)
            else:
                p.pc = instr.next
        return paths


# --------------------------------------------------------------------------- the unrolling


class Unrolling:
    """Steps 0..k of a spec's runs in one incremental solver.

    `allow_stutter` adds a move that changes nothing, so that "reachable within k
    steps" is one query at step k.
    """

    def __init__(
        self,
        spec: ir.Spec,
        horizon: int,
        *,
        seed: int = 0,
        allow_stutter: bool = False,
        initial: GlobalState,
    ) -> None:
        self.spec = spec
        self.layout = Layout(spec, horizon)
        self.solver = _new_solver()
        self.solver.set("random_seed", seed)
        self.allow_stutter = allow_stutter
        self._cur = self.layout.fresh("cur")
        self._nxt = self.layout.fresh("next")
        self._build_template()
        s0 = self.layout.fresh("0")
        self.states: list[SymState] = [s0]
        self.selectors: list[Any] = []
        self.solver.add(
            *[
                a == b
                for a, b in zip(s0.leaves(), self.layout.concrete(initial), strict=True)
            ]
        )
        self.checks = 0
        self._assumption_ids = itertools.count()

    # -- template
    def _build_template(self) -> None:
        spec, L = self.spec, self.layout
        ex = _Executor(L, self._cur)
        cur_leaves = self._cur.leaves()
        moves: list[Move] = []
        for t, thread in enumerate(spec.threads):
            tv = self._cur.threads[t]
            for pc in range(thread.end):
                at = z3.And(
                    tv.pc == z3.BitVecVal(pc, L.pc_bits[t]),
                    tv.status == z3.BitVecVal(int(Status.RUNNING), 2),
                )
                for path in ex.thread_paths(t, pc):
                    moves.append(self._move(t, at, path, cur_leaves, thread_index=t))
        for hm in spec.host_moves:
            for path in ex.host_paths(hm):
                moves.append(
                    self._move(
                        HOST,
                        z3.BoolVal(True),
                        path,
                        cur_leaves,
                        thread_index=None,
                    )
                )
        self.moves = moves
        n = len(moves) + (1 if self.allow_stutter else 0)
        self.sel_bits = _bits(n)
        sel = z3.BitVec("sel@cur", self.sel_bits)
        self._sel = sel
        no_violation = self._cur.viol == z3.BitVecVal(0, VIOL_BITS)
        parts = (
            [z3.ULT(sel, z3.BitVecVal(n, self.sel_bits))]
            if n < 2**self.sel_bits
            else []
        )
        for m, move in enumerate(moves):
            parts.append(z3.Implies(sel == m, z3.And(move.enabled, no_violation)))
        nxt_leaves = self._nxt.leaves()
        viol_index = len(cur_leaves) - 1
        for i, (old, new) in enumerate(zip(cur_leaves, nxt_leaves, strict=True)):
            if i == viol_index:
                continue
            term = old
            for m, move in enumerate(moves):
                if i in move.updates:
                    term = z3.If(sel == m, move.updates[i], term)
            parts.append(new == term)
        step_viol: Any = z3.BitVecVal(0, VIOL_BITS)
        for m, move in enumerate(moves):
            if move.viol:
                step_viol = z3.If(
                    sel == m, z3.BitVecVal(move.viol, VIOL_BITS), step_viol
                )
        parts.append(nxt_leaves[viol_index] == self._state_violation(step_viol))
        self.template = z3.And(parts)
        self._pairs_cur = [*cur_leaves, sel]

    def _move(
        self,
        actor: int,
        at: Any,
        path: _Path,
        cur_leaves: list[Any],
        *,
        thread_index: int | None,
    ) -> Move:
        L = self.layout
        spec = self.spec
        new = SymState(
            path.pages,
            path.vars,
            [SymThread(t.pc, t.status, list(t.locals)) for t in self._cur.threads],
            self._cur.viol,
        )
        if thread_index is not None:
            new.threads[thread_index] = SymThread(
                z3.BitVecVal(path.pc, L.pc_bits[thread_index]),
                z3.BitVecVal(path.status, 2),
                path.locals,
            )
        updates = {}
        for i, (old, term) in enumerate(zip(cur_leaves, new.leaves(), strict=True)):
            if not term.eq(old):
                simplified = z3.simplify(term)
                if not simplified.eq(old):
                    updates[i] = simplified
        enabled = z3.simplify(z3.And(at, *path.conds)) if path.conds else at
        _ = spec
        return Move(actor, enabled, updates, path.viol)

    def _state_violation(self, step_viol: Any) -> Any:
        """The step's own violation, else `never` on the new state, else deadlock."""
        spec, L = self.spec, self.layout
        result = z3.BitVecVal(0, VIOL_BITS)
        nxt = self._nxt
        if "deadlock" in spec.properties:
            pairs = list(zip(self._cur.leaves(), nxt.leaves(), strict=True))
            enabled_next = [z3.substitute(m.enabled, *pairs) for m in self.moves]
            running = (
                z3.Or(
                    [
                        t.status == z3.BitVecVal(int(Status.RUNNING), 2)
                        for t in nxt.threads
                    ]
                )
                if nxt.threads
                else z3.BoolVal(False)
            )
            stuck = (
                z3.And(running, z3.Not(z3.Or(enabled_next)))
                if enabled_next
                else running
            )
            result = z3.If(
                stuck, z3.BitVecVal(PROPERTY_CODE["deadlock"], VIOL_BITS), result
            )
        if "never" in spec.properties and spec.nevers:
            probe = _Path(nxt.pages, nxt.vars, [], 0, 0)
            ex = _Executor(L, nxt)
            holds = z3.Or([ex.expr(n.cond, probe, None) for n in spec.nevers])
            result = z3.If(
                holds, z3.BitVecVal(PROPERTY_CODE["never"], VIOL_BITS), result
            )
        return z3.If(step_viol != z3.BitVecVal(0, VIOL_BITS), step_viol, result)

    # -- unrolling
    @property
    def depth(self) -> int:
        return len(self.states) - 1

    def extend(self) -> None:
        """Add one more step."""
        k = len(self.states)
        new = self.layout.fresh(str(k))
        sel = z3.BitVec(f"sel@{k - 1}", self.sel_bits)
        cur = self.states[-1]
        pairs = list(zip(self._pairs_cur, [*cur.leaves(), sel], strict=True))
        pairs += list(zip(self._nxt.leaves(), new.leaves(), strict=True))
        step = z3.substitute(self.template, *pairs)
        if self.allow_stutter:
            stutter = sel == len(self.moves)
            same = z3.And(
                [a == b for a, b in zip(cur.leaves(), new.leaves(), strict=True)]
            )
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
        if not conditions:
            return self.solver.check()
        lits = []
        for c in conditions:
            lit = z3.Bool(f"assume#{next(self._assumption_ids)}")
            self.solver.add(z3.Implies(lit, c))
            lits.append(lit)
        return self.solver.check(*lits)

    def violation_is(self, k: int, prop: str) -> Any:
        return self.states[k].viol == z3.BitVecVal(PROPERTY_CODE[prop], VIOL_BITS)

    def any_violation(self, k: int) -> Any:
        return self.states[k].viol != z3.BitVecVal(0, VIOL_BITS)

    def no_violation(self, k: int) -> Any:
        return self.states[k].viol == z3.BitVecVal(0, VIOL_BITS)

    def equals_state(self, k: int, state: GlobalState) -> Any:
        return z3.And(
            [
                a == b
                for a, b in zip(
                    self.states[k].leaves(), self.layout.concrete(state), strict=True
                )
            ]
        )

    def differs_from(self, k: int, state: GlobalState) -> Any:
        return z3.Not(self.equals_state(k, state))

    def differs(self, i: int, j: int) -> Any:
        return z3.Or(
            [
                a != b
                for a, b in zip(
                    self.states[i].leaves(), self.states[j].leaves(), strict=True
                )
            ]
        )

    def add(self, constraint: Any) -> None:
        self.solver.add(constraint)

    def run(self) -> tuple[list[tuple[GlobalState, str | None]], list[int]]:
        """The current model's states and the actor of each step."""
        model = self.solver.model()
        states = [self.layout.decode(model, s) for s in self.states]
        actors = []
        for sel in self.selectors:
            m = model.eval(sel, model_completion=True).as_long()
            actors.append(self.moves[m].actor if m < len(self.moves) else HOST - 1)
        return states, actors

    def reason_unknown(self) -> str:
        return str(self.solver.reason_unknown())


def _set_clear(flags: list[Any], sets: int, clears: int) -> list[Any]:
    """Flags after `sets` then `clears` (bit masks), as `(flags | sets) & ~clears`."""
    return [
        z3.BoolVal(False)
        if clears >> f & 1
        else z3.BoolVal(True)
        if sets >> f & 1
        else b
        for f, b in enumerate(flags)
    ]


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


SAT, UNSAT = z3.sat, z3.unsat


def is_sat(answer: Any) -> bool:
    return bool(answer == z3.sat)


def is_unsat(answer: Any) -> bool:
    return bool(answer == z3.unsat)


__all__ = ["Layout", "Unrolling", "int_width", "is_sat", "is_unsat", "z3_version"]


def _new_solver() -> Any:
    """QF_FD: an incremental SAT core that keeps its speed with assumptions (peers.md 4.3)."""
    import os

    logic = os.environ.get("PAGECHECK_Z3_LOGIC", "QF_FD")
    return z3.Solver() if logic == "default" else z3.SolverFor(logic)
