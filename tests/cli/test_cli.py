"""The `pagecheck` command in-process: exit statuses, options, output formats.

Every test calls `main([...], stdout=StringIO(), stderr=StringIO())` except one, which
runs the installed console script in a subprocess.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker import __version__
from checker.cli import main
from checker.exit import ExitStatus, worst

EXIT_OK = ExitStatus.OK
EXIT_UNMET = ExitStatus.EXPECTATION_FAILED
EXIT_INPUT = ExitStatus.INPUT_ERROR
EXIT_UNKNOWN = ExitStatus.UNKNOWN

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "golden" / "reports" / "models" / "hinting.pg"

#: Specs whose verdicts are known, by the exit status they give alone.
MET = """\
page p0 : Sr = 7
thread cpu0 {
  set_unused(p0)
}
thread cpu1 {
  r = read(p0)
}
expect violation silent-loss
"""
UNMET = """\
page p0 : Sr = 7
thread cpu0 {
  set_unused(p0)
  r = read(p0)
}
"""
SAFE = """\
page p0 : Sr = 7
host none
thread cpu0 {
  r = read(p0)
  assert r == 7
}
expect safe
"""
#: Three unbounded counters: no end to the state space, so only a limit stops it.
HUGE = """\
page p0 : Sr = 0
var a = 0
var b = 0
var c = 0
host none
bound 1000000
thread t1 {
  while true { a = a + 1 }
}
thread t2 {
  while true { b = b + 1 }
}
thread t3 {
  while true { c = c + 1 }
}
"""
BROKEN = """\
page p0 : Sr = 7
thread cpu0 {
  r = read(p9)
}
"""


class Run:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err


def run(*argv: str | Path) -> Run:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return Run(status, out.getvalue(), err.getvalue())


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder laid out like the repository: `models/hinting.pg` and `specs/`."""
    (tmp_path / "models").mkdir()
    shutil.copy(MODEL, tmp_path / "models" / "hinting.pg")
    (tmp_path / "specs").mkdir()
    for name, body in (("met", MET), ("unmet", UNMET), ("safe", SAFE)):
        (tmp_path / "specs" / f"{name}.pg").write_text("use hinting\n" + body)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "huge.pg").write_text('use "../models/hinting.pg"\n' + HUGE)
    (tmp_path / "other" / "broken.pg").write_text(
        'use "../models/hinting.pg"\n' + BROKEN
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


EXPLICIT = ("--engine", "explicit")


# --------------------------------------------------------------------------- statuses


def test_expected_violation_exits_0(specs: Path) -> None:
    r = run(*EXPLICIT, "specs/met.pg")
    assert r.status == EXIT_OK
    assert r.out.startswith("specs/met.pg: violation silent-loss in 3 steps, complete")
    assert r.err == ""


def test_safe_spec_exits_0_and_says_how(specs: Path) -> None:
    r = run(*EXPLICIT, "specs/safe.pg")
    assert r.status == EXIT_OK
    assert "specs/safe.pg: safe, complete" in r.out
    assert "  proved: " in r.out


def test_unmet_expectation_exits_1(specs: Path) -> None:
    r = run(*EXPLICIT, "specs/unmet.pg")
    assert r.status == EXIT_UNMET
    assert "[FAIL: expected safe]" in r.out


def test_input_error_exits_2_with_caret(specs: Path) -> None:
    r = run(*EXPLICIT, "other/broken.pg")
    assert r.status == EXIT_INPUT
    assert r.out == ""
    assert r.err.startswith("other/broken.pg:4:12: error: unknown page 'p9'")
    assert "           ^^" in r.err


def test_missing_file_exits_2(specs: Path) -> None:
    r = run(*EXPLICIT, "nowhere.pg")
    assert r.status == EXIT_INPUT
    assert r.err == "nowhere.pg: error: no such file or folder: nowhere.pg\n"


def test_folder_without_specs_exits_2(specs: Path) -> None:
    r = run(*EXPLICIT, "models")
    assert r.status == EXIT_INPUT
    assert "no specs" in r.err


def test_timeout_gives_unknown_and_exit_3_quickly(specs: Path) -> None:
    r = run(*EXPLICIT, "--timeout", "0.3", "other/huge.pg")
    assert r.status == EXIT_UNKNOWN
    assert "other/huge.pg: unknown (time limit reached at depth " in r.out
    assert "stopped: time limit reached" in r.out
    assert "FAIL" not in r.out


@pytest.mark.parametrize(
    ("files", "status"),
    [
        (["specs/met.pg", "specs/safe.pg"], EXIT_OK),
        (["specs/unmet.pg", "specs/met.pg"], EXIT_UNMET),
        (["specs/met.pg", "other/huge.pg", "specs/unmet.pg"], EXIT_UNKNOWN),
        (["specs/unmet.pg", "other/huge.pg", "other/broken.pg"], EXIT_INPUT),
        (["other/broken.pg", "specs/met.pg"], EXIT_INPUT),
    ],
)
def test_several_specs_first_of_2_3_1_0(
    specs: Path, files: list[str], status: int
) -> None:
    r = run(*EXPLICIT, "--timeout", "0.3", *files)
    assert r.status == status
    checked = [f for f in files if f != "other/broken.pg"]
    assert [line.split(":")[0] for line in r.out.splitlines() if line[:1] != " "] == (
        checked
    )


def test_worst_is_the_first_of_2_3_1_0() -> None:
    for n in range(1, 5):
        for codes in itertools.product((0, 1, 2, 3), repeat=n):
            expected = next((c for c in (2, 3, 1) if c in codes), 0)
            assert worst(codes) == expected


def test_folder_checks_every_spec_and_skips_models(specs: Path) -> None:
    shutil.copy(MODEL, specs / "specs" / "a_model.pg")
    r = run(*EXPLICIT, "-q", "specs")
    assert r.status == EXIT_UNMET
    assert r.out.splitlines() == [
        line
        for line in r.out.splitlines()
        if line.split(":")[0] in ("specs/met.pg", "specs/safe.pg", "specs/unmet.pg")
    ]
    assert len(r.out.splitlines()) == 3


def test_bound_overrides_the_spec(specs: Path) -> None:
    r = run(*EXPLICIT, "--bound", "2", "specs/met.pg")
    assert r.status == EXIT_UNMET
    assert "specs/met.pg: safe, bounded at 2" in r.out
    assert "no violation up to bound 2" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bound", "-1"], "the bound must be ≥ 0"),
        (["--bound", "x"], "expected a whole number of steps"),
        (["--timeout", "0"], "the timeout must be > 0 seconds"),
        (["--engine", "cbmc"], "invalid choice: 'cbmc'"),
        (["--json", "--trace", "dot"], "write the picture to a file with -o FILE"),
        (["-o", "out.txt"], "cannot tell the picture format of out.txt"),
        (["--trace", "mermaid", "-o", "x.svg"], "use --trace dot, not mermaid"),
        (["--trace", "dot", "-o", "x.mmd"], "does not go with --trace dot"),
    ],
)
def test_usage_errors_exit_2(specs: Path, args: list[str], message: str) -> None:
    r = run(*args, "specs/met.pg")
    assert r.status == EXIT_INPUT
    assert r.out == ""
    assert message in r.err
    assert r.err.startswith("usage: pagecheck")


