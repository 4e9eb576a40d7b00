"""The inductive engine: proofs checked before they are trusted, exact counterexamples,
and certificates that name the spec's state."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import z3

from checker import smt
from checker.engines import inductive
from checker.engines.explicit import check_explicit
from checker.engines.inductive import K_INDUCTION, MAX_K, _Trail, check_inductive
from checker.load import load_spec
from checker.progress import ProgressInfo
from checker.result import Verdict
from checker.step import define

SPECS = Path(__file__).resolve().parents[2] / "specs"
SPACER = tuple(smt.SPACER_CONFIGS)


def _deadline() -> float:
    return time.monotonic() + 120


def test_a_safe_spec_is_proved_with_a_checked_certificate() -> None:
    spec = load_spec(SPECS / "race_fixed.pg")
    outcome = check_inductive(spec, spec.bound, deadline=_deadline())
    assert (outcome.verdict, outcome.complete) == (Verdict.SAFE, True)
    certificate = outcome.certificate
    assert certificate is not None
    assert "(declare-const cpu0.pc Int)" in certificate
    assert "(define-fun invariant () Bool" in certificate
    assert ";   0 = line 17: write(p0, 6)" in certificate
    # the certificate is SMT-LIB that Z3 reads back, and it holds initially
    horn = smt.Horn(define(spec))
    parsed = z3.parse_smt2_string(certificate + "(assert invariant)", ctx=horn.ctx)
    solver = z3.Solver(ctx=horn.ctx)
    solver.add(*parsed, horn.init)
    assert solver.check() == z3.sat


def test_invariants_are_checked_and_corrupted_ones_refused() -> None:
    horn = smt.Horn(define(load_spec(SPECS / "race_fixed.pg")))
    verdict, invariant, _ = horn.solve("spacer", 0, 60_000)
    assert verdict == "safe"
    assert horn.refuted(invariant, 60_000) is None
    pc = horn.state[[s.name for s in horn.definition.layout.slots].index("cpu0.pc")]
    too_strong = z3.And(invariant, pc > 0)
    assert horn.refuted(too_strong, 60_000) == "initiation fails"
    assert horn.refuted(z3.BoolVal(True, horn.ctx), 60_000) == "safety fails"
    only_start = z3.And(
        [x == v for x, v in zip(horn.state, _initial(horn), strict=True)]
    )
    assert horn.refuted(only_start, 60_000) == "consecution fails"


def _initial(horn: smt.Horn) -> list[Any]:
    return horn.encoding.values(horn.definition.initial)


def test_the_engine_refuses_a_corrupted_invariant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solve = smt.Horn.solve

    def corrupted(self: smt.Horn, *args: Any) -> tuple[str, Any, dict[str, int]]:
        verdict, _, stats = solve(self, *args)
        return verdict, z3.BoolVal(True, self.ctx), stats

    monkeypatch.setattr(smt.Horn, "solve", corrupted)
    spec = load_spec(SPECS / "race_fixed.pg")
    outcome = check_inductive(spec, spec.bound, deadline=_deadline(), configs=SPACER)
    assert outcome.verdict == Verdict.UNKNOWN
    assert outcome.reason == "Spacer's invariant was refused: safety fails"


def test_a_k_induction_proof_is_checked_before_it_is_trusted() -> None:
    spec = load_spec(SPECS / "race_fixed.pg")
    verdict, k = smt.Horn(define(spec)).k_induction(MAX_K, 60_000)
    assert verdict == "safe" and 1 < k <= MAX_K
    horn = smt.Horn(define(spec))
    assert horn.k_refuted(k, 60_000) is None
    assert horn.k_refuted(k - 1, 60_000) == "step case fails"
    assert smt.Horn(define(spec)).k_induction(k - 1, 60_000) == ("unknown", k - 1)
    outcome = check_inductive(
        spec, spec.bound, deadline=_deadline(), configs=(K_INDUCTION,)
    )
    assert (outcome.verdict, outcome.complete) == (Verdict.SAFE, True)
    assert dict(outcome.stats.extra) == {"prover": K_INDUCTION, "k": str(k)}
    certificate = outcome.certificate
    assert certificate is not None
    assert certificate.startswith(f"; a {k}-inductive invariant of ")
    assert z3.parse_smt2_string(certificate + "(assert invariant)")


def test_the_engine_refuses_a_wrong_k(monkeypatch: pytest.MonkeyPatch) -> None:
    """A k-induction proof that claims a k too small for the step case."""
    k_induction = smt.Horn.k_induction

    def too_small(self: smt.Horn, *args: Any) -> tuple[str, int]:
        verdict, k = k_induction(self, *args)
        return verdict, k - 1

    monkeypatch.setattr(smt.Horn, "k_induction", too_small)
    spec = load_spec(SPECS / "race_fixed.pg")
    outcome = check_inductive(
        spec, spec.bound, deadline=_deadline(), configs=(K_INDUCTION,)
    )
    assert outcome.verdict == Verdict.UNKNOWN
    assert outcome.reason == "the k-induction proof was refused: step case fails"


def test_k_induction_finds_a_reachable_violation_in_its_base_case() -> None:
    """race.pg's shortest violation takes 2 steps: the state after 1 allows it."""
    horn = smt.Horn(define(load_spec(SPECS / "race.pg")))
    assert horn.k_induction(MAX_K, 60_000) == ("violation", 1)


