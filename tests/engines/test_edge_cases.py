"""Edge cases of the run semantics (language reference, section 3), on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.api import Options, check_spec
from checker.load import load_spec
from checker.result import Verdict

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("explicit", "z3")


def run(tmp_path: Path, engine: str, body: str, bound: int | None = None):  # type: ignore[no-untyped-def]
    (tmp_path / "specs").mkdir(exist_ok=True)
    path = tmp_path / "specs" / "case.pg"
    path.write_text("use hinting\n" + body)
    spec = load_spec(path, models_dirs=(ROOT / "models",))
    return check_spec(spec, Options(engine=engine, bound=bound, timeout=60))


def outcome(result):  # type: ignore[no-untyped-def]
    return (
        str(result.verdict),
        result.prop,
        result.trace.length if result.trace else None,
        result.complete,
    )


CASES = {
    "fault handler refills the page": (
        """
page p0 : Vr = 5
thread cpu0 {
  r = read(p0) on fault {
    set_stable(p0)
    write(p0, 5)
    r = read(p0)
  }
  assert r == 5
}
""",
        ("safe", None, None, True),
    ),
    "a fault without handler stops the thread quietly": (
        """
page p0 : Vz
host none
thread cpu0 {
  r = read(p0)
  assert false
}
""",
        ("safe", None, None, True),
    ),
    "check fault reports the fault": (
        """
page p0 : Vz
host none
check fault
thread cpu0 {
  r = read(p0)
}
""",
        ("violation", "fault", 1, True),
    ),
    "atomic with await waits for the whole block": (
        """
page p0 : Sr = 1
var go = 0
host none
thread a {
  atomic {
    await go == 1
    r = read(p0)
    assert r == 2
  }
}
thread b {
  write(p0, 2)
  go = 1
}
""",
        ("safe", None, None, True),
    ),
    "atomic hides the window between check and use": (
        """
page p0 : Vr = 42
host may discard(p0)
thread reader {
  atomic {
    s = set_stable_if_present(p0)
    if s == ok {
      r = read(p0)
      assert r == 42
    }
  }
}
""",
        ("safe", None, None, True),
    ),
    "scripted host thread discards after the guest frees": (
        """
page p0 : Sr = 7
var freed = 0
host none
host thread reclaim {
  await freed == 1
  discard(p0)
}
thread cpu0 {
  set_unused(p0)
  freed = 1
  r = read(p0)
}
""",
        ("violation", "silent-loss", 5, True),
    ),
    "host none makes a premature free harmless": (
        """
page p0 : Sr = 7
host none
thread cpu0 { set_unused(p0) }
thread cpu1 {
  r = read(p0)
  assert r == 7
}
""",
        ("safe", None, None, True),
    ),
    "a spin loop over finitely many states is complete": (
        """
page p0 : Vr = 3
thread waiter {
  while state(p0) != Vz { }
  set_stable(p0)
  write(p0, 1)
}
""",
        ("safe", None, None, True),
    ),
    "never in the initial state is a violation of length 0": (
        """
page p0 : Vz
never state(p0) == Vz
thread t { set_unused(p0) }
""",
        ("violation", "never", 0, True),
    ),
    "reading uninitialised memory is a silent loss": (
        """
page p0 : Sr
host none
thread t { r = read(p0) }
""",
        ("violation", "silent-loss", 1, True),
    ),
    "writing uninitialised memory is fine": (
        """
page p0 : Sr
host none
thread t {
  write(p0, 3)
  r = read(p0)
  assert r == 3
}
""",
        ("safe", None, None, True),
    ),
    "an undefined op is a violation": (
        """
page p0 : Sp = 1
host none
thread t { set_stable_if_present(p0) }
""",
        ("violation", "undefined", 1, True),
    ),
    "ignore undefined leaves the thread stuck, which is no deadlock": (
        """
page p0 : Sp = 1
host none
ignore undefined
check deadlock
thread t {
  set_stable_if_present(p0)
  assert false
}
""",
        ("safe", None, None, True),
    ),
    "deadlock in the initial state": (
        """
page p0 : Sp = 1
var v = 0
host none
check deadlock
thread t { await v == 1 }
""",
        ("violation", "deadlock", 0, True),
    ),
    "deadlock after a step": (
        """
page p0 : Sp = 1
var v = 0
host none
check deadlock
thread t {
  v = 2
  await v == 1
}
""",
        ("violation", "deadlock", 1, True),
    ),
    "ties go to assertion before silent-loss": (
        """
page p0 : Sr
host none
thread a { r = read(p0) }
thread b { assert false }
""",
        ("violation", "assertion", 1, True),
    ),
    "seeing a lost state warns the guest, so the write is no silent loss": (
        """
page p0 : Vr = 1
host may discard(p0)
thread t {
  await state(p0) == Vz
  set_stable(p0)
  write(p0, 2)
}
""",
        ("safe", None, None, True),
    ),
    "a write to content lost unseen is a silent loss": (
        """
page p0 : Vr = 1
var d = 0
host none
host thread h {
  discard(p0)
  d = 1
}
thread t {
  await d == 1
  set_stable(p0)
  write(p0, 2)
}
""",
        ("violation", "silent-loss", 5, True),
    ),
    "an unbounded counter is safe but not complete": (
        """
page p0 : Sr = 1
var v = 0
host none
thread t {
  while true { v = v + 1 }
}
""",
        ("safe", None, None, False),
    ),
    "a loop that needs more steps than the bound is not complete": (
        """
page p0 : Sr = 1
var v = 0
host none
thread t {
  while v < 5 { v = v + 1 }
  assert v == 5
}
""",
        ("safe", None, None, False),
    ),
    "set_stable_if_present on Vz fails and warns": (
        """
page p0 : Vz
host none
thread t {
  s = set_stable_if_present(p0)
  assert s == fail
  set_stable(p0)
  write(p0, 4)
}
""",
        ("safe", None, None, True),
    ),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(CASES))
def test_edge_case(tmp_path: Path, engine: str, name: str) -> None:
    body, expected = CASES[name]
    bound = 8 if "bound" in name or "counter" in name else None
    assert outcome(run(tmp_path, engine, body, bound)) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_expect_violation_met_by_a_longer_run(tmp_path: Path, engine: str) -> None:
    """`expect violation P` holds when P is reachable, even if another property comes sooner."""
    result = run(
        tmp_path,
        engine,
        """
page p0 : Sr = 7
page p1 : Sr
thread a { r = read(p1) }
thread b {
  set_unused(p0)
  x = read(p0)
}
expect violation silent-loss
""",
    )
    assert result.prop == "silent-loss" and result.expectation_met
    result = run(
        tmp_path,
        engine,
        """
page p0 : Sr = 7
host none
thread a { assert false }
thread b {
  set_unused(p0)
  set_volatile(p0, w=0)
  set_stable(p0)
  set_unused(p0)
  set_unused(p0)
}
expect violation undefined
""",
    )
    assert result.verdict == Verdict.VIOLATION and result.prop == "assertion"
    assert result.expectation_met and result.expected_trace is not None
    assert result.expected_trace.violation.prop == "undefined"
    assert result.expected_trace.length == 5
