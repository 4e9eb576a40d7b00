"""Promela translations of the benchmark specs, for running Spin on the same scenarios.

`translate(spec)` turns a checked spec (`checker.ir.Spec`, what both engines read) into
Promela; `family_promela(family, n)` does it for the spec that `benchmarks/families.py`
writes for that family and size, so the Promela is generated from the family's
parameters through the very text pagecheck checks, never written by hand per N.

The translation keeps pagecheck's steps (language reference, section 3) as Spin's
atomic steps:

- **Pages.** Each page `p` is five global variables: `pg_p_st` (the page state, a byte
  holding the model's state index; `st_Sr` and the like are `#define`d), one `bool`
  per model flag (`pg_p_dirty`), `pg_p_data` (an `int`), `pg_p_valid` and
  `pg_p_warned`, with the spec's initial values. Shared variables are `int v_NAME`.
- **Threads.** Each guest thread is an `active proctype t_NAME` with its locals
  (`l_NAME`: `int`, `bool`, or a `byte` for `ok`/`fail` results, `RES_OK` = 0 being
  their initial value as in pagecheck). Its instructions come out in program order,
  with a label `L<pc>` where a jump lands and `goto` where control does not fall
  through (Spin folds jumps into the transitions, so they add no steps). An
  assignment, `assert`, `await` (a condition statement, which blocks until true) and
  the condition of an `if`/`while` are one Promela statement each, as they are one
  pagecheck step each. An `atomic` block is one Promela `atomic { ... }`, its leading
  `await` being the guard that makes the block executable.
- **Page operations.** A guest op is one `atomic { if :: ... fi }` that looks up the
  model's transition table as pagecheck does: one option per (transition, source
  state) whose op and arguments match, guarded by the page's state and the
  transition's flag guard; several enabled options are Spin's nondeterministic
  choice, as several matching transitions are pagecheck's. Each option applies, in
  pagecheck's order: the new state; the discard (`valid = false` and `warned` = the
  source or the target guest state is `unused`) when the target host state is `lost`
  and the source's is not; the transition's flag `set`/`clear`; its result (`fail` or
  `fault` tell the guest: `warned = true`); then, for a completed access, the
  silent-loss check (`assert(pg_p_valid)` on a read, `assert(pg_p_valid ||
  pg_p_warned)` on a write), the read's value (`data` if valid, else 0) or the write
  (`data = v; valid = true`) and the access's own `sets`/`clears` (write sets
  `dirty`). A fault jumps to the access's handler, or, without one, to the thread's
  end (status `faulted`). No matching transition is the `else` option:
  `assert(model_defines_op)` (a hidden byte that is always 0; its name is what pan
  prints), the `undefined` property. A scripted host thread's ops have no `else`, so
  they wait until the model enables them, as in pagecheck.
- **Chaotic host.** One `active proctype chaotic_host` loops (`end: do ... od`, a valid
  end state) over one `atomic` option per allowed host action on each page, per
  transition and source state of that action: swap and discard on every page, exactly
  when the model enables them.
- **Properties** are `assert`s: the spec's asserts, the silent-loss checks above,
  `model_defines_op` for `undefined`, and `no_fault` for `check fault`. `pan` prints
  the failed assertion's text; `Translation.properties` maps that text back to the
  property. The `deadlock` property is pan's invalid end states (run without `-E`
  when `Translation.deadlock` is true).

Not translated (the families do not use them; `translate` raises `NotTranslatable`):
`never` conditions, and `state(p)` read by a guest thread, whose side effect (a guest
that sees a lost state has been told of the loss) would need the short-circuit order of
the evaluation.

Step counts differ from pagecheck's all the same: Spin merges purely local statements
and counts a process's exit as a step, so a Spin depth is Spin's own.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/ first
    sys.path.insert(0, str(ROOT))

from benchmarks.families import example_path_name, spec_text  # noqa: E402
from checker import ir  # noqa: E402

MODELS_DIR = ROOT / "models"

UNDEFINED_MARK = "model_defines_op"
FAULT_MARK = "no_fault"
RESULTS = {"ok": "RES_OK", "fail": "RES_FAIL"}


class NotTranslatable(Exception):
    """The spec uses a construct this translation does not cover."""


@dataclass(frozen=True)
class Translation:
    text: str
    properties: dict[str, str] = field(default_factory=dict)
    """Assertion text, normalised by `assertion_key`, to the property it checks."""
    deadlock: bool = False
    """The spec checks `deadlock`: run pan without `-E`."""

    def property_of(self, assertion: str) -> str:
        """The property of an assertion as pan prints it (`assertion` by default)."""
        return self.properties.get(assertion_key(assertion), "assertion")


def assertion_key(text: str) -> str:
    """An assertion's text without spaces and parentheses (pan adds parentheses)."""
    return re.sub(r"[\s()]", "", text)


