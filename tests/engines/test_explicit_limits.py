"""The explicit engine's limits: memory and time stop it with how deep it got, and
integers that outgrow their first field width are searched again, wider."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from checker.engines.explicit import check_explicit
from checker.load import load_spec
from checker.result import Verdict

ROOT = Path(__file__).resolve().parents[2]

DOUBLING = """\
use "{models}/hinting.pg"

page p0 : Sr = 1
var x = 1
host none
bound 100

thread cpu0 {{
  while x < 1099511627776 {{
    x = x + x
  }}
  assert x == 1099511627776
  assert x != 1099511627776
}}
"""


@pytest.fixture
def doubling(tmp_path: Path) -> Path:
    path = tmp_path / "doubling.pg"
    path.write_text(DOUBLING.format(models=ROOT / "models"))
    return path


def test_values_wider_than_the_first_fields_are_searched_again(doubling: Path) -> None:
    spec = load_spec(doubling)
    outcome = check_explicit(spec, spec.bound, deadline=time.monotonic() + 60)
    assert outcome.verdict == Verdict.VIOLATION
    assert outcome.trace is not None
    assert outcome.trace.violation.message == "assertion failed: x != 1099511627776"
    assert outcome.trace.length == 2 * 40 + 1 + 2


def test_a_memory_limit_gives_unknown_and_the_depth() -> None:
    spec = load_spec(ROOT / "benchmarks" / "specs" / "churn_3.pg")
    outcome = check_explicit(
        spec,
        spec.bound,
        deadline=time.monotonic() + 120,
        memory_mb=1,
        reduction=False,
        local_steps=False,
    )
    assert outcome.verdict == Verdict.UNKNOWN
    assert outcome.reason.startswith("memory limit reached (1 MB) at depth ")


def test_a_time_limit_gives_unknown_and_the_depth() -> None:
    spec = load_spec(ROOT / "benchmarks" / "specs" / "churn_3.pg")
    outcome = check_explicit(spec, spec.bound, deadline=time.monotonic() + 0.05)
    assert outcome.verdict == Verdict.UNKNOWN
    assert outcome.reason.startswith("time limit reached at depth ")
    assert outcome.stats.states is not None and outcome.stats.states > 0
