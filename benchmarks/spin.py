"""Run Spin on the Promela translation of a benchmark family (benchmarks/promela.py).

One run: generate the Promela (`family_promela`), `spin -a` it into `pan.c`, compile
`pan` with gcc and run it, each in a fresh temporary folder. The mode depends on what
the family must show:

- safe families (`churn`, `refcount-fixed`, `pagecache`): an exhaustive depth-first
  search with Spin's partial-order reduction, `gcc -O2 -DSAFETY` and
  `./pan -m100000 -w22`, Spin's usual way of proving a safety property;
- the violation (`refcount`): breadth-first without reduction,
  `gcc -O2 -DSAFETY -DBFS -DNOREDUCE`, the only mode in which pan's first
  counterexample is a shortest one (as pagecheck's always is).

`pan` runs with `-n` (no list of unreached code) and `-E` (no invalid-end-state check:
pagecheck's `deadlock` property is off by default). `-w22` starts the hash table at
2^22 slots (32 MB); pan 6.5.2 enlarges it by itself as states accumulate
(AUTO_RESIZE), so a small run does not pay for a large table. The DFS stack starts at
100,000 steps; if pan reports that the depth was too small, it runs again with ten
times the depth (the time of every attempt counts). The memory of pan is capped with
`-DMEMLIM` (the `--memory-limit` of the benchmarks, else `DEFAULT_MEMLIM_MB`).
Memory per state is pan's "actual memory usage for states" over the states stored
(none below 1 MB, where it is allocation granularity rather than states).

Time: `total_s` is generation, `spin -a`, compilation and search; `search_s` is the
wall time of pan alone. The time limit applies to the search, as an engine's applies
to its check: at the limit pan gets SIGINT, on which it prints its statistics and
exits (the run is a `timeout`, with the states stored so far), and SIGKILL if it is
still there `grace` seconds later. Generation and compilation do not depend on the
size of the state space; each is only killed after `COMPILE_LIMIT` (never a hang).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/ first
    sys.path.insert(0, str(ROOT))

from benchmarks.families import FAMILIES  # noqa: E402
from benchmarks.proc import run_limited  # noqa: E402
from benchmarks.promela import Translation, family_promela  # noqa: E402

DEFAULT_MEMLIM_MB = 8192
START_DEPTH = 100_000
MAX_DEPTH = 100_000_000
HASH_BITS = 22
COMPILE_LIMIT = 300.0  # seconds for `spin -a` and for gcc (only to never hang)
MIN_MEASURED_MB = 1.0  # below this, memory per state is allocation noise
DFS_FLAGS = ("-DSAFETY",)
BFS_FLAGS = ("-DSAFETY", "-DBFS", "-DNOREDUCE")


def available() -> str | None:
    """Spin's version line when `spin` and `gcc` are on PATH, else None."""
    spin = shutil.which("spin")
    if spin is None or shutil.which("gcc") is None:
        return None
    try:
        done = subprocess.run(
            [spin, "-V"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.strip()
    return text.splitlines()[0] if text else "Spin (unknown version)"


def mode(family: str) -> str:
    """`dfs` (exhaustive, partial-order reduction) or `bfs` (shortest counterexample)."""
    return "bfs" if FAMILIES[family].expect == "violation" else "dfs"


@dataclass
class PanOutput:
    """What one pan run printed, parsed."""

    errors: int | None = None
    error: str | None = None  # e.g. `assertion violated pg_pg_valid`
    error_depth: int | None = None
    states: int | None = None
    transitions: int | None = None
    depth: int | None = None
    memory_states_mb: float | None = None  # "actual memory usage for states"
    memory_total_mb: float | None = None
    interrupted: bool = False
    depth_too_small: bool = False
    out_of_memory: bool = False


def _number(pattern: str, text: str) -> float | None:
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


def _int(x: float | None) -> int | None:
    return None if x is None else round(x)


def parse_pan(text: str) -> PanOutput:
    out = PanOutput()
    out.errors = _int(_number(r"errors: (\d+)", text))
    m = re.search(r"^pan:\d+: (.*?) \(at depth (\d+)\)", text, re.MULTILINE)
    if m:
        out.error, out.error_depth = m.group(1).strip(), int(m.group(2))
    num = r"([0-9.]+(?:e[+-]?\d+)?)"
    out.states = _int(_number(num + r" states, stored", text))
    out.transitions = _int(_number(num + r" transitions \(", text))
    out.depth = _int(_number(r"depth reached (\d+)", text))
    out.memory_states_mb = _number(num + r"\s+actual memory usage for states", text)
    out.memory_total_mb = _number(num + r"\s+total actual memory usage", text)
    out.interrupted = "Interrupted" in text
    out.depth_too_small = "max search depth too small" in text
    out.out_of_memory = "-DMEMLIM bound" in text or "out of memory" in text
    return out


@dataclass
class SpinRun:
    """One Spin run, in the terms of the benchmark table."""

    status: str  # safe / violation / timeout / memout / error
    mode: str
    complete: bool | None = None
    property: str | None = None
    length: int | None = None  # pan's depth of the error
    states: int | None = None
    transitions: int | None = None
    depth: int | None = None
    total_s: float = 0.0
    search_s: float | None = None
    generate_s: float | None = None
    spin_s: float | None = None
    compile_s: float | None = None
    peak_mb: float | None = None  # pan's own peak RSS
    pan_memory_mb: float | None = None
    bytes_per_state: float | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_spin(
    family: str,
    n: int,
    timeout: float,
    grace: float = 15.0,
    memory_mb: int | None = None,
    *,
    optimize: str = "-O2",
) -> SpinRun:
    """Generate, compile and search one (family, N) with Spin.

    `optimize` is gcc's optimisation flag (tests use `-O0`, which compiles faster)."""
    how = mode(family)
    run = SpinRun("error", how)
    start = time.monotonic()
    try:
        translation = family_promela(family, n)
    except Exception as err:  # the translation is ours: report, do not crash the table
        run.message = f"translation failed: {err}"
        run.total_s = time.monotonic() - start
        return run
    run.generate_s = time.monotonic() - start
    with tempfile.TemporaryDirectory(prefix="pagecheck-spin-") as tmp:
        folder = Path(tmp)
        (folder / "model.pml").write_text(translation.text, encoding="utf-8")
        step_limit = max(COMPILE_LIMIT, timeout + grace)
        spin = run_limited(
            ["spin", "-a", "model.pml"], folder, step_limit, merge_stderr=True
        )
        run.spin_s = spin.wall
        if spin.code != 0:
            run.message = "spin -a failed: " + _last_line(spin.stdout)
            run.total_s = time.monotonic() - start
            return run
        memlim = memory_mb if memory_mb is not None else DEFAULT_MEMLIM_MB
        flags = [optimize, *(BFS_FLAGS if how == "bfs" else DFS_FLAGS)]
        flags.append(f"-DMEMLIM={memlim}")
        cc = ["gcc", *flags, "-o", "pan", "pan.c"]
        gcc = run_limited(cc, folder, step_limit, merge_stderr=True)
        run.compile_s = gcc.wall
        if gcc.code != 0:
            run.message = "gcc failed: " + _last_line(gcc.stdout)
            run.total_s = time.monotonic() - start
            return run
        _search(run, translation, folder, timeout, grace)
    run.total_s = time.monotonic() - start
    return run


def _search(
    run: SpinRun, translation: Translation, folder: Path, timeout: float, grace: float
) -> None:
    depth = START_DEPTH
    searched = cpu = 0.0
    while True:
        cmd = ["./pan", "-n", f"-w{HASH_BITS}"]
        if run.mode == "dfs":
            cmd.append(f"-m{depth}")
        if not translation.deadlock:
            cmd.append("-E")
        pan = run_limited(
            cmd, folder, timeout - searched, grace, interrupt=True, merge_stderr=True
        )
        searched += pan.wall
        cpu += pan.cpu_s
        out = parse_pan(pan.stdout)
        retry = (
            run.mode == "dfs"
            and out.depth_too_small
            and not pan.interrupted
            and not out.errors
            and depth < MAX_DEPTH
            and searched < timeout
        )
        if not retry:
            break
        depth *= 10
    run.search_s = searched
    run.peak_mb = pan.peak_mb
    run.states, run.transitions, run.depth = out.states, out.transitions, out.depth
    run.pan_memory_mb = out.memory_total_mb
    run.bytes_per_state = per_state(out.memory_states_mb, out.states)
    run.extra = {
        "search_cpu_s": cpu,
        "pan": " ".join(cmd),
        "pan_depth_limit": depth,
        "pan_memory_states_mb": out.memory_states_mb,
    }
    if pan.interrupted:
        run.status = "timeout"
        run.message = f"pan interrupted after {pan.wall:.1f} s"
        return
    if out.out_of_memory:
        run.status = "memout"
        run.message = "pan reached its memory limit"
        return
    if out.errors is None:
        run.message = f"pan exit status {pan.code}: " + _last_line(pan.stdout)
        return
    if out.errors > 0:
        run.status = "violation"
        run.complete = True
        run.length = out.error_depth
        error = out.error or ""
        if error.startswith("assertion violated"):
            run.property = translation.property_of(
                error.removeprefix("assertion violated")
            )
        elif "invalid end state" in error:
            run.property = "deadlock"
        else:
            run.property = error
        run.message = error
        return
    run.status = "safe"
    run.complete = not out.depth_too_small
    if out.depth_too_small:
        run.message = f"search depth {depth} too small: not every state was searched"


def per_state(
    megabytes: float | None, states: int | None, *, min_mb: float = MIN_MEASURED_MB
) -> float | None:
    """Bytes per state, or None when less than `min_mb` was used (too little to tell)."""
    if megabytes is None or not states or megabytes < min_mb:
        return None
    return megabytes * 1024 * 1024 / states


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
