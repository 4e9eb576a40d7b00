"""Checking: `syntax.File` -> `ir.Model` or `ir.Spec`, or every error found.

Resolves names (pages, vars, locals, ops, states, flags, models), op kinds, parameters
and strict types, loads the model a spec `use`s (and a model's DOT file), and lowers
thread bodies to instructions. All problems of a file are collected and raised together
as one `SourceError`.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn, cast

from . import ir
from . import syntax as ast
from .errors import Diagnostic, SourceError
from .files import read_source
from .parser import DotEdge, parse, parse_dot
from .source import SourceFile, Span

KEYWORDS = frozenset(
    [
        "model",
        "from",
        "dot",
        "guest",
        "host",
        "flag",
        "call",
        "access",
        "action",
        "unused",
        "lost",
        "sets",
        "clears",
        "on",
        "if",
        "else",
        "same",
        "fault",
        "fail",
        "set",
        "clear",
        "not",
        "and",
        "or",
        "use",
        "page",
        "var",
        "thread",
        "may",
        "none",
        "never",
        "check",
        "ignore",
        "bound",
        "expect",
        "safe",
        "violation",
        "assert",
        "await",
        "while",
        "atomic",
        "true",
        "false",
        "ok",
        "in",
        "state",
    ]
)


class _Abort(Exception):
    """Stops checking one construct after its error was recorded."""


@dataclass
class Diagnostics:
    items: list[Diagnostic] = field(default_factory=list)

    def error(
        self,
        span: Span | None,
        message: str,
        notes: Sequence[tuple[Span | None, str]] = (),
    ) -> None:
        self.items.append(Diagnostic(span, message, None, tuple(notes)))

    def fatal(self, span: Span | None, message: str) -> NoReturn:
        self.error(span, message)
        raise _Abort

    def raise_if_any(self) -> None:
        if self.items:
            raise SourceError(diagnostics=sorted(self.items, key=Diagnostic.sort_key))


def suggest(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the nearest candidate, or nothing."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _q(name: str) -> str:
    return f"'{name}'"


def _a(kind: str) -> str:
    """`a call`, `an access`, `an action`."""
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


# =========================================================================== loading


def load(
    path: Path, *, models_dirs: Sequence[Path] = (), display: str | None = None
) -> ir.Model | ir.Spec:
    """Read, parse and check one `.pg` file (a model or a spec)."""
    source = read_source(path, display)
    tree = parse(source)
    if _is_model(tree):
        return check_model(tree, source)
    return check_spec(tree, source, models_dirs=models_dirs)


def load_spec(
    path: Path, *, models_dirs: Sequence[Path] = (), display: str | None = None
) -> ir.Spec:
    """Like `load`, but a model file is an error: a spec is what can be checked."""
    source = read_source(path, display)
    tree = parse(source)
    if _is_model(tree):
        header = next(i for i in tree.items if isinstance(i, ast.ModelHeader))
        raise SourceError(
            header.span,
            f"{source.name} is a model, not a spec:"
            f" check a spec that says `use {header.name.name}`",
        )
    return check_spec(tree, source, models_dirs=models_dirs)


def load_model(path: Path, display: str | None = None) -> ir.Model:
    source = read_source(path, display)
    tree = parse(source)
    if not _is_model(tree):
        if not tree.items:
            raise SourceError(
                None,
                "the file is empty: expected a model (`model NAME`)",
                file=source.name,
            )
        use = next((i for i in tree.items if isinstance(i, ast.UseDecl)), None)
        hint = (
            f": give the model it uses (`use {use.target}`) instead"
            if use is not None and not use.is_path
            else "; a model starts with `model NAME`"
        )
        raise SourceError(
            _first_span(tree, source), f"{source.name} is a spec, not a model{hint}"
        )
    return check_model(tree, source)


def is_model_file(path: Path) -> bool:
    """True when the file parses as a model (used to skip models in folders)."""
    try:
        return _is_model(parse(read_source(path)))
    except SourceError:
        return False


def _is_model(tree: ast.File) -> bool:
    return any(isinstance(i, ast.ModelHeader) for i in tree.items)


def _first_span(tree: ast.File, source: SourceFile) -> Span | None:
    return tree.items[0].span if tree.items else None


def find_model(name: str, spec_dir: Path, models_dirs: Sequence[Path]) -> Path | None:
    """`use NAME`: NAME.pg on --models, then in `models/` beside the spec's folder
    (or above it)."""
    dirs = [*models_dirs, *_model_folders(spec_dir)]
    for d in dirs:
        candidate = d / f"{name}.pg"
        if candidate.is_file():
            return candidate
    for d in dirs:
        if not d.is_dir():
            continue
        for candidate in sorted(d.glob("*.pg")):
            try:
                tree = parse(read_source(candidate))
            except SourceError:
                continue
            if any(
                isinstance(i, ast.ModelHeader) and i.name.name == name
                for i in tree.items
            ):
                return candidate
    return None


def _model_folders(spec_dir: Path) -> list[Path]:
    """`models/` beside the spec's folder, inside it, then beside each folder above."""
    folders = [spec_dir.parent / "models", spec_dir / "models"]
    folders += [a / "models" for a in spec_dir.resolve().parents[1:]]
    return folders


def _known_model_names(spec_dir: Path, models_dirs: Sequence[Path]) -> list[str]:
    names: list[str] = []
    for d in [*models_dirs, *_model_folders(spec_dir)[:2]]:
        if d.is_dir():
            names.extend(p.stem for p in d.glob("*.pg"))
    return names


