"""Linting a model: `ir.Model` -> `LintFinding`s (after checking, beside the engines).

A checked model is well formed, but it may still leave a guest operation undefined in
some state (a spec reaching it is an `undefined` violation), have states no transition
enters, match one operation with several transitions (a nondeterministic choice), or
declare operations no transition uses. `pagecheck lint` prints these as warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from . import ir
from .source import Span

FindingKind = Literal["undefined", "unreachable", "nondeterministic", "unused-op"]

#: Above this many parameters plus flags, undefined valuations are listed one by one.
_MAX_VARIABLES = 12


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One warning about a model, at the declaration or transition it concerns."""

    kind: FindingKind
    message: str
    span: Span | None = field(compare=False)

    def render(self, default_file: str = "pagecheck") -> str:
        where = self.span.location() if self.span is not None else default_file
        return f"{where}: warning: {self.message}"


def lint_model(model: ir.Model) -> list[LintFinding]:
    """Every finding for `model`: unused operations, then state by state what is
    unreachable or undefined, then nondeterministic matches in transition order."""
    used = {t.op for t in model.transitions}
    findings = list(_unused_ops(model, used))
    entered = {
        t.target
        for t in model.transitions
        if t.target is not None and t.sources - {t.target}
    }
    for state in model.states:
        if state.index not in entered:
            findings.append(
                LintFinding(
                    "unreachable",
                    f"state {state.name} is unreachable unless a page starts there:"
                    " no transition enters it",
                    state.guest.span,
                )
            )
        findings.extend(_undefined_ops(model, state, used))
    findings.extend(_nondeterministic_matches(model))
    return findings


# --------------------------------------------------------------------------- checks


def _unused_ops(model: ir.Model, used: set[str]) -> Iterable[LintFinding]:
    for op in model.ops:
        if op.name in used:
            continue
        if op.kind == "action":
            effect = "the host can never perform it"
        else:
            effect = f"every {op.name} by a guest is undefined"
        yield LintFinding(
            "unused-op",
            f"{_kind_words(op.kind)} {op.name!r} is declared but no transition uses it"
            f" ({effect})",
            op.span,
        )


def _undefined_ops(
    model: ir.Model, state: ir.PageState, used: set[str]
) -> Iterable[LintFinding]:
    """The guest operations (and parameter values, flag values) `state` leaves open."""
    guest_ops = [op for op in model.ops if op.kind != "action" and op.name in used]
    gaps = {op.name: _undefined_valuations(model, state.index, op) for op in guest_ops}
    if len(guest_ops) > 1 and all(
        len(gaps[op.name]) == _valuation_count(model, op) for op in guest_ops
    ):
        names = ", ".join(op.name for op in guest_ops)
        yield LintFinding(
            "undefined",
            f"every guest operation is undefined on {state.name} ({names})",
            state.guest.span,
        )
        return
    for op in guest_ops:
        width = len(op.params) + len(model.flags)
        for cube in _describe(gaps[op.name], width):
            args, when = _split_cube(cube, op.params, model.flags)
            message = f"{_op_text(op.name, args)} on {state.name} is undefined"
            if when:
                message += f" when {when}"
            yield LintFinding("undefined", message, op.span)


def _nondeterministic_matches(model: ir.Model) -> Iterable[LintFinding]:
    for first, second in combinations(model.transitions, 2):
        if first.op != second.op:
            continue
        states = first.sources & second.sources
        if not states:
            continue
        args = dict(first.args)
        if any(args.get(name, value) != value for name, value in second.args):
            continue
        args.update(second.args)
        both = [
            flags
            for flags in range(1 << len(model.flags))
            if ir.guard_holds(first.guard, flags)
            and ir.guard_holds(second.guard, flags)
        ]
        if not both:
            continue
        names = ", ".join(model.state_name(s) for s in sorted(states))
        op = model.op(first.op)
        shown_args = tuple((p, args[p]) for p in op.params if p in args)
        what = f"{_op_text(first.op, shown_args)} on {names}"
        when = _flag_condition(both, model.flags)
        if second.span == first.span:
            other = "matches this transition twice"
        else:
            other = (
                f"matches both this transition and the one at {_where(first, second)}"
            )
        message = f"nondeterministic: {what} {other}"
        if when:
            message += f" when {when}"
        yield LintFinding("nondeterministic", message, second.span)


