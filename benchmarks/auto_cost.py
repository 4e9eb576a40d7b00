"""What `auto` costs over the best single engine where every check is short.

    python -m benchmarks.auto_cost [--families F,...] [--n 1-4] [--specs specs|FILE]
                                   [--engines explicit] [--reps 5] [--json]

The portfolio's promise is to be within 1.5 times the best single engine everywhere;
at points the explicit engine answers in a tenth of a second, anything `auto` adds
(an import, a process, a second compile) decides the ratio. Each benchmark point (the
families of benchmarks/families.py at each N) and each spec of `--specs` is checked
`--reps` times by each engine, alternately, each time in a fresh process, so that
every run pays what a single `pagecheck` run pays: the engine's modules are loaded
inside the measured time (`CheckResult.time_s`, as `python -m benchmarks` reports it).
The figures per engine are the minimum wall time over the repetitions (the run least
disturbed by the machine's other work) and the least CPU time (which that work
disturbs much less, and which shows what `auto` adds where its racers do not start);
the ratios are `auto`'s over the best of `--engines` in the same run. Then
`pagecheck SPECS -q` as a whole, with `auto` and with each of `--engines`,
alternately, three times. Exit status 0 when every wall-time ratio is within `LIMIT`,
1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.families import FAMILIES, example_path_name, spec_text  # noqa: E402
from benchmarks.proc import run_limited  # noqa: E402
from benchmarks.run import MODELS_DIR, parse_sizes  # noqa: E402

LIMIT = 1.5
TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Point:
    """One spec checked by every engine: the fastest wall time of each and the least
    CPU time of each, in seconds."""

    name: str
    wall: dict[str, float]
    cpu: dict[str, float]

    @property
    def ratio(self) -> float:
        """`auto`'s wall time over the best single engine's."""
        return _over_best(self.wall)

    @property
    def cpu_ratio(self) -> float:
        return _over_best(self.cpu)


def _over_best(times: dict[str, float]) -> float:
    return times["auto"] / min(t for engine, t in times.items() if engine != "auto")


def _check_time(engine: str, path: Path) -> tuple[float, float]:
    """One check in a fresh process: its `time_s` and the CPU time it took."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from checker.api import Options, check_spec\n"
        "from checker.load import load_spec\n"
        "spec = load_spec(Path(sys.argv[2]), models_dirs=(Path(sys.argv[3]),))\n"
        "cpu = time.process_time()\n"
        f"result = check_spec(spec, Options(engine=sys.argv[1], timeout={TIMEOUT_S}))\n"
        "print(json.dumps([result.time_s, time.process_time() - cpu]))\n"
    )
    cmd = [sys.executable, "-c", code, engine, str(path), str(MODELS_DIR)]
    done = run_limited(cmd, ROOT, TIMEOUT_S + 15)
    if done.code != 0:
        raise SystemExit(f"{engine} on {path}: {done.stderr.strip()}")
    wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
    return float(wall), float(cpu)


def _fastest(
    name: str,
    engines: list[str],
    measure: Callable[[str], tuple[float, float]],
    reps: int,
) -> Point:
    """Each engine `reps` times, alternately: the minimum of each figure."""
    runs: dict[str, list[tuple[float, float]]] = {e: [] for e in engines}
    for _ in range(reps):
        for engine, taken in runs.items():
            taken.append(measure(engine))
    return Point(
        name,
        {e: min(w for w, _ in taken) for e, taken in runs.items()},
        {e: min(c for _, c in taken) for e, taken in runs.items()},
    )


def _whole_folder(engine: str, folder: Path) -> tuple[float, float]:
    """`pagecheck FOLDER -q`: its wall time and CPU time (its pool's included)."""
    cmd = [sys.executable, "-m", "checker", str(folder), "-q", "--engine", engine]
    done = run_limited(cmd, ROOT, 600)
    if done.code not in (0, 1):
        raise SystemExit(f"pagecheck {folder} --engine {engine}: failed")
    return done.wall, done.cpu_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.auto_cost")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--n", default="1-4", help="A-B or a list 1,2,5")
    parser.add_argument(
        "--specs", default="specs", help="a folder of specs, one spec, or ''"
    )
    parser.add_argument("--engines", default="explicit", help="single engines")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    engines = [*args.engines.split(","), "auto"]
    points: list[Point] = []
    with tempfile.TemporaryDirectory(prefix="pagecheck-auto-cost-") as tmp:
        for family in args.families.split(","):
            for n in parse_sizes(args.n, 4):
                path = Path(tmp) / example_path_name(family, n)
                path.write_text(spec_text(family, n), encoding="utf-8")
                name = f"{family} N={n}"
                points.append(_fastest(name, engines, _on(path), args.reps))
                _show(points[-1], args.json)
    given = ROOT / args.specs if args.specs else None
    files = sorted(given.glob("*.pg")) if given and given.is_dir() else [given]
    for path in filter(None, files):
        points.append(_fastest(path.name, engines, _on(path), args.reps))
        _show(points[-1], args.json)
    if given is not None and given.is_dir():
        name = f"pagecheck {args.specs}/ -q"
        points.append(_fastest(name, engines, partial(_whole_folder, folder=given), 3))
        _show(points[-1], args.json)
    worst = max(points, key=lambda p: p.ratio)
    print(f"worst: {worst.name}, auto / best = {worst.ratio:.2f} (limit {LIMIT})")
    return 0 if worst.ratio <= LIMIT else 1


def _on(path: Path) -> Callable[[str], tuple[float, float]]:
    return lambda engine: _check_time(engine, path)


def _show(point: Point, as_json: bool) -> None:
    if as_json:
        ratios = {"ratio": point.ratio, "cpu_ratio": point.cpu_ratio}
        print(json.dumps({**asdict(point), **ratios}), flush=True)
        return
    wall = "  ".join(f"{e} {t:.3f}" for e, t in point.wall.items())
    cpu = "  ".join(f"{t:.3f}" for t in point.cpu.values())
    print(
        f"{point.name:40} {wall}  auto/best {point.ratio:.2f}"
        f"  (CPU {cpu}: {point.cpu_ratio:.2f})",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