# =========================================================================== models


def check_model(tree: ast.File, source: SourceFile) -> ir.Model:
    diags = Diagnostics()
    headers = [i for i in tree.items if isinstance(i, ast.ModelHeader)]
    header = headers[0]
    for extra in headers[1:]:
        diags.error(extra.span, "a file holds one model; this is a second `model` line")
    for item in tree.items:
        if not isinstance(item, ast.ModelItem):
            diags.error(
                item.span,
                f"{_describe_item(item)} belongs in a spec, but this file is a model",
            )

    guests = [p for i in tree.items if isinstance(i, ast.GuestDecl) for p in i.parts]
    hosts = [p for i in tree.items if isinstance(i, ast.HostDecl) for p in i.parts]
    if not guests:
        diags.error(
            header.span,
            "the model declares no guest states: add a `guest` line,"
            " e.g. `guest U unused, S, V, P`",
        )
    if not hosts:
        diags.error(
            header.span,
            "the model declares no host states: add a `host` line,"
            " e.g. `host r, p, z lost`",
        )
    seen: dict[str, Span] = {}
    kinds: dict[str, str] = {}

    def declare(ident: ast.Ident, what: str) -> None:
        if ident.name in KEYWORDS:
            diags.error(
                ident.span, f"{_q(ident.name)} is a keyword and cannot name a {what}"
            )
        elif ident.name in seen:
            diags.error(
                ident.span,
                f"{_q(ident.name)} is declared twice",
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
                    diags.error(
                        param.span, f"parameter {_q(param.name)} is declared twice"
                    )
                params.append(param.name)
            sets = clears = 0
            for f in sig.sets + sig.clears:
                if f.name not in flag_index:
                    diags.error(
                        f.span,
                        f"unknown flag {_q(f.name)}{suggest(f.name, flag_index)}",
                    )
            for f in sig.sets:
                sets |= 1 << flag_index.get(f.name, 0) if f.name in flag_index else 0
            for f in sig.clears:
                clears |= 1 << flag_index.get(f.name, 0) if f.name in flag_index else 0
            ops.append(
                ir.Op(sig.name.name, decl.kind, tuple(params), sets, clears, sig.span)
            )
    op_by_name = {op.name: op for op in ops}

    guest_states = tuple(
        ir.GuestState(p.name.name, p.marked, p.name.span) for p in guests
    )
    host_states = tuple(ir.HostState(p.name.name, p.marked, p.name.span) for p in hosts)
    declared = {n: (kinds[n], seen[n]) for n in seen}
    names = _state_names(guest_states, host_states, declared, diags)

    ctx = _ModelContext(guest_states, host_states, names, flag_index, op_by_name, diags)
    transitions: list[ir.Transition] = []
    if header.dot_file is not None:
        transitions.extend(_import_dot(header, source, ctx))
    for rule in (i for i in tree.items if isinstance(i, ast.TransitionDecl)):
        transitions.extend(ctx.transitions(rule, len(transitions)))
    diags.raise_if_any()
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
    diags: Diagnostics,
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
                diags.error(
                    span,
                    f"state name {_q(name)} is ambiguous: it is both"
                    f" {guest.name}.{host.name} "
                    f"and {og}.{oh}; rename a guest or host state",
                    [(host.span, f"host state {_q(host.name)} declared here")],
                )
            elif name in declared:
                kind, where = declared[name]
                diags.error(
                    span,
                    f"state name {_q(name)} ({guest.name}.{host.name}) is also the name"
                    f" of the {kind} {_q(name)}; rename one of them",
                    [(where, f"{kind} {_q(name)} declared here")],
                )
            elif name in KEYWORDS:
                diags.error(
                    span,
                    f"state name {_q(name)} ({guest.name}.{host.name}) is a keyword",
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
    diags: Diagnostics

    def state(self, ref: ast.StateRef) -> int | None:
        return resolve_state(
            ref, self.guest_states, self.host_states, self.names, self.diags
        )

    def guard(self, g: ast.Guard) -> ir.Guard:
        match g:
            case ast.GuardFlag(name):
                if name.name not in self.flags:
                    self.diags.error(
                        name.span,
                        f"unknown flag {_q(name.name)}{suggest(name.name, self.flags)}",
                    )
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
        guard_text = _guard_text(decl.guard) if decl.guard is not None else None
        fault = any(r.kind == "fault" for r in decl.results)
        fail = any(r.kind == "fail" for r in decl.results)
        sets = clears = 0
        for r in decl.results:
            if r.flag is not None:
                if r.flag.name not in self.flags:
                    self.diags.error(
                        r.flag.span,
                        f"unknown flag {_q(r.flag.name)}"
                        f"{suggest(r.flag.name, self.flags)}",
                    )
                    continue
                bit = 1 << self.flags[r.flag.name]
                if r.kind == "set":
                    sets |= bit
                else:
                    clears |= bit
        if fault and fail:
            self.diags.error(decl.span, "a transition cannot both `fault` and `fail`")
        out: list[ir.Transition] = []
        for pat in decl.ops:
            op = self.ops.get(pat.name.name)
            if op is None:
                self.diags.error(
                    pat.name.span,
                    f"unknown operation {_q(pat.name.name)}"
                    f"{suggest(pat.name.name, self.ops)}",
                )
                continue
            for r in decl.results:
                if r.kind == "fault" and op.kind != "access":
                    self.diags.error(
                        r.span,
                        f"only an access can `fault`, and {_q(op.name)} is"
                        f" {_a(op.kind)}",
                    )
                if r.kind == "fail" and op.kind != "call":
                    self.diags.error(
                        r.span,
                        f"only a call can `fail`, and {_q(op.name)} is {_a(op.kind)}",
                    )
            args: list[tuple[str, int]] = []
            for pname, value in pat.args:
                if pname.name not in op.params:
                    params = ", ".join(op.params) or "none"
                    self.diags.error(
                        pname.span,
                        f"{_q(op.name)} has no parameter {_q(pname.name)}"
                        f" (its parameters: {params})",
                    )
                elif value not in (0, 1):
                    self.diags.error(
                        pat.span,
                        f"parameters take the values 0 and 1, got {pname.name}={value}",
                    )
                elif any(k == pname.name for k, _ in args):
                    self.diags.error(
                        pname.span, f"parameter {_q(pname.name)} is given twice"
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
                    guard_text,
                    fault,
                    fail,
                    sets,
                    clears,
                    decl.span,
                )
            )
        return out


def resolve_state(
    ref: ast.StateRef | ast.DottedState | ast.Name,
    guest_states: Sequence[ir.GuestState],
    host_states: Sequence[ir.HostState],
    names: dict[str, int],
    diags: Diagnostics,
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
            diags.error(
                ref.span,
                f"unknown guest state {_q(str(guest))}"
                f"{suggest(str(guest), [g.name for g in guest_states])}",
            )
            return None
        if hi is None:
            diags.error(
                ref.span,
                f"unknown host state {_q(str(host))}"
                f"{suggest(str(host), [h.name for h in host_states])}",
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
    diags.error(ref.span, f"unknown state {_q(text)}{hint}")
    return None


def _guard_text(g: ast.Guard) -> str:
    match g:
        case ast.GuardFlag(name):
            return name.name
        case ast.GuardConst(value):
            return "true" if value else "false"
        case ast.GuardNot(operand):
            inner = _guard_text(operand)
            return (
                f"not {inner}"
                if isinstance(operand, ast.GuardFlag | ast.GuardConst | ast.GuardNot)
                else f"not ({inner})"
            )
        case ast.GuardBinary(op, left, right):
            return f"({_guard_text(left)} {op} {_guard_text(right)})"
    raise AssertionError(g)


# --------------------------------------------------------------------------- DOT import


def _dot_label_ops(
    label: str,
) -> list[tuple[str, tuple[tuple[str, int], ...], str | None]] | None:
    """Ops (name, args, guard) for a seed-style edge label, or None when unknown."""
    text = " ".join(label.split()).replace(" (", "(")
    table: dict[str, list[tuple[str, tuple[tuple[str, int], ...], str | None]]] = {
        "set stable": [("set_stable", (), None)],
        "set stable(_if_present)": [
            ("set_stable", (), None),
            ("set_stable_if_present", (), None),
        ],
        "set stable_if_present": [("set_stable_if_present", (), None)],
        "set stable if present": [("set_stable_if_present", (), None)],
        "set unused": [("set_unused", (), None)],
        "set volatile": [("set_volatile", (), None)],
        "set volatile(w=0)": [("set_volatile", (("w", 0),), None)],
        "set volatile(w=1)": [("set_volatile", (("w", 1),), None)],
        "guest write": [("write", (), None)],
        "guest read": [("read", (), None)],
        "guest access": [("read", (), None), ("write", (), None)],
        "host swap": [("swap", (), None)],
        "host discard": [("discard", (), None)],
        "host discard(dirty)": [("discard", (), "dirty")],
        "host discard(clean)": [("discard", (), "not dirty")],
    }
    return table.get(text)


def _import_dot(
    header: ast.ModelHeader, source: SourceFile, ctx: _ModelContext
) -> list[ir.Transition]:
    assert header.dot_file is not None
    base = source.path.parent if source.path is not None else Path(".")
    path = base / header.dot_file
    if not path.is_file():
        ctx.diags.error(
            header.span,
            f"cannot import {header.dot_file!r}: no such file"
            " (the path is relative to the model's folder)",
        )
        return []
    try:
        dot_source = read_source(path, _display_path(source, header.dot_file))
    except SourceError as err:
        ctx.diags.items.extend(err.diagnostics)
        return []
    try:
        edges = parse_dot(dot_source)
    except SourceError as err:
        ctx.diags.items.extend(err.diagnostics)
        return []
    out: list[ir.Transition] = []
    for edge in edges:
        out.extend(_edge_transitions(edge, ctx, len(out)))
    return out


def _display_path(source: SourceFile, relative: str) -> str:
    parent = Path(source.name).parent
    return str(parent / relative) if str(parent) != "." else relative


def _edge_transitions(
    edge: DotEdge, ctx: _ModelContext, start: int
) -> list[ir.Transition]:
    where = f"edge {edge.source} -> {edge.target} (line {edge.span.line})"
    label = edge.attr("label")
    if label is None:
        ctx.diags.error(
            edge.span,
            f"{where} has no label: pagecheck cannot tell which operation it is",
        )
        return []
    ops = _dot_label_ops(label)
    if ops is None:
        shown = " ".join(label.split())
        ctx.diags.error(
            edge.span,
            f"unknown label {shown!r} on {where}; known labels: set stable,"
            " set stable(_if_present), set unused, set volatile [(w=0|w=1)],"
            " guest write, guest access, host swap, "
            "host discard [(dirty|clean)]",
        )
        return []
    states = []
    for end in (edge.source, edge.target):
        if end in ctx.names:
            states.append(ctx.names[end])
        else:
            ctx.diags.error(
                edge.span,
                f"unknown state {_q(end)} on {where}{suggest(end, ctx.names)}",
            )
    if len(states) != 2:
        return []
    out: list[ir.Transition] = []
    for name, args, guard_text in ops:
        op = ctx.ops.get(name)
        if op is None:
            ctx.diags.error(
                edge.span,
                f"{where} needs the operation {_q(name)},"
                " which the model does not declare",
            )
            continue
        guard: ir.Guard | None = None
        if guard_text is not None:
            if "dirty" not in ctx.flags:
                ctx.diags.error(
                    edge.span,
                    f"{where} needs the flag 'dirty', which the model does not declare",
                )
                continue
            flag = ir.GuardFlag(ctx.flags["dirty"])
            guard = flag if guard_text == "dirty" else ir.GuardNot(flag)
        target = states[1] if states[1] != states[0] else None
        out.append(
            ir.Transition(
                start + len(out),
                frozenset({states[0]}),
                target,
                op.name,
                args,
                guard,
                guard_text,
                False,
                False,
                0,
                0,
                edge.span,
            )
        )
    return out


def _describe_item(item: ast.Item) -> str:
    words = {
        ast.UseDecl: "`use`",
        ast.PageDecl: "`page`",
        ast.VarDecl: "`var`",
        ast.ThreadDecl: "a thread",
        ast.HostMayDecl: "`host may`",
        ast.HostNoneDecl: "`host none`",
        ast.NeverDecl: "`never`",
        ast.PropertyList: "`check`/`ignore`",
        ast.BoundDecl: "`bound`",
        ast.ExpectDecl: "`expect`",
        ast.ModelHeader: "`model`",
        ast.GuestDecl: "`guest`",
        ast.HostDecl: "a `host` states line",
        ast.FlagDecl: "`flag`",
        ast.OpDecl: "an operation declaration",
        ast.TransitionDecl: "a transition",
    }
    return words.get(type(item), "this declaration")


# =========================================================================== specs


def check_spec(
    tree: ast.File, source: SourceFile, *, models_dirs: Sequence[Path] = ()
) -> ir.Spec:
    diags = Diagnostics()
    if not tree.items:
        raise SourceError(
            None,
            "the file is empty: expected a model (`model NAME`)"
            " or a spec (`use MODEL`)",
            file=source.name,
        )
    uses = [i for i in tree.items if isinstance(i, ast.UseDecl)]
    if not uses:
        raise SourceError(
            tree.items[0].span,
            "expected `use MODEL` first:"
            " a spec starts with `use`, a model with `model NAME`",
        )
    if tree.items[0] is not uses[0]:
        diags.error(
            uses[0].span,
            "`use` must come first in a spec",
            [(tree.items[0].span, "this comes before it")],
        )
    for extra in uses[1:]:
        diags.error(extra.span, "a spec uses exactly one model; this is a second `use`")
    model = _load_used_model(uses[0], source, models_dirs)
    spec = _SpecChecker(tree, source, model, diags).run()
    diags.raise_if_any()
    assert spec is not None
    return spec


def _load_used_model(
    use: ast.UseDecl, source: SourceFile, models_dirs: Sequence[Path]
) -> ir.Model:
    spec_dir = source.path.parent if source.path is not None else Path()
    if use.is_path:
        path = spec_dir / use.target
        display = _display_path(source, use.target)
        if not path.is_file():
            raise SourceError(
                use.span,
                f"model file {use.target!r} not found"
                " (the path is relative to the spec's folder)",
            )
    else:
        found = find_model(use.target, spec_dir, models_dirs)
        if found is None:
            known = _known_model_names(spec_dir, models_dirs)
            dirs = [*models_dirs, spec_dir.parent / "models"]
            where = " or ".join(f"{d}/" for d in dirs)
            hint = suggest(use.target, known) or "; --models DIR adds a folder"
            raise SourceError(
                use.span, f"model {_q(use.target)} not found in {where}{hint}"
            )
        path, display = found, str(found)
    if source.path is not None and path.resolve() == source.path.resolve():
        raise SourceError(use.span, "a spec cannot use itself (a cycle of `use`)")
    back = (use.span, f"in the model {_q(use.target)} used here")
    try:
        model_source = read_source(path, display)
        model_tree = parse(model_source)
        if _is_model(model_tree):
            model = check_model(model_tree, model_source)
    except SourceError as err:
        first, *rest = err.diagnostics
        noted = replace(first, notes=(*first.notes, back))
        raise SourceError(diagnostics=[noted, *rest]) from None
    if not _is_model(model_tree):
        if not any(isinstance(i, ast.UseDecl) for i in model_tree.items):
            raise SourceError(
                use.span, f"{display} is not a model: a model starts with `model NAME`"
            )
        if _uses_file(model_tree, model_source, source.path):
            what = "a spec that uses this spec (a cycle of `use`)"
        else:
            what = "a spec, not a model"
        raise SourceError(use.span, f"{display} is {what}: `use` must name a model")
    if not use.is_path and model.name != use.target:
        raise SourceError(
            use.span, f"{display} defines model {_q(model.name)}, not {_q(use.target)}"
        )
    return model


def _uses_file(tree: ast.File, source: SourceFile, path: Path | None) -> bool:
    """True when the spec `tree` says `use "FILE"` with FILE the file at `path`."""
    if path is None or source.path is None:
        return False
    for item in tree.items:
        if isinstance(item, ast.UseDecl) and item.is_path:
            target = source.path.parent / item.target
            if target.exists() and target.resolve() == path.resolve():
                return True
    return False


_Typed = tuple[ir.Expr, ir.ValueType]


@dataclass
class _Scope:
    """Names a thread (or a `never`) can see."""

    thread: ast.ThreadDecl | None
    locals: dict[str, tuple[int, ir.ValueType]]


class _SpecChecker:
    def __init__(
        self, tree: ast.File, source: SourceFile, model: ir.Model, diags: Diagnostics
    ) -> None:
        self.tree = tree
        self.source = source
        self.model = model
        self.d = diags
        self.state_names = {s.name: s.index for s in model.states}
        self.flags = {f: k for k, f in enumerate(model.flags)}
        self.ops = {op.name: op for op in model.ops}
        self.pages: dict[str, int] = {}
        self.vars: dict[str, int] = {}
        self.local_owner: dict[str, str] = {}  # a local's name -> its first thread

    def run(self) -> ir.Spec | None:
        items = self.tree.items
        for item in items:
            if isinstance(item, ast.ModelItem):
                self.d.error(
                    item.span,
                    f"{_describe_item(item)} belongs in a model,"
                    " but this file is a spec",
                )
        pages = self._pages([i for i in items if isinstance(i, ast.PageDecl)])
        vars_ = self._vars([i for i in items if isinstance(i, ast.VarDecl)])
        threads_ast = [i for i in items if isinstance(i, ast.ThreadDecl)]
        names: dict[str, Span] = {}
        for t in threads_ast:
            if t.name.name in names:
                self.d.error(
                    t.name.span,
                    f"thread {_q(t.name.name)} is declared twice",
                    [(names[t.name.name], "first declared here")],
                )
            names[t.name.name] = t.name.span
            if t.name.name == "host":
                self.d.error(
                    t.name.span,
                    "'host' names the asynchronous host in traces;"
                    " choose another thread name",
                )
        for t in threads_ast:
            for a in _assignments(t.body):
                if a.target.name not in self.vars:
                    self.local_owner.setdefault(a.target.name, t.name.name)
        threads = []
        for t in threads_ast:
            with contextlib.suppress(_Abort):
                threads.append(_ThreadLowering(self, t).run())
        host_moves = self._host_moves(items)
        nevers = []
        for n in (i for i in items if isinstance(i, ast.NeverDecl)):
            with contextlib.suppress(_Abort):
                nevers.append(
                    ir.Never(self.expect_type(n.cond, _Scope(None, {}), "bool"), n.span)
                )
        properties = set(ir.DEFAULT_PROPERTIES)
        for pl in (i for i in items if isinstance(i, ast.PropertyList)):
            for p in pl.props:
                if self._property(p):
                    (properties.add if pl.enable else properties.discard)(p.name)
        bound = ir.DEFAULT_BOUND
        for b in [i for i in items if isinstance(i, ast.BoundDecl)][:1]:
            if b.value < 0:
                self.d.error(b.span, f"bound must be ≥ 0, got bound={b.value}")
            bound = b.value
        for b in [i for i in items if isinstance(i, ast.BoundDecl)][1:]:
            self.d.error(b.span, "`bound` is given twice")
        expects = [i for i in items if isinstance(i, ast.ExpectDecl)]
        expect = None
        if expects:
            e = expects[0]
            prop = (
                e.prop.name if e.prop is not None and self._property(e.prop) else None
            )
            expect = ir.Expect(e.verdict, prop, e.span)
        for e in expects[1:]:
            self.d.error(e.span, "`expect` is given twice")
        if self.d.items:
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
        )

    def _property(self, ident: ast.Ident) -> bool:
        if ident.name in ir.PROPERTIES:
            return True
        self.d.error(
            ident.span,
            f"unknown property {_q(ident.name)}"
            + (
                suggest(ident.name, ir.PROPERTIES)
                or f" (properties: {', '.join(ir.PROPERTIES)})"
            ),
        )
        return False

    def _claim(self, ident: ast.Ident, what: str, taken: dict[str, Span]) -> bool:
        name = ident.name
        if name in taken:
            self.d.error(
                ident.span,
                f"{_q(name)} is declared twice",
                [(taken[name], "first declared here")],
            )
            return False
        if name in self.state_names:
            self.d.error(
                ident.span,
                f"{_q(name)} is a state of model {_q(self.model.name)}"
                f" and cannot name a {what}",
            )
            return False
        if name in self.ops or name in self.flags:
            kind = "an operation" if name in self.ops else "a flag"
            self.d.error(
                ident.span,
                f"{_q(name)} is {kind} of model {_q(self.model.name)}"
                f" and cannot name a {what}",
            )
            return False
        taken[name] = ident.span
        return True

    def _pages(self, decls: list[ast.PageDecl]) -> tuple[ir.Page, ...]:
        out: list[ir.Page] = []
        self._taken: dict[str, Span] = {}
        for p in decls:
            if not self._claim(p.name, "page", self._taken):
                continue
            state = resolve_state(
                p.state,
                self.model.guest_states,
                self.model.host_states,
                self.state_names,
                self.d,
            )
            flags = 0
            for f in p.flags:
                if f.name not in self.flags:
                    self.d.error(
                        f.span,
                        f"unknown flag {_q(f.name)}{suggest(f.name, self.flags)}",
                    )
                else:
                    flags |= 1 << self.flags[f.name]
            if state is None:
                continue
            if p.data is not None and self.model.is_lost(state):
                self.d.error(
                    p.span,
                    f"page {_q(p.name.name)} starts in {self.model.state_name(state)},"
                    f" whose content is lost: it takes no `= {p.data}`",
                )
            self.pages[p.name.name] = len(out)
            valid = p.data is not None
            out.append(
                ir.Page(
                    p.name.name, state, flags, p.data or 0, valid, not valid, p.span
                )
            )
        return tuple(out)

    def _vars(self, decls: list[ast.VarDecl]) -> tuple[ir.Var, ...]:
        out: list[ir.Var] = []
        for v in decls:
            if not self._claim(v.name, "variable", self._taken):
                continue
            self.vars[v.name.name] = len(out)
            out.append(ir.Var(v.name.name, v.value, v.span))
        return tuple(out)

    def _host_moves(self, items: Sequence[ast.Item]) -> tuple[ir.HostMove, ...]:
        mays = [i for i in items if isinstance(i, ast.HostMayDecl)]
        nones = [i for i in items if isinstance(i, ast.HostNoneDecl)]
        actions = [op.name for op in self.model.ops if op.kind == "action"]
        if nones and mays:
            self.d.error(
                nones[0].span,
                "`host none` contradicts `host may`",
                [(mays[0].span, "`host may` is here")],
            )
        if nones:
            return ()
        if not mays:
            return tuple(
                ir.HostMove(a, p) for p in range(len(self.pages)) for a in actions
            )
        moves: list[ir.HostMove] = []
        for decl in mays:
            for item in decl.items:
                op = self.ops.get(item.op.name)
                if op is None:
                    self.d.error(
                        item.op.span,
                        f"unknown host action {_q(item.op.name)}"
                        f"{suggest(item.op.name, actions)}",
                    )
                    continue
                if op.kind != "action":
                    self.d.error(
                        item.op.span,
                        f"`host may` lists host actions,"
                        f" and {_q(op.name)} is a guest {op.kind}",
                    )
                    continue
                if item.page is None:
                    targets = list(range(len(self.pages)))
                elif item.page.name in self.pages:
                    targets = [self.pages[item.page.name]]
                else:
                    self.d.error(
                        item.page.span,
                        f"unknown page {_q(item.page.name)}"
                        f"{self._page_hint(item.page.name)}",
                    )
                    continue
                for page in targets:
                    move = ir.HostMove(op.name, page)
                    if move not in moves:
                        moves.append(move)
        return tuple(moves)

    # ------------------------------------------------------------------ expressions

    def expect_type(self, e: ast.Expr, scope: _Scope, want: ir.ValueType) -> ir.Expr:
        out, got = self.expr(e, scope)
        if got != want:
            self.d.fatal(
                e.span, f"expected {_type_words(want)}, got {_type_words(got)}"
            )
        return out

    def expr(self, e: ast.Expr, scope: _Scope) -> _Typed:
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
                    self.model.guest_states,
                    self.model.host_states,
                    self.state_names,
                    self.d,
                )
                if state is None:
                    raise _Abort
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
                    self.d.fatal(
                        e.span,
                        f"cannot compare {_type_words(lt)} with {_type_words(rt)}",
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

    def name(self, e: ast.Name, scope: _Scope) -> _Typed:
        n = e.name
        if n in self.vars:
            return ir.VarRef(self.vars[n], n, e.span), "int"
        if n in scope.locals:
            slot, t = scope.locals[n]
            return ir.LocalRef(slot, n, e.span), t
        if n in self.state_names:
            return ir.Const(self.state_names[n], "state", e.span), "state"
        if n in self.pages:
            self.d.fatal(
                e.span,
                f"page {_q(n)} is not a value: write state({n}) or a flag test"
                f" such as {next(iter(self.flags), 'dirty')}({n})",
            )
        page = next(iter(self.pages), "p0")
        if n in self.flags:
            self.d.fatal(
                e.span, f"{_q(n)} is a flag: test it on a page, e.g. {n}({page})"
            )
        if n in self.ops:
            self.d.fatal(
                e.span, f"{_q(n)} is an operation: call it on a page, e.g. {n}({page})"
            )
        owner = self.local_owner.get(n)
        if owner is not None:
            where = (
                "a `never` expression sees only shared variables, pages and states"
                if scope.thread is None
                else "threads share only variables declared with `var`"
            )
            self.d.fatal(e.span, f"{_q(n)} is a local of thread {_q(owner)}; {where}")
        candidates = [*self.vars, *scope.locals, *self.state_names]
        where = " in a `never` expression" if scope.thread is None else ""
        self.d.fatal(e.span, f"unknown name {_q(n)}{where}{suggest(n, candidates)}")

    def page(self, ident: ast.Ident | ast.Expr) -> int:
        name = ident.name if isinstance(ident, ast.Ident | ast.Name) else None
        if name is None:
            self.d.fatal(ident.span, "expected a page name")
        if name not in self.pages:
            self.d.fatal(ident.span, f"unknown page {_q(name)}{self._page_hint(name)}")
        return self.pages[name]

    def _page_hint(self, name: str) -> str:
        hint = suggest(name, self.pages)
        if hint or not self.pages:
            return hint or " (the spec declares no pages: add `page NAME : STATE`)"
        return f" (declared pages: {', '.join(self.pages)})"

    def flag_test(self, e: ast.Call, scope: _Scope) -> _Typed:
        name = e.name.name
        if name in self.ops:
            self.d.fatal(
                e.span,
                f"operation {_q(name)} cannot be part of an expression: store its"
                f" result first (`x = {name}(...)`) and use `x`",
            )
        if name not in self.flags:
            candidates = [*self.flags, *self.ops, "state"]
            self.d.fatal(
                e.name.span,
                f"unknown flag or operation {_q(name)}{suggest(name, candidates)}",
            )
        if len(e.args) != 1 or e.kwargs:
            self.d.fatal(e.span, f"a flag test takes one page: {name}(PAGE)")
        return ir.FlagOf(self.page(e.args[0]), self.flags[name], e.span), "bool"


def _type_words(t: ir.ValueType | None) -> str:
    return {
        "int": "an integer",
        "bool": "a boolean",
        "result": "a call result (`ok`/`fail`)",
        "state": "a page state",
        None: "nothing (this operation returns no value)",
    }[t]


class _ThreadLowering:
    """Types a thread's locals and lowers its statements to instructions."""

    def __init__(self, spec: _SpecChecker, thread: ast.ThreadDecl) -> None:
        self.spec = spec
        self.d = spec.d
        self.thread = thread
        self.scope = _Scope(thread, {})
        self.code: list[ir.Instr | None] = []

    def run(self) -> ir.Thread:
        self._infer_locals()
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
            raise _Abort
        return ir.Thread(
            self.thread.name.name,
            self.thread.is_host,
            tuple(cast(list[ir.Instr], self.code)),
            0,
            locals_,
            self.thread.span,
        )

    # -- locals
    def _infer_locals(self) -> None:
        assigns = [
            a
            for a in _assignments(self.thread.body)
            if a.target.name not in self.spec.vars
        ]
        for a in assigns:
            n = a.target.name
            if (
                n in self.spec.state_names
                or n in self.spec.pages
                or n in self.spec.ops
                or n in self.spec.flags
            ):
                what = (
                    "a state"
                    if n in self.spec.state_names
                    else "a page"
                    if n in self.spec.pages
                    else "an operation"
                    if n in self.spec.ops
                    else "a flag"
                )
                self.d.error(
                    a.target.span, f"cannot assign to {_q(n)}: it names {what}"
                )
        types: dict[str, ir.ValueType] = {}
        quiet = Diagnostics()
        for _ in range(len(assigns) + 1):
            changed = False
            for a in assigns:
                n = a.target.name
                if n in types:
                    continue
                t = self._quiet_type(a.value, types, quiet)
                if t is not None:
                    types[n] = t
                    changed = True
            if not changed:
                break
        order: list[str] = []
        for a in assigns:
            if a.target.name not in order:
                order.append(a.target.name)
        for n in order:
            t = types.get(n, "int")
            self.scope.locals[n] = (len(self.scope.locals), t)

    def _quiet_type(
        self, e: ast.Expr, known: dict[str, ir.ValueType], quiet: Diagnostics
    ) -> ir.ValueType | None:
        if isinstance(e, ast.Call) and e.name.name in self.spec.ops:
            op = self.spec.ops[e.name.name]
            results: dict[str, ir.ValueType | None] = {
                "call": "result",
                "access": "int",
                "action": None,
            }
            return None if op.is_write else results[op.kind]
        saved = self.spec.d
        self.spec.d = quiet
        try:
            scope = _Scope(self.thread, {n: (0, t) for n, t in known.items()})
            return self.spec.expr(e, scope)[1]
        except _Abort:
            return None
        finally:
            self.spec.d = saved
            quiet.items.clear()

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
            with contextlib.suppress(_Abort):
                self._emit(s, pc, nxt, in_atomic=in_atomic)
            pc += size

    def _emit(self, s: ast.Stmt, pc: int, nxt: int, *, in_atomic: bool) -> None:
        spec = self.spec
        host = self.thread.is_host
        match s:
            case ast.Assign(target, ast.Call(name) as call, handler) if (
                name.name in spec.ops
            ):
                self._emit_op(
                    call, target, handler, pc, nxt, in_atomic=in_atomic, span=s.span
                )
            case ast.ExprStmt(call, handler):
                self._emit_op(
                    call, None, handler, pc, nxt, in_atomic=in_atomic, span=s.span
                )
            case ast.Assign(target, value, handler):
                if handler is not None:
                    self.d.fatal(
                        s.span,
                        "only an access (such as `read` or `write`)"
                        " can have an `on fault` handler",
                    )
                lhs, want = self._target(target)
                self.code[pc] = ir.AssignInstr(
                    lhs, spec.expect_type(value, self.scope, want), nxt, s.span
                )
            case ast.Assert(cond, message):
                self.code[pc] = ir.AssertInstr(
                    spec.expect_type(cond, self.scope, "bool"), message, nxt, s.span
                )
            case ast.Await(cond):
                if in_atomic:
                    self.d.fatal(
                        s.span,
                        "`await` inside `atomic` is allowed only as its first"
                        " statement",
                    )
                self.code[pc] = ir.AwaitInstr(
                    spec.expect_type(cond, self.scope, "bool"), nxt, s.span
                )
            case ast.If(cond, then, orelse):
                c = spec.expect_type(cond, self.scope, "bool")
                then_pc = pc + 1 if then else nxt
                else_start = pc + 1 + self._size_block(then)
                else_pc = else_start if orelse else nxt
                self.code[pc] = ir.BranchInstr("if", c, then_pc, else_pc, s.span)
                self._emit_block(then, pc + 1, nxt, in_atomic=in_atomic)
                self._emit_block(orelse or (), else_start, nxt, in_atomic=in_atomic)
            case ast.While(cond, body):
                if in_atomic:
                    self.d.error(
                        s.span,
                        "`while` is not allowed inside `atomic`:"
                        " an atomic step must terminate",
                    )
                c = spec.expect_type(cond, self.scope, "bool")
                self.code[pc] = ir.BranchInstr(
                    "while", c, pc + 1 if body else pc, nxt, s.span
                )
                self._emit_block(body, pc + 1, pc, in_atomic=in_atomic)
            case ast.Atomic(body):
                if in_atomic:
                    self.d.error(s.span, "`atomic` blocks do not nest")
                guard = None
                rest = body
                if body and isinstance(body[0], ast.Await):
                    guard = spec.expect_type(body[0].cond, self.scope, "bool")
                    rest = body[1:]
                entry = pc + 1 if rest else nxt
                self.code[pc] = ir.AtomicInstr(guard, entry, nxt, s.span)
                self._emit_block(rest, pc + 1, nxt, in_atomic=True)
            case _:
                raise AssertionError(s)
        _ = host

    def _target(self, ident: ast.Ident) -> tuple[ir.Target, ir.ValueType]:
        n = ident.name
        if n in self.spec.vars:
            return ir.VarTarget(self.spec.vars[n], n), "int"
        if n not in self.scope.locals:
            raise _Abort
        slot, t = self.scope.locals[n]
        return ir.LocalTarget(slot, n), t

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
    ) -> None:
        spec = self.spec
        name = call.name.name
        op = spec.ops.get(name)
        if op is None:
            if name in spec.flags:
                self.d.fatal(
                    call.span,
                    f"{_q(name)} is a flag test, not a statement:"
                    f" assign it (`x = {name}(...)`) or use it in a condition",
                )
            guest_ops = [
                o.name
                for o in spec.model.ops
                if (o.kind == "action") == self.thread.is_host
            ]
            self.d.fatal(
                call.name.span,
                f"unknown operation {_q(name)}{suggest(name, guest_ops)}",
            )
        host = self.thread.is_host
        if host and op.kind != "action":
            self.d.fatal(
                call.name.span,
                f"a host thread only performs host actions,"
                f" and {_q(name)} is a guest {op.kind}",
            )
        if not host and op.kind == "action":
            self.d.fatal(
                call.name.span,
                f"a guest thread cannot perform the host action {_q(name)};"
                " use a `host thread` or `host may`",
            )
        if not call.args:
            self.d.fatal(
                call.span,
                f"{_q(name)} needs a page as its first argument:"
                f" {name}(PAGE{', VALUE' if op.is_write else ''})",
            )
        page = spec.page(call.args[0])
        value = None
        extra = call.args[1:]
        if op.is_write:
            if not extra:
                self.d.fatal(
                    call.span,
                    f"write needs a value: write({_arg_text(call.args[0])}, VALUE)",
                )
            value = spec.expect_type(extra[0], self.scope, "int")
            extra = extra[1:]
        if extra:
            self.d.fatal(
                extra[0].span,
                f"too many arguments to {_q(name)}"
                + (
                    f"; parameters are given by name, e.g. {op.params[0]}=1"
                    if op.params
                    else ""
                ),
            )
        args: dict[str, int] = {}
        for kw in call.kwargs:
            if kw.name.name not in op.params:
                params = ", ".join(op.params) or "none"
                self.d.fatal(
                    kw.name.span,
                    f"{_q(name)} has no parameter {_q(kw.name.name)}"
                    f" (its parameters: {params})",
                )
            if kw.name.name in args:
                self.d.fatal(
                    kw.name.span, f"parameter {_q(kw.name.name)} is given twice"
                )
            if not isinstance(kw.value, ast.IntLit) or kw.value.value not in (0, 1):
                self.d.fatal(
                    kw.value.span,
                    f"parameter {_q(kw.name.name)} takes a literal 0 or 1",
                )
            args[kw.name.name] = kw.value.value
        missing = [p for p in op.params if p not in args]
        if missing:
            given = ", ".join(
                [_arg_text(call.args[0]), *(f"{k}={v}" for k, v in args.items())]
            )
            example = ", ".join([given, *(f"{m}=0" for m in missing)])
            plural = "s" if len(missing) > 1 else ""
            self.d.fatal(
                call.span,
                f"{_q(name)} needs its parameter{plural} {', '.join(missing)}"
                f" (0 or 1), e.g. {name}({example})",
            )
        lhs: ir.Target | None = None
        if target is not None:
            if op.kind == "action" or op.is_write:
                self.d.fatal(span, f"{_q(name)} returns no value to assign")
            lhs, want = self._target(target)
            got: ir.ValueType = "result" if op.kind == "call" else "int"
            if want != got:
                self.d.fatal(
                    span,
                    f"cannot assign {_type_words(got)} to {_q(target.name)},"
                    f" which holds {_type_words(want)}",
                )
        handler_pc: int | None = None
        if handler is not None:
            if op.kind != "access":
                self.d.fatal(
                    call.span,
                    f"only an access can fault, so {_q(name)} (a {op.kind})"
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
        )


def _assignments(stmts: Sequence[ast.Stmt]) -> Iterable[ast.Assign]:
    """Every assignment in `stmts`, nested blocks and fault handlers included."""
    for s in stmts:
        match s:
            case ast.Assign():
                yield s
                if s.handler:
                    yield from _assignments(s.handler)
            case ast.ExprStmt(_, handler) if handler:
                yield from _assignments(handler)
            case ast.If(_, then, orelse):
                yield from _assignments(then)
                yield from _assignments(orelse or ())
            case ast.While(_, body) | ast.Atomic(body):
                yield from _assignments(body)


def _arg_text(e: ast.Expr) -> str:
    return e.name if isinstance(e, ast.Name) else "PAGE"