def test_help_lists_the_exit_statuses() -> None:
    r = run("--help")
    assert r.status == 0
    assert r.err == ""
    assert "exit status:" in r.out
    for code in "0123":
        assert f"\n  {code}  " in r.out
    assert "first of 2, 3, 1, 0" in r.out
    for option in ("--engine", "--bound", "--timeout", "--json", "--trace", "-o"):
        assert option in r.out


def test_version_names_pagecheck_and_z3() -> None:
    import z3

    r = run("--version")
    assert r.status == 0
    assert r.out == f"pagecheck {__version__} (z3 {z3.get_version_string()})\n"


def test_subcommands_still_dispatch(specs: Path) -> None:
    r = run("graph", "models/hinting.pg")
    assert r.status == 0
    assert r.out.startswith("digraph hinting {")


def test_check_subcommand_is_the_default(specs: Path) -> None:
    a = run("check", *EXPLICIT, "-q", "specs/met.pg")
    b = run(*EXPLICIT, "-q", "specs/met.pg")
    assert a.status == b.status == EXIT_OK
    assert a.out.split(" (")[0] == b.out.split(" (")[0]


# --------------------------------------------------------------------------- output


def test_quiet_prints_only_summaries(specs: Path) -> None:
    r = run(*EXPLICIT, "-q", "specs/met.pg", "specs/safe.pg")
    lines = r.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("specs/met.pg: violation silent-loss in 3 steps")
    assert lines[1].startswith("specs/safe.pg: safe, complete")


