"""Files: a path -> its `SourceFile` (the text, checked to be UTF-8 without NUL bytes).

The stage between the file system and the parser; undecodable input is a `SourceError`
at the offending byte.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SourceError
from .source import SourceFile, span_at_offset


def read_source(path: Path, name: str | None = None) -> SourceFile:
    """Read a file as UTF-8 text; undecodable bytes are a SourceError at their position."""
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
