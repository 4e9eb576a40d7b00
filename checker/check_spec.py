"""Checking a spec: a spec's `syntax.File` and its model -> `ir.Spec`, or every error.

Declares the pages and shared variables (their names may not clash with each other or
with the model's states, operations and flags), then checks the threads (`lower`), the
`never` conditions, the host's moves, properties, bound and expectation. Finding the
model a spec `use`s is the loader's job (`load`); here it is given. All problems are
raised together as one `SourceError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace

from . import ir
from . import syntax as ast
from .check_expr import ExprChecker, Scope, SpecNames
from .check_model import resolve_state
from .errors import Abort, ErrorCollector, quote, suggest
from .infer import assignments
from .lower import lower_thread
from .source import SourceFile, Span


def check_spec_tree(tree: ast.File, source: SourceFile, model: ir.Model) -> ir.Spec:
    """Check a parsed spec against the model it uses; raises `SourceError` with every
    problem found."""
    errors = ErrorCollector()
    uses = [i for i in tree.items if isinstance(i, ast.UseDecl)]
    if uses and tree.items[0] is not uses[0]:
        errors.error(
            uses[0].span,
            "`use` must come first in a spec",
            [(tree.items[0].span, "this comes before it")],
        )
    for extra in uses[1:]:
        errors.error(
            extra.span, "a spec uses exactly one model; this is a second `use`"
        )
    spec = _SpecChecker(tree, source, model, errors).run()
    errors.raise_if_any()
    assert spec is not None
    return spec


class _SpecChecker:
    def __init__(
        self,
        tree: ast.File,
        source: SourceFile,
        model: ir.Model,
        errors: ErrorCollector,
    ) -> None:
        self.tree = tree
        self.source = source
        self.model = model
        self.errors = errors
        self.state_names = {s.name: s.index for s in model.states}
        self.flags = {f: k for k, f in enumerate(model.flags)}
        self.ops = {op.name: op for op in model.ops}

    def run(self) -> ir.Spec | None:
        items = self.tree.items
        for item in items:
            if isinstance(item, ast.ModelItem):
                self.errors.error(
                    item.span,
                    f"{ast.describe_item(item)} belongs in a model,"
                    " but this file is a spec",
                )
        taken: dict[str, Span] = {}  # pages and variables share one namespace
        pages = self._pages([i for i in items if isinstance(i, ast.PageDecl)], taken)
        vars_ = self._vars([i for i in items if isinstance(i, ast.VarDecl)], taken)
        threads_ast = [i for i in items if isinstance(i, ast.ThreadDecl)]
        self._thread_names(threads_ast)
        var_index = {v.name: k for k, v in enumerate(vars_)}
        local_owner: dict[str, str] = {}
        for t in threads_ast:
            for a in assignments(t.body):
                if a.target.name not in var_index:
                    local_owner.setdefault(a.target.name, t.name.name)
        names = SpecNames(
            self.model, {p.name: k for k, p in enumerate(pages)}, var_index, local_owner
        )
        exprs = ExprChecker(names, self.errors)
        threads = []
        for t in threads_ast:
            with contextlib.suppress(Abort):
                threads.append(lower_thread(t, exprs))
        host_moves = self._host_moves(items, exprs)
        nevers = []
        for n in (i for i in items if isinstance(i, ast.NeverDecl)):
            with contextlib.suppress(Abort):
                nevers.append(
                    ir.Never(exprs.expect_type(n.cond, Scope(None, {}), "bool"), n.span)
                )
        properties = set(ir.DEFAULT_PROPERTIES)
        strict = False
        live: dict[str, Span] = {}  # each liveness property on: where first checked
        eventually: dict[tuple[int, str], ir.Eventually] = {}
        for pl in (i for i in items if isinstance(i, ast.PropertyList)):
            for p in pl.props:
                if isinstance(p, ast.PointCheck):
                    point = self._point(p, threads_ast, threads)
                    if point is not None:
                        eventually.setdefault((point.thread, point.label.name), point)
                        properties.add(ir.EVENTUALLY)
                        live.setdefault(ir.EVENTUALLY, p.span)
                elif p.name == ir.STRICT_CHECK:
                    strict = pl.enable
                elif p.name == ir.EVENTUALLY and pl.enable:
                    self.errors.error(
                        p.span,
                        "`check eventually` names a thread and a point in it:"
                        " `check eventually THREAD at LABEL`",
                    )
                elif self._property(p):
                    (properties.add if pl.enable else properties.discard)(p.name)
                    if p.name in ir.LIVENESS_PROPERTIES and pl.enable:
                        live.setdefault(p.name, p.span)
                    elif p.name in ir.LIVENESS_PROPERTIES:
                        live.pop(p.name, None)
                        if p.name == ir.EVENTUALLY:
                            eventually.clear()
        terminates = live.get("terminates")
        if terminates is not None and not any(not t.is_host for t in threads_ast):
            self.errors.error(
                terminates, "`check terminates` needs a guest thread: it is about them"
            )
        liveness = min(live.values(), key=lambda s: (s.line, s.col), default=None)
        bound = ir.DEFAULT_BOUND
        for b in [i for i in items if isinstance(i, ast.BoundDecl)][:1]:
            if b.value < 0:
                self.errors.error(b.span, f"bound must be ≥ 0, got bound={b.value}")
            bound = b.value
        for b in [i for i in items if isinstance(i, ast.BoundDecl)][1:]:
            self.errors.error(b.span, "`bound` is given twice")
        expects = [i for i in items if isinstance(i, ast.ExpectDecl)]
        expect = None
        if expects:
            e = expects[0]
            prop = (
                e.prop.name if e.prop is not None and self._property(e.prop) else None
            )
            expect = ir.Expect(e.verdict, prop, e.span)
            if prop in ir.LIVENESS_PROPERTIES and prop not in properties:
                check = f"check {prop}"
                if prop == ir.EVENTUALLY:
                    check += " THREAD at LABEL"
                self.errors.error(
                    e.prop.span if e.prop is not None else e.span,
                    f"`expect violation {prop}` needs `{check}`:"
                    " the property is off by default",
                )
        for e in expects[1:]:
            self.errors.error(e.span, "`expect` is given twice")
        memory = self._memory([i for i in items if isinstance(i, ast.MemoryDecl)])
        threads = [_with_memory(t, memory, self.errors) for t in threads]
        if self.errors.items:
            return None
        return ir.Spec(
            self.model,
            pages,
            vars_,
            tuple(threads),
            host_moves,
            tuple(nevers),
            frozenset(properties),
            bound,
            expect,
            self.source,
            strict,
            memory,
            liveness,
            tuple(eventually.values()),
        )

    def _memory(self, decls: Sequence[ast.MemoryDecl]) -> ir.MemoryModel:
        for d in decls[1:]:
            self.errors.error(d.span, "`memory` is given twice")
        if not decls:
            return "sc"
        name = decls[0].model
        for m in ir.MEMORY_MODELS:
            if name.name == m:
                return m
        self.errors.error(
            name.span,
            f"unknown memory model {quote(name.name)}"
            + suggest(name.name, ir.MEMORY_MODELS)
            + "; the models are sc (the default) and tso",
        )
        return "sc"

    def _thread_names(self, threads: Sequence[ast.ThreadDecl]) -> None:
        names: dict[str, Span] = {}
        for t in threads:
            if t.name.name in names:
                self.errors.error(
                    t.name.span,
                    f"thread {quote(t.name.name)} is declared twice",
                    [(names[t.name.name], "first declared here")],
                )
            names[t.name.name] = t.name.span
            if t.name.name == "host":
                self.errors.error(
                    t.name.span,
                    "'host' names the asynchronous host in traces;"
                    " choose another thread name",
                )

    def _point(
        self,
        p: ast.PointCheck,
        threads_ast: Sequence[ast.ThreadDecl],
        threads: Sequence[ir.Thread],
    ) -> ir.Eventually | None:
        """`check eventually THREAD at LABEL`, resolved; None after an error."""
        if p.prop.name != ir.EVENTUALLY:
            if self._property(p.prop):
                self.errors.error(
                    p.thread.span,
                    f"`check {p.prop.name}` takes no thread: only `check eventually`"
                    " names a thread and a label",
                )
            return None
        if p.at.name != "at":
            self.errors.error(
                p.at.span, f"expected `at` after the thread, found {quote(p.at.name)}"
            )
            return None
        names = [t.name.name for t in threads_ast]
        name = p.thread.name
        if name not in names:
            self.errors.unknown(p.thread.span, "thread", name, names)
            return None
        index = names.index(name)
        if threads_ast[index].is_host:
            self.errors.error(
                p.thread.span,
                f"{quote(name)} is a host thread: `check eventually` is about guest"
                " threads (the host need not be fair)",
            )
            return None
        thread = next((t for t in threads if t.name == name), None)
        if thread is None:
            return None  # its body has errors, reported where they are
        labels = {label.name: label for label in thread.labels}
        label = labels.get(p.label.name)
        if label is None:
            self.errors.error(
                p.label.span,
                f"thread {quote(name)} has no label {quote(p.label.name)}"
                + suggest(p.label.name, labels),
            )
            return None
        return ir.Eventually(index, label, p.span)

    def _property(self, ident: ast.Ident) -> bool:
        if ident.name in ir.PROPERTIES:
            return True
        self.errors.error(
            ident.span,
            f"unknown property {quote(ident.name)}"
            + (
                suggest(ident.name, ir.PROPERTIES)
                or f" (properties: {', '.join(ir.PROPERTIES)})"
            ),
        )
        return False

    def _claim(self, ident: ast.Ident, what: str, taken: dict[str, Span]) -> bool:
        name = ident.name
        if name in taken:
            self.errors.error(
                ident.span,
                f"{quote(name)} is declared twice",
                [(taken[name], "first declared here")],
            )
            return False
        if name in self.state_names:
            self.errors.error(
                ident.span,
                f"{quote(name)} is a state of model {quote(self.model.name)}"
                f" and cannot name a {what}",
            )
            return False
        if name in self.ops or name in self.flags:
            kind = "an operation" if name in self.ops else "a flag"
            self.errors.error(
                ident.span,
                f"{quote(name)} is {kind} of model {quote(self.model.name)}"
                f" and cannot name a {what}",
            )
            return False
        taken[name] = ident.span
        return True

    def _pages(
        self, decls: list[ast.PageDecl], taken: dict[str, Span]
    ) -> tuple[ir.Page, ...]:
        out: list[ir.Page] = []
        for p in decls:
            if not self._claim(p.name, "page", taken):
                continue
            state = resolve_state(
                p.state,
                self.model.guest_states,
                self.model.host_states,
                self.state_names,
                self.errors,
            )
            flags = 0
            for f in p.flags:
                if f.name not in self.flags:
                    self.errors.unknown(f.span, "flag", f.name, self.flags)
                else:
                    flags |= 1 << self.flags[f.name]
            if state is None:
                # still declared, so that later uses are not unknown pages; the
                # error recorded means no spec is built from the placeholder
                state = 0
            elif p.data is not None and self.model.is_lost(state):
                self.errors.error(
                    p.span,
                    f"page {quote(p.name.name)} starts in"
                    f" {self.model.state_name(state)},"
                    f" whose content is lost: it takes no `= {p.data}`",
                )
            valid = p.data is not None
            out.append(
                ir.Page(
                    p.name.name, state, flags, p.data or 0, valid, not valid, p.span
                )
            )
        return tuple(out)

    def _vars(
        self, decls: list[ast.VarDecl], taken: dict[str, Span]
    ) -> tuple[ir.Var, ...]:
        return tuple(
            ir.Var(v.name.name, v.value, v.span)
            for v in decls
            if self._claim(v.name, "variable", taken)
        )

    def _host_moves(
        self, items: Sequence[ast.Item], exprs: ExprChecker
    ) -> tuple[ir.HostMove, ...]:
        pages = exprs.names.pages
        mays = [i for i in items if isinstance(i, ast.HostMayDecl)]
        nones = [i for i in items if isinstance(i, ast.HostNoneDecl)]
        actions = [op.name for op in self.model.ops if op.kind == "action"]
        if nones and mays:
            self.errors.error(
                nones[0].span,
                "`host none` contradicts `host may`",
                [(mays[0].span, "`host may` is here")],
            )
        if nones:
            return ()
        if not mays:
            return tuple(ir.HostMove(a, p) for p in range(len(pages)) for a in actions)
        moves: list[ir.HostMove] = []
        for decl in mays:
            for item in decl.items:
                op = self.ops.get(item.op.name)
                if op is None:
                    self.errors.unknown(
                        item.op.span, "host action", item.op.name, actions
                    )
                    continue
                if op.kind != "action":
                    self.errors.error(
                        item.op.span,
                        f"`host may` lists host actions,"
                        f" and {quote(op.name)} is a guest {op.kind}",
                    )
                    continue
                if item.page is None:
                    targets = list(range(len(pages)))
                elif item.page.name in pages:
                    targets = [pages[item.page.name]]
                else:
                    self.errors.error(
                        item.page.span,
                        f"unknown page {quote(item.page.name)}"
                        f"{exprs.page_hint(item.page.name)}",
                    )
                    continue
                for page in targets:
                    move = ir.HostMove(op.name, page)
                    if move not in moves:
                        moves.append(move)
        return tuple(moves)


def _with_memory(
    thread: ir.Thread, memory: ir.MemoryModel, errors: ErrorCollector
) -> ir.Thread:
    """Under `memory tso` a guest thread ends with an implicit fence, so that it
    finishes only once its stores reached memory; under `sc` a `fence` is an error."""
    if memory == "sc":
        for instr in thread.instrs:
            if isinstance(instr, ir.FenceInstr):
                errors.error(
                    instr.span,
                    "`fence` orders a store buffer, and this spec has none:"
                    " add `memory tso`",
                )
        return thread
    if thread.is_host:
        return thread
    end = ir.FenceInstr(thread.end + 1, thread.span, implicit=True)
    return replace(thread, instrs=(*thread.instrs, end))
