"""The checked model and spec: what every engine reads.

The front end (`check_model.py`, `check_spec.py`, `lower.py`) builds these from the
AST after resolving every name and type; nothing here can be ill-formed. A thread's
statements are lowered to instructions addressed by a program counter, so that a run's
position in a thread is one integer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .source import SourceFile, Span

SPAN = field(compare=False, repr=False)

#: Properties in the order that breaks ties between violations of equal length.
PROPERTIES: tuple[str, ...] = (
    "assertion",
    "never",
    "silent-loss",
    "undefined",
    "deadlock",
    "fault",
    "terminates",
    "eventually",
)
#: Properties of whole runs, not of steps: `check terminates` and `check eventually
#: THREAD at LABEL` (docs/language.md, "Liveness"); the explicit engine answers them
#: by a search for fair cycles.
LIVENESS_PROPERTIES = frozenset({"terminates", "eventually"})
#: The liveness property that names a point of a thread: `check eventually T at L`.
EVENTUALLY = "eventually"
DEFAULT_PROPERTIES = frozenset({"assertion", "never", "silent-loss", "undefined"})
#: `check coverage`: not a property of runs but of the check; a `safe` that leaves
#: statements, assertions or awaits unreached then fails its expectation.
STRICT_CHECK = "coverage"

# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class GuestState:
    name: str
    unused: bool
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class HostState:
    name: str
    lost: bool
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PageState:
    """One (guest, host) pair; its `index` is how engines store it."""

    index: int
    guest: GuestState
    host: HostState

    @property
    def name(self) -> str:
        return self.guest.name + self.host.name


OpKind = Literal["call", "access", "action"]


@dataclass(frozen=True, slots=True)
class Op:
    name: str
    kind: OpKind
    params: tuple[str, ...]
    sets: int  # bit mask over the model's flags, applied when the op completes
    clears: int
    span: Span = SPAN
    stores: bool = False  # declared `stores`: an access that carries a value

    @property
    def is_write(self) -> bool:
        """The access stores a value: `write`, or any access declared `stores`."""
        return self.kind == "access" and (self.name == "write" or self.stores)


@dataclass(frozen=True, slots=True)
class GuardFlag:
    flag: int


@dataclass(frozen=True, slots=True)
class GuardConst:
    value: bool


@dataclass(frozen=True, slots=True)
class GuardNot:
    operand: Guard


@dataclass(frozen=True, slots=True)
class GuardAnd:
    left: Guard
    right: Guard


@dataclass(frozen=True, slots=True)
class GuardOr:
    left: Guard
    right: Guard


Guard = GuardFlag | GuardConst | GuardNot | GuardAnd | GuardOr


def guard_holds(guard: Guard | None, flags: int) -> bool:
    match guard:
        case None:
            return True
        case GuardFlag(flag):
            return bool(flags >> flag & 1)
        case GuardConst(value):
            return value
        case GuardNot(operand):
            return not guard_holds(operand, flags)
        case GuardAnd(left, right):
            return guard_holds(left, flags) and guard_holds(right, flags)
        case GuardOr(left, right):
            return guard_holds(left, flags) or guard_holds(right, flags)


def guard_text(guard: Guard, flags: Sequence[str]) -> str:
    """The guard as written in a model, e.g. `dirty and not young` (few parentheses)."""

    def show(g: Guard, context: int) -> str:
        # precedence: 0 `or`, 1 `and`, 2 `not` and atoms
        match g:
            case GuardFlag(flag):
                return flags[flag]
            case GuardConst(value):
                return "true" if value else "false"
            case GuardNot(operand):
                text, level = f"not {show(operand, 2)}", 2
            case GuardAnd(left, right):
                text, level = f"{show(left, 1)} and {show(right, 2)}", 1
            case GuardOr(left, right):
                text, level = f"{show(left, 0)} or {show(right, 1)}", 0
        return f"({text})" if level < context else text

    return show(guard, 0)


@dataclass(frozen=True, slots=True)
class Transition:
    """`SOURCES -> TARGET on OP(args) if GUARD => RESULTS` for one op of `on`."""

    index: int
    sources: frozenset[int]
    target: int | None  # None: `same`
    op: str
    args: tuple[tuple[str, int], ...]  # only the constrained parameters
    guard: Guard | None
    fault: bool
    fail: bool
    sets: int
    clears: int
    span: Span = SPAN

    def matches(self, state: int, op: str, args: Mapping[str, int], flags: int) -> bool:
        return (
            self.op == op
            and state in self.sources
            and all(args.get(k) == v for k, v in self.args)
            and guard_holds(self.guard, flags)
        )


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    guest_states: tuple[GuestState, ...]
    host_states: tuple[HostState, ...]
    flags: tuple[str, ...]
    ops: tuple[Op, ...]
    transitions: tuple[Transition, ...]
    source: SourceFile = field(compare=False, repr=False)

    @property
    def states(self) -> tuple[PageState, ...]:
        return tuple(
            PageState(g * len(self.host_states) + h, guest, host)
            for g, guest in enumerate(self.guest_states)
            for h, host in enumerate(self.host_states)
        )

    def state(self, index: int) -> PageState:
        n = len(self.host_states)
        guest, host = self.guest_states[index // n], self.host_states[index % n]
        return PageState(index, guest, host)

    def state_name(self, index: int) -> str:
        return self.state(index).name

    def op(self, name: str) -> Op:
        return next(op for op in self.ops if op.name == name)

    def is_lost(self, index: int) -> bool:
        return self.host_states[index % len(self.host_states)].lost

    def is_unused(self, index: int) -> bool:
        return self.guest_states[index // len(self.host_states)].unused


# --------------------------------------------------------------------------- spec

ValueType = Literal["int", "bool", "result", "state"]
Value = int | bool | str


@dataclass(frozen=True, slots=True)
class Const:
    value: Value
    type: ValueType
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class LocalRef:
    slot: int
    name: str
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class VarRef:
    index: int
    name: str
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class StateOf:
    page: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class FlagOf:
    page: int
    flag: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class StaleOf:
    """`stale(p0)`: the running CPU holds a translation of the page that points to a
    frame the host has since moved it away from."""

    page: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class FrameOf:
    """`frame(p0)`: which allocation the page's frame belongs to now (an integer)."""

    page: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class BoolOp:
    """Short-circuit `and` / `or`."""

    op: Literal["and", "or"]
    left: Expr
    right: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Arith:
    op: Literal["+", "-"]
    left: Expr
    right: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    left: Expr
    right: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Member:
    operand: Expr
    items: tuple[Expr, ...]
    span: Span = SPAN


