"""Orchestration: file -> checked spec -> engine -> `CheckResult`. No output here.

Stage: orchestration, below the CLI and the pytest plugin. `check_file` reads, checks
and runs one spec; `check_spec` runs an already checked one; `spec_files` expands
folders into the spec files in them.

Progress: `Options(progress=callback)` hands `callback` to the engine, which calls it
with a `checker.progress.ProgressInfo` each time it finishes a unit of work: the
explicit engine after each breadth-first layer (`depth` = the run length covered,
`states` = distinct states seen), BMC after each unrolled step (`depth` = the
steps unrolled, `formula_size`, `solver_calls`), induction twice a second while
Spacer works and when it answers (`depth` = frames, `lemmas`); under `auto`, every
engine's reports. Calls happen on
the checking thread, between units of work, so a callback should return quickly and
must not raise; it cannot stop a check (`timeout` does). Time is the callback's own
to measure. The CLI's live line on a terminal (`checker.report.progress.LiveProgress`)
is one such callback.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import ir
from .coverage import measure
from .engines import DEFAULT_ENGINE, ENGINES, canonical, get_engine
from .errors import SourceError
from .files import is_model_file
from .load import load_spec
from .progress import Progress, ProgressInfo
from .result import CheckResult, EngineOutcome, Verdict, expectation_met
from .step import define

DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class Options:
    """How to check: the same choices as the command line's options."""

    engine: str = DEFAULT_ENGINE
    """A name in `checker.engines.ENGINES` (or an alias): `auto` (the portfolio),
    `explicit` (breadth-first), `bmc` (bounded model checking with proofs) or
    `induction` (Spacer's inductive proofs)."""
    bound: int | None = None
    """Steps to explore; None: the spec's own `bound` (100 without one)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds per spec; reaching it makes the verdict `unknown`."""
    models_dirs: tuple[Path, ...] = ()
    """Folders searched first for `use NAME`."""
    seed: int = 0
    """Z3's random seed."""
    memory_mb: int | None = None
    """The explicit engine's memory limit in MB (None: no limit; engines that do not
    take a limit ignore it)."""
    coverage: bool = True
    """Measure what the runs of a `safe` check never did (`checker.coverage`)."""
    full_coverage: bool = False
    """Measure unfired transitions and uncalled ops too (a search to the end)."""
    strict: bool = False
    """A `safe` that leaves statements unreached fails (as `check coverage` does)."""
    progress: Progress | None = field(default=None, compare=False)
    """Called by the engine as the check advances (see the module docstring)."""


def check_spec(
    spec: ir.Spec, options: Options = Options(), *, file: str | None = None
) -> CheckResult:
    """Run one engine on one checked spec."""
    bound = options.bound if options.bound is not None else spec.bound
    start = time.monotonic()
    deadline = start + options.timeout
    want = (
        spec.expect.prop
        if spec.expect is not None and spec.expect.verdict == "violation"
        else None
    )
    if spec.liveness is not None and not ENGINES[canonical(options.engine)].liveness:
        raise SourceError(
            spec.liveness,
            f"the {canonical(options.engine)} engine does not answer liveness; "
            f"check this spec with --engine {_liveness_engines()}",
        )
    engine = get_engine(options.engine)
    outcome = engine(
        spec,
        bound,
        deadline=deadline,
        want=want,
        seed=options.seed,
        progress=options.progress,
        memory_mb=options.memory_mb,
    )
    found = None
    if options.coverage and outcome.verdict == Verdict.SAFE:
        found = measure(
            define(spec),
            bound,
            deadline,
            full=options.full_coverage,
            closed=outcome.complete,
        )
    strict = options.strict or spec.strict
    met = expectation_met(spec, outcome)
    if strict and found is not None and found.vacuous:
        met = False
    elapsed = time.monotonic() - start
    return CheckResult(
        spec=spec,
        file=file or spec.source.name,
        engine=options.engine,
        verdict=outcome.verdict,
        complete=outcome.complete,
        bound=bound,
        trace=outcome.trace,
        expected_trace=outcome.expected_trace,
        expectation_met=met,
        message=_message(outcome, bound),
        time_s=elapsed,
        stats=outcome.stats,
        coverage=found,
        strict=strict,
        answered_by=outcome.engine or options.engine,
        certificate=outcome.certificate,
    )


def check_file(
    path: Path, options: Options = Options(), *, display: str | None = None
) -> CheckResult:
    """Load and check one spec file; bad input raises `SourceError`."""
    spec = load_spec(path, models_dirs=options.models_dirs, display=display)
    return check_spec(spec, options, file=display or str(path))


def _message(outcome: EngineOutcome, bound: int) -> str:
    if outcome.verdict == Verdict.VIOLATION:
        assert outcome.trace is not None
        return outcome.trace.violation.message
    if outcome.verdict == Verdict.UNKNOWN:
        return outcome.reason or "the check was stopped by a limit"
    if outcome.complete:
        return "no run of any length violates a property"
    return (
        f"no run of up to {bound} steps violates a property; "
        "longer runs were not covered"
    )


def spec_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files to check: files as given; folders searched for specs, not models."""
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*.pg")):
                if candidate.is_file() and not is_model_file(candidate):
                    yield candidate
        else:
            yield path


__all__ = [
    "CheckResult",
    "Options",
    "Progress",
    "ProgressInfo",
    "SourceError",
    "check_file",
    "check_spec",
    "spec_files",
]


def _liveness_engines() -> str:
    """`auto, explicit or bmc`: the engines that answer liveness, in table order."""
    *rest, last = (name for name, info in ENGINES.items() if info.liveness)
    return f"{', '.join(rest)} or {last}" if rest else last
