"""Sweeps and folder checks on a real Dask cluster (`--cluster`, checker/cluster.py):
the same output as a local run, retries of a killed worker, a check whose worker
always dies reported on its own, and the errors for a missing extra and an
unreachable scheduler. Nothing here contacts an address other than 127.0.0.1."""

from __future__ import annotations

import io
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from checker.cli import main
from checker.cluster import DaskCluster
from checker.executor import ProcessPool
from tests.cli.test_interrupt import interrupt

from . import jobs
from .conftest import WORKERS, wait_for_workers

ROOT = Path(__file__).resolve().parents[2]
EXPLORE_DATA = ROOT / "tests" / "explore" / "data"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and ttys"),
]


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(args, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def untimed(text: str) -> str:
    """A report without its timings (`(0.12s)`, `"time_s": 0.12`)."""
    text = re.sub(r"\(\d+\.\d+s\)", "(…s)", text)
    return re.sub(r'"time_s": [\d.]+', '"time_s": …', text)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_folder_check_prints_what_the_local_run_prints(scheduler: str) -> None:
    args = ["--engine", "explicit", "--models", str(ROOT / "models"), "specs"]
    local = run(args)
    remote = run(["--cluster", scheduler, *args])
    assert remote[0] == local[0]
    assert untimed(remote[1]) == untimed(local[1])
    assert remote[2] == local[2] == ""
    assert local[1].count("\nspecs/") + 1 == len(list((ROOT / "specs").glob("*.pg")))


def test_a_folder_check_with_json_and_errors(
    scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Input errors found where the files are read (a missing model) and where they
    are checked (a bad spec line) come out as in a local run, in file order."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "hinting.pg").write_text(
        (EXPLORE_DATA / "models" / "hinting.pg").read_text()
    )
    specs = tmp_path / "specs"
    specs.mkdir()
    good = (EXPLORE_DATA / "specs" / "early_free.pg").read_text()
    good = good.replace('use "../models/hinting.pg"', "use hinting")
    (specs / "a_good.pg").write_text(good)
    (specs / "b_no_model.pg").write_text("use nowhere\npage p0 : Sr = 1\n")
    (specs / "c_bad_line.pg").write_text("use hinting\npage p0 : Qq = 1\n")
    monkeypatch.chdir(tmp_path)
    args = ["--engine", "explicit", "--json", "specs"]
    local = run(args)
    remote = run(["--cluster", scheduler, *args])
    assert local[0] == 2
    assert remote[0] == local[0]
    assert untimed(remote[1]) == untimed(local[1])
    assert remote[2] == local[2]
    assert "b_no_model.pg:1:1: error: model 'nowhere' not found" in local[2]
    assert "c_bad_line.pg:2:" in local[2]


def test_an_explore_sweep_prints_what_the_local_run_prints(
    scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the Z3 engine: each check's answer depends on its spec alone, not on
    which checks its worker ran before."""
    monkeypatch.chdir(EXPLORE_DATA)
    args = ["explore", "specs/early_free.pg", "--move", "set_unused", "--json"]
    local = run([*args, "-j", "1"])
    remote = run([*args, "--cluster", scheduler])
    assert remote[0] == local[0] == 0
    assert untimed(remote[1]) == untimed(local[1])
    assert '"verdict": "violation"' in local[1]
    assert '"verdict": "safe"' in local[1]


def test_a_matrix_on_the_cluster(
    scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXPLORE_DATA)
    args = ["matrix", "specs", "--model", "hinting,tiny", "--engine", "explicit"]
    local = run([*args, "-j", "1"])
    remote = run([*args, "--cluster", scheduler])
    assert remote == local


def test_carry_on_the_cluster(scheduler: str) -> None:
    spec = str(ROOT / "specs" / "premature_unused_fixed.pg")
    args = ["carry", spec, "--engine", "explicit", "--json"]
    local = run([*args, "-j", "1"])
    remote = run([*args, "--cluster", scheduler])
    assert remote[0] == local[0] == 0
    assert untimed(remote[1]) == untimed(local[1])
    assert '"carries": true' in local[1]


def test_a_local_cluster_for_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--cluster local`: a LocalCluster of `-j` processes, started and stopped by
    the command."""
    monkeypatch.chdir(EXPLORE_DATA)
    args = ["matrix", "specs", "--model", "hinting", "--engine", "explicit", "-j", "2"]
    assert run([*args, "--cluster", "local"]) == run(args)


def test_a_killed_worker_is_retried(scheduler: str, tmp_path: Path) -> None:
    wait_for_workers(scheduler, WORKERS)  # the nannies restart killed workers
    work = [jobs.Value(1), jobs.DieOnce(2, str(tmp_path / "died")), jobs.Value(3)]
    assert DaskCluster(scheduler).run(work, None) == ["done 1", "done 2", "done 3"]
    assert (tmp_path / "died").exists()


def test_a_check_whose_worker_always_dies_is_reported_alone(scheduler: str) -> None:
    wait_for_workers(scheduler, WORKERS)
    work = [jobs.Value(1), jobs.AlwaysDie(2), jobs.Value(3)]
    assert DaskCluster(scheduler).run(work, None) == [
        "done 1",
        "failed 2: its worker died on every try",
        "done 3",
    ]


def test_results_come_in_job_order_on_every_executor(scheduler: str) -> None:
    work = [jobs.Value(k) for k in range(12)]
    expected = [f"done {k}" for k in range(12)]
    assert DaskCluster(scheduler).run(work, None) == expected
    assert ProcessPool(2).run(work, None) == expected


def test_a_missing_extra_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import` now fails
    status, out, err = run(
        ["--cluster", "tcp://127.0.0.1:1", str(ROOT / "specs" / "race.pg")]
    )
    assert (status, out) == (2, "")
    assert err == (
        "pagecheck: error: --cluster needs Dask, which is not installed: "
        "pip install 'pagecheck[cluster]' (on the workers too)\n"
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_an_unreachable_scheduler_is_one_line_and_exit_2(
    how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = f"tcp://127.0.0.1:{unused_port()}"
    monkeypatch.chdir(EXPLORE_DATA)
    args = ["explore", "specs/early_free.pg", "--move", "set_unused"]
    if how == "option":
        args += ["--cluster", address]
    else:
        monkeypatch.setenv("PAGECHECK_CLUSTER", address)
    start = time.monotonic()
    status, out, err = run(args)
    assert time.monotonic() - start < 30
    assert (status, out) == (2, "")
    assert err.startswith(
        f"pagecheck: error: cannot reach the Dask scheduler at {address}"
    )
    assert err.count("\n") == 1


def test_ctrl_c_cancels_the_submitted_checks(
    scheduler: str, slow_specs: list[Path]
) -> None:
    """A folder check of two slow specs (minutes each), interrupted once its checks
    run on the workers: 130, one line, and the scheduler drops the checks."""
    from distributed import Client

    with Client(scheduler, timeout=30, set_as_default=False) as client:
        status, out, err = interrupt(
            ["--engine", "explicit", "--cluster", scheduler, *map(str, slow_specs)],
            wait_for="check [",
            group=False,
            delay=3.0,
        )
        deadline = time.monotonic() + 60
        while any(client.processing().values()):
            assert time.monotonic() < deadline, client.processing()
            time.sleep(0.2)
    assert status == 130
    assert "Traceback" not in err
    assert err.rstrip().endswith("pagecheck: interrupted")
    assert out == ""
