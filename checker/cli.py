"""The `pagecheck` command: argument parsing, dispatch, output and exit statuses.

Stage: the top (with the pytest plugin). Input: the command line; output: the reports
on stdout, input errors and the live progress line on stderr, and the exit status:
0 every spec got its expected verdict; 1 some spec did not; 2 an input error (or a
usage error); 3 a verdict was `unknown` (or pagecheck failed internally). With several
specs the first of 2, 3, 1, 0 that applies wins. `pagecheck lint|graph|explore|matrix`
are dispatched to `checker.tools.run_tool`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .api import DEFAULT_TIMEOUT, Options, check_file, spec_files
from .arguments import ArgumentsDone, StreamArgumentParser, bound, seconds
from .errors import Diagnostic, InternalError, SourceError
from .result import CheckResult, Verdict

if TYPE_CHECKING:
    pass

EXIT_OK, EXIT_UNMET, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3

EPILOG = """\
exit status:
  0  every spec got its expected verdict (a spec without `expect` must be safe)
  1  some spec did not get its expected verdict
  2  input error (file:line:col: error: ...), or a bad command line
  3  a verdict was unknown (time or size limit), or pagecheck failed internally
  with several specs, the first of 2, 3, 1, 0 that applies wins

pictures of a violating schedule:
  --trace mermaid      Markdown with a Mermaid sequenceDiagram per violation
                       (GitHub renders it: PR comments, $GITHUB_STEP_SUMMARY)
  --trace dot          a Graphviz message sequence chart per violation
  -o trace.svg         render the chart with Graphviz's `dot` (also .png, .pdf);
                       -o FILE.dot / .mmd / .md writes the text instead

other commands: pagecheck lint MODEL, pagecheck graph MODEL,
  pagecheck explore SPEC --move OP, pagecheck matrix SPECS --models M...
