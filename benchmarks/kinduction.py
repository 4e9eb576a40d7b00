"""k-induction against Spacer: does it pay anywhere?

    python -m benchmarks.kinduction [--families F,...] [--n 1-3] [--specs specs]
                                    [--timeout 60] [--json]
    python -m benchmarks.kinduction --trace-cost SPEC... [--reps 3]

k-induction (`smt.Horn.k_induction`, k up to `inductive.MAX_K`) proves a spec safe
when no violation is reachable within k steps (the base case, from the initial
state) and no path of k steps through states that allow no violation, every state on
it distinct (the simple-path constraint), ends in one that does (the step case, from
any state). Each safe benchmark point (churn, refcount-fixed, pagecache) and each spec
of `--specs` whose expected verdict is safe (liveness aside) is checked in a fresh
process, one after the other, each with the time limit: by the explicit engine, by
the inductive engine with Spacer's configurations alone (`spacer`), with k-induction
alone (its proof checked as the engine checks it), and as it runs by default, the
three racing (`induction`). A cell gives the time, and how a proof was found.

`--trace-cost` measures what progress costs the inductive engine: Spacer in one
configuration on each given spec, with its trace of progress events read through a
pipe (as the engine does) and without, alternately, `--reps` times, minimum of each.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.families import example_path_name, spec_text  # noqa: E402
from benchmarks.proc import run_limited  # noqa: E402
from benchmarks.run import MODELS_DIR, parse_sizes  # noqa: E402

SAFE_FAMILIES = ("churn", "refcount-fixed", "pagecache")
METHODS = ("explicit", "spacer", "k-induction", "induction")
TRACED_CONFIG = "spacer"


def _child(method: str, path: Path, timeout: float) -> dict[str, Any]:
    from checker.api import Options, check_file
    from checker.engines.inductive import K_INDUCTION, check_inductive
    from checker.load import load_spec
    from checker.smt import SPACER_CONFIGS

    if method in ("explicit", "induction"):
        options = Options(
            engine=method, timeout=timeout, models_dirs=(MODELS_DIR,), coverage=False
        )
        result = check_file(path, options)
        why, time_s = result.message, result.time_s
        verdict, complete, extra = result.verdict, result.complete, result.stats.extra
    else:
        configs = tuple(SPACER_CONFIGS) if method == "spacer" else (K_INDUCTION,)
        spec = load_spec(path, models_dirs=(MODELS_DIR,))
        start = time.monotonic()
        outcome = check_inductive(
            spec, spec.bound, deadline=start + timeout, configs=configs
        )
        why, time_s = outcome.reason, time.monotonic() - start
        verdict, complete = outcome.verdict, outcome.complete
        extra = outcome.stats.extra
    return {
        "verdict": str(verdict),
        "complete": complete,
        "why": why,
        "time_s": time_s,
        **{k: v for k, v in extra if k in ("k", "prover")},
    }


def _run(method: str, path: Path, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.kinduction", "--child", method]
    cmd += [str(path), "--timeout", str(timeout)]
    done = run_limited(cmd, ROOT, timeout + 30)
    lines = done.stdout.strip().splitlines()
    if done.code != 0 or not lines:
        why = "killed at the time limit" if done.killed else done.stderr.strip()
        return {"verdict": "unknown", "why": why, "time_s": done.wall}
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def _cell(answer: dict[str, Any], timeout: float) -> str:
    verdict, time_s = answer["verdict"], answer["time_s"]
    if verdict == "safe" and answer.get("complete") is False:
        return f"bounded only ({time_s:.2f})"
    if verdict == "safe":
        how = f"k = {answer['k']}" if "k" in answer else answer.get("prover")
        return f"{time_s:.2f}" + (f" ({how})" if how else "")
    if "time limit" in answer.get("why", "") or time_s >= timeout:
        return f">{timeout:.0f}"
    return f"{answer.get('why', verdict)} ({time_s:.2f})"


def _trace_cost(paths: list[Path], reps: int) -> None:
    """Spacer with and without its progress trace, alternately: min of each."""
    code = (
        "import sys, tempfile, time\n"
        "from pathlib import Path\n"
        "from checker.engines.inductive import _Trail\n"
        "from checker.load import load_spec\n"
        "from checker.smt import Horn\n"
        "from checker.step import define\n"
        "horn = Horn(define(load_spec(Path(sys.argv[1]))))\n"
        "with tempfile.TemporaryDirectory() as folder:\n"
        "    trail = _Trail(Path(folder) / 'trace') if sys.argv[2] == 'on' else None\n"
        "    start = time.monotonic()\n"
        f"    horn.solve({TRACED_CONFIG!r}, 0, 600_000, "
        "trail and str(trail.path))\n"
        "    print(time.monotonic() - start)\n"
        "    if trail is not None:\n"
        "        trail.close()\n"
    )
    for path in paths:
        times: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(reps):
            for mode, taken in times.items():
                done = run_limited(
                    [sys.executable, "-c", code, str(path), mode], ROOT, 660
                )
                taken.append(float(done.stdout.split()[-1]))
        off, on = min(times["off"]), min(times["on"])
        print(
            f"{path.name}: without trace {off:.2f} s, with {on:.2f} s ({on / off:.2f}x)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kinduction")
    parser.add_argument(
        "--families", default=",".join(SAFE_FAMILIES), help="comma-separated, or ''"
    )
    parser.add_argument("--n", default="1-3")
    parser.add_argument("--specs", default="specs", help="a folder of specs, or ''")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "SPEC"))
    parser.add_argument("--trace-cost", nargs="+", type=Path, metavar="SPEC")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    if args.child:
        method, spec = args.child
        print(json.dumps(_child(method, Path(spec), args.timeout)))
        return 0
    if args.trace_cost:
        _trace_cost(args.trace_cost, args.reps)
        return 0
    with tempfile.TemporaryDirectory(prefix="pagecheck-kinduction-") as tmp:
        targets: list[tuple[str, Path]] = []
        for family in filter(None, args.families.split(",")):
            for n in parse_sizes(args.n, 3):
                path = Path(tmp) / example_path_name(family, n)
                path.write_text(spec_text(family, n), encoding="utf-8")
                targets.append((f"{family} N={n}", path))
        if args.specs:
            for path in sorted((ROOT / args.specs).glob("*.pg")):
                text = path.read_text(encoding="utf-8")
                if (
                    "expect safe" in text
                    and "check terminates" not in text
                    and ("check eventually" not in text)
                ):
                    targets.append((f"`{path.name}`", path))
        if not args.json:
            print("| spec | " + " | ".join(METHODS) + " |")
            print("|---|" + "---:|" * len(METHODS))
        for name, path in targets:
            answers = {m: _run(m, path, args.timeout) for m in METHODS}
            if args.json:
                print(json.dumps({"spec": name, **answers}), flush=True)
                continue
            cells = [_cell(answers[m], args.timeout) for m in METHODS]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
