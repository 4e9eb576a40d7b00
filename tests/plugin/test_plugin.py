"""The pytest plugin (`checker.pytest_plugin`), run with `pytester` in a scratch dir.

The plugin is registered by the package's `pytest11` entry point, so the inner pytest
runs load it just as a user's would.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import checker.api
import checker.engines.explicit
import checker.report.text
from checker.pytest_plugin import is_model_text

pytest_plugins = ["pytester"]

# In-process runs drop the modules they import; importing (and warming) the checker
# here keeps them, so each inner run does not load the grammar again.
WARM = (checker.api, checker.engines.explicit, checker.report.text)
ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "golden" / "reports" / "models" / "hinting.pg"

MET = """\
use hinting
page p0 : Sr = 7
thread cpu0 {
  set_unused(p0)
}
thread cpu1 {
  r = read(p0)
}
expect violation silent-loss
"""
SAFE = """\
use hinting
page p0 : Sr = 7
host none
thread cpu0 {
  r = read(p0)
  assert r == 7
}
"""
UNMET = """\
use hinting
page p0 : Sr = 7
thread cpu0 {
  set_unused(p0)
  r = read(p0)
}
expect safe
"""
BROKEN = """\
use hinting
page p0 : Sr = 7
thread cpu0 {
  r = read(p9)
}
"""
HUGE = """\
use hinting
page p0 : Sr = 0
var a = 0
var b = 0
host none
bound 1000000
thread t1 {
  while true { a = a + 1 }
}
thread t2 {
  while true { b = b + 1 }
}
"""


@pytest.fixture(scope="module", autouse=True)
def _warm(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("warm")
    (folder / "hinting.pg").write_text(MODEL.read_text())
    (folder / "met.pg").write_text(MET.replace("use hinting", 'use "hinting.pg"'))
    options = checker.api.Options(engine="explicit")
    assert checker.api.check_file(folder / "met.pg", options).expectation_met


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with `models/hinting.pg` and two passing specs in `specs/`."""
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\npagecheck_engine = "explicit"\n'
    )
    (pytester.path / "models").mkdir()
    shutil.copy(MODEL, pytester.path / "models" / "hinting.pg")
    specs = pytester.path / "specs"
    specs.mkdir()
    (specs / "met.pg").write_text(MET)
    (specs / "safe.pg").write_text(SAFE)
    shutil.copy(MODEL, specs / "also_a_model.pg")  # models are skipped
    return pytester


def test_specs_pass(project: pytest.Pytester) -> None:
    result = project.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["specs/met.pg::met PASSED*", "specs/safe.pg::safe PASSED*"]
    )


def test_failure_shows_the_trace(project: pytest.Pytester) -> None:
    (project.path / "specs" / "unmet.pg").write_text(UNMET)
    result = project.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pagecheck: expected safe, got violation",
            "specs/unmet.pg: violation silent-loss in 3 steps, complete * "
            "[[]FAIL: expected safe[]]",
            "  silent-loss at step 3 (thread cpu0): read of page p0*",
            "  --> specs/unmet.pg:5:3",
            "  5 |   r = read(p0)",
            "    |   ^^^^^^^^^^^^",
            "  step  cpu0 * host",
            "*>3  r = read(p0) → 0  Uz→Ur  ← silent-loss",
            "FAILED specs/unmet.pg::unmet*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_input_error_fails_with_the_caret(project: pytest.Pytester) -> None:
    (project.path / "specs" / "broken.pg").write_text(BROKEN)
    result = project.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "pagecheck: input error",
            "specs/broken.pg:4:12: error: unknown page 'p9'*",
            "  r = read(p9)",
            "           ^^",
        ]
    )


def test_keyword_and_marker_selection(project: pytest.Pytester) -> None:
    (project.path / "specs" / "unmet.pg").write_text(UNMET)
    project.runpytest("-k", "safe").assert_outcomes(passed=1, deselected=2)
    project.runpytest("-k", "met and not unmet").assert_outcomes(passed=1, deselected=2)
    project.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = project.runpytest("-m", "pagecheck", "-k", "not unmet")
    result.assert_outcomes(passed=2, deselected=2)


