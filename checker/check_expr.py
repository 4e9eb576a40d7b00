"""Checking expressions: `syntax.Expr` -> typed `ir.Expr`, against a spec's names.

A spec's names (`SpecNames`: the model's states, flags and operations, the spec's
pages and shared variables, and which thread owns each local) are fixed once its
declarations are checked; `ExprChecker` resolves every name of an expression and
enforces the strict types of language.md §2 (integers, booleans, `ok`/`fail` and
states do not mix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from . import ir
from . import syntax as ast
from .check_model import resolve_state
from .errors import Abort, ErrorCollector, quote, suggest

Typed = tuple[ir.Expr, ir.ValueType]


@dataclass
class Scope:
    """Names a thread (or a `never`) can see: the thread's locals, slot and type."""

    thread: ast.ThreadDecl | None
    locals: dict[str, tuple[int, ir.ValueType]]


@dataclass(frozen=True)
class SpecNames:
    """Every name a spec's statements and expressions may refer to."""

    model: ir.Model
    pages: Mapping[str, int]
    vars: Mapping[str, int]
    local_owner: Mapping[str, str]
    """A local's name -> the first thread that assigns it."""

    @cached_property
    def state_names(self) -> Mapping[str, int]:
        return {s.name: s.index for s in self.model.states}

    @cached_property
    def flags(self) -> Mapping[str, int]:
        return {f: k for k, f in enumerate(self.model.flags)}

    @cached_property
    def ops(self) -> Mapping[str, ir.Op]:
        return {op.name: op for op in self.model.ops}


