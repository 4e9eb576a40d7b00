"""Golden end-to-end tests of `pagecheck explore` and `pagecheck matrix`.

Each `golden/*.out` starts with the command (`$ pagecheck explore ...`), run in-process
from `data/`; the rest of the file is its stdout, then `[stderr]` and `[exit N]`. Times
in JSON are masked. Every case also runs with `-j 2` (worker processes), which must
print exactly what `-j 1` prints. `PAGECHECK_UPDATE_GOLDENS=1` rewrites the files from
the `-j 1` run; review the diff.
"""

from __future__ import annotations

import io
import os
import re
import shlex
from pathlib import Path

import pytest

from checker.cli import main

HERE = Path(__file__).parent
DATA = HERE / "data"
CASES = sorted((HERE / "golden").glob("*.out"))
UPDATE = os.environ.get("PAGECHECK_UPDATE_GOLDENS") == "1"
SLOW_CASES = {"matrix_unknown_model", "explore_atomic"}


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 8, f"expected golden cases in {HERE / 'golden'}"


def _command(case: Path) -> list[str]:
    first = case.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.startswith("$ pagecheck "), f"{case.name}: no `$ pagecheck` line"
    return shlex.split(first[len("$ pagecheck ") :])


def mask(text: str) -> str:
    return re.sub(r'"time_s": [0-9.e+-]+', '"time_s": "<time>"', text)


def run(argv: list[str], jobs: int) -> str:
    """The golden text of `pagecheck ARGV -j JOBS` run from `data/`."""
    out, err = io.StringIO(), io.StringIO()
    status = main([*argv, "-j", str(jobs)], stdout=out, stderr=err)
    command = "$ pagecheck " + shlex.join(argv)
    return mask(
        f"{command}\n{out.getvalue()}[stderr]\n{err.getvalue()}[exit {status}]\n"
    )


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.slow) if c.stem in SLOW_CASES else c
        for c in CASES
    ],
    ids=[c.stem for c in CASES],
)
def test_golden(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    got = run(_command(case), jobs=1)
    if UPDATE:
        case.write_text(got, encoding="utf-8")
    assert got == case.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_parallel_run_prints_the_same(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(DATA)
    assert run(_command(case), jobs=2) == case.read_text(encoding="utf-8")


@pytest.mark.slow
def test_python_m_checker_runs_workers() -> None:
    """Workers start from a fresh interpreter; `python -m checker` must survive that."""
    import subprocess
    import sys

    case = HERE / "golden" / "explore_loop.out"
    argv = _command(case)
    done = subprocess.run(
        [sys.executable, "-m", "checker", *argv, "-j", "2"],
        cwd=DATA,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    expected = case.read_text(encoding="utf-8").split("\n", 1)[1]
    assert f"{done.stdout}[stderr]\n{done.stderr}[exit {done.returncode}]\n" == expected
