"""Golden input errors: every `errors/*.pg` must fail with exit status 2 and exactly the
stderr in the `.err` file next to it.

A case runs `pagecheck FILE` in-process from inside `errors/`, so paths in messages are
relative. A first line `# pagecheck: ARGS` runs `pagecheck ARGS FILE` instead (e.g.
`lint`). `PAGECHECK_UPDATE_GOLDENS=1` rewrites the `.err` files; review the diff.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from checker.cli import main

HERE = Path(__file__).parent / "errors"
CASES = sorted(HERE.glob("*.pg"))
UPDATE = os.environ.get("PAGECHECK_UPDATE_GOLDENS") == "1"

#: Cases whose golden holds the right output but pagecheck does not print it yet.
KNOWN_BUGS: dict[str, str] = {}


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 30, f"expected at least 30 error cases in {HERE}"


def _argv(case: Path) -> list[str]:
    first = case.read_bytes().split(b"\n", 1)[0]
    prefix = b"# pagecheck:"
    args = first[len(prefix) :].decode().split() if first.startswith(prefix) else []
    return [*args, case.name]


def _params() -> list[object]:
    return [
        pytest.param(
            case,
            id=case.stem,
            marks=[pytest.mark.xfail(reason=KNOWN_BUGS[case.stem], strict=True)]
            if case.stem in KNOWN_BUGS
            else [],
        )
        for case in CASES
    ]


@pytest.mark.parametrize("case", _params())
def test_input_error(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    out, err = io.StringIO(), io.StringIO()
    status = main(_argv(case), stdout=out, stderr=err)
    golden = case.with_suffix(".err")
    if UPDATE and case.stem not in KNOWN_BUGS:
        golden.write_text(err.getvalue(), encoding="utf-8")
    assert status == 2, f"exit status {status}, stdout:\n{out.getvalue()}"
    assert "Traceback" not in err.getvalue()
    assert golden.exists(), f"no {golden.name}: run with PAGECHECK_UPDATE_GOLDENS=1"
    assert err.getvalue() == golden.read_text(encoding="utf-8")