class ExprChecker:
    """Types and resolves expressions, recording errors in `errors`; an expression
    that cannot be checked raises `Abort` after its error is recorded."""

    def __init__(self, names: SpecNames, errors: ErrorCollector) -> None:
        self.names = names
        self.errors = errors

    def expect_type(self, e: ast.Expr, scope: Scope, want: ir.ValueType) -> ir.Expr:
        out, got = self.expr(e, scope)
        if got != want:
            self.errors.fatal(
                e.span, f"expected {type_words(want)}, got {type_words(got)}"
            )
        return out

    def expr(self, e: ast.Expr, scope: Scope) -> Typed:
        match e:
            case ast.IntLit(value):
                return ir.Const(value, "int", e.span), "int"
            case ast.BoolLit(value):
                return ir.Const(value, "bool", e.span), "bool"
            case ast.ResultLit(value):
                return ir.Const(value, "result", e.span), "result"
            case ast.Name():
                return self.name(e, scope)
            case ast.DottedState():
                state = resolve_state(
                    e,
                    self.names.model.guest_states,
                    self.names.model.host_states,
                    self.names.state_names,
                    self.errors,
                )
                if state is None:
                    raise Abort
                return ir.Const(state, "state", e.span), "state"
            case ast.StateOf(page):
                return ir.StateOf(self.page(page), e.span), "state"
            case ast.Call():
                return self.flag_test(e, scope)
            case ast.Unary("not", operand):
                return ir.Not(self.expect_type(operand, scope, "bool"), e.span), "bool"
            case ast.Unary(_, operand):
                return ir.Neg(self.expect_type(operand, scope, "int"), e.span), "int"
            case ast.Binary("and" | "or" as op, left, right):
                return ir.BoolOp(
                    op,
                    self.expect_type(left, scope, "bool"),
                    self.expect_type(right, scope, "bool"),
                    e.span,
                ), "bool"
            case ast.Binary("+" | "-" as op, left, right):
                return ir.Arith(
                    op,
                    self.expect_type(left, scope, "int"),
                    self.expect_type(right, scope, "int"),
                    e.span,
                ), "int"
            case ast.Binary("==" | "!=" as op, left, right):
                lhs, lt = self.expr(left, scope)
                rhs, rt = self.expr(right, scope)
                if lt != rt:
                    self.errors.fatal(
                        e.span,
                        f"cannot compare {type_words(lt)} with {type_words(rt)}",
                    )
                return ir.Compare(op, lhs, rhs, e.span), "bool"
            case ast.Binary("<" | "<=" | ">" | ">=" as op, left, right):
                return ir.Compare(
                    op,
                    self.expect_type(left, scope, "int"),
                    self.expect_type(right, scope, "int"),
                    e.span,
                ), "bool"
            case ast.InSet(operand, items):
                lhs, lt = self.expr(operand, scope)
                return ir.Member(
                    lhs, tuple(self.expect_type(i, scope, lt) for i in items), e.span
                ), "bool"
        raise AssertionError(e)

    def name(self, e: ast.Name, scope: Scope) -> Typed:
        n = e.name
        if n in self.names.vars:
            return ir.VarRef(self.names.vars[n], n, e.span), "int"
        if n in scope.locals:
            slot, t = scope.locals[n]
            return ir.LocalRef(slot, n, e.span), t
        if n in self.names.state_names:
            return ir.Const(self.names.state_names[n], "state", e.span), "state"
        if n in self.names.pages:
            self.errors.fatal(
                e.span,
                f"page {quote(n)} is not a value: write state({n}) or a flag test"
                f" such as {next(iter(self.names.flags), 'dirty')}({n})",
            )
        page = next(iter(self.names.pages), "p0")
        if n in self.names.flags:
            self.errors.fatal(
                e.span, f"{quote(n)} is a flag: test it on a page, e.g. {n}({page})"
            )
        if n in self.names.ops:
            self.errors.fatal(
                e.span,
                f"{quote(n)} is an operation: call it on a page, e.g. {n}({page})",
            )
        owner = self.names.local_owner.get(n)
        if owner is not None:
            where = (
                "a `never` expression sees only shared variables, pages and states"
                if scope.thread is None
                else "threads share only variables declared with `var`"
            )
            self.errors.fatal(
                e.span, f"{quote(n)} is a local of thread {quote(owner)}; {where}"
            )
        candidates = [*self.names.vars, *scope.locals, *self.names.state_names]
        where = " in a `never` expression" if scope.thread is None else ""
        self.errors.fatal(
            e.span, f"unknown name {quote(n)}{where}{suggest(n, candidates)}"
        )

    def page(self, ident: ast.Ident | ast.Expr) -> int:
        name = ident.name if isinstance(ident, ast.Ident | ast.Name) else None
        if name is None:
            self.errors.fatal(ident.span, "expected a page name")
        if name not in self.names.pages:
            self.errors.fatal(
                ident.span, f"unknown page {quote(name)}{self.page_hint(name)}"
            )
        return self.names.pages[name]

    def page_hint(self, name: str) -> str:
        hint = suggest(name, self.names.pages)
        if hint or not self.names.pages:
            return hint or " (the spec declares no pages: add `page NAME : STATE`)"
        return f" (declared pages: {', '.join(self.names.pages)})"

    def flag_test(self, e: ast.Call, scope: Scope) -> Typed:
        name = e.name.name
        if name in self.names.ops:
            self.errors.fatal(
                e.span,
                f"operation {quote(name)} cannot be part of an expression: store its"
                f" result first (`x = {name}(...)`) and use `x`",
            )
        if name == REALLOCATE and name not in self.names.flags:
            self.errors.fatal(
                e.span,
                "`reallocate` is a statement of its own and has no value:"
                " reallocate(PAGE), then read `frame(PAGE)`",
            )
        if name == FRAME and name not in self.names.flags:
            if len(e.args) != 1 or e.kwargs:
                self.errors.fatal(
                    e.span, "`frame` takes one page: frame(PAGE), its identity"
                )
            return ir.FrameOf(self.page(e.args[0]), e.span), "int"
        if name in TLB_WORDS and name not in self.names.flags:
            return self.stale_test(e, scope), "bool"
        if name not in self.names.flags:
            candidates = [*self.names.flags, *self.names.ops, "state", FRAME, STALE]
            self.errors.fatal(
                e.name.span,
                f"unknown flag or operation {quote(name)}{suggest(name, candidates)}",
            )
        if len(e.args) != 1 or e.kwargs:
            self.errors.fatal(e.span, f"a flag test takes one page: {name}(PAGE)")
        return ir.FlagOf(self.page(e.args[0]), self.names.flags[name], e.span), "bool"

    def stale_test(self, e: ast.Call, scope: Scope) -> ir.StaleOf:
        name = e.name.name
        if name != STALE:
            self.errors.fatal(
                e.span,
                f"`{name}` is a statement of its own and has no value:"
                f" {name}(PAGE), then test `stale(PAGE)`",
            )
        if scope.thread is None or scope.thread.is_host:
            self.errors.fatal(
                e.span,
                "`stale` asks about the running CPU's own translation: only a guest"
                " thread can test it",
            )
        if len(e.args) != 1 or e.kwargs:
            self.errors.fatal(e.span, "`stale` takes one page: stale(PAGE)")
        return ir.StaleOf(self.page(e.args[0]), e.span)


#: `stale(p0)` and the statements about translations (`translate`, `purge`, `remap`);
#: each unless the model declares a name so spelt
STALE = "stale"
TLB_WORDS = frozenset({STALE, "translate", "purge", "remap"})

#: `frame(p0)`, the identity of a page's frame, and `reallocate(p0)`, which gives it a
#: new one; each unless the model declares a name so spelt
FRAME = "frame"
REALLOCATE = "reallocate"


def type_words(t: ir.ValueType | None) -> str:
    return {
        "int": "an integer",
        "bool": "a boolean",
        "result": "a call result (`ok`/`fail`)",
        "state": "a page state",
        None: "nothing (this operation returns no value)",
    }[t]
