"""Markers for test files this suite does not edit.

`slow`: tests that take more than about 2 seconds each (measured with
`python -m pytest --durations=60 -n 0`); `python -m pytest -m "not slow" -n 2` leaves
them out for a quick run while editing. Tests in files owned by this suite carry
`@pytest.mark.slow` themselves; the files below get it from here, keyed by path:

- tests/differential/: the random-spec agreement of the two engines (minutes);
- tests/engines/test_corpus_agreement.py: both engines on every spec of specs/;
- tests/benchmarks/: the benchmark families at N = 1, 2;
- tests/unit/test_fuzz.py: the grammar and mutation fuzzers (hypothesis);
- single tests in SLOW_TESTS (golden reports run with Z3).
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SLOW_PATHS = (
    TESTS / "differential",
    TESTS / "engines" / "test_corpus_agreement.py",
    TESTS / "benchmarks",
    TESTS / "unit" / "test_fuzz.py",
)
SLOW_TESTS = {
    "tests/golden/test_reports.py::test_golden[z3_quiet]",
    "tests/golden/test_reports.py::test_reports_are_deterministic",
}


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    for item in items:
        path = Path(item.path)
        in_slow_path = any(path == p or p in path.parents for p in SLOW_PATHS)
        if in_slow_path or item.nodeid in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
