"""Unit tests of the pieces behind `explore` and `matrix`: moving statements on the
AST, naming positions, work items that cross process boundaries, the progress bar."""

from __future__ import annotations

import io
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from checker import api
from checker import syntax as ast
from checker.executor import ProgressBar
from checker.explore import (
    Moved,
    Slot,
    describe_positions,
    explore,
    gaps,
    moved_variant,
    plan_moves,
)
from checker.load import read_used_model
from checker.matrix import MatrixJob, replace_use
from checker.parser import parse
from checker.source import SourceFile
from checker.sweep import Outcome, VariantJob, render_table, run_jobs

DATA = Path(__file__).parent / "data"

NESTED = """\
use hinting
page p0 : Sr = 7
thread t {
  a = 1
  if a == 1 {
    b = 2
  } else {
    c = 3
  }
  r = read(p0) on fault {
    d = 4
  }
  while a < 2 {
    a = a + 1
  }
  set_unused(p0)
}
"""


def _tree(text: str) -> ast.File:
    return parse(SourceFile("t.pg", text))


def _thread(tree: ast.File) -> tuple[int, ast.ThreadDecl]:
    return next(
        (k, i) for k, i in enumerate(tree.items) if isinstance(i, ast.ThreadDecl)
    )


def test_positions_cover_every_statement_list_in_source_order() -> None:
    tree = _tree(NESTED)
    [(_, thread, slot)] = plan_moves(tree, "set_unused", None)
    moved, positions = describe_positions(thread, slot)
    assert isinstance(moved, ast.ExprStmt)
    assert [p.label for p in positions] == [
        "before line 4",
        "before line 5",
        "before line 6",
        "at end of if-block of line 5",
        "before line 8",
        "at end of else-block of line 5",
        "before line 10",
        "before line 11",
        "at end of fault handler of line 10",
        "before line 13",
        "before line 14",
        "at end of while-block of line 13",
        "line 16 (current)",
    ]
    assert [p.current for p in positions].count(True) == 1


def test_a_moved_statement_lands_where_the_text_would_put_it() -> None:
    tree = _tree(NESTED)
    [(item, thread, slot)] = plan_moves(tree, "set_unused", None)
    body_without = describe_positions(thread, slot)[1]
    into_else = next(p for p in body_without if p.label == "before line 8")
    variant = moved_variant(tree, item, slot, into_else.gap)
    expected = NESTED.replace("    c = 3\n", "    set_unused(p0)\n    c = 3\n")
    expected = expected.replace("  }\n  set_unused(p0)\n}", "  }\n}")
    assert variant == _tree(expected)  # spans are left out of equality


def test_a_lonely_statement_has_only_its_own_position() -> None:
    tree = _tree("use hinting\npage p0 : Sr\nthread t {\n  set_unused(p0)\n}\n")
    [(_, thread, slot)] = plan_moves(tree, "set_unused", None)
    _, positions = describe_positions(thread, slot)
    assert [p.label for p in positions] == ["line 4 (current)"]


def test_statements_sharing_a_line_are_told_apart_by_column() -> None:
    tree = _tree("use hinting\npage p0 : Sr\nthread t {\n  a = 1; set_unused(p0)\n}\n")
    [(_, thread, slot)] = plan_moves(tree, "set_unused", None)
    _, positions = describe_positions(thread, slot)
    assert [p.label for p in positions] == ["before line 4:3", "line 4:10 (current)"]


def test_assignments_of_the_op_result_move_too() -> None:
    tree = _tree(
        "use hinting\npage p0 : Sr\nthread t {\n  x = 1\n  r = set_unused(p0)\n}\n"
    )
    assert len(plan_moves(tree, "set_unused", None)) == 1
    assert plan_moves(tree, "set_unused", 4) == []


def test_gaps_of_an_empty_body() -> None:
    assert list(gaps(())) == [Slot((), 0)]


def test_use_is_replaced_by_a_path() -> None:
    tree = replace_use(_tree("use hinting\npage p0 : Sr\n"), "../models/tiny.pg")
    use = tree.items[0]
    assert isinstance(use, ast.UseDecl)
    assert (use.target, use.is_path) == ("../models/tiny.pg", True)


def test_work_items_and_outcomes_pickle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A work item carries the spec's and the model's texts: its copy checks the same
    in a folder where neither file is."""
    monkeypatch.chdir(DATA)
    text = Path("specs/early_free.pg").read_text()
    options = api.Options(engine="explicit")
    source = SourceFile("specs/early_free.pg", text, Path("specs/early_free.pg"))
    tree = parse(source)
    jobs = [
        VariantJob(
            "specs/early_free.pg",
            "specs/early_free.pg",
            text,
            read_used_model(tree, source),
            Moved(2, Slot((), 1), Slot((), 0)),
            options,
        ),
        MatrixJob(
            "specs/early_free.pg",
            "specs/early_free.pg",
            text,
            "../models/tiny.pg",
            read_used_model(replace_use(tree, "../models/tiny.pg"), source),
            False,
            options,
        ),
    ]
    here = [job.run() for job in jobs]
    monkeypatch.chdir(tmp_path)
    for job, expected in zip(jobs, here, strict=True):
        copy = pickle.loads(pickle.dumps(job))
        assert copy == job
        outcome = copy.run()
        assert isinstance(outcome, Outcome)
        assert outcome.verdict != "error"
        assert replace(outcome, time_s=0.0) == replace(expected, time_s=0.0)
        assert pickle.loads(pickle.dumps(outcome)) == outcome


@pytest.mark.slow
def test_engines_agree_on_every_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    tables = []
    for engine in ("explicit", "z3"):
        moves = explore(Path("specs/loop.pg"), "set_unused", api.Options(engine=engine))
        tables.append(
            [
                (o.verdict, o.complete, o.prop, o.length)
                for m in moves
                for o in m.outcomes
            ]
        )
    assert tables[0] == tables[1]


@pytest.mark.slow
def test_run_jobs_keeps_job_order_with_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    text = Path("specs/early_free.pg").read_text()
    options = api.Options(engine="explicit")
    models = ["../models/hinting.pg", "../models/tiny.pg"] * 2
    source = SourceFile("e.pg", text, Path("specs/early_free.pg"))
    tree = parse(source)
    jobs = [
        MatrixJob(
            "e.pg",
            "specs/early_free.pg",
            text,
            m,
            read_used_model(replace_use(tree, m), source),
            False,
            options,
        )
        for m in models
    ]
    serial = run_jobs(jobs, 1)
    parallel = run_jobs(jobs, 2)
    strip = [(o.verdict, o.prop, o.length, o.model, o.report, o.trace) for o in serial]
    assert strip == [
        (o.verdict, o.prop, o.length, o.model, o.report, o.trace) for o in parallel
    ]
    assert [o.model for o in serial] == ["hinting", "tiny", "hinting", "tiny"]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    tty, pipe = _Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar(stream, "explore", 2)
        bar.advance()
        bar.advance()
        bar.close()
    assert pipe.getvalue() == ""
    assert "explore [###############---------------] 1/2" in tty.getvalue()
    assert tty.getvalue().endswith("\r")


def test_markdown_table_escapes_pipes() -> None:
    assert render_table(["a", "b"], [["x|y", "z"]], markdown=True) == [
        "| a | b |",
        "|---|---|",
        "| x\\|y | z |",
    ]
