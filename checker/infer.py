"""Local type inference: a thread's assignments -> the type of each of its locals.

Locals need no declaration (language.md §2): a local takes the type of the values
assigned to it. This is a pure function of the thread's statements and the spec's
names; it reports nothing. Where an assigned expression is ill-typed the local gets
whatever type the expression's outermost operator gives (or `int`), and checking the
assignment later reports the error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from . import ir
from . import syntax as ast
from .check_expr import FRAME, STALE, SpecNames

_OP_RESULTS: dict[ir.OpKind, ir.ValueType | None] = {
    "call": "result",
    "access": "int",
    "action": None,
}


def assignments(stmts: Sequence[ast.Stmt]) -> Iterable[ast.Assign]:
    """Every assignment in `stmts`, nested blocks and fault handlers included."""
    for s in stmts:
        match s:
            case ast.Assign():
                yield s
                if s.handler:
                    yield from assignments(s.handler)
            case ast.ExprStmt(_, handler) if handler:
                yield from assignments(handler)
            case ast.If(_, then, orelse):
                yield from assignments(then)
                yield from assignments(orelse or ())
            case ast.While(_, body) | ast.Atomic(body):
                yield from assignments(body)


def infer_locals(
    body: Sequence[ast.Stmt], names: SpecNames
) -> tuple[tuple[str, ir.ValueType], ...]:
    """The thread's locals in order of first assignment, each with its type.

    Assignments are visited until no local gains a type, so `y = x` may come before
    `x = 1`; a local whose type nothing fixes is an integer.
    """
    assigns = [a for a in assignments(body) if a.target.name not in names.vars]
    types: dict[str, ir.ValueType] = {}
    changed = True
    while changed:
        changed = False
        for a in assigns:
            if a.target.name in types:
                continue
            t = assigned_type(a.value, names, types)
            if t is not None:
                types[a.target.name] = t
                changed = True
    order = dict.fromkeys(a.target.name for a in assigns)
    return tuple((n, types.get(n, "int")) for n in order)


def assigned_type(
    e: ast.Expr, names: SpecNames, known: Mapping[str, ir.ValueType]
) -> ir.ValueType | None:
    """The type of `x = e` given the locals typed so far; None: not known (yet)."""
    if isinstance(e, ast.Call) and e.name.name in names.ops:
        op = names.ops[e.name.name]
        return None if op.is_write else _OP_RESULTS[op.kind]
    return expr_type(e, names, known)


def expr_type(
    e: ast.Expr, names: SpecNames, known: Mapping[str, ir.ValueType]
) -> ir.ValueType | None:
    """The type an expression has if it is well typed; None when a name in it is
    unknown or an operation is used as a value."""
    match e:
        case ast.IntLit() | ast.Unary("-", _):
            return "int"
        case ast.BoolLit() | ast.Unary("not", _) | ast.InSet():
            return "bool"
        case ast.ResultLit():
            return "result"
        case ast.Name(n):
            if n in names.vars:
                return "int"
            if n in known:
                return known[n]
            return "state" if n in names.state_names else None
        case ast.DottedState() | ast.StateOf():
            return "state"
        case ast.Call(name):
            if name.name in names.flags:
                return "bool"
            if name.name == STALE and name.name not in names.ops:
                return "bool"
            return "int" if name.name == FRAME and name.name not in names.ops else None
        case ast.Binary("+" | "-"):
            return "int"
        case ast.Binary():
            return "bool"
    return None
