"""Whole-page and partial stores, and a second kind of store: small specs whose
verdicts are derived by hand in their comments (`# verdict: ...`); both engines must
give exactly that verdict, length and completeness.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.api import Options, check_file

SPECS = sorted((Path(__file__).parent / "stores" / "specs").glob("*.pg"))
_VERDICT = re.compile(
    r"^# verdict: (?:safe, complete|violation (\S+) in (\d+) steps)$", re.M
)


def derived(path: Path) -> tuple[object, ...]:
    """The verdict written in the spec's comments."""
    found = _VERDICT.search(path.read_text(encoding="utf-8"))
    assert found is not None, f"{path.name} states no `# verdict:`"
    prop, length = found.groups()
    if prop is None:
        return ("safe", None, None, True)
    return ("violation", prop, int(length), True)


def test_there_are_specs() -> None:
    assert len(SPECS) >= 5


@pytest.mark.parametrize("engine", ["explicit", "z3"])
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_verdict_is_the_derived_one(path: Path, engine: str) -> None:
    r = check_file(path, Options(engine=engine, timeout=120))
    length = r.trace.length if r.trace else None
    assert (str(r.verdict), r.prop, length, r.complete) == derived(path)
    assert r.expectation_met
