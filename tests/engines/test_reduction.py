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
from checker.packed import compiled
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


def longest_run(spec: ir.Spec, limit: int = 20_000) -> int | None:
    """The most steps of a run of `spec` none of whose steps is a self-loop, on its
    compiled step function; None when the graph has a longer cycle (so no run bound
    holds) or more than `limit` states."""
    d = define(spec)
    packed = compiled(d, spec.bound + 1)
    memo: dict[int, int] = {}
    on_path: set[int] = set()

    def go(s: int) -> int | None:
        if s in memo:
            return memo[s]
        if s in on_path or len(memo) > limit:
            return None
        on_path.add(s)
        out: list[int] = []
        packed.expand(s, out, [])
        best = 0
        for t in out:
            if t == s:
                continue
            rest = go(t)
            if rest is None:
                return None
            best = max(best, 1 + rest)
        on_path.discard(s)
        memo[s] = best
        return best

    return go(packed.pack(d.initial))


def _checked_run_bound(spec: ir.Spec) -> None:
    bound = run_bound(define(spec))
    if bound is None:
        return
    longest = longest_run(spec)
    if longest is not None:
        assert longest <= bound, spec.source.text


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_run_of_a_shipped_spec_exceeds_its_run_bound(path: Path) -> None:
    _checked_run_bound(load_spec(path))


@settings(max_examples=150, derandomize=True, deadline=None)
@given(case=cases())
def test_no_run_of_a_generated_spec_exceeds_its_run_bound(case: Generated) -> None:
    note(str(case))
    _checked_run_bound(load_case(case, None))


def test_the_run_bound_follows_the_page_through_the_threads(tmp_path: Path) -> None:
    """A page the thread makes stable and writes can be swapped once after each
    access (Sr -> Sp; the access brings it back), never while it is unused and
    empty: two host steps, where counting one after every touching move gives
    four."""
    spec = _spec(
        tmp_path,
        "page a : Uz\nthread cpu {\n  set_stable(a)\n  write(a, 1)\n  r = read(a)\n}\n",
    )
    assert run_bound(define(spec)) == 3 + 2
    assert longest_run(spec) == 3 + 2


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
