"""Loading: a `.pg` path -> `ir.Model` or `ir.Spec`, the front end's entry points.

Reads and parses a file (`files`), checks it as a model (`check_model`) or as a spec
(`check_spec`), and for a spec first resolves its `use`: a model name is searched for
on `--models` and in the `models/` folders near the spec, a quoted path is relative
to the spec's folder. Errors in the used model are reported with a note pointing back
at the `use` line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace
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
    source, tree = parse_file(path, display)
    header = tree.header
    if header is not None:
        raise SourceError(
            header.span,
            f"{source.name} is a model, not a spec:"
            f" check a spec that says `use {header.name.name}`",
        )
    return check_parsed_spec(tree, source, models_dirs=models_dirs)


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


def check_parsed_spec(
    tree: ast.File, source: SourceFile, *, models_dirs: Sequence[Path] = ()
) -> ir.Spec:
    """Check a parsed spec, loading the model its `use` names."""
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
    model = _load_used_model(use, source, models_dirs)
    return check_spec_tree(tree, source, model)


def _load_used_model(
    use: ast.UseDecl, source: SourceFile, models_dirs: Sequence[Path]
) -> ir.Model:
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
    back = (use.span, f"in the model {quote(use.target)} used here")
    try:
        model_source, model_tree = parse_file(path, display)
        if model_tree.header is not None:
            model = _checked_model(model_source, model_tree)
    except SourceError as err:
        first, *rest = err.diagnostics
        noted = replace(first, notes=(*first.notes, back))
        raise SourceError(diagnostics=[noted, *rest]) from None
    if model_tree.header is None:
        if not any(isinstance(i, ast.UseDecl) for i in model_tree.items):
            raise SourceError(
                use.span, f"{display} is not a model: a model starts with `model NAME`"
            )
        if _uses_file(model_tree, model_source, source.path):
            what = "a spec that uses this spec (a cycle of `use`)"
        else:
            what = "a spec, not a model"
        raise SourceError(use.span, f"{display} is {what}: `use` must name a model")
    if not use.is_path and model.name != use.target:
        raise SourceError(
            use.span,
            f"{display} defines model {quote(model.name)}, not {quote(use.target)}",
        )
    return model


def _checked_model(source: SourceFile, tree: ast.File) -> ir.Model:
    """The checked model, checked once per process for the specs that use the same
    text (and DOT file)."""
    dot: bytes | None = None
    header = tree.header
    if header is not None and header.dot_file is not None and source.path is not None:
        with contextlib.suppress(OSError):
            dot = (source.path.parent / header.dot_file).read_bytes()
    key = (source.name, source.text, source.path, dot)
    if key not in _MODELS:
        _MODELS[key] = check_model_tree(tree, source)
    return _MODELS[key]


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
