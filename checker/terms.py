"""Terms over a global state's slots: the language in which a step is defined.

`step.py` executes each statement once, symbolically, and describes what it does as
terms over the state before the step. Every engine reads those terms: `semantics.py`
evaluates them on concrete values, `smt.py` translates them into Z3, and the explicit
engine compiles them into Python. The smart constructors fold constants, so a step
whose outcome is fixed by its program counter yields literal terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from . import ir

#: What a slot or term holds. `result` is `ok`/`fail`; `enum` values are small
#: non-negative integers (page states, program counters, thread statuses).
Sort = Literal["int", "bool", "result", "enum"]

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Lit:
    value: ir.Value
    sort: Sort


@dataclass(frozen=True, slots=True)
class Read:
    """The value of slot `slot` in the state before the step."""

    slot: int
    sort: Sort


@dataclass(frozen=True, slots=True)
class Not:
    operand: Term


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Ite:
    cond: Term
    then: Term
    orelse: Term


@dataclass(frozen=True, slots=True)
class Arith:
    op: Literal["+", "-"]
    left: Term
    right: Term


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Term


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Term
    right: Term


Term = Lit | Read | Not | And | Or | Ite | Arith | Neg | Compare

TRUE = Lit(True, "bool")
FALSE = Lit(False, "bool")


def sort_of(term: Term) -> Sort:
    match term:
        case Lit(_, sort) | Read(_, sort):
            return sort
        case Ite(_, then, _):
            return sort_of(then)
        case Arith() | Neg():
            return "int"
    return "bool"


# --------------------------------------------------------------------------- constructors


def boolean(value: bool) -> Lit:
    return TRUE if value else FALSE


def not_(x: Term) -> Term:
    match x:
        case Lit(value):
            return boolean(not value)
        case Not(operand):
            return operand
    return Not(x)


def and_(*xs: Term) -> Term:
    out: list[Term] = []
    for x in xs:
        if x == FALSE:
            return FALSE
        if x == TRUE:
            continue
        out.extend(x.operands if isinstance(x, And) else (x,))
    if not out:
        return TRUE
    return out[0] if len(out) == 1 else And(tuple(out))


def or_(*xs: Term) -> Term:
    out: list[Term] = []
    for x in xs:
        if x == TRUE:
            return TRUE
        if x == FALSE:
            continue
        out.extend(x.operands if isinstance(x, Or) else (x,))
    if not out:
        return FALSE
    return out[0] if len(out) == 1 else Or(tuple(out))


def ite(cond: Term, then: Term, orelse: Term) -> Term:
    if cond == TRUE or then == orelse:
        return then
    if cond == FALSE:
        return orelse
    if isinstance(cond, Not):
        return Ite(cond.operand, orelse, then)
    if then == TRUE and orelse == FALSE:
        return cond
    if then == FALSE and orelse == TRUE:
        return not_(cond)
    return Ite(cond, then, orelse)


def arith(op: Literal["+", "-"], left: Term, right: Term) -> Term:
    if isinstance(left, Lit) and isinstance(right, Lit):
        a, b = int(left.value), int(right.value)
        return Lit(a + b if op == "+" else a - b, "int")
    if isinstance(right, Lit) and right.value == 0:
        return left
    return Arith(op, left, right)


def neg(x: Term) -> Term:
    if isinstance(x, Lit):
        return Lit(-int(x.value), "int")
    return Neg(x)


def compare(op: CompareOp, left: Term, right: Term) -> Term:
    if isinstance(left, Lit) and isinstance(right, Lit):
        return boolean(compare_values(op, left.value, right.value))
    if op in ("==", "!=") and left == right:
        return boolean(op == "==")
    if op == "==" and sort_of(left) == "bool":
        if right == TRUE:
            return left
        if right == FALSE:
            return not_(left)
    return Compare(op, left, right)


def eq(left: Term, right: Term) -> Term:
    return compare("==", left, right)


def one_of(x: Term, values: Sequence[int], sort: Sort = "enum") -> Term:
    """`x` equals one of `values` (an empty list is false)."""
    return or_(*(eq(x, Lit(v, sort)) for v in values))


def compare_values(op: CompareOp, x: ir.Value, y: ir.Value) -> bool:
    """The meaning of a comparison on concrete values (language reference §2)."""
    if op == "==":
        return x == y
    if op == "!=":
        return x != y
    a, b = int(x), int(y)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


# --------------------------------------------------------------------------- evaluation


def evaluate(term: Term, slots: Sequence[ir.Value]) -> ir.Value:
    """The concrete value of `term` in the state whose slot values are `slots`."""
    match term:
        case Lit(value):
            return value
        case Read(slot):
            return slots[slot]
        case Not(x):
            return not evaluate(x, slots)
        case And(xs):
            return all(evaluate(x, slots) for x in xs)
        case Or(xs):
            return any(evaluate(x, slots) for x in xs)
        case Ite(c, a, b):
            return evaluate(a if evaluate(c, slots) else b, slots)
        case Arith(op, a, b):
            left, right = int(evaluate(a, slots)), int(evaluate(b, slots))
            return left + right if op == "+" else left - right
        case Neg(x):
            return -int(evaluate(x, slots))
        case Compare(op, a, b):
            return compare_values(op, evaluate(a, slots), evaluate(b, slots))
    raise AssertionError(term)


def substitute(
    term: Term, reads: Callable[[Read], Term], memo: dict[int, Term] | None = None
) -> Term:
    """`term` with every slot read replaced, simplified again; `memo` (by the identity
    of subterms) lets calls that share subterms share the work."""
    memo = {} if memo is None else memo

    def go(t: Term) -> Term:
        key = id(t)
        done = memo.get(key)
        if done is not None:
            return done
        match t:
            case Lit():
                out: Term = t
            case Read():
                out = reads(t)
            case Not(x):
                out = not_(go(x))
            case And(xs):
                out = and_(*(go(x) for x in xs))
            case Or(xs):
                out = or_(*(go(x) for x in xs))
            case Ite(c, a, b):
                out = ite(go(c), go(a), go(b))
            case Arith(op, a, b):
                out = arith(op, go(a), go(b))
            case Neg(x):
                out = neg(go(x))
            case Compare(op, a, b):
                out = compare(op, go(a), go(b))
            case _:
                raise AssertionError(t)
        memo[key] = out
        return out

    return go(term)


def reads_of(term: Term) -> set[int]:
    """The slots a term reads."""
    out: set[int] = set()
    stack = [term]
    while stack:
        match stack.pop():
            case Read(slot):
                out.add(slot)
            case Not(x) | Neg(x):
                stack.append(x)
            case And(xs) | Or(xs):
                stack.extend(xs)
            case Ite(c, a, b):
                stack += [c, a, b]
            case Arith(_, a, b) | Compare(_, a, b):
                stack += [a, b]
    return out
