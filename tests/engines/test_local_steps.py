"""Local steps: a thread's steps on its own locals, merged into its next step, keep
every verdict, property, shortest length and `complete`, and store fewer states
where they apply. (The engine builds every trace on the reference semantics, one
step of the reference per merged step.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, note, settings

from checker import ir
from checker.load import load_spec
from checker.reduction import local_steps
from checker.result import Verdict
from checker.step import define
from tests.differential.specgen import Generated, cases, load_case
from tests.engines.explicit_runs import explicit, kept

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "specs"
SPECS = sorted((ROOT / "specs").glob("*.pg")) + sorted(BENCH.glob("*_[12].pg"))


def assert_same(spec: ir.Spec, bound: int | None = None) -> None:
    options = {"reduction": False, "symmetry": False}
    plain = explicit(spec, bound, local_steps=False, **options)
    merged = explicit(spec, bound, local_steps=True, **options)
    assert kept(merged) == kept(plain)
    assert merged.stats.states is not None and plain.stats.states is not None
    assert merged.stats.states <= plain.stats.states


def test_a_branch_on_a_local_is_local_and_a_shared_read_is_not() -> None:
    spec = load_spec(BENCH / "refcount_1.pg")
    d = define(spec)
    cpu = next(t for t, th in enumerate(spec.threads) if th.name == "cpu1")
    instrs = spec.threads[cpu].instrs
    branch = next(pc for pc, i in enumerate(instrs) if isinstance(i, ir.BranchInstr))
    local = local_steps(d)
    assert branch in local.counters[cpu]
    assert 0 not in local.counters[cpu]  # t = ref reads the shared counter
    assert local.longest[cpu] == 1


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_merged_local_steps_keep_the_verdict_and_the_length(path: Path) -> None:
    assert_same(load_spec(path))


@pytest.mark.parametrize("bound", [3, 8, 12, 13, 14])
def test_merged_local_steps_keep_bounded_answers(bound: int) -> None:
    # refcount N = 2 violates in 13 steps; below that the answer is bounded
    assert_same(load_spec(BENCH / "refcount_2.pg"), bound)


@settings(max_examples=80, derandomize=True, deadline=None)
@given(case=cases())
def test_merged_local_steps_keep_generated_verdicts(case: Generated) -> None:
    note(str(case))
    assert_same(load_case(case, None))


def test_merged_local_steps_store_fewer_states() -> None:
    spec = load_spec(BENCH / "refcount_fixed_2.pg")
    options = {"reduction": False, "symmetry": False}
    plain = explicit(spec, local_steps=False, **options)
    merged = explicit(spec, local_steps=True, **options)
    assert merged.verdict == Verdict.SAFE and merged.complete
    assert merged.stats.reduction == "local-steps"
    assert merged.stats.states is not None and plain.stats.states is not None
    assert merged.stats.states * 4 < plain.stats.states * 3