def family_promela(family: str, n: int) -> Translation:
    """The Promela of the spec that `families.spec_text(family, n)` writes."""
    from checker.load import load_spec

    with tempfile.TemporaryDirectory(prefix="pagecheck-promela-") as tmp:
        path = Path(tmp) / example_path_name(family, n)
        path.write_text(spec_text(family, n), encoding="utf-8")
        spec = load_spec(path, models_dirs=(MODELS_DIR,))
    return translate(spec, title=f"benchmarks: family {family}, N = {n}")


def translate(spec: ir.Spec, *, title: str = "") -> Translation:
    """The Promela of a checked spec; `title` goes into its header comment."""
    return _Translator(spec).run(title)


class _Translator:
    def __init__(self, spec: ir.Spec) -> None:
        if spec.nevers and "never" in spec.properties:
            raise NotTranslatable("`never` conditions are not translated to Promela")
        self.spec = spec
        self.model = spec.model
        self.props: dict[str, str] = {}
        self.out: list[str] = []

    # -- names
    def page(self, p: int, part: str) -> str:
        return f"pg_{self.spec.pages[p].name}_{part}"

    def flag(self, p: int, f: int) -> str:
        return self.page(p, self.model.flags[f])

    def state(self, index: int) -> str:
        return f"st_{self.model.state_name(index)}"

    # -- the whole model
    def run(self, title: str) -> Translation:
        spec, model = self.spec, self.model
        w = self.out.append
        w("/*")
        if title:
            w(f" * {title}.")
        w(f" * Generated by benchmarks/promela.py from the spec; model {model.name}.")
        w(" */")
        for s in model.states:
            w(f"#define {self.state(s.index)} {s.index}")
        w("#define RES_OK 0\n#define RES_FAIL 1\n")
        w(
            f"bool {UNDEFINED_MARK} = false; /* never set: assert({UNDEFINED_MARK}) fails */"
        )
        if "fault" in spec.properties:
            w(f"bool {FAULT_MARK} = false;")
        w("")
        for i, page in enumerate(spec.pages):
            flags = " ".join(
                f"bool {self.flag(i, f)} = {_bool(page.flags >> f & 1)};"
                for f in range(len(model.flags))
            )
            w(
                f"byte {self.page(i, 'st')} = {self.state(page.state)}; {flags} "
                f"int {self.page(i, 'data')} = {page.data}; "
                f"bool {self.page(i, 'valid')} = {_bool(page.valid)}; "
                f"bool {self.page(i, 'warned')} = {_bool(page.warned)};"
            )
        for var in spec.vars:
            w(f"int v_{var.name} = {var.value};")
        for thread in spec.threads:
            w("")
            self.thread(thread)
        if spec.host_moves:
            w("")
            self.chaotic_host()
        return Translation(
            "\n".join(self.out) + "\n", dict(self.props), "deadlock" in spec.properties
        )

    # -- threads
    def thread(self, thread: ir.Thread) -> None:
        w = self.out.append
        w(f"active proctype t_{thread.name}() {{")
        for name, t in thread.locals:
            kind = {"int": "int", "bool": "bool"}.get(t, "byte")
            w(f"  {kind} l_{name};")
        body = _ThreadBody(self, thread)
        lines = body.lines()
        if not lines:
            lines = ["  skip"]
        self.out.extend(lines)
        w("}")

    def chaotic_host(self) -> None:
        w = self.out.append
        w("active proctype chaotic_host() {")
        w("end:")
        w("  do")
        for move in self.spec.host_moves:
            moves = [t for t in self.model.transitions if t.op == move.op]
            for guard, effects in self.options(move.page, moves, None, None):
                body = "; ".join(effects) if effects else "skip"
                w(f"  :: atomic {{ {guard} -> {body} }} /* {move.op} */")
        w("  od")
        w("}")

    # -- the options of an op on a page: transitions from each source state
    def options(
        self,
        p: int,
        transitions: list[ir.Transition],
        instr: ir.OpInstr | None,
        thread: ir.Thread | None,
        fault: Callable[[int | None], str] | None = None,
    ) -> list[tuple[str, list[str]]]:
        """(guard, effects) per option; sources with the same effects share one.

        `fault(handler)` gives where a fault goes (its handler, or None: nowhere)."""
        groups: dict[tuple[str | None, tuple[str, ...]], list[int]] = {}
        for tr in transitions:
            flag_guard = None if tr.guard is None else self.guard(p, tr.guard)
            for source in sorted(tr.sources):
                eff = self.effects(p, tr, source, instr, thread)
                if tr.fault and fault is not None:
                    assert instr is not None
                    eff.append(fault(instr.handler))
                sources = groups.setdefault((flag_guard, tuple(eff)), [])
                if source not in sources:
                    sources.append(source)
        out = []
        st = self.page(p, "st")
        for (flag_guard, effects), sources in groups.items():
            guard = " || ".join(f"{st} == {self.state(s)}" for s in sources)
            if flag_guard is not None:
                guard = f"({guard})" if len(sources) > 1 else guard
                guard += f" && {flag_guard}"
            out.append((f"({guard})", list(effects)))
        return out

    def effects(
        self,
        p: int,
        tr: ir.Transition,
        source: int,
        instr: ir.OpInstr | None,
        thread: ir.Thread | None,
    ) -> list[str]:
        """The effects of `tr` from `source`, in pagecheck's order (instr None: host)."""
        model = self.model
        op = model.op(tr.op)
        after = tr.target if tr.target is not None else source
        eff: list[str] = []
        if after != source:
            eff.append(f"{self.page(p, 'st')} = {self.state(after)}")
        if model.is_lost(after) and not model.is_lost(source):
            told = model.is_unused(source) or model.is_unused(after)
            eff.append(f"{self.page(p, 'valid')} = false")
            eff.append(f"{self.page(p, 'warned')} = {_bool(told)}")
        eff += self.flag_effects(p, tr.sets, tr.clears)
        guest = thread is not None and not thread.is_host
        result: str | None = None
        if tr.fail:
            result = "fail"
        elif op.kind == "call":
            result = "ok"
        if (tr.fail or tr.fault) and guest:
            eff.append(f"{self.page(p, 'warned')} = true")
        if tr.fault and "fault" in self.spec.properties:
            eff.append(self.assertion(FAULT_MARK, "fault"))
        if not tr.fault and op.kind == "access" and instr is not None:
            valid, warned = self.page(p, "valid"), self.page(p, "warned")
            if op.is_write:
                if "silent-loss" in self.spec.properties:
                    eff.append(self.assertion(f"{valid} || {warned}", "silent-loss"))
                value = "0" if instr.value is None else self.expr(instr.value)
                eff.append(f"{self.page(p, 'data')} = {value}")
                eff.append(f"{valid} = true")
            else:
                data = self.page(p, "data")
                if "silent-loss" in self.spec.properties:
                    eff.append(self.assertion(valid, "silent-loss"))
                    result = data  # the assertion has just checked `valid`
                else:
                    result = f"({valid} -> {data} : 0)"
        if not tr.fault:
            eff += self.flag_effects(p, op.sets, op.clears)
            if instr is not None and instr.target is not None and result is not None:
                value = RESULTS.get(result, result)
                eff.append(f"{self.target(instr.target)} = {value}")
        return eff

    def flag_effects(self, p: int, sets: int, clears: int) -> list[str]:
        out = []
        for f in range(len(self.model.flags)):
            if sets >> f & 1 and not clears >> f & 1:
                out.append(f"{self.flag(p, f)} = true")
            elif clears >> f & 1:
                out.append(f"{self.flag(p, f)} = false")
        return out

    def assertion(self, text: str, prop: str) -> str:
        self.props[assertion_key(text)] = prop
        return f"assert({text})"

    # -- expressions
    def guard(self, p: int, g: ir.Guard) -> str:
        match g:
            case ir.GuardFlag(f):
                return self.flag(p, f)
            case ir.GuardConst(value):
                return _bool(value)
            case ir.GuardNot(operand):
                return f"!{self.guard(p, operand)}"
            case ir.GuardAnd(left, right):
                return f"({self.guard(p, left)} && {self.guard(p, right)})"
            case ir.GuardOr(left, right):
                return f"({self.guard(p, left)} || {self.guard(p, right)})"

    def target(self, t: ir.Target) -> str:
        return f"l_{t.name}" if isinstance(t, ir.LocalTarget) else f"v_{t.name}"

    def expr(self, e: ir.Expr, thread: ir.Thread | None = None) -> str:
        match e:
            case ir.Const(value, kind):
                if kind == "bool":
                    return _bool(bool(value))
                if kind == "result":
                    return RESULTS[str(value)]
                if kind == "state":
                    assert isinstance(value, int)
                    return self.state(value)
                return (
                    f"({value})" if isinstance(value, int) and value < 0 else str(value)
                )
            case ir.LocalRef(_, name):
                return f"l_{name}"
            case ir.VarRef(_, name):
                return f"v_{name}"
            case ir.StateOf(page):
                if thread is not None and not thread.is_host:
                    raise NotTranslatable(
                        "a guest thread reading `state(...)` is not translated to Promela"
                    )
                return self.page(page, "st")
            case ir.FlagOf(page, f):
                return self.flag(page, f)
            case ir.Not(operand):
                return f"!{self.expr(operand, thread)}"
            case ir.Neg(operand):
                return f"(-{self.expr(operand, thread)})"
            case ir.BoolOp(op, left, right):
                sym = "&&" if op == "and" else "||"
                return f"({self.expr(left, thread)} {sym} {self.expr(right, thread)})"
            case ir.Arith(op, left, right) | ir.Compare(op, left, right):
                return f"({self.expr(left, thread)} {op} {self.expr(right, thread)})"
            case ir.Member(operand, items):
                x = self.expr(operand, thread)
                alts = [f"{x} == {self.expr(i, thread)}" for i in items]
                return f"({' || '.join(alts)})" if alts else "false"


