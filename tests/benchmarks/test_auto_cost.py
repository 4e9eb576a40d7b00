"""The measure of `auto`'s cost (benchmarks/auto_cost.py): minima per engine, ratios
over the best single engine. The runs are made up."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.auto_cost import Point, _fastest  # noqa: E402


def test_each_engine_counts_its_fastest_run_and_least_cpu() -> None:
    runs = {
        "explicit": iter([(0.30, 0.09), (0.10, 0.12), (0.20, 0.08)]),
        "bmc": iter([(2.0, 1.9), (2.5, 2.4), (2.2, 2.1)]),
        "auto": iter([(0.16, 0.10), (0.40, 0.09), (0.14, 0.20)]),
    }
    point = _fastest("p", list(runs), lambda engine: next(runs[engine]), reps=3)
    assert point.wall == {"explicit": 0.10, "bmc": 2.0, "auto": 0.14}
    assert point.cpu == {"explicit": 0.08, "bmc": 1.9, "auto": 0.09}
    assert round(point.ratio, 6) == 1.4
    assert round(point.cpu_ratio, 6) == 1.125


def test_the_ratio_is_over_the_best_single_engine() -> None:
    point = Point("p", {"explicit": 3.0, "induction": 1.0, "auto": 1.2}, {})
    assert round(point.ratio, 6) == 1.2
