"""The `pagecheck` command: one argparse tree, dispatch, output and exit statuses.

Stage: the top (with the pytest plugin). Input: the command line; output: the reports
on stdout, input errors and the live progress line on stderr, and the exit status
(`checker.exit.ExitStatus`): 0 every spec got its expected verdict; 1 some spec did
not; 2 an input error (or a usage error); 3 a verdict was `unknown` (or pagecheck
failed internally); 130 interrupted (Ctrl-C). With several specs the first of 2, 3,
1, 0 that applies wins.

The tree: `pagecheck [check] FILE|DIR ...` (the check is the default command: a first
word that is not a command name is a spec), `lint`, `graph`, `equiv` (`checker.tools`),
`explore` (`checker.explore`) and `matrix` (`checker.matrix`). Each command module
adds its arguments to its subparser and runs from the parsed namespace.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__, carry, explore, matrix, outcomes, replay, tools
from .api import Options, check_file, spec_files
from .arguments import (
    RENDERED,
    ArgumentsDone,
    StreamArgumentParser,
    add_check_options,
    add_cluster_option,
    executor_from,
    missing_graphviz,
    options_from,
    write_picture,
)
from .errors import Diagnostic, InternalError, SourceError
from .executor import ExecutorError, ProgressBar
from .exit import ExitStatus, worst
from .result import CheckResult, Verdict
from .sweep import Checked, capture, check_files

if TYPE_CHECKING:
    from .report.progress import LiveProgress

EPILOG = """\
exit status:
  0  every spec got its expected verdict (a spec without `expect` must be safe)
  1  some spec did not get its expected verdict
  2  input error (file:line:col: error: ...), or a bad command line
  3  a verdict was unknown (time or size limit), or pagecheck failed internally
  130  interrupted (Ctrl-C); no further spec is checked
  with several specs, the first of 2, 3, 1, 0 that applies wins

pictures of a violating schedule:
  --trace mermaid      Markdown with a Mermaid sequenceDiagram per violation
                       (GitHub renders it: PR comments, $GITHUB_STEP_SUMMARY)
  --trace dot          a Graphviz message sequence chart per violation
  -o trace.svg         render the chart with Graphviz's `dot` (also .png, .pdf);
                       -o FILE.dot / .mmd / .md writes the text instead
"""

#: `-o` suffixes written as text, and what they hold.
TEXT_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
TEXT_FORMATS[".md"] = "markdown"

_Run = Callable[[argparse.Namespace, TextIO, TextIO], int]


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand: how it is used, what it does, its arguments and its runner."""

    name: str
    usage: str
    summary: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: _Run
    description: str | None = None


def z3_version() -> str:
    try:
        from .smt import z3_version as version

        return version()
    except Exception:  # the version line must not fail
        return "unavailable"


def exit_status(result: CheckResult) -> ExitStatus:
    if result.verdict == Verdict.UNKNOWN:
        return ExitStatus.UNKNOWN
    return ExitStatus.OK if result.expectation_met else ExitStatus.EXPECTATION_FAILED


