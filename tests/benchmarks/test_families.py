"""The benchmark families (benchmarks/families.py) get their expected verdicts.

N = 1 and 2 of every family, with both engines: the explicit engine searches every
reachable state; the Z3 engine proves N = 1 completely, and for the safe families at
N = 2 checks runs of up to 8 steps (a complete Z3 proof there takes from 25 s to over
a minute, see docs/benchmarks.md). The refcount counterexample must get longer with N,
and the example specs in benchmarks/specs/ must be what the generator writes.

benchmarks/ is not a package of the project, and this folder has no __init__.py (a
`tests/benchmarks` package would shadow it), so the generator is loaded from its file.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from checker.api import Options, check_file

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
Z3_SHORT_BOUND = 8


def _load_families() -> ModuleType:
    name = "pagecheck_benchmark_families"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "benchmarks" / "families.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


families = _load_families()
FAMILY_NAMES = sorted(families.FAMILIES)


def _check(
    tmp_path: Path,
    family: str,
    n: int,
    engine: str,
    bound: int | None = None,
    text: str | None = None,
):
    path = tmp_path / families.example_path_name(family, n)
    path.write_text(
        text if text is not None else families.spec_text(family, n), encoding="utf-8"
    )
    return check_file(
        path, Options(engine=engine, bound=bound, timeout=300, models_dirs=(MODELS,))
    )


def _assert_expected(result, family: str) -> None:
    fam = families.FAMILIES[family]
    assert str(result.verdict) == fam.expect, result.message
    if fam.expect == "violation":
        assert result.complete
        assert result.prop == fam.prop
    assert result.expectation_met


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_explicit_gets_the_expected_verdict(
    tmp_path: Path, family: str, n: int
) -> None:
    result = _check(tmp_path, family, n, "explicit")
    _assert_expected(result, family)
    assert result.complete


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_z3_gets_the_expected_verdict(tmp_path: Path, family: str, n: int) -> None:
    short = n == 2 and families.FAMILIES[family].expect == "safe"
    result = _check(tmp_path, family, n, "z3", bound=Z3_SHORT_BOUND if short else None)
    _assert_expected(result, family)
    if not short:
        assert result.complete


def test_refcount_counterexample_grows_with_n(tmp_path: Path) -> None:
    lengths = {}
    for engine in ("explicit", "z3"):
        for n in (1, 2):
            result = _check(tmp_path, "refcount", n, engine)
            assert result.trace is not None
            lengths[engine, n] = result.trace.length
    assert lengths["explicit", 1] < lengths["explicit", 2]
    assert lengths["z3", 1] == lengths["explicit", 1]
    assert lengths["z3", 2] == lengths["explicit", 2]


@pytest.mark.parametrize("family", ["churn", "pagecache"])
def test_safe_families_are_not_vacuous(tmp_path: Path, family: str) -> None:
    """Taking a page back with set_stable, not set_stable_if_present, loses data."""
    text = re.sub(
        r"set_stable_if_present\((\w+)\)",
        r"set_stable(\1)",
        families.spec_text(family, 1),
    )
    result = _check(tmp_path, family, 1, "explicit", text=text)
    assert str(result.verdict) == "violation"
    assert result.prop == "silent-loss"


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_example_specs_are_generated(family: str, n: int) -> None:
    path = ROOT / "benchmarks" / "specs" / families.example_path_name(family, n)
    expected = families.spec_text(family, n, use=families.EXAMPLE_USE)
    assert path.read_text(encoding="utf-8") == expected, (
        f"regenerate with: python -m benchmarks --write-specs ({path})"
    )