class _ThreadBody:
    """One thread's instructions as Promela statements, in program order.

    `block(start, stop, cont)` writes the pcs [start, stop) of one block, where falling
    off the block's end continues at `cont`; an instruction whose next pc is not where
    control falls through gets a `goto` (which Spin folds into the transition). An `if`
    whose then-block follows it becomes a Promela `if` holding that block; a fault
    without a handler stops the thread on an `end` label (`false` never executes).
    """

    def __init__(self, tr: _Translator, thread: ir.Thread) -> None:
        self.tr = tr
        self.thread = thread
        self.jumps: set[int] = set()  # pcs some goto lands on

    def goto(self, pc: int) -> str:
        self.jumps.add(pc)
        return f"goto L{pc}"

    def lines(self) -> list[str]:
        end = self.thread.end
        body = self.block(0, end, end, depth=1, in_atomic=False)
        out = []
        for pc, line in body:
            if pc is not None and pc in self.jumps:
                out.append(f"L{pc}:")
            out.append(line)
        if end in self.jumps:
            out.append(f"L{end}: skip /* the thread's end */")
        return out

    def block(
        self, start: int, stop: int, cont: int, *, depth: int, in_atomic: bool
    ) -> list[tuple[int | None, str]]:
        """Statements for pcs [start, stop): (pc of the first line, text) pairs."""
        out: list[tuple[int | None, str]] = []
        pc = start
        pad = "  " * depth
        while pc < stop:
            instr = self.thread.instrs[pc]
            match instr:
                case ir.AtomicInstr(guard, _, nxt):
                    end = self.atomic_end(pc, instr)
                    after = end if end < stop else cont
                    out.append((pc, f"{pad}atomic {{ /* line {_line(instr)} */"))
                    inner = self.block(
                        pc + 1, end, after, depth=depth + 1, in_atomic=True
                    )
                    if guard is not None or not inner:
                        first = "skip" if guard is None else self.expr(guard)
                        flow = self.flow(nxt, after) if not inner else ""
                        out.append((None, f"{pad}  {first}{flow};"))
                    out += inner
                    out.append((None, f"{pad}}};"))
                    pc = end
                    continue
                case ir.BranchInstr(kind, cond, then, orelse) if (
                    then == pc + 1 < orelse <= stop
                ):
                    join = orelse if orelse < stop else cont
                    no = "" if orelse == join else f" -> {self.goto(orelse)}"
                    out.append((pc, f"{pad}if /* {kind}, line {_line(instr)} */"))
                    out.append((None, f"{pad}:: {self.expr(cond)} ->"))
                    out += self.block(
                        pc + 1, orelse, join, depth=depth + 1, in_atomic=in_atomic
                    )
                    out.append((None, f"{pad}:: else{no}"))
                    out.append((None, f"{pad}fi;"))
                    pc = orelse
                    continue
            fall = pc + 1 if pc + 1 < stop else cont
            text = self.instr(pc, instr, fall, pad, in_atomic=in_atomic)
            first, *rest = text.split("\n")
            out.append((pc, first))
            out += [(None, line) for line in rest]
            pc += 1
        return out

    def atomic_end(self, pc: int, instr: ir.AtomicInstr) -> int:
        """The end of an atomic block's body: its pcs are [pc + 1, end)."""
        seen: set[int] = set()
        todo = [instr.entry]
        while todo:
            at = todo.pop()
            if at == instr.next or at in seen or at >= self.thread.end:
                continue
            seen.add(at)
            todo += _successors(self.thread.instrs[at])
        end = max(seen, default=pc) + 1
        if seen != set(range(pc + 1, end)):
            raise NotTranslatable(f"atomic block at pc {pc} is not contiguous")
        return end

    def expr(self, e: ir.Expr) -> str:
        return self.tr.expr(e, self.thread)

    def flow(self, nxt: int, fall: int) -> str:
        """`; goto` to nxt unless control falls through to it."""
        return "" if nxt == fall else f"; {self.goto(nxt)}"

    def stop(self, why: str, pc: int) -> str:
        """The thread stops here for good (pagecheck's `faulted` or `stuck`)."""
        return f"end_{why}_{pc}: false"

    def instr(
        self, pc: int, instr: ir.Instr, fall: int, pad: str, *, in_atomic: bool
    ) -> str:
        note = f" /* line {_line(instr)} */"
        match instr:
            case ir.AssignInstr(target, value, nxt):
                stmt = f"{self.tr.target(target)} = {self.expr(value)}"
                return f"{pad}{stmt}{self.flow(nxt, fall)};{note}"
            case ir.AssertInstr(cond, message, nxt):
                text = self.expr(cond)
                self.tr.props.setdefault(assertion_key(text), "assertion")
                msg = f" /* {message} */" if message else note
                return f"{pad}assert({text}){self.flow(nxt, fall)};{msg}"
            case ir.AwaitInstr(cond, nxt):
                return f"{pad}{self.expr(cond)}{self.flow(nxt, fall)};{note}"
            case ir.BranchInstr(kind, cond, then, orelse):
                c = self.expr(cond)
                yes = "" if then == fall else f" -> {self.goto(then)}"
                no = "" if orelse == fall else f" -> {self.goto(orelse)}"
                return (
                    f"{pad}if /* {kind}, line {_line(instr)} */\n"
                    f"{pad}:: {c}{yes}\n{pad}:: else{no}\n{pad}fi;"
                )
            case ir.OpInstr():
                return self.op(pc, instr, fall, pad, in_atomic=in_atomic)
            case ir.AtomicInstr():
                raise AssertionError("atomic blocks are laid out by block()")

    def op(
        self, pc: int, instr: ir.OpInstr, fall: int, pad: str, *, in_atomic: bool
    ) -> str:
        tr, thread = self.tr, self.thread
        args = dict(instr.args)
        inner = pad if in_atomic else pad + "  "
        lines = [] if in_atomic else [f"{pad}atomic {{"]
        where = f"{instr.op.name}({tr.spec.pages[instr.page].name})"
        lines.append(f"{inner}if /* {where}, line {_line(instr)} */")
        matching = [
            t
            for t in tr.model.transitions
            if t.op == instr.op.name and all(args.get(k) == v for k, v in t.args)
        ]

        def fault(to: int | None) -> str:
            return self.stop("faulted", pc) if to is None else self.goto(to)

        for guard, eff in tr.options(instr.page, matching, instr, thread, fault):
            body = "; ".join(eff) if eff else "skip"
            lines.append(f"{inner}:: {guard} -> {body}")
        if not thread.is_host:
            if "undefined" in tr.spec.properties:
                lines.append(
                    f"{inner}:: else -> {tr.assertion(UNDEFINED_MARK, 'undefined')}"
                )
            else:
                lines.append(f"{inner}:: else -> {self.stop('stuck', pc)}")
        lines.append(f"{inner}fi{self.flow(instr.next, fall)}")
        if not in_atomic:
            lines.append(f"{pad}}};")
        else:
            lines[-1] += ";"
        return "\n".join(lines)


def _successors(instr: ir.Instr) -> list[int]:
    match instr:
        case ir.BranchInstr(_, _, then, orelse):
            return [then, orelse]
        case ir.OpInstr(handler=handler, next=nxt):
            return [nxt] if handler is None else [nxt, handler]
        case (
            ir.AssignInstr(next=nxt)
            | ir.AssertInstr(next=nxt)
            | ir.AwaitInstr(next=nxt)
            | ir.AtomicInstr(next=nxt)
        ):
            return [nxt]
    raise AssertionError(instr)


def _line(instr: ir.Instr) -> str:
    span = instr.span
    return "?" if span is None else str(span.line)


def _bool(x: bool | int) -> str:
    return "true" if x else "false"


if __name__ == "__main__":  # python benchmarks/promela.py FAMILY N
    print(family_promela(sys.argv[1], int(sys.argv[2])).text, end="")