# --------------------------------------------------------------------------- arguments


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of a check, `pagecheck [check] FILE|DIR ...`."""
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="FILE|DIR",
        help="spec files, or folders to search for specs (model files are skipped)",
    )
    add_check_options(p)
    add_cluster_option(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document instead of the text report",
    )
    p.add_argument(
        "--trace",
        choices=("text", "full", "mermaid", "dot"),
        help="how to show a violating schedule: a table (text, the default), "
        "the table and the state's values at every step (full), "
        "a Mermaid sequence diagram or a Graphviz chart",
    )
    p.add_argument(
        "--all-values",
        action="store_true",
        help="with --trace full or --json: every value of the state at each step, "
        "not only what the step changed",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write the picture of the schedule to FILE (.svg/.png/.pdf rendered "
        "by Graphviz, .dot, .mmd, .md); with several violations, one file each",
    )
    p.add_argument(
        "--coverage",
        action="store_true",
        help="list everything the runs of a safe check never did: statements, "
        "assertions, awaits, never conjuncts, model transitions and ops",
    )
    p.add_argument(
        "--certificate",
        type=Path,
        metavar="FILE",
        help="write the inductive invariant of each proof by induction to FILE "
        "(SMT-LIB, checked before it is written)",
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="print only the summary lines"
    )
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (auto: on a terminal, unless NO_COLOR is set)",
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"pagecheck {__version__} (z3 {z3_version()})",
    )


def run_check(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """`pagecheck [check] FILE|DIR ...`; see `add_arguments`."""
    output = _choose_output(ns)
    if isinstance(output, str):
        parser: argparse.ArgumentParser = ns.parser
        parser.error(output)  # raises ArgumentsDone, which `main` turns into 2
    return _check(ns, output, out, err)


COMMANDS = (
    Command(
        "check",
        "pagecheck [check] FILE|DIR ...",
        "check specs (the default command; options below)",
        add_arguments,
        run_check,
        "Check guest page hinting specs for races: prints the shortest bad schedule,\n"
        "or proves there is none.",
    ),
    Command(
        "lint",
        "pagecheck lint MODEL",
        "warnings about a model (exit 1 if any)",
        tools.add_model_argument,
        tools.run_lint,
        tools.LINT_HELP,
    ),
    Command(
        "graph",
        "pagecheck graph MODEL [-o FILE]",
        "the model as Graphviz DOT",
        tools.add_graph_arguments,
        tools.run_graph,
        tools.GRAPH_HELP,
    ),
    Command(
        "equiv",
        "pagecheck equiv MODEL S1 S2",
        "whether two states look the same to the guest",
        tools.add_equiv_arguments,
        tools.run_equiv,
        tools.EQUIV_HELP,
    ),
    Command(
        "explore",
        "pagecheck explore SPEC --move OP",
        "try a call at every other place in its thread",
        explore.add_arguments,
        explore.run_explore,
        explore.EXPLORE_HELP,
    ),
    Command(
        "matrix",
        "pagecheck matrix SPEC... --model M",
        "every spec against every model, as a table",
        matrix.add_arguments,
        matrix.run_matrix,
        matrix.MATRIX_HELP,
    ),
    Command(
        "carry",
        "pagecheck carry SPEC...",
        "which lines of a safe spec carry its proof",
        carry.add_arguments,
        carry.run_carry,
        carry.CARRY_HELP,
    ),
    Command(
        "replay",
        "pagecheck replay SPEC [TRACE.json] [--schedule S]",
        "re-run a saved trace or a given schedule, every state shown",
        replay.add_arguments,
        replay.run_replay,
        replay.REPLAY_HELP,
    ),
    Command(
        "outcomes",
        "pagecheck outcomes SPEC",
        "every reachable final state, with a shortest run to each",
        outcomes.add_arguments,
        outcomes.run_outcomes,
        outcomes.OUTCOMES_HELP,
    ),
)
COMMAND_NAMES = tuple(c.name for c in COMMANDS)


def _commands_text() -> str:
    width = max(len(c.usage) for c in COMMANDS)
    lines = [f"  {c.usage.ljust(width)}  {c.summary}" for c in COMMANDS]
    lines.append(f"  {'pagecheck COMMAND --help'.ljust(width)}  a command's options")
    return "commands:\n" + "\n".join(lines)


def build_parser(out: TextIO, err: TextIO) -> argparse.ArgumentParser:
    """The whole command line: one subparser per command. `pagecheck --help` is the
    check's help, which lists every command."""
    root = StreamArgumentParser(prog="pagecheck", out=out, err=err)
    subparsers = root.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        is_check = command.name == "check"
        sub = subparsers.add_parser(
            command.name,
            help=command.summary,
            prog="pagecheck" if is_check else f"pagecheck {command.name}",
            description=(
                f"{command.description}\n\n{_commands_text()}"
                if is_check
                else command.description or command.summary
            ),
            epilog=EPILOG if is_check else None,
            formatter_class=(
                argparse.RawDescriptionHelpFormatter
                if is_check or "\n" in (command.description or "")
                else argparse.HelpFormatter
            ),
            out=out,
            err=err,
        )
        command.add_arguments(sub)
        sub.set_defaults(run=command.run, parser=sub)
    return root


# --------------------------------------------------------------------------- entry


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run `pagecheck ARGV`; returns the exit status (see `--help`)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMAND_NAMES:
        args = ["check", *args]  # `pagecheck FILE|DIR ...` is a check
    try:
        ns = build_parser(out, err).parse_args(args)
        run: _Run = ns.run
        return run(ns, out, err)
    except ArgumentsDone as stop:  # help, version, or a usage error
        return stop.status
    except SourceError as e:
        print(e.render(), file=err)
        return ExitStatus.INPUT_ERROR
    except InternalError as e:
        print(f"pagecheck: internal error: {e}", file=err)
        return ExitStatus.UNKNOWN
    except ExecutorError as e:
        print(f"pagecheck: error: {e}", file=err)
        return ExitStatus.INPUT_ERROR
    except KeyboardInterrupt:
        print("pagecheck: interrupted", file=err)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:  # `pagecheck ... | head`: the reader went away
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return ExitStatus.EXPECTATION_FAILED


