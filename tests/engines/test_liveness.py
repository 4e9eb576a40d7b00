"""Dead locals: resetting locals that no future step reads keeps every verdict,
property, shortest length and `complete`, and stores fewer states."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, note, settings

from checker import ir
from checker.liveness import live_locals
from checker.load import load_spec
from checker.step import define
from tests.differential.specgen import Generated, cases, load_case
from tests.engines.explicit_runs import explicit, kept

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "specs"
SPECS = sorted((ROOT / "specs").glob("*.pg")) + sorted(BENCH.glob("*_[12].pg"))


def summary(spec: ir.Spec, dead_locals: bool) -> tuple[object, ...]:
    outcome = explicit(
        spec,
        reduction=False,
        symmetry=False,
        dead_locals=dead_locals,
        local_steps=False,
    )
    return (*kept(outcome), outcome.stats.states)


def assert_same(spec: ir.Spec) -> None:
    forgetting, keeping = summary(spec, True), summary(spec, False)
    assert forgetting[:5] == keeping[:5]
    assert forgetting[5] <= keeping[5]  # type: ignore[operator]


def test_a_local_is_live_until_its_last_read() -> None:
    spec = load_spec(BENCH / "refcount_fixed_1.pg")
    d = define(spec)
    cpu = next(t for t, th in enumerate(spec.threads) if th.name == "cpu1")
    t_slot = d.layout.threads[cpu].locals[0]
    live = live_locals(d)[cpu]
    instrs = spec.threads[cpu].instrs
    branch = next(pc for pc, i in enumerate(instrs) if isinstance(i, ir.BranchInstr))
    # the atomic put at pc 0 writes t before it reads it; `if t == 1` reads it; after
    # that it is dead
    assert t_slot not in live[0]
    assert t_slot in live[branch]
    assert all(t_slot not in pcs for pcs in live[branch + 1 :])


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_dead_locals_keep_the_verdict_and_the_length(path: Path) -> None:
    assert_same(load_spec(path))


@settings(max_examples=80, derandomize=True, deadline=None)
@given(case=cases())
def test_dead_locals_keep_generated_verdicts(case: Generated) -> None:
    note(str(case))
    assert_same(load_case(case, None))


def test_dead_locals_store_fewer_states() -> None:
    spec = load_spec(BENCH / "refcount_fixed_2.pg")
    merged, kept = summary(spec, True)[5], summary(spec, False)[5]
    assert merged * 3 < kept * 2  # type: ignore[operator]
