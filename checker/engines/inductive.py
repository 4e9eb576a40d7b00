"""The inductive engine: proofs of safety for runs of any length with Z3's Spacer.

First k-induction tries the spec alone for up to `K_INDUCTION_S` seconds; then the
spec's moves, posed as constrained Horn clauses (`smt.Horn`), go to Spacer in two
configurations at once, each in its own Z3 context on its own thread (Z3 releases the
interpreter lock while it works); the first answer wins and the other is interrupted.
A proof comes with an inductive invariant, which a plain solver checks (initiation,
consecution, safety) before the verdict is `safe, complete` (for k-induction: the
base case and the step case for its k); a proof that fails the check is refused and
the verdict is `unknown`. Counterexamples found this way are not necessarily
shortest, so when a prover finds a violation the explicit engine, the reference,
searches for the shortest one in the reference's tie order within the bound.

Progress: each configuration writes Spacer's trace of progress events
(`spacer.trace_file`) into a pipe that a thread of this engine reads, keeping the
frame Spacer works on and the lemmas it has learnt; the checking thread reports the
configuration that got furthest every `PROGRESS_S` seconds, and a time limit says how
far it got. (Spacer's statistics are read only when it stops: Z3 objects may not be
read on one thread while another works on them.)
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import ir
from ..errors import InternalError
from ..progress import Progress, ProgressInfo
from ..result import EngineOutcome, Stats, Verdict
from ..smt import SPACER_CONFIGS, Horn
from ..step import define
from .explicit import check_explicit

#: Seconds between progress reports while Spacer works.
PROGRESS_S = 0.5

#: The prover before Spacer's configurations: k-induction with simple-path
#: constraints, k up to `MAX_K`, for at most `K_INDUCTION_S` seconds. Alone on a quiet
#: machine it proved 16 of the 27 safe specs of specs/ in 0.1-1.2 s, 14 of them
#: 1.3-3.9 times sooner than Spacer, and gave up on the others within 1.2 s; racing
#: beside Spacer on 2 cores it slowed both (docs/benchmarks.md, "k-induction").
K_INDUCTION = "k-induction"
MAX_K = 10
K_INDUCTION_S = 2.0


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
    configs: tuple[str, ...] = (*SPACER_CONFIGS, K_INDUCTION),
) -> EngineOutcome:
    definition = define(spec)
    reached = _Reached(bound, progress)
    answer = _race(definition, configs, deadline, seed, reached)
    if answer is None:
        frame, lemmas = reached.furthest
        return EngineOutcome(
            Verdict.UNKNOWN,
            False,
            reason=f"time limit reached (frame {frame}, {lemmas} lemmas)",
            stats=Stats(depth=frame, extra=(("lemmas", str(lemmas)),)),
        )
    stats = _stats(answer)
    spacer = answer.config != K_INDUCTION
    if spacer:
        reached.report(answer.stats.get("max_depth", 0), answer.stats.get("num_lemmas"))
    if answer.verdict == "unknown":
        why = f"Spacer: {answer.invariant}" if spacer else str(answer.invariant)
        return EngineOutcome(Verdict.UNKNOWN, False, reason=why, stats=stats)
    if answer.verdict == "violation":
        return _shortest(spec, bound, deadline, want, seed, memory_mb)
    horn = Horn(definition)
    remaining_ms = int((deadline - time.monotonic()) * 1000)
    if not spacer:
        k = answer.stats["k"]
        refused = horn.k_refuted(k, remaining_ms)
        whose = "the k-induction proof"
        certificate = horn.k_certificate(k, spec.source.name)
    else:
        invariant = answer.invariant.translate(horn.ctx)
        refused = horn.refuted(invariant, remaining_ms)
        whose = "Spacer's invariant"
        certificate = horn.certificate(invariant, spec.source.name)
    if refused is not None:
        return EngineOutcome(
            Verdict.UNKNOWN,
            False,
            reason=f"{whose} was refused: {refused}",
            stats=stats,
        )
    return EngineOutcome(Verdict.SAFE, True, stats=stats, certificate=certificate)


class _Reached:
    """How far Spacer got: what the trails read, reported on the checking thread."""

    def __init__(self, bound: int, progress: Progress | None) -> None:
        self.bound = bound
        self.progress = progress
        self.trails: list[_Trail] = []
        self.furthest = (0, 0)
        self.reported = False

    def poll(self, started: bool) -> None:
        """Report the configuration that got furthest, when it got further, and
        that Spacer has `started` (its trace comes in blocks of a few kilobytes)."""
        furthest = max(((t.frame, len(t.lemmas)) for t in self.trails), default=(0, 0))
        if furthest > self.furthest or (started and not self.reported):
            self.report(*furthest)

    def report(self, frame: int, lemmas: int | None) -> None:
        self.reported = True
        self.furthest = (frame, lemmas or 0)
        if self.progress is not None:
            self.progress(ProgressInfo("induction", frame, self.bound, lemmas=lemmas))


class _Trail:
    """One configuration's trace of progress events, read from a pipe as Spacer
    writes it: the frame it works on (`* LEVEL n`) and the distinct lemmas it has
    learnt (`** add-lemma: ...`, then the predicate and the lemma, then a blank line;
    a lemma pushed to a later frame is added again)."""

    END = b"\0"

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.fd = os.open(path, os.O_RDWR)  # a writer too: no end of file before END
        self.frame = 0
        self.lemmas: set[str] = set()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        rest = b""
        lemma: list[str] | None = None
        while True:
            chunk = os.read(self.fd, 1 << 16)
            ended = self.END in chunk
            lines = (rest + chunk.split(self.END)[0]).split(b"\n")
            rest = lines.pop()
            for raw in lines:
                line = raw.decode(errors="replace")
                if lemma is not None:
                    if line:
                        lemma.append(line)
                        continue
                    self.lemmas.add("\n".join(lemma))
                    lemma = None
                elif line.startswith("* LEVEL "):
                    self.frame = int(line.removeprefix("* LEVEL "))
                elif line.startswith("** add-lemma"):
                    lemma = []
            if ended:
                return

    def close(self) -> None:
        os.write(self.fd, self.END)
        self.thread.join()
        os.close(self.fd)


def _race(
    definition: Any,
    configs: tuple[str, ...],
    deadline: float,
    seed: int,
    reached: _Reached,
) -> _Answer | None:
    """The first conclusive answer of the provers in `configs` (each on a thread:
    k-induction first, alone, then Spacer's configurations together), else the last
    inconclusive one; None when the deadline passed first."""
    horns = [Horn(definition) for _ in configs]
    answers: list[_Answer] = []
    done = threading.Condition()
    folder = tempfile.TemporaryDirectory(prefix="pagecheck-spacer-")
    trails = {c: _Trail(Path(folder.name) / c) for c in configs if c != K_INDUCTION}
    reached.trails = list(trails.values())

    spacer_may_start = threading.Event()
    stopped = threading.Event()
    if K_INDUCTION not in configs:
        spacer_may_start.set()

    def solve(horn: Horn, config: str) -> None:
        if config == K_INDUCTION:
            answer = _k_induction(horn, min(deadline, time.monotonic() + K_INDUCTION_S))
            if answer.verdict != "unknown":
                stopped.set()
            spacer_may_start.set()
        else:
            spacer_may_start.wait()
            if stopped.is_set():
                return
            trace = str(trails[config].path)
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            answer = _Answer(config, *horn.solve(config, seed, remaining_ms, trace))
        with done:
            answers.append(answer)
            done.notify()

    threads = [
        threading.Thread(target=solve, args=job, daemon=True)
        for job in zip(horns, configs, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        with done:
            while not any(a.verdict != "unknown" for a in answers) and len(
                answers
            ) < len(threads):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                done.wait(timeout=min(PROGRESS_S, remaining))
                reached.poll(spacer_may_start.is_set() and bool(reached.trails))
    finally:
        stopped.set()
        spacer_may_start.set()
        with done:
            settled = list(answers)
        answered = {a.config for a in settled}
        for config, horn, thread in zip(configs, horns, threads, strict=True):
            # an answer's context stays usable (an interrupt is not undone); a
            # prover that has not answered is stopped, again should it start now
            while config not in answered and thread.is_alive():
                horn.stop()
                thread.join(timeout=PROGRESS_S)
            thread.join()
        for trail in reached.trails:
            trail.close()
        folder.cleanup()
    conclusive = [a for a in settled if a.verdict != "unknown"]
    if conclusive:
        return conclusive[0]
    if time.monotonic() >= deadline:
        return None
    return settled[-1] if settled else None


def _k_induction(horn: Horn, until: float) -> _Answer:
    verdict, k = horn.k_induction(MAX_K, int((until - time.monotonic()) * 1000))
    stopped = time.monotonic() >= until
    why = f"stopped at k = {k}" if stopped else f"no k up to {MAX_K} proves it"
    return _Answer(K_INDUCTION, verdict, f"k-induction: {why}", {"k": k})


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
    if answer.config == K_INDUCTION:
        k = answer.stats["k"]
        return Stats(depth=k, extra=(("prover", K_INDUCTION), ("k", str(k))))
    return Stats(
        depth=answer.stats.get("max_depth", 0),
        solver_calls=answer.stats.get("num_queries", 0),
        extra=(
            ("prover", answer.config),
            ("lemmas", str(answer.stats.get("num_lemmas", 0))),
        ),
    )