def test_junit_xml(project: pytest.Pytester) -> None:
    (project.path / "specs" / "unmet.pg").write_text(UNMET)
    project.runpytest("--junitxml=report.xml")
    root = ET.parse(project.path / "report.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"met", "safe", "unmet"}
    assert cases["met"].find("failure") is None
    failure = cases["unmet"].find("failure")
    assert failure is not None
    assert "← silent-loss" in (failure.text or "")
    props = {p.get("name"): p.get("value") for p in cases["met"].iter("property")}
    assert props == {
        "verdict": "violation",
        "property": "silent-loss",
        "complete": "true",
        "engine": "explicit",
    }


@pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None, reason="pytest-xdist not installed"
)
@pytest.mark.slow
def test_xdist(project: pytest.Pytester) -> None:
    (project.path / "specs" / "unmet.pg").write_text(UNMET)
    result = project.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*← silent-loss*"])


def test_only_spec_folders_are_collected(project: pytest.Pytester) -> None:
    other = project.path / "tests" / "golden"
    other.mkdir(parents=True)
    (other / "unmet.pg").write_text(
        UNMET.replace("use hinting", 'use "../../models/hinting.pg"')
    )
    project.runpytest().assert_outcomes(passed=2)
    # named on the command line, a spec is collected wherever it is
    project.runpytest("tests/golden/unmet.pg").assert_outcomes(failed=1)


def test_pagecheck_paths_ini(project: pytest.Pytester) -> None:
    regress = project.path / "regress"
    regress.mkdir()
    (regress / "safe.pg").write_text(SAFE)
    (project.path / "models" / "spec_beside_models.pg").write_text(SAFE)
    project.makepyprojecttoml(
        "[tool.pytest.ini_options]\n"
        'pagecheck_engine = "explicit"\n'
        'pagecheck_paths = ["regress"]\n'
    )
    result = project.runpytest("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["regress/safe.pg::safe PASSED*"])


def test_engine_and_timeout_options(project: pytest.Pytester) -> None:
    (project.path / "specs" / "huge.pg").write_text(HUGE)
    result = project.runpytest(
        "--pagecheck-engine", "explicit", "--pagecheck-timeout", "0.3", "-k", "huge"
    )
    result.assert_outcomes(failed=1, deselected=2)
    result.stdout.fnmatch_lines(
        [
            "*specs/huge.pg: unknown (time limit reached at depth *",
            "*stopped: time limit*",
        ]
    )


def test_bad_ini_engine_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.pytest.ini_options]\npagecheck_engine = "cbmc"\n')
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*pagecheck_engine must be one of auto, explicit, bmc, induction, z3,*"]
    )


def test_help_shows_the_option_group(project: pytest.Pytester) -> None:
    result = project.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "pagecheck: .pg specs as tests:",
            "*--pagecheck-engine*",
            "*--pagecheck-timeout*",
            "*pagecheck_paths*",
        ]
    )


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, checker.pytest_plugin\n"
        "heavy = [m for m in ('z3', 'lark', 'checker.api', 'checker.load') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_collection_imports_nothing_heavy(project: pytest.Pytester) -> None:
    project.makeconftest(
        "import sys\n"
        "def pytest_collection_finish(session):\n"
        "    heavy = [m for m in ('z3', 'lark', 'checker.api') if m in sys.modules]\n"
        "    print('HEAVY', heavy)\n"
    )
    result = project.runpytest_subprocess("--collect-only", "-q", "-s")
    result.stdout.fnmatch_lines(["HEAVY []"])


def test_model_sniffing() -> None:
    assert is_model_text(MODEL.read_text())
    assert is_model_text('# a comment\n  model m from dot "x.dot"\n')
    assert not is_model_text(MET)
    assert not is_model_text("# model hinting, in a comment\nuse hinting\n")
