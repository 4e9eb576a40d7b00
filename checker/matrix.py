"""`pagecheck matrix SPECS... --model M ...`: every spec checked against every model.

Stage: tools, beside the CLI (like `checker.explore`, on top of `checker.sweep`, which
runs the checks and renders the table). Input: spec files or folders, and models by
name (as in `use NAME`, searched on `--models DIR` first) or path.
Output: a table of verdicts, each with the shortest bad schedule's length, as text,
Markdown or JSON; the cell of a spec's own model is marked with whether its `expect`
is met. A spec that does not check against a model (an op or state the model lacks)
gets `n/a` and a numbered note with the reason.

Each cell is the spec's tree with its `use` replaced by the model's path (relative to
the spec's folder), checked in a worker process or on a Dask cluster: see
`checker.sweep` for why the work items are plain data.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from . import api, sweep
from . import syntax as ast
from .arguments import add_check_options, add_jobs_option, executor_from, options_from
from .errors import SourceError
from .executor import Executor, ProgressBar
from .exit import ExitStatus
from .files import find_model, read_source
from .load import ModelFile, load_model, read_used_model
from .parser import parse
from .result import Verdict
from .source import SourceFile

OWN_MET, OWN_UNMET = "✓", "✗"


def replace_use(tree: ast.File, target: str) -> ast.File:
    """The tree with its (first) `use` turned into `use "target"`."""
    items = list(tree.items)
    for k, item in enumerate(items):
        if isinstance(item, ast.UseDecl):
            items[k] = ast.UseDecl(target, True, item.span)
            break
    return replace(tree, items=tuple(items))


@dataclass(frozen=True, slots=True)
class MatrixJob:
    """Check the spec `text` against the model file `model` (relative to the spec),
    whose text is `model_file`."""

    name: str
    path: str
    text: str
    model: str
    model_file: ModelFile
    own: bool
    options: api.Options

    def run(self) -> sweep.Outcome:
        source = SourceFile(self.name, self.text, Path(self.path))
        tree = replace_use(parse(source), self.model)
        if not self.own:
            # Another model's verdict does not depend on `expect`, and without it the
            # engines stop at the shortest violation instead of searching on.
            tree = sweep.without_expect(tree)
        return sweep.check_variant(tree, source, self.options, self.model_file)

    def failed(self, reason: str) -> sweep.Outcome:
        return sweep.failed_outcome(reason)


@dataclass(frozen=True, slots=True)
class Cell:
    model: str
    """The model as given on the command line."""
    own: bool
    outcome: sweep.Outcome | None
    """None when the cell was not checked (`reason` says why)."""
    reason: str | None = None

    @property
    def na_reason(self) -> str | None:
        """Why the cell is `n/a` (with the line of the first error), or None."""
        if self.outcome is None:
            return self.reason
        if self.outcome.verdict == sweep.ERROR:
            return self.outcome.message
        return None

    @property
    def na_note(self) -> str | None:
        """`na_reason` without the line: cells failing alike share one table note."""
        if self.outcome is not None and self.outcome.verdict == sweep.ERROR:
            return self.outcome.brief
        return self.na_reason

    def text(self, note: int | None) -> str:
        o = self.outcome
        if o is None or o.verdict == sweep.ERROR:
            return f"n/a [{note}]"
        text = f"{o.prop} in {o.length}" if o.violation else o.describe()
        if self.own:
            text += f" {OWN_MET if o.expectation_met else OWN_UNMET}"
        return text

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "own": self.own}
        if self.na_reason is not None or self.outcome is None:
            out.update(verdict="n/a", reason=self.na_reason)
            return out
        body = self.outcome.json()
        del body["trace"]
        out.update(body)
        out["reason"] = None
        out["model_name"] = self.outcome.model
        out["expectation_met"] = self.outcome.expectation_met if self.own else None
        return out


@dataclass(frozen=True, slots=True)
class Row:
    file: str
    use: str | None
    """The spec's `use` as written (a path in quotes); None if it does not parse."""
    expect: str | None
    cells: tuple[Cell, ...]
    error: str | None = None
    """Why the spec could not be read, if it could not."""


def _looks_like_path(text: str) -> bool:
    path = Path(text)
    return path.is_file() or path.suffix == ".pg" or len(path.parts) > 1


def _resolve(model: str, spec_dir: Path, models_dirs: Sequence[Path]) -> Path | None:
    if _looks_like_path(model):
        return Path(model)
    return find_model(model, spec_dir, models_dirs)


def _own_model(
    use: ast.UseDecl, spec_dir: Path, models_dirs: Sequence[Path]
) -> Path | None:
    if use.is_path:
        return spec_dir / use.target
    return find_model(use.target, spec_dir, models_dirs)


