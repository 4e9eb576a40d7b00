"""`pagecheck explore SPEC --move OP`: where in its thread may a call go?

Stage: tools, beside the CLI (on top of `checker.sweep`, which runs the checks and
renders the table). Input: the parsed command line and the spec file it names.
Output: a table as text or JSON on `out`, a progress bar on `err` when it is a
terminal, and an exit status.

`explore SPEC --move OP` takes each statement that calls OP out of its thread and puts
it back at every other position of that thread (every gap of every statement list of
the thread body, nested blocks included), then checks each variant. Variants are built
on the AST (`syntax.File`), keep the original spans, and are checked against the
original `SourceFile`, so traces and errors point at the lines of the file as written.

Checks run in worker processes (`-j`), or on a Dask cluster (`--cluster`; see
`checker.sweep`). A work item is plain data (file name, text, the model's text, where
to move what, options); a worker re-parses the text and rebuilds its variant.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from . import api
from . import syntax as ast
from .arguments import (
    add_check_options,
    add_jobs_option,
    executor_from,
    options_from,
    positive_int,
)
from .errors import SourceError
from .executor import Executor, ProgressBar
from .exit import ExitStatus
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
    print_json,
    render_table,
    run_jobs,
)

# =========================================================================== moving


Block = tuple[ast.Stmt, ...]
BlockPath = tuple[tuple[int, str], ...]
"""Where a statement list sits in a thread body: `(index, field)` steps from the body;
`field` is `then`, `orelse`, `body` or `handler` of the statement at `index`."""


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A statement (`block[index]`) or the gap before it (`index == len` is the end)."""

    block: BlockPath
    index: int


def nested_blocks(stmt: ast.Stmt) -> list[tuple[str, Block]]:
    """The statement lists directly inside a statement, in source order."""
    match stmt:
        case ast.If(then=then, orelse=orelse):
            return [("then", then)] + (
                [("orelse", orelse)] if orelse is not None else []
            )
        case ast.While(body=body) | ast.Atomic(body=body):
            return [("body", body)]
        case ast.ExprStmt(handler=handler) | ast.Assign(handler=handler):
            return [("handler", handler)] if handler is not None else []
        case _:
            return []


def get_block(body: Block, path: BlockPath) -> Block:
    block = body
    for index, name in path:
        inner = getattr(block[index], name)
        assert isinstance(inner, tuple)
        block = inner
    return block


def set_block(body: Block, path: BlockPath, new: Block) -> Block:
    """`body` with the statement list at `path` replaced (a new tree, no mutation)."""
    if not path:
        return new
    (index, name), rest = path[0], path[1:]
    stmt = body[index]
    inner = getattr(stmt, name)
    assert isinstance(inner, tuple)
    changed = replace(stmt, **{name: set_block(inner, rest, new)})  # type: ignore[arg-type]
    return (*body[:index], changed, *body[index + 1 :])


def statements(body: Block, path: BlockPath = ()) -> Iterator[tuple[Slot, ast.Stmt]]:
    """Every statement of a body, nested ones included, in source order."""
    block = get_block(body, path)
    for index, stmt in enumerate(block):
        yield Slot(path, index), stmt
        for name, _ in nested_blocks(stmt):
            yield from statements(body, (*path, (index, name)))


def gaps(body: Block, path: BlockPath = ()) -> Iterator[Slot]:
    """Every place a statement can go, in source order: before each statement of
    each list, then the end of the list."""
    block = get_block(body, path)
    for index, stmt in enumerate(block):
        yield Slot(path, index)
        for name, _ in nested_blocks(stmt):
            yield from gaps(body, (*path, (index, name)))
    yield Slot(path, len(block))


def called_op(stmt: ast.Stmt) -> ast.Call | None:
    """The operation call a statement makes: `OP(...)` or `x = OP(...)`."""
    match stmt:
        case ast.ExprStmt(call=call):
            return call
        case ast.Assign(value=ast.Call() as call):
            return call
        case _:
            return None


def remove(body: Block, slot: Slot) -> tuple[Block, ast.Stmt]:
    block = get_block(body, slot.block)
    stmt = block[slot.index]
    return set_block(
        body, slot.block, block[: slot.index] + block[slot.index + 1 :]
    ), stmt


