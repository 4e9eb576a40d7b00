"""Hypothesis strategies for small models and specs, as text, for testing the engines.

`cases()` draws a model and a spec that uses it. Everything is drawn through
Hypothesis, so a failing case shrinks towards a short spec: fewer threads, statements,
pages and transitions, and the first alternative of every choice (the simplest).

The generator writes only specs that pass the checker (names resolve, types match,
every local that is read is assigned somewhere in its thread, `while` loops are bounded
by a counter or spin on a page state or a variable, `atomic` blocks hold no `while` and
at most one leading `await`); `tests/differential/test_engines_agree.py` checks that it
does. Spins and awaits may wait forever, which `check terminates` asks about.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from checker import ir
from checker.load import load_spec

Draw = Callable[[st.SearchStrategy[Any]], Any]

GUESTS = ("U", "S", "V")
HOSTS = ("r", "z", "p")  # `z` may be the lost host state
FLAGS = ("dirty", "young")
MAX_DEPTH = 2  # statements nest at most this deep (if, while, atomic, handlers)


@dataclass(frozen=True)
class Op:
    name: str
    kind: str  # call / access / action
    param: str | None  # at most one parameter (values 0 and 1)
    stores: bool = False  # an access declared `stores` (a second kind of store)

    def pattern(self, draw: Draw) -> str:
        """The op in a transition's `on`: bare, or with its parameter fixed."""
        if self.param is None:
            return self.name
        value = draw(st.sampled_from([None, 0, 1]))
        return self.name if value is None else f"{self.name}({self.param}={value})"

    def param_arg(self, draw: Draw) -> str:
        """The parameter as a guest or host passes it: `, w=1` (or nothing)."""
        if self.param is None:
            return ""
        return f", {self.param}={draw(st.integers(0, 1))}"


@dataclass(frozen=True)
class Model:
    text: str
    states: tuple[str, ...]
    lost: frozenset[str]  # states whose host state is `lost`
    flags: tuple[str, ...]
    ops: tuple[Op, ...]

    def of_kind(self, kind: str) -> list[Op]:
        return [op for op in self.ops if op.kind == kind]


@dataclass(frozen=True)
class Generated:
    model: str
    spec: str

    def __str__(self) -> str:
        return f"--- models/gen.pg\n{self.model}--- specs/s.pg\n{self.spec}"


# --------------------------------------------------------------------------- models


def _state_ref(draw: Draw, name: str) -> str:
    """A state as written: `Sr`, or now and then the dotted form `S.r`."""
    return f"{name[0]}.{name[1:]}" if draw(st.booleans()) else name


def _guard(draw: Draw, flags: tuple[str, ...]) -> str:
    f = draw(st.sampled_from(flags))
    g = draw(st.sampled_from(flags))
    return draw(st.sampled_from([f, f"not {f}", f"{f} and not {g}", f"({f} or {g})"]))


def _effect(draw: Draw, flags: tuple[str, ...]) -> str:
    """An op's own flag effect in its declaration, if any."""
    if not flags or not draw(st.booleans()):
        return ""
    return (
        f" {draw(st.sampled_from(['sets', 'clears']))} {draw(st.sampled_from(flags))}"
    )


def _transition(
    draw: Draw, states: tuple[str, ...], flags: tuple[str, ...], ops: tuple[Op, ...]
) -> str:
    sources = draw(
        st.lists(st.sampled_from(states), min_size=1, max_size=3, unique=True)
    )
    target = draw(st.one_of(st.just("same"), st.sampled_from(states)))
    op: Op = draw(st.sampled_from(ops))
    line = (
        ", ".join(_state_ref(draw, s) for s in sources)
        + " -> "
        + (target if target == "same" else _state_ref(draw, target))
        + " on "
        + op.pattern(draw)
    )
    if flags and draw(st.booleans()):
        line += " if " + _guard(draw, flags)
    results = []
    if op.kind == "access" and draw(st.booleans()):
        results.append("fault")
    if op.kind == "call" and draw(st.booleans()):
        results.append("fail")
    if flags and draw(st.booleans()):
        results.append(
            f"{draw(st.sampled_from(['set', 'clear']))} {draw(st.sampled_from(flags))}"
        )
    if results:
        line += " => " + ", ".join(results)
    return line


