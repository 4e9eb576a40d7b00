"""The benchmark table (benchmarks/run.py): Spin's rows and column, memory and rates per
state, and the geometric mean of pagecheck's time over Spin's. No child process runs
here: the runs are made up."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import run as bench  # noqa: E402
from benchmarks.run import SPIN, Run  # noqa: E402


def _run(
    engine: str,
    n: int,
    time_s: float | None,
    *,
    family: str = "churn",
    status: str = "safe",
    search_s: float | None = None,
    states: int | None = None,
) -> Run:
    ok = True if status in ("safe", "violation") else None
    r = Run(family, n, engine, status, "safe", ok, complete=ok, time_s=time_s)
    r.states = states
    if engine == SPIN:
        r.extra["search_s"] = search_s
    return r


def test_geometric_mean() -> None:
    assert bench.geometric_mean([1.0, 4.0]) == pytest.approx(2.0)
    assert bench.geometric_mean([0.5, 2.0, 8.0]) == pytest.approx(2.0)
    assert bench.geometric_mean([3.0]) == pytest.approx(3.0)
    for bad in ([], [0.0], [1.0, -2.0]):
        with pytest.raises(ValueError):
            bench.geometric_mean(bad)


def test_ratio_counts_only_the_n_where_spin_searched_over_a_second() -> None:
    runs = [
        _run("explicit", 1, 0.01),
        _run(SPIN, 1, 5.0, search_s=0.2),  # too quick to count
        _run("z3", 2, 6.0),
        _run("explicit", 2, 3.0),  # the best engine at N = 2
        _run(SPIN, 2, 7.0, search_s=1.5),
        _run("explicit", 3, 12.0),
        _run(SPIN, 3, 10.0, search_s=6.0),
        _run("explicit", 4, None, status="timeout"),
        _run(SPIN, 4, 30.0, search_s=25.0),  # no engine finished
        _run("explicit", 5, None, status="timeout"),
        _run(SPIN, 5, 65.0, status="timeout", search_s=60.0),
    ]
    ratio = bench.spin_ratios(runs)["churn"]
    assert ratio.sizes == [2, 3]
    assert ratio.vs_search == pytest.approx((3.0 / 1.5 * 12.0 / 6.0) ** 0.5)
    assert ratio.vs_total == pytest.approx((3.0 / 7.0 * 12.0 / 10.0) ** 0.5)
    assert ratio.engines_failed == [4]
    assert ratio.spin_failed == [5]
    text = bench.ratio_lines({"churn": ratio})
    assert "- churn: 2 against Spin's search" in text
    assert "(N = 2, 3)" in text and "no engine finished at N = 4" in text


def test_no_ratio_without_spin_runs() -> None:
    assert bench.spin_ratios([_run("explicit", 1, 0.5)]) == {}
    assert bench.ratio_lines({}) == ""


def _table(text: str) -> list[list[str]]:
    rows = [ln for ln in text.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in rows]


def test_table_with_spin() -> None:
    spin = _run(SPIN, 2, 7.25, search_s=0.5, states=1000)
    spin.extra["bytes_per_state"] = 120.0
    explicit = _run("explicit", 2, 2.0, states=5000)
    rows = _table(bench.markdown([explicit, spin], 60.0))
    head, body = rows[0], rows[2:]
    assert "Spin: not installed" not in head
    assert len({len(r) for r in rows}) == 1
    cells = dict(zip(head, body[1], strict=True))
    assert cells["engine"] == "spin"
    assert (cells["time (s)"], cells["search (s)"]) == ("7.25", "0.50")
    assert cells["states/s"] == "2,000"  # states over the search alone
    assert cells["bytes/state"] == "120"
    cells = dict(zip(head, body[0], strict=True))
    assert (cells["search (s)"], cells["states/s"]) == ("—", "2,500")


def test_table_says_when_spin_is_not_installed() -> None:
    rows = _table(bench.markdown([_run("explicit", 1, 0.1)], 60.0, spin_missing=True))
    assert rows[0][-1] == "Spin: not installed"
    assert rows[2][-1] == "—"
    assert len({len(r) for r in rows}) == 1


def test_spin_timeout_row() -> None:
    r = _run(SPIN, 6, 75.0, status="timeout", search_s=60.1, states=9_000_000)
    cells = dict(zip(bench.COLUMNS, bench._row(r, 60.0), strict=True))
    assert cells["verdict"] == "timeout (>60 s)"
    assert cells["search (s)"] == "60.10"
    assert cells["states"] == "9,000,000"


def test_memory_per_state_from_peak_rss_or_from_the_engine() -> None:
    r = _run("explicit", 3, 1.0, states=100_000)
    r.peak_mb = 130.0
    bench.measure_memory(r, 30.0)
    assert r.extra["bytes_per_state"] == pytest.approx(100 * 1024 * 1024 / 100_000)
    small = _run("explicit", 1, 0.01, states=31)
    small.peak_mb = 37.0  # a few MB over the floor are noise, not states
    bench.measure_memory(small, 30.0)
    assert "bytes_per_state" not in small.extra
    own = _run("explicit", 3, 1.0, states=100_000)
    own.peak_mb = 130.0
    own.extra["bytes_per_state"] = 64.0
    own.extra["bytes_per_state_from"] = "engine"
    bench.measure_memory(own, 30.0)
    assert own.extra["bytes_per_state"] == 64.0
    tiny = _run("explicit", 3, 1.0, states=6_000)
    tiny.peak_mb = 80.0  # a C compiler's peak, not the states'
    tiny.extra["bytes_per_state"] = None
    tiny.extra["bytes_per_state_from"] = "engine"
    bench.measure_memory(tiny, 30.0)
    assert tiny.extra["bytes_per_state"] is None


def test_engine_bytes_per_state_is_read_from_stats() -> None:
    from checker.result import Stats

    assert bench._engine_bytes_per_state(Stats()) is None
    assert bench._engine_bytes_per_state(
        Stats(extra=(("bytes_per_state", "512"),))
    ) == pytest.approx(512.0)


def test_engine_bytes_per_state_is_none_for_states_under_a_megabyte() -> None:
    """As for Spin: below 1 MB the figure tells allocation granularity, not what a
    state costs."""
    assert bench.engine_figure(130.0, 8_000) is None
    assert bench.engine_figure(64.0, 40_000) == pytest.approx(64.0)


def test_without_spin_nothing_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "spin_available", lambda: None)
    code = bench.main(["--engines", "spin", "--families", "churn", "--n", "1", "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Spin: not installed" in out
    assert "| Spin: not installed |" in out


def test_engines_accept_spin() -> None:
    with pytest.raises(SystemExit) as exc:
        bench.main(["--engines", "spin,nope", "-q"])
    assert exc.value.code == 2


def test_the_raw_configuration_searches_every_interleaving(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`explicit-raw` is the explicit engine with no reduction: churn N = 2 has 31^2
    states unreduced (each CPU's 30 steps and its start), and the partial-order
    reduction stores far fewer."""
    import json

    states = {}
    for engine in (bench.RAW, "explicit"):
        assert bench.worker("churn", 2, engine, 60.0) == 0
        row = json.loads(capsys.readouterr().out)
        assert (row["verdict"], row["complete"]) == ("safe", True)
        states[engine] = row["states"]
    assert states[bench.RAW] == 31**2
    assert states["explicit"] < states[bench.RAW] // 5


def test_the_raw_configuration_is_not_pagechecks_best_time() -> None:
    runs = [
        _run(SPIN, 3, 9.0, search_s=2.0),
        _run(bench.RAW, 3, 0.5),
        _run("explicit", 3, 4.0),
    ]
    assert bench.spin_ratios(runs)["churn"].vs_search == pytest.approx(2.0)
