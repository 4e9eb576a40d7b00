"""The search in C (`checker/native.py`) against the Python search it stands in for:
the same states in the same order, so the same verdicts, traces, expected traces and
counts, on every shipped spec and on generated ones, for the plain breadth-first
search and for the reduced ones; the same coverage; and the same lassos. The switch
point is moved to the first state here; in use, a search goes over to C only once it
is large."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note, settings

from checker import coverage, ir, liveness, native
from checker.coverage import Coverage, measure
from checker.liveness import find_lasso
from checker.load import load_spec
from checker.result import EngineOutcome, Verdict
from checker.semantics import Semantics
from checker.step import define
from checker.symmetry import symmetric_groups
from tests.differential.specgen import Generated, cases, load_case
from tests.engines.explicit_runs import explicit

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(
    [
        *(ROOT / "specs").glob("*.pg"),
        *(ROOT / "benchmarks" / "specs").glob("*.pg"),
        *(
            p
            for p in (ROOT / "tests" / "engines").glob("*/**/*.pg")
            if "models" not in p.parts
        ),
    ]
)
BENCH = ROOT / "benchmarks" / "specs"
IN_C = ("search", "in C (native.py)")

pytestmark = pytest.mark.skipif(
    native.compiler() is None, reason="no C compiler on PATH"
)


@pytest.fixture(autouse=True)
def at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    monkeypatch.setattr(native, "SWITCH_AT", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("PAGECHECK_NATIVE", raising=False)
    yield


def everything(o: EngineOutcome) -> tuple[object, ...]:
    """All an outcome says but how it was searched."""
    return (
        o.verdict,
        o.complete,
        o.trace,
        o.expected_trace,
        o.stats.states,
        o.stats.transitions,
        o.stats.depth,
    )


def same_in_c(
    spec: ir.Spec,
    bound: int | None = None,
    *,
    symmetry: bool = False,
    reduced: bool = False,
    merged: bool = False,
) -> EngineOutcome:
    """The outcome in C, which must be the Python search's in all but how it was
    searched; by default without reductions, else with those asked for."""
    options = {"reduction": reduced, "symmetry": symmetry, "local_steps": merged}
    in_c = explicit(spec, bound, **options)
    in_python = explicit(spec, bound, native=False, **options)
    assert everything(in_c) == everything(in_python), spec.source.name
    assert in_c.stats.reduction == in_python.stats.reduction
    return in_c


EVERY_REDUCTION = {"symmetry": True, "reduced": True, "merged": True}


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_specs_are_the_same_in_c(path: Path) -> None:
    spec = load_spec(path)
    o = same_in_c(spec)
    if not spec.properties & ir.LIVENESS_PROPERTIES:
        assert IN_C in o.stats.extra


SYMMETRIC = [
    p
    for p in SPECS
    if p.suffix == ".pg"
    and symmetric_groups(load_spec(p))
    and "liveness" not in p.parts
]


@pytest.mark.slow
@pytest.mark.parametrize("path", SYMMETRIC, ids=lambda p: str(p.relative_to(ROOT)))
def test_one_state_per_orbit_is_the_same_in_c(path: Path) -> None:
    """Under symmetry both store each orbit's representative: the threads' blocks
    in ascending order, sorted in C as in Python."""
    o = same_in_c(load_spec(path), symmetry=True)
    assert IN_C in o.stats.extra and o.stats.reduction == "symmetry"


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_reduced_searches_are_the_same_in_c(path: Path) -> None:
    """The partial-order-reduced search and the search by distance over merged
    local steps, one state per orbit where threads are symmetric."""
    spec = load_spec(path)
    o = same_in_c(spec, **EVERY_REDUCTION)
    if not spec.properties & ir.LIVENESS_PROPERTIES:
        assert IN_C in o.stats.extra


def test_a_partial_order_proof_is_the_same_in_c() -> None:
    o = same_in_c(load_spec(BENCH / "pagecache_2.pg"), **EVERY_REDUCTION)
    assert o.verdict == Verdict.SAFE and o.complete
    assert o.stats.reduction == "partial-order" and IN_C in o.stats.extra


def test_merged_symmetric_violation_is_the_same_in_c() -> None:
    o = same_in_c(load_spec(BENCH / "refcount_2.pg"), **EVERY_REDUCTION)
    assert o.trace is not None and o.trace.length == 13
    assert o.stats.reduction == "symmetry,local-steps" and IN_C in o.stats.extra


@pytest.mark.parametrize("bound", [3, 8, 12, 13, 14])
def test_bounded_merged_answers_are_the_same_in_c(bound: int) -> None:
    """Below 13 steps refcount N = 2 is safe up to the bound: states and violations
    beyond it, and a closed search that cannot tell `complete` (searched again
    unmerged), come out as in Python."""
    same_in_c(load_spec(BENCH / "refcount_2.pg"), bound, merged=True)


def same_coverage_in_c(spec: ir.Spec, *, full: bool, closed: bool) -> Coverage:
    """Coverage measured in C, which must be Python's: the same items unreached,
    the same states visited before it stopped."""
    d = define(spec)
    ran: list[bool] = []
    with pytest.MonkeyPatch.context() as patch:
        search_in_c = coverage._search_in_c

        def spy(*arguments: Any) -> Coverage:
            ran.append(True)
            return search_in_c(*arguments)

        patch.setattr(coverage, "_search_in_c", spy)
        in_c = measure(d, spec.bound, time.monotonic() + 120, full=full, closed=closed)
    assert ran, "the coverage search did not go over to C"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAGECHECK_NATIVE", "0")
        in_python = measure(
            d, spec.bound, time.monotonic() + 120, full=full, closed=closed
        )
    assert in_c == in_python, spec.source.name
    return in_c


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_coverage_is_the_same_in_c(path: Path) -> None:
    """Breadth first to the bound and depth first, with and without transitions
    and ops (`full`), one state per orbit where threads are symmetric."""
    spec = load_spec(path)
    for full in (False, True):
        for closed in (False, True):
            same_coverage_in_c(spec, full=full, closed=closed)


def test_vacuous_coverage_is_the_same_in_c() -> None:
    spec = load_spec(ROOT / "tests" / "golden" / "reports" / "trust" / "vacuous.pg")
    found = same_coverage_in_c(spec, full=True, closed=True)
    assert found.vacuous and found.finished


def test_coverage_of_a_symmetric_spec_is_the_same_in_c() -> None:
    for closed in (False, True):
        found = same_coverage_in_c(
            load_spec(BENCH / "refcount_fixed_2.pg"), full=True, closed=closed
        )
        assert not found.vacuous and found.states > 1000


LIVENESS = [p for p in SPECS if load_spec(p).properties & ir.LIVENESS_PROPERTIES]


@pytest.mark.parametrize("path", LIVENESS, ids=lambda p: str(p.relative_to(ROOT)))
def test_lassos_are_the_same_in_c(path: Path) -> None:
    """The graph of fair cycles built in C, its components found by Tarjan's
    algorithm there: the same lasso, `complete` and count of states."""
    spec = load_spec(path)
    sem = Semantics(spec)
    ran: list[bool] = []
    with pytest.MonkeyPatch.context() as patch:
        build = liveness._Graph._explore_in_c

        def spy(graph: Any, bound: int, deadline: float) -> bool:
            ran.append(build(graph, bound, deadline))
            return ran[-1]

        patch.setattr(liveness._Graph, "_explore_in_c", spy)
        in_c = find_lasso(sem, spec.bound, time.monotonic() + 120, "terminates")
    assert ran == [True]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAGECHECK_NATIVE", "0")
        in_python = find_lasso(sem, spec.bound, time.monotonic() + 120, "terminates")
    assert in_c == in_python


def test_there_are_liveness_specs() -> None:
    assert len(LIVENESS) >= 15


def test_there_are_symmetric_specs() -> None:
    assert len(SYMMETRIC) >= 4


def test_symmetric_blocks_past_64_bits_stay_in_python(tmp_path: Path) -> None:
    """Two locals of 32 bits each make a thread's block wider than a C word."""
    body = "  x = 2000000000\n  y = x - 1\n  assert y == 1999999999\n"
    spec = _spec(tmp_path, f"thread a {{\n{body}}}\nthread b {{\n{body}}}\n")
    o = explicit(spec, reduction=False, local_steps=False)
    assert o.verdict == Verdict.SAFE and o.stats.reduction == "symmetry"
    assert dict(o.stats.extra)["native search"] == (
        "not used: a symmetric thread's slots are not one 64-bit block"
    )


