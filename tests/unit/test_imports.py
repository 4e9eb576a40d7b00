"""Import rules: only `checker/smt.py` imports z3 and only `checker/parser.py` imports
lark; the front end's stages import one way (earlier stages only); no import cycles."""

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


# --------------------------------------------------------------------------- layering

#: The front end's stages, earliest first: a module imports only modules before it
#: in this list (and nothing else of `checker`). text -> parse tree -> AST -> checked
#: model / spec.
FRONT_END = [
    "source",  # text and spans
    "errors",  # diagnostics
    "syntax",  # the AST
    "parser",  # text -> AST
    "files",  # path -> text and AST; finding models
    "ir",  # the checked model and spec
    "dot_import",  # DOT edges -> transitions
    "check_model",  # model AST -> ir.Model
    "check_expr",  # expressions -> typed ir expressions
    "infer",  # types of locals
    "lower",  # threads -> instructions
    "check_spec",  # spec AST + ir.Model -> ir.Spec
    "load",  # path -> ir.Model / ir.Spec (resolving `use`)
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


ALL_MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def checker_imports(name: str) -> set[str]:
    """The `checker` modules `name` imports, at any depth of its code."""
    path = ALL_MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[: len(package) - (node.level - 1)]
            stem = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:
                candidate = ".".join([*stem, alias.name])
                found.add(candidate if candidate in ALL_MODULES else ".".join(stem))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "checker."
        ):
            found.add(node.module.removeprefix("checker."))  # type: ignore[union-attr]
    return {m for m in found if m in ALL_MODULES and m != name}


#: From the checked spec to a result, earliest first: the one definition of a step,
#: what is derived from it, and the engines. Each imports only the front end and
#: modules before it here.
CORE = [
    "terms",  # the term language of a step
    "step",  # the one definition of a step: moves
    "semantics",  # the moves evaluated: the reference step function
    "trace",  # runs, and their replay on the reference
    "packed",  # the moves compiled over packed states
    "reduction",  # independence of moves: partial-order reduction, local steps
    "smt",  # the moves translated into Z3
    "symmetry",  # one state per orbit of threads that run one program
    "native",  # the moves and the searches over them compiled to C
    "coverage",  # what the runs of a check never did
    "liveness",  # fair cycles on the state graph: lassos
    "progress",  # what engines report while they run
    "result",  # verdicts and results
    "engines.explicit",
    "engines.symbolic",
    "engines.inductive",  # Spacer's proofs; the explicit engine for counterexamples
    "engines.portfolio",  # the engines above, racing in processes
    "engines",  # the table of engines
]
STAGES = FRONT_END + CORE


def test_stage_modules_exist() -> None:
    assert set(STAGES) <= set(ALL_MODULES)


@pytest.mark.parametrize("name", STAGES)
def test_stages_import_only_earlier_stages(name: str) -> None:
    earlier = set(STAGES[: STAGES.index(name)])
    later = checker_imports(name) - earlier
    assert not later, f"{name} imports {sorted(later)}, not an earlier stage"


#: Imports that close a cycle today, (importer, imported): reason. Each must still
#: exist (the test below notices when one is gone and should leave this table).
KNOWN_CYCLE_EDGES: dict[tuple[str, str], str] = {}


def test_known_cycle_edges_still_exist() -> None:
    for importer, imported in KNOWN_CYCLE_EDGES:
        assert imported in checker_imports(importer), (importer, imported)


def test_no_import_cycles_among_checker_modules() -> None:
    graph = {
        name: {m for m in checker_imports(name) if (name, m) not in KNOWN_CYCLE_EDGES}
        for name in ALL_MODULES
    }
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = [*path[path.index(name) :], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_checker_imports_reads_relative_imports() -> None:
    """`checker_imports` understands relative imports (else the tests above are void)."""
    assert "source" in checker_imports("errors")
    assert {"ir", "syntax", "check_model", "check_spec"} <= checker_imports("load")
    assert "engines" in checker_imports("api")
