"""Files: a path -> its `SourceFile` and parse tree; finding a model by name.

The stage between the file system and the checking stages: reading (UTF-8 without NUL
bytes; anything else is a `SourceError` at the offending byte), parsing each text once
per process, and the search for the model a spec's `use NAME` names, which reads only
the files' `model` lines.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path

from . import syntax as ast
from .errors import SourceError
from .parser import parse
from .source import SourceFile, point, span_at_offset


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
    return decode_source(data, display, path)


def decode_source(data: bytes, name: str, path: Path | None = None) -> SourceFile:
    """A file's bytes as UTF-8 text; undecodable bytes or a NUL are a SourceError at
    their position. `path` is where the bytes came from (for relative paths)."""
    display = name
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
    """Read and parse a `.pg` file; the same text is parsed once per process.

    A Graphviz file (by its suffix, or by its first word when it does not parse) is
    an error that says how DOT is imported.
    """
    source = read_source(path, name)
    if path.suffix.lower() in (".dot", ".gv"):
        raise _dot_given(source)
    try:
        return source, parsed(source)
    except SourceError:
        if _DOT_START.match(source.text):
            raise _dot_given(source) from None
        raise


#: What a DOT file starts with: comments, then `[strict] digraph` or `graph`.
_DOT_START = re.compile(
    r"(\s+|//[^\n]*|/\*.*?\*/|#[^\n]*)*(strict\s+)?(di)?graph\b", re.DOTALL
)


def _dot_given(source: SourceFile) -> SourceError:
    stem = re.sub(r"\W", "_", Path(source.name).stem)
    name = stem if stem.isidentifier() else f"m_{stem}"
    file = Path(source.name).name
    return SourceError(
        point(source, 1, 1),
        f"{source.name} is a Graphviz (DOT) file, not a model or spec: a model"
        f' imports its transitions with `model {name} from dot "{file}"`'
        " (the path relative to the model's file)",
    )


def parsed(source: SourceFile) -> ast.File:
    """A text's parse tree; the same text is parsed once per process."""
    return _parsed(source.name, source.text, source.path)


@functools.lru_cache(maxsize=1024)
def _parsed(name: str, text: str, path: Path | None) -> ast.File:
    """Keyed by the text itself, not the file's time stamp: a file rewritten within
    the time stamp's resolution is still parsed anew."""
    return parse(SourceFile(name, text, path))


#: A `model NAME` declaration at the start of a line (comments start with `#`, and no
#: other declaration or statement can start with the keyword `model`).
_MODEL_LINE = re.compile(r"^[ \t]*model[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def model_name(path: Path) -> str | None:
    """The name a file's `model` line declares, found without parsing the file; None
    for a spec or a file that cannot be read. Remembered while the file's size and
    time stamp stay the same."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _model_name(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _model_name(path: Path, mtime_ns: int, size: int) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = _MODEL_LINE.search(text)
    return found.group(1) if found else None


def is_model_file(path: Path) -> bool:
    """True for a model (a file with a `model` line), skipped when specs are searched."""
    return model_name(path) is not None


def find_model(name: str, spec_dir: Path, models_dirs: Sequence[Path]) -> Path | None:
    """`use NAME`: NAME.pg on --models, then in `models/` beside the spec's folder
    (or above it); failing that, a file there whose `model` line says NAME."""
    dirs = [*models_dirs, *model_folders(spec_dir)]
    for d in dirs:
        candidate = d / f"{name}.pg"
        if candidate.is_file():
            return candidate
    for d in dirs:
        for candidate in _pg_files(d):
            if model_name(candidate) == name:
                return candidate
    return None


def _pg_files(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".pg"))
    except OSError:
        return []
    return [folder / n for n in names]


def model_folders(spec_dir: Path) -> list[Path]:
    """`models/` beside the spec's folder, inside it, then beside each folder above.

    The spec's folder is made absolute first: `.`, for a spec named from its own
    folder, has no parent to look beside.
    """
    spec_dir = Path(os.path.abspath(spec_dir))
    folders = [spec_dir.parent / "models", spec_dir / "models"]
    folders += [a / "models" for a in spec_dir.parents[1:]]
    return folders


def shown_path(path: Path) -> str:
    """A path as messages show it: relative to the working folder when that is
    shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)
    return relative if len(relative) < len(str(path)) else str(path)


def nearest_model_folders(spec_dir: Path, models_dirs: Sequence[Path]) -> list[Path]:
    """`--models` folders, then those of `models/` beside and inside the spec's folder
    that hold models (or the one beside it, when neither does)."""
    near = model_folders(spec_dir)[:2]
    return [*models_dirs, *([d for d in near if _pg_files(d)] or near[:1])]


def known_model_names(spec_dir: Path, models_dirs: Sequence[Path]) -> list[str]:
    """The names `use` could find in the nearest folders (for "did you mean")."""
    names: list[str] = []
    for d in nearest_model_folders(spec_dir, models_dirs):
        for p in _pg_files(d):
            names.extend(filter(None, (p.stem, model_name(p))))
    return names


def display_path(source: SourceFile, relative: str) -> str:
    """How to show a path written in `source` (relative to its folder) in messages."""
    parent = Path(source.name).parent
    return str(parent / relative) if str(parent) != "." else relative
