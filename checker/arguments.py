"""Command-line plumbing shared by every `pagecheck` subcommand.

An argparse parser that writes to the streams it is given and raises instead of
exiting (so `main(argv, stdout=, stderr=)` is testable in-process), and the argument
types whose errors speak the user's language.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn, TextIO

EXIT_INPUT = 2


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
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


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


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {text}")
    return value