Expr = (
    Const
    | LocalRef
    | VarRef
    | StateOf
    | FlagOf
    | FrameOf
    | StaleOf
    | Not
    | Neg
    | BoolOp
    | Arith
    | Compare
    | Member
)


@dataclass(frozen=True, slots=True)
class LocalTarget:
    slot: int
    name: str


@dataclass(frozen=True, slots=True)
class VarTarget:
    index: int
    name: str


Target = LocalTarget | VarTarget


@dataclass(frozen=True, slots=True)
class OpInstr:
    """A guest op or host action on a page; `handler` is where a fault continues."""

    page: int
    op: Op
    args: tuple[tuple[str, int], ...]
    value: Expr | None  # the value of a write
    target: Target | None
    handler: int | None
    next: int
    span: Span = SPAN
    whole: bool = False  # a store that overwrites the whole page (`whole write(...)`)


@dataclass(frozen=True, slots=True)
class AssignInstr:
    target: Target
    value: Expr
    next: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class AssertInstr:
    cond: Expr
    message: str | None
    next: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class AwaitInstr:
    cond: Expr
    next: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class BranchInstr:
    """The condition of an `if` or `while`: one step that picks the next pc."""

    kind: Literal["if", "while"]
    cond: Expr
    then: int
    orelse: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class AtomicInstr:
    """Runs the body from `entry` until control reaches `next`, all in one step."""

    guard: Expr | None  # the leading `await`, if any
    entry: int
    next: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class ReallocInstr:
    """`reallocate(p0)`: the page's frame is freed and allocated to another user."""

    page: int
    next: int
    span: Span = SPAN