def test_text_report_has_story_caret_and_table(specs: Path) -> None:
    r = run(*EXPLICIT, "specs/met.pg")
    lines = r.out.splitlines()
    assert lines[1].startswith("  silent-loss at step 3 (thread cpu1): read of page p0")
    assert lines[2] == "  --> specs/met.pg:7:3"
    assert lines[3] == "  7 |   r = read(p0)"
    assert lines[4] == "    |   ^^^^^^^^^^^^"
    assert lines[5] == "  start: p0 Sr = 7"
    header = lines[6].split()
    assert header == ["step", "cpu0", "cpu1", "host"]
    assert ">3" in lines[-1]
    assert lines[-1].endswith("r = read(p0) → 0  Uz→Ur  ← silent-loss")


def test_json_document(specs: Path) -> None:
    r = run(*EXPLICIT, "--json", "--seed", "7", "specs/met.pg", "other/broken.pg")
    assert r.status == EXIT_INPUT
    doc = json.loads(r.out)
    assert list(doc) == [
        "schema_version",
        "trace_schema_version",
        "pagecheck_version",
        "z3_version",
        "seed",
        "results",
        "errors",
    ]
    assert doc["seed"] == 7
    assert doc["pagecheck_version"] == __version__
    (result,) = doc["results"]
    assert list(result)[:12] == [
        "file",
        "model",
        "verdict",
        "complete",
        "bound",
        "property",
        "message",
        "expect",
        "expectation_met",
        "time_s",
        "trace",
        "engine",
    ]
    assert result["file"] == "specs/met.pg"
    step = result["trace"][-1]
    assert list(step) == [
        "step",
        "thread",
        "op",
        "page",
        "args",
        "result",
        "before",
        "after",
        "line",
        "changes",
    ]
    assert step.pop("changes") == {
        "p0.state": "Ur",
        "cpu1.pc": "end",
        "cpu1.status": "done",
    }
    assert step == {
        "step": 3,
        "thread": "cpu1",
        "op": "read",
        "page": "p0",
        "args": {},
        "result": 0,
        "before": "Uz",
        "after": "Ur",
        "line": 7,
    }
    assert doc["errors"][0]["file"] == "other/broken.pg"
    assert str(specs) not in r.out  # no absolute paths the user did not give


def test_mermaid_is_markdown_with_a_sequence_diagram(specs: Path) -> None:
    r = run(*EXPLICIT, "--trace", "mermaid", "specs/met.pg", "specs/safe.pg")
    assert r.status == EXIT_OK
    assert r.out.count("```mermaid\nsequenceDiagram\n") == 1
    assert "participant P0 as page p0" in r.out
    assert "Note over T1,P0: ✗ silent-loss at step 3" in r.out
    assert "specs/safe.pg: safe, complete" in r.out


def test_dot_on_stdout_is_one_digraph_per_violation(specs: Path) -> None:
    r = run(*EXPLICIT, "--trace", "dot", "specs/met.pg", "specs/safe.pg")
    assert r.out.count("digraph ") == 1
    assert all(
        line.startswith(("//", "digraph", "  ", "}")) for line in r.out.splitlines()
    )


def test_output_dot_and_mermaid_files(specs: Path) -> None:
    r = run(*EXPLICIT, "-o", "trace.dot", "specs/met.pg")
    assert r.status == EXIT_OK
    assert Path("trace.dot").read_text().startswith('digraph "specs/met.pg" {')
    assert "pagecheck: wrote trace.dot" in r.err
    assert "silent-loss at step 3" in r.out  # the text report still goes to stdout
    run(*EXPLICIT, "-o", "trace.mmd", "specs/met.pg")
    assert Path("trace.mmd").read_text().startswith("sequenceDiagram\n")


def test_output_with_several_violations_writes_one_file_each(specs: Path) -> None:
    r = run(*EXPLICIT, "-o", "out.dot", "specs/met.pg", "specs/unmet.pg")
    assert r.status == EXIT_UNMET
    assert sorted(p.name for p in specs.glob("out*")) == [
        "out-met.dot",
        "out-unmet.dot",
    ]


