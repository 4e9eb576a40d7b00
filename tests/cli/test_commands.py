"""The command tree, the engine table, exit statuses and the module layout."""

from __future__ import annotations

import ast
import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import checker
from checker import api, engines
from checker.cli import COMMAND_NAMES, build_parser, main
from checker.exit import ExitStatus, worst
from checker.result import EngineOutcome, Verdict

ROOT = Path(__file__).resolve().parents[2]
CHECKER = Path(checker.__file__).parent


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return status, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- exit


def test_exit_statuses_are_one_enum() -> None:
    assert [int(s) for s in ExitStatus] == [0, 1, 2, 3, 130]
    assert worst([0, 1, 3]) is ExitStatus.UNKNOWN
    assert worst([]) is ExitStatus.OK
    for module in CHECKER.rglob("*.py"):
        text = module.read_text()
        assert "EXIT_" not in text, f"{module.name} has its own exit constants"


# --------------------------------------------------------------------------- engines


def test_one_table_of_engines() -> None:
    assert engines.DEFAULT_ENGINE == "auto" == api.Options().engine
    assert list(engines.ENGINES) == ["auto", "explicit", "bmc", "induction"]
    parser = build_parser(io.StringIO(), io.StringIO())
    ns = parser.parse_args(["check", "--engine", "explicit", "x.pg"])
    assert ns.engine == "explicit"
    assert parser.parse_args(["check", "--engine", "z3", "x.pg"]).engine == "z3"
    assert engines.canonical("z3") == "bmc"
    assert "z3: the same as bmc" in engines.engine_help()
    status, _, err = run("--engine", "cbmc", "x.pg")
    assert status == 2
    assert "choose from 'auto', 'explicit', 'bmc', 'induction', 'z3'" in err
    for name, info in engines.ENGINES.items():
        assert info.description in engines.engine_help()
        assert name in engines.engine_help()
    for module in [*CHECKER.rglob("*.py"), ROOT / "benchmarks" / "run.py"]:
        assert "ENGINE_NAMES" not in module.read_text()
        assert '("z3", "explicit")' not in module.read_text(), module


def test_engines_without_memory_keyword_are_wrapped() -> None:
    seen: dict[str, Any] = {}

    def old_engine(spec: object, bound: int, **kwargs: Any) -> EngineOutcome:
        seen.update(kwargs)
        return EngineOutcome(Verdict.SAFE, True)

    def strict(spec: object, bound: int, *, deadline: float) -> EngineOutcome:
        return old_engine(spec, bound, deadline=deadline)

    wrapped = engines._accepting_options(strict)
    wrapped(None, 1, deadline=0.0, progress=None, memory_mb=5)  # type: ignore[arg-type]
    assert seen == {"deadline": 0.0}


@pytest.fixture
def spy_engine(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls: dict[str, Any] = {}

    def spy(spec: object, bound: int, **kwargs: Any) -> EngineOutcome:
        calls.update(kwargs)
        return EngineOutcome(Verdict.SAFE, True)

    info = engines.EngineInfo("spy", "records its options", lambda: spy)  # type: ignore[arg-type, return-value]
    monkeypatch.setitem(engines.ENGINES, "explicit", info)
    return calls


def test_memory_reaches_the_engine(spy_engine: dict[str, Any]) -> None:
    spec = ROOT / "specs" / "race_fixed.pg"
    status, out, _ = run("--engine", "explicit", "--memory", "64", "-q", str(spec))
    assert status == 0, out
    assert spy_engine["memory_mb"] == 64
    run("--engine", "explicit", "-q", str(spec))
    assert spy_engine["memory_mb"] is None


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_memory_must_be_a_positive_whole_number(value: str) -> None:
    status, out, err = run("--memory", value, "specs/race.pg")
    assert (status, out) == (2, "")
    assert "--memory" in err


# --------------------------------------------------------------------------- tree


def test_help_lists_every_command() -> None:
    status, out, _ = run("--help")
    assert status == 0
    assert out.startswith("usage: pagecheck ")
    names = (
        "lint",
        "graph",
        "equiv",
        "explore",
        "matrix",
        "carry",
        "replay",
        "outcomes",
    )
    for name in names:
        assert f"\n  pagecheck {name} " in out
    assert ("check", *names) == COMMAND_NAMES


@pytest.mark.slow
def test_python_m_checker_is_pagecheck() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "checker", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("usage: pagecheck ")


@pytest.mark.parametrize(
    "argv",
    [
        ["--models", "models", "specs/race.pg"],
        ["check", "--models", "models", "specs/race.pg"],
        ["explore", "--models", "models", "specs/race.pg", "--move", "write"],
        ["matrix", "--models", "models", "specs/race.pg", "--model", "hinting"],
        ["matrix", "--model", "seed", "--model", "hinting", "specs/race.pg"],
        ["matrix", "--model", "seed,hinting", "--models", "models", "specs/race.pg"],
    ],
)
def test_models_is_one_folder_and_never_swallows_a_spec(argv: list[str]) -> None:
    parser = build_parser(io.StringIO(), io.StringIO())
    args = argv if argv[0] in COMMAND_NAMES else ["check", *argv]
    ns = parser.parse_args(args)
    specs = getattr(ns, "paths", None) or getattr(ns, "specs", None) or [ns.spec]
    assert [str(s) for s in specs] == ["specs/race.pg"]
    assert [str(d) for d in ns.models] in ([], ["models"])


def test_lint_and_graph_take_models_folders(tmp_path: Path) -> None:
    parser = build_parser(io.StringIO(), io.StringIO())
    ns = parser.parse_args(["graph", "--models", str(tmp_path), "hinting"])
    assert (ns.model, ns.models) == ("hinting", [tmp_path])


# --------------------------------------------------------------------------- graph


def test_graph_by_name_to_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    target = tmp_path / "g.dot"
    status, out, err = run("graph", "hinting", "-o", str(target))
    assert (status, out) == (0, "")
    assert err == f"pagecheck: wrote {target}\n"
    assert target.read_text().startswith("digraph hinting {")


def test_graph_svg_needs_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    target = tmp_path / "g.svg"
    status, _, err = run("graph", "hinting", "-o", str(target))
    assert status == 2 and "needs Graphviz's `dot`" in err
    assert not target.exists()


def test_graph_refuses_an_unknown_model_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    status, out, err = run("graph", "nosuch", "-o", str(tmp_path / "g.dot"))
    assert (status, out) == (2, "")
    assert "no model file or model named 'nosuch'" in err


# --------------------------------------------------------------------------- layout


def _imports(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
            names.update(f"{'.' * node.level}{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_explore_and_matrix_share_sweep_not_each_other() -> None:
    explore, matrix = _imports(CHECKER / "explore.py"), _imports(CHECKER / "matrix.py")
    assert ".sweep" in explore and ".sweep" in matrix
    assert ".matrix" not in explore and ".explore" not in matrix
    for name in ("cli.py", "tools.py"):
        assert "importlib" not in _imports(CHECKER / name)


def test_one_move_class() -> None:
    from checker import explore

    assert not hasattr(explore, "Move")
    assert explore.CallPlacements.__doc__
