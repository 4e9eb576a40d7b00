"""The checker: names, kinds, parameters, strict types, locals, atomic/await rules,
host lines, and what a checked model and spec contain."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import ir

from .conftest import HINTING, CheckSpec, SpecErrors, model, model_errors

HEAD = "use hinting\npage p0 : Sr = 7\npage p1 : Vr\nvar shared = 0\n"


def thread(body: str, name: str = "t") -> str:
    return f"{HEAD}thread {name} {{\n{body}\n}}\n"


# --------------------------------------------------------------------------- models


def test_reference_model() -> None:
    m = model(HINTING)
    assert m.name == "hinting"
    assert [s.name for s in m.states] == [g + h for g in "USVP" for h in "rpz"]
    assert [g.unused for g in m.guest_states] == [True, False, False, False]
    assert [h.lost for h in m.host_states] == [False, False, True]
    assert m.flags == ("dirty",)
    write = m.op("write")
    assert (write.kind, write.sets, write.clears) == ("access", 1, 0)
    assert m.op("set_volatile").params == ("w",)
    # one transition per op of an `on` list
    assert len(m.transitions) == 26
    assert [t.index for t in m.transitions] == list(range(26))


def test_transition_contents() -> None:
    m = model(HINTING)
    index = {s.name: s.index for s in m.states}
    same = [t for t in m.transitions if t.target is None and t.op == "read"]
    assert {frozenset(t.sources) for t in same} == {
        frozenset(index[s] for s in ("Ur", "Sr", "Vr", "Pr")),
        frozenset({index["Vz"]}),
    }
    fault = next(t for t in same if t.fault)
    assert fault.sources == frozenset({index["Vz"]})
    vol0 = next(
        t for t in m.transitions if t.op == "set_volatile" and t.args == (("w", 0),)
    )
    assert vol0.target == index["Vr"]
    bare = [t for t in m.transitions if t.op == "set_volatile" and not t.args]
    assert len(bare) == 2
    fail = next(t for t in m.transitions if t.fail)
    assert fail.op == "set_stable_if_present"
    dirty = [t for t in m.transitions if t.op == "discard" and t.guard is not None]
    assert [ir.guard_text(t.guard, m.flags) for t in dirty if t.guard] == [
        "dirty",
        "not dirty",
    ]
    assert [ir.guard_holds(t.guard, 1) for t in dirty] == [True, False]


def test_dotted_states_and_effects() -> None:
    m = model(
        "model m\nguest S, V\nhost r, z lost\nflag a, b\naccess read\n"
        "S.r -> V.z on read if a and not b => set b, clear a\n"
    )
    (t,) = m.transitions
    assert m.state_name(next(iter(t.sources))) == "Sr"
    assert t.target is not None and m.state_name(t.target) == "Vz"
    assert (t.sets, t.clears) == (0b10, 0b01)
    assert [ir.guard_holds(t.guard, f) for f in range(4)] == [False, True, False, False]


def test_state_spans_for_lint() -> None:
    m = model("model m\nguest S, V\nhost r\n")
    assert [g.span.col if g.span else None for g in m.guest_states] == [7, 10]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "guest S, Sr\nhost r, rr\n",
            "state name 'Srr' is ambiguous: it is both Sr.r and S.rr",
        ),
        ("guest o\nhost n\n", "state name 'on' (o.n) is a keyword"),
        (
            "guest S\nhost r\nflag Sr\n",
            "state name 'Sr' (S.r) is also the name of the flag 'Sr'",
        ),
        ("guest S\nhost r\naccess read, read\n", "'read' is declared twice"),
        ("guest S\nhost r\naccess write sets dirt\n", "unknown flag 'dirt'"),
        (
            "guest S\nhost r\nflag d\naccess read\nSr -> same on read if e\n",
            "unknown flag 'e'",
        ),
        (
            "guest S\nhost r\naccess read\nSr -> same on raed\n",
            "unknown operation 'raed' (did you mean 'read'?)",
        ),
        ("guest S\nhost r\naccess read\nSr -> Sx on read\n", "unknown state 'Sx'"),
        (
            "guest S\nhost r\naccess read\nS.x -> same on read\n",
            "unknown host state 'x'",
        ),
        (
            "guest S\nhost r\ncall c\nSr -> same on c => fault\n",
            "only an access can `fault`, and 'c' is a call",
        ),
        (
            "guest S\nhost r\naccess a\nSr -> same on a => fail\n",
            "only a call can `fail`, and 'a' is an access",
        ),
        (
            "guest S\nhost r\ncall c(w)\nSr -> same on c(w=2)\n",
            "parameters take the values 0 and 1, got w=2",
        ),
        (
            "guest S\nhost r\ncall c(w)\nSr -> same on c(v=1)\n",
            "'c' has no parameter 'v' (its parameter: w)",
        ),
        ("guest S\nhost r\ncall c(w, w)\n", "parameter 'w' is declared twice"),
        (
            "guest S\nhost r\ncall c(w, u)\nSr -> same on c(v=1)\n",
            "'c' has no parameter 'v' (its parameters: w, u)",
        ),
        (
            "guest S\nhost r\ncall c\nSr -> same on c(v=1)\n",
            "'c' has no parameter 'v' (it takes none)",
        ),
        (
            "guest S\nhost r\npage p : Sr\n",
            "`page` belongs in a spec, but this file is a model",
        ),
        ("flag d\n", "the model declares no guest states"),
    ],
)
def test_model_errors(text: str, message: str) -> None:
    errors = model_errors("model m\n" + text)
    assert any(e.startswith(message) for e in errors), errors


def test_model_errors_are_all_reported() -> None:
    errors = model_errors(
        "model m\nguest S\nhost r\naccess read\nSr -> Sx on read\nSr -> same on raed\n"
    )
    assert len(errors) == 2


# --------------------------------------------------------------------------- specs


def test_pages_vars_and_defaults(spec: CheckSpec) -> None:
    s = spec("use hinting\npage p0 : Sr = 7\npage p1 : P.r dirty\nvar n = -2\n")
    p0, p1 = s.pages
    assert (p0.data, p0.valid, p0.warned, p0.flags) == (7, True, False, 0)
    assert (p1.valid, p1.warned, p1.flags) == (False, True, 1)
    assert s.model.state_name(p1.state) == "Pr"
    assert [(v.name, v.value) for v in s.vars] == [("n", -2)]
    assert s.bound == ir.DEFAULT_BOUND == 100
    assert s.properties == ir.DEFAULT_PROPERTIES
    assert s.expect is None


def test_properties_bound_expect(spec: CheckSpec) -> None:
    s = spec(
        "use hinting\ncheck deadlock, fault\nignore"
        " silent-loss\nbound 7\nexpect violation fault\n"
    )
    assert s.properties == {"assertion", "never", "undefined", "deadlock", "fault"}
    assert s.bound == 7
    assert s.expect is not None
    assert (s.expect.verdict, s.expect.prop) == ("violation", "fault")


def test_chaotic_host_by_default(spec: CheckSpec) -> None:
    s = spec("use hinting\npage a : Sr\npage b : Vr\n")
    assert set(s.host_moves) == {
        ir.HostMove(op, page) for op in ("swap", "discard") for page in (0, 1)
    }


def test_host_may_and_none(spec: CheckSpec) -> None:
    s = spec("use hinting\npage a : Sr\npage b : Vr\nhost may discard(b), swap(*)\n")
    assert s.host_moves == (
        ir.HostMove("discard", 1),
        ir.HostMove("swap", 0),
        ir.HostMove("swap", 1),
    )
    assert spec("use hinting\npage a : Sr\nhost none\n").host_moves == ()
    # a scripted host does not switch the chaotic one off
    s = spec("use hinting\npage a : Sr\nhost thread h {\n  swap(a)\n}\n")
    assert len(s.host_moves) == 2
    assert s.threads[0].is_host


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "host may read(p0)\n",
            "`host may` lists host actions, and 'read' is a guest access",
        ),
        ("host may discard(p9)\n", "unknown page 'p9'"),
        (
            "host may dicsard(*)\n",
            "unknown host action 'dicsard' (did you mean 'discard'?)",
        ),
        ("host none\nhost may swap(*)\n", "`host none` contradicts `host may`"),
    ],
)
def test_host_line_errors(spec_errors: SpecErrors, text: str, message: str) -> None:
    assert message in spec_errors(HEAD + text)[0]


def test_locals_are_typed_by_assignment(spec: CheckSpec) -> None:
    s = spec(
        thread(
            "assert n == 0\n"  # used before its assignment: a local starting at 0
            "r = read(p0)\nres = set_stable(p1)\nb = r == 7\nst = state(p0)\n"
            "n = r + 1\nshared = n\nd = dirty(p0)"
        )
    )
    (t,) = s.threads
    assert dict(t.locals) == {
        "n": "int", "r": "int", "res": "result",
        "b": "bool", "st": "state", "d": "bool",
    }  # fmt: skip
    assert [name for name, _ in t.locals][:2] == ["r", "res"]


def test_local_type_follows_other_locals(spec: CheckSpec) -> None:
    (t,) = spec(thread("b = a\na = c == 1\nc = read(p0)")).threads
    assert dict(t.locals) == {"b": "bool", "a": "bool", "c": "int"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "r = read(p0)\nassert r == ok",
            "cannot compare an integer with a call result (`ok`/`fail`)",
        ),
        ("r = read(p0)\nif r {\n}", "expected a boolean, got an integer"),
        ("x = true + 1", "expected an integer, got a boolean"),
        (
            "x = 1\nx = set_stable(p0)",
            "cannot assign a call result (`ok`/`fail`) to 'x', which holds an integer",
        ),
        (
            "shared = set_stable(p0)",
            "cannot assign a call result (`ok`/`fail`)"
            " to 'shared', which holds an integer",
        ),
        ("shared = true", "expected an integer, got a boolean"),
        ("await state(p0) == 5", "cannot compare a page state with an integer"),
        ("assert state(p0) in {Vz, 1}", "expected a page state, got an integer"),
        ("assert p0 == 1", "page 'p0' is not a value"),
        ("p0 = 1", "cannot assign to 'p0': it names a page"),
        ("Sr = 1", "cannot assign to 'Sr': it names a state"),
        ("assert cnt == 1", "unknown name 'cnt'"),
        ("assert sharde == 1", "unknown name 'sharde' (did you mean 'shared'?)"),
        ("assert read(p0) == 1", "operation 'read' cannot be part of an expression"),
        ("x = write(p0, 1)", "'write' returns no value to assign"),
        ("x = discard(p0)", "a guest thread cannot perform the host action 'discard'"),
        ("x = dirty(p0, p1)", "a flag test takes one page: dirty(PAGE)"),
        ("x = dirty", "'dirty' is a flag: test it on a page, e.g. dirty(p0)"),
        ("x = young(p0)", "unknown flag or operation 'young'"),
    ],
)
def test_type_and_name_errors(spec_errors: SpecErrors, body: str, message: str) -> None:
    errors = spec_errors(thread(body))
    assert any(e.startswith(message) for e in errors), errors


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "set_volatile(p0)",
            "'set_volatile' needs its parameter w (0 or 1), e.g. set_volatile(p0, w=0)",
        ),
        ("set_volatile(p0, w=shared)", "parameter 'w' takes a literal 0 or 1"),
        ("set_volatile(p0, w=2)", "parameter 'w' takes a literal 0 or 1"),
        (
            "set_volatile(p0, v=1)",
            "'set_volatile' has no parameter 'v' (its parameter: w)",
        ),
        ("set_volatile(p0, w=1, w=0)", "parameter 'w' is given twice"),
        ("set_volatile(p0, 1)", "too many arguments to 'set_volatile'"),
        ("read(p0, 1)", "too many arguments to 'read'"),
        ("write(p0)", "write needs a value: write(p0, VALUE)"),
        ("read()", "'read' needs a page as its first argument: read(PAGE)"),
        ("read(p7)", "unknown page 'p7' (declared pages: p0, p1)"),
        ("read(1)", "expected a page name"),
        (
            "set_stabel(p0)",
            "unknown operation 'set_stabel' (did you mean 'set_stable'?)",
        ),
        (
            "set_stable(p0) on fault {\n}",
            "only an access can fault, so 'set_stable' (a call)",
        ),
    ],
)
def test_operation_errors(spec_errors: SpecErrors, body: str, message: str) -> None:
    errors = spec_errors(thread(body))
    assert any(e.startswith(message) for e in errors), errors


def test_parameters_lowered_in_declaration_order(spec: CheckSpec) -> None:
    (t,) = spec(thread("set_volatile(p0, w=1)")).threads
    (instr,) = t.instrs
    assert isinstance(instr, ir.OpInstr)
    assert (instr.op.name, instr.args, instr.page) == ("set_volatile", (("w", 1),), 0)


def test_host_threads_only_do_actions(spec: CheckSpec, spec_errors: SpecErrors) -> None:
    errors = spec_errors(HEAD + "host thread h {\n  read(p0)\n}\n")
    assert errors == [
        "a host thread only performs host actions, and 'read' is a guest access"
    ]
    (t,) = spec(HEAD + "host thread h {\n  discard(p1)\n  swap(p0)\n}\n").threads
    assert [i.op.name for i in t.instrs if isinstance(i, ir.OpInstr)] == [
        "discard",
        "swap",
    ]


def test_fault_handler_layout(spec: CheckSpec) -> None:
    (t,) = spec(
        thread("r = read(p1) on fault {\n  set_stable(p1)\n}\nassert r == 0")
    ).threads
    read, stable, check = t.instrs
    assert isinstance(read, ir.OpInstr) and isinstance(stable, ir.OpInstr)
    assert (read.handler, read.next) == (1, 2)
    assert stable.next == 2
    assert isinstance(check, ir.AssertInstr) and check.next == t.end


def test_if_while_layout(spec: CheckSpec) -> None:
    (t,) = spec(
        thread(
            "while shared < 2 {\n  shared = shared + 1\n}\n"
            "if shared == 2 {\n  x = 1\n} else {\n  x = 2\n}"
        )
    ).threads
    loop, body, branch, then, orelse = t.instrs
    assert isinstance(loop, ir.BranchInstr) and (loop.then, loop.orelse) == (1, 2)
    assert isinstance(body, ir.AssignInstr) and body.next == 0
    assert isinstance(branch, ir.BranchInstr) and (branch.then, branch.orelse) == (3, 4)
    assert isinstance(then, ir.AssignInstr) and then.next == t.end
    assert isinstance(orelse, ir.AssignInstr) and orelse.next == t.end


def test_atomic_with_leading_await(spec: CheckSpec) -> None:
    (t,) = spec(
        thread("atomic {\n  await shared == 1\n  shared = 0\n  r = read(p0)\n}")
    ).threads
    block, assign, read = t.instrs
    assert isinstance(block, ir.AtomicInstr)
    assert block.guard is not None
    assert (block.entry, block.next) == (1, 3)
    assert isinstance(assign, ir.AssignInstr) and isinstance(read, ir.OpInstr)
    assert read.next == 3
    (t,) = spec(thread("atomic {\n  await shared == 1\n}")).threads
    (only,) = t.instrs
    assert isinstance(only, ir.AtomicInstr) and only.entry == only.next == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "atomic {\n  shared = 1\n  await shared == 1\n}",
            "`await` inside `atomic` is allowed only as its first statement",
        ),
        (
            "atomic {\n  if shared == 1 {\n    await shared == 1\n  }\n}",
            "`await` inside `atomic` is allowed only as its first statement",
        ),
        (
            "atomic {\n  while shared < 1 {\n  }\n}",
            "`while` is not allowed inside `atomic`",
        ),
        ("atomic {\n  atomic {\n  }\n}", "`atomic` blocks do not nest"),
    ],
)
def test_atomic_rules(spec_errors: SpecErrors, body: str, message: str) -> None:
    errors = spec_errors(thread(body))
    assert any(e.startswith(message) for e in errors), errors


def test_fault_inside_atomic_is_allowed(spec: CheckSpec) -> None:
    (t,) = spec(
        thread("atomic {\n  r = read(p1) on fault {\n    r = 1\n  }\n}")
    ).threads
    assert isinstance(t.instrs[0], ir.AtomicInstr)


def test_never_sees_shared_state_only(spec: CheckSpec, spec_errors: SpecErrors) -> None:
    s = spec(HEAD + "never shared == 1 and state(p0) in {Vz, Uz} and not dirty(p1)\n")
    assert len(s.nevers) == 1
    errors = spec_errors(thread("r = read(p0)") + "never r == 1\n")
    assert errors == [
        "'r' is a local of thread 't'; a `never` expression sees only shared variables,"
        " pages and states"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("page p0 : Sr\n", "'p0' is declared twice"),
        ("var p0 = 1\n", "'p0' is declared twice"),
        (
            "var Sr = 1\n",
            "'Sr' is a state of model 'hinting' and cannot name a variable",
        ),
        (
            "var read = 1\n",
            "'read' is an operation of model 'hinting' and cannot name a variable",
        ),
        (
            "page q : Vz = 5\n",
            "page 'q' starts in Vz, whose content is lost: it takes no `= 5`",
        ),
        ("page q : Sr dirt\n", "unknown flag 'dirt' (did you mean 'dirty'?)"),
        ("page q : Xr\n", "unknown state 'Xr' (a state is a guest state (U, S, V, P)"),
        ("bound -1\n", "bound must be ≥ 0, got bound=-1"),
        ("bound 1\nbound 2\n", "`bound` is given twice"),
        ("expect safe\nexpect safe\n", "`expect` is given twice"),
        ("check deadlok\n", "unknown property 'deadlok' (did you mean 'deadlock'?)"),
        ("check liveness\n", "unknown property 'liveness' (properties: assertion,"),
        ("thread t {\n}\nthread t {\n}\n", "thread 't' is declared twice"),
        ("guest S\n", "`guest` belongs in a model, but this file is a spec"),
        ("use hinting\n", "a spec uses exactly one model; this is a second `use`"),
    ],
)
def test_spec_errors(spec_errors: SpecErrors, text: str, message: str) -> None:
    errors = spec_errors(HEAD + text)
    assert any(e.startswith(message) for e in errors), errors


def test_every_error_is_reported(spec_errors: SpecErrors) -> None:
    errors = spec_errors(
        HEAD + "page p0 : Sr\nthread a {\n  read(p9)\n}\n"
        "thread b {\n  x = true + 1\n}\ncheck nope\n"
    )
    assert len(errors) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("use hintng\n", "model 'hintng' not found in "),
        (
            'use "nosuch.pg"\n',
            "model file 'nosuch.pg' not found (the"
            " path is relative to the spec's folder)",
        ),
        ('use "t.pg"\n', "a spec cannot use itself (a cycle of `use`)"),
        ("page p : Sr\nuse hinting\n", "`use` must come first in a spec"),
        ("page p : Sr\n", "expected `use MODEL` first"),
    ],
)
def test_use_errors(spec_errors: SpecErrors, text: str, message: str) -> None:
    assert spec_errors(text)[0].startswith(message)


def test_use_by_path_and_name_mismatch(
    project: Path, spec: CheckSpec, spec_errors: SpecErrors
) -> None:
    assert spec('use "../models/hinting.pg"\n').model.name == "hinting"
    (project / "models" / "other.pg").write_text(
        HINTING.replace("model hinting", "model renamed")
    )
    assert spec_errors("use other\n") == [
        f"{project / 'models' / 'other.pg'} defines model 'renamed', not 'other'"
    ]
    # a model found by its declared name when the file is named differently
    assert spec("use renamed\n").model.name == "renamed"


def test_one_guard_printer_shows_guards_as_written() -> None:
    """`ir.guard_text` is the one printer of guards (the graph and lint use it)."""
    m = model(
        "model g\nguest S\nhost r\nflag a, b, c\naction x\n"
        "Sr -> same on x if a and (b or not c)\n"
        "Sr -> same on x if not (a and b) or c\n"
    )
    assert [ir.guard_text(t.guard, m.flags) for t in m.transitions if t.guard] == [
        "a and (b or not c)",
        "not (a and b) or c",
    ]
