"""Commands a reviewer uses to trust a verdict: carry, replay (with --schedule),
outcomes, and --trace full, run through `checker.cli.main` on the shipped specs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from checker.api import Options
from checker.carry import carry
from checker.cli import main
from checker.exit import ExitStatus
from checker.load import load_spec
from checker.outcomes import outcomes
from checker.replay import DoesNotFit, run_schedule, split_schedule

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
TRUST = ROOT / "tests" / "golden" / "reports" / "trust"
FIXED = sorted(
    p for p in SPECS.glob("*.pg") if "\nexpect safe" in p.read_text(encoding="utf-8")
)


#: Safe specs that ask a question of a model ("is Vp reachable?"), with no fix to carry.
QUESTIONS = frozenset({"vp_unreachable_cmma2008.pg"})


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


EXPLICIT = Options(engine="explicit")
MODELS_EXPLICIT = Options(engine="explicit", models_dirs=(ROOT / "models",))


def test_carry_finds_a_spec_safe_by_construction() -> None:
    found = carry(TRUST / "by_construction.pg", MODELS_EXPLICIT, executor=2)
    assert found.original.safe and found.by_construction
    assert len(found.changes) == 5


@pytest.mark.slow
def test_the_deferred_discard_fault_fix_carries() -> None:
    """Once safe by construction (its stale second free had no effect); rewritten so
    that the handler's reference and the sign-off each carry the proof."""
    found = carry(SPECS / "discard_fault_reuse_deferred.pg", EXPLICIT, executor=2)
    assert found.original.safe and not found.by_construction
    carrying = {c.label for c, _ in found.carrying}
    assert "remove `ref = ref + 1`" in carrying  # get_page_unless_zero's reference


@pytest.mark.slow
def test_check_counts_rests_on_the_state_change_bit() -> None:
    """Once safe only through an `atomic` block the kernel does not have; now the
    wait on the state-change bit carries it."""
    found = carry(SPECS / "volatile_dma_ref_check_counts.pg", EXPLICIT, executor=2)
    carrying = {c.label for c, _ in found.carrying}
    assert "remove `await sc == 0`" in carrying


def test_a_fix_in_the_model_carries() -> None:
    found = carry(SPECS / "postcopy_drop_unused_fixed.pg", EXPLICIT, executor=2)
    carrying = [(c.kind, o.prop) for c, o in found.carrying]
    assert carrying == [("model", "fault")]


@pytest.mark.slow
@pytest.mark.parametrize("path", FIXED, ids=[p.name for p in FIXED])
def test_carry_runs_on_every_fixed_spec(path: Path) -> None:
    """Every safe spec of `specs/` has a line (or a model) that carries its proof, but
    those that ask a question of a model rather than fix a race."""
    found = carry(path.relative_to(ROOT), EXPLICIT, executor=2)
    assert found.original.safe
    assert found.by_construction == (path.name in QUESTIONS)
    for change, outcome in found.carrying:
        assert outcome.violation and outcome.length is not None, change
        assert outcome.report, change  # the schedule that shows why


def test_carry_of_an_unsafe_spec_fails() -> None:
    status, out, _ = run("carry", "-j", "1", "--engine", "explicit", SPECS / "race.pg")
    assert status == ExitStatus.EXPECTATION_FAILED
    assert "not safe" in out


def test_carry_json_marks_the_carrying_change() -> None:
    spec = TRUST / "free_after_read.pg"
    status, out, _ = run("carry", "--json", "-j", "1", "--engine", "explicit", spec)
    assert status == ExitStatus.OK
    (result,) = json.loads(out)["results"]
    assert not result["by_construction"]
    carrying = [c for c in result["changes"] if c["carries"]]
    assert [(c["line"], c["kind"]) for c in carrying] == [(9, "remove")]
    assert carrying[0]["trace"][-1]["op"] == "read"


def test_outcomes_of_a_litmus_spec_are_three_final_states() -> None:
    spec = load_spec(TRUST / "store_buffer.pg")
    found = outcomes(spec, spec.bound)
    finals = {(dict(o.values)["a"], dict(o.values)["b"]) for o in found.outcomes}
    assert finals == {(0, 1), (1, 0), (1, 1)}
    assert found.complete and not found.always
    assert [dict(k)["a"] + dict(k)["b"] for k in found.never] == [0]
    for o in found.outcomes:  # each run replays to its outcome
        final = run_schedule(spec, ",".join(o.schedule)).steps[-1].state
        assert final.vars == tuple(v for name, v in o.values if name in "xyab")