@st.composite
def models(draw: Draw) -> Model:
    """A model `gen`: 2-3 guest and host states, 0-2 flags, a few ops and transitions."""
    guests = GUESTS[: draw(st.integers(2, 3))]
    hosts = HOSTS[: draw(st.integers(2, 3))]
    unused = draw(st.booleans())
    lost = draw(st.sampled_from([True, False]))
    flags = FLAGS[: draw(st.integers(0, 2))]

    def with_param(name: str, kind: str, param: str) -> Op:
        return Op(name, kind, param if draw(st.booleans()) else None)

    calls = [with_param(f"c{k}", "call", "w") for k in range(draw(st.integers(1, 2)))]
    accesses = [with_param("read", "access", "m"), with_param("write", "access", "m")]
    if draw(st.booleans()):
        accesses.append(Op("dma", "access", None, stores=True))
    actions = [
        with_param(f"a{k}", "action", "w") for k in range(draw(st.integers(1, 2)))
    ]

    def decl(kind: str, ops: list[Op]) -> str:
        sigs = [
            op.name
            + (f"({op.param})" if op.param else "")
            + (" stores" if op.stores else "")
            + _effect(draw, flags)
            for op in ops
        ]
        return f"{kind} " + ", ".join(sigs)

    lines = [
        "model gen",
        "guest "
        + ", ".join(g + (" unused" if unused and g == "U" else "") for g in guests),
        "host " + ", ".join(h + (" lost" if lost and h == "z" else "") for h in hosts),
    ]
    if flags:
        lines.append("flag " + ", ".join(flags))
    lines += [decl("call", calls), decl("access", accesses), decl("action", actions)]
    states = tuple(g + h for g in guests for h in hosts)
    ops = (*calls, *accesses, *actions)
    n = draw(st.integers(1, 8))
    lines += [_transition(draw, states, flags, ops) for _ in range(n)]
    if draw(st.booleans()):
        # the host discards resident pages, as in the reference model
        lines += [f"{g}r -> {g}z on {actions[0].name}" for g in guests]
    if draw(st.booleans()):
        # every guest op defined everywhere, so that `undefined` does not end every run
        guest_ops = ", ".join(op.name for op in ops if op.kind != "action")
        lines.append(f"{', '.join(states)} -> same on {guest_ops}")
    return Model(
        "\n".join(lines) + "\n",
        states,
        frozenset(s for s in states if lost and s.endswith("z")),
        flags,
        ops,
    )


# --------------------------------------------------------------------------- specs


@dataclass
class _Scope:
    """What a statement may name, and the locals a thread reads and assigns."""

    model: Model
    pages: tuple[str, ...]
    vars: tuple[str, ...]
    host: bool = False
    tso: bool = False  # `memory tso`: guest threads may `fence`
    read: set[str] = field(default_factory=set)
    assigned: set[str] = field(default_factory=set)

    def use(self, name: str) -> str:
        if name not in self.vars:
            self.read.add(name)
        return name


def _int_expr(draw: Draw, scope: _Scope) -> str:
    """A small integer expression over literals, shared variables and locals."""
    names = [*scope.vars, "t"] if scope.host else [*scope.vars, "t", "r"]
    frames = st.sampled_from([f"frame({p})" for p in scope.pages])
    atom = draw(st.one_of(st.integers(0, 3).map(str), st.sampled_from(names), frames))
    if atom in names:
        scope.use(atom)
    shape = draw(st.sampled_from(["{}", "{} + 1", "{} - 1", "-{}", "{} + {}"]))
    if "{} + {}" in shape:
        other = scope.use(draw(st.sampled_from(names)))
        return f"{atom} + {other}"
    return shape.format(atom)


def _bool_atom(draw: Draw, scope: _Scope, *, never: bool = False) -> str:
    page = draw(st.sampled_from(scope.pages))
    states = scope.model.states
    kinds = ["state ==", "state in", "state !="]
    if not never:  # a constant `never` would hold at once
        kinds.insert(0, "true")
    if scope.model.flags:
        kinds.append("flag")
    if scope.vars or not never:
        kinds.append("compare")
    if not never and not scope.host:
        kinds += ["result", "stale"]
    kind = draw(st.sampled_from(kinds))
    if kind == "true":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "state ==":
        return f"state({page}) == {_state_ref(draw, draw(st.sampled_from(states)))}"
    if kind == "state !=":
        return f"state({page}) != {draw(st.sampled_from(states))}"
    if kind == "state in":
        items = draw(st.lists(st.sampled_from(states), min_size=1, max_size=3))
        return f"state({page}) in {{{', '.join(items)}}}"
    if kind == "flag":
        return f"{draw(st.sampled_from(scope.model.flags))}({page})"
    if kind == "stale":
        return f"stale({page})"
    if kind == "result":
        return f"{scope.use('x')} == {draw(st.sampled_from(['ok', 'fail']))}"
    left = draw(st.sampled_from(scope.vars)) if never else _int_expr(draw, scope)
    cmp = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    return f"{left} {cmp} {draw(st.integers(-1, 3))}"