def insert(body: Block, gap: Slot, stmt: ast.Stmt) -> Block:
    block = get_block(body, gap.block)
    return set_block(body, gap.block, (*block[: gap.index], stmt, *block[gap.index :]))


def threads(tree: ast.File) -> list[tuple[int, ast.ThreadDecl]]:
    return [(k, i) for k, i in enumerate(tree.items) if isinstance(i, ast.ThreadDecl)]


def moved_variant(tree: ast.File, item: int, stmt: Slot, gap: Slot) -> ast.File:
    """The tree with the statement at `stmt` of thread `tree.items[item]` moved to
    `gap` (a gap of the body without the statement)."""
    thread = tree.items[item]
    assert isinstance(thread, ast.ThreadDecl)
    body, moved = remove(thread.body, stmt)
    new_thread = replace(thread, body=insert(body, gap, moved))
    items = (*tree.items[:item], new_thread, *tree.items[item + 1 :])
    return replace(tree, items=items)


@dataclass(frozen=True, slots=True)
class Position:
    """One place to try the moved statement, and how to name it."""

    gap: Slot
    current: bool
    label: str
    """For the table: `line 9 (current)`, `before line 12`, `at end of thread`."""
    phrase: str
    """For a sentence: `line 12`, `the end of thread cpu0`."""
    line: int | None
    """The line of the statement it goes before; None at the end of a block."""


def _block_name(parent: ast.Stmt, field_name: str) -> str:
    if field_name == "handler":
        return "fault handler"
    if field_name == "orelse":
        return "else-block"
    if isinstance(parent, ast.While):
        return "while-block"
    return "atomic-block" if isinstance(parent, ast.Atomic) else "if-block"


def describe_positions(
    thread: ast.ThreadDecl, stmt: Slot
) -> tuple[ast.Stmt, list[Position]]:
    """The statement at `stmt` and every gap of its thread without it, named."""
    body, moved = remove(thread.body, stmt)
    lines = [s.span.line for _, s in statements(thread.body)]
    shared = {n for n in lines if lines.count(n) > 1}
    positions = []
    for gap in gaps(body):
        block = get_block(body, gap.block)
        if gap == stmt:
            where = _at(moved, shared)
            positions.append(
                Position(
                    gap,
                    True,
                    f"{where} (current)",
                    f"its current place ({where})",
                    moved.span.line,
                )
            )
        elif gap.index < len(block):
            where = _at(block[gap.index], shared)
            positions.append(
                Position(
                    gap, False, f"before {where}", where, block[gap.index].span.line
                )
            )
        elif not gap.block:
            positions.append(
                Position(
                    gap,
                    False,
                    "at end of thread",
                    f"the end of thread {thread.name.name}",
                    None,
                )
            )
        else:
            index, name = gap.block[-1]
            parent = get_block(body, gap.block[:-1])[index]
            what = f"{_block_name(parent, name)} of line {parent.span.line}"
            positions.append(
                Position(
                    gap, False, f"at end of {what}", f"the end of the {what}", None
                )
            )
    return moved, positions


def _at(stmt: ast.Stmt, shared: set[int]) -> str:
    """`line 9`, or `line 9:14` when another statement of the thread shares the line."""
    if stmt.span.line in shared:
        return f"line {stmt.span.line}:{stmt.span.col}"
    return f"line {stmt.span.line}"


def statement_text(stmt: ast.Stmt, source: SourceFile) -> str:
    """The call as written, `set_unused(p0)` or `r = read(p0)`, without its handler."""
    call = called_op(stmt)
    assert call is not None
    span = call.span
    line = source.line(span.line)
    end = span.end_col - 1 if span.end_line == span.line else len(line)
    text = line[span.col - 1 : end].strip()
    if isinstance(stmt, ast.Assign):
        text = f"{stmt.target.name} = {text}"
    return text


@dataclass(frozen=True, slots=True)
class Moved:
    """The edit of one job: statement `stmt` of item `item` moved to `gap` (None: the
    spec as written)."""

    item: int
    stmt: Slot
    gap: Slot | None

    def __call__(self, tree: ast.File) -> ast.File:
        if self.gap is None:
            return tree
        return moved_variant(tree, self.item, self.stmt, self.gap)


