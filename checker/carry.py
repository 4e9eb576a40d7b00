"""`pagecheck carry SPEC`: which lines of a safe spec carry its proof?

Stage: tools, beside the CLI (on top of `checker.sweep`, as `explore` is). A fixed
spec can be safe for a reason that has nothing to do with its fix. This command
weakens the spec's guest threads one construct at a time and checks each variant:
each statement removed (an assignment to a local that nothing else assigns goes with
the statements that read the local, as a reviewer deleting a fix's lines would delete
them), each `atomic` block split (its statements become steps of their own), each
`if` guard replaced by `true`, each fault handler dropped (the access
then stops its thread when it faults), and, for a spec on a model `NAME_fixed` (the
fix is in the model), the spec on model `NAME`. A change that brings a violation back
*carries* the proof, and its shortest schedule shows why; a spec where no change does
is *safe by construction*. Scripted host threads are the scenario, not the fix, and
are left as written.

Variants are built on the AST and checked against the original source, so schedules
point at the lines as written; they run in worker processes (`-j`, `sweep.run_jobs`),
without `expect` (an engine then stops at the shortest violation) and without the
coverage search.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from . import api
from . import syntax as ast
from .arguments import add_check_options, add_jobs_option, executor_from, options_from
from .coverage import first_line
from .errors import SourceError
from .executor import Executor, ProgressBar
from .exit import ExitStatus
from .explore import Block, Slot, get_block, set_block, statements, threads
from .files import read_source
from .load import check_parsed_spec as check_tree
from .load import read_used_model
from .parser import parse
from .result import Verdict
from .source import SourceFile
from .sweep import (
    ERROR,
    SCHEMA_VERSION,
    Outcome,
    VariantJob,
    check_variant,
    print_json,
    render_table,
    run_jobs,
    without_expect,
)
from .trace import NEVER_HELD_DATA

CARRY_HELP = (
    "Weaken a safe spec one construct at a time (remove each statement, split each "
    "atomic\nblock, replace each if guard by true, drop each fault handler; on a "
    "model NAME_fixed,\ntry the model NAME) and say which changes bring a violation "
    "back: the lines\nthat carry the proof. A spec where none does is safe by "
    "construction."
)

#: The kinds of change, in the order they are tried at one statement.
KINDS = ("remove", "split", "guard", "handler", "model")

#: A model whose name ends so is the fixed twin of the model named without it
#: (`kvm_postcopy_fixed` and `kvm_postcopy`): `carry` tries the spec on the twin.
FIXED_SUFFIX = "_fixed"


@dataclass(frozen=True, slots=True)
class Change:
    """One weakening: which thread (`tree.items[item]`), which statement, what."""

    item: int
    slot: Slot
    kind: str
    line: int
    label: str
    model: str | None = None
    """For `model`: the model the spec uses instead."""


def changes(tree: ast.File, source: SourceFile) -> list[Change]:
    """Every weakening of the guest threads, in source order."""
    out = []
    for item, thread in threads(tree):
        if thread.is_host:
            continue
        for slot, stmt in statements(thread.body):
            for kind, label in _kinds(stmt, thread.body):
                out.append(Change(item, slot, kind, stmt.span.line, label))
    return out


def _kinds(stmt: ast.Stmt, body: Block) -> Iterator[tuple[str, str]]:
    text = f"`{first_line(stmt.span)}`"
    orphan = _orphaned(stmt, body)
    if orphan is None:
        yield "remove", f"remove {text}"
    else:
        yield "remove", f"remove {text} and what reads `{orphan}`"
    match stmt:
        case ast.Atomic():
            yield "split", f"split {text} into single steps"
        case ast.If(cond=cond):
            yield "guard", f"`if {first_line(cond.span)}` always taken"
        case ast.ExprStmt(handler=handler) | ast.Assign(handler=handler) if (
            handler is not None
        ):
            yield "handler", f"drop the fault handler of {text}"


def unfixed_model(tree: ast.File) -> tuple[int, ast.UseDecl, str] | None:
    """The spec's `use` (its index among the items) and the model's unfixed twin's
    name, when the spec uses a model by a name that ends in `_fixed`."""
    for item, use in enumerate(tree.items):
        if isinstance(use, ast.UseDecl) and not use.is_path:
            if use.target.endswith(FIXED_SUFFIX):
                return item, use, use.target.removesuffix(FIXED_SUFFIX)
            return None
    return None


def changed(tree: ast.File, change: Change) -> ast.File:
    """The tree with one change made."""
    if change.kind == "model":
        use = tree.items[change.item]
        assert isinstance(use, ast.UseDecl) and change.model is not None
        items = (*tree.items[: change.item], replace(use, target=change.model))
        return replace(tree, items=(*items, *tree.items[change.item + 1 :]))
    thread = tree.items[change.item]
    assert isinstance(thread, ast.ThreadDecl)
    block = get_block(thread.body, change.slot.block)
    i = change.slot.index
    stmt = block[i]
    new: tuple[ast.Stmt, ...]
    match change.kind, stmt:
        case "remove", _ if _orphaned(stmt, thread.body) is not None:
            return _replace_body(
                tree, change.item, _without_uses(thread.body, change.slot)
            )
        case "remove", _:
            new = ()
        case "split", ast.Atomic(body=body):
            new = body
        case "guard", ast.If(cond=cond):
            new = (replace(stmt, cond=ast.BoolLit(True, cond.span)),)
        case "handler", ast.ExprStmt() | ast.Assign():
            new = (replace(stmt, handler=None),)
        case _:
            raise AssertionError(change)
    body = set_block(
        thread.body, change.slot.block, (*block[:i], *new, *block[i + 1 :])
    )
    return _replace_body(tree, change.item, body)


def _replace_body(tree: ast.File, item: int, body: Block) -> ast.File:
    thread = tree.items[item]
    assert isinstance(thread, ast.ThreadDecl)
    items = (*tree.items[:item], replace(thread, body=body))
    return replace(tree, items=(*items, *tree.items[item + 1 :]))


def _orphaned(stmt: ast.Stmt, body: Block) -> str | None:
    """The local `stmt` assigns, when it is the local's only assignment in the thread
    and another statement reads it: removing `stmt` alone would leave that statement
    reading a name that no longer exists, so its removal takes the readers along."""
    if not isinstance(stmt, ast.Assign):
        return None
    name = stmt.target.name
    assigned = [s for _, s in statements(body) if _assigns(s) == name]
    readers = [s for _, s in statements(body) if name in _reads(s)]
    return name if len(assigned) == 1 and readers else None


def _without_uses(body: Block, slot: Slot) -> Block:
    """`body` without the statement at `slot` and, transitively, without every
    statement that reads a local no remaining statement assigns (a compound statement
    whose own condition reads one goes whole)."""
    gone: set[str] = set()
    while True:
        stmt = get_block(body, slot.block)[slot.index]
        name = _assigns(stmt)
        block = get_block(body, slot.block)
        body = set_block(
            body, slot.block, block[: slot.index] + block[slot.index + 1 :]
        )
        if name is not None and all(_assigns(s) != name for _, s in statements(body)):
            gone.add(name)
        reader = next((x for x, s in statements(body) if _reads(s) & gone), None)
        if reader is None:
            return body
        slot = reader


def _assigns(stmt: ast.Stmt) -> str | None:
    return stmt.target.name if isinstance(stmt, ast.Assign) else None


def _reads(stmt: ast.Stmt) -> set[str]:
    """The names a statement reads itself (not those its nested blocks read)."""
    match stmt:
        case ast.Assign(value=e) | ast.Assert(cond=e) | ast.Await(cond=e):
            return _names(e)
        case ast.If(cond=e) | ast.While(cond=e):
            return _names(e)
        case ast.ExprStmt(call=call):
            return _names(call)
    return set()


def _names(e: ast.Expr) -> set[str]:
    match e:
        case ast.Name(name=name):
            return {name}
        case ast.Call(args=args, kwargs=kwargs):
            return set().union(*map(_names, args), *(_names(k.value) for k in kwargs))
        case ast.Unary(operand=x):
            return _names(x)
        case ast.Binary(left=a, right=b):
            return _names(a) | _names(b)
        case ast.InSet(operand=x, items=items):
            return _names(x).union(*map(_names, items))
    return set()


@dataclass(frozen=True, slots=True)
class Made:
    """The edit of one job: `change` made."""

    change: Change

    def __call__(self, tree: ast.File) -> ast.File:
        return changed(tree, self.change)


@dataclass(frozen=True, slots=True)
class Carried:
    """A spec's changes and what each one's check found."""

    file: str
    original: Outcome
    changes: tuple[Change, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def carrying(self) -> list[tuple[Change, Outcome]]:
        return [
            (c, o)
            for c, o in zip(self.changes, self.outcomes, strict=True)
            if carries(o)
        ]

    @property
    def by_construction(self) -> bool:
        """Safe, and no change brings a violation back."""
        return self.original.safe and not self.carrying


def carry(
    path: Path,
    options: api.Options,
    *,
    executor: Executor | int = 1,
    progress: Callable[[int], ProgressBar] | None = None,
) -> Carried:
    """Check the spec as written and every change of it (on `executor`: a number of
    local worker processes, or a cluster); bad input raises."""
    source = read_source(path)
    tree = parse(source)
    model = read_used_model(tree, source, models_dirs=options.models_dirs)
    check_tree(tree, source, model=model)  # the spec as written
    quiet = replace(options, coverage=False, strict=False, progress=None)
    original = check_variant(without_expect(tree), source, quiet, model)
    found = changes(tree, source) if original.safe else []
    jobs = [
        VariantJob(source.name, str(path), source.text, model, Made(c), quiet)
        for c in found
    ]
    twin = unfixed_model(tree) if original.safe else None
    if twin is not None:
        item, use, name = twin
        change = Change(
            item,
            Slot((), 0),
            "model",
            use.span.line,
            f"use `{name}` instead of `{use.target}`",
            name,
        )
        try:
            unfixed = read_used_model(
                changed(tree, change), source, models_dirs=options.models_dirs
            )
        except SourceError:
            pass  # no unfixed twin to try
        else:
            found.append(change)
            jobs.append(
                VariantJob(
                    source.name, str(path), source.text, unfixed, Made(change), quiet
                )
            )
    bar = progress(len(jobs)) if progress is not None else None
    outcomes: list[Outcome] = run_jobs(jobs, executor, bar)
    return Carried(str(path), original, tuple(found), tuple(outcomes))


def carries(o: Outcome) -> bool:
    """A violation came back, other than a read of a page that never held data:
    that one says the change broke the scenario (its data is never written, or is
    read before it is), not the fix."""
    return o.violation and not o.message.endswith(NEVER_HELD_DATA)


def _verdict_word(o: Outcome) -> str:
    """The table's first column: whether the change carries the proof."""
    if o.verdict == ERROR:
        return "n/a"
    if o.violation and not carries(o):
        return "scenario"
    return "carries" if o.violation else "no"