# --------------------------------------------------------------------------- valuations


def _valuation_count(model: ir.Model, op: ir.Op) -> int:
    return 1 << (len(op.params) + len(model.flags))


def _undefined_valuations(model: ir.Model, state: int, op: ir.Op) -> list[int]:
    """The (params, flags) valuations in which `op` has no transition from `state`.

    A valuation is an integer: bit k < len(params) is parameter k, the bits above it
    are the model's flags in order.
    """
    n = len(op.params)
    candidates = [
        t for t in model.transitions if t.op == op.name and state in t.sources
    ]
    missing = []
    for valuation in range(_valuation_count(model, op)):
        args = {p: valuation >> k & 1 for k, p in enumerate(op.params)}
        flags = valuation >> n
        if not any(t.matches(state, op.name, args, flags) for t in candidates):
            missing.append(valuation)
    return missing


Cube = tuple[int, int]  # (mask of the constrained variables, their values)


def _describe(valuations: Sequence[int], width: int) -> list[Cube]:
    """A small set of cubes whose union is exactly `valuations` (Quine-McCluskey)."""
    full = (1 << width) - 1
    if width > _MAX_VARIABLES:
        return [(full, v) for v in valuations]
    cubes = {(full, v) for v in valuations}
    primes: set[Cube] = set()
    while cubes:
        merged: set[Cube] = set()
        used: set[Cube] = set()
        for a, b in combinations(sorted(cubes), 2):
            if a[0] != b[0]:
                continue
            diff = a[1] ^ b[1]
            if diff and diff & (diff - 1) == 0:
                merged.add((a[0] & ~diff, a[1] & ~diff))
                used.update((a, b))
        primes |= cubes - used
        cubes = merged
    uncovered = set(valuations)
    chosen: list[Cube] = []
    while uncovered:
        best = max(
            sorted(primes),
            key=lambda c: (
                len([v for v in uncovered if v & c[0] == c[1]]),
                -c[0].bit_count(),
            ),
        )
        chosen.append(best)
        uncovered = {v for v in uncovered if v & best[0] != best[1]}
    return sorted(chosen, key=lambda c: (c[0].bit_count(), c[1], c[0]))


def _split_cube(
    cube: Cube, params: Sequence[str], flags: Sequence[str]
) -> tuple[tuple[tuple[str, int], ...], str]:
    mask, value = cube
    args = tuple((p, value >> k & 1) for k, p in enumerate(params) if mask >> k & 1)
    n = len(params)
    literals = [
        name if value >> (n + k) & 1 else f"not {name}"
        for k, name in enumerate(flags)
        if mask >> (n + k) & 1
    ]
    return args, " and ".join(literals)


def _flag_condition(valuations: Sequence[int], flags: Sequence[str]) -> str:
    """`` when every valuation is listed, else the condition they satisfy."""
    if len(valuations) == 1 << len(flags):
        return ""
    cubes = _describe(valuations, len(flags))
    parts = [_split_cube(cube, (), flags)[1] for cube in cubes]
    if len(parts) == 1:
        return parts[0]
    return " or ".join(f"({p})" if " and " in p else p for p in parts)


# --------------------------------------------------------------------------- words


def _op_text(name: str, args: Sequence[tuple[str, int]]) -> str:
    if not args:
        return name
    return f"{name}({', '.join(f'{k}={v}' for k, v in args)})"


def _kind_words(kind: ir.OpKind) -> str:
    return {"call": "call", "access": "access", "action": "host action"}[kind]


def _where(first: ir.Transition, second: ir.Transition) -> str:
    if first.span.file == second.span.file:
        return f"line {first.span.line}"
    return first.span.location()
