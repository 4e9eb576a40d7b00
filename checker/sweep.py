"""The sweep behind `pagecheck explore` and `pagecheck matrix`: many checks, one table.

Stage: tools, beside the CLI; `checker.explore` and `checker.matrix` build their work
items and tables on top of this module and do not import each other. Here: the plain
data a check returns across a process boundary (`Outcome`), checking a modified
syntax tree against its original source (`check_variant`), the parallel runner
(`run_jobs`: worker processes, results in job order, Ctrl-C stops the workers), the
progress bar, and the table and JSON output both commands share.

A work item (`Job`) is plain data; a worker re-parses the spec text and rebuilds its
variant, so nothing is shared between processes and a run with `-j 8` prints exactly
what a run with `-j 1` prints.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing.context import BaseContext
from typing import Any, Protocol, TextIO

from . import api
from . import syntax as ast
from .errors import InternalError, PagecheckError, SourceError
from .load import check_parsed_spec as check_tree
from .result import Verdict
from .source import SourceFile

SCHEMA_VERSION = 1
ERROR = "error"
"""The verdict shown for a variant that fails to check (an input error)."""

# =========================================================================== results


@dataclass(frozen=True, slots=True)
class Outcome:
    """One check as plain data: what crosses back from a worker process."""

    verdict: str
    """`safe`, `violation`, `unknown`, or `error` (the variant did not check)."""
    complete: bool
    bound: int | None
    prop: str | None
    length: int | None
    """The shortest bad schedule's length (violations only)."""
    message: str
    expectation_met: bool | None
    time_s: float
    model: str | None
    """The name of the model the spec was checked against."""
    report: tuple[str, ...] = ()
    """The violation and its schedule as the text report shows them (no summary)."""
    trace: tuple[dict[str, Any], ...] = ()
    """The schedule as the `--json` report's `trace` steps."""
    brief: str = ""
    """For `error`: the first message alone, without its line (groups like errors)."""

    @property
    def safe(self) -> bool:
        return self.verdict == Verdict.SAFE

    @property
    def violation(self) -> bool:
        return self.verdict == Verdict.VIOLATION

    def describe(self) -> str:
        """`safe`, `safe (bounded)`, `violation`, `unknown` or `error`."""
        if self.safe and not self.complete:
            return "safe (bounded)"
        return self.verdict

    def json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "complete": self.complete,
            "bound": self.bound,
            "property": self.prop,
            "length": self.length,
            "message": self.message,
            "time_s": round(self.time_s, 3),
            "trace": list(self.trace),
        }


def short_reason(error: PagecheckError, file: str | None = None) -> str:
    """One line for a table: the first diagnostic and where (`line L` in `file`,
    `other.pg:L` elsewhere), and how many follow."""
    if not isinstance(error, SourceError):
        return f"internal error: {error}"
    first = error.first
    text = first.message
    if first.span is not None:
        where = "line " if first.span.file == file else f"{first.span.file}:"
        text = f"{where}{first.span.line}: {text}"
    if len(error.diagnostics) > 1:
        text += f" (and {len(error.diagnostics) - 1} more)"
    return text


def check_variant(tree: ast.File, source: SourceFile, options: api.Options) -> Outcome:
    """Check a (modified) tree against its original source; input errors are data."""
    from .report.json import trace_json
    from .report.text import render_trace

    try:
        spec = check_tree(tree, source, models_dirs=options.models_dirs)
        result = api.check_spec(spec, options, file=source.name)
    except (SourceError, InternalError) as error:
        first = error.first.message if isinstance(error, SourceError) else ""
        return Outcome(
            ERROR,
            False,
            None,
            None,
            None,
            short_reason(error, source.name),
            None,
            0.0,
            None,
            brief=first or short_reason(error),
        )
    trace = result.trace
    return Outcome(
        verdict=str(result.verdict),
        complete=result.complete,
        bound=result.bound,
        prop=result.prop,
        length=trace.length if trace is not None else None,
        message=result.message,
        expectation_met=result.expectation_met,
        time_s=result.time_s,
        model=spec.model.name,
        report=tuple(render_trace(spec, trace).splitlines()) if trace else (),
        trace=tuple(trace_json(spec, trace)),
    )


def without_expect(tree: ast.File) -> ast.File:
    """The tree without `expect`: engines then stop at the shortest violation."""
    return replace(
        tree, items=tuple(i for i in tree.items if not isinstance(i, ast.ExpectDecl))
    )


# =========================================================================== running


class Job(Protocol):
    """A picklable unit of work: everything a worker needs, as plain data."""

    def run(self) -> Outcome: ...


def _run_job(job: Job) -> Outcome:
    return job.run()


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


def run_jobs(
    jobs: Sequence[Job], workers: int, progress: ProgressBar | None = None
) -> list[Outcome]:
    """Run every job, in worker processes when `workers > 1`; results in job order."""
    try:
        if workers <= 1 or len(jobs) <= 1:
            results = []
            for job in jobs:
                results.append(job.run())
                if progress is not None:
                    progress.advance()
            return results
        return _run_pool(jobs, min(workers, len(jobs)), progress)
    finally:
        if progress is not None:
            progress.close()


def _run_pool(
    jobs: Sequence[Job], workers: int, progress: ProgressBar | None
) -> list[Outcome]:
    import multiprocessing

    # Workers start from a clean interpreter (no fork of this process), so checks
    # cannot depend on anything the parent holds.
    methods = multiprocessing.get_all_start_methods()
    context: BaseContext
    if "forkserver" in methods:
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload([__name__, f"{__package__}.report.text"])
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
            futures: list[Future[Outcome]] = [pool.submit(_run_job, j) for j in jobs]
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


def render_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, markdown: bool = False
) -> list[str]:
    """Aligned columns (text) or a GitHub table (Markdown); one string per line."""
    if markdown:

        def cells(row: Sequence[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"

        return [cells(header), "|" + "|".join("---" for _ in header) + "|"] + [
            cells(row) for row in rows
        ]
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def print_json(doc: dict[str, Any], out: TextIO) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False), file=out)