@pytest.mark.slow
@settings(max_examples=40, derandomize=True, deadline=None)
@given(case=cases())
def test_generated_specs_are_the_same_in_c(case: Generated) -> None:
    note(str(case))
    spec = load_case(case, None)
    same_in_c(spec)
    same_in_c(spec, **EVERY_REDUCTION)


def test_a_violation_is_the_same_in_c() -> None:
    o = same_in_c(load_spec(BENCH / "refcount_1.pg"))
    assert o.trace is not None and o.trace.length == 11
    assert IN_C in o.stats.extra


def _spec(tmp_path: Path, body: str) -> ir.Spec:
    path = tmp_path / "case.pg"
    path.write_text("use hinting\n" + body)
    return load_spec(path, models_dirs=(ROOT / "models",))


def test_an_integer_past_the_narrow_fields_is_the_same_in_c(tmp_path: Path) -> None:
    """Integers start in 32-bit fields; a value past them makes the search start
    again with wider ones, in C as in Python."""
    spec = _spec(
        tmp_path,
        "var x = 0\nthread cpu {\n  while x < 6000000000 {\n    x = x + 1000000000\n"
        "  }\n  assert x < 6000000000\n}\nbound 20\n",
    )
    o = same_in_c(spec)
    assert o.trace is not None and o.trace.violation.prop == "assertion"


def test_never_and_deadlock_are_found_in_c(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        "var v = 0\nthread a {\n  v = 1\n  await v == 2\n}\n"
        "thread b {\n  v = 3\n}\ncheck deadlock\n",
    )
    o = same_in_c(spec)
    assert o.trace is not None and o.trace.violation.prop == "deadlock"
    never = _spec(
        tmp_path, "var v = 0\nthread a {\n  v = 1\n  v = 2\n}\nnever v == 2\n"
    )
    o = same_in_c(never)
    assert o.trace is not None and o.trace.violation.prop == "never"


def test_the_cache_keeps_the_libraries_used_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(native, "CACHE_KEEP", 1)
    for name in ("refcount_1.pg", "churn_1.pg"):
        same_in_c(load_spec(BENCH / name))
    assert len(list((tmp_path / "pagecheck" / "native").glob("step-*.so"))) == 1


def test_without_a_working_compiler_python_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC", "false")
    spec = load_spec(BENCH / "refcount_1.pg")
    o = explicit(spec, reduction=False, symmetry=False, local_steps=False)
    assert o.trace is not None and o.trace.length == 11
    notes = dict(o.stats.extra)
    assert notes["native search"].startswith("not used: the C compiler failed")


def test_pagecheck_native_0_keeps_the_search_in_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAGECHECK_NATIVE", "0")
    spec = load_spec(BENCH / "refcount_1.pg")
    o = explicit(spec, reduction=False, symmetry=False, local_steps=False)
    assert IN_C not in o.stats.extra and "native search" not in dict(o.stats.extra)
