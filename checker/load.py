"""Loading: a `.pg` path -> `ir.Model` or `ir.Spec`, the front end's entry points.

Reads and parses a file (`files`), checks it as a model (`check_model`) or as a spec
(`check_spec`), and for a spec first resolves its `use`: a model name is searched for
on `--models` and in the `models/` folders near the spec, a quoted path is relative
to the spec's folder. Errors in the used model are reported with a note pointing back
at the `use` line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from . import ir
from . import syntax as ast
from .check_model import check_model_tree
from .check_spec import check_spec_tree
from .errors import SourceError, quote, suggest
from .files import (
    display_path,
    find_model,
    known_model_names,
    nearest_model_folders,
    parse_file,
    parsed,
    shown_path,
)
from .source import SourceFile


def load(
    path: Path, *, models_dirs: Sequence[Path] = (), display: str | None = None
) -> ir.Model | ir.Spec:
    """Read, parse and check one `.pg` file (a model or a spec)."""
    source, tree = parse_file(path, display)
    if tree.header is not None:
        return check_model_tree(tree, source)
    return check_parsed_spec(tree, source, models_dirs=models_dirs)


def load_spec(
    path: Path, *, models_dirs: Sequence[Path] = (), display: str | None = None
) -> ir.Spec:
    """Like `load`, but a model file is an error: a spec is what can be checked."""
    source, model = read_spec(path, models_dirs=models_dirs, display=display)
    return check_parsed_spec(parsed(source), source, model=model)


def read_spec(
    path: Path, *, models_dirs: Sequence[Path] = (), display: str | None = None
) -> tuple[SourceFile, ModelFile]:
    """Read a spec file and the model file it uses: everything `load_spec` needs the
    file system for (its errors are those `load_spec` would raise first)."""
    source, tree = parse_file(path, display)
    header = tree.header
    if header is not None:
        raise SourceError(
            header.span,
            f"{source.name} is a model, not a spec:"
            f" check a spec that says `use {header.name.name}`",
        )
    return source, read_used_model(tree, source, models_dirs=models_dirs)


def load_model(path: Path, display: str | None = None) -> ir.Model:
    """Read, parse and check a model file; a spec is an error."""
    source, tree = parse_file(path, display)
    if tree.header is None:
        if not tree.items:
            raise SourceError(
                None,
                "the file is empty: expected a model (`model NAME`)",
                file=source.name,
            )
        use = next((i for i in tree.items if isinstance(i, ast.UseDecl)), None)
        hint = (
            f": give the model it uses (`use {use.target}`) instead"
            if use is not None and not use.is_path
            else "; a model starts with `model NAME`"
        )
        raise SourceError(
            tree.items[0].span, f"{source.name} is a spec, not a model{hint}"
        )
    return check_model_tree(tree, source)


@dataclass(frozen=True, slots=True)
class ModelFile:
    """The model file a spec's `use` names, read: its text (with the name messages
    give it and its path, for relative paths) and the content of the DOT file it
    imports. A spec checked with one reads no file, so a machine without the spec's
    folder can check it."""

    source: SourceFile
    dot: bytes | None = None
    """The DOT file's bytes; None when the model imports none, or it was not there."""


def check_parsed_spec(
    tree: ast.File,
    source: SourceFile,
    *,
    models_dirs: Sequence[Path] = (),
    model: ModelFile | None = None,
) -> ir.Spec:
    """Check a parsed spec against the model its `use` names: `model` when given
    (`read_used_model`), else the file found now."""
    use = _use_of(tree, source)
    if model is None:
        model = _read_model(use, source, models_dirs)
    return check_spec_tree(tree, source, _check_used_model(use, model))


def read_used_model(
    tree: ast.File, source: SourceFile, *, models_dirs: Sequence[Path] = ()
) -> ModelFile:
    """Find and read the model a parsed spec uses: everything `check_parsed_spec`
    needs the file system for; errors are those it would raise."""
    return _read_model(_use_of(tree, source), source, models_dirs)


