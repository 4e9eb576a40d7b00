"""Every reduction of the explicit engine keeps the answer at every bound, not only at
the spec's own: near the depth where the full search closes, a reduced search that
closes sooner must not claim `complete` (dead-locals resets once did, and were
removed for it). The specs are those whose full searches close within 30 steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.load import load_spec
from tests.engines.explicit_runs import explicit, kept

ROOT = Path(__file__).resolve().parents[2]
SPECS = [
    ROOT / "benchmarks" / "specs" / name
    for name in ("churn_1.pg", "pagecache_1.pg", "refcount_1.pg", "refcount_fixed_1.pg")
] + [ROOT / "specs" / "cmma_migration_bits.pg", ROOT / "specs" / "race.pg"]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_reductions_keep_the_answer_at_every_bound(path: Path) -> None:
    spec = load_spec(path)
    for bound in range(1, 31):
        full = explicit(spec, bound, reduction=False, symmetry=False, local_steps=False)
        assert kept(explicit(spec, bound)) == kept(full), bound
