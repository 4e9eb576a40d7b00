"""The cluster benchmark (benchmarks/cluster.py) runs end to end on a small sweep:
both executors agree and every figure is there. Timings are not asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]


def test_the_cluster_benchmark_prints_its_figures() -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.cluster", "--models", "seed"),
            *("--rounds", "1", "--probes", "3", "--json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["checks"] == len(list((ROOT / "specs").glob("*.pg")))
    for key in ("pool_sweep_s", "cluster_sweep_s", "cluster_round_trip_ms"):
        assert figures[key] > 0