def _use_of(tree: ast.File, source: SourceFile) -> ast.UseDecl:
    if not tree.items:
        raise SourceError(
            None,
            "the file is empty: expected a model (`model NAME`)"
            " or a spec (`use MODEL`)",
            file=source.name,
        )
    use = next((i for i in tree.items if isinstance(i, ast.UseDecl)), None)
    if use is None:
        raise SourceError(
            tree.items[0].span,
            "expected `use MODEL` first:"
            " a spec starts with `use`, a model with `model NAME`",
        )
    return use


def _read_model(
    use: ast.UseDecl, source: SourceFile, models_dirs: Sequence[Path]
) -> ModelFile:
    spec_dir = source.path.parent if source.path is not None else Path()
    if use.is_path:
        path = spec_dir / use.target
        display = display_path(source, use.target)
        if not path.is_file():
            raise SourceError(
                use.span,
                f"model file {use.target!r} not found"
                " (the path is relative to the spec's folder)",
            )
    else:
        found = find_model(use.target, spec_dir, models_dirs)
        if found is None:
            known = known_model_names(spec_dir, models_dirs)
            where = " or ".join(
                f"{shown_path(d)}/"
                for d in nearest_model_folders(spec_dir, models_dirs)
            )
            hint = suggest(use.target, known) or "; --models DIR adds a folder"
            raise SourceError(
                use.span, f"model {quote(use.target)} not found in {where}{hint}"
            )
        path, display = found, shown_path(found)
    if source.path is not None and path.resolve() == source.path.resolve():
        raise SourceError(use.span, "a spec cannot use itself (a cycle of `use`)")
    with _noted(use):
        model_source, model_tree = parse_file(path, display)
    header = model_tree.header
    if header is None:
        if not any(isinstance(i, ast.UseDecl) for i in model_tree.items):
            raise SourceError(
                use.span, f"{display} is not a model: a model starts with `model NAME`"
            )
        if _uses_file(model_tree, model_source, source.path):
            what = "a spec that uses this spec (a cycle of `use`)"
        else:
            what = "a spec, not a model"
        raise SourceError(use.span, f"{display} is {what}: `use` must name a model")
    dot = None
    if header.dot_file is not None:
        with contextlib.suppress(OSError):
            dot = (path.parent / header.dot_file).read_bytes()
    return ModelFile(model_source, dot)


@contextlib.contextmanager
def _noted(use: ast.UseDecl) -> Iterator[None]:
    """Errors in the used model get a note pointing back at the `use` line."""
    back = (use.span, f"in the model {quote(use.target)} used here")
    try:
        yield
    except SourceError as err:
        first, *rest = err.diagnostics
        noted = replace(first, notes=(*first.notes, back))
        raise SourceError(diagnostics=[noted, *rest]) from None


def _check_used_model(use: ast.UseDecl, file: ModelFile) -> ir.Model:
    """The checked model (once per process for the same texts)."""
    source = file.source
    key = (source.name, source.text, source.path, file.dot)
    if key not in _MODELS:
        with _noted(use):
            tree = parsed(source)
            _MODELS[key] = check_model_tree(tree, source, file.dot)
    model = _MODELS[key]
    if not use.is_path and model.name != use.target:
        raise SourceError(
            use.span,
            f"{source.name} defines model {quote(model.name)}, not {quote(use.target)}",
        )
    return model


_MODELS: dict[tuple[str, str, Path | None, bytes | None], ir.Model] = {}


def _uses_file(tree: ast.File, source: SourceFile, path: Path | None) -> bool:
    """True when the spec `tree` says `use "FILE"` with FILE the file at `path`."""
    if path is None or source.path is None:
        return False
    for item in tree.items:
        if isinstance(item, ast.UseDecl) and item.is_path:
            target = source.path.parent / item.target
            if target.exists() and target.resolve() == path.resolve():
                return True
    return False
