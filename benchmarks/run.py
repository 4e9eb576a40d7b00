"""Run the benchmark families: one fresh subprocess per (family, N, engine).

    python -m benchmarks [--families F,...] [--n 1-] [--engines z3,explicit,spin]
                         [--timeout 60] [--max-n 12] [--json] [--write-specs]

(`python benchmarks/run.py ...` is the same.) Each run is a child process: the spec of
the family at size N is generated, written to a temporary folder and checked with
`checker.api.check_file`; the child prints one JSON line. The parent measures the
child's peak resident memory with `os.wait4` (that child's own `ru_maxrss`, so it is
per run, and known even for a child that had to be killed), and kills a child that is
still running `--grace` seconds after the time limit: a slow case becomes `timeout`,
never a hang. The engine gets the same time limit and normally stops by itself (its
`unknown` with "time limit reached" is also reported as `timeout`).

`spin` runs Spin on the Promela translation of the same spec (benchmarks/promela.py,
benchmarks/spin.py), in the same invocation and the same table: its `time (s)` is
generation, `spin -a`, compilation and search, `search (s)` pan's search alone, to
which the time limit applies. It is in the default `--engines` and runs when `spin`
and `gcc` are on PATH; without them the table gets a column "Spin: not installed" and
nothing fails. Each row also gives states per second (states over the engine's check,
or over pan's search) and bytes per stored state: the engine's own figure if its
`Stats` has one (an attribute or an `extra` entry `bytes_per_state`; none when the
states take under 1 MB, as for Spin), else the run's peak RSS above the floor of a
child that loads a spec and checks nothing (none when that is under 16 MB), and for
Spin pan's memory for states (none under 1 MB). Under the table, per
family, the geometric mean of the best engine's time over Spin's, over the N where
Spin's search took more than a second.

`--n` takes `A-B`, `A-` (open-ended: up to `--max-n`), or a list `1,2,5`. Once an
engine times out (or fails) on a family, larger N are not tried for that engine
(`--keep-going` tries them anyway). Runs are sequential so that timings are comparable
within one invocation. Exit status: 0 when every finished run got its family's
expected verdict (a timeout is not a failure), 1 when some run got another verdict or
failed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/ first
    sys.path.insert(0, str(ROOT))

from benchmarks.families import (  # noqa: E402
    EXAMPLE_USE,
    FAMILIES,
    example_path_name,
    spec_text,
)
from benchmarks.proc import Finished, run_limited  # noqa: E402
from benchmarks.promela import family_promela  # noqa: E402
from benchmarks.spin import available as spin_available  # noqa: E402
from benchmarks.spin import per_state, run_spin  # noqa: E402
from checker.engines import ENGINES as ENGINE_TABLE  # noqa: E402

ENGINES = tuple(ENGINE_TABLE)
RAW = "explicit-raw"
"""The explicit engine with every reduction off (partial order, symmetry, merged
local steps): what its core search costs per state. Not a user-selectable engine, so
not counted as pagecheck's best time against Spin; run it with `--engines`."""
SPIN = "spin"  # Spin on the Promela translation (benchmarks/spin.py), when installed
SPIN_RATIO_MIN_S = 1.0  # the N that count in the time ratio: Spin searched this long
RSS_NOISE_MB = 16.0  # a run's peak RSS varies this much with no state stored
DEFAULT_TIMEOUT = 60.0
DEFAULT_GRACE = 15.0
DEFAULT_MAX_N = 12
SPECS_DIR = ROOT / "benchmarks" / "specs"
MODELS_DIR = ROOT / "models"
FAILED = ("timeout", "memout", "error", "unknown")


# ------------------------------------------------------------------------ child side