def test_violations_are_the_reference_shortest() -> None:
    spec = load_spec(SPECS / "race.pg")
    outcome = check_inductive(spec, spec.bound, deadline=_deadline())
    reference = check_explicit(spec, spec.bound, deadline=_deadline())
    assert outcome.verdict == Verdict.VIOLATION
    assert outcome.trace == reference.trace


def test_a_violation_beyond_the_bound_reads_as_the_reference_says() -> None:
    spec = load_spec(SPECS / "race.pg")
    outcome = check_inductive(spec, 1, deadline=_deadline())
    reference = check_explicit(spec, 1, deadline=_deadline())
    assert (outcome.verdict, outcome.complete) == (Verdict.SAFE, False)
    assert (reference.verdict, reference.complete) == (Verdict.SAFE, False)


COUNTER = """use hinting
page p0 : Sr
var x = 0
thread cpu0 {
  while true {
    x = x + 1
  }
}
never x < 0
bound 3
"""


def test_integers_do_not_wrap(tmp_path: Path) -> None:
    """A counter that grows for ever stays non-negative: the proof is over unbounded
    integers, where bit-vectors sized for the bound would wrap it around."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "hinting.pg").write_text(
        (SPECS.parent / "models" / "hinting.pg").read_text()
    )
    path = tmp_path / "counter.pg"
    path.write_text(COUNTER)
    spec = load_spec(path)
    outcome = check_inductive(spec, spec.bound, deadline=_deadline())
    assert (outcome.verdict, outcome.complete) == (Verdict.SAFE, True)


@pytest.mark.slow
def test_progress_is_reported_while_spacer_works() -> None:
    """Spacer does not prove this spec within 30 s: frames and lemmas come while it
    works, and the time limit says how far it got."""
    spec = load_spec(SPECS / "cmma_migration_start.pg")
    reports: list[ProgressInfo] = []
    outcome = check_inductive(
        spec,
        spec.bound,
        deadline=time.monotonic() + 8,
        progress=reports.append,
        configs=SPACER,
    )
    assert outcome.verdict == Verdict.UNKNOWN
    assert reports, "no progress while Spacer worked"
    last = reports[-1]
    assert (last.engine, last.bound) == ("induction", spec.bound)
    assert last.lemmas is not None and last.lemmas > 0
    assert outcome.reason == (
        f"time limit reached (frame {last.depth}, {last.lemmas} lemmas)"
    )
    assert outcome.stats.depth == last.depth


def test_the_trail_reads_frames_and_distinct_lemmas(tmp_path: Path) -> None:
    trail = _Trail(tmp_path / "trace")
    with open(trail.path, "w", encoding="utf-8") as spacer:
        spacer.write(
            "** expand-pob: query!0 level: 0 depth: 0 exprID: 1 pobID: none\ntrue\n\n"
            "** add-lemma: 0 exprID: 2 pobID: 1\nquery!0\nfalse\n\n"
            "* LEVEL 1\n\n"
            "** add-lemma: 0 exprID: 7 pobID: 3\ninv\n(and (> inv_0_n 2)\n"
            "     (< inv_1_n 4))\n\n"
            "* LEVEL 2\n\n"
            "** add-lemma: 1 exprID: 7 pobID: 3\ninv\n(and (> inv_0_n 2)\n"
            "     (< inv_1_n 4))\n\n"
        )
    trail.close()
    assert trail.frame == 2
    assert trail.lemmas == {
        "query!0\nfalse",
        "inv\n(and (> inv_0_n 2)\n     (< inv_1_n 4))",
    }


def test_spacer_starts_when_k_induction_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inductive, "K_INDUCTION_S", 0.0)
    spec = load_spec(SPECS / "race_fixed.pg")
    outcome = check_inductive(spec, spec.bound, deadline=_deadline())
    assert (outcome.verdict, outcome.complete) == (Verdict.SAFE, True)
    assert dict(outcome.stats.extra)["prover"] in SPACER


def test_spacer_never_starts_after_a_k_induction_proof(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    solve = smt.Horn.solve

    def recorded(self: smt.Horn, config: str, *args: Any) -> tuple[str, Any, Any]:
        started.append(config)
        return solve(self, config, *args)

    monkeypatch.setattr(smt.Horn, "solve", recorded)
    spec = load_spec(SPECS / "race_fixed.pg")
    outcome = check_inductive(spec, spec.bound, deadline=_deadline())
    assert dict(outcome.stats.extra)["prover"] == K_INDUCTION
    assert started == []
