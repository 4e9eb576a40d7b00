"""Checking a model: a model's `syntax.File` -> `ir.Model`, or every error found.

Declares the guest and host states, flags and operations (rejecting duplicates,
keywords and ambiguous concatenated state names), resolves each transition's states,
operations, parameters, guard and results, and adds the transitions of a DOT file
(`dot_import`). All problems are raised together as one `SourceError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import cast

from . import ir
from . import syntax as ast
from .dot_import import dot_transitions
from .errors import ErrorCollector, plural, quote, suggest
from .parser import keywords
from .source import SourceFile, Span


def check_model_tree(
    tree: ast.File, source: SourceFile, dot: bytes | None = None
) -> ir.Model:
    """Check a parsed model; raises `SourceError` with every problem found. `dot` is
    the content of the DOT file the model imports, when it was read before."""
    errors = ErrorCollector()
    headers = [i for i in tree.items if isinstance(i, ast.ModelHeader)]
    header = headers[0]
    for extra in headers[1:]:
        errors.error(
            extra.span, "a file holds one model; this is a second `model` line"
        )
    for item in tree.items:
        if not isinstance(item, ast.ModelItem):
            errors.error(
                item.span,
                f"{ast.describe_item(item)} belongs in a spec, but this file is a model",
            )

    guests = [p for i in tree.items if isinstance(i, ast.GuestDecl) for p in i.parts]
    hosts = [p for i in tree.items if isinstance(i, ast.HostDecl) for p in i.parts]
    if not guests:
        errors.error(
            header.span,
            "the model declares no guest states: add a `guest` line,"
            " e.g. `guest U unused, S, V, P`",
        )
    if not hosts:
        errors.error(
            header.span,
            "the model declares no host states: add a `host` line,"
            " e.g. `host r, p, z lost`",
        )
    seen: dict[str, Span] = {}
    kinds: dict[str, str] = {}

    def declare(ident: ast.Ident, what: str) -> None:
        if ident.name in keywords():
            errors.error(
                ident.span, f"{quote(ident.name)} is a keyword and cannot name a {what}"
            )
        elif ident.name in seen:
            errors.error(
                ident.span,
                f"{quote(ident.name)} is declared twice",
                [(seen[ident.name], "first declared here")],
            )
        else:
            seen[ident.name] = ident.span
            kinds[ident.name] = what

    for p in guests:
        declare(p.name, "guest state")
    for p in hosts:
        declare(p.name, "host state")
    flags = [n for i in tree.items if isinstance(i, ast.FlagDecl) for n in i.names]
    for f in flags:
        declare(f, "flag")
    flag_index = {f.name: k for k, f in enumerate(flags)}

    ops: list[ir.Op] = []
    for decl in (i for i in tree.items if isinstance(i, ast.OpDecl)):
        for sig in decl.sigs:
            declare(sig.name, "operation")
            params: list[str] = []
            for param in sig.params:
                if param.name in params:
                    errors.error(
                        param.span, f"parameter {quote(param.name)} is declared twice"
                    )
                params.append(param.name)
            sets = clears = 0
            for f in sig.sets + sig.clears:
                if f.name not in flag_index:
                    errors.unknown(f.span, "flag", f.name, flag_index)
            for f in sig.sets:
                sets |= 1 << flag_index.get(f.name, 0) if f.name in flag_index else 0
            for f in sig.clears:
                clears |= 1 << flag_index.get(f.name, 0) if f.name in flag_index else 0
            mode = sig.mode
            stores = mode is not None
            if mode is not None and mode.name != "stores":
                errors.error(
                    mode.span,
                    f"unknown word {quote(mode.name)} after {quote(sig.name.name)}:"
                    " an access may be declared `stores` (it carries a value),"
                    " followed by `sets`/`clears`",
                )
            elif mode is not None and decl.kind != "access":
                errors.error(
                    mode.span,
                    f"only an access stores, and {quote(sig.name.name)} is"
                    f" {'a call' if decl.kind == 'call' else 'an action'}",
                )
            ops.append(
                ir.Op(
                    sig.name.name,
                    decl.kind,
                    tuple(params),
                    sets,
                    clears,
                    sig.span,
                    stores,
                )
            )
    op_by_name = {op.name: op for op in ops}

    guest_states = tuple(
        ir.GuestState(p.name.name, p.marked, p.name.span) for p in guests
    )
    host_states = tuple(ir.HostState(p.name.name, p.marked, p.name.span) for p in hosts)
    declared = {n: (kinds[n], seen[n]) for n in seen}
    names = _state_names(guest_states, host_states, declared, errors)

    ctx = _ModelContext(
        guest_states, host_states, names, flag_index, op_by_name, errors
    )
    transitions: list[ir.Transition] = []
    if header.dot_file is not None:
        transitions.extend(
            dot_transitions(header, source, names, op_by_name, flag_index, errors, dot)
        )
    for rule in (i for i in tree.items if isinstance(i, ast.TransitionDecl)):
        transitions.extend(ctx.transitions(rule, len(transitions)))
    errors.raise_if_any()
    return ir.Model(
        header.name.name,
        guest_states,
        host_states,
        tuple(f.name for f in flags),
        tuple(ops),
        tuple(replace(t, index=k) for k, t in enumerate(transitions)),
        source,
    )


def _state_names(
    guest_states: tuple[ir.GuestState, ...],
    host_states: tuple[ir.HostState, ...],
    declared: dict[str, tuple[str, Span]],
    errors: ErrorCollector,
) -> dict[str, int]:
    """Concatenated state names; ambiguous or clashing ones are errors."""
    names: dict[str, int] = {}
    n = len(host_states)
    for g, guest in enumerate(guest_states):
        for h, host in enumerate(host_states):
            name = guest.name + host.name
            span = guest.span
            if name in names:
                other = names[name]
                og, oh = guest_states[other // n].name, host_states[other % n].name
                errors.error(
                    span,
                    f"state name {quote(name)} is ambiguous: it is both"
                    f" {guest.name}.{host.name} "
                    f"and {og}.{oh}; rename a guest or host state",
                    [(host.span, f"host state {quote(host.name)} declared here")],
                )
            elif name in declared:
                kind, where = declared[name]
                errors.error(
                    span,
                    f"state name {quote(name)} ({guest.name}.{host.name}) is also the name"
                    f" of the {kind} {quote(name)}; rename one of them",
                    [(where, f"{kind} {quote(name)} declared here")],
                )
            elif name in keywords():
                errors.error(
                    span,
                    f"state name {quote(name)} ({guest.name}.{host.name}) is a keyword",
                )
            else:
                names[name] = g * n + h
    return names


@dataclass
class _ModelContext:
    guest_states: tuple[ir.GuestState, ...]
    host_states: tuple[ir.HostState, ...]
    names: dict[str, int]
    flags: dict[str, int]
    ops: dict[str, ir.Op]
    errors: ErrorCollector

    def state(self, ref: ast.StateRef) -> int | None:
        return resolve_state(
            ref, self.guest_states, self.host_states, self.names, self.errors
        )

    def guard(self, g: ast.Guard) -> ir.Guard:
        match g:
            case ast.GuardFlag(name):
                if name.name not in self.flags:
                    self.errors.unknown(name.span, "flag", name.name, self.flags)
                    return ir.GuardConst(True)
                return ir.GuardFlag(self.flags[name.name])
            case ast.GuardConst(value):
                return ir.GuardConst(value)
            case ast.GuardNot(operand):
                return ir.GuardNot(self.guard(operand))
            case ast.GuardBinary("and", left, right):
                return ir.GuardAnd(self.guard(left), self.guard(right))
            case ast.GuardBinary(_, left, right):
                return ir.GuardOr(self.guard(left), self.guard(right))
        raise AssertionError(g)

    def transitions(self, decl: ast.TransitionDecl, start: int) -> list[ir.Transition]:
        sources = [self.state(s) for s in decl.sources]
        target = self.state(decl.target) if decl.target is not None else None
        guard = self.guard(decl.guard) if decl.guard is not None else None
        fault = any(r.kind == "fault" for r in decl.results)
        fail = any(r.kind == "fail" for r in decl.results)
        sets = clears = 0
        for r in decl.results:
            if r.flag is not None:
                if r.flag.name not in self.flags:
                    self.errors.unknown(r.flag.span, "flag", r.flag.name, self.flags)
                    continue
                bit = 1 << self.flags[r.flag.name]
                if r.kind == "set":
                    sets |= bit
                else:
                    clears |= bit
        if fault and fail:
            self.errors.error(decl.span, "a transition cannot both `fault` and `fail`")
        out: list[ir.Transition] = []
        for pat in decl.ops:
            op = self.ops.get(pat.name.name)
            if op is None:
                self.errors.unknown(pat.name.span, "operation", pat.name.name, self.ops)
                continue
            for r in decl.results:
                if r.kind == "fault" and op.kind != "access":
                    self.errors.error(
                        r.span,
                        f"only an access can `fault`, and {quote(op.name)} is"
                        f" {_a(op.kind)}",
                    )
                if r.kind == "fail" and op.kind != "call":
                    self.errors.error(
                        r.span,
                        f"only a call can `fail`, and {quote(op.name)} is {_a(op.kind)}",
                    )
            args: list[tuple[str, int]] = []
            for pname, value in pat.args:
                if pname.name not in op.params:
                    self.errors.error(pname.span, no_such_parameter(op, pname.name))
                elif value not in (0, 1):
                    self.errors.error(
                        pat.span,
                        f"parameters take the values 0 and 1, got {pname.name}={value}",
                    )
                elif any(k == pname.name for k, _ in args):
                    self.errors.error(
                        pname.span, f"parameter {quote(pname.name)} is given twice"
                    )
                else:
                    args.append((pname.name, value))
            if any(s is None for s in sources) or (
                decl.target is not None and target is None
            ):
                continue
            out.append(
                ir.Transition(
                    start + len(out),
                    frozenset(cast(list[int], sources)),
                    target,
                    op.name,
                    tuple(args),
                    guard,
                    fault,
                    fail,
                    sets,
                    clears,
                    decl.span,
                )
            )
        return out


def no_such_parameter(op: ir.Op, name: str) -> str:
    """`'f' has no parameter 'v' (its parameter: w)`."""
    if not op.params:
        return f"{quote(op.name)} has no parameter {quote(name)} (it takes none)"
    listed = ", ".join(op.params)
    return (
        f"{quote(op.name)} has no parameter {quote(name)}"
        f" (its {plural(len(op.params), 'parameter')}: {listed})"
    )


def _a(kind: str) -> str:
    """`a call`, `an access`, `an action`."""
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def resolve_state(
    ref: ast.StateRef | ast.DottedState | ast.Name,
    guest_states: Sequence[ir.GuestState],
    host_states: Sequence[ir.HostState],
    names: Mapping[str, int],
    errors: ErrorCollector,
) -> int | None:
    """The index of a state written `Sr` or `S.r`; an unknown one is reported."""
    n = len(host_states)
    if (isinstance(ref, ast.StateRef) and ref.guest is not None) or isinstance(
        ref, ast.DottedState
    ):
        guest = ref.guest
        host = ref.host
        gi = next((k for k, g in enumerate(guest_states) if g.name == guest), None)
        hi = next((k for k, h in enumerate(host_states) if h.name == host), None)
        if gi is None:
            errors.unknown(
                ref.span, "guest state", str(guest), [g.name for g in guest_states]
            )
            return None
        if hi is None:
            errors.unknown(
                ref.span, "host state", str(host), [h.name for h in host_states]
            )
            return None
        return gi * n + hi
    text = ref.text if isinstance(ref, ast.StateRef) else ref.name
    if text in names:
        return names[text]
    hint = suggest(text, names)
    if not hint:
        guests = ", ".join(g.name for g in guest_states)
        hosts = ", ".join(h.name for h in host_states)
        hint = (
            f" (a state is a guest state ({guests}) followed by a host state ({hosts}))"
        )
    errors.error(ref.span, f"unknown state {quote(text)}{hint}")
    return None