def _found(o: Outcome) -> str:
    if o.violation:
        return f"violation {o.prop} in {o.length} step{'' if o.length == 1 else 's'}"
    return o.describe() if o.verdict != ERROR else f"not a spec: {o.message}"


def render_carry(c: Carried, *, schedules: bool = True) -> str:
    o = c.original
    if not o.safe:
        return (
            f"{c.file}: {_found(o)}, not safe: carry weakens a safe spec and asks "
            "what brings a violation back"
        )
    carrying = c.carrying
    n = len(c.changes)
    if c.by_construction:
        head = (
            f"{c.file}: safe by construction: none of {n} changes brings a violation "
            "back, so no line carries the proof"
        )
    else:
        head = (
            f"{c.file}: safe; {len(carrying)} of {n} changes bring a violation back "
            "(the lines that carry the proof)"
        )
    rows = [
        [
            _verdict_word(oc),
            f"line {ch.line}",
            ch.label,
            _found(oc),
        ]
        for ch, oc in zip(c.changes, c.outcomes, strict=True)
    ]
    lines = [head]
    if rows:
        table = render_table(["carries", "line", "change", "found"], rows)
        lines += ["  " + row for row in table]
    if schedules:
        for ch, oc in carrying:
            lines.append(f"  line {ch.line}, {ch.label}:")
            lines += ["  " + row for row in oc.report]
    return "\n".join(lines)


