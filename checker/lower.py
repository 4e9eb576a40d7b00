"""Lowering: a checked spec's threads -> pc-addressed `ir` instructions.

Each statement becomes one instruction at a program counter; blocks are laid out in
order and every instruction names its successor(s), so the engines step through a
flat array. Lowering also checks what only statements can get wrong: the kind and
arguments of each operation, assignment targets and types, `on fault` handlers, and
what `atomic` may contain. Expressions are checked by `check_expr`, the types of
locals come from `infer`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import cast

from . import ir
from . import syntax as ast
from .check_expr import REALLOCATE, STALE, TLB_WORDS, ExprChecker, Scope, type_words
from .check_model import no_such_parameter
from .errors import Abort, plural, quote, suggest
from .infer import assignments, infer_locals
from .source import Span


def lower_thread(thread: ast.ThreadDecl, exprs: ExprChecker) -> ir.Thread:
    """The thread as instructions; errors go to `exprs.errors` (then `Abort`)."""
    return ThreadLowering(exprs, thread).run()


#: the statements of the language's own that act on one page
PAGE_STATEMENTS = TLB_WORDS - {STALE} | {REALLOCATE}


class ThreadLowering:
    """Types a thread's locals and lowers its statements to instructions."""

    def __init__(self, exprs: ExprChecker, thread: ast.ThreadDecl) -> None:
        self.exprs = exprs
        self.names = exprs.names
        self.errors = exprs.errors
        self.thread = thread
        self.scope = Scope(thread, {})
        self.code: list[ir.Instr | None] = []
        self.labels: dict[str, ir.Label] = {}

    def run(self) -> ir.Thread:
        self._declare_locals()
        size = self._size_block(self.thread.body)
        self.code = [None] * size
        self._emit_block(self.thread.body, 0, size, in_atomic=False)
        locals_ = tuple(
            (name, t)
            for name, (_, t) in sorted(
                self.scope.locals.items(), key=lambda kv: kv[1][0]
            )
        )
        if any(i is None for i in self.code):
            raise Abort
        return ir.Thread(
            self.thread.name.name,
            self.thread.is_host,
            tuple(cast(list[ir.Instr], self.code)),
            0,
            locals_,
            self.thread.span,
            tuple(self.labels.values()),
        )

    # -- locals
    def _declare_locals(self) -> None:
        names = self.names
        for a in assignments(self.thread.body):
            n = a.target.name
            if n in names.vars:
                continue
            what = (
                "a state"
                if n in names.state_names
                else "a page"
                if n in names.pages
                else "an operation"
                if n in names.ops
                else "a flag"
                if n in names.flags
                else None
            )
            if what is not None:
                self.errors.error(
                    a.target.span, f"cannot assign to {quote(n)}: it names {what}"
                )
        for slot, (n, t) in enumerate(infer_locals(self.thread.body, names)):
            self.scope.locals[n] = (slot, t)

    # -- layout
    def _size_block(self, stmts: Sequence[ast.Stmt]) -> int:
        return sum(self._size(s) for s in stmts)

    def _size(self, s: ast.Stmt) -> int:
        match s:
            case ast.If(_, then, orelse):
                return 1 + self._size_block(then) + self._size_block(orelse or ())
            case ast.While(_, body):
                return 1 + self._size_block(body)
            case ast.Atomic(body):
                rest = body[1:] if body and isinstance(body[0], ast.Await) else body
                return 1 + self._size_block(rest)
            case ast.Assign(_, _, handler) | ast.ExprStmt(_, handler):
                return 1 + self._size_block(handler or ())
            case _:
                return 1

    def _emit_block(
        self, stmts: Sequence[ast.Stmt], pc: int, cont: int, *, in_atomic: bool
    ) -> None:
        for k, s in enumerate(stmts):
            size = self._size(s)
            nxt = pc + size if k + 1 < len(stmts) else cont
            self._label(s, pc)
            if (
                isinstance(s, ast.Atomic)
                and s.body
                and isinstance(s.body[0], ast.Await)
            ):
                self._label(s.body[0], pc)  # the atomic step's guard
            with contextlib.suppress(Abort):
                self._emit(s, pc, nxt, in_atomic=in_atomic)
            pc += size

    def _label(self, s: ast.Stmt, pc: int) -> None:
        """Record `LABEL: s` at `s`'s first instruction."""
        if s.label is None:
            return
        name = s.label.name
        if self.thread.is_host:
            self.errors.error(
                s.label.span,
                "a host thread has no labels: `check eventually` is about guest"
                " threads",
            )
        elif name in self.labels:
            self.errors.error(
                s.label.span,
                f"label {quote(name)} is given twice in thread"
                f" {quote(self.thread.name.name)}",
                [(self.labels[name].span, "first given here")],
            )
        else:
            self.labels[name] = ir.Label(name, pc, s.label.span)

    def _emit(self, s: ast.Stmt, pc: int, nxt: int, *, in_atomic: bool) -> None:
        exprs = self.exprs
        match s:
            case ast.Assign(target, ast.Call(name) as call, handler) if (
                name.name in self.names.ops
            ):
                self._emit_op(
                    call, target, handler, pc, nxt, in_atomic=in_atomic, span=s.span
                )
            case ast.ExprStmt(call, handler, _, whole) if (
                call.name.name in PAGE_STATEMENTS
                and call.name.name not in self.names.ops
            ):
                self._emit_page_statement(call, handler, whole, pc, nxt, s.span)
            case ast.ExprStmt(call, handler, _, whole):
                self._emit_op(
                    call,
                    None,
                    handler,
                    pc,
                    nxt,
                    in_atomic=in_atomic,
                    span=s.span,
                    whole=whole,
                )
            case ast.Assign(target, value, handler):
                if handler is not None:
                    self.errors.fatal(
                        s.span,
                        "only an access (such as `read` or `write`)"
                        " can have an `on fault` handler",
                    )
                lhs, want = self._target(target)
                self.code[pc] = ir.AssignInstr(
                    lhs, exprs.expect_type(value, self.scope, want), nxt, s.span
                )
            case ast.Assert(cond, message):
                self.code[pc] = ir.AssertInstr(
                    exprs.expect_type(cond, self.scope, "bool"), message, nxt, s.span
                )
            case ast.Await(cond):
                if in_atomic:
                    self.errors.fatal(
                        s.span,
                        "`await` inside `atomic` is allowed only as its first"
                        " statement",
                    )
                self.code[pc] = ir.AwaitInstr(
                    exprs.expect_type(cond, self.scope, "bool"), nxt, s.span
                )
            case ast.If(cond, then, orelse):
                c = exprs.expect_type(cond, self.scope, "bool")
                then_pc = pc + 1 if then else nxt
                else_start = pc + 1 + self._size_block(then)
                else_pc = else_start if orelse else nxt
                self.code[pc] = ir.BranchInstr("if", c, then_pc, else_pc, s.span)
                self._emit_block(then, pc + 1, nxt, in_atomic=in_atomic)
                self._emit_block(orelse or (), else_start, nxt, in_atomic=in_atomic)
            case ast.While(cond, body):
                if in_atomic:
                    self.errors.error(
                        s.span,
                        "`while` is not allowed inside `atomic`:"
                        " an atomic step must terminate",
                    )
                c = exprs.expect_type(cond, self.scope, "bool")
                self.code[pc] = ir.BranchInstr(
                    "while", c, pc + 1 if body else pc, nxt, s.span
                )
                self._emit_block(body, pc + 1, pc, in_atomic=in_atomic)
            case ast.Fence():
                if self.thread.is_host:
                    self.errors.fatal(
                        s.span,
                        "a host thread has no store buffer to drain: `fence` is a"
                        " guest CPU's",
                    )
                if in_atomic:
                    self.errors.fatal(
                        s.span,
                        "`fence` is not allowed inside `atomic`: an atomic step's"
                        " own stores are still buffered when it runs",
                    )
                self.code[pc] = ir.FenceInstr(nxt, s.span)
            case ast.Atomic(body):
                if in_atomic:
                    self.errors.error(s.span, "`atomic` blocks do not nest")
                guard = None
                rest = body
                if body and isinstance(body[0], ast.Await):
                    guard = exprs.expect_type(body[0].cond, self.scope, "bool")
                    rest = body[1:]
                entry = pc + 1 if rest else nxt
                self.code[pc] = ir.AtomicInstr(guard, entry, nxt, s.span)
                self._emit_block(rest, pc + 1, nxt, in_atomic=True)
            case _:
                raise AssertionError(s)

    def _target(self, ident: ast.Ident) -> tuple[ir.Target, ir.ValueType]:
        n = ident.name
        if n in self.names.vars:
            return ir.VarTarget(self.names.vars[n], n), "int"
        if n not in self.scope.locals:
            raise Abort
        slot, t = self.scope.locals[n]
        return ir.LocalTarget(slot, n), t

    def _emit_page_statement(
        self,
        call: ast.Call,
        handler: tuple[ast.Stmt, ...] | None,
        whole: bool,
        pc: int,
        nxt: int,
        span: Span,
    ) -> None:
        """A statement of the language's own on one page (`reallocate`, `translate`,
        `purge`, `remap`), which is not an access of the model."""
        word = call.name.name
        host = self.thread.is_host
        if word == REALLOCATE and host:
            self.errors.fatal(
                call.name.span,
                "a host thread cannot reallocate a guest's frame; the guest's"
                " allocator does",
            )
        if word == "translate" and host:
            self.errors.fatal(
                call.name.span,
                "a host thread holds no guest translation; a guest CPU translates",
            )
        if word == "remap" and not host:
            self.errors.fatal(
                call.name.span,
                "a guest thread cannot move a page to another frame; the host does",
            )
        if whole or handler is not None:
            self.errors.fatal(
                span,
                f"`{word}` is not an access: it takes no `whole` and no"
                " `on fault` handler",
            )
        if len(call.args) != 1 or call.kwargs:
            self.errors.fatal(call.span, f"`{word}` takes one page: {word}(PAGE)")
        page = self.exprs.page(call.args[0])
        if word == REALLOCATE:
            self.code[pc] = ir.ReallocInstr(page, nxt, span)
        else:
            self.code[pc] = ir.TlbInstr(cast(ir.TlbKind, word), page, nxt, span)

    def _emit_op(
        self,
        call: ast.Call,
        target: ast.Ident | None,
        handler: tuple[ast.Stmt, ...] | None,
        pc: int,
        nxt: int,
        *,
        in_atomic: bool,
        span: Span,
        whole: bool = False,
    ) -> None:
        exprs = self.exprs
        name = call.name.name
        op = self.names.ops.get(name)
        if op is None:
            if name in self.names.flags:
                self.errors.fatal(
                    call.span,
                    f"{quote(name)} is a flag test, not a statement:"
                    f" assign it (`x = {name}(...)`) or use it in a condition",
                )
            guest_ops = [
                o.name
                for o in self.names.model.ops
                if (o.kind == "action") == self.thread.is_host
            ] + (
                ["purge", "remap"]
                if self.thread.is_host
                else [REALLOCATE, "translate", "purge"]
            )
            self.errors.fatal(
                call.name.span,
                f"unknown operation {quote(name)}{suggest(name, guest_ops)}",
            )
        host = self.thread.is_host
        if host and op.kind != "action":
            self.errors.fatal(
                call.name.span,
                f"a host thread only performs host actions,"
                f" and {quote(name)} is a guest {op.kind}",
            )
        if not host and op.kind == "action":
            self.errors.fatal(
                call.name.span,
                f"a guest thread cannot perform the host action {quote(name)};"
                " use a `host thread` or `host may`",
            )
        if not call.args:
            self.errors.fatal(
                call.span,
                f"{quote(name)} needs a page as its first argument:"
                f" {name}(PAGE{', VALUE' if op.is_write else ''})",
            )
        if whole and not op.is_write:
            self.errors.fatal(
                span,
                f"`whole` marks a store that overwrites the whole page,"
                f" and {quote(name)} stores nothing",
            )
        page = exprs.page(call.args[0])
        value = None
        extra = call.args[1:]
        if op.is_write:
            if not extra:
                self.errors.fatal(
                    call.span,
                    f"{name} needs a value: {name}({call.args[0].span.text()}, VALUE)",
                )
            value = exprs.expect_type(extra[0], self.scope, "int")
            extra = extra[1:]
        if extra:
            self.errors.fatal(
                extra[0].span,
                f"too many arguments to {quote(name)}"
                + (
                    f"; parameters are given by name, e.g. {op.params[0]}=1"
                    if op.params
                    else ""
                ),
            )
        args: dict[str, int] = {}
        for kw in call.kwargs:
            if kw.name.name not in op.params:
                self.errors.fatal(kw.name.span, no_such_parameter(op, kw.name.name))
            if kw.name.name in args:
                self.errors.fatal(
                    kw.name.span, f"parameter {quote(kw.name.name)} is given twice"
                )
            if not isinstance(kw.value, ast.IntLit) or kw.value.value not in (0, 1):
                self.errors.fatal(
                    kw.value.span,
                    f"parameter {quote(kw.name.name)} takes a literal 0 or 1",
                )
            args[kw.name.name] = kw.value.value
        missing = [p for p in op.params if p not in args]
        if missing:
            given = ", ".join(
                [call.args[0].span.text(), *(f"{k}={v}" for k, v in args.items())]
            )
            example = ", ".join([given, *(f"{m}=0" for m in missing)])
            self.errors.fatal(
                call.span,
                f"{quote(name)} needs its {plural(len(missing), 'parameter')}"
                f" {', '.join(missing)}"
                f" (0 or 1), e.g. {name}({example})",
            )
        lhs: ir.Target | None = None
        if target is not None:
            if op.kind == "action" or op.is_write:
                self.errors.fatal(span, f"{quote(name)} returns no value to assign")
            lhs, want = self._target(target)
            got: ir.ValueType = "result" if op.kind == "call" else "int"
            if want != got:
                self.errors.fatal(
                    span,
                    f"cannot assign {type_words(got)} to {quote(target.name)},"
                    f" which holds {type_words(want)}",
                )
        handler_pc: int | None = None
        if handler is not None:
            if op.kind != "access":
                self.errors.fatal(
                    call.span,
                    f"only an access can fault, so {quote(name)} (a {op.kind})"
                    " takes no `on fault` handler",
                )
            handler_pc = pc + 1 if handler else nxt
            self._emit_block(handler, pc + 1, nxt, in_atomic=in_atomic)
        self.code[pc] = ir.OpInstr(
            page,
            op,
            tuple(sorted(args.items(), key=lambda kv: op.params.index(kv[0]))),
            value,
            lhs,
            handler_pc,
            nxt,
            span,
            whole,
        )
