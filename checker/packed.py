"""The step function compiled to Python over packed states, for the explicit engine.

A global state is one Python integer: every slot of the step definition is a bit field
(Booleans and `ok`/`fail` one bit, page states, program counters and statuses as
small unsigned fields, integers as biased fields wide enough for every value a run
within the bound can hold). From the moves of `step.py`, this module writes one Python
function per thread and program counter and one for the host, and `exec`s them: a
successor is then a few shifts, masks and comparisons, and a stored state costs the
integer and its place in a set. Nothing here says what a statement means; the terms
are translated one by one, and traces are rebuilt on the reference semantics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from . import ir
from . import terms as T
from .step import Move, Status, StepDefinition, int_width

Expand = Callable[[int, list[int], list[int]], None]


@dataclass(frozen=True, slots=True)
class Field:
    offset: int
    width: int
    bias: int = 0  # stored value = value + bias (integers)

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


class PackedStep:
    """The compiled step function of one spec.

    Integer fields are as wide as `step.int_width` says a run of `steps` steps needs,
    or `max_int_bits` if that is less; a value that does not fit then raises
    `WidthExceeded`. `expand(s, out, bad)` appends to `out` every successor of `s`
    that no step property violates (in the reference's successor order) and to `bad`
    the number of every move that ends in a violation of its own; `never(s)` is the
    index of the first `never` condition that holds in `s`, or -1.
    """

    def __init__(
        self, definition: StepDefinition, steps: int, *, max_int_bits: int | None = None
    ) -> None:
        self.definition = definition
        self.steps = steps
        self.max_int_bits = max_int_bits
        layout = definition.layout
        self.int_bits = int_width(definition.spec, steps)
        if max_int_bits is not None:
            self.int_bits = min(self.int_bits, max_int_bits)
        self.fields = _fields(definition, self.int_bits)
        self.bits = sum(f.width for f in self.fields)
        self.source = _Writer(self).module()
        namespace: dict[str, object] = {"overflow": _overflow}
        code = compile(
            self.source, f"<step function of {definition.spec.source.name}>", "exec"
        )
        exec(code, namespace)
        self.expand: Expand = namespace["expand"]  # type: ignore[assignment]
        self.never: Callable[[int], int] = namespace["never"]  # type: ignore[assignment]
        # the parts of `expand`, for the reductions (`reduction.py`):
        # `thread_calls[t][pc]` a thread's moves at one counter, `page_calls[p]` the
        # host moves on page p, `host` all of them, `control(s)` every thread's
        # counter (-1: not running)
        self.thread_calls: tuple[tuple[Expand, ...], ...] = tuple(
            namespace[f"T{t}"]  # type: ignore[misc]
            for t in range(len(definition.by_pc))
        )
        self.page_calls: dict[int, Expand] = {
            p: namespace[f"host_p{p}"]  # type: ignore[misc]
            for p in host_pages(definition)
        }
        self.control: Callable[[int], tuple[int, ...]] = namespace["control"]  # type: ignore[assignment]
        self.host: Expand = namespace["host"]  # type: ignore[assignment]
        self.violating = bytes(m.violation is not None for m in definition.moves)
        self._sorts = [slot.sort for slot in layout.slots]

    def replacing(self, replace: Callable[[int, int], Expand | None]) -> Expand:
        """`expand` with thread t's moves at counter pc replaced by `replace(t, pc)`
        wherever that is not None (`engines/explicit.py` merges local steps so)."""
        namespace: dict[str, object] = {"host": self.host}
        for t, calls in enumerate(self.thread_calls):
            namespace[f"R{t}"] = tuple(
                replace(t, pc) or call for pc, call in enumerate(calls)
            )
        source = "\n".join(_dispatch(self.definition, self.fields, "R"))
        name = f"<merged step function of {self.definition.spec.source.name}>"
        exec(compile(source, name, "exec"), namespace)
        return namespace["expand"]  # type: ignore[return-value]

    def pack(self, slots: Sequence[ir.Value]) -> int:
        s = 0
        for value, f, sort in zip(slots, self.fields, self._sorts, strict=True):
            s |= (code(value, sort) + f.bias) << f.offset
        return s

    def unpack(self, s: int) -> tuple[ir.Value, ...]:
        out: list[ir.Value] = []
        for f, sort in zip(self.fields, self._sorts, strict=True):
            raw = (s >> f.offset & f.mask) - f.bias
            if sort == "bool":
                out.append(bool(raw))
            elif sort == "result":
                out.append("ok" if raw else "fail")
            else:
                out.append(raw)
        return tuple(out)

    def predicates(self, terms: Sequence[T.Term]) -> list[Callable[[int], bool]]:
        """Each term compiled to a test of a packed state (coverage asks which moves
        a state enables without taking them)."""
        lines = []
        for k, term in enumerate(terms):
            writer = _Writer(self)
            body = writer.expr(term)
            lines.append(f"def test{k}(s):")
            lines += [f"    {writer.read(slot)}" for slot in sorted(writer.used)]
            lines.append(f"    return {body}")
        namespace: dict[str, object] = {}
        exec(compile("\n".join(lines) + "\n", "<tests>", "exec"), namespace)
        return [namespace[f"test{k}"] for k in range(len(terms))]  # type: ignore[misc]

    def deadlocked(self, s: int) -> bool:
        """Some thread is running and no move is enabled (language reference §3)."""
        layout = self.definition.layout
        running = any(
            s >> self.fields[ts.status].offset & self.fields[ts.status].mask
            == Status.RUNNING
            for ts in layout.threads
        )
        if not running:
            return False
        out: list[int] = []
        bad: list[int] = []
        self.expand(s, out, bad)
        return not out and not bad


def _dispatch(d: StepDefinition, fields: Sequence[Field], table: str) -> list[str]:
    """`expand(s, out, bad)`: for each running thread t, the function `{table}t[pc]`
    of its counter, then the host's moves."""
    lines = ["def expand(s, out, bad):"]
    for t, ts in enumerate(d.layout.threads):
        if not d.by_pc[t]:
            continue
        status, counter = fields[ts.status], fields[ts.pc]
        assert counter.offset == status.offset + status.width
        mask = (1 << (status.width + counter.width)) - 1
        lines += [
            f"    x = s >> {status.offset} & {mask}",
            f"    if not x & {status.mask}:",
            f"        {table}{t}[x >> {status.width}](s, out, bad)",
        ]
    return [*lines, "    host(s, out, bad)", ""]


#: Step functions compiled lately, newest last: the explicit engine and the coverage
#: search of one check share one.
_compiled: list[PackedStep] = []


def compiled(
    definition: StepDefinition, steps: int, *, max_int_bits: int | None = None
) -> PackedStep:
    """`PackedStep(definition, steps, max_int_bits=...)`, or the same one compiled
    lately."""
    for p in _compiled:
        if p.definition is definition and (p.steps, p.max_int_bits) == (
            steps,
            max_int_bits,
        ):
            return p
    packed = PackedStep(definition, steps, max_int_bits=max_int_bits)
    _compiled[:] = [*_compiled[-1:], packed]
    return packed


def compiled_for(definition: StepDefinition, steps: int) -> PackedStep:
    """The step function compiled lately for `definition` and `steps`, at whatever
    width; else one compiled at full width."""
    for p in reversed(_compiled):
        if p.definition is definition and p.steps == steps:
            return p
    return compiled(definition, steps)


def host_pages(d: StepDefinition) -> dict[int, list[Move]]:
    """The host moves grouped by the page they act on, pages in order."""
    pages: dict[int, list[Move]] = {}
    for m in d.host_moves:
        page = m.events[0].page if m.events else None
        assert page is not None, m
        pages.setdefault(page, []).append(m)
    return dict(sorted(pages.items()))


def code(value: ir.Value, sort: T.Sort) -> int:
    """A slot value as the unsigned (or, for integers, signed) number stored for it."""
    if sort == "result":
        return 1 if value == "ok" else 0
    return int(value)


class WidthExceeded(Exception):
    """An integer outgrew its field: only possible when `max_int_bits` narrowed it."""


def _overflow(value: int) -> int:
    raise WidthExceeded(value)


def _fields(definition: StepDefinition, int_bits: int) -> tuple[Field, ...]:
    """Bit fields in slot order, except that each thread's status sits just below its
    program counter so that one extraction tells both."""
    layout = definition.layout
    widths = []
    for slot in layout.slots:
        if slot.sort == "int":
            widths.append(int_bits)
        elif slot.sort == "enum":
            widths.append(max(1, (slot.size - 1).bit_length()))
        else:
            widths.append(1)
    order = list(range(len(layout.slots)))
    for ts in layout.threads:
        order.remove(ts.status)
        order.insert(order.index(ts.pc), ts.status)
    fields: dict[int, Field] = {}
    offset = 0
    for index in order:
        bias = 1 << (int_bits - 1) if layout.slots[index].sort == "int" else 0
        fields[index] = Field(offset, widths[index], bias)
        offset += widths[index]
    return tuple(fields[i] for i in range(len(layout.slots)))


class _Writer:
    """Writes the Python source of a spec's compiled step function."""

    def __init__(self, packed: PackedStep) -> None:
        self.p = packed
        self.d = packed.definition
        self.fields = packed.fields
        self.lines: list[str] = []
        self.used: set[int] = set()  # the slots the function being written reads
        self.syntax = replace(PYTHON, read=self._read_value)

    def module(self) -> str:
        d = self.d
        tables = []
        for t, per_pc in enumerate(d.by_pc):
            names = []
            for pc, moves in enumerate(per_pc):
                name = f"t{t}_pc{pc}"
                self.function(name, moves)
                names.append(name)
            tables.append(
                f"T{t} = ({', '.join(names)}{',' if len(names) == 1 else ''})"
            )
        self.function("host", d.host_moves)
        for page, on_page in host_pages(d).items():
            self.function(f"host_p{page}", on_page)
        self.lines += tables
        self.lines += _dispatch(self.d, self.fields, "T")
        self.control()
        self.never()
        return "\n".join(self.lines) + "\n"

    def function(self, name: str, moves: Sequence[Move]) -> None:
        """One function; it extracts only the fields its code reads."""
        self.used = set()
        body_start = len(self.lines)
        for run in _runs(moves, self.d):
            self.emit(run, "    ")
        body = self.lines[body_start:] or ["    pass"]
        del self.lines[body_start:]
        self.lines.append(f"def {name}(s, out, bad):")
        self.lines += [f"    {self.read(slot)}" for slot in sorted(self.used)]
        self.lines += [*body, ""]

    def emit(self, run: _Run, indent: str) -> None:
        """A run of moves; split on the value of the page state they all test."""
        if run.split is None:
            self.emit_moves(run.moves, indent)
            return
        read = self.d.layout.read(run.split)
        keyword = "if"
        size = self.d.layout.slots[run.split].size
        possible = [_values(m.condition, read, size) for m in run.moves]
        for value in range(size):
            fixed = T.Lit(value, "enum")
            memo: dict[int, T.Term] = {}
            cases = [
                _fix(m, read, fixed, memo)
                for m, values in zip(run.moves, possible, strict=True)
                if value in values
            ]
            cases = [m for m in cases if m.condition != T.FALSE]
            if not cases:
                continue
            self.used.add(run.split)
            self.lines.append(f"{indent}{keyword} v{run.split} == {value}:")
            self.emit_moves(cases, indent + "    ")
            keyword = "elif"

    def emit_moves(self, moves: Sequence[Move], indent: str) -> None:
        k = 0
        while k < len(moves):
            m = moves[k]
            cond = self.expr(m.condition)
            if cond == "True":
                self.lines += [indent + line for line in self.outcome(m)]
                k += 1
                continue
            self.lines.append(f"{indent}if {cond}:")
            self.lines += [indent + "    " + line for line in self.outcome(m)]
            if k + 1 < len(moves) and moves[k + 1].condition == T.not_(m.condition):
                self.lines.append(f"{indent}else:")
                self.lines += [
                    indent + "    " + line for line in self.outcome(moves[k + 1])
                ]
                k += 1
            k += 1

    def outcome(self, move: Move) -> list[str]:
        if move.violation is not None:
            return [f"bad.append({move.index})"]
        return self.successor(move)

    def read(self, slot: int) -> str:
        f = self.fields[slot]
        bias = f" - {f.bias}" if f.bias else ""
        return f"v{slot} = (s >> {f.offset} & {f.mask}){bias}"

    def successor(self, move: Move) -> list[str]:
        """Lines appending the state after `move` to `out`."""
        keep = (1 << self.p.bits) - 1
        constant = 0
        parts = []
        lines = []
        for slot, term in move.updates:
            if term == self.d.layout.read(slot):
                continue
            f = self.fields[slot]
            keep &= ~(f.mask << f.offset)
            sort = self.d.layout.slots[slot].sort
            if isinstance(term, T.Lit):
                constant |= (code(term.value, sort) + f.bias) << f.offset
                continue
            value = self.expr(term)
            if sort == "int" and _computes(term):
                lo, hi = -f.bias, f.mask - f.bias
                lines.append(f"n{slot} = {value}")
                lines.append(f"if not {lo} <= n{slot} <= {hi}: overflow(n{slot})")
                value = f"n{slot}"
            bias = f" + {f.bias}" if f.bias else ""
            parts.append(f"(({value}){bias}) << {f.offset}")
        new = [f"(s & {keep})"] + parts + ([str(constant)] if constant else [])
        return [*lines, f"out.append({' | '.join(new)})"]

    def control(self) -> None:
        """`control(s)`: each thread's program counter, or -1 when it is not running."""
        self.lines.append("def control(s):")
        parts = []
        for t, ts in enumerate(self.d.layout.threads):
            status, counter = self.fields[ts.status], self.fields[ts.pc]
            mask = (1 << (status.width + counter.width)) - 1
            self.lines.append(f"    x{t} = s >> {status.offset} & {mask}")
            parts.append(f"-1 if x{t} & {status.mask} else x{t} >> {status.width}")
        self.lines.append(
            f"    return ({', '.join(parts)}{',' if len(parts) == 1 else ''})"
        )
        self.lines.append("")

    def never(self) -> None:
        nevers = self.d.nevers if "never" in self.d.spec.properties else ()
        self.used = set()
        tests = [
            f"    if {self.expr(cond)}: return {k}"
            for k, (cond, _) in enumerate(nevers)
        ]
        self.lines.append("def never(s):")
        self.lines += [f"    {self.read(slot)}" for slot in sorted(self.used)]
        self.lines += [*tests, "    return -1", ""]

    def expr(self, term: T.Term) -> str:
        return render(term, self.syntax)

    def _read_value(self, slot: int) -> str:
        self.used.add(slot)
        return f"v{slot}"


@dataclass(frozen=True, slots=True)
class Syntax:
    """How a target language writes the parts of a term (`render`)."""

    true: str
    false: str
    literal: Callable[[ir.Value, T.Sort], str]
    read: Callable[[int], str]
    not_: str
    and_: str
    or_: str
    ite: str
    """With `{c}`, `{a}` and `{b}`: the condition and the two values."""


PYTHON = Syntax(
    true="True",
    false="False",
    literal=lambda value, sort: str(code(value, sort)),
    read=lambda slot: f"v{slot}",
    not_="not ",
    and_=" and ",
    or_=" or ",
    ite="({a} if {c} else {b})",
)


def render(term: T.Term, syntax: Syntax) -> str:
    """A term as an expression of the target language, slot values read by
    `syntax.read`; Booleans and integers as the language has them."""

    def go(t: T.Term) -> str:
        match t:
            case T.Lit(value, sort):
                if sort == "bool":
                    return syntax.true if value else syntax.false
                return syntax.literal(value, sort)
            case T.Read(slot):
                return syntax.read(slot)
            case T.Not(x):
                return f"({syntax.not_}{go(x)})"
            case T.And(xs):
                return "(" + syntax.and_.join(go(x) for x in xs) + ")"
            case T.Or(xs):
                return "(" + syntax.or_.join(go(x) for x in xs) + ")"
            case T.Ite(c, a, b):
                return syntax.ite.format(c=go(c), a=go(a), b=go(b))
            case T.Arith(op, a, b) | T.Compare(op, a, b):
                return f"({go(a)} {op} {go(b)})"
            case T.Neg(x):
                return f"(-{go(x)})"
        raise AssertionError(t)

    return go(term)


@dataclass(frozen=True, slots=True)
class _Run:
    """Consecutive moves that all test the page state in slot `split` (if any)."""

    moves: tuple[Move, ...]
    split: int | None


def _runs(moves: Sequence[Move], d: StepDefinition) -> list[_Run]:
    """Moves in order, grouped into maximal runs that test one and the same page
    state, so that the state's value can be tested once for the whole run."""
    page_states = {ps.state for ps in d.layout.pages}
    runs: list[_Run] = []
    for m in moves:
        tested = T.reads_of(m.condition) & page_states
        split = min(tested) if len(tested) == 1 else None
        if runs and split is not None and runs[-1].split == split:
            runs[-1] = _Run((*runs[-1].moves, m), split)
        else:
            runs.append(_Run((m,), split))
    return runs


def _values(condition: T.Term, read: T.Read, size: int) -> frozenset[int]:
    """The values of `read` under which `condition` may hold, as far as its shape
    shows (a conjunct that tests `read` against literals)."""
    match condition:
        case T.Compare("==", T.Read() as r, T.Lit(value)) if r == read:
            return frozenset({int(value)})
        case T.Or(xs) if all(
            isinstance(x, T.Compare) and x.op == "==" and x.left == read for x in xs
        ):
            return frozenset().union(*(_values(x, read, size) for x in xs))
        case T.And(xs):
            return frozenset.intersection(*(_values(x, read, size) for x in xs))
    return frozenset(range(size))


def _fix(move: Move, read: T.Read, value: T.Lit, memo: dict[int, T.Term]) -> Move:
    """`move` in the states where `read` has `value`: its terms partly evaluated (a
    move that cannot happen there keeps its other terms as they are). `memo` is shared
    by the moves of one run, whose terms share subterms."""

    def at(r: T.Read) -> T.Term:
        return value if r == read else r

    condition = T.substitute(move.condition, at, memo)
    if condition == T.FALSE or move.violation is not None:
        return replace(move, condition=condition)
    updates = tuple((slot, T.substitute(term, at, memo)) for slot, term in move.updates)
    return replace(move, condition=condition, updates=updates)


def _computes(term: T.Term) -> bool:
    """Whether an integer term can leave the range of the values it reads."""
    match term:
        case T.Arith() | T.Neg():
            return True
        case T.Ite(_, a, b):
            return _computes(a) or _computes(b)
    return False