"""

SUBCOMMANDS = ("check", "lint", "graph", "explore", "matrix")

#: `-o` suffixes: what they hold, and whether Graphviz renders them.
RENDERED = (".svg", ".png", ".pdf")
TEXT_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
TEXT_FORMATS[".md"] = "markdown"


def z3_version() -> str:
    try:
        from .smt import z3_version as version

        return version()
    except Exception:  # the version line must not fail
        return "unavailable"


def worst(codes: Sequence[int]) -> int:
    """The exit status of several specs: the first of 2, 3, 1, 0 that occurs."""
    for code in (EXIT_INPUT, EXIT_UNKNOWN, EXIT_UNMET):
        if code in codes:
            return code
    return EXIT_OK


def exit_status(result: CheckResult) -> int:
    if result.verdict == Verdict.UNKNOWN:
        return EXIT_UNKNOWN
    return EXIT_OK if result.expectation_met else EXIT_UNMET


# --------------------------------------------------------------------------- arguments


def add_check_options(p: argparse.ArgumentParser) -> None:
    """The options that choose how specs are checked (shared with other commands)."""
    p.add_argument(
        "--engine",
        choices=("z3", "explicit"),
        default="z3",
        help="z3 (default): bounded model checking with proofs; "
        "explicit: breadth-first state enumeration",
    )
    p.add_argument(
        "--bound",
        type=bound,
        help="steps to explore (overrides the spec's `bound`; default 100)",
    )
    p.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="time limit per spec; reaching it gives `unknown` "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--models",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="look for `use NAME` models in DIR first (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="Z3's random seed (default 0)")


def build_parser(out: TextIO, err: TextIO) -> argparse.ArgumentParser:
    p = StreamArgumentParser(
        prog="pagecheck",
        description="Check guest page hinting specs for races: prints the shortest "
        "bad schedule, or proves there is none.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        out=out,
        err=err,
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="FILE|DIR",
        help="spec files, or folders to search for specs (model files are skipped)",
    )
    add_check_options(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document instead of the text report",
    )
    p.add_argument(
        "--trace",
        choices=("text", "mermaid", "dot"),
        help="how to show a violating schedule: a table (text, the default), "
        "a Mermaid sequence diagram or a Graphviz chart",
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
    return p


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
    try:
        if args and args[0] in SUBCOMMANDS[1:]:
            from .tools import run_tool

            return run_tool(args[0], args[1:], out, err)
        if args and args[0] == "check":
            args = args[1:]
        return _check_main(args, out, err)
    except SourceError as e:
        print(e.render(), file=err)
        return EXIT_INPUT
    except InternalError as e:
        print(f"pagecheck: internal error: {e}", file=err)
        return EXIT_UNKNOWN
    except KeyboardInterrupt:
        print("pagecheck: interrupted", file=err)
        return 130
    except BrokenPipeError:  # `pagecheck ... | head`: the reader went away
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1


@dataclass(frozen=True, slots=True)
class _Output:
    """Where pictures go: `fmt` is text, mermaid, markdown or dot."""

    fmt: str
    file: Path | None = None
    render: str | None = None  # Graphviz output format (svg, png, pdf)


def _choose_output(ns: argparse.Namespace) -> _Output | str:
    """The picture settings, or a usage error message."""
    trace = ns.trace
    path: Path | None = ns.output
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
        return _Output("dot", path, suffix[1:])
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


def _check_main(args: Sequence[str], out: TextIO, err: TextIO) -> int:
    parser = build_parser(out, err)
    try:
        ns = parser.parse_args(args)
        output = _choose_output(ns)
        if isinstance(output, str):
            parser.error(output)
    except ArgumentsDone as stop:
        return stop.status
    dot_program = None
    if output.render is not None:
        dot_program = shutil.which("dot")
        if dot_program is None:
            print(
                f"pagecheck: error: rendering {output.file} needs Graphviz's `dot`, "
                "which is not installed (not found on PATH); install Graphviz, or "
                "write the DOT text with -o FILE.dot",
                file=err,
            )
            return EXIT_INPUT
    from .report.progress import live_progress

    progress = live_progress(err)
    options = Options(
        engine=ns.engine,
        bound=ns.bound,
        timeout=ns.timeout,
        models_dirs=tuple(ns.models),
        seed=ns.seed,
        progress=progress,
    )
    text_report = output.file is not None or output.fmt == "text"
    color = text_report and _use_color(ns, out)
    results: list[CheckResult] = []
    errors: list[Diagnostic] = []
    codes: list[int] = []
    files: list[Path] = []
    for path in ns.paths:
        if not path.exists():
            _input_error(errors, err, f"no such file or folder: {path}", str(path))
            codes.append(EXIT_INPUT)
            continue
        found = list(spec_files([path]))
        if path.is_dir() and not found:
            message = f"no specs (*.pg files that `use` a model) in {path}"
            _input_error(errors, err, message, str(path))
            codes.append(EXIT_INPUT)
        files.extend(found)
    pictures: list[tuple[CheckResult, str]] = []
    for path in files:
        if progress is not None:
            progress.start(str(path))
        try:
            result = check_file(path, options)
        except SourceError as e:
            errors.extend(e.diagnostics)
            codes.append(EXIT_INPUT)
            print(e.render(), file=err)
            continue
        except InternalError as e:
            print(f"pagecheck: internal error: {e}", file=err)
            codes.append(EXIT_UNKNOWN)
            continue
        finally:
            if progress is not None:
                progress.finish()
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
            )
    if ns.json:
        from .report.json import render_json

        versions = {"pagecheck": __version__, "z3": z3_version()}
        print(render_json(results, errors, versions=versions, seed=ns.seed), file=out)
    if output.file is not None:
        status = _write_pictures(output, pictures, dot_program, err)
        if status:
            codes.append(status)
    return worst(codes)


def _input_error(
    errors: list[Diagnostic], err: TextIO, message: str, file: str
) -> None:
    diagnostic = Diagnostic(None, message, file)
    errors.append(diagnostic)
    print(diagnostic.render(), file=err)


def _picture(result: CheckResult, fmt: str) -> str | None:
    if result.trace is None or fmt == "text":
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
) -> None:
    from .report import text

    if output.file is not None or output.fmt == "text":
        if quiet:
            print(text.summary_line(result, color=color), file=out)
        else:
            print(text.render_result(result, color=color), file=out)
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
    output: _Output,
    pictures: list[tuple[CheckResult, str]],
    dot_program: str | None,
    err: TextIO,
) -> int:
    """Write (or render) each picture; returns 0, or 2 when Graphviz failed."""
    assert output.file is not None
    if not pictures:
        print(
            f"pagecheck: no violation, so no picture: {output.file} not written",
            file=err,
        )
        return EXIT_OK
    targets = _picture_paths(output.file, [r.file for r, _ in pictures])
    for (result, picture), target in zip(pictures, targets, strict=True):
        if output.fmt == "markdown":
            picture = f"{result.file}\n\n```mermaid\n{picture}```\n"
        if output.render is None:
            try:
                target.write_text(picture, encoding="utf-8")
            except OSError as error:
                print(
                    f"pagecheck: error: cannot write {target}: {error.strerror}",
                    file=err,
                )
                return EXIT_INPUT
        else:
            assert dot_program is not None
            done = subprocess.run(
                [dot_program, f"-T{output.render}", "-o", str(target)],
                input=picture,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                print(
                    f"pagecheck: error: Graphviz could not render {target}: "
                    f"{done.stderr.strip()}",
                    file=err,
                )
                return EXIT_INPUT
        print(f"pagecheck: wrote {target}", file=err)
    return EXIT_OK


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
