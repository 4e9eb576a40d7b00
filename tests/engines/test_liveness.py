"""`check terminates` on small specs whose lassos are derived by hand in their comments
(`# verdict: ...` in `liveness/`), the shipped liveness specs, the reductions that the
lasso search must not use, BMC's lassos beside the explicit engine's, and the check
that every lasso passes before it is printed.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest

from checker import ir
from checker.api import Options, check_file
from checker.cli import main
from checker.engines import Engine
from checker.engines.explicit import check_explicit
from checker.engines.symbolic import check_symbolic
from checker.errors import InternalError
from checker.liveness import find_lasso, lasso
from checker.load import load_spec
from checker.semantics import Semantics

HERE = Path(__file__).parent
SPECS = sorted((HERE / "liveness").glob("*.pg"))
SHIPPED = HERE.parent.parent / "specs"
_VERDICT = re.compile(
    r"^# verdict: (?:safe, complete|violation (terminates|eventually), "
    r"prefix (\d+) steps?, cycle (\d+) steps?)$",
    re.M,
)


def derived(path: Path) -> tuple[str, str | None, int | None, int | None]:
    """The verdict written in the spec's comments: verdict, property, prefix and
    cycle lengths."""
    found = _VERDICT.search(path.read_text(encoding="utf-8"))
    assert found is not None, f"{path.name} states no `# verdict:`"
    prop, prefix, cycle = found.groups()
    if prefix is None:
        return ("safe", None, None, None)
    return ("violation", prop, int(prefix), int(cycle))


def test_there_are_specs() -> None:
    assert len(SPECS) >= 13


@pytest.mark.parametrize("engine", ["explicit", "auto", "bmc"])
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_hand_derived_lassos(path: Path, engine: str) -> None:
    r = check_file(path, Options(engine=engine, coverage=False))
    assert r.complete
    assert r.expectation_met
    verdict, prop, prefix, cycle = derived(path)
    assert str(r.verdict) == verdict
    if r.trace is None:
        return
    assert r.trace.violation.prop == prop
    assert r.trace.loop is not None and r.trace.loop == prefix
    assert r.trace.length - r.trace.loop == cycle


@pytest.mark.parametrize(
    ("reduction", "symmetry", "local_steps"),
    [(True, True, True), (False, False, False), (True, False, True)],
)
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_reductions_do_not_change_lassos(
    path: Path, reduction: bool, symmetry: bool, local_steps: bool
) -> None:
    """The lasso search runs on the unreduced graph whatever the safety search used:
    the same lasso with every reduction on or off."""
    spec = load_spec(path)
    got = check_explicit(
        spec,
        spec.bound,
        deadline=time.monotonic() + 60,
        reduction=reduction,
        symmetry=symmetry,
        local_steps=local_steps,
    )
    plain = find_lasso(Semantics(spec), spec.bound, time.monotonic() + 60)
    assert got.trace == plain.trace


def test_symmetric_spin_is_found_though_symmetry_would_merge_it() -> None:
    """Both threads of local_spin.pg run one program, and their loops are local:
    the safety search merges them, the lasso still has a step of each thread."""
    spec = load_spec(HERE / "liveness" / "local_spin.pg")
    found = find_lasso(Semantics(spec), spec.bound, time.monotonic() + 60)
    assert found.trace is not None and found.trace.loop is not None
    actors = {s.actor for s in found.trace.steps[found.trace.loop :]}
    assert actors == {0, 1}


def test_the_bound_cuts_the_graph() -> None:
    """Within 3 steps local_spin.pg reaches no fair cycle, and says it did not finish."""
    spec = load_spec(HERE / "liveness" / "local_spin.pg")
    found = find_lasso(Semantics(spec), 3, time.monotonic() + 60)
    assert found.trace is None and not found.complete


@pytest.mark.parametrize("engine", ["explicit", "bmc"])
@pytest.mark.parametrize(
    ("name", "verdict", "prefix", "cycle"),
    [
        ("postcopy_hang.pg", "violation", 3, 0),
        ("postcopy_hang_fixed.pg", "safe", None, None),
        ("make_stable_spin.pg", "violation", 4, 1),
        ("make_stable_spin_fixed.pg", "safe", None, None),
    ],
)
def test_shipped_specs(
    name: str, verdict: str, prefix: int | None, cycle: int | None, engine: str
) -> None:
    r = check_file(SHIPPED / name, Options(engine=engine, coverage=False))
    assert (str(r.verdict), r.complete, r.expectation_met) == (verdict, True, True)
    if r.trace is not None:
        assert r.trace.loop is not None and r.trace.loop == prefix
        assert r.trace.length - r.trace.loop == cycle
        assert r.trace.violation.prop == "terminates"


def test_liveness_off_by_default() -> None:
    assert "terminates" not in ir.DEFAULT_PROPERTIES
    assert "terminates" in ir.LIVENESS_PROPERTIES


def test_json_and_text_show_the_cycle() -> None:
    path = str(HERE / "liveness" / "local_spin.pg")
    out = io.StringIO()
    assert main(["--json", path], stdout=out, stderr=io.StringIO()) == 0
    result = json.loads(out.getvalue())["results"][0]
    assert result["property"] == "terminates"
    assert result["cycle"] == {"first_step": 7, "steps": 4}
    assert len(result["trace"]) == 10
    out = io.StringIO()
    assert main(["--trace", "full", path], stdout=out, stderr=io.StringIO()) == 0
    text = out.getvalue()
    assert "↓  the cycle starts" in text
    assert "back to the state before step 7: steps 7–10 repeat forever" in text
    assert "(the state of step 6 again: the cycle repeats)" in text


def test_no_cycle_field_without_liveness() -> None:
    out = io.StringIO()
    main(["--json", str(SHIPPED / "race.pg")], stdout=out, stderr=io.StringIO())
    assert "cycle" not in json.loads(out.getvalue())["results"][0]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_bmc_lassos_are_lassos(path: Path) -> None:
    """BMC's lasso is checked again here: it replays, closes, is fair and names the
    same thread; it is never longer than the explicit engine's."""
    spec = load_spec(path)
    explicit = check_explicit(spec, spec.bound, deadline=time.monotonic() + 60)
    bmc = check_symbolic(spec, spec.bound, deadline=time.monotonic() + 60)
    assert (bmc.verdict, bmc.complete) == (explicit.verdict, explicit.complete)
    if bmc.trace is None or explicit.trace is None:
        assert bmc.trace is explicit.trace is None
        return
    t = bmc.trace
    assert t.loop is not None
    assert lasso(Semantics(spec), t.initial, t.steps, t.loop) == t
    assert t.violation == explicit.trace.violation
    assert t.length <= explicit.trace.length


@pytest.mark.parametrize("engine", [check_explicit, check_symbolic])
def test_the_bound_cuts_the_lassos(engine: Engine) -> None:
    """Within 3 steps local_spin.pg has no fair cycle: both engines say safe and
    not complete."""
    spec = load_spec(HERE / "liveness" / "local_spin.pg")
    got = engine(spec, 3, deadline=time.monotonic() + 60, want=None, seed=0)
    assert (str(got.verdict), got.complete) == ("safe", False)


def test_an_unfair_cycle_is_no_lasso() -> None:
    """fair_flag.pg: `a` spinning on its test while `b` could set the flag is a
    cycle, but not a fair one; `lasso` refuses it, and the run stopping there."""
    spec = load_spec(HERE / "liveness" / "fair_flag.pg")
    sem = Semantics(spec)
    s0 = sem.initial()
    spin = next(s for s in sem.successors(s0) if s.actor == 0 and s.state == s0)
    with pytest.raises(InternalError, match="not fair to thread 1"):
        lasso(sem, s0, [spin], 0)
    with pytest.raises(InternalError, match="not fair to thread 0"):
        lasso(sem, s0, [], 0)  # an empty cycle where `a` can still step
