"""The Z3 engine against the explicit engine on random small models and specs.

Both must agree on the verdict, the violated property, the shortest length and
`complete`, and on whether an expected property is reachable; every Z3 trace is
replayed by the engine itself (a mismatch raises InternalError and fails the test),
and every explicit trace is replayed here too.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import ir
from checker.api import Options, check_spec
from checker.errors import SourceError
from checker.load import load_spec
from checker.result import Verdict
from checker.semantics import Semantics
from checker.trace import StepClaim, replay

from .specgen import generate


def _load(tmp: Path, seed: int, expect: str | None) -> ir.Spec | None:
    g = generate(random.Random(seed))
    (tmp / "models").mkdir(exist_ok=True)
    (tmp / "specs").mkdir(exist_ok=True)
    (tmp / "models" / "gen.pg").write_text(g.model)
    text = g.spec + (f"expect violation {expect}\n" if expect else "")
    (tmp / "specs" / "s.pg").write_text(text)
    try:
        return load_spec(tmp / "specs" / "s.pg")
    except SourceError:
        return None  # the generator may write a spec that reads a never-assigned local


def _summary(result):  # type: ignore[no-untyped-def]
    return (
        result.verdict,
        result.prop,
        result.trace.length if result.trace else None,
        result.complete,
        result.expectation_met,
    )


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(min_value=0, max_value=2**31),
    expect=st.sampled_from([None, *ir.PROPERTIES]),
)
def test_engines_agree(tmp_path: Path, seed: int, expect: str | None) -> None:
    spec = _load(tmp_path, seed, expect)
    if spec is None:
        return
    explicit = check_spec(spec, Options(engine="explicit", timeout=20))
    symbolic = check_spec(spec, Options(engine="z3", timeout=30))
    if Verdict.UNKNOWN in (explicit.verdict, symbolic.verdict):
        return  # a time limit says nothing about agreement
    assert _summary(explicit) == _summary(symbolic), (
        spec.source.text,
        spec.model.source.text,
    )
    if explicit.trace is not None:
        sem = Semantics(spec)
        claims = [
            StepClaim(s.actor, s.state, s.violation.prop if s.violation else None)
            for s in explicit.trace.steps
        ]
        replay(
            sem,
            explicit.trace.initial,
            claims,
            explicit.trace.violation.prop,
            "explicit",
        )


@pytest.mark.parametrize("seed", range(5))
def test_generator_writes_checkable_specs(tmp_path: Path, seed: int) -> None:
    """Most generated specs must get through the checker, or the test above tests little."""
    ok = sum(
        _load(tmp_path / str(s), s, None) is not None
        for s in range(seed * 20, seed * 20 + 20)
        if (tmp_path / str(s)).mkdir() is None
    )
    assert ok >= 12
