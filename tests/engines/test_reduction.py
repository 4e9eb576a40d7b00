"""The partial-order reduction of the explicit engine (`checker/reduction.py`).

With and without it, the explicit engine must give the same verdict, property,
shortest length, `complete` and `expect` outcome, on every shipped spec, on the
benchmark specs and on the differential generator's random specs; the component
analysis is checked on small hand-written specs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, note, settings

from benchmarks.families import spec_text
from checker import ir
from checker.load import load_spec
from checker.reduction import components, run_bound
from checker.result import EngineOutcome, Verdict, expectation_met
from checker.step import define
from tests.differential.specgen import Generated, cases, load_case
from tests.engines.explicit_runs import explicit

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*.pg")) + sorted(
    (ROOT / "benchmarks" / "specs").glob("*.pg")
)


def summary(spec: ir.Spec, o: EngineOutcome) -> tuple[object, ...]:
    return (
        o.verdict,
        o.trace.violation.prop if o.trace else None,
        o.trace.length if o.trace else None,
        o.complete,
        expectation_met(spec, o),
    )


def same_with_and_without(spec: ir.Spec, bound: int | None = None) -> EngineOutcome:
    reduced = explicit(spec, bound, reduction=True)
    full = explicit(spec, bound, reduction=False)
    assert Verdict.UNKNOWN not in (reduced.verdict, full.verdict)
    assert summary(spec, reduced) == summary(spec, full), spec.source.text
    return reduced


def answered_by_reduction(o: EngineOutcome) -> bool:
    return o.stats.reduction == "partial-order"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_specs_same_with_and_without(path: Path) -> None:
    same_with_and_without(load_spec(path))


def test_some_shipped_specs_are_proved_by_the_reduction() -> None:
    proved = [
        p.name
        for p in SPECS
        if answered_by_reduction(explicit(load_spec(p), reduction=True))
    ]
    assert len(proved) >= 5, proved


@settings(max_examples=120, derandomize=True, deadline=None)
@given(case=cases())
def test_generated_specs_same_with_and_without(case: Generated) -> None:
    """The generator's own bounds (1-9) and a bound of 60, which lets the reduction
    answer where the threads have no loops."""
    note(str(case))
    spec = load_case(case, None)
    same_with_and_without(spec)
    same_with_and_without(spec, 60)


def _spec(tmp_path: Path, body: str) -> ir.Spec:
    path = tmp_path / "case.pg"
    path.write_text("use hinting\n" + body)
    return load_spec(path, models_dirs=(ROOT / "models",))


TWO_CPUS = """
page a : Uz
page b : Uz
{shared}
thread cpu1 {{
  set_stable(a)
  write(a, 1)
  {cpu1}
}}
thread cpu2 {{
  set_stable(b)
  write(b, 2)
  {cpu2}
}}
{never}
"""


def _components(tmp_path: Path, **parts: str) -> list[tuple[tuple[str, int], ...]]:
    fill = {"shared": "", "cpu1": "", "cpu2": "", "never": ""} | parts
    spec = _spec(tmp_path, TWO_CPUS.format(**fill))
    return [c.actors for c in components(define(spec))]


def test_two_independent_cpus_are_two_components(tmp_path: Path) -> None:
    assert _components(tmp_path) == [
        (("thread", 0), ("page", 0)),
        (("thread", 1), ("page", 1)),
    ]


def test_a_shared_var_joins_them(tmp_path: Path) -> None:
    joined = _components(tmp_path, shared="var v = 0", cpu1="v = 1", cpu2="r = v")
    assert joined == [(("thread", 0), ("thread", 1), ("page", 0), ("page", 1))]


def test_a_shared_page_joins_them(tmp_path: Path) -> None:
    assert len(_components(tmp_path, cpu2="r = read(a)")) == 1


def test_a_never_makes_the_writers_of_its_slots_visible(tmp_path: Path) -> None:
    fill = {"shared": "var v = 0", "cpu1": "v = 1", "cpu2": "", "never": "never v > 1"}
    spec = _spec(tmp_path, TWO_CPUS.format(**fill))
    visible = {c.actors: c.visible for c in components(define(spec))}
    assert visible == {
        (("thread", 0), ("page", 0)): True,
        (("thread", 1), ("page", 1)): False,
    }


def test_run_bound_covers_the_threads_and_the_host(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "page a : Sr = 1\nthread cpu { r = read(a) }\n")
    # one step of the thread; the host may swap the page before and after it
    assert run_bound(define(spec)) == 3
    looping = _spec(
        tmp_path, "page a : Sr = 1\nthread cpu { while true { r = read(a) } }\n"
    )
    assert run_bound(define(looping)) is None


def _family(tmp_path: Path, family: str, n: int) -> ir.Spec:
    path = tmp_path / f"{family}_{n}.pg"
    path.write_text(spec_text(family, n, use=f'"{ROOT / "models" / "hinting.pg"}"'))
    return load_spec(path)


def test_the_reduction_explores_fewer_states_on_churn(tmp_path: Path) -> None:
    spec = _family(tmp_path, "churn", 3)
    reduced = explicit(spec, reduction=True)
    full = explicit(spec, reduction=False)
    assert reduced.verdict == full.verdict == Verdict.SAFE
    assert reduced.complete and full.complete
    assert answered_by_reduction(reduced)
    assert reduced.stats.states is not None and full.stats.states is not None
    assert reduced.stats.states * 10 < full.stats.states


def test_a_violation_is_reported_by_the_full_search(tmp_path: Path) -> None:
    spec = _family(tmp_path, "refcount", 1)
    o = same_with_and_without(spec)
    assert o.trace is not None and o.trace.length == 11
    assert not answered_by_reduction(o)
