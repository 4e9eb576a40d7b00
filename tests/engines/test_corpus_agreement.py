"""Both engines agree on every shipped spec and on the language reference's examples.

Verdict, violated property, shortest length, `complete` and whether the spec's
`expect` is met must be the same; every spec must meet its `expect`. On a spec that
checks liveness (`check terminates`), `auto` gives the explicit engine's answer, and
BMC the same except the lasso's length: BMC's is the fewest steps in all, the explicit
engine's the fewest before the cycle, so BMC's is never longer (docs/engines.md).
BMC gets `LIVENESS_BMC_TIMEOUT` seconds there: it is slow on the larger liveness specs
(docs/engines.md, "Liveness in BMC"), and a time limit is no disagreement.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.api import Options, check_file
from checker.load import load_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "golden" / "reports" / "specs"
CORPUS = sorted((ROOT / "specs").glob("*.pg")) + sorted(
    p
    for p in EXAMPLES.glob("*.pg")
    if p.stem
    in {"check_then_stable", "premature_unused", "reclaim_volatile", "vz_touch_faults"}
)


LIVENESS_BMC_TIMEOUT = 10.0


def summary(path: Path, engine: str, timeout: float = 300) -> tuple[object, ...]:
    r = check_file(path, Options(engine=engine, timeout=timeout))
    length = r.trace.length if r.trace else None
    return (str(r.verdict), r.prop, length, r.complete, r.expectation_met)


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 28


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_engines_agree(path: Path) -> None:
    explicit = summary(path, "explicit")
    assert explicit[-1], f"{path.name} does not meet its expect"
    if load_spec(path).liveness is not None:
        assert explicit == summary(path, "auto")
        bmc = summary(path, "z3", LIVENESS_BMC_TIMEOUT)
        if bmc[0] == "unknown":
            return
        assert (*bmc[:2], *bmc[3:]) == (*explicit[:2], *explicit[3:])
        lengths = (bmc[2], explicit[2])
        assert lengths == (None, None) or (
            isinstance(lengths[0], int)
            and isinstance(lengths[1], int)
            and lengths[0] <= lengths[1]
        )
    else:
        assert explicit == summary(path, "z3")
