"""A real Dask cluster on this machine for the cluster tests: `dask scheduler` and
`dask worker` processes bound to 127.0.0.1, with bounded lifetimes (the scheduler
stops when idle, the workers after a while), ended when the tests are done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_interrupt import slow_specs  # noqa: F401 (a fixture)

from . import jobs

SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
WORKERS = 2
ALLOWED_FAILURES = 1
"""How many worker deaths the scheduler forgives a task (Dask's default is 3)."""


def _start(
    args: list[str], log: Path, env: dict[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env
        )


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a scheduler with two single-threaded worker processes."""
    pytest.importorskip("distributed")
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    # The workers run in an empty folder, so a check that read a spec or model file
    # instead of the texts its job carries would fail; they import the test jobs
    # (tests/cluster/jobs.py) under the name the tests gave that module.
    depth = len(jobs.__name__.split("."))
    env = {
        **os.environ,
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(ALLOWED_FAILURES),
        # One task at a time on a one-thread worker: a worker's death then blames
        # only the task it was running, not the ones queued behind it.
        "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
        "PYTHONPATH": str(Path(jobs.__file__).parents[depth - 1]),
    }
    processes = [
        _start(
            [
                *SCHEDULER,
                *("--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
                *("--dashboard-address", "127.0.0.1:0"),  # its web server's port
                *("--scheduler-file", str(file), "--idle-timeout", "600s"),
            ],
            folder / "scheduler.log",
            env,
            folder,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        address = str(json.loads(file.read_text())["address"])
        processes.append(
            _start(
                [
                    *WORKER,
                    *("--scheduler-file", str(file), "--host", "127.0.0.1"),
                    *("--nworkers", str(WORKERS), "--nthreads", "1"),
                    *("--no-dashboard", "--lifetime", "900s"),
                ],
                folder / "workers.log",
                env,
                folder,
            )
        )
        wait_for_workers(address, WORKERS)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=30, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=120)
