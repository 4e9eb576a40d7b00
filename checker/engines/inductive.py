"""The inductive engine: proofs of safety for runs of any length with Z3's Spacer.

The spec's moves, posed as constrained Horn clauses (`smt.Horn`), go to Spacer in two
configurations at once, each in its own Z3 context on its own thread (Z3 releases the
interpreter lock while it works); the first answer wins and the other is interrupted.
A proof comes with an inductive invariant, which a plain solver checks (initiation,
consecution, safety) before the verdict is `safe, complete`; an invariant that fails
the check is refused and the verdict is `unknown`. Spacer's counterexamples are not
shortest, so when it finds a violation the explicit engine, the reference, searches
for the shortest one in the reference's tie order within the bound.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from .. import ir
from ..errors import InternalError
from ..progress import Progress, ProgressInfo
from ..result import EngineOutcome, Stats, Verdict
from ..smt import SPACER_CONFIGS, Horn
from ..step import define
from .explicit import check_explicit


@dataclass(frozen=True, slots=True)
class _Answer:
    config: str
    verdict: str
    invariant: Any
    stats: dict[str, int]


def check_inductive(
    spec: ir.Spec,
    bound: int,
    *,
    deadline: float,
    want: str | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    memory_mb: int | None = None,
    configs: tuple[str, ...] = tuple(SPACER_CONFIGS),
) -> EngineOutcome:
    definition = define(spec)
    answer = _race(definition, configs, deadline, seed)
    if answer is None:
        return EngineOutcome(Verdict.UNKNOWN, False, reason="time limit reached")
    stats = _stats(answer)
    if progress is not None:
        progress(
            ProgressInfo(
                "induction",
                answer.stats.get("max_depth", 0),
                bound,
                lemmas=answer.stats.get("num_lemmas"),
            )
        )
    if answer.verdict == "unknown":
        return EngineOutcome(
            Verdict.UNKNOWN, False, reason=f"Spacer: {answer.invariant}", stats=stats
        )
    if answer.verdict == "violation":
        return _shortest(spec, bound, deadline, want, seed, memory_mb)
    horn = Horn(definition)
    invariant = answer.invariant.translate(horn.ctx)
    remaining_ms = int((deadline - time.monotonic()) * 1000)
    refused = horn.refuted(invariant, remaining_ms)
    if refused is not None:
        return EngineOutcome(
            Verdict.UNKNOWN,
            False,
            reason=f"Spacer's invariant was refused: {refused}",
            stats=stats,
        )
    return EngineOutcome(
        Verdict.SAFE,
        True,
        stats=stats,
        certificate=horn.certificate(invariant, spec.source.name),
    )


def _race(
    definition: Any, configs: tuple[str, ...], deadline: float, seed: int
) -> _Answer | None:
    """The first conclusive answer of Spacer in `configs` (each on a thread), else the
    last inconclusive one; None when the deadline passed first."""
    horns = [Horn(definition) for _ in configs]
    answers: list[_Answer] = []
    done = threading.Condition()

    def solve(horn: Horn, config: str) -> None:
        remaining = deadline - time.monotonic()
        verdict, invariant, stats = horn.solve(config, seed, int(remaining * 1000))
        with done:
            answers.append(_Answer(config, verdict, invariant, stats))
            done.notify()

    threads = [
        threading.Thread(target=solve, args=(h, c), daemon=True)
        for h, c in zip(horns, configs, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        with done:
            while not any(a.verdict != "unknown" for a in answers) and len(
                answers
            ) < len(threads):
                if not done.wait(timeout=max(0.0, deadline - time.monotonic())):
                    break
    finally:
        for horn in horns:
            horn.stop()
        for thread in threads:
            thread.join()
    conclusive = [a for a in answers if a.verdict != "unknown"]
    if conclusive:
        return conclusive[0]
    if time.monotonic() >= deadline:
        return None
    return answers[-1] if answers else None


def _shortest(
    spec: ir.Spec,
    bound: int,
    deadline: float,
    want: str | None,
    seed: int,
    memory_mb: int | None,
) -> EngineOutcome:
    """The reference's report of a spec Spacer found violable: the shortest
    violation within the bound (or the bounded verdict when every one lies beyond)."""
    outcome = check_explicit(
        spec, bound, deadline=deadline, want=want, seed=seed, memory_mb=memory_mb
    )
    if outcome.verdict == Verdict.SAFE and outcome.complete:
        raise InternalError(
            "Spacer found a violation the explicit engine proves unreachable"
        )
    return outcome


def _stats(answer: _Answer) -> Stats:
    return Stats(
        depth=answer.stats.get("max_depth", 0),
        solver_calls=answer.stats.get("num_queries", 0),
        extra=(
            ("prover", answer.config),
            ("lemmas", str(answer.stats.get("num_lemmas", 0))),
        ),
    )