@dataclass(frozen=True, slots=True)
class _Output:
    """Where pictures go: `fmt` is text, mermaid, markdown or dot."""

    fmt: str
    file: Path | None = None


def _choose_output(ns: argparse.Namespace) -> _Output | str:
    """The picture settings, or a usage error message."""
    trace = ns.trace
    path: Path | None = ns.output
    if trace == "full":
        if path is not None:
            return "--trace full is text on stdout; -o FILE takes --trace dot|mermaid"
        return _Output("full")
    if path is None:
        if ns.json and trace in ("mermaid", "dot"):
            return (
                f"--json and --trace {trace} would both print on stdout; "
                "write the picture to a file with -o FILE"
            )
        if trace == "mermaid":
            return _Output("markdown")
        return _Output(trace or "text")
    suffix = path.suffix.lower()
    if suffix in RENDERED:
        if trace not in (None, "dot"):
            return (
                f"{path} is rendered by Graphviz from DOT: use --trace dot, not {trace}"
            )
        return _Output("dot", path)
    fmt = TEXT_FORMATS.get(suffix)
    if fmt is None:
        if trace in (None, "text"):
            return (
                f"cannot tell the picture format of {path}: name it .svg, .png, .pdf, "
                ".dot, .mmd or .md, or give --trace dot|mermaid"
            )
        fmt = "markdown" if trace == "mermaid" else trace
    elif trace is not None and trace != ("dot" if fmt == "dot" else "mermaid"):
        return f"-o {path} holds {fmt}, which does not go with --trace {trace}"
    return _Output(fmt, path)


def _use_color(ns: argparse.Namespace, out: TextIO) -> bool:
    if ns.color != "auto":
        return bool(ns.color == "always")
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty is not None and isatty())


def _check(
    ns: argparse.Namespace, output: _Output, out: TextIO, err: TextIO
) -> ExitStatus:
    if output.file is not None and missing_graphviz(output.file, err):
        return ExitStatus.INPUT_ERROR
    from .report.progress import live_progress

    progress = live_progress(err) if ns.cluster is None else None
    options = replace(options_from(ns), progress=progress, full_coverage=ns.coverage)
    text_report = output.file is not None or output.fmt in ("text", "full")
    color = text_report and _use_color(ns, out)
    results: list[CheckResult] = []
    errors: list[Diagnostic] = []
    codes: list[ExitStatus] = []
    files: list[Path] = []
    for path in ns.paths:
        if not path.exists():
            _input_error(errors, err, f"no such file or folder: {path}", str(path))
            codes.append(ExitStatus.INPUT_ERROR)
            continue
        found = list(spec_files([path]))
        if path.is_dir() and not found:
            message = f"no specs (*.pg files that `use` a model) in {path}"
            _input_error(errors, err, message, str(path))
            codes.append(ExitStatus.INPUT_ERROR)
        files.extend(found)
    pictures: list[tuple[CheckResult, str]] = []
    checks = _checked(ns, files, options, progress, err)
    for path, checked in zip(files, checks, strict=True):
        if checked.diagnostics:
            errors.extend(checked.diagnostics)
            codes.append(ExitStatus.INPUT_ERROR)
            print(SourceError(diagnostics=list(checked.diagnostics)).render(), file=err)
            continue
        if checked.result is None:
            if checked.internal is not None:
                print(f"pagecheck: internal error: {checked.internal}", file=err)
            else:
                print(f"pagecheck: error: {path} not checked: {checked.lost}", file=err)
            codes.append(ExitStatus.UNKNOWN)
            continue
        result = checked.result
        results.append(result)
        codes.append(exit_status(result))
        picture = _picture(result, output.fmt)
        if picture is not None and output.file is not None:
            pictures.append((result, picture))
        if not ns.json:
            _print_result(
                result,
                output=output,
                picture=picture,
                quiet=ns.quiet,
                color=color,
                out=out,
                coverage=ns.coverage,
                every=ns.all_values,
            )
    if ns.json:
        from .report.json import render_json

        versions = {"pagecheck": __version__, "z3": z3_version()}
        document = render_json(
            results, errors, versions=versions, seed=ns.seed, every=ns.all_values
        )
        print(document, file=out)
    if output.file is not None:
        status = _write_pictures(output, pictures, err)
        if status:
            codes.append(status)
    if ns.certificate is not None:
        _write_certificates(ns.certificate, results, err)
    return worst(codes)


