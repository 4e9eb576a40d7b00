"""The concrete semantics, rule by rule (language reference, sections 1-3).

Each test builds a spec from text and looks at the successors of a state through the
public API: `Semantics(spec)`, `.initial()`, `.initial_violation(state)` and
`.successors(state)`, whose `Successor` gives the actor, the events of the step, the
new state (pages: state, flags, data, valid, warned; threads: pc, status, locals) and
the violation, if any.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import ir
from checker.semantics import HOST, GlobalState, Semantics, Status, Successor

from .conftest import CheckSpec

# A small model for the rules the reference model cannot show in one step.
LOSS = """\
model loss
guest U unused, S, V
host r, z lost
flag dirty
call c, pick
access read, write sets dirty
action discard, poke
Ur, Sr, Vr -> same on read, write
Uz, Sz -> same on read, write
Ur -> Uz on discard
Sr -> Sz on discard
Sz -> same on c => fail
Sr -> Vr on pick
Sr -> same on pick => fail
Sr -> Sz on pick
Vr -> Vz on poke
Vr -> same on poke
Vz -> Sr on write => fault, clear dirty
"""

# The order of effects within one op: a transition that discards, sets or clears a
# flag, or faults, against a completed access and the access's own `sets`.
ORDER = """\
model order
guest S, V
host r, z lost
flag dirty
call c
access read, write sets dirty
action a
Sr -> same on write => clear dirty
Sr -> Sz on read
Vr -> Vz on write => fault, clear dirty
"""


@pytest.fixture
def load(project: Path, spec: CheckSpec) -> CheckSpec:
    """Check spec text; the models `loss` and `order` sit next to `hinting`."""
    (project / "models" / "loss.pg").write_text(LOSS)
    (project / "models" / "order.pg").write_text(ORDER)
    return spec


# --------------------------------------------------------------------------- helpers


def steps(sem: Semantics, state: GlobalState, actor: int) -> list[Successor]:
    """The successors of `state` in which `actor` (a thread index, or HOST) moves."""
    return [s for s in sem.successors(state) if s.actor == actor]


def step(sem: Semantics, state: GlobalState, actor: int = 0) -> Successor:
    """The one successor in which `actor` moves."""
    found = steps(sem, state, actor)
    assert len(found) == 1, found
    return found[0]


def run(sem: Semantics, *actors: int) -> Successor:
    """The last step of a run from the initial state in which `actors` move in turn
    (each move must be the actor's only choice); one step of thread 0 by default."""
    state = sem.initial()
    for actor in actors or (0,):
        succ = step(sem, state, actor)
        state = succ.state
    return succ


def name(spec: ir.Spec, state: GlobalState, page: int = 0) -> str:
    return spec.model.state_name(state.pages[page].state)


def local(spec: ir.Spec, state: GlobalState, var: str, thread: int = 0) -> ir.Value:
    names = [n for n, _ in spec.threads[thread].locals]
    return state.threads[thread].locals[names.index(var)]


def prop(succ: Successor) -> str | None:
    return succ.violation.prop if succ.violation else None


def kinds(succ: Successor) -> list[str]:
    return [e.kind for e in succ.events]


# --------------------------------------------------------------------------- data


@pytest.mark.parametrize(
    ("start", "end", "warned"),
    [("Vr", "Vz", False), ("Ur", "Uz", True)],
    ids=["volatile-not-warned", "unused-warned"],
)
def test_discard_invalidates_and_warns_per_unused(
    spec: CheckSpec, start: str, end: str, warned: bool
) -> None:
    """A transition into a `lost` host state discards: valid := false, and warned :=
    whether the source or target guest state is `unused`; data is kept."""
    s = spec(f"use hinting\npage p0 : {start} = 5\nhost may discard(p0)\n")
    sem = Semantics(s)
    succ = run(sem, HOST)
    page = succ.state.pages[0]
    assert name(s, succ.state) == end
    assert (page.valid, page.warned, page.data) == (False, warned, 5)
    assert succ.violation is None


def test_discard_into_an_unused_target_warns(spec: CheckSpec) -> None:
    """`Sp -> Uz on set_unused`: the target guest state is unused, so warned."""
    s = spec("use hinting\npage p0 : Sp = 5\nhost none\nthread t { set_unused(p0) }\n")
    sem = Semantics(s)
    page = run(sem).state.pages[0]
    assert (page.valid, page.warned, page.data) == (False, True, 5)


def test_a_transition_between_lost_states_keeps_valid_and_warned(
    spec: CheckSpec,
) -> None:
    """`Vz -> Uz on set_unused`: both are lost, so this is no discard (though the
    target is unused): valid and warned stay as the earlier discard left them."""
    s = spec(
        "use hinting\npage p0 : Vr = 5\nhost may discard(p0)\n"
        "thread t { set_unused(p0) }\n"
    )
    succ = run(Semantics(s), HOST, 0)
    page = succ.state.pages[0]
    assert name(s, succ.state) == "Uz"
    assert (page.valid, page.warned, page.data) == (False, False, 5)


# --------------------------------------------------------------------------- faults


# The host discards p0 (Vr -> Vz, not warned) first; a read on Vz faults.
FAULTING_READ = (
    "use hinting\npage p0 : Vr = 5\nhost may discard(p0)\n{check}"
    "thread t {{\n  r = 7\n  r = read(p0){handler}\n  u = 2\n}}\n"
)


def test_a_faulting_access_runs_its_handler_and_skips_the_assignment(
    spec: CheckSpec,
) -> None:
    s = spec(FAULTING_READ.format(check="", handler=" on fault { u = 1 }"))
    sem = Semantics(s)
    fault = run(sem, HOST, 0, 0)
    assert fault.events[-1].result == "fault"
    assert local(s, fault.state, "r") == 7  # the assignment did not happen
    assert fault.state.threads[0].status == Status.RUNNING
    assert fault.state.pages[0].warned  # a fault tells the guest
    assert fault.violation is None  # `fault` is off by default
    handler = step(sem, fault.state)
    assert local(s, handler.state, "u") == 1
    after = step(sem, handler.state)  # then the statement after the access
    assert local(s, after.state, "u") == 2
    assert after.state.threads[0].status == Status.DONE


def test_a_faulting_access_without_handler_ends_the_thread(spec: CheckSpec) -> None:
    s = spec(FAULTING_READ.format(check="", handler=""))
    sem = Semantics(s)
    fault = run(sem, HOST, 0, 0)
    assert fault.state.threads[0].status == Status.FAULTED
    assert local(s, fault.state, "r") == 7
    assert fault.violation is None
    assert sem.successors(fault.state) == []


def test_check_fault_makes_a_fault_a_violation(spec: CheckSpec) -> None:
    s = spec(FAULTING_READ.format(check="check fault\n", handler=""))
    assert prop(run(Semantics(s), HOST, 0, 0)) == "fault"


# --------------------------------------------------------------------------- being told


LOST_PAGE = (
    "use loss\npage p0 : Sr = 5\nhost may discard(p0)\n{extra}"
    "thread t {{\n  {stmt}\n}}\n"
)


def after_discard(s: ir.Spec) -> tuple[Semantics, GlobalState]:
    """The state after the host discarded p0 (Sr -> Sz: lost, not warned)."""
    sem = Semantics(s)
    state = run(sem, HOST).state
    assert (name(s, state), state.pages[0].warned) == ("Sz", False)
    return sem, state


@pytest.mark.parametrize(
    "stmt",
    [
        "b = state(p0) == Sz",
        "assert state(p0) != Sr",
        "if state(p0) in {Uz, Sz} { }",
        "await state(p0) == Sz",
        "b = true and state(p0) == Sz",
        "b = false or state(p0) == Sz",
    ],
)
def test_a_guest_reading_a_lost_state_is_told(load: CheckSpec, stmt: str) -> None:
    s = load(LOST_PAGE.format(extra="", stmt=stmt))
    sem, state = after_discard(s)
    assert step(sem, state).state.pages[0].warned


@pytest.mark.parametrize(
    "stmt",
    ["b = false and state(p0) == Sz", "b = true or state(p0) == Sz"],
    ids=["false-and", "true-or"],
)
def test_short_circuit_leaves_the_right_side_unevaluated(
    load: CheckSpec, stmt: str
) -> None:
    """`and`/`or` stop early: a `state(p)` they skip tells nothing."""
    s = load(LOST_PAGE.format(extra="", stmt=stmt))
    sem, state = after_discard(s)
    succ = step(sem, state)
    assert not succ.state.pages[0].warned
    assert local(s, succ.state, "b") == stmt.startswith("b = true")


def test_a_never_expression_tells_nothing(load: CheckSpec) -> None:
    s = load(LOST_PAGE.format(extra="never state(p0) == Sr\n", stmt="u = 1"))
    sem, state = after_discard(s)  # `never` was evaluated on this state
    assert not step(sem, state).state.pages[0].warned


def test_a_host_thread_reading_a_state_tells_nothing(load: CheckSpec) -> None:
    s = load(
        "use loss\npage p0 : Sr = 5\nhost none\n"
        "host thread h {\n  discard(p0)\n  if state(p0) == Sz { u = 1 }\n}\n"
    )
    sem = Semantics(s)
    branch = run(sem, 0, 0)
    assert [(e.kind, e.result) for e in branch.events] == [("if", True)]
    assert not branch.state.pages[0].warned


# --------------------------------------------------------------------------- steps


def test_a_false_await_has_no_successor(spec: CheckSpec) -> None:
    s = spec(
        "use hinting\npage p0 : Sr\nvar v = 0\nhost none\nthread t { await v == 1 }\n"
    )
    sem = Semantics(s)
    assert sem.successors(sem.initial()) == []
    s = spec(
        "use hinting\npage p0 : Sr\nvar v = 1\nhost none\nthread t { await v == 1 }\n"
    )
    succ = run(Semantics(s))
    assert kinds(succ) == ["await"]
    assert succ.state.threads[0].status == Status.DONE


ATOMIC = (
    "use hinting\npage p0 : Vz\nvar v = {v}\nhost none\n"
    "thread t {{\n  atomic {{\n    await v == 0\n    v = 1\n"
    "    r = read(p0) on fault {{ u = 2 }}\n    u = u + 1\n  }}\n}}\n"
)


def test_an_atomic_block_is_one_step(spec: CheckSpec) -> None:
    """One successor with every statement's event; a fault inside runs its handler
    within the same step."""
    s = spec(ATOMIC.format(v=0))
    sem = Semantics(s)
    (succ,) = sem.successors(sem.initial())
    assert kinds(succ) == ["atomic", "assign", "read", "assign", "assign"]
    assert succ.events[2].result == "fault"
    assert succ.state.vars == (1,)
    assert local(s, succ.state, "u") == 3
    assert succ.state.threads[0].status == Status.DONE


def test_an_atomic_block_waits_for_its_leading_await(spec: CheckSpec) -> None:
    s = spec(ATOMIC.format(v=1))
    sem = Semantics(s)
    assert sem.successors(sem.initial()) == []


def test_a_nondeterministic_match_gives_one_successor_per_transition(
    load: CheckSpec,
) -> None:
    """`pick` on Sr matches three transitions: three successors, in model order."""
    s = load("use loss\npage p0 : Sr = 5\nhost none\nthread t { x = pick(p0) }\n")
    sem = Semantics(s)
    succs = steps(sem, sem.initial(), 0)
    assert [name(s, x.state) for x in succs] == ["Vr", "Sr", "Sz"]
    assert [local(s, x.state, "x") for x in succs] == ["ok", "fail", "ok"]
    assert [(x.state.pages[0].valid, x.state.pages[0].warned) for x in succs] == [
        (True, False),
        (True, True),  # a `fail` tells
        (False, False),  # a discard to a lost state, not unused
    ]


def test_a_nondeterministic_host_action_gives_one_successor_per_transition(
    load: CheckSpec,
) -> None:
    s = load("use loss\npage p0 : Vr = 5\nhost may poke(p0)\n")
    sem = Semantics(s)
    assert [name(s, x.state) for x in steps(sem, sem.initial(), HOST)] == ["Vz", "Vr"]


def test_a_host_action_the_model_does_not_enable_is_no_step(load: CheckSpec) -> None:
    s = load("use loss\npage p0 : Uz\nhost may discard(p0), poke(p0)\n")
    sem = Semantics(s)
    assert sem.successors(sem.initial()) == []


UNDEFINED = (
    "use hinting\npage p0 : Uz\nhost none\n{ignore}"
    "thread t {{\n  set_stable_if_present(p0)\n  u = 1\n}}\n"
)


def test_a_guest_op_without_a_match_is_undefined(spec: CheckSpec) -> None:
    succ = run(Semantics(spec(UNDEFINED.format(ignore=""))))
    assert prop(succ) == "undefined"


def test_ignore_undefined_makes_the_thread_stuck(spec: CheckSpec) -> None:
    s = spec(UNDEFINED.format(ignore="ignore undefined\n"))
    sem = Semantics(s)
    succ = run(sem)
    assert succ.violation is None
    assert succ.state.threads[0].status == Status.STUCK
    assert name(s, succ.state) == "Uz"
    assert sem.successors(succ.state) == []


# --------------------------------------------------------------------------- silent loss


def test_reading_an_invalid_page_is_silent_loss_even_if_warned(
    load: CheckSpec,
) -> None:
    """Ur -> Uz discards with warned (unused); a completed read then returns 0 and is
    still a silent loss: `valid = false` is all the rule asks of a read."""
    s = load(
        "use loss\npage p0 : Ur = 5\nhost may discard(p0)\nthread t { r = read(p0) }\n"
    )
    sem = Semantics(s)
    state = run(sem, HOST).state
    assert (state.pages[0].valid, state.pages[0].warned) == (False, True)
    succ = step(sem, state)
    assert prop(succ) == "silent-loss"
    assert succ.events[-1].result == 0


def test_reading_a_valid_page_returns_its_data(load: CheckSpec) -> None:
    s = load("use loss\npage p0 : Sr = 5\nhost none\nthread t { r = read(p0) }\n")
    succ = run(Semantics(s))
    assert succ.violation is None
    assert local(s, succ.state, "r") == 5


WRITE_AFTER_DISCARD = (
    "use loss\npage p0 : {start} = 5\nhost may discard(p0)\n"
    "thread t {{ write(p0, 9) }}\n"
)


@pytest.mark.parametrize(
    ("start", "violation"), [("Sr", "silent-loss"), ("Ur", None)], ids=["S", "U"]
)
def test_writing_is_silent_loss_only_if_not_warned(
    load: CheckSpec, start: str, violation: str | None
) -> None:
    s = load(WRITE_AFTER_DISCARD.format(start=start))
    sem = Semantics(s)
    state = run(sem, HOST).state
    assert not state.pages[0].valid
    succ = step(sem, state)
    assert prop(succ) == violation
    assert (succ.state.pages[0].data, succ.state.pages[0].valid) == (9, True)


def test_a_failed_call_tells_so_a_later_write_is_no_loss(load: CheckSpec) -> None:
    s = load(
        "use loss\npage p0 : Sr = 5\nhost may discard(p0)\n"
        "thread t {\n  x = c(p0)\n  write(p0, 9)\n}\n"
    )
    sem = Semantics(s)
    state = run(sem, HOST).state
    state = step(sem, state).state
    assert state.pages[0].warned
    assert step(sem, state).violation is None


# --------------------------------------------------------------------------- order


def test_an_access_s_own_sets_come_after_the_transition_s_clear(
    load: CheckSpec,
) -> None:
    """`Sr -> same on write => clear dirty`, and write `sets dirty`: the transition's
    clear comes first, the completed write's own set last."""
    s = load(
        "use order\npage p0 : Sr dirty = 5\nhost none\nthread t { write(p0, 1) }\n"
    )
    page = run(Semantics(s)).state.pages[0]
    assert (page.flags, page.data, page.valid) == (1, 1, True)


def test_a_read_reads_after_the_transition_discards(load: CheckSpec) -> None:
    """`Sr -> Sz on read`: the transition discards, then the read finds no content."""
    s = load("use order\npage p0 : Sr = 5\nhost none\nthread t { r = read(p0) }\n")
    succ = run(Semantics(s))
    assert name(s, succ.state) == "Sz"
    assert prop(succ) == "silent-loss"
    assert succ.events[-1].result == 0
    assert succ.state.pages[0].data == 5  # a discard keeps data, only valid goes


def test_a_fault_comes_after_the_transition_and_skips_the_access(
    load: CheckSpec,
) -> None:
    """`Vr -> Vz on write => fault, clear dirty`: the discard (not warned, V is not
    unused), then the fault (warned), and neither the write nor its `sets dirty`."""
    s = load(
        "use order\npage p0 : Vr dirty = 5\nhost none\nthread t { write(p0, 1) }\n"
    )
    succ = run(Semantics(s))
    page = succ.state.pages[0]
    assert name(s, succ.state) == "Vz"
    assert (page.flags, page.data, page.valid, page.warned) == (0, 5, False, True)
    assert succ.violation is None


# --------------------------------------------------------------------------- properties


def test_within_a_step_the_first_statement_s_violation_counts(spec: CheckSpec) -> None:
    """A step's own statements come before `never` on the new state."""
    s = spec(
        "use hinting\npage p0 : Sr = 5\nvar v = 0\nhost none\nnever v == 1\n"
        "thread t { atomic { v = 1; assert false } }\n"
    )
    assert prop(run(Semantics(s))) == "assertion"


def test_never_is_checked_in_the_initial_state_and_after_a_step(
    spec: CheckSpec,
) -> None:
    s = spec("use hinting\npage p0 : Sr = 5\nvar v = 1\nhost none\nnever v == 1\n")
    sem = Semantics(s)
    violation = sem.initial_violation(sem.initial())
    assert violation is not None and violation.prop == "never"
    s = spec(
        "use hinting\npage p0 : Sr = 5\nvar v = 0\nhost none\nnever v == 1\n"
        "thread t { v = 1 }\n"
    )
    sem = Semantics(s)
    assert sem.initial_violation(sem.initial()) is None
    assert prop(run(sem)) == "never"


def test_deadlock_needs_an_unfinished_thread_and_no_step(spec: CheckSpec) -> None:
    text = "use hinting\npage p0 : Sr = 5\nvar v = 0\nhost none\ncheck deadlock\n"
    sem = Semantics(spec(text + "thread t { await v == 1 }\n"))
    violation = sem.initial_violation(sem.initial())
    assert violation is not None and violation.prop == "deadlock"
    # a thread that faulted is finished: no deadlock
    sem = Semantics(spec(text.replace("Sr = 5", "Vz") + "thread t { read(p0) }\n"))
    assert sem.initial_violation(sem.initial()) is None
    fault = run(sem)
    assert fault.state.threads[0].status == Status.FAULTED
    assert fault.violation is None
