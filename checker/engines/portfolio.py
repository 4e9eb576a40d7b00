"""The portfolio (`--engine auto`): the explicit search, BMC and the inductive prover
side by side, the first conclusive answer wins.

Most specs are answered by the explicit engine in milliseconds, far less than starting
a process costs, so the explicit engine runs in this process from the start and the
others join only when it has not answered within `QUICK_S` seconds: they are forked
then (the checked spec and the loaded engines come along), one process each, while the
explicit search goes on where it was; `multiprocessing` is loaded only then (loading
it with this module made `auto` 15-50 ms slower than the explicit engine on every
spec, up to 1.5 times at the smallest). Its progress callback, called after each
breadth-first layer, is where this process reads the others' progress and answers;
when one of them answers conclusively (a shortest counterexample, a checked proof),
the callback stops the explicit search by raising `_Answered` (the one callback
allowed to raise: the explicit engine holds nothing to clean up), and the processes
are terminated. An explicit search that closes wins the same way. When every engine
stops without a conclusive answer, a bounded `safe` stands if one was reached, else
`unknown` with how far each engine got. The forked processes never see Ctrl-C (SIGINT
stays blocked in them): this process receives it, terminates them and lets the
interrupt go on.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from .. import ir
from ..errors import InternalError
from ..progress import Progress, ProgressInfo
from ..result import EngineOutcome, Verdict
from .explicit import check_explicit

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

#: Seconds the explicit engine runs alone before the other engines are started: forked
#: after 0.3 s, they made searches of 0.3-1.5 s take 1.4-1.6 times as long.
QUICK_S = 1.0


def _induction() -> Callable[..., EngineOutcome]:
    from .inductive import check_inductive

    return check_inductive


def _bmc() -> Callable[..., EngineOutcome]:
    from .symbolic import check_symbolic

    return check_symbolic


#: The engines forked beside the explicit search, in the order their answers are
#: preferred, each by the function that loads it: a spec the explicit search answers
#: alone never waits for Z3 to load.
RACERS: dict[str, Callable[[], Callable[..., EngineOutcome]]] = {
    "induction": _induction,
    "bmc": _bmc,
}

#: The racers that take a memory limit.
MEMORY_LIMITED = frozenset({"induction"})

#: Niceness of the racers' processes: the explicit search, which answers most specs
#: first, keeps its speed, and the others take the CPU it leaves. On 2 shared cores,
#: racers at equal priority doubled the explicit search's time on churn N=4..6 and
#: refcount-fixed N=6; at the lowest priority it stayed within the run-to-run noise.
NICENESS = {"induction": 19, "bmc": 19}

#: Seconds a process may take to stop on its own at the deadline before it is killed.
GRACE_S = 1.0


@dataclass(frozen=True, slots=True)
class _Job:
    """One check, as every engine of the race gets it."""

    spec: ir.Spec
    bound: int
    deadline: float
    want: str | None
    seed: int
    memory_mb: int | None


class _Answered(Exception):
    """Another engine answered conclusively: the explicit search stops."""


def check_portfolio(
    spec: ir.Spec,
    bound: int,
    *,
    deadline: float,
    want: str | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    memory_mb: int | None = None,
) -> EngineOutcome:
    def explicit_with(progress: Progress | None) -> EngineOutcome:
        return check_explicit(
            spec,
            bound,
            deadline=deadline,
            want=want,
            seed=seed,
            progress=progress,
            memory_mb=memory_mb,
        )

    # induction does not answer liveness, and BMC's lassos take it far longer than
    # the explicit engine's fair-cycle search on every liveness spec measured
    # (docs/engines.md, "Liveness in BMC"): the explicit engine answers alone
    if spec.liveness is not None:
        return replace(explicit_with(progress), engine="explicit")
    race = _Race(_Job(spec, bound, deadline, want, seed, memory_mb), progress)
    try:
        explicit = explicit_with(race.explicit_progress)
        if _conclusive(explicit):
            return replace(explicit, engine="explicit")
        race.answers["explicit"] = explicit
        race.collect(until=deadline + GRACE_S)
    except _Answered:
        pass
    finally:
        race.stop()
    return race.outcome()


def _conclusive(outcome: EngineOutcome) -> bool:
    """A violation (engines report only shortest ones), or a proof of safety."""
    return outcome.verdict == Verdict.VIOLATION or (
        outcome.verdict == Verdict.SAFE and outcome.complete
    )


class _Race:
    """The forked engines: when they start, what they report, how they stop."""

    def __init__(self, job: _Job, progress: Progress | None) -> None:
        self.job = job
        self.progress = progress
        self.start_at = time.monotonic() + QUICK_S
        self.started = False
        self.running: dict[Connection, tuple[str, Any]] = {}
        self.reached: dict[str, ProgressInfo] = {}
        self.answers: dict[str, EngineOutcome] = {}
        self.winner: str | None = None

    def explicit_progress(self, info: ProgressInfo) -> None:
        """The explicit engine's callback: forwards its progress, starts the other
        engines once `QUICK_S` has passed, and reads what they sent."""
        self.report("explicit", info)
        if not self.started and time.monotonic() >= self.start_at:
            self.start()
        self.collect(until=None)

    def report(self, name: str, info: ProgressInfo) -> None:
        self.reached[name] = info
        if self.progress is not None:
            self.progress(info)

    def start(self) -> None:
        import multiprocessing  # only here: a spec answered alone never pays for it

        self.started = True
        engines = {name: load() for name, load in RACERS.items()}
        context = multiprocessing.get_context("fork")
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for name, engine in engines.items():
                receive, send = context.Pipe(duplex=False)
                process = context.Process(
                    target=_serve, args=(name, engine, send, self.job), daemon=True
                )
                process.start()
                send.close()
                self.running[receive] = (name, process)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def collect(self, until: float | None) -> None:
        """Read what the engines sent: what is there now (`until` None), or until
        every engine has stopped or `until` has passed. Raises `_Answered` on a
        conclusive answer."""
        if not self.running:
            return
        from multiprocessing.connection import wait

        while self.running:
            timeout = 0.0 if until is None else until - time.monotonic()
            if until is not None and timeout <= 0:
                return
            ready = wait(list(self.running), timeout=timeout)
            if not ready:
                return
            for conn in ready:
                self._receive(cast("Connection", conn))

    def _receive(self, conn: Connection) -> None:
        name, process = self.running[conn]
        try:
            kind, value = cast(tuple[str, Any], conn.recv())
        except EOFError:  # the engine has answered and is exiting
            del self.running[conn]
            conn.close()
            process.join()
            return
        if kind == "progress":
            self.report(name, value)
        elif kind == "error":
            raise InternalError(f"{name} engine: {value}")
        else:
            outcome: EngineOutcome = value
            self.answers[name] = outcome
            if _conclusive(outcome):
                self.winner = name
                raise _Answered

    def stop(self) -> None:
        for conn, (_, process) in self.running.items():
            process.terminate()
            conn.close()
        for _, process in self.running.values():
            process.join()
        self.running.clear()

    def outcome(self) -> EngineOutcome:
        """The winner's answer; else a bounded `safe` if one was reached (the
        explicit engine's first), else `unknown` with how far each engine got."""
        if self.winner is not None:
            return replace(self.answers[self.winner], engine=self.winner)
        names = ["explicit", *RACERS]
        for name in names:
            answer = self.answers.get(name)
            if answer is not None and answer.verdict == Verdict.SAFE:
                return replace(answer, engine=name)
        parts = []
        for name in names:
            if name != "explicit" and not self.started:
                continue
            info = self.reached.get(name)
            answer = self.answers.get(name)
            how = [_how_far(info)] if info is not None else []
            if answer is not None and not answer.reason.startswith("time limit"):
                how.append(answer.reason)
            parts.append(f"{name}: {'; '.join(how) or 'no progress reported'}")
        return EngineOutcome(
            Verdict.UNKNOWN,
            False,
            reason="time limit reached (" + "; ".join(parts) + ")",
        )


def _how_far(info: ProgressInfo) -> str:
    if info.lemmas is not None:
        return f"frame {info.depth}, {info.lemmas} lemmas"
    if info.states is not None:
        return f"depth {info.depth}, {info.states} states"
    return f"depth {info.depth}, {info.solver_calls or 0} solver calls"


def _serve(
    name: str, engine: Callable[..., EngineOutcome], conn: Connection, job: _Job
) -> None:
    """One racing engine, in its own process: its progress and answer go to `conn`."""
    os.nice(NICENESS.get(name, 0))

    def report(info: ProgressInfo) -> None:
        conn.send(("progress", info))

    limit = {"memory_mb": job.memory_mb} if name in MEMORY_LIMITED else {}
    try:
        outcome = engine(
            job.spec,
            job.bound,
            deadline=job.deadline,
            want=job.want,
            seed=job.seed,
            progress=report,
            **limit,
        )
        conn.send(("outcome", outcome))
    except Exception as error:  # the parent reports it
        conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()
        os._exit(0)
