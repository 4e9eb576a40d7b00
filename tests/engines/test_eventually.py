"""`check eventually THREAD at LABEL`: the monitor slot and its moves, the lasso's
messages, the checks of the front end, and what a spec without it keeps."""

from __future__ import annotations

import io
import json
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker import ir
from checker import terms as T
from checker.api import Options, check_file
from checker.cli import main
from checker.errors import SourceError
from checker.liveness import find_lasso
from checker.load import load_spec
from checker.semantics import Semantics
from checker.step import Layout, define
from checker.symmetry import symmetric_groups

HERE = Path(__file__).parent
LIVENESS = HERE / "liveness"
MODELS = HERE.parents[1] / "models"


def spec_of(tmp_path: Path, text: str) -> ir.Spec:
    path = tmp_path / "t.pg"
    path.write_text(text, encoding="utf-8")
    return load_spec(path, models_dirs=[MODELS])


SPIN = """use hinting
host none
var sc = 1
thread a {
  while sc == 1 {
  }
  atomic { sc = 3; got: sc = 2 }
}
"""


def test_labels_alone_change_nothing(tmp_path: Path) -> None:
    """A label that no check names adds no slot and no update: the definition is
    the one of the unlabelled spec."""
    labelled = define(spec_of(tmp_path, SPIN))
    plain = define(spec_of(tmp_path, SPIN.replace("got: ", "")))
    assert labelled.layout == plain.layout and labelled.layout.passed == ()
    assert [(m.pc, m.condition, m.updates) for m in labelled.moves] == [
        (m.pc, m.condition, m.updates) for m in plain.moves
    ]
    assert labelled.cycles == ()


def test_the_monitor_is_set_inside_an_atomic_step(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, SPIN + "check eventually a at got\n")
    d = define(spec)
    (slot,) = d.layout.passed
    assert d.layout.slots[slot].name == "a.passed.got"
    setting = [m for m in d.moves if (slot, T.TRUE) in m.updates]
    atomic = next(
        pc
        for pc, i in enumerate(spec.threads[0].instrs)
        if isinstance(i, ir.AtomicInstr)
    )
    # the atomic step, and the labelled statement's own moves (which never run alone)
    assert {m.pc for m in setting} == {atomic, spec.eventually[0].label.pc}
    assert all(slot not in dict(m.updates) for m in d.moves if m not in setting)
    (cycle,) = d.cycles
    assert cycle.prop == "eventually" and cycle.point == spec.eventually[0]


def test_a_label_on_the_guard_of_an_atomic_block_is_the_atomic_step(
    tmp_path: Path,
) -> None:
    spec = spec_of(
        tmp_path,
        "use hinting\nhost none\nvar go = 0\nthread a {\n"
        "  x = 1\n  atomic { woken: await go == 0; go = 1 }\n}\n"
        "check eventually a at woken\n",
    )
    assert spec.eventually[0].label.pc == 1
    assert isinstance(spec.threads[0].instrs[1], ir.AtomicInstr)


def test_a_named_thread_leaves_its_symmetric_group(tmp_path: Path) -> None:
    twins = (
        "use hinting\nhost none\nvar go = 0\n"
        "thread a {\n  got: go = 1\n}\nthread b {\n  got: go = 1\n}\n"
        "thread c {\n  got: go = 1\n}\n"
    )
    assert symmetric_groups(spec_of(tmp_path, twins)) == ((0, 1, 2),)
    named = spec_of(tmp_path, twins + "check eventually b at got\n")
    assert symmetric_groups(named) == ((0, 2),)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("eventually_unfair_host", "blocked forever: no guest thread can step"),
        ("eventually_branch", "it finished without passing it"),
        ("eventually_faulted", "it faulted before it"),
        ("eventually_spin", "its steps repeat in a cycle that does not pass it"),
    ],
)
def test_messages_say_why_the_point_is_never_reached(name: str, message: str) -> None:
    r = check_file(LIVENESS / f"{name}.pg", Options(engine="explicit", coverage=False))
    assert r.trace is not None
    assert r.trace.violation.message.startswith("thread a never reaches ")
    assert message in r.trace.violation.message


def test_a_finished_thread_is_located_at_its_label() -> None:
    r = check_file(LIVENESS / "eventually_branch.pg", Options(coverage=False))
    assert r.trace is not None and r.trace.violation.span is not None
    span = r.trace.violation.span
    assert (span.line, span.col, span.end_col) == (17, 5, 8)


def test_every_lasso_state_before_the_cycle_has_not_passed() -> None:
    """The monitor is reset by nothing: a state of the cycle that has not passed the
    label had not passed it anywhere on the prefix."""
    spec = load_spec(LIVENESS / "eventually_branch.pg")
    found = find_lasso(Semantics(spec), spec.bound, time.monotonic() + 60)
    assert found.trace is not None
    states = [found.trace.initial, *(s.state for s in found.trace.steps)]
    assert all(s.passed == (False,) for s in states)


def test_the_expected_property_is_searched_beside_the_shortest(tmp_path: Path) -> None:
    """With `terminates` and `eventually` both violated at the same depth, the
    shortest lasso is the one of `terminates` (the first condition), and `expect
    violation eventually` gets its own."""
    spec = spec_of(
        tmp_path,
        SPIN + "check terminates, eventually a at got\nexpect violation eventually\n",
    )
    found = find_lasso(Semantics(spec), spec.bound, time.monotonic() + 60, "eventually")
    assert found.trace is not None and found.trace.violation.prop == "terminates"
    assert found.wanted is not None and found.wanted.violation.prop == "eventually"
    assert found.wanted.loop == 0 and found.wanted.length == 1


def test_ignore_eventually_drops_the_checks(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, SPIN + "check eventually a at got\nignore eventually\n")
    assert spec.eventually == () and spec.liveness is None
    assert "eventually" not in spec.properties