@dataclass(frozen=True, slots=True)
class CallPlacements:
    """One statement calling the op, the places it may go, and the outcome at each."""

    thread: str
    text: str
    line: int
    col: int
    positions: tuple[Position, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def earliest_safe(self) -> int | None:
        return next((k for k, o in enumerate(self.outcomes) if o.safe), None)

    @property
    def latest_unsafe(self) -> int | None:
        """The last violating place before the earliest safe one (or of all, if none
        is safe): the place whose schedule shows why it must come later."""
        stop = self.earliest_safe
        candidates = range(len(self.outcomes) if stop is None else stop)
        return next(
            (k for k in reversed(candidates) if self.outcomes[k].violation), None
        )

    def unsafe_after_safe(self) -> list[int]:
        first = self.earliest_safe
        if first is None:
            return []
        return [
            k
            for k in range(first + 1, len(self.outcomes))
            if self.outcomes[k].violation
        ]

    def conclusion(self) -> str:
        if len(self.positions) <= 1:
            return f"{self.text} has no other position in thread {self.thread}."
        first = self.earliest_safe
        undecided = sum(1 for o in self.outcomes if not (o.safe or o.violation))
        if first is None:
            if not any(o.violation for o in self.outcomes):
                return f"{self.text}: no position could be decided."
            text = f"{self.text} is unsafe at every position"
            if undecided:
                text += f" that could be decided ({undecided} could not)"
            return text + "."
        where = self.positions[first]
        text = f"{self.text} is safe no earlier than {where.phrase}"
        again = self.unsafe_after_safe()
        if again:
            labels = ", ".join(self.positions[k].label for k in again)
            text += f", but unsafe again {labels}"
        if not self.outcomes[first].complete:
            bound = self.outcomes[first].bound
            text += f"; runs longer than {bound} steps were not checked"
        return text + "."

    def json(self) -> dict[str, Any]:
        first, last = self.earliest_safe, self.latest_unsafe
        return {
            "thread": self.thread,
            "statement": self.text,
            "line": self.line,
            "col": self.col,
            "positions": [
                {
                    "position": p.label,
                    "line": p.line,
                    "current": p.current,
                    **o.json(),
                }
                for p, o in zip(self.positions, self.outcomes, strict=True)
            ],
            "earliest_safe": None if first is None else self.positions[first].label,
            "latest_unsafe": None if last is None else self.positions[last].label,
            "conclusion": self.conclusion(),
        }


def plan_moves(
    tree: ast.File, op: str, line: int | None
) -> list[tuple[int, ast.ThreadDecl, Slot]]:
    """The statements calling `op` (at `line`, if given): thread item, thread, slot."""
    found = []
    for item, thread in threads(tree):
        for slot, stmt in statements(thread.body):
            call = called_op(stmt)
            if call is None or call.name.name != op:
                continue
            if line is not None and stmt.span.line != line:
                continue
            found.append((item, thread, slot))
    return found


def explore(
    path: Path,
    op: str,
    options: api.Options,
    *,
    line: int | None = None,
    executor: Executor | int = 1,
    progress: Callable[[int], ProgressBar] | None = None,
) -> list[CallPlacements]:
    """Check every placement of every statement calling `op` on `executor` (a
    number: that many local worker processes); bad input raises."""
    source = read_source(path)
    tree = parse(source)
    model = read_used_model(tree, source, models_dirs=options.models_dirs)
    check_tree(tree, source, model=model)  # the spec as written
    planned = plan_moves(tree, op, line)
    if not planned:
        raise SourceError(None, _nothing_calls(tree, op, line), file=source.name)
    jobs: list[VariantJob] = []
    shapes: list[tuple[ast.ThreadDecl, Slot, ast.Stmt, list[Position]]] = []
    for item, thread, slot in planned:
        moved, positions = describe_positions(thread, slot)
        shapes.append((thread, slot, moved, positions))
        if len(positions) <= 1:
            continue
        for p in positions:
            gap = None if p.current else p.gap
            jobs.append(
                VariantJob(
                    source.name,
                    str(path),
                    source.text,
                    model,
                    Moved(item, slot, gap),
                    options,
                )
            )
    bar = progress(len(jobs)) if progress is not None else None
    outcomes = iter(run_jobs(jobs, executor, bar))
    moves = []
    for thread, _, moved, positions in shapes:
        mine = tuple(next(outcomes) for _ in positions) if len(positions) > 1 else ()
        moves.append(
            CallPlacements(
                thread.name.name,
                statement_text(moved, source),
                moved.span.line,
                moved.span.col,
                tuple(positions) if len(positions) > 1 else (),
                mine,
            )
        )
    return moves


def _nothing_calls(tree: ast.File, op: str, line: int | None) -> str:
    called = sorted(
        {
            call.name.name
            for _, thread in threads(tree)
            for _, stmt in statements(thread.body)
            if (call := called_op(stmt)) is not None
        }
    )
    where = f" at line {line}" if line is not None else ""
    listing = ", ".join(called) if called else "none"
    return f"no statement{where} calls {op!r} (the threads call: {listing})"


# --------------------------------------------------------------------------- output


def render_explore(
    path: str, op: str, engine: str, moves: Sequence[CallPlacements]
) -> str:
    lines: list[str] = []
    for move in moves:
        if lines:
            lines.append("")
        head = f"{path}: {move.text} at line {move.line} (thread {move.thread})"
        if not move.positions:
            lines.extend([head, f"  {move.conclusion()}"])
            continue
        bound = next((o.bound for o in move.outcomes if o.bound is not None), None)
        head += f": {len(move.positions)} positions, engine {engine}"
        head += f", bound {bound}" if bound is not None else ""
        lines.append(head)
        rows = [
            [
                p.label,
                o.describe(),
                o.prop or "",
                str(o.length) if o.length is not None else "",
                o.message if o.verdict in (ERROR, Verdict.UNKNOWN) else "",
            ]
            for p, o in zip(move.positions, move.outcomes, strict=True)
        ]
        header = ["position", "verdict", "property", "steps", "note"]
        if not any(r[4] for r in rows):
            header, rows = header[:4], [r[:4] for r in rows]
        lines.extend("  " + t for t in render_table(header, rows))
        lines.append("")
        lines.append(move.conclusion())
        last = move.latest_unsafe
        if last is not None:
            o = move.outcomes[last]
            lines.append(
                f"Latest unsafe position, {move.positions[last].label}: "
                f"{o.prop} in {o.length} step{'' if o.length == 1 else 's'}"
            )
            lines.extend(o.report)
    return "\n".join(lines)


def explore_json(
    path: str, op: str, options: api.Options, moves: Sequence[CallPlacements]
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "explore",
        "file": path,
        "op": op,
        "engine": options.engine,
        "bound": options.bound,
        "moves": [m.json() for m in moves],
    }


EXPLORE_HELP = """\
Move each statement that calls OP to every other position of its thread (every gap
of every statement list of the thread, nested blocks and fault handlers included)
and check each variant. Prints the verdict and the shortest bad schedule's length per
position, the earliest safe position, and the schedule of the latest unsafe one.

exit status: 0 done; 2 input error (the spec as written must check)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `pagecheck explore`."""
    parser.add_argument("spec", type=Path, metavar="SPEC", help="the spec file")
    parser.add_argument(
        "--move", required=True, metavar="OP", help="the operation whose calls to move"
    )
    parser.add_argument(
        "--line", type=positive_int, help="move only the call on this line"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    add_check_options(parser)
    add_jobs_option(parser)


def run_explore(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """`pagecheck explore SPEC --move OP [options]`, parsed by `add_arguments`."""
    # the table shows no coverage: search for it only where --strict needs it
    options = replace(options_from(ns), coverage=ns.strict)
    name = str(ns.spec)
    try:
        moves = explore(
            ns.spec,
            ns.move,
            options,
            line=ns.line,
            executor=executor_from(ns),
            progress=lambda total: ProgressBar(err, f"explore {name}", total),
        )
    except SourceError as error:
        print(error.render(), file=err)
        return ExitStatus.INPUT_ERROR
    if ns.json:
        print_json(explore_json(name, ns.move, options, moves), out)
    else:
        print(render_explore(name, ns.move, options.engine, moves), file=out)
    return ExitStatus.OK


__all__ = ["CallPlacements", "add_arguments", "explore", "run_explore"]
