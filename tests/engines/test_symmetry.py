"""Symmetry: threads that run one program are interchangeable in the explicit search.

The reduced search must give the same verdict, property, shortest length and
`complete` as the search over every state, print its trace in the spec's own names,
and store fewer states where threads are symmetric.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from checker.engines.explicit import check_explicit
from checker.load import load_spec
from checker.packed import PackedStep
from checker.semantics import Semantics
from checker.step import define
from checker.symmetry import canonicalizer, symmetric_groups
from checker.trace import StepClaim, replay

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "specs"

TWO_READERS = """\
use "MODELS/hinting.pg"

page p0 : Sr = 7
var n = 0

thread owner {
  set_unused(p0)
}

thread r1 {
  x = read(p0)
  n = n + 1
  assert x == 7
}

thread r2 {
  x = read(p0)
  n = n + 1
  assert x == 7
}

thread other {
  y = read(p0)
}
"""


@pytest.fixture
def readers(tmp_path: Path) -> Path:
    path = tmp_path / "readers.pg"
    path.write_text(TWO_READERS.replace("MODELS", str(ROOT / "models")))
    return path


def test_threads_with_one_program_form_a_group(readers: Path) -> None:
    spec = load_spec(readers)
    assert symmetric_groups(spec) == ((1, 2),)
    assert symmetric_groups(load_spec(BENCH / "refcount_3.pg")) == ((1, 2, 3),)
    assert symmetric_groups(load_spec(BENCH / "churn_3.pg")) == ()


def test_the_representative_is_the_same_for_a_swap(readers: Path) -> None:
    spec = load_spec(readers)
    packed = PackedStep(define(spec), spec.bound + 1)
    canon = canonicalizer(packed)
    assert canon is not None
    layout = packed.definition.layout
    slots = list(packed.definition.initial)
    slots[layout.threads[1].pc] = 1
    swapped = list(packed.definition.initial)
    swapped[layout.threads[2].pc] = 1
    a, b = packed.pack(slots), packed.pack(swapped)
    assert a != b
    assert canon(a) == canon(b)
    assert canon(canon(a)) == canon(a)


def summary(path: Path, symmetry: bool) -> tuple[object, ...]:
    spec = load_spec(path)
    outcome = check_explicit(
        spec,
        spec.bound,
        deadline=time.monotonic() + 120,
        reduction=False,
        symmetry=symmetry,
    )
    trace = outcome.trace
    return (
        outcome.verdict,
        trace.violation.prop if trace else None,
        trace.length if trace else None,
        outcome.complete,
        outcome.stats.states,
    )


SPECS = sorted((ROOT / "specs").glob("*.pg")) + sorted(BENCH.glob("refcount*_[123].pg"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_symmetry_keeps_the_verdict_and_the_length(path: Path) -> None:
    full = summary(path, symmetry=False)
    reduced = summary(path, symmetry=True)
    assert reduced[:4] == full[:4]
    assert reduced[4] <= full[4]  # type: ignore[operator]


def test_symmetry_stores_fewer_states() -> None:
    full = summary(BENCH / "refcount_fixed_3.pg", symmetry=False)
    reduced = summary(BENCH / "refcount_fixed_3.pg", symmetry=True)
    assert reduced[4] * 4 < full[4]  # type: ignore[operator]


def test_a_symmetric_trace_is_a_run_of_the_spec(readers: Path) -> None:
    """Rebuilt from orbit representatives, the trace is still a run of the reference
    semantics from the spec's own initial state, move by move."""
    spec = load_spec(readers)
    outcome = check_explicit(spec, spec.bound, deadline=time.monotonic() + 60)
    trace = outcome.trace
    assert trace is not None and trace.violation.prop == "silent-loss"
    claims = [
        StepClaim(s.move, s.state, s.violation.prop if s.violation else None)
        for s in trace.steps
    ]
    again = replay(Semantics(spec), trace.initial, claims, "silent-loss", "readers")
    assert again.steps == trace.steps
