"""`pagecheck lint|graph|explore|matrix`: arguments, output and exit statuses."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from checker.cli import main

from .conftest import HINTING

CLEAN = (
    "model clean\nguest S\nhost r, z lost\naccess read\naction discard\n"
    "Sr -> same on read\nSr -> Sz on discard\nSz -> Sr on read\n"
)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "hinting.pg").write_text(HINTING)
    (tmp_path / "models" / "clean.pg").write_text(CLEAN)
    (tmp_path / "spec.pg").write_text("use hinting\npage p0 : Sr\n")
    return tmp_path / "models"


def test_lint_clean_model(models: Path) -> None:
    assert run("lint", "models/clean.pg") == (0, "", "")


def test_lint_findings(models: Path) -> None:
    status, out, err = run("lint", "models/hinting.pg")
    assert status == 1 and err == ""
    lines = out.splitlines()
    assert (
        "models/hinting.pg:2:7: warning: state Up is unreachable unless a page starts"
        " there: no transition enters it"
    ) in lines
    assert all(
        ": warning: " in line and line.startswith("models/hinting.pg:")
        for line in lines
    )
    assert "models/hinting.pg:5:8: warning: set_stable on Sr is undefined" in lines


def test_model_by_name(models: Path, tmp_path: Path) -> None:
    assert run("lint", "clean")[0] == 0
    elsewhere = tmp_path / "more"
    elsewhere.mkdir()
    (elsewhere / "other.pg").write_text(CLEAN.replace("model clean", "model other"))
    assert run("lint", "other", "--models", str(elsewhere))[0] == 0
    status, out, err = run("lint", "nosuch")
    assert (status, out) == (2, "")
    assert (
        err
        == "nosuch: error: no model file or model named 'nosuch' (looked in models)\n"
    )


def test_input_errors(models: Path) -> None:
    status, out, err = run("lint", "spec.pg")
    assert (status, out) == (2, "")
    assert err.startswith(
        "spec.pg:1:1: error: spec.pg is a spec, not a model: give the model it uses"
        " (`use hinting`) instead\nuse hinting\n^^^^^^^^^^^\n"
    )
    status, _, err = run("graph", "models/missing.pg")
    assert status == 2
    assert err == "models/missing.pg: error: no such file: models/missing.pg\n"
    (models / "bad.pg").write_text(
        "model bad\nguest S\nhost r\naccess read\nSr -> Sx on read\n"
    )
    status, _, err = run("graph", "models/bad.pg")
    assert status == 2 and err.startswith(
        "models/bad.pg:5:7: error: unknown state 'Sx'"
    )


def test_graph(models: Path) -> None:
    status, out, err = run("graph", "models/clean.pg")
    assert (status, err) == (0, "")
    assert out == (
        "digraph clean {\n"
        'Sr -> Sr [ label="read" ];\n'
        'Sr -> Sz [ label="discard", style=dashed ];\n'
        'Sz -> Sr [ label="read" ];\n'
        "}\n"
    )


def test_usage_errors_and_help(models: Path) -> None:
    status, out, err = run("lint")
    assert (status, out) == (2, "")
    assert "usage: pagecheck lint" in err and "required: MODEL" in err
    status, out, err = run("graph", "a.pg", "--bogus")
    assert status == 2 and "unrecognized arguments: --bogus" in err
    status, out, err = run("lint", "--help")
    assert (status, err) == (0, "")
    assert out.startswith("usage: pagecheck lint")


def test_through_the_cli(models: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["lint", "models/clean.pg"], stdout=out, stderr=err) == 0
    assert main(["graph", "clean"], stdout=out, stderr=err) == 0
    assert out.getvalue().startswith("digraph clean {")
    assert main(["lint", "spec.pg"], stdout=out, stderr=err) == 2