def _bool_expr(draw: Draw, scope: _Scope, *, never: bool = False) -> str:
    """A condition: an atom, or `not`, `and`, `or` of atoms."""
    left = _bool_atom(draw, scope, never=never)
    shape = draw(st.sampled_from(["{}", "not {}", "{} and {}", "{} or {}"]))
    if shape.count("{}") == 2:
        return shape.format(left, _bool_atom(draw, scope, never=never))
    return shape.format(left)


def _block(draw: Draw, scope: _Scope, depth: int, *, atomic: bool, most: int) -> str:
    n = draw(st.integers(1, most))
    body = [_stmt(draw, scope, depth + 1, atomic=atomic) for _ in range(n)]
    return "{ " + "; ".join(body) + " }"


def _handler(draw: Draw, scope: _Scope, depth: int, *, atomic: bool) -> str:
    if depth >= MAX_DEPTH or not draw(st.booleans()):
        return ""
    if draw(st.booleans()):
        return " on fault { }"
    return " on fault " + _block(draw, scope, depth, atomic=atomic, most=2)


def _page_op(draw: Draw, scope: _Scope, depth: int, *, atomic: bool) -> str:
    model, page = scope.model, draw(st.sampled_from(scope.pages))
    tlb = draw(
        st.sampled_from(
            ["", "", "", "", "purge", "remap" if scope.host else "translate"]
        )
    )
    if tlb:
        return f"{tlb}({page})"  # translations: cached, purged, moved under them
    if scope.host:
        op: Op = draw(st.sampled_from(model.of_kind("action")))
        return f"{op.name}({page}{op.param_arg(draw)})"
    if draw(st.sampled_from([False, False, False, True])):
        return f"reallocate({page})"  # the frame gets a new identity
    op = draw(st.sampled_from([*model.of_kind("call"), *model.of_kind("access")]))
    args = op.param_arg(draw)
    if op.kind == "call":
        target = draw(st.sampled_from(["", "x = "]))
        if target:
            scope.assigned.add("x")
        return f"{target}{op.name}({page}{args})"
    handler = _handler(draw, scope, depth, atomic=atomic)
    if op.name == "write" or op.stores:
        whole = draw(st.sampled_from(["", "whole "]))
        value = _int_expr(draw, scope)
        return f"{whole}{op.name}({page}, {value}{args}){handler}"
    target = draw(
        st.sampled_from(["r = ", "", f"{scope.vars[0]} = " if scope.vars else ""])
    )
    if target == "r = ":
        scope.assigned.add("r")
    return f"{target}read({page}{args}){handler}"


def _stmt(draw: Draw, scope: _Scope, depth: int, *, atomic: bool) -> str:
    kinds = ["op", "op", "op", "assign", "assert", "if"]  # page ops matter most
    if not atomic:
        kinds += ["await", "while", "atomic"]
        if scope.tso and not scope.host:
            kinds.append("fence")
    if depth >= MAX_DEPTH:
        kinds = [k for k in kinds if k not in ("if", "while", "atomic")]
    kind = draw(st.sampled_from(kinds))
    if kind == "op":
        return _page_op(draw, scope, depth, atomic=atomic)
    if kind == "fence":
        return "fence"
    if kind == "assign":
        target = draw(st.sampled_from([*scope.vars, "t"]))
        if target == "t":
            scope.assigned.add("t")
        return f"{target} = {_int_expr(draw, scope)}"
    if kind == "assert":
        return f"assert {_bool_expr(draw, scope)}"
    if kind == "await":
        return f"await {_bool_expr(draw, scope)}"
    if kind == "if":
        text = f"if {_bool_expr(draw, scope)} " + _block(
            draw, scope, depth, atomic=atomic, most=2
        )
        if draw(st.booleans()):
            text += " else " + _block(draw, scope, depth, atomic=atomic, most=1)
        return text
    if kind == "while":
        spin = draw(st.sampled_from(["counter", "page", "var"]))
        if spin == "page":
            # a spin loop over finitely many states
            page = draw(st.sampled_from(scope.pages))
            state = draw(st.sampled_from(scope.model.states))
            return f"while state({page}) != {state} {{ }}"
        if spin == "var" and scope.vars:
            # spins until another thread stores the value, perhaps forever
            var = draw(st.sampled_from(scope.vars))
            return f"while {var} != {draw(st.integers(0, 1))} {{ }}"
        counter = f"i{depth}"
        scope.assigned.add(counter)
        body = _block(draw, scope, depth, atomic=False, most=2)
        limit = draw(st.integers(1, 2))
        return (
            f"{counter} = 0; while {counter} < {limit} "
            f"{body[:-1]}; {counter} = {counter} + 1 }}"
        )
    # atomic: an optional leading await, then statements without while or await
    first = f"await {_bool_expr(draw, scope)}; " if draw(st.booleans()) else ""
    body = _block(draw, scope, depth, atomic=True, most=3)
    return f"atomic {{ {first}{body[2:]}"


