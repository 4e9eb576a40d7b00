"""Coverage: what a check's runs never did, the same whichever engine answered."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from checker.api import Options, check_spec
from checker.coverage import measure
from checker.load import load_spec
from checker.result import Verdict
from checker.step import define

from .conftest import CheckSpec

VACUOUS = """\
use hinting
page p0 : Sr = 1
var done = 0
thread cpu0 {
  await done == 1
  r = read(p0)
  assert r == 1
}
thread cpu1 {
  await done == 1
  write(p0, 2)
}
expect safe
"""

COVERED = """\
use hinting
page p0 : Sr = 7
var done = 0
host may discard(p0)
thread cpu0 {
  await done == 1
  set_unused(p0)
}
thread cpu1 {
  r = read(p0)
  if r == 7 {
    done = 1
  }
}
"""


@pytest.mark.parametrize("engine", ["explicit", "z3"])
def test_the_vacuous_spec_is_flagged_by_both_engines(
    spec: CheckSpec, engine: str
) -> None:
    result = check_spec(spec(VACUOUS), Options(engine=engine))
    assert result.verdict == Verdict.SAFE and result.complete
    assert result.vacuous and result.expectation_met
    assert result.coverage is not None
    assert [
        (i.kind, i.span.line if i.span else None) for i in result.coverage.vacuous
    ] == [
        ("await", 5),
        ("statement", 6),
        ("assert", 7),
        ("await", 10),
        ("statement", 11),
    ]


def test_engines_report_the_same_coverage(spec: CheckSpec) -> None:
    s = spec(COVERED)
    explicit = check_spec(s, Options(engine="explicit")).coverage
    z3 = check_spec(s, Options(engine="z3")).coverage
    assert explicit is not None and explicit == z3


@pytest.mark.parametrize("how", ["option", "spec"])
def test_strict_turns_a_vacuous_safe_into_a_failed_expectation(
    spec: CheckSpec, how: str
) -> None:
    if how == "spec":
        s, options = spec(VACUOUS + "check coverage\n"), Options(engine="explicit")
    else:
        s, options = spec(VACUOUS), Options(engine="explicit", strict=True)
    result = check_spec(s, options)
    assert result.verdict == Verdict.SAFE
    assert not result.expectation_met


def test_strict_passes_a_spec_whose_statements_are_all_reached(
    spec: CheckSpec,
) -> None:
    result = check_spec(spec(COVERED), Options(engine="explicit", strict=True))
    assert result.coverage is not None and not result.coverage.vacuous
    assert result.expectation_met


def test_a_spec_without_check_coverage_is_not_strict(spec: CheckSpec) -> None:
    assert not spec(VACUOUS).strict
    assert spec(VACUOUS + "check coverage\n").strict
    assert not spec(VACUOUS + "check coverage\nignore coverage\n").strict


def test_unreached_transitions_ops_and_never_conjuncts(spec: CheckSpec) -> None:
    s = spec(COVERED + "never done == 2 and state(p0) == Uz\n")
    c = measure(define(s), s.bound, time.monotonic() + 60, full=True)
    assert c.finished and c.full and not c.vacuous
    kinds = {(i.kind, i.text) for i in c.unreached}
    assert (
        "never",
        "`never done == 2 and state(p0) == Uz`: `done == 2` never held",
    ) in kinds
    assert ("op", "access write never happened") in kinds
    assert ("op", "action swap never happened") in kinds
    assert ("op", "access read never happened") not in kinds
    fired = {text for kind, text in kinds if kind == "transition"}
    assert "transition Ur -> Uz on discard never fired" not in fired
    assert "transition Vr -> Vz on discard never fired" in fired


def test_transitions_and_ops_are_measured_only_when_asked(spec: CheckSpec) -> None:
    s = spec(COVERED)
    c = measure(define(s), s.bound, time.monotonic() + 60)
    assert not c.full and c.unreached == ()
    full = check_spec(s, Options(engine="explicit", full_coverage=True)).coverage
    assert full is not None and {i.kind for i in full.unreached} == {"transition", "op"}


def test_a_branch_never_taken_is_a_statement_never_executed(spec: CheckSpec) -> None:
    s = spec(COVERED.replace("if r == 7", "if r == 8"))
    c = measure(define(s), s.bound, time.monotonic() + 60)
    assert [(i.kind, i.text) for i in c.vacuous] == [
        ("await", "cpu0: `await done == 1` never passed"),
        ("statement", "cpu0: `set_unused(p0)` never executed"),
        ("statement", "cpu1: `done = 1` never executed"),
    ]


def test_the_bound_limits_what_coverage_counts(spec: CheckSpec) -> None:
    s = spec(COVERED)
    c = measure(define(s), 1, time.monotonic() + 60)
    assert {i.text for i in c.vacuous} == {
        "cpu0: `await done == 1` never passed",
        "cpu0: `set_unused(p0)` never executed",
        "cpu1: `if r == 7` never executed",
        "cpu1: `done = 1` never executed",
    }


def test_a_deadline_stops_the_search_unfinished(spec: CheckSpec) -> None:
    s = spec(COVERED)
    c = measure(define(s), s.bound, time.monotonic() - 1)
    assert not c.finished


def test_violations_carry_no_coverage(spec: CheckSpec) -> None:
    s = spec(COVERED.replace("await done == 1\n", ""))
    result = check_spec(s, Options(engine="explicit"))
    assert result.verdict == Verdict.VIOLATION and result.coverage is None


ROOT = Path(__file__).resolve().parents[2]
CLOSED = sorted((ROOT / "specs").glob("*.pg")) + sorted(
    (ROOT / "benchmarks" / "specs").glob("*_[12].pg")
)


@pytest.mark.parametrize("path", CLOSED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_depth_first_over_orbits_finds_what_breadth_first_finds(path: Path) -> None:
    """Where a spec's states close within its bound, the depth-first search over one
    state per orbit (what a closed check uses) reports the items the breadth-first
    search over every state reports."""
    d = define(load_spec(path))
    deadline = time.monotonic() + 120
    closed = measure(d, d.spec.bound, deadline, full=True, closed=True)
    layered = measure(d, d.spec.bound, deadline, full=True, orbits=False)
    assert closed.finished and layered.finished
    assert set(closed.unreached) == set(layered.unreached)
