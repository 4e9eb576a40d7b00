"""A sweep on a local two-worker Dask cluster against the process pool, and the
overhead per check on each.

    python -m benchmarks.cluster [--workers 2] [--rounds 2] [--models seed,hinting,...]
                                 [--engine explicit] [--json]

The sweep is `pagecheck matrix specs/ --model ...` (every spec of specs/ against each
model: one check per cell). Its jobs are planned once and run alternately on
`ProcessPool(workers)` and on `DaskCluster(address)` of a `LocalCluster` of `workers`
single-threaded processes, started once before the first round (its start-up time is
reported apart: a cluster is normally running before a sweep is sent to it); each
figure is the best of `--rounds`. Both executors must return the same outcomes (times
aside), else the command fails.

The overhead per check is what a check that does nothing costs from submit to result:
the median over `--probes` round trips of one such job, one at a time, on the
running cluster's client and on the process pool; and the same job sent `--probes`
times at once, the wall time divided by the number of jobs.

Exit status: 0 done, 1 the executors disagreed, 2 Dask (`pagecheck[cluster]`) is not
installed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/cluster.py` puts benchmarks/ first
    sys.path.insert(0, str(ROOT))

from checker import api  # noqa: E402
from checker.cluster import DaskCluster, start_local_cluster  # noqa: E402
from checker.executor import Executor, ProcessPool, run_job  # noqa: E402
from checker.matrix import MatrixJob, plan_matrix  # noqa: E402
from checker.sweep import Outcome  # noqa: E402

DEFAULT_MODELS = "seed,hinting,cmma-2008,kvm"


@dataclass(frozen=True, slots=True)
class Nothing:
    """A check that does nothing: what remains is the executor's own cost."""

    def run(self) -> int:
        return 0

    def failed(self, reason: str) -> int:
        return 1


def sweep_jobs(models: list[str], engine: str) -> list[MatrixJob]:
    specs = sorted((ROOT / "specs").glob("*.pg"))
    options = api.Options(engine=engine, models_dirs=(ROOT / "models",))
    return plan_matrix(specs, models, options).jobs


def timed(executor: Executor, jobs: list[MatrixJob]) -> tuple[float, list[Outcome]]:
    start = time.perf_counter()
    outcomes = executor.run(jobs, None)
    return time.perf_counter() - start, outcomes


def untimed(outcomes: list[Outcome]) -> list[Outcome]:
    return [replace(o, time_s=0.0) for o in outcomes]


def round_trips(submit: Any, probes: int) -> float:
    """The median seconds from submitting a `Nothing` to holding its result."""
    times = []
    for _ in range(probes):
        start = time.perf_counter()
        submit(Nothing()).result()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch(executor: Executor, probes: int) -> float:
    start = time.perf_counter()
    executor.run([Nothing()] * probes, None)
    return (time.perf_counter() - start) / probes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--engine", default="explicit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        import distributed
    except ImportError:
        print("needs Dask: pip install 'pagecheck[cluster]'", file=sys.stderr)
        return 2
    jobs = sweep_jobs(args.models.split(","), args.engine)
    pool = ProcessPool(args.workers)
    start = time.perf_counter()
    with (
        start_local_cluster(args.workers) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        client.wait_for_workers(args.workers)
        started = time.perf_counter() - start
        dask = DaskCluster(cluster.scheduler_address)
        pool_times, dask_times = [], []
        for _ in range(args.rounds):
            seconds, by_pool = timed(pool, jobs)
            pool_times.append(seconds)
            seconds, by_dask = timed(dask, jobs)
            dask_times.append(seconds)
            if untimed(by_pool) != untimed(by_dask):
                print("the executors disagree", file=sys.stderr)
                return 1
        dask_trip = round_trips(
            lambda job: client.submit(run_job, job, pure=False), args.probes
        )
        dask_batch = batch(dask, args.probes)
    with ProcessPoolExecutor(1) as one:
        one.submit(run_job, Nothing()).result()  # the worker is up
        pool_trip = round_trips(lambda job: one.submit(run_job, job), args.probes)
    pool_batch = batch(pool, args.probes)
    figures = {
        "checks": len(jobs),
        "workers": args.workers,
        "engine": args.engine,
        "models": args.models,
        "cluster_start_s": round(started, 2),
        "pool_sweep_s": round(min(pool_times), 2),
        "cluster_sweep_s": round(min(dask_times), 2),
        "ratio": round(min(dask_times) / min(pool_times), 2),
        "pool_round_trip_ms": round(pool_trip * 1000, 2),
        "cluster_round_trip_ms": round(dask_trip * 1000, 2),
        "pool_batch_ms_per_check": round(pool_batch * 1000, 2),
        "cluster_batch_ms_per_check": round(dask_batch * 1000, 2),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"sweep: matrix of specs/ x {args.models}, {len(jobs)} checks, "
        f"engine {args.engine}, {args.workers} workers, best of {args.rounds}"
    )
    print(f"  process pool          {figures['pool_sweep_s']:8.2f} s")
    print(
        f"  local Dask cluster    {figures['cluster_sweep_s']:8.2f} s"
        f"  ({figures['ratio']:.2f}x the pool; the cluster started in "
        f"{figures['cluster_start_s']:.2f} s)"
    )
    print(f"overhead per check (a check that does nothing, {args.probes} probes)")
    print(
        f"  submit to result, one at a time: pool {figures['pool_round_trip_ms']:.2f}"
        f" ms, cluster {figures['cluster_round_trip_ms']:.2f} ms"
    )
    print(
        f"  in a batch, per check:           pool "
        f"{figures['pool_batch_ms_per_check']:.2f} ms, cluster "
        f"{figures['cluster_batch_ms_per_check']:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
