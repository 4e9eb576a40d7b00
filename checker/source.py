"""Source text and positions: the first stage, used by every later one.

A `SourceFile` is the text of one `.pg` or `.dot` file with its display name; a `Span`
is a region of it. Rendering a span as a source line with a caret lives here so that
every error and every trace shows positions the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one input file and the name it is reported under."""

    name: str
    text: str
    path: Path | None = field(default=None, compare=False)

    def line(self, number: int) -> str:
        """Line `number` (1-based) without its newline; empty past the end."""
        lines = self.text.splitlines()
        if 1 <= number <= len(lines):
            return lines[number - 1]
        return ""


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based, as editors show them."""

    source: SourceFile = field(repr=False)
    line: int
    col: int
    end_line: int
    end_col: int

    @property
    def file(self) -> str:
        return self.source.name

    def location(self) -> str:
        return f"{self.source.name}:{self.line}:{self.col}"

    def excerpt(self) -> str:
        """The span's first line and a caret line under the spanned columns."""
        text = self.source.line(self.line).replace("\t", " ")
        if self.end_line == self.line and self.end_col > self.col:
            width = self.end_col - self.col
        else:
            width = 1
        width = max(1, min(width, len(text) - self.col + 1 if text else 1))
        return f"{text}\n{' ' * (self.col - 1)}{'^' * width}"


def point(source: SourceFile, line: int, col: int) -> Span:
    """A span of one character."""
    return Span(source, line, col, line, col + 1)


def span_at_offset(source: SourceFile, offset: int) -> Span:
    """The one-character span at a character offset (clamped to the text)."""
    offset = max(0, min(offset, len(source.text)))
    line = source.text.count("\n", 0, offset) + 1
    col = offset - (source.text.rfind("\n", 0, offset) + 1) + 1
    return point(source, line, col)


def read_source(path: Path, name: str | None = None) -> SourceFile:
    """Read a file as UTF-8 text; undecodable bytes are a SourceError at their position."""
    from .errors import SourceError

    display = name if name is not None else str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(None, f"no such file: {display}", file=display) from None
    except IsADirectoryError:
        raise SourceError(None, f"{display} is a directory", file=display) from None
    except OSError as exc:
        raise SourceError(
            None, f"cannot read {display}: {exc.strerror}", file=display
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        source = SourceFile(display, good, path)
        raise SourceError(
            span_at_offset(source, len(good)),
            "the file is not UTF-8 text (is it a binary file?)",
        ) from None
    if "\x00" in text:
        source = SourceFile(display, text, path)
        raise SourceError(
            span_at_offset(source, text.index("\x00")),
            "the file contains a NUL byte (is it a binary file?)",
        )
    return SourceFile(display, text, path)
