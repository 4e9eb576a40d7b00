"""Local type inference is a pure function of a thread's statements and the names."""

from __future__ import annotations

from checker import syntax as ast
from checker.check_expr import SpecNames
from checker.infer import infer_locals
from checker.parser import keywords, parse
from checker.source import SourceFile

from .conftest import HINTING, model


def thread_body(text: str) -> tuple[ast.Stmt, ...]:
    tree = parse(SourceFile("t.pg", f"thread t {{\n{text}\n}}\n"))
    item = tree.items[0]
    assert isinstance(item, ast.ThreadDecl)
    return item.body


NAMES = SpecNames(model(HINTING), {"p0": 0}, {"shared": 0}, {})


def test_types_follow_assignments_in_any_order() -> None:
    body = thread_body("y = x\nx = state(p0) == Sr\nr = read(p0)\nc = set_unused(p0)")
    assert infer_locals(body, NAMES) == (
        ("y", "bool"),
        ("x", "bool"),
        ("r", "int"),
        ("c", "result"),
    )


def test_shared_variables_are_not_locals_and_unknowns_are_integers() -> None:
    body = thread_body("shared = 1\nz = nosuch\nw = Vz")
    assert infer_locals(body, NAMES) == (("z", "int"), ("w", "state"))


def test_inference_reports_nothing() -> None:
    """Ill-typed assignments get a type; checking them later reports the error."""
    body = thread_body("a = 1 + true\nb = read(p0) + 1")
    assert infer_locals(body, NAMES) == (("a", "int"), ("b", "int"))


def test_keywords_come_from_the_grammar() -> None:
    words = keywords()
    assert {"thread", "model", "await", "violation", "state", "lost"} <= words
    assert not {"NAME", "read", "->"} & words
