"""The tools behind `pagecheck lint|graph|explore|matrix`: arguments -> exit status.

`lint` and `graph` read one model (a path, or a model name looked up like `use NAME`)
and print warnings or DOT; `explore` and `matrix` live in `checker.explore`, loaded
only when asked for. Exit statuses: 0 clean, 1 `lint` found something, 2 input error.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import ir
from .arguments import ArgumentsDone, StreamArgumentParser
from .errors import SourceError
from .files import find_model
from .load import load_model

if TYPE_CHECKING:
    pass

EXIT_OK, EXIT_FOUND, EXIT_INPUT = 0, 1, 2

_Runner = Callable[[argparse.Namespace, TextIO], int]


def build_parser(out: TextIO, err: TextIO) -> argparse.ArgumentParser:
    parser = StreamArgumentParser(prog="pagecheck", out=out, err=err)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run, help_text in (
        (
            "lint",
            _lint,
            "warn about undefined operations, unreachable states, "
            "nondeterministic matches and unused operations (exit 1 if any)",
        ),
        ("graph", _graph, "print the model's transition diagram as Graphviz DOT"),
    ):
        sub = commands.add_parser(
            name, help=help_text, description=help_text, out=out, err=err
        )
        sub.add_argument(
            "model", metavar="MODEL", help="a model file, or a model's name"
        )
        sub.add_argument(
            "--models",
            action="append",
            type=Path,
            default=[],
            metavar="DIR",
            help="look for a model given by name in DIR (repeatable; then in ./models)",
        )
        sub.set_defaults(run=run)
    return parser


def run_tool(name: str, args: Sequence[str], out: TextIO, err: TextIO) -> int:
    """Run `pagecheck NAME ARGS...`; input errors are printed to `err` (status 2)."""
    if name in ("explore", "matrix"):
        return _run_explore(name, args, out, err)
    try:
        ns = build_parser(out, err).parse_args([name, *args])
    except ArgumentsDone as stop:
        return stop.status
    run: _Runner = ns.run
    try:
        return run(ns, out)
    except SourceError as error:
        print(error.render(), file=err)
        return EXIT_INPUT


def _run_explore(name: str, args: Sequence[str], out: TextIO, err: TextIO) -> int:
    module = f"{__package__}.explore"
    try:
        explore = importlib.import_module(module)
    except ModuleNotFoundError as missing:
        if missing.name != module:
            raise
        print(f"pagecheck: {name} is not available", file=err)
        return EXIT_INPUT
    runner: Callable[[Sequence[str], TextIO, TextIO], int] = getattr(
        explore, f"run_{name}"
    )
    return runner(list(args), out, err)


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


def _lint(ns: argparse.Namespace, out: TextIO) -> int:
    from .lint import lint_model

    model = resolve_model(ns.model, ns.models)
    findings = lint_model(model)
    for finding in findings:
        print(finding.render(model.source.name), file=out)
    return EXIT_FOUND if findings else EXIT_OK


def _graph(ns: argparse.Namespace, out: TextIO) -> int:
    from .report.graph import model_to_dot

    out.write(model_to_dot(resolve_model(ns.model, ns.models)))
    return EXIT_OK
