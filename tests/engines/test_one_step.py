"""One step, three ways: the reference semantics, the compiled step function and Z3.

For reachable states s of every shipped spec, of the benchmark specs and of the
language reference's examples, the successors of s must be the same whether they are
computed by evaluating the step definition's terms (`semantics.py`), by the compiled
Python of `packed.py`, or as the solutions of "one step from s" in Z3 (`smt.py`). A
difference names the move, so a divergence points at one statement.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.load import load_spec
from checker.packed import PackedStep
from checker.semantics import GlobalState, Semantics, Successor
from checker.smt import Unrolling, is_sat

ROOT = Path(__file__).resolve().parents[2]
SPECS = (
    sorted((ROOT / "specs").glob("*.pg"))
    + sorted((ROOT / "benchmarks" / "specs").glob("*_[12].pg"))
    + sorted((ROOT / "tests" / "engines").glob("*/specs/*.pg"))
    + sorted((ROOT / "tests" / "engines" / "liveness").glob("eventually_*.pg"))
)
SAMPLES = 12


def reachable(sem: Semantics, limit: int) -> list[GlobalState]:
    """Up to `limit` states in breadth-first order (violating steps end their run)."""
    first = sem.initial()
    order, seen = [first], {first}
    for state in order:
        if len(order) >= limit:
            break
        for succ in sem.successors(state):
            if succ.violation is None and succ.state not in seen:
                seen.add(succ.state)
                order.append(succ.state)
    return order


def samples(sem: Semantics, seed: int) -> Iterator[GlobalState]:
    states = reachable(sem, 400)
    rng = random.Random(seed)
    yield states[0]
    yield from rng.sample(states, min(SAMPLES, len(states)))


def reference_view(succs: list[Successor]) -> list[tuple[int, GlobalState, str | None]]:
    return [(s.move, s.state, s.violation.prop if s.violation else None) for s in succs]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_compiled_step_is_the_reference_step(path: Path) -> None:
    spec = load_spec(path)
    sem = Semantics(spec)
    packed = PackedStep(sem.definition, spec.bound + 1)
    for state in samples(sem, 1):
        succs = sem.successors(state)
        own = [s for s in succs if sem.definition.moves[s.move].violation is not None]
        rest = [s for s in succs if sem.definition.moves[s.move].violation is None]
        out: list[int] = []
        bad: list[int] = []
        packed.expand(packed.pack(sem.slots_of(state)), out, bad)
        assert bad == [s.move for s in own], state
        assert [sem.state_of(packed.unpack(t)) for t in out] == [s.state for s in rest]
        for t, s in zip(out, rest, strict=True):
            never = packed.never(t) >= 0
            assert never == (s.violation is not None and s.violation.prop == "never")


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_z3_step_is_the_reference_step(path: Path) -> None:
    spec = load_spec(path)
    sem = Semantics(spec)
    for state in samples(sem, 2):
        want = sorted(reference_view(sem.successors(state)), key=lambda x: x[0])
        u = Unrolling(sem.definition, spec.bound + 1, initial=sem.slots_of(state))
        u.extend()
        got = []
        while is_sat(u.check(timeout_ms=60_000)):
            states, moves = u.run()
            slots, violation = states[1]
            got.append((moves[0], sem.state_of(slots), violation))
            u.add(u.selectors[0] != moves[0])
        assert sorted(got, key=lambda x: x[0]) == want, state
