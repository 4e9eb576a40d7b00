"""The one error hierarchy: user errors carry a position, internal errors are bugs.

`SourceError` renders as `file:line:col: error: message`, the source line and a caret,
optionally followed by `note:` lines; the CLI prints it and exits with status 2. The
checking stages gather diagnostics in an `ErrorCollector` and raise them together.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from .source import Span


class PagecheckError(Exception):
    """Root of every error pagecheck raises on purpose."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in the input, at a place."""

    span: Span | None
    message: str
    file: str | None = None
    notes: tuple[tuple[Span | None, str], ...] = ()

    def render(self) -> str:
        if self.span is None:
            head = f"{self.file or 'pagecheck'}: error: {self.message}"
            lines = [head]
        else:
            lines = [
                f"{self.span.location()}: error: {self.message}",
                self.span.excerpt(),
            ]
        for span, note in self.notes:
            where = f"{span.location()}: " if span is not None else ""
            lines.append(f"{where}note: {note}")
        return "\n".join(lines)

    def sort_key(self) -> tuple[str, int, int]:
        if self.span is None:
            return (self.file or "", 0, 0)
        return (self.span.file, self.span.line, self.span.col)


class SourceError(PagecheckError):
    """Bad input: one or more diagnostics, each with a position where one is known."""

    def __init__(
        self,
        span: Span | None = None,
        message: str = "",
        *,
        file: str | None = None,
        notes: Sequence[tuple[Span | None, str]] = (),
        diagnostics: Iterable[Diagnostic] = (),
    ) -> None:
        diags = list(diagnostics)
        if message:
            diags.insert(0, Diagnostic(span, message, file, tuple(notes)))
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diags)
        super().__init__(self.render())

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


class Abort(Exception):
    """Stops checking one construct after its error was recorded (never escapes)."""


@dataclass
class ErrorCollector:
    """The diagnostics of one file, gathered so that every error is reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(
        self,
        span: Span | None,
        message: str,
        notes: Sequence[tuple[Span | None, str]] = (),
    ) -> None:
        self.items.append(Diagnostic(span, message, None, tuple(notes)))

    def unknown(
        self, span: Span | None, what: str, name: str, candidates: Iterable[str]
    ) -> None:
        """`unknown flag 'dirt' (did you mean 'dirty'?)`."""
        self.error(span, f"unknown {what} {quote(name)}{suggest(name, candidates)}")

    def fatal(self, span: Span | None, message: str) -> NoReturn:
        """Record an error and stop checking the construct (`Abort`)."""
        self.error(span, message)
        raise Abort

    def raise_if_any(self) -> None:
        if self.items:
            raise SourceError(diagnostics=sorted(self.items, key=Diagnostic.sort_key))


def suggest(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the nearest candidate, or nothing."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean {quote(close[0])}?)" if close else ""


def plural(count: int, noun: str) -> str:
    """The noun for `count` things: `state`, `states` (regular plurals only)."""
    return noun if count == 1 else f"{noun}s"


def quote(name: str) -> str:
    """A name as messages show it: `'Sr'`."""
    return f"'{name}'"


class InternalError(PagecheckError):
    """A bug in pagecheck, e.g. a counterexample that does not replay."""


class LimitReached(PagecheckError):
    """A time, memory or size limit stopped a check; the verdict becomes `unknown`."""