def _same_file(a: Path | None, b: Path | None) -> bool:
    return a is not None and b is not None and a.resolve() == b.resolve()


@dataclass
class _Plan:
    rows: list[tuple[str, str | None, str | None, list[Cell | int], str | None]]
    """Per spec: file, use, expect, and per model a finished cell or a job index."""
    jobs: list[MatrixJob]
    errors: list[str]


def plan_matrix(
    specs: Sequence[Path], models: Sequence[str], options: api.Options
) -> _Plan:
    """Resolve every (spec, model) pair to a job, or a cell that needs no check.

    A model that loads nowhere is an input error (`SourceError`), before any check
    runs; a spec that does not parse gets a row of `n/a` and an entry in `errors`.
    """
    plan = _Plan([], [], [])
    checked_models: set[Path] = set()
    found_anywhere = dict.fromkeys(models, False)
    for spec_path in specs:
        name = str(spec_path)
        spec_dir = spec_path.parent
        try:
            source = read_source(spec_path)
            tree = parse(source)
        except SourceError as error:
            plan.errors.append(error.render())
            reason = f"the spec does not parse: {sweep.short_reason(error, name)}"
            cells: list[Cell | int] = [Cell(m, False, None, reason) for m in models]
            plan.rows.append((name, None, None, cells, reason))
            continue
        use = next((i for i in tree.items if isinstance(i, ast.UseDecl)), None)
        expect = next((i for i in tree.items if isinstance(i, ast.ExpectDecl)), None)
        own = _own_model(use, spec_dir, options.models_dirs) if use else None
        use_text = None
        if use is not None:
            use_text = f'"{use.target}"' if use.is_path else use.target
        expect_text: str | None = None
        if expect is not None:
            expect_text = str(expect.verdict)
            if expect.prop is not None:
                expect_text += f" {expect.prop.name}"
        cells = []
        for model in models:
            path = _resolve(model, spec_dir, options.models_dirs)
            if path is None:
                cells.append(Cell(model, False, None, f"no model named {model!r}"))
                continue
            found_anywhere[model] = True
            if path not in checked_models:
                load_model(path, str(path))  # a broken model stops the command
                checked_models.add(path)
            target = os.path.relpath(path.resolve(), spec_dir.resolve())
            is_own = _same_file(path, own)
            try:
                model_file = read_used_model(replace_use(tree, target), source)
            except SourceError as error:
                outcome = sweep.error_outcome(error, source)
                cells.append(Cell(model, is_own, outcome))
                continue
            cells.append(len(plan.jobs))
            plan.jobs.append(
                MatrixJob(
                    name,
                    str(spec_path),
                    source.text,
                    target,
                    model_file,
                    is_own,
                    options,
                )
            )
        plan.rows.append((name, use_text, expect_text, cells, None))
    missing = [m for m, found in found_anywhere.items() if not found]
    if missing and len(plan.errors) < len(specs):  # some spec could be resolved
        dirs = [*map(str, options.models_dirs), "models/ next to each spec's folder"]
        raise SourceError(
            None,
            f"no model file or model named {missing[0]!r} "
            f"(looked in {', '.join(dirs)})",
            file="pagecheck matrix",
        )
    return plan


def matrix(
    specs: Sequence[Path],
    models: Sequence[str],
    options: api.Options,
    *,
    executor: Executor | int = 1,
    progress: Callable[[int], ProgressBar] | None = None,
) -> tuple[list[Row], list[str]]:
    """Every spec against every model, checked on `executor` (a number: that many
    local worker processes): the rows, and the specs that did not parse.

    Raises `SourceError` when a model is not found for any spec or does not load.
    """
    plan = plan_matrix(specs, models, options)
    bar = progress(len(plan.jobs)) if progress is not None else None
    outcomes = sweep.run_jobs(plan.jobs, executor, bar)
    rows = []
    for file, use, expect, cells, error in plan.rows:
        done: list[Cell] = []
        for model, cell in zip(models, cells, strict=True):
            if isinstance(cell, int):
                job = plan.jobs[cell]
                done.append(Cell(model, job.own, outcomes[cell]))
            else:
                done.append(cell)
        rows.append(Row(file, use, expect, tuple(done), error))
    return rows, plan.errors


# --------------------------------------------------------------------------- output