def test_outcomes_lists_violations_and_always() -> None:
    spec = load_spec(SPECS / "premature_unused.pg")
    found = outcomes(spec, spec.bound)
    assert found.always is False
    assert [p for p, _ in found.violations] == ["silent-loss"]
    status, out, _ = run("outcomes", "--json", SPECS / "premature_unused.pg")
    assert status == ExitStatus.OK
    assert json.loads(out)["violations"][0]["property"] == "silent-loss"


def test_a_saved_trace_replays_and_its_replay_replays(tmp_path: Path) -> None:
    status, out, _ = run("--json", "--engine", "explicit", SPECS / "race.pg")
    saved = tmp_path / "trace.json"
    saved.write_text(out)
    status, out, _ = run("replay", "--json", SPECS / "race.pg", saved)
    assert status == ExitStatus.OK
    replayed = json.loads(out)
    assert replayed["property"] == "silent-loss"
    again = tmp_path / "again.json"
    again.write_text(out)
    status, out2, _ = run("replay", "--json", SPECS / "race.pg", again)
    assert status == ExitStatus.OK and json.loads(out2) == replayed


def test_a_trace_that_no_longer_fits_is_an_input_error(tmp_path: Path) -> None:
    _, out, _ = run("--json", "--engine", "explicit", SPECS / "race.pg")
    saved = tmp_path / "trace.json"
    saved.write_text(out)
    status, out, err = run("replay", SPECS / "race_fixed.pg", saved)
    assert status == ExitStatus.INPUT_ERROR and not out
    lines = (SPECS / "race.pg").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "write(p0" in text)
    assert f"step 2 (cpu0 write(p0) at line {line}) does not fit" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not a JSON trace"),
        ('{"results": []}', "no trace"),
        ("[1]", "no trace"),
    ],
)
def test_a_file_that_is_no_trace_is_an_input_error(
    tmp_path: Path, content: str, message: str
) -> None:
    saved = tmp_path / "t.json"
    saved.write_text(content)
    status, _, err = run("replay", SPECS / "race.pg", saved)
    assert status == ExitStatus.INPUT_ERROR and message in err


def test_replay_wants_a_trace_or_a_schedule() -> None:
    status, _, err = run("replay", SPECS / "race.pg")
    assert status == ExitStatus.INPUT_ERROR and "--schedule" in err


def test_a_schedule_asks_what_happens_if_the_host_discards_here() -> None:
    spec = load_spec(SPECS / "race.pg")
    run_ = run_schedule(spec, "host:discard(p0), cpu0")
    assert run_.violation is not None and run_.violation.prop == "silent-loss"
    assert run_schedule(spec, "cpu0").violation is None


def test_schedules_split_outside_parentheses() -> None:
    assert split_schedule("cpu0:set_volatile(p0, w=1),host") == [
        "cpu0:set_volatile(p0, w=1)",
        "host",
    ]
    with pytest.raises(DoesNotFit):
        split_schedule("cpu0,,cpu1")


def test_trace_full_goes_to_stdout_only() -> None:
    status, _, err = run("--trace", "full", "-o", "x.svg", SPECS / "race.pg")
    assert status == ExitStatus.INPUT_ERROR and "--trace full" in err


def test_trace_full_shows_every_value_with_all_values() -> None:
    status, out, _ = run(
        "--engine", "explicit", "--trace", "full", "--all-values", SPECS / "race.pg"
    )
    assert status == ExitStatus.OK
    states = out.split("states (every value at each step):\n", 1)[1]
    assert states.count("disk=5") == 3  # the start and both steps


def test_removing_a_locals_only_assignment_takes_its_readers_along() -> None:
    """Deleting `res = set_stable_if_present(p0)` leaves `assert res == ok` reading
    nothing: the change removes both, as a reviewer deleting the fix's lines would,
    and the fix then carries."""
    found = carry(SPECS / "pv_dirty_transfer_make_stable.pg", EXPLICIT, executor=2)
    labels = {c.label: o for c, o in zip(found.changes, found.outcomes, strict=True)}
    key = "remove `res = set_stable_if_present(p0)` and what reads `res`"
    assert labels[key].violation and labels[key].prop == "assertion"
    assert not found.by_construction