def _thread(draw: Draw, scope: _Scope, header: str, *, label: str | None = None) -> str:
    """A thread; with `label`, one of its top-level statements carries it."""
    body = [_stmt(draw, scope, 0, atomic=False) for _ in range(draw(st.integers(1, 4)))]
    if label is not None:
        at = draw(st.integers(0, len(body) - 1))
        body[at] = f"{label}: {body[at]}"
    inits = {"r": "r = 0", "t": "t = 0", "x": "x = ok"}
    first = [inits[n] for n in sorted(scope.read - scope.assigned)]
    return f"{header} {{\n  " + "\n  ".join(first + body) + "\n}"


@st.composite
def specs(draw: Draw, model: Model, *, liveness: bool = False) -> str:
    """A spec that uses `model`: 1-3 pages, 0-2 vars, 1-3 threads, host, properties
    (with `liveness`, `check terminates` always and half the time `check eventually`
    at a labelled statement of the first thread), and a third of the time `memory
    tso` (store buffers, `fence`)."""
    pages = tuple(f"p{k}" for k in range(draw(st.integers(1, 3))))
    vars_ = tuple(f"v{k}" for k in range(draw(st.integers(0, 2))))
    lines = ["use gen"]
    for p in pages:
        resident = [s for s in model.states if s.endswith("r")]
        state = draw(st.sampled_from(resident) | st.sampled_from(model.states))
        decl = f"page {p} : {_state_ref(draw, state)}"
        flags = (
            draw(st.lists(st.sampled_from(model.flags), unique=True))
            if model.flags
            else []
        )
        decl += "".join(f" {f}" for f in flags)
        if state not in model.lost and draw(st.sampled_from([True, True, False])):
            decl += f" = {draw(st.integers(-1, 3))}"
        lines.append(decl)
    lines += [f"var {v} = {draw(st.integers(-1, 2))}" for v in vars_]

    host = draw(st.sampled_from(["chaotic", "none", "may"]))
    if host == "none":
        lines.append("host none")
    elif host == "may":
        items = st.tuples(
            st.sampled_from([op.name for op in model.of_kind("action")]),
            st.sampled_from([*pages, "*"]),
        )
        mays = draw(st.lists(items, min_size=1, max_size=2, unique=True))
        lines.append("host may " + ", ".join(f"{a}({p})" for a, p in mays))

    scope = _Scope(model, pages, vars_)
    if draw(st.sampled_from([False, False, True])):
        lines.append("never " + _bool_expr(draw, scope, never=True))
    checks = draw(
        st.lists(st.sampled_from(["deadlock", "fault", "terminates"]), unique=True)
    )
    if liveness and "terminates" not in checks:
        checks.append("terminates")
    if checks:
        lines.append("check " + ", ".join(checks))
    ignores = draw(
        st.sampled_from(
            [(), ("undefined",), (), ("undefined",), ("assertion", "silent-loss")]
        )
    )
    if ignores:
        lines.append("ignore " + ", ".join(ignores))
    lines.append(f"bound {draw(st.integers(1, 8))}")
    tso = draw(st.sampled_from([False, False, True]))
    if tso:
        lines.append("memory tso")

    eventually = liveness and draw(st.booleans())
    for k in range(draw(st.integers(1, 3))):
        label = "here" if eventually and k == 0 else None
        lines.append(
            _thread(
                draw, _Scope(model, pages, vars_, tso=tso), f"thread t{k}", label=label
            )
        )
    if eventually:
        lines.append("check eventually t0 at here")
    if draw(st.booleans()):
        host_scope = _Scope(model, pages, vars_, host=True)
        lines.append(_thread(draw, host_scope, "host thread h"))
    return "\n".join(lines) + "\n"


@st.composite
def cases(draw: Draw, *, liveness: bool = False) -> Generated:
    """A model and a spec that uses it (one that checks `terminates`, with
    `liveness`)."""
    model = draw(models())
    return Generated(model.text, draw(specs(model, liveness=liveness)))


def load_case(g: Generated, expect: str | None) -> ir.Spec:
    """The checked spec, from `specs/s.pg` next to `models/gen.pg` in a fresh folder."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "models").mkdir()
        (root / "specs").mkdir()
        (root / "models" / "gen.pg").write_text(g.model)
        text = g.spec + (f"expect violation {expect}\n" if expect else "")
        (root / "specs" / "s.pg").write_text(text)
        return load_spec(root / "specs" / "s.pg")
