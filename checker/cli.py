"""The `pagecheck` command: argument parsing, dispatch and exit statuses.

Exit statuses: 0 every spec got its expected verdict; 1 some spec did not; 2 an input
error; 3 a verdict was `unknown` (or pagecheck failed internally). With several specs
the first of 2, 3, 1, 0 that applies wins.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .api import DEFAULT_TIMEOUT, Options, check_file, spec_files
from .errors import Diagnostic, InternalError, SourceError
from .result import CheckResult, Verdict

EXIT_OK, EXIT_UNMET, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3

EPILOG = """\
exit status:
  0  every spec got its expected verdict (a spec without `expect` must be safe)
  1  some spec did not get its expected verdict
  2  input error (file:line:col: error: ...)
  3  a verdict was unknown (time or size limit), or pagecheck failed internally
  with several specs, the first of 2, 3, 1, 0 that applies wins
"""

SUBCOMMANDS = ("check", "lint", "graph", "explore", "matrix")


def z3_version() -> str:
    try:
        import z3

        return str(z3.get_version_string())
    except Exception:  # noqa: BLE001 - the version line must not fail
        return "unavailable"


def _worst(codes: Sequence[int]) -> int:
    for code in (EXIT_INPUT, EXIT_UNKNOWN, EXIT_UNMET):
        if code in codes:
            return code
    return EXIT_OK


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"the timeout must be > 0 seconds, got {text}")
    return value


def _bound(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of steps, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"the bound must be ≥ 0, got {text}")
    return value


def add_check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=("z3", "explicit"), default="z3", help="z3 (default): bounded model checking with proofs; explicit: breadth-first state enumeration")
    p.add_argument("--bound", type=_bound, help="steps to explore (overrides the spec's `bound`; default 100)")
    p.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS", help=f"time limit per spec; reaching it gives `unknown` (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--models", action="append", type=Path, default=[], metavar="DIR", help="also look for `use NAME` models in DIR (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="Z3's random seed (default 0)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pagecheck",
        description="Check guest page hinting specs for races: prints the shortest bad schedule, or proves there is none.",
        epilog=EPILOG + "\nother commands: pagecheck lint MODEL, pagecheck graph MODEL, pagecheck explore SPEC --move OP, pagecheck matrix SPECS --models M...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="FILE|DIR", help="spec files, or folders to search for specs")
    add_check_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the text report")
    p.add_argument("--trace", choices=("text", "mermaid", "dot"), default="text", help="how to show a violating schedule")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="with --trace dot: write the picture (FILE.svg renders with Graphviz)")
    p.add_argument("-q", "--quiet", action="store_true", help="only the one-line summaries")
    p.add_argument("--version", action="version", version=f"pagecheck {__version__} (z3 {z3_version()})")
    return p


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
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


class _ArgumentError(Exception):
    pass


def parse_args(parser: argparse.ArgumentParser, args: Sequence[str], err: TextIO) -> argparse.Namespace | int:
    """argparse, but returning the exit status instead of exiting (2 on a usage error)."""
    old_stderr, old_stdout = sys.stderr, sys.stdout
    sys.stderr = err
    try:
        return parser.parse_args(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    finally:
        sys.stderr, sys.stdout = old_stderr, old_stdout


def _check_main(args: Sequence[str], out: TextIO, err: TextIO) -> int:
    parser = build_parser()
    old_stdout = sys.stdout
    sys.stdout = out
    try:
        ns = parse_args(parser, args, err)
    finally:
        sys.stdout = old_stdout
    if isinstance(ns, int):
        return ns
    options = Options(engine=ns.engine, bound=ns.bound, timeout=ns.timeout, models_dirs=tuple(ns.models), seed=ns.seed)
    results: list[CheckResult] = []
    errors: list[Diagnostic] = []
    codes: list[int] = []
    files = []
    for path in ns.paths:
        if not path.exists():
            errors.append(Diagnostic(None, f"no such file or folder: {path}", str(path)))
            codes.append(EXIT_INPUT)
            continue
        found = list(spec_files([path]))
        if path.is_dir() and not found:
            errors.append(Diagnostic(None, f"no specs (*.pg files that `use` a model) in {path}", str(path)))
            codes.append(EXIT_INPUT)
        files.extend(found)
    from .report import text

    for path in files:
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
        results.append(result)
        if result.verdict == Verdict.UNKNOWN:
            codes.append(EXIT_UNKNOWN)
        elif not result.expectation_met:
            codes.append(EXIT_UNMET)
        else:
            codes.append(EXIT_OK)
        if not ns.json:
            if ns.quiet:
                print(text.summary_line(result), file=out)
            else:
                print(text.render_result(result), file=out)
    for d in errors:
        if d.span is None:
            print(d.render(), file=err)
    if ns.json:
        from .report.json import render_json

        print(render_json(results, errors, versions={"pagecheck": __version__, "z3": z3_version()}, seed=ns.seed), file=out)
    return _worst(codes)


if __name__ == "__main__":
    raise SystemExit(main())