def test_a_check_given_twice_is_one_monitor(tmp_path: Path) -> None:
    spec = spec_of(
        tmp_path, SPIN + "check eventually a at got\ncheck eventually a at got\n"
    )
    assert len(spec.eventually) == 1 and len(Layout.of(spec).passed) == 1


def test_the_liveness_span_is_the_first_check(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, SPIN + "check eventually a at got\ncheck terminates\n")
    assert spec.liveness is not None and spec.liveness.line == 9


def test_errors_are_collected_together(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        spec_of(
            tmp_path,
            SPIN + "check eventually b at got, eventually a at gone\n",
        )
    messages = [d.message for d in info.value.diagnostics]
    assert messages == ["unknown thread 'b'", "thread 'a' has no label 'gone'"]


def test_full_state_and_json_show_the_monitor() -> None:
    path = str(LIVENESS / "eventually_spin.pg")
    out = io.StringIO()
    assert main(["--trace", "full", path], stdout=out, stderr=io.StringIO()) == 0
    assert "a.passed.got=false" in out.getvalue()
    out = io.StringIO()
    assert main(["--json", path], stdout=out, stderr=io.StringIO()) == 0
    result = json.loads(out.getvalue())["results"][0]
    assert result["property"] == "eventually"
    assert result["cycle"] == {"first_step": 1, "steps": 1}
    assert result["initial_state"]["a.passed.got"] is False


def test_no_expected_lasso_without_expect(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, SPIN + "check terminates, eventually a at got\n")
    found = find_lasso(Semantics(spec), spec.bound, time.monotonic() + 60)
    assert found.trace is not None and found.wanted is None


@pytest.mark.parametrize(
    ("name", "verdict", "prefix", "cycle"),
    [
        ("make_stable_waiter.pg", "violation", 4, 5),
        ("make_stable_waiter_fixed.pg", "safe", None, None),
    ],
)
def test_shipped_specs(
    name: str, verdict: str, prefix: int | None, cycle: int | None
) -> None:
    """The writer's lasso: vm holds the bit and gives up (4 steps), then the writer
    tests the bit while the idle CPU turns its loop (a cycle of 5 steps)."""
    path = HERE.parents[1] / "specs" / name
    r = check_file(path, Options(engine="explicit", coverage=False))
    assert (str(r.verdict), r.complete, r.expectation_met) == (verdict, True, True)
    if r.trace is not None:
        assert r.trace.violation.prop == "eventually"
        assert r.trace.loop == prefix and r.trace.length - r.trace.loop == cycle


def test_a_branch_inside_an_atomic_step_passes_only_when_taken(tmp_path: Path) -> None:
    """The atomic step of `b` runs its `if` with go == 0 (a has not run) or 1: only
    the second passes `got`, and the monitor says which."""
    spec = spec_of(
        tmp_path,
        "use hinting\nhost none\nvar go = 0\nthread a {\n  go = 1\n}\n"
        "thread b {\n  atomic {\n    if go == 1 {\n      got: go = 2\n    }\n  }\n}\n"
        "check eventually b at got\n",
    )
    sem = Semantics(spec)
    first = sem.initial()
    by_b = [s for s in sem.successors(first) if s.actor == 1]
    assert [s.state.passed for s in by_b] == [(False,)]
    (after_a,) = [s.state for s in sem.successors(first) if s.actor == 0]
    assert [s.state.passed for s in sem.successors(after_a)] == [(True,)]


def _programs() -> st.SearchStrategy[str]:
    """Bodies over two variables that cannot fault or get stuck: assignments, tests,
    loops, awaits and atomic blocks."""
    cond = st.builds(
        "{} {} {}".format,
        st.sampled_from(["x", "y"]),
        st.sampled_from(["==", "!="]),
        st.integers(0, 1),
    )
    assign = st.builds(
        "{} = {}".format,
        st.sampled_from(["x", "y"]),
        st.sampled_from(["0", "1", "1 - x"]),
    )

    def compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        block = st.lists(inner, max_size=2).map(lambda b: "{\n" + "\n".join(b) + "\n}")
        return st.one_of(
            st.builds("while {} {}".format, cond, block),
            st.builds("if {} {} else {}".format, cond, block, block),
            st.builds("await {}".format, cond),
        )

    stmt = st.recursive(assign, compound, max_leaves=5)
    return st.lists(stmt, min_size=1, max_size=4).map("\n".join)


@settings(max_examples=40, deadline=None)
@given(body=_programs())
def test_one_thread_passing_its_last_statement_is_terminating(body: str) -> None:
    """With one guest thread that cannot fault or get stuck, passing a label on its
    last statement is finishing: the states where the label is not passed are those
    where the thread runs, so `eventually` and `terminates` find the same lasso."""
    head = "use hinting\nhost none\nvar x = 0\nvar y = 0\nbound 30\n"
    text = head + f"thread a {{\n{body}\nlast: y = y\n}}\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.pg"
        path.write_text(text + "check eventually a at last\n", encoding="utf-8")
        eventually = load_spec(path, models_dirs=[MODELS])
        path.write_text(text + "check terminates\n", encoding="utf-8")
        terminates = load_spec(path, models_dirs=[MODELS])
    deadline = time.monotonic() + 60
    a = find_lasso(Semantics(eventually), 30, deadline)
    b = find_lasso(Semantics(terminates), 30, deadline)
    assert a.complete == b.complete and (a.trace is None) == (b.trace is None)
    if a.trace is not None and b.trace is not None:
        assert a.trace.loop == b.trace.loop
        assert [s.move for s in a.trace.steps] == [s.move for s in b.trace.steps]
        assert a.trace.violation.prop == "eventually"
