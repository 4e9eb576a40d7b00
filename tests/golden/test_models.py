"""Golden `pagecheck lint` and `pagecheck graph` output for every model in `models/`.

Each `models/NAME.pg` has `models/NAME.lint` (the warnings) and `models/NAME.dot` (the
diagram) here; both commands run in-process from the repository root.
`PAGECHECK_UPDATE_GOLDENS=1` rewrites the files; review the diff.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from checker.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDENS = Path(__file__).parent / "models"
MODELS = sorted((ROOT / "models").glob("*.pg"))
UPDATE = os.environ.get("PAGECHECK_UPDATE_GOLDENS") == "1"


def test_models_exist() -> None:
    assert MODELS, f"no models in {ROOT / 'models'}"


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(args, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def compare(golden: Path, text: str) -> None:
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no {golden.name}: run with PAGECHECK_UPDATE_GOLDENS=1"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_lint(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status, out, err = run(["lint", f"models/{model.name}"])
    assert err == ""
    assert status == (1 if out else 0)
    compare(GOLDENS / f"{model.stem}.lint", out)


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_graph(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status, out, err = run(["graph", f"models/{model.name}"])
    assert (status, err) == (0, "")
    assert out.startswith("digraph ") and out.endswith("}\n")
    compare(GOLDENS / f"{model.stem}.dot", out)
