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
        """Line `number` (1-based) without its line break; empty past the end.

        Lines end at `\\n` only, as the parser counts them.
        """
        lines = self.text.split("\n")
        if 1 <= number <= len(lines):
            return lines[number - 1].removesuffix("\r")
        return ""

    def offset(self, line: int, col: int) -> int:
        """The character offset of a 1-based line and column (clamped to the text)."""
        lines = self.text.split("\n")
        if line < 1:
            return 0
        if line > len(lines):
            return len(self.text)
        start = sum(len(text) + 1 for text in lines[: line - 1])
        return start + max(0, min(col - 1, len(lines[line - 1])))


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

    def text(self) -> str:
        """The source text the span covers, as written (line breaks included)."""
        start = self.source.offset(self.line, self.col)
        return self.source.text[start : self.source.offset(self.end_line, self.end_col)]

    def one_line(self) -> str:
        """The spanned source on one line, as messages quote it: comments dropped,
        white space collapsed."""
        parts = []
        for n in range(self.line, self.end_line + 1):
            line = self.source.line(n)
            start = self.col - 1 if n == self.line else 0
            stop = self.end_col - 1 if n == self.end_line else len(line)
            parts.append(line[start:stop].split("#")[0])
        return " ".join(" ".join(parts).split())

    def excerpt(self) -> str:
        """The span's first line and a caret line under the spanned columns.

        Characters a terminal would not show as themselves (control bytes, say, in a
        binary file) are escaped, and the caret moves with them.
        """
        text = self.source.line(self.line).replace("\t", " ")
        if self.end_line == self.line and self.end_col > self.col:
            width = self.end_col - self.col
        else:
            width = 1
        width = max(1, min(width, len(text) - self.col + 1 if text else 1))
        before = printable(text[: self.col - 1])
        under = printable(text[self.col - 1 : self.col - 1 + width])
        rest = printable(text[self.col - 1 + width :])
        return f"{before}{under}{rest}\n{' ' * len(before)}{'^' * max(1, len(under))}"


def printable(text: str) -> str:
    """`text` with each character a terminal would not print as itself escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def point(source: SourceFile, line: int, col: int) -> Span:
    """A span of one character."""
    return Span(source, line, col, line, col + 1)


def span_at_offset(source: SourceFile, offset: int) -> Span:
    """The one-character span at a character offset (clamped to the text)."""
    offset = max(0, min(offset, len(source.text)))
    line = source.text.count("\n", 0, offset) + 1
    col = offset - (source.text.rfind("\n", 0, offset) + 1) + 1
    return point(source, line, col)