def _write_certificates(path: Path, results: list[CheckResult], err: TextIO) -> None:
    """Every proof's invariant into one file; a note when no proof came with one."""
    certificates = [r.certificate for r in results if r.certificate is not None]
    if not certificates:
        print(
            f"pagecheck: no certificate written to {path}: no proof came from "
            "induction",
            file=err,
        )
        return
    path.write_text("\n".join(certificates), encoding="utf-8")


def _checked(
    ns: argparse.Namespace,
    files: Sequence[Path],
    options: Options,
    progress: LiveProgress | None,
    err: TextIO,
) -> Iterator[Checked]:
    """Each file's check, in order: here, one after the other with the live progress
    line, or on a Dask cluster (`--cluster`) with a progress bar of finished checks."""
    if ns.cluster is not None:
        yield from check_files(
            files,
            options,
            executor_from(ns),
            lambda total: ProgressBar(err, "check", total),
        )
        return
    for path in files:
        if progress is not None:
            progress.start(str(path))
        try:
            yield capture(functools.partial(check_file, path, options))
        finally:
            if progress is not None:
                progress.finish()


def _input_error(
    errors: list[Diagnostic], err: TextIO, message: str, file: str
) -> None:
    diagnostic = Diagnostic(None, message, file)
    errors.append(diagnostic)
    print(diagnostic.render(), file=err)


def _picture(result: CheckResult, fmt: str) -> str | None:
    if result.trace is None or fmt in ("text", "full"):
        return None
    if fmt == "dot":
        from .report.msc import trace_to_dot

        return trace_to_dot(result.spec, result.trace, result.file)
    from .report.mermaid import trace_to_mermaid

    return trace_to_mermaid(result.spec, result.trace)


def _print_result(
    result: CheckResult,
    *,
    output: _Output,
    picture: str | None,
    quiet: bool,
    color: bool,
    out: TextIO,
    coverage: bool = False,
    every: bool = False,
) -> None:
    from .report import text

    if output.file is not None or output.fmt in ("text", "full"):
        if quiet:
            print(text.summary_line(result, color=color), file=out)
        else:
            report = text.render_result(
                result,
                color=color,
                coverage=coverage,
                full=output.fmt == "full",
                every=every,
            )
            print(report, file=out)
    elif output.fmt == "dot":  # DOT on stdout: summaries as comments
        print(f"// {text.summary_line(result)}", file=out)
        if picture is not None and not quiet:
            out.write(picture)
    else:  # Markdown on stdout: summaries as paragraphs
        print(text.summary_line(result) + "\n", file=out)
        if picture is not None and not quiet:
            fence = "```"
            out.write(f"{fence}mermaid\n{picture}{fence}\n\n")


def _write_pictures(
    output: _Output, pictures: list[tuple[CheckResult, str]], err: TextIO
) -> ExitStatus:
    """Write (or render) each picture; returns 0, or 2 when one could not be."""
    assert output.file is not None
    if not pictures:
        print(
            f"pagecheck: no violation, so no picture: {output.file} not written",
            file=err,
        )
        return ExitStatus.OK
    targets = _picture_paths(output.file, [r.file for r, _ in pictures])
    for (result, picture), target in zip(pictures, targets, strict=True):
        if output.fmt == "markdown":
            picture = f"{result.file}\n\n```mermaid\n{picture}```\n"
        status = write_picture(picture, target, err)
        if status:
            return status
    return ExitStatus.OK


def _picture_paths(file: Path, specs: Sequence[str]) -> list[Path]:
    """FILE for one picture; FILE-STEM.SUFFIX (STEM the spec's) for each of several."""
    if len(specs) == 1:
        return [file]
    paths: list[Path] = []
    for spec in specs:
        candidate = file.with_name(f"{file.stem}-{Path(spec).stem}{file.suffix}")
        n = 2
        while candidate in paths:
            candidate = file.with_name(
                f"{file.stem}-{Path(spec).stem}-{n}{file.suffix}"
            )
            n += 1
        paths.append(candidate)
    return paths


if __name__ == "__main__":
    raise SystemExit(main())
