"""Running many independent checks: the executor interface and the local process pool.

Stage: tools, below `checker.sweep` (which chooses an executor) and `checker.cluster`
(the Dask executor). A sweep hands an `Executor` its work items (`Job`s: plain data
that a worker process, here or on another machine, turns into a result) and gets the
results back in job order, whatever order they finished in. The local `ProcessPool`
is the default and needs nothing beyond the standard library.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Protocol, TextIO, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Job(Protocol[T_co]):
    """A picklable unit of work: everything a worker needs, as plain data."""

    def run(self) -> T_co:
        """The check, done where the job runs."""
        ...

    def failed(self, reason: str) -> T_co:
        """The result to report for this job when it could not run to the end (its
        worker died on every try, or it raised): `reason` says why."""
        ...


class ExecutorError(Exception):
    """An executor cannot be used (a missing extra, an unreachable scheduler): an
    input error of the command line, reported in one line."""


class ProgressBar:
    """`label [#####-----] 3/10` on a terminal's stderr; silent anywhere else."""

    WIDTH = 30

    def __init__(self, err: TextIO, label: str, total: int) -> None:
        isatty = getattr(err, "isatty", None)
        self.enabled = bool(isatty is not None and isatty()) and total > 1
        self.err = err
        self.label = label
        self.total = total
        self.done = 0
        self._draw()

    def advance(self) -> None:
        self.done += 1
        self._draw()

    def close(self) -> None:
        if self.enabled:
            width = len(self.label) + self.WIDTH + 2 * len(str(self.total)) + 6
            self.err.write("\r" + " " * width + "\r")
            self.err.flush()

    def _draw(self) -> None:
        if not self.enabled:
            return
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.err.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self.err.flush()


class Executor(Protocol):
    """Where a sweep's jobs run. `run` returns one result per job, in job order,
    advances `progress` once per finished job, and stops the submitted work when
    interrupted (Ctrl-C) before letting the interrupt through."""

    def run(self, jobs: Sequence[Job[T]], progress: ProgressBar | None) -> list[T]: ...


def run_job(job: Job[T]) -> T:
    """A job's result where it runs (a module-level function, so it pickles)."""
    return job.run()


@dataclass(frozen=True, slots=True)
class ProcessPool:
    """Worker processes on this machine; one worker runs the jobs in this process."""

    workers: int

    def run(self, jobs: Sequence[Job[T]], progress: ProgressBar | None) -> list[T]:
        if self.workers <= 1 or len(jobs) <= 1:
            results = []
            for job in jobs:
                results.append(job.run())
                if progress is not None:
                    progress.advance()
            return results
        return _run_pool(jobs, min(self.workers, len(jobs)), progress)


def _run_pool(
    jobs: Sequence[Job[T]], workers: int, progress: ProgressBar | None
) -> list[T]:
    import multiprocessing

    # Workers start from a clean interpreter (no fork of this process), so checks
    # cannot depend on anything the parent holds.
    methods = multiprocessing.get_all_start_methods()
    context: BaseContext
    if "forkserver" in methods:
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(
            [f"{__package__}.sweep", f"{__package__}.report.text"]
        )
        context = forkserver
    else:
        context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        # SIGINT stays blocked while the workers (and the fork server) start: they
        # inherit the blocked signal, so a terminal's Ctrl-C reaches only this
        # process, and every worker is known before a Ctrl-C can stop the parent.
        blocked = _block_interrupts()
        try:
            futures: list[Future[T]] = [pool.submit(run_job, j) for j in jobs]
        finally:
            _restore_interrupts(blocked)
        for _ in as_completed(futures):
            if progress is not None:
                progress.advance()
        return [future.result() for future in futures]
    except BaseException:
        # Ctrl-C (or a failed job): no new job starts, running ones are killed.
        _stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _block_interrupts() -> set[int] | None:
    """Block SIGINT (POSIX); returns the previous mask, None where there is none."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}))


def _restore_interrupts(mask: set[int] | None) -> None:
    """Restore the mask; a Ctrl-C that came meanwhile raises KeyboardInterrupt now."""
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel the jobs not started and terminate the worker processes."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    processes = list((pool._processes or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