def carry_json(c: Carried) -> dict[str, Any]:
    return {
        "file": c.file,
        "original": c.original.json(),
        "by_construction": c.by_construction,
        "changes": [
            {
                "line": ch.line,
                "kind": ch.kind,
                "change": ch.label,
                "carries": carries(oc),
                **oc.json(),
            }
            for ch, oc in zip(c.changes, c.outcomes, strict=True)
        ],
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `pagecheck carry`."""
    parser.add_argument(
        "specs", type=Path, nargs="+", metavar="SPEC", help="safe spec files"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="the table without the schedules"
    )
    add_check_options(parser)
    add_jobs_option(parser)


def run_carry(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """`pagecheck carry SPEC... [options]`: exit 1 when a spec is not safe."""
    options = options_from(ns)
    executor = executor_from(ns)
    results = []
    for path in ns.specs:
        label = f"carry {path}"
        try:
            results.append(
                carry(
                    path,
                    options,
                    executor=executor,
                    progress=partial(ProgressBar, err, label),
                )
            )
        except SourceError as error:
            print(error.render(), file=err)
            return ExitStatus.INPUT_ERROR
    if ns.json:
        doc = {
            "schema_version": SCHEMA_VERSION,
            "command": "carry",
            "results": [carry_json(c) for c in results],
        }
        print_json(doc, out)
    else:
        text = "\n\n".join(render_carry(c, schedules=not ns.quiet) for c in results)
        print(text, file=out)
    unsafe = any(c.original.verdict != Verdict.SAFE for c in results)
    return ExitStatus.EXPECTATION_FAILED if unsafe else ExitStatus.OK


__all__ = ["Carried", "add_arguments", "carry", "run_carry"]
