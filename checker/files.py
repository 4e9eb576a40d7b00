"""Files: a path -> its `SourceFile` and parse tree; finding a model by name.

The stage between the file system and the checking stages: reading (UTF-8 without NUL
bytes; anything else is a `SourceError` at the offending byte) and the search for the
model a spec's `use NAME` names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import syntax as ast
from .errors import SourceError
from .parser import parse
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


def parse_file(path: Path, name: str | None = None) -> tuple[SourceFile, ast.File]:
    """Read and parse a `.pg` file."""
    source = read_source(path, name)
    return source, parse(source)


def is_model_file(path: Path) -> bool:
    """True when the file parses as a model (used to skip models in folders)."""
    try:
        return parse_file(path)[1].header is not None
    except SourceError:
        return False


def find_model(name: str, spec_dir: Path, models_dirs: Sequence[Path]) -> Path | None:
    """`use NAME`: NAME.pg on --models, then in `models/` beside the spec's folder
    (or above it)."""
    dirs = [*models_dirs, *model_folders(spec_dir)]
    for d in dirs:
        candidate = d / f"{name}.pg"
        if candidate.is_file():
            return candidate
    for d in dirs:
        if not d.is_dir():
            continue
        for candidate in sorted(d.glob("*.pg")):
            try:
                header = parse_file(candidate)[1].header
            except SourceError:
                continue
            if header is not None and header.name.name == name:
                return candidate
    return None


def model_folders(spec_dir: Path) -> list[Path]:
    """`models/` beside the spec's folder, inside it, then beside each folder above."""
    folders = [spec_dir.parent / "models", spec_dir / "models"]
    folders += [a / "models" for a in spec_dir.resolve().parents[1:]]
    return folders


def known_model_names(spec_dir: Path, models_dirs: Sequence[Path]) -> list[str]:
    names: list[str] = []
    for d in [*models_dirs, *model_folders(spec_dir)[:2]]:
        if d.is_dir():
            names.extend(p.stem for p in d.glob("*.pg"))
    return names


def display_path(source: SourceFile, relative: str) -> str:
    """How to show a path written in `source` (relative to its folder) in messages."""
    parent = Path(source.name).parent
    return str(parent / relative) if str(parent) != "." else relative