def render_matrix(
    rows: Sequence[Row], models: Sequence[str], *, markdown: bool = False
) -> str:
    notes: dict[str, int] = {}
    table = []
    for row in rows:
        expect = "?" if row.error else row.expect or "safe"
        line = [row.file, row.use or "?", expect]
        for cell in row.cells:
            reason = cell.na_note
            number = None
            if reason is not None:
                number = notes.setdefault(reason, len(notes) + 1)
            line.append(cell.text(number))
        table.append(line)
    header = ["spec", "use", "expect", *models]
    lines = sweep.render_table(header, table, markdown=markdown)
    lines.append("")
    legend = [
        "PROPERTY in N: a violation of PROPERTY, shortest bad schedule N steps;",
        "safe (bounded): no violation within the bound, longer runs not covered;",
        f"{OWN_MET} / {OWN_UNMET}: the spec's own model, its `expect` met / not met.",
    ]
    lines.append(f"_{' '.join(legend)}_" if markdown else "\n".join(legend))
    if notes:
        lines.append("")
        for reason, number in notes.items():
            lines.append(f"{'- ' if markdown else ''}[{number}] n/a: {reason}")
    return "\n".join(lines)


def matrix_json(
    rows: Sequence[Row], models: Sequence[str], options: api.Options
) -> dict[str, Any]:
    return {
        "schema_version": sweep.SCHEMA_VERSION,
        "command": "matrix",
        "engine": options.engine,
        "bound": options.bound,
        "models": list(models),
        "specs": [
            {
                "file": row.file,
                "use": row.use,
                "expect": row.expect,
                "error": row.error,
                "cells": [cell.json() for cell in row.cells],
            }
            for row in rows
        ],
    }


def exit_status(rows: Sequence[Row], errors: Sequence[str]) -> ExitStatus:
    """2 input errors; else 3 an own-model verdict is unknown; else 1 an own-model
    `expect` is not met; else 0. Other models' cells never change the status."""
    own = [c for row in rows for c in row.cells if c.own and c.outcome is not None]
    if errors or any(c.outcome.verdict == sweep.ERROR for c in own if c.outcome):
        return ExitStatus.INPUT_ERROR
    if any(c.outcome.verdict == Verdict.UNKNOWN for c in own if c.outcome):
        return ExitStatus.UNKNOWN
    if any(not c.outcome.expectation_met for c in own if c.outcome):
        return ExitStatus.EXPECTATION_FAILED
    return ExitStatus.OK


MATRIX_HELP = f"""\
Check every spec against every model: each spec's `use` is replaced by each model in
turn. A cell shows the verdict and the shortest bad schedule's length; `n/a` when
the spec does not check against the model (the reason is in a note below the table).
The cell of the spec's own model is marked {OWN_MET} when its `expect` is met, else
{OWN_UNMET}.

exit status: 0 every spec's own-model cell meets its expect (or no cell is a spec's
own); 1 some does not; 2 input error; 3 an own-model verdict was unknown
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `pagecheck matrix`."""
    parser.add_argument(
        "specs",
        nargs="+",
        type=Path,
        metavar="SPEC|DIR",
        help="specs, or folders of specs",
    )
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        dest="against",
        metavar="MODEL",
        help="a model to check every spec against: a name (as in `use NAME`) or a "
        "path; repeat it, or separate models with commas (`--model seed,hinting`)",
    )
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--markdown", action="store_true", help="a Markdown table")
    formats.add_argument("--json", action="store_true", help="one JSON document")
    add_check_options(parser)
    add_jobs_option(parser)


def run_matrix(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """`pagecheck matrix SPECS... --model M ...`, parsed by `add_arguments`."""
    models = [m for given in ns.against for m in given.split(",") if m]
    # the table shows no coverage: search for it only where --strict needs it
    options = replace(options_from(ns), coverage=ns.strict)
    specs: list[Path] = []
    errors: list[str] = []
    for path in ns.specs:
        if not path.exists():
            errors.append(f"pagecheck matrix: error: no such file or folder: {path}")
        elif path.is_dir():
            found = list(api.spec_files([path]))
            if not found:
                errors.append(f"pagecheck matrix: error: no specs in {path}")
            specs.extend(found)
        else:
            specs.append(path)
    if errors:
        print("\n".join(errors), file=err)
        return ExitStatus.INPUT_ERROR
    try:
        rows, problems = matrix(
            specs,
            models,
            options,
            executor=executor_from(ns),
            progress=lambda total: ProgressBar(err, "matrix", total),
        )
    except SourceError as error:
        print(error.render(), file=err)
        return ExitStatus.INPUT_ERROR
    for problem in problems:
        print(problem, file=err)
    if ns.json:
        sweep.print_json(matrix_json(rows, models, options), out)
    else:
        print(render_matrix(rows, models, markdown=ns.markdown), file=out)
    return exit_status(rows, problems)


__all__ = ["add_arguments", "matrix", "render_matrix", "run_matrix"]
