"""`pagecheck lint|graph|equiv MODEL`: parsed arguments -> exit status.

Each reads one model: a path, or a model's name looked up like `use NAME` (on
`--models DIR`, then in `models/` here and above). `lint` prints warnings (exit 1 if
any); `graph` prints DOT, or writes it with `-o FILE` (`.svg`, `.png`, `.pdf` rendered
by Graphviz); `equiv MODEL S1 S2` says whether two states look the same to the guest
(exit 1 if they differ). Input errors exit 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import ir
from .arguments import add_models_option, missing_graphviz, write_picture
from .errors import SourceError
from .exit import ExitStatus
from .files import find_model
from .load import load_model

LINT_HELP = (
    "warn about undefined operations, unreachable states, nondeterministic matches "
    "and unused operations (exit 1 if any)"
)
GRAPH_HELP = "print the model's transition diagram as Graphviz DOT"
EQUIV_HELP = (
    "whether two states of a model look the same to the guest (weak trace equivalence,"
    " host actions internal), with a distinguishing sequence of guest operations if"
    " not (exit 1 then)"
)


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    """`MODEL [--models DIR]`, the arguments of `lint` and `graph`."""
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="a model file, or a model's name (found like `use NAME`)",
    )
    add_models_option(parser)


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_argument(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write the DOT to FILE instead (.svg/.png/.pdf: rendered by Graphviz)",
    )


def add_equiv_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_argument(parser)
    for name in ("first", "second"):
        parser.add_argument(
            name,
            metavar="S1" if name == "first" else "S2",
            help="a state (`Sr` or `S.r`), flags set with `+`: `Pr+dirty`",
        )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="OP",
        help="a guest operation the guest does not use (repeatable)",
    )


def resolve_model(text: str, models_dirs: Sequence[Path]) -> ir.Model:
    """Load the model `text` names: a file path, else a model name found like `use`."""
    path = Path(text)
    if path.is_file() or path.suffix == ".pg" or len(path.parts) > 1:
        return load_model(path, text)
    found = find_model(text, Path(), models_dirs)
    if found is None:
        where = ", ".join(str(d) for d in [*models_dirs, Path("models")])
        raise SourceError(
            None,
            f"no model file or model named {text!r} (looked in {where})",
            file=text,
        )
    return load_model(found, str(found))


def run_lint(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    from .lint import lint_model

    model = resolve_model(ns.model, ns.models)
    findings = lint_model(model)
    for finding in findings:
        print(finding.render(model.source.name), file=out)
    # A finding fails the expectation that a model is clean.
    return ExitStatus.EXPECTATION_FAILED if findings else ExitStatus.OK


def run_graph(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    from .report.graph import model_to_dot

    target: Path | None = ns.output
    if target is not None and missing_graphviz(target, err):
        return ExitStatus.INPUT_ERROR
    dot = model_to_dot(resolve_model(ns.model, ns.models))
    if target is None:
        out.write(dot)
        return ExitStatus.OK
    return write_picture(dot, target, err)


def run_equiv(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    from .equiv import compare, render

    model = resolve_model(ns.model, ns.models)
    without = frozenset(ns.without)
    comparison = compare(model, ns.first, ns.second, without)
    out.write(render(model, comparison, without))
    return ExitStatus.OK if comparison.equivalent else ExitStatus.EXPECTATION_FAILED
