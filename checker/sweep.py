"""The sweep behind `pagecheck explore` and `pagecheck matrix`: many checks, one table.

Stage: tools, beside the CLI; `checker.explore` and `checker.matrix` build their work
items and tables on top of this module and do not import each other. Here: the plain
data a check returns across a process boundary (`Outcome`), checking a modified
syntax tree against its original source (`check_variant`), running the jobs on an
executor (`run_jobs`: the local process pool of `checker.executor`, or a Dask
cluster, `checker.cluster`; results in job order either way), and the table and JSON
output both commands share.

A work item (`Job`) is plain data: the spec's text and the model file's text (read
where the job is made, `load.ModelFile`); a worker re-parses the spec text and
rebuilds its variant, so nothing is shared between processes, a worker needs no file
of the spec's folder, and a run with `-j 8` or on a cluster prints exactly what a
run with `-j 1` prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from . import api
from . import syntax as ast
from .errors import Diagnostic, InternalError, PagecheckError, SourceError
from .executor import Executor, Job, ProcessPool, ProgressBar
from .files import parsed
from .load import ModelFile, read_spec
from .load import check_parsed_spec as check_tree
from .result import CheckResult, Verdict
from .source import SourceFile

T = TypeVar("T")
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


def check_variant(
    tree: ast.File, source: SourceFile, options: api.Options, model: ModelFile
) -> Outcome:
    """Check a (modified) tree, against `model` (read where the job was made), and
    its original source; input errors are data."""
    from .report.json import trace_json
    from .report.text import render_trace

    try:
        spec = check_tree(tree, source, model=model)
        result = api.check_spec(spec, options, file=source.name)
    except (SourceError, InternalError) as error:
        return error_outcome(error, source)
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


def error_outcome(error: SourceError | InternalError, source: SourceFile) -> Outcome:
    """The row of a variant that does not check."""
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


def without_expect(tree: ast.File) -> ast.File:
    """The tree without `expect`: engines then stop at the shortest violation."""
    return replace(
        tree, items=tuple(i for i in tree.items if not isinstance(i, ast.ExpectDecl))
    )


class Edit(Protocol):
    """A change to a spec's tree that a job makes where it runs (picklable)."""

    def __call__(self, tree: ast.File) -> ast.File: ...


@dataclass(frozen=True, slots=True)
class VariantJob:
    """Check the spec `text`, without its `expect` and with `edit` made, against the
    model it uses (read where the job was made)."""

    name: str
    path: str | None
    text: str
    model: ModelFile
    edit: Edit
    options: api.Options

    def run(self) -> Outcome:
        source = SourceFile(
            self.name, self.text, Path(self.path) if self.path else None
        )
        tree = self.edit(without_expect(parsed(source)))
        return check_variant(tree, source, self.options, self.model)

    def failed(self, reason: str) -> Outcome:
        return failed_outcome(reason)


# =========================================================================== spec files


@dataclass(frozen=True, slots=True)
class Checked:
    """One spec file's check as plain data: its result, or what stopped it."""

    result: CheckResult | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    """The input errors (a `SourceError`'s)."""
    internal: str | None = None
    """An internal error's message."""
    lost: str | None = None
    """Why the check was not done (its worker died)."""


def capture(check: Callable[[], CheckResult]) -> Checked:
    """Run a check; its input or internal error becomes data."""
    try:
        return Checked(check())
    except SourceError as error:
        return Checked(diagnostics=tuple(error.diagnostics))
    except InternalError as error:
        return Checked(internal=str(error))


@dataclass(frozen=True, slots=True)
class SpecJob:
    """Check the spec file `file` (its `text`, read where the job was made) against
    `model`: what `api.check_file` does, without the file system."""

    file: str
    path: str
    text: str
    model: ModelFile
    options: api.Options

    def run(self) -> Checked:
        source = SourceFile(self.file, self.text, Path(self.path))

        def check() -> CheckResult:
            spec = check_tree(parsed(source), source, model=self.model)
            return api.check_spec(spec, self.options, file=self.file)

        return capture(check)

    def failed(self, reason: str) -> Checked:
        return Checked(lost=reason)


def check_files(
    paths: Sequence[Path],
    options: api.Options,
    executor: Executor,
    progress: Callable[[int], ProgressBar] | None = None,
) -> list[Checked]:
    """`api.check_file` of each path, run on `executor`; in the order of `paths`.

    The files are read here; a file that cannot be read, or whose model cannot be,
    gets its error without a job."""
    checked: list[Checked | int] = []
    jobs: list[SpecJob] = []
    for path in paths:
        try:
            source, model = read_spec(path, models_dirs=options.models_dirs)
        except SourceError as error:
            checked.append(Checked(diagnostics=tuple(error.diagnostics)))
            continue
        checked.append(len(jobs))
        jobs.append(SpecJob(source.name, str(path), source.text, model, options))
    bar = progress(len(jobs)) if progress is not None else None
    done = run_jobs(jobs, executor, bar)
    return [done[c] if isinstance(c, int) else c for c in checked]


# =========================================================================== running


def failed_outcome(reason: str) -> Outcome:
    """The row of a check that could not run to the end (see `Job.failed`)."""
    message = f"not checked: {reason}"
    return Outcome(
        ERROR, False, None, None, None, message, None, 0.0, None, brief=message
    )


def run_jobs(
    jobs: Sequence[Job[T]],
    executor: Executor | int,
    progress: ProgressBar | None = None,
) -> list[T]:
    """Run every job on `executor` (a number: that many local worker processes);
    the results in job order."""
    if isinstance(executor, int):
        executor = ProcessPool(executor)
    try:
        return executor.run(jobs, progress)
    finally:
        if progress is not None:
            progress.close()


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
