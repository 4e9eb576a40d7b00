"""Both engines agree on every shipped spec and on the language reference's examples.

Verdict, violated property, shortest length, `complete` and whether the spec's
`expect` is met must be the same; every spec must meet its `expect`. A spec that checks
liveness (`check terminates`) is answered by the explicit engine alone: `auto` must
give its answer, and BMC must refuse it as an input error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.api import Options, check_file
from checker.errors import SourceError
from checker.load import load_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "golden" / "reports" / "specs"
CORPUS = sorted((ROOT / "specs").glob("*.pg")) + sorted(
    p
    for p in EXAMPLES.glob("*.pg")
    if p.stem
    in {"check_then_stable", "premature_unused", "reclaim_volatile", "vz_touch_faults"}
)


def summary(path: Path, engine: str) -> tuple[object, ...]:
    r = check_file(path, Options(engine=engine, timeout=300))
    length = r.trace.length if r.trace else None
    return (str(r.verdict), r.prop, length, r.complete, r.expectation_met)


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 28


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_engines_agree(path: Path) -> None:
    explicit = summary(path, "explicit")
    if load_spec(path).liveness is not None:
        assert explicit == summary(path, "auto")
        with pytest.raises(SourceError, match="does not answer liveness"):
            summary(path, "z3")
    else:
        assert explicit == summary(path, "z3")
    assert explicit[-1], f"{path.name} does not meet its expect"