def test_output_without_violation_writes_nothing(specs: Path) -> None:
    r = run(*EXPLICIT, "-o", "out.dot", "specs/safe.pg")
    assert r.status == EXIT_OK
    assert not Path("out.dot").exists()
    assert "no violation" in r.err


def test_svg_without_graphviz_exits_2(
    specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    r = run(*EXPLICIT, "-o", "trace.svg", "specs/met.pg")
    assert r.status == EXIT_INPUT
    assert r.out == ""  # nothing was checked
    assert "needs Graphviz's `dot`, which is not installed" in r.err
    assert not Path("trace.svg").exists()


def test_svg_is_rendered_by_dot(specs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = specs / "fake-dot"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "assert sys.argv[1] == '-Tsvg' and sys.argv[2] == '-o'\n"
        "open(sys.argv[3], 'w').write('<svg>' + sys.stdin.read() + '</svg>')\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    r = run(*EXPLICIT, "-o", "trace.svg", "specs/met.pg")
    assert r.status == EXIT_OK
    svg = Path("trace.svg").read_text()
    assert svg.startswith('<svg>digraph "specs/met.pg" {')


def test_failing_graphviz_exits_2(specs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = specs / "bad-dot"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.exit('syntax error')\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    r = run(*EXPLICIT, "-o", "trace.png", "specs/met.pg")
    assert r.status == EXIT_INPUT
    assert "Graphviz could not render trace.png: syntax error" in r.err


# --------------------------------------------------------------------------- colour


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal(
    specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "\x1b[" not in run(*EXPLICIT, "specs/met.pg").out
    out = Terminal()
    main([*EXPLICIT, "specs/met.pg"], stdout=out, stderr=io.StringIO())
    assert "\x1b[31;1mviolation silent-loss\x1b[0m" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    main([*EXPLICIT, "specs/met.pg"], stdout=out, stderr=io.StringIO())
    assert "\x1b[" not in out.getvalue()
    assert "\x1b[" in run(*EXPLICIT, "--color", "always", "specs/met.pg").out


def test_colour_does_not_change_the_text(specs: Path) -> None:
    import re

    def untimed(text: str) -> str:
        return re.sub(r"\(\d+\.\d+s\)", "(time)", text)

    plain = run(*EXPLICIT, "--color", "never", "specs/met.pg").out
    coloured = run(*EXPLICIT, "--color", "always", "specs/met.pg").out
    assert untimed(re.sub(r"\x1b\[[0-9;]*m", "", coloured)) == untimed(plain)


# --------------------------------------------------------------------------- progress


def test_no_progress_line_when_stderr_is_not_a_terminal(specs: Path) -> None:
    r = run(*EXPLICIT, "--timeout", "1.5", "other/huge.pg")
    assert r.status == EXIT_UNKNOWN
    assert r.err == ""


def test_progress_line_on_a_terminal(specs: Path) -> None:
    err = Terminal()
    status = main(
        [*EXPLICIT, "--timeout", "1.5", "other/huge.pg"],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert status == EXIT_UNKNOWN
    text = err.getvalue()
    assert "\rother/huge.pg: explicit, step " in text
    assert "/1000000, " in text
    assert " states, " in text
    assert text.endswith("\r")  # the line is erased before the report


# --------------------------------------------------------------------------- script


@pytest.mark.slow
def test_installed_console_script() -> None:
    script = Path(sys.executable).parent / "pagecheck"
    if not script.exists():
        found = shutil.which("pagecheck")
        if found is None:
            pytest.skip("the pagecheck console script is not installed")
        script = Path(found)
    spec = ROOT / "tests" / "golden" / "reports" / "specs" / "premature_unused.pg"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run(
        [str(script), "--engine", "explicit", "-q", str(spec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{spec}: violation silent-loss in 3 steps")
    assert "\x1b[" not in done.stdout  # a pipe is not a terminal
    assert done.stderr == ""


def test_unwritable_output_exits_2(specs: Path) -> None:
    r = run(*EXPLICIT, "-o", "no/such/folder/trace.dot", "specs/met.pg")
    assert r.status == EXIT_INPUT
    assert "cannot write no/such/folder/trace.dot: No such file or directory" in r.err