def _cap_memory(memory_mb: int | None) -> None:
    if memory_mb is not None:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _self_maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(family: str, n: int, engine: str, timeout: float) -> int:
    """Check one generated spec and print one JSON line (runs in the child)."""
    import checker
    from checker.api import Options, check_file
    from checker.engines.explicit import check_explicit
    from checker.load import load_spec

    options = Options(engine=engine, timeout=timeout, models_dirs=(MODELS_DIR,))
    with tempfile.TemporaryDirectory(prefix="pagecheck-bench-") as tmp:
        path = Path(tmp) / example_path_name(family, n)
        path.write_text(spec_text(family, n), encoding="utf-8")
        start = time.monotonic()
        if engine == RAW:
            spec = load_spec(path, models_dirs=(MODELS_DIR,))
            outcome = check_explicit(
                spec,
                spec.bound,
                deadline=start + timeout,
                reduction=False,
                symmetry=False,
                local_steps=False,
            )
            trace, message = outcome.trace, outcome.reason or str(outcome.verdict)
            verdict, complete, stats = outcome.verdict, outcome.complete, outcome.stats
        else:
            result = check_file(path, options)
            trace, message = result.trace, result.message
            verdict, complete, stats = result.verdict, result.complete, result.stats
        wall = time.monotonic() - start
    s = stats
    out = {
        "bytes_per_state": _engine_bytes_per_state(s),
        "verdict": str(verdict),
        "complete": complete,
        "property": trace.violation.prop if trace is not None else None,
        "length": trace.length if trace is not None else None,
        "message": message,
        "time_s": wall if engine == RAW else result.time_s,
        "check_wall_s": wall,
        "states": s.states,
        "transitions": s.transitions,
        "depth": s.depth,
        "solver_calls": s.solver_calls,
        "formula_size": s.formula_size,
        "self_maxrss_kb": _self_maxrss_kb(),
        "checker": _where(Path(checker.__file__).parent),
    }
    print(json.dumps(out), flush=True)
    return 0


def _where(package: Path) -> str:
    """Which `checker` a child imported: this tree's (relative) or an installed one."""
    try:
        return str(package.resolve().relative_to(ROOT))
    except ValueError:
        return "installed"


def _engine_bytes_per_state(stats: object) -> float | None:
    """The engine's own measure of memory per stored state, if it gives one."""
    value = getattr(stats, "bytes_per_state", None)
    if value is None:
        value = dict(getattr(stats, "extra", ())).get("bytes_per_state")
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def baseline_worker(engine: str) -> int:
    """Import what a run imports and load one spec, check nothing: the memory floor."""
    from checker.engines import get_engine
    from checker.load import load_spec

    get_engine("explicit" if engine == RAW else engine)
    with tempfile.TemporaryDirectory(prefix="pagecheck-bench-") as tmp:
        path = Path(tmp) / "churn_1.pg"
        path.write_text(spec_text("churn", 1), encoding="utf-8")
        load_spec(path, models_dirs=(MODELS_DIR,))
    print(json.dumps({"self_maxrss_kb": _self_maxrss_kb()}), flush=True)
    return 0


# ----------------------------------------------------------------------- parent side


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    grace: float = DEFAULT_GRACE
    memory_mb: int | None = None


