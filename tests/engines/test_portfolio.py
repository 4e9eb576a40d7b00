"""The portfolio (`auto`): the explicit search alone first, the other engines in
processes beside it, the first conclusive answer, and what a time limit leaves."""

from __future__ import annotations

import multiprocessing
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checker.api import Options, check_spec
from checker.engines import inductive, portfolio
from checker.load import load_spec
from checker.progress import ProgressInfo
from checker.result import EngineOutcome, Verdict

SPECS = Path(__file__).resolve().parents[2] / "specs"


def _fake(
    name: str, outcome: EngineOutcome | None, depth: int = 3
) -> Callable[..., EngineOutcome]:
    """An engine that reports `depth`, then answers `outcome` at once, or (None)
    works until the deadline, reporting now and then, and gives up."""

    def engine(spec: Any, bound: int, *, deadline: float, **kw: Any) -> EngineOutcome:
        kw["progress"](ProgressInfo(name, depth, bound, states=10 * depth))
        if outcome is not None:
            return outcome
        while time.monotonic() < deadline:
            time.sleep(0.01)
            kw["progress"](ProgressInfo(name, depth, bound, states=10 * depth))
        return EngineOutcome(Verdict.UNKNOWN, False, reason="time limit reached")

    return engine


@pytest.fixture
def racing(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Start the other engines at once, and race the given engines instead of the
    real ones."""
    monkeypatch.setattr(portfolio, "QUICK_S", 0.0)

    def use(**engines: Callable[..., EngineOutcome]) -> None:
        for name, engine in engines.items():
            if name == "explicit":
                monkeypatch.setattr(portfolio, "check_explicit", engine)
            else:
                monkeypatch.setitem(portfolio.RACERS, name, lambda e=engine: e)

    return use


def test_the_explicit_search_alone_answers_small_specs() -> None:
    result = check_spec(load_spec(SPECS / "race.pg"), Options(engine="auto"))
    assert (result.verdict, result.answered_by) == (Verdict.VIOLATION, "explicit")
    assert result.trace is not None and result.trace.length == 2
    assert multiprocessing.active_children() == []


def test_the_race_takes_a_conclusive_answer(racing: Callable[..., None]) -> None:
    racing(explicit=_fake("explicit", None))
    spec = load_spec(SPECS / "race_fixed.pg")
    result = check_spec(spec, Options(engine="auto", timeout=120))
    assert (result.verdict, result.complete) == (Verdict.SAFE, True)
    assert result.answered_by in ("induction", "bmc")
    assert multiprocessing.active_children() == []


def test_the_first_conclusive_answer_wins_and_the_rest_are_stopped(
    racing: Callable[..., None],
) -> None:
    proof = EngineOutcome(Verdict.SAFE, True)
    racing(explicit=_fake("explicit", None), bmc=_fake("bmc", None))
    racing(induction=_fake("induction", proof))
    spec = load_spec(SPECS / "race_fixed.pg")
    result = check_spec(spec, Options(engine="auto", timeout=30))
    assert (result.verdict, result.complete) == (Verdict.SAFE, True)
    assert result.answered_by == "induction"
    assert result.time_s < 15
    assert result.stats == proof.stats
    assert multiprocessing.active_children() == []


def test_a_time_limit_says_how_far_each_engine_got(
    racing: Callable[..., None],
) -> None:
    racing(
        explicit=_fake("explicit", None, 7),
        induction=_fake("induction", None),
        bmc=_fake("bmc", None, 2),
    )
    spec = load_spec(SPECS / "race_fixed.pg")
    result = check_spec(spec, Options(engine="auto", timeout=1.0))
    assert result.verdict == Verdict.UNKNOWN
    assert result.message == (
        "time limit reached (explicit: depth 7, 70 states; "
        "induction: depth 3, 30 states; bmc: depth 2, 20 states)"
    )
    assert multiprocessing.active_children() == []


def test_a_bounded_answer_stands_when_nothing_better_comes(
    racing: Callable[..., None],
) -> None:
    bounded = EngineOutcome(Verdict.SAFE, False)
    racing(
        explicit=_fake("explicit", bounded),
        induction=_fake("induction", None),
        bmc=_fake("bmc", None),
    )
    spec = load_spec(SPECS / "race_fixed.pg")
    result = check_spec(spec, Options(engine="auto", timeout=1.0))
    assert (result.verdict, result.complete) == (Verdict.SAFE, False)
    assert result.answered_by == "explicit"


@pytest.mark.slow
def test_a_time_limit_says_how_far_spacer_got(
    racing: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spacer reports as it starts and as its trace comes: it gets the time there
    is (k-induction none), and the CPU (at their usual lowest priority the racers
    get almost none while other tests run)."""
    monkeypatch.setattr(inductive, "K_INDUCTION_S", 0.0)
    monkeypatch.setattr(portfolio, "NICENESS", {})
    racing(explicit=_fake("explicit", None, 7))
    # neither BMC nor Spacer proves refcount-fixed N = 3 within minutes
    spec = load_spec(SPECS.parent / "benchmarks" / "specs" / "refcount_fixed_3.pg")
    result = check_spec(spec, Options(engine="auto", timeout=12.0))
    assert result.verdict == Verdict.UNKNOWN
    assert re.fullmatch(
        r"time limit reached \(explicit: depth 7, 70 states; "
        r"induction: frame \d+, \d+ lemmas; bmc: depth \d+, \d+ solver calls\)",
        result.message,
    ), result.message
    assert multiprocessing.active_children() == []
