"""Command-line plumbing shared by every `pagecheck` subcommand.

An argparse parser that writes to the streams it is given and raises instead of
exiting (so `main(argv, stdout=, stderr=)` is testable in-process), the argument
types whose errors speak the user's language, and the options that choose how specs
are checked (`--engine --bound --timeout --memory --models --seed`), shared by the
check, `explore` and `matrix`; where a sweep's checks run (`-j`, `--cluster`); and
writing a picture to `-o FILE` (text, or rendered by Graphviz), shared by the check
and `graph`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .api import DEFAULT_TIMEOUT, Options
from .engines import DEFAULT_ENGINE, engine_help, engine_names
from .executor import Executor, ProcessPool
from .exit import ExitStatus


class ArgumentsDone(Exception):
    """Parsing ended (help, version or a usage error) with this exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class StreamArgumentParser(argparse.ArgumentParser):
    """argparse printing to the given streams and raising `ArgumentsDone`."""

    def __init__(self, *, out: TextIO, err: TextIO, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.out = out
        self.err = err

    def _print_message(self, message: str, file: Any = None) -> None:
        if not message:
            return
        if file is None or file is sys.stdout:
            file = self.out
        elif file is sys.stderr:
            file = self.err
        file.write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.err.write(message)
        raise ArgumentsDone(status)

    def error(self, message: str) -> NoReturn:
        self.print_usage(self.err)
        self.exit(ExitStatus.INPUT_ERROR, f"{self.prog}: error: {message}\n")


def bound(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of steps, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"the bound must be ≥ 0, got {text}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds, got {text!r}"
        ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"the timeout must be > 0 seconds, got {text}")
    return value


def positive_int(text: str, unit: str = "") -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number{unit and ' of ' + unit}, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {text}")
    return value


def megabytes(text: str) -> int:
    return positive_int(text, "megabytes")


MODELS_HELP = (
    "look for `use NAME` models (and models given by name) in DIR first, then in "
    "models/ beside the spec's folder and above (repeatable; one DIR each)"
)


def add_models_option(parser: argparse.ArgumentParser) -> None:
    """`--models DIR`: where models are searched, with the same meaning everywhere."""
    parser.add_argument(
        "--models",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help=MODELS_HELP,
    )


def add_check_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose how specs are checked (the check, explore, matrix)."""
    parser.add_argument(
        "--engine",
        choices=engine_names(),
        default=DEFAULT_ENGINE,
        help=engine_help(),
    )
    parser.add_argument(
        "--bound",
        type=bound,
        help="steps to explore (overrides the spec's `bound`; default 100)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="time limit per check; reaching it gives `unknown` "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--memory",
        type=megabytes,
        metavar="MB",
        help="memory limit of the explicit engine in megabytes; reaching it gives "
        "`unknown` (default: none; the Z3 engines ignore it)",
    )
    add_models_option(parser)
    parser.add_argument(
        "--seed", type=int, default=0, help="Z3's random seed (default 0)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="a safe verdict that leaves statements, assertions or awaits unreached "
        "fails (exit 1), as `check coverage` in a spec asks",
    )


def options_from(ns: argparse.Namespace) -> Options:
    """The `api.Options` of the options `add_check_options` added."""
    return Options(
        engine=ns.engine,
        bound=ns.bound,
        timeout=ns.timeout,
        memory_mb=ns.memory,
        models_dirs=tuple(ns.models),
        seed=ns.seed,
        strict=ns.strict,
    )


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    """`-j N` and `--cluster ADDRESS`: where the checks of a sweep (`explore`,
    `matrix`) run; `executor_from` reads them."""
    parser.add_argument(
        "-j",
        "--jobs",
        type=positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="checks to run in parallel (default: all cores); with --cluster local, "
        "the local cluster's worker processes",
    )
    add_cluster_option(parser)


def add_cluster_option(parser: argparse.ArgumentParser) -> None:
    """`--cluster ADDRESS`: run the checks on a Dask cluster (`checker.cluster`)."""
    from .cluster import ENVIRONMENT, LOCAL

    parser.add_argument(
        "--cluster",
        default=os.environ.get(ENVIRONMENT) or None,
        metavar="ADDRESS",
        help="run the checks on the Dask scheduler at ADDRESS (tcp://HOST:8786), "
        f"or on a local cluster started for this run ({LOCAL}); needs "
        f"pagecheck[cluster] (default: ${ENVIRONMENT}, else worker processes here)",
    )


def executor_from(ns: argparse.Namespace) -> Executor:
    """Where the options `add_jobs_option` (or `add_cluster_option`) added say the
    checks run: worker processes here, or a Dask cluster (imported only then)."""
    workers: int = getattr(ns, "jobs", None) or os.cpu_count() or 1
    if ns.cluster is None:
        return ProcessPool(workers)
    from .cluster import DaskCluster

    return DaskCluster(ns.cluster, workers)


#: `-o` suffixes that Graphviz renders from DOT (the rest are written as text).
RENDERED = (".svg", ".png", ".pdf")


def missing_graphviz(target: Path, err: TextIO) -> bool:
    """True, after saying so on `err`, when `target` is to be rendered by Graphviz
    and its `dot` is not installed; checked before any work is done."""
    if target.suffix.lower() not in RENDERED or shutil.which("dot") is not None:
        return False
    print(
        f"pagecheck: error: rendering {target} needs Graphviz's `dot`, "
        "which is not installed (not found on PATH); install Graphviz, or "
        "write the DOT text with -o FILE.dot",
        file=err,
    )
    return True


def write_picture(text: str, target: Path, err: TextIO) -> ExitStatus:
    """Write `text` to `target`, or render it (DOT) with Graphviz when `target` is an
    image; says `pagecheck: wrote FILE` on `err`. A failure is an input error."""
    render = target.suffix.lower()
    if render not in RENDERED:
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            print(
                f"pagecheck: error: cannot write {target}: {error.strerror}", file=err
            )
            return ExitStatus.INPUT_ERROR
    else:
        if missing_graphviz(target, err):
            return ExitStatus.INPUT_ERROR
        done = subprocess.run(
            [str(shutil.which("dot")), f"-T{render[1:]}", "-o", str(target)],
            input=text,
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
            return ExitStatus.INPUT_ERROR
    print(f"pagecheck: wrote {target}", file=err)
    return ExitStatus.OK
