"""Run one command with a time limit and measure it: the benchmarks' child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Finished:
    stdout: str
    stderr: str  # empty when stderr went to stdout
    code: int
    wall: float
    peak_mb: float  # the process's own peak resident memory (ru_maxrss)
    cpu_s: float  # its user + system CPU time
    interrupted: bool  # it got SIGINT at the limit
    killed: bool  # it got SIGKILL


def run_limited(
    cmd: list[str],
    cwd: Path,
    limit: float,
    grace: float = 0.0,
    *,
    interrupt: bool = False,
    merge_stderr: bool = False,
) -> Finished:
    """Run `cmd` in its own session until it exits.

    At `limit` seconds the session gets SIGINT when `interrupt` (a process that
    reports on SIGINT, like Spin's pan, can still print its statistics), else
    SIGKILL; an interrupted process that is still there `grace` seconds later gets
    SIGKILL. The peak memory is measured with `os.wait4`, so it is the process's own
    and known even when it was killed.
    """
    with (
        tempfile.TemporaryFile(mode="w+") as out,
        tempfile.TemporaryFile(mode="w+") as err,
    ):
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT if merge_stderr else err,
            start_new_session=True,
        )
        interrupted = killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - start
            if not interrupted and not killed and elapsed > limit:
                if interrupt:
                    os.killpg(proc.pid, signal.SIGINT)
                    interrupted = True
                else:
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed = True
            elif interrupted and not killed and elapsed > limit + grace:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.02)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, by wait4
        out.seek(0)
        err.seek(0)
        return Finished(
            out.read(),
            err.read(),
            proc.returncode,
            wall,
            usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime,
            interrupted,
            killed,
        )
