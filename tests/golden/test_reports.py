"""Golden reports: the text report, Mermaid, DOT and JSON output, pinned.

Each `reports/cases/*.out` starts with the command (`$ pagecheck ARGS`), run in-process
from `reports/`; the rest is its stdout, then `[stderr]`, its stderr and `[exit N]`.
Times are masked (`<time>`): they are the only thing that varies between runs; the
JSON's version fields are masked too, so that a release does not rewrite every file.
The specs are the language reference's examples (`reports/specs/`, with their model in
`reports/models/`) and a few more (`reports/extra/`) for atomic steps, deadlocks,
scripted hosts and expected traces, and `reports/liveness/` for a lasso. Schedules are
pinned with `--engine explicit` (Z3 may find another shortest schedule); the Z3 cases
pin verdicts, and one BMC lasso (`z3_lasso*`: Z3 runs in a context of its own with a
fixed seed, so its lasso does not vary between runs).
`PAGECHECK_UPDATE_GOLDENS=1` rewrites the files; review the diff.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import main

HERE = Path(__file__).parent / "reports"
CASES = sorted((HERE / "cases").glob("*.out"))
UPDATE = os.environ.get("PAGECHECK_UPDATE_GOLDENS") == "1"

_MASKS = (
    (re.compile(r"\(\d+\.\d\ds\)"), "(<time>)"),
    (re.compile(r'"time_s": [0-9.e+-]+'), '"time_s": "<time>"'),
    # not varying, but a release or a new Z3 should not rewrite every golden
    (re.compile(r'"(pagecheck|z3)_version": "[^"]*"'), r'"\1_version": "<version>"'),
)


def mask(text: str) -> str:
    """The output with its times (and versions) replaced by placeholders."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def command(case: Path) -> list[str]:
    first = case.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.startswith("$ pagecheck "), f"{case.name}: no `$ pagecheck` line"
    return shlex.split(first[len("$ pagecheck ") :])


def run(argv: list[str]) -> str:
    """The golden text of `pagecheck ARGV` (run from `reports/`)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    head = "$ pagecheck " + shlex.join(argv)
    return mask(f"{head}\n{out.getvalue()}[stderr]\n{err.getvalue()}[exit {status}]\n")


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 15, f"expected golden cases in {HERE / 'cases'}"
    kinds = {case.stem.split("_")[0] for case in CASES}
    assert {"text", "mermaid", "dot", "json", "z3"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    monkeypatch.delenv("NO_COLOR", raising=False)
    got = run(command(case))
    if UPDATE:
        case.write_text(got, encoding="utf-8")
    assert got == case.read_text(encoding="utf-8")


def test_reports_are_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs print the same bytes once times are masked: in this process, and in
    fresh processes with other string hash seeds (no set or dict order leaks out)."""
    monkeypatch.chdir(HERE)
    argv = ["--json", "--engine", "explicit", "specs", "extra"]
    assert run(argv) == run(argv)
    text = ["--engine", "explicit", "--trace", "dot", "specs", "extra"]
    assert run(text) == run(text)

    def json_of_a_fresh_process(engine: str, hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(HERE.parents[2]), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        command = [sys.executable, "-m", "checker", "--json", "--engine", engine]
        done = subprocess.run(
            [*command, "specs", "extra"],
            cwd=HERE,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        specs = [*(HERE / "specs").glob("*.pg"), *(HERE / "extra").glob("*.pg")]
        assert len(json.loads(done.stdout)["results"]) == len(specs)
        return mask(done.stdout)

    for engine in ("explicit", "z3"):
        assert json_of_a_fresh_process(engine, "0") == json_of_a_fresh_process(
            engine, "12345"
        )


def test_mask_leaves_other_numbers_alone() -> None:
    line = 'specs/x.pg: safe, bounded at 2 (0.03s)  "time_s": 0.031, "bound": 2'
    masked = 'specs/x.pg: safe, bounded at 2 (<time>)  "time_s": "<time>", "bound": 2'
    assert mask(line) == masked
