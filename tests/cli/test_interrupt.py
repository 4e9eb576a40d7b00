"""Ctrl-C: `pagecheck` stops with exit status 130 and one line, never a traceback.

Each test runs `python -m checker` on a benchmark spec that takes minutes with the
explicit engine (`refcount` at N=10, benchmarks/families.py: tens of millions of
states even one per orbit of its symmetric CPUs), with stderr on a pseudo terminal so that the
live progress line (or progress bar) shows when the check is under way; then it sends
SIGINT, as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import importlib.util
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and ttys"),
]


def _families() -> ModuleType:
    """benchmarks/families.py (benchmarks/ is not a package of the project)."""
    name = "pagecheck_families_for_interrupts"
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "benchmarks" / "families.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def slow_specs(tmp_path: Path) -> list[Path]:
    text = _families().spec_text("refcount", 10)
    paths = [tmp_path / "slow.pg", tmp_path / "after.pg"]
    for path in paths:
        path.write_text(text)
    return paths


def interrupt(
    args: list[str],
    *,
    wait_for: str,
    group: bool,
    delay: float = 0.5,
    exited: Callable[[int], None] | None = None,
) -> tuple[int, str, str]:
    """Run `python -m checker ARGS`, wait until stderr shows `wait_for` and `delay`
    seconds more, send SIGINT (to the whole process group when `group`, as a
    terminal does; else to pagecheck alone); returns the status, stdout, stderr.
    `exited` is called with pagecheck's process group once pagecheck has exited."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "checker", "--models", str(ROOT / "models"), *args]
        if args[0] not in ("matrix", "explore")
        else [sys.executable, "-m", "checker", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
        start_new_session=True,
    )
    os.close(follower)
    err = b""
    deadline = time.monotonic() + 60
    try:
        while wait_for.encode() not in err:
            assert time.monotonic() < deadline, f"never saw {wait_for!r}: {err!r}"
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                err += os.read(leader, 4096)
        time.sleep(delay)
        if group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
        while True:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                break
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            err += chunk
        if exited is not None:
            exited(process.pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(leader)
    return process.returncode, out, err.decode("utf-8", "replace")


def test_a_check_stops_with_130_and_checks_no_further_spec(
    slow_specs: list[Path],
) -> None:
    slow, after = slow_specs
    status, out, err = interrupt(
        ["--engine", "explicit", str(slow), str(after)],
        wait_for="explicit, step",
        group=False,
    )
    assert status == 130
    assert "Traceback" not in err
    assert err.rstrip().endswith("pagecheck: interrupted")
    assert "after.pg" not in out + err


@pytest.mark.parametrize(
    ("group", "delay"),
    [(False, 0.5), (True, 0.5), (False, 4.0), (True, 4.0)],
    ids=["pagecheck-starting", "group-starting", "pagecheck-busy", "group-busy"],
)
def test_matrix_cancels_its_workers(
    slow_specs: list[Path], group: bool, delay: float
) -> None:
    """While the workers start, and while they check: no hang, no traceback."""
    status, out, err = interrupt(
        [
            "matrix",
            *map(str, slow_specs),
            "--model",
            "hinting",
            "--models",
            str(ROOT / "models"),
            "--engine",
            "explicit",
            "-j",
            "2",
        ],
        wait_for="matrix [",
        group=group,
        delay=delay,
    )
    assert status == 130
    assert "Traceback" not in err
    assert err.rstrip().endswith("pagecheck: interrupted")
    assert out == ""


def _no_process_left(group: int) -> None:
    """Nothing pagecheck started outlives it: its process group empties."""
    deadline = time.monotonic() + 5
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, "a process of pagecheck's group is left"
        time.sleep(0.1)


@pytest.mark.parametrize("group", [False, True], ids=["pagecheck", "group"])
def test_the_portfolio_stops_every_engine(slow_specs: list[Path], group: bool) -> None:
    """Ctrl-C while explicit, induction and BMC race: 130, and no engine left."""
    slow, after = slow_specs
    status, out, err = interrupt(
        ["--engine", "auto", str(slow), str(after)],
        wait_for="explicit, step",
        group=group,
        delay=3.0,
        exited=_no_process_left,
    )
    assert status == 130
    assert "Traceback" not in err
    assert err.rstrip().endswith("pagecheck: interrupted")
    assert "after.pg" not in out + err
