"""The typed AST of `.pg` files, built by the parser and read by the checker.

Every node is a frozen, slotted dataclass with a `span` that equality ignores, so two
parses of equivalent text compare equal. Names are kept as `Ident`s so that every use
of a name can be pointed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .source import Span

SPAN = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ident:
    name: str
    span: Span = SPAN


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class StateRef:
    """`Sr` (one identifier, split by the checker) or `S.r` (dotted)."""

    text: str
    guest: str | None
    host: str | None
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class StatePart:
    """A guest or host state component and its marker (`unused` / `lost`)."""

    name: Ident
    marked: bool


@dataclass(frozen=True, slots=True)
class ModelHeader:
    name: Ident
    dot_file: str | None
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class GuestDecl:
    parts: tuple[StatePart, ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class HostDecl:
    parts: tuple[StatePart, ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class FlagDecl:
    names: tuple[Ident, ...]
    span: Span = SPAN


OpKind = Literal["call", "access", "action"]


@dataclass(frozen=True, slots=True)
class OpSig:
    name: Ident
    params: tuple[Ident, ...]
    sets: tuple[Ident, ...]
    clears: tuple[Ident, ...]
    span: Span = SPAN
    mode: Ident | None = None  # `stores` (an access that carries a value)


@dataclass(frozen=True, slots=True)
class OpDecl:
    kind: OpKind
    sigs: tuple[OpSig, ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class OpPattern:
    """`set_volatile(w=0)` in a transition's `on` list; no args matches every value."""

    name: Ident
    args: tuple[tuple[Ident, int], ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class GuardFlag:
    name: Ident
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class GuardConst:
    value: bool
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class GuardNot:
    operand: Guard
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class GuardBinary:
    op: Literal["and", "or"]
    left: Guard
    right: Guard
    span: Span = SPAN


Guard = GuardFlag | GuardConst | GuardNot | GuardBinary


@dataclass(frozen=True, slots=True)
class ResultItem:
    """One `=> ...` item: `fault`, `fail`, `set F` or `clear F`."""

    kind: Literal["fault", "fail", "set", "clear"]
    flag: Ident | None
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class TransitionDecl:
    sources: tuple[StateRef, ...]
    target: StateRef | None  # None is `same`
    ops: tuple[OpPattern, ...]
    guard: Guard | None
    results: tuple[ResultItem, ...]
    span: Span = SPAN


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class ResultLit:
    value: Literal["ok", "fail"]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Name:
    """A local, shared variable or (concatenated) state name; the checker decides."""

    name: str
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class DottedState:
    """`S.r` in an expression."""

    guest: str
    host: str
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class StateOf:
    page: Ident
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class KeywordArg:
    name: Ident
    value: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Call:
    """`NAME(args)`: an operation on a page or a flag test such as `dirty(p0)`."""

    name: Ident
    args: tuple[Expr, ...]
    kwargs: tuple[KeywordArg, ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class Unary:
    op: Literal["not", "-"]
    operand: Expr
    span: Span = SPAN


BinaryOp = Literal["+", "-", "==", "!=", "<", "<=", ">", ">=", "and", "or"]


@dataclass(frozen=True, slots=True)
class Binary:
    op: BinaryOp
    left: Expr
    right: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class InSet:
    operand: Expr
    items: tuple[Expr, ...]
    span: Span = SPAN


Expr = (
    IntLit
    | BoolLit
    | ResultLit
    | Name
    | DottedState
    | StateOf
    | Call
    | Unary
    | Binary
    | InSet
)


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class ExprStmt:
    """A bare call statement, `write(p0, 5)`, with an optional fault handler; `whole`
    marks a store that overwrites the whole page (`whole write(p0, 5)`)."""

    call: Call
    handler: tuple[Stmt, ...] | None
    span: Span = SPAN
    whole: bool = False
    label: Ident | None = None


@dataclass(frozen=True, slots=True)
class Assign:
    target: Ident
    value: Expr
    handler: tuple[Stmt, ...] | None
    span: Span = SPAN
    label: Ident | None = None


@dataclass(frozen=True, slots=True)
class Assert:
    cond: Expr
    message: str | None
    span: Span = SPAN
    label: Ident | None = None


@dataclass(frozen=True, slots=True)
class Await:
    cond: Expr
    span: Span = SPAN
    label: Ident | None = None


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] | None
    span: Span = SPAN
    label: Ident | None = None


@dataclass(frozen=True, slots=True)
class While:
    cond: Expr
    body: tuple[Stmt, ...]
    span: Span = SPAN
    label: Ident | None = None


@dataclass(frozen=True, slots=True)
class Atomic:
    body: tuple[Stmt, ...]
    span: Span = SPAN
    label: Ident | None = None


@dataclass(frozen=True, slots=True)
class Fence:
    """`fence`: waits until the thread's store buffer has drained (`memory tso`)."""

    span: Span = SPAN
    label: Ident | None = None


Stmt = ExprStmt | Assign | Assert | Await | If | While | Atomic | Fence
"""Every statement may carry a label (`LABEL: stmt`): a point that `check eventually`
names (docs/language.md, "Liveness")."""


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True, slots=True)
class UseDecl:
    target: str
    is_path: bool
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class PageDecl:
    name: Ident
    state: StateRef
    flags: tuple[Ident, ...]
    data: int | None
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class VarDecl:
    name: Ident
    value: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class ThreadDecl:
    name: Ident
    is_host: bool
    body: tuple[Stmt, ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class HostMayItem:
    op: Ident
    page: Ident | None  # None is `*`
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class HostMayDecl:
    items: tuple[HostMayItem, ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class HostNoneDecl:
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class NeverDecl:
    cond: Expr
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class PointCheck:
    """`check P THREAD at LABEL`: a property about one point of one thread
    (`eventually`); `at` is kept to report a misspelling of it."""

    prop: Ident
    thread: Ident
    at: Ident
    label: Ident
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class PropertyList:
    """`check P, ...` (enable) or `ignore P, ...` (disable)."""

    enable: bool
    props: tuple[Ident | PointCheck, ...]
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class BoundDecl:
    value: int
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class ExpectDecl:
    verdict: Literal["safe", "violation"]
    prop: Ident | None
    span: Span = SPAN


@dataclass(frozen=True, slots=True)
class MemoryDecl:
    """`memory tso`: the spec's memory model (sequential consistency without one)."""

    model: Ident
    span: Span = SPAN


ModelItem = ModelHeader | GuestDecl | HostDecl | FlagDecl | OpDecl | TransitionDecl
SpecItem = (
    UseDecl
    | PageDecl
    | VarDecl
    | ThreadDecl
    | HostMayDecl
    | HostNoneDecl
    | NeverDecl
    | PropertyList
    | BoundDecl
    | ExpectDecl
    | MemoryDecl
)
Item = ModelItem | SpecItem


@dataclass(frozen=True, slots=True)
class File:
    """A parsed `.pg` file: its items in source order; the checker sorts out the kind."""

    items: tuple[Item, ...]
    span: Span = SPAN

    @property
    def header(self) -> ModelHeader | None:
        """The first `model` line: a file with one is a model, any other a spec."""
        return next((i for i in self.items if isinstance(i, ModelHeader)), None)


_ITEM_WORDS: dict[type, str] = {
    UseDecl: "`use`",
    PageDecl: "`page`",
    VarDecl: "`var`",
    ThreadDecl: "a thread",
    HostMayDecl: "`host may`",
    HostNoneDecl: "`host none`",
    NeverDecl: "`never`",
    PropertyList: "`check`/`ignore`",
    BoundDecl: "`bound`",
    ExpectDecl: "`expect`",
    MemoryDecl: "`memory`",
    ModelHeader: "`model`",
    GuestDecl: "`guest`",
    HostDecl: "a `host` states line",
    FlagDecl: "`flag`",
    OpDecl: "an operation declaration",
    TransitionDecl: "a transition",
}


def describe_item(item: Item) -> str:
    """The declaration as messages name it: "`page`", "a thread"."""
    return _ITEM_WORDS.get(type(item), "this declaration")