#: the statements about translations: what each does to which slots (`docs/language.md`)
TlbKind = Literal["translate", "purge", "remap"]


@dataclass(frozen=True, slots=True)
class TlbInstr:
    """`translate(p0)`, `purge(p0)` or `remap(p0)`: a CPU caches the page's
    translation, every CPU's translation of it is purged, or the host moves the page
    to another frame."""

    kind: TlbKind
    page: int
    next: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class FenceInstr:
    """`fence`: enabled once the thread's store buffer is empty (`memory tso`).
    `implicit` marks the one a thread ends with, so that it finishes drained."""

    next: int
    span: Span = SPAN
    implicit: bool = False


Instr = (
    OpInstr
    | AssignInstr
    | AssertInstr
    | AwaitInstr
    | BranchInstr
    | AtomicInstr
    | ReallocInstr
    | TlbInstr
    | FenceInstr
)


@dataclass(frozen=True, slots=True)
class Label:
    """`LABEL: stmt`: the thread passes the point when it takes a step that starts at
    `pc`, the statement's first instruction (inside an `atomic` step too)."""

    name: str
    pc: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Thread:
    """A guest CPU or scripted host; pc `len(instrs)` means done."""

    name: str
    is_host: bool
    instrs: tuple[Instr, ...]
    entry: int
    locals: tuple[tuple[str, ValueType], ...]
    span: Span = SPAN
    labels: tuple[Label, ...] = ()
    """The thread's labelled statements (`LABEL: stmt`), in source order."""

    @property
    def end(self) -> int:
        return len(self.instrs)


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    state: int
    flags: int
    data: int
    valid: bool
    warned: bool
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    value: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class HostMove:
    """One asynchronous host action the spec allows on one page."""

    op: str
    page: int


@dataclass(frozen=True, slots=True)
class Never:
    cond: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Expect:
    verdict: Literal["safe", "violation"]
    prop: str | None
    span: Span = SPAN

    def describe(self) -> str:
        if self.verdict == "safe":
            return "safe"
        return f"violation {self.prop}" if self.prop else "violation"


@dataclass(frozen=True, slots=True)
class Eventually:
    """`check eventually THREAD at LABEL`: every fair run has thread `thread` pass
    `label` (docs/language.md, "Liveness")."""

    thread: int
    label: Label
    span: Span = SPAN


DEFAULT_BOUND = 100

MemoryModel = Literal["sc", "tso"]
MEMORY_MODELS: tuple[MemoryModel, ...] = ("sc", "tso")


@dataclass(frozen=True, slots=True)
class Spec:
    model: Model
    pages: tuple[Page, ...]
    vars: tuple[Var, ...]
    threads: tuple[Thread, ...]
    host_moves: tuple[HostMove, ...]
    nevers: tuple[Never, ...]
    properties: frozenset[str]
    bound: int
    expect: Expect | None
    source: SourceFile = field(compare=False, repr=False)
    strict: bool = False
    """`check coverage`: a `safe` that leaves statements unreached fails."""
    memory: MemoryModel = "sc"
    liveness: Span | None = field(default=None, compare=False, repr=False)
    """Where the first liveness check (`check terminates`, `check eventually`) is
    written; None: the spec checks no liveness."""
    eventually: tuple[Eventually, ...] = ()
    """`check eventually THREAD at LABEL`, in source order, duplicates dropped."""

    def page_index(self, name: str) -> int:
        return next(i for i, p in enumerate(self.pages) if p.name == name)
