"""Only `checker/smt.py` imports z3 and only `checker/parser.py` imports lark."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "checker"
ALLOWED = {"z3": {"smt.py"}, "lark": {"parser.py"}}

#: Modules that break the rule today; a strict xfail notices when they are fixed.
KNOWN_VIOLATIONS: dict[str, str] = {}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


MODULES = [
    pytest.param(
        path,
        id=str(path.relative_to(PACKAGE)),
        marks=[pytest.mark.xfail(reason=KNOWN_VIOLATIONS[path.name], strict=True)]
        if str(path.relative_to(PACKAGE)) in KNOWN_VIOLATIONS
        else [],
    )
    for path in sorted(PACKAGE.rglob("*.py"))
]


def test_package_found() -> None:
    assert (PACKAGE / "parser.py").is_file()


@pytest.mark.parametrize("module", MODULES)
def test_third_party_imports_stay_in_their_module(module: Path) -> None:
    relative = str(module.relative_to(PACKAGE))
    for library, allowed in ALLOWED.items():
        if library in imported_roots(module):
            assert relative in allowed, f"{relative} imports {library}"
