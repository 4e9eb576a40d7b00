"""The language extensions on small specs whose verdicts are derived by hand in their
comments (`# verdict: ...`): whole-page and partial stores and a second kind of store
(`stores/`), frame identities and reallocation (`frames/`), translations and purges
(`tlb/`), store buffers and fences under `memory tso` (`tso/`). Both engines must
give exactly that verdict, length and completeness.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.api import Options, check_file
from checker.load import load_spec
from checker.packed import PackedStep
from checker.replay import run_schedule, schedule_token
from checker.report.states import state_values
from checker.report.steps import describe_event
from checker.step import Layout, define
from checker.symmetry import canonicalizer
from tests.engines.test_symmetry import summary

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SPECS = [
    path
    for kind in ("stores", "frames", "tlb", "tso")
    for path in sorted((HERE / kind / "specs").glob("*.pg"))
]
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
    assert len(SPECS) >= 19


@pytest.mark.parametrize("engine", ["explicit", "z3"])
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_verdict_is_the_derived_one(path: Path, engine: str) -> None:
    r = check_file(path, Options(engine=engine, timeout=120))
    length = r.trace.length if r.trace else None
    assert (str(r.verdict), r.prop, length, r.complete) == derived(path)
    assert r.expectation_met


TWO_CPUS = """\
use "MODELS/kvm.pg"

page p0 : Sr = 1
var  seen = 0

host none
host thread kvm {
  await seen == 1
  remap(p0)
}

thread cpu0 {
  translate(p0)
  seen = 1
  assert not stale(p0)
}

thread cpu1 {
  translate(p0)
  seen = 1
  assert not stale(p0)
}
"""


@pytest.fixture
def two_cpus(tmp_path: Path) -> Path:
    path = tmp_path / "two_cpus.pg"
    path.write_text(TWO_CPUS.replace("MODELS", str(ROOT / "models")))
    return path


def test_translations_live_only_in_specs_that_name_them(two_cpus: Path) -> None:
    plain = load_spec(ROOT / "specs" / "reset_nodat_kept.pg")
    names = [slot.name for slot in Layout.of(plain).slots]
    assert not [n for n in names if ".tlb." in n or n.endswith(".mapping")]
    layout = Layout.of(load_spec(two_cpus))
    assert [slot.name for slot in layout.slots if ".tlb." in slot.name] == [
        "cpu0.tlb.p0",
        "cpu1.tlb.p0",
    ]
    assert layout.threads[0].tlb == ()  # the host holds no guest translation


def test_symmetric_cpus_swap_their_translations(two_cpus: Path) -> None:
    spec = load_spec(two_cpus)
    packed = PackedStep(define(spec), spec.bound + 1)
    canon = canonicalizer(packed)
    assert canon is not None
    layout = packed.definition.layout
    one = list(packed.definition.initial)
    one[layout.threads[1].tlb[0]] = 1
    other = list(packed.definition.initial)
    other[layout.threads[2].tlb[0]] = 1
    assert canon(packed.pack(one)) == canon(packed.pack(other))
    full = summary(two_cpus, symmetry=False)
    reduced = summary(two_cpus, symmetry=True)
    assert reduced[:4] == full[:4]
    assert reduced[4] < full[4]  # type: ignore[operator]
    # one CPU translates and says so, the host's await and move, that CPU's check
    assert full[2] == 5


def test_store_buffer_trace_shows_drains_and_buffers() -> None:
    """The litmus run: drains are steps of their thread, named `cpu0:drain` in a
    schedule, and the full-state trace shows each buffer, oldest store first."""
    spec = load_spec(HERE / "tso" / "specs" / "sb_tso.pg")
    run = run_schedule(spec, "cpu0,cpu0,cpu1,cpu1," + ",".join(["cpu0:drain"] * 2))
    assert [schedule_token(spec, s) for s in run.steps][4:] == ["cpu0:drain"] * 2
    assert describe_event(spec, run.steps[4].events[0]) == "drain x = 1"
    after_stores = state_values(spec, run.steps[3].state)
    assert after_stores["cpu0.buffer"] == "[x:1, r1:0]"
    assert after_stores["x"] == 0
    drained = state_values(spec, run.steps[5].state)
    assert (drained["x"], drained["r1"], drained["cpu0.buffer"]) == (1, 0, "[]")