@dataclass
class Run:
    family: str
    n: int
    engine: str
    status: str  # the verdict, or timeout / memout / error / unknown
    expected: str
    ok: bool | None  # the verdict is the family's (None: no verdict)
    complete: bool | None = None
    property: str | None = None
    length: int | None = None
    time_s: float | None = None  # the check, as measured in the child
    wall_s: float = 0.0  # the whole child process, interpreter start included
    peak_mb: float | None = None
    states: int | None = None
    transitions: int | None = None
    depth: int | None = None
    solver_calls: int | None = None
    formula_size: int | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _child(args: list[str], limits: Limits) -> Finished:
    """Run `run.py ARGS` in a fresh interpreter and session, killed after the limit."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    if limits.memory_mb is not None:
        cmd += ["--memory", str(limits.memory_mb)]
    done = run_limited(cmd, ROOT, limits.timeout + limits.grace)
    if done.code != 0 and not done.killed:
        done.stdout += "\n" + done.stderr[-4000:]
    return done


def run_one(family: str, n: int, engine: str, limits: Limits) -> Run:
    child = _child(["--worker", family, str(n), engine, repr(limits.timeout)], limits)
    run = Run(family, n, engine, "error", _expected(family), None)
    run.wall_s, run.peak_mb = child.wall, child.peak_mb
    if child.killed:
        run.status = "timeout"
        run.message = f"killed after {child.wall:.1f} s"
        return run
    text = child.stdout
    line = next((ln for ln in text.splitlines() if ln.startswith("{")), None)
    if child.code != 0 or line is None:
        oom = "MemoryError" in text or "bad_alloc" in text or child.code == -9
        run.status = "memout" if oom else "error"
        lines = text.strip().splitlines()
        run.message = lines[-1] if lines else f"exit status {child.code}"
        return run
    data = json.loads(line)
    run.complete = data["complete"]
    run.property = data["property"]
    run.length = data["length"]
    run.time_s = data["time_s"]
    run.states = data["states"]
    run.transitions = data["transitions"]
    run.depth = data["depth"]
    run.solver_calls = data["solver_calls"]
    run.formula_size = data["formula_size"]
    run.message = data["message"]
    run.extra = {
        k: data[k]
        for k in ("check_wall_s", "self_maxrss_kb", "checker", "bytes_per_state")
        if k in data
    }
    if data.get("bytes_per_state") is not None:
        run.extra["bytes_per_state"] = engine_figure(
            data["bytes_per_state"], run.states
        )
        run.extra["bytes_per_state_from"] = "engine"
    verdict = data["verdict"]
    if verdict == "unknown":
        run.status = "timeout" if "time limit" in run.message else "unknown"
        return run
    _judge(run, verdict)
    return run


def engine_figure(bytes_per_state: float, states: int | None) -> float | None:
    """An engine's own bytes per state as the table shows it: none where its states
    take under 1 MB, where the figure tells allocation granularity rather than what
    a state costs (as for Spin's)."""
    return per_state(bytes_per_state * (states or 0) / 2**20, states)


def _judge(run: Run, verdict: str) -> None:
    """Record a finished run's verdict and whether it is its family's."""
    fam = FAMILIES[run.family]
    run.status = verdict
    if fam.expect == "safe":
        run.ok = verdict == "safe"
    else:
        run.ok = verdict == "violation" and fam.prop in (None, run.property)


def _expected(family: str) -> str:
    fam = FAMILIES[family]
    return fam.expect if fam.prop is None else f"{fam.expect} {fam.prop}"


def measure_memory(run: Run, floor_mb: float | None) -> None:
    """Bytes per stored state of an engine run, unless the engine gave its own
    (even one too small to tell, which a compiler's peak RSS must not stand for):
    the run's peak RSS above the floor (a child that loads a spec and checks nothing)
    over the states stored; none when the run grew by less than `RSS_NOISE_MB`,
    which a run that stores few states can do (imports, caches, allocator)."""
    if "bytes_per_state_from" in run.extra:
        return
    if run.peak_mb is None or floor_mb is None:
        return
    value = per_state(run.peak_mb - floor_mb, run.states, min_mb=RSS_NOISE_MB)
    if value is not None:
        run.extra["bytes_per_state"] = value
        run.extra["bytes_per_state_from"] = "peak RSS above the floor"


def run_spin_one(family: str, n: int, limits: Limits) -> Run:
    """Spin on the family's Promela translation, as a row of the same table."""
    s = run_spin(family, n, limits.timeout, limits.grace, limits.memory_mb)
    run = Run(family, n, SPIN, s.status, _expected(family), None)
    run.complete, run.property, run.length = s.complete, s.property, s.length
    run.time_s = run.wall_s = s.total_s
    run.peak_mb = s.peak_mb
    run.states, run.transitions, run.depth = s.states, s.transitions, s.depth
    run.message = s.message
    run.extra = {
        "mode": s.mode,
        "search_s": s.search_s,
        "generate_s": s.generate_s,
        "spin_s": s.spin_s,
        "compile_s": s.compile_s,
        "pan_memory_mb": s.pan_memory_mb,
        **s.extra,
    }
    if s.bytes_per_state is not None:
        run.extra["bytes_per_state"] = s.bytes_per_state
        run.extra["bytes_per_state_from"] = "pan's memory for states"
    if s.status in ("safe", "violation"):
        _judge(run, s.status)
    return run


def baseline(engine: str) -> float | None:
    child = _child(["--baseline", engine], Limits(timeout=120.0))
    return child.peak_mb if child.code == 0 and child.stdout.strip() else None


# ---------------------------------------------------------------------------- output


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _yes_no(x: bool | None) -> str:
    return "—" if x is None else ("yes" if x else "no")


def _num(x: int | None) -> str:
    return "—" if x is None else f"{x:,}"


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


COLUMNS = (
    "family",
    "N",
    "engine",
    "verdict",
    "complete",
    "length",
    "time (s)",
    "search (s)",
    "peak RSS (MB)",
    "states",
    "states/s",
    "bytes/state",
    "Z3 formula size",
    "solver calls",
)
RIGHT = {"N", "length", "time (s)", "search (s)", "peak RSS (MB)", "states"}
RIGHT |= {"states/s", "bytes/state", "Z3 formula size", "solver calls"}
SPIN_MISSING = "Spin: not installed"


def search_time(r: Run) -> float | None:
    """Spin's search alone (pan); for an engine, its check."""
    if r.engine == SPIN:
        value = r.extra.get("search_s")
        return float(value) if value is not None else None
    return r.time_s


def states_per_second(r: Run) -> float | None:
    seconds = search_time(r)
    if r.states is None or seconds is None or seconds <= 0:
        return None
    return r.states / seconds


def _row(r: Run, timeout: float) -> list[str]:
    if r.status == "timeout":
        verdict = f"timeout (>{timeout:g} s)"
    elif r.status in ("safe", "violation"):
        verdict = r.status if r.property is None else f"{r.status} {r.property}"
        if r.ok is False:
            verdict += f" **(expected {r.expected})**"
    else:
        verdict = f"{r.status}: {r.message}"
    complete = _yes_no(None if r.status == "timeout" else r.complete)
    timed_out = r.status == "timeout"
    time_s = f">{timeout:g}" if timed_out and r.engine != SPIN else _fmt(r.time_s)
    search = _fmt(search_time(r)) if r.engine == SPIN else "—"
    z3 = r.engine in ("bmc", "z3", "induction")
    return [
        r.family,
        str(r.n),
        r.engine,
        verdict,
        complete,
        _num(r.length),
        time_s,
        search,
        _fmt(r.peak_mb, 0),
        _num(r.states),
        _rate(states_per_second(r)),
        _rate(r.extra.get("bytes_per_state")),
        _num(r.formula_size) if z3 else "—",
        _num(r.solver_calls) if z3 else "—",
    ]


def markdown(runs: list[Run], timeout: float, *, spin_missing: bool = False) -> str:
    """The table; `spin_missing` adds a column saying that Spin is not installed."""
    columns = [*COLUMNS, SPIN_MISSING] if spin_missing else list(COLUMNS)
    align = ["---:" if c in RIGHT else "---" for c in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(align) + "|"]
    for r in runs:
        cells = _row(r, timeout) + (["—"] if spin_missing else [])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------- against Spin


def geometric_mean(values: list[float]) -> float:
    """The geometric mean of positive numbers."""
    if not values or min(values) <= 0:
        raise ValueError(f"need positive numbers, got {values!r}")
    return math.exp(sum(math.log(v) for v in values) / len(values))


@dataclass
class Ratio:
    """Best pagecheck engine time / Spin time for one family, over the N where
    Spin's search took more than SPIN_RATIO_MIN_S and some engine finished."""

    family: str
    sizes: list[int] = field(default_factory=list)
    vs_search: float | None = None  # against pan's search alone
    vs_total: float | None = None  # against generation + compilation + search
    engines_failed: list[int] = field(default_factory=list)  # no engine finished
    spin_failed: list[int] = field(default_factory=list)  # Spin did not finish


def spin_ratios(runs: list[Run]) -> dict[str, Ratio]:
    out: dict[str, Ratio] = {}
    for family in dict.fromkeys(r.family for r in runs if r.engine == SPIN):
        ratio = out[family] = Ratio(family)
        by_search: list[float] = []
        by_total: list[float] = []
        for n in sorted({r.n for r in runs if r.family == family}):
            here = [r for r in runs if r.family == family and r.n == n]
            spin = next((r for r in here if r.engine == SPIN), None)
            if spin is None:
                continue
            search = search_time(spin)
            if spin.ok is not True or search is None:
                ratio.spin_failed.append(n)
                continue
            if search <= SPIN_RATIO_MIN_S or spin.time_s is None:
                continue
            times = [
                r.time_s
                for r in here
                if r.engine not in (SPIN, RAW) and r.ok is True and r.time_s is not None
            ]
            if not times:
                ratio.engines_failed.append(n)
                continue
            best = max(min(times), 1e-6)
            ratio.sizes.append(n)
            by_search.append(best / search)
            by_total.append(best / spin.time_s)
        if ratio.sizes:
            ratio.vs_search = geometric_mean(by_search)
            ratio.vs_total = geometric_mean(by_total)
    return out


def _sizes(ns: list[int]) -> str:
    return ", ".join(str(n) for n in ns)


def ratio_lines(ratios: dict[str, Ratio]) -> str:
    """The per-family summary printed under the table."""
    if not ratios:
        return ""
    lines = [
        "Best pagecheck engine time / Spin time, geometric mean over the N where Spin's"
        f" search took more than {SPIN_RATIO_MIN_S:g} s (above 1: Spin is faster):",
        "",
    ]
    for r in ratios.values():
        if r.vs_search is not None and r.vs_total is not None:
            text = (
                f"{r.vs_search:.3g} against Spin's search, {r.vs_total:.3g} against"
                f" its total with generation and compilation (N = {_sizes(r.sizes)})"
            )
        else:
            text = f"no N where Spin searched over {SPIN_RATIO_MIN_S:g} s"
        if r.engines_failed:
            text += f"; no engine finished at N = {_sizes(r.engines_failed)}"
        if r.spin_failed:
            text += f"; Spin did not finish at N = {_sizes(r.spin_failed)}"
        lines.append(f"- {r.family}: {text}")
    return "\n".join(lines) + "\n"


def checker_revision() -> str:
    """The git commit, and a hash of the checker's sources as they are now."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "checker").rglob("*")):
        if path.suffix in (".py", ".lark") and path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = "+dirty" if git("status", "--porcelain", "--", "checker") else ""
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "unknown", ""
    return f"{head}{dirty} (checker sources sha256 {digest.hexdigest()[:12]})"


def machine() -> dict[str, Any]:
    try:
        import z3

        z3v = str(z3.get_version_string())
    except ImportError:
        z3v = "unavailable"
    return {
        "checker": checker_revision(),
        "python": platform.python_version(),
        "z3": z3v,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
    }


def header(info: dict[str, Any], timeout: float, base: dict[str, float | None]) -> str:
    floors = ", ".join(f"{e} {_fmt(m, 0)} MB" for e, m in base.items()) or "none run"
    spin = info.get("spin") or (
        "not run"
        if "spin" not in info
        else "not installed (no `spin` or `gcc` on PATH)"
    )
    return (
        f"pagecheck {info['checker']}; per-run limit {timeout:g} s; "
        f"Python {info['python']}, z3 {info['z3']}, {info['cpus']} CPUs, "
        f"load average at start {info['loadavg_at_start'][0]:.2f}.\n"
        f"Peak RSS of a child that only imports and parses a spec: {floors}.\n"
        f"Spin: {spin}.\n"
    )


# ------------------------------------------------------------------------------ main


def parse_sizes(text: str, max_n: int) -> list[int]:
    text = text.strip()
    try:
        if "-" in text:
            lo, _, hi = text.partition("-")
            sizes = list(range(int(lo), (int(hi) if hi.strip() else max_n) + 1))
        else:
            sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        msg = f"expected A-B, A- or a list like 1,2,5; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be at least 1; got {text!r}")
    return sizes


def _names(text: str, known: list[str], what: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in names if x not in known]
    if bad or not names:
        msg = f"unknown {what} {', '.join(bad) or text!r}; known: {', '.join(known)}"
        raise argparse.ArgumentTypeError(msg)
    return names


def write_specs(upto: int = 3) -> list[Path]:
    """Write the generated specs N=1..upto of every family to benchmarks/specs/."""
    SPECS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for family in FAMILIES:
        for n in range(1, upto + 1):
            path = SPECS_DIR / example_path_name(family, n)
            path.write_text(spec_text(family, n, use=EXAMPLE_USE), encoding="utf-8")
            written.append(path)
    return written


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark pagecheck's engines and Spin on families that grow with N.",
    )
    add = p.add_argument
    add("--families", default=",".join(FAMILIES), help="comma-separated (default all)")
    add(
        "--engines",
        default=",".join((*ENGINES, SPIN)),
        help=f"{', '.join((*ENGINES, SPIN))} (default all; spin when installed), "
        f"or {RAW}: the explicit engine with no reduction",
    )
    add("--n", default="1-", metavar="SIZES", help="A-B, A- or 1,2,5 (default 1-)")
    add("--max-n", type=int, default=DEFAULT_MAX_N, help="end of an open range (12)")
    add("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per run (60)")
    add("--grace", type=float, default=DEFAULT_GRACE, help="seconds before kill (15)")
    add("--memory-limit", type=int, metavar="MB", help="address space per child")
    add("--keep-going", action="store_true", help="try larger N after a timeout")
    add("--json", action="store_true", help="print JSON instead of Markdown")
    add("--write-specs", action="store_true", help="write benchmarks/specs/ and exit")
    add("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    return p


def _child_main(argv: list[str]) -> int | None:
    """The child's side of the command line (`--worker`, `--baseline`), else None."""
    if "--memory" in argv:
        at = argv.index("--memory")
        _cap_memory(int(argv[at + 1]))
        argv = argv[:at] + argv[at + 2 :]
    if argv[:1] == ["--worker"]:
        family, n, engine, timeout = argv[1:5]
        return worker(family, int(n), engine, float(timeout))
    if argv[:1] == ["--baseline"]:
        return baseline_worker(argv[1])
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    code = _child_main(argv)
    if code is not None:
        return code
    p = _parser()
    ns = p.parse_args(argv)
    try:
        families = _names(ns.families, list(FAMILIES), "family")
        engines = _names(ns.engines, [*ENGINES, RAW, SPIN], "engine")
        sizes = parse_sizes(ns.n, ns.max_n)
    except argparse.ArgumentTypeError as err:
        p.error(str(err))
    if ns.timeout <= 0:
        p.error("--timeout must be positive")
    if ns.write_specs:
        for path in write_specs():
            print(path.relative_to(ROOT))
        return 0
    limits = Limits(ns.timeout, ns.grace, ns.memory_limit)

    def note(text: str) -> None:
        if not ns.quiet:
            print(text, file=sys.stderr, flush=True)

    info = machine()
    if SPIN in engines:
        info["spin"] = spin_available()
    spin_missing = SPIN in engines and info["spin"] is None
    if spin_missing:
        engines.remove(SPIN)
    base = {e: baseline(e) for e in engines if e != SPIN}
    if SPIN in engines:
        family_promela(families[0], 1)  # load the translator before the first run
    note(header(info, ns.timeout, base).rstrip())
    runs: list[Run] = []
    for family in families:
        stopped: set[str] = set()
        for n in sizes:
            for engine in engines:
                if engine in stopped:
                    continue
                if engine == SPIN:
                    r = run_spin_one(family, n, limits)
                else:
                    r = run_one(family, n, engine, limits)
                    measure_memory(r, base.get(engine))
                runs.append(r)
                note(
                    f"{family:15} N={n:<3} {engine:8} {r.status:9} len={r.length} "
                    f"time={_fmt(r.time_s)} search={_fmt(search_time(r))} "
                    f"wall={r.wall_s:.1f} peak={_fmt(r.peak_mb, 0)}MB "
                    f"states={r.states} size={r.formula_size}"
                )
                if r.status in FAILED and not ns.keep_going:
                    stopped.add(engine)
            if len(stopped) == len(engines):
                break
    wrong = [r for r in runs if r.ok is False or r.status in ("error", "unknown")]
    ratios = spin_ratios(runs)
    if ns.json:
        doc = {
            "machine": info,
            "timeout_s": ns.timeout,
            "baseline_peak_mb": base,
            "runs": [asdict(r) for r in runs],
            "spin_ratios": {f: asdict(r) for f, r in ratios.items()},
        }
        print(json.dumps(doc, indent=2))
    else:
        print(header(info, ns.timeout, base))
        print(markdown(runs, ns.timeout, spin_missing=spin_missing), end="")
        if ratios:
            print("\n" + ratio_lines(ratios), end="")
        if wrong:
            names = ", ".join(f"{r.family} N={r.n} {r.engine}" for r in wrong)
            print(f"\nUnexpected verdicts or failures: {names}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
