"""Orchestration: file -> checked spec -> engine -> `CheckResult`. No output here."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import ir
from .check import is_model_file, load_spec
from .engines import get_engine
from .errors import SourceError
from .result import CheckResult, EngineOutcome, Verdict, expectation_met

DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class Options:
    engine: str = "z3"
    bound: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    models_dirs: tuple[Path, ...] = ()
    seed: int = 0


def check_spec(spec: ir.Spec, options: Options = Options(), *, file: str | None = None) -> CheckResult:
    """Run one engine on one checked spec."""
    bound = options.bound if options.bound is not None else spec.bound
    start = time.monotonic()
    deadline = start + options.timeout
    want = spec.expect.prop if spec.expect is not None and spec.expect.verdict == "violation" else None
    engine = get_engine(options.engine)
    outcome = engine(spec, bound, deadline=deadline, want=want, seed=options.seed)
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
        expectation_met=expectation_met(spec, outcome),
        message=_message(outcome, bound),
        time_s=elapsed,
        stats=outcome.stats,
    )


def check_file(path: Path, options: Options = Options(), *, display: str | None = None) -> CheckResult:
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
    return f"no run of up to {bound} steps violates a property; longer runs were not covered"


def spec_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files to check: files as given, folders searched for spec `*.pg` (models skipped)."""
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*.pg")):
                if candidate.is_file() and not is_model_file(candidate):
                    yield candidate
        else:
            yield path


__all__ = ["CheckResult", "Options", "SourceError", "check_file", "check_spec", "spec_files"]
