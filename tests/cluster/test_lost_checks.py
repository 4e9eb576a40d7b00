"""A folder check whose executor could not run one of the checks (its worker died on
every try): that spec gets one line and exit 3, the others their reports, in order.
The executor here is a stand-in that returns each job's `failed` result for one
file, so no cluster is needed."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from checker import cli
from checker.executor import ProgressBar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LosesOne:
    """Runs every job here, except the one for `lost`, which its worker "lost"."""

    lost: str

    def run(self, jobs: Sequence[Any], progress: ProgressBar | None) -> list[Any]:
        return [
            job.failed("its worker died on every try")
            if job.file == self.lost
            else job.run()
            for job in jobs
        ]


def test_a_lost_check_is_reported_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    specs = ["specs/race.pg", "specs/race_fixed.pg", "specs/premature_unused.pg"]
    monkeypatch.setattr(cli, "executor_from", lambda ns: LosesOne(specs[1]))
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(
        ["--engine", "explicit", "-q", "--cluster", "tcp://127.0.0.1:1", *specs],
        stdout=out,
        stderr=err,
    )
    assert status == 3
    assert err.getvalue() == (
        "pagecheck: error: specs/race_fixed.pg not checked: "
        "its worker died on every try\n"
    )
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [specs[0], specs[2]]
