"""The Promela translation of the benchmark families (benchmarks/promela.py, spin.py).

Spin must accept every translation, find the family's verdict in the mode the
benchmarks use (exhaustive with partial-order reduction for the safe families,
breadth-first for refcount), and, with every reduction of its own switched off
(`spin -o2 -o3`, `-DNOREDUCE`), store exactly as many states as pagecheck's explicit
engine: the same steps, the same state. Skipped without `spin` or `gcc`; pan is built
with `-O0` here, which compiles several times faster than the benchmarks' `-O2`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import ir
from checker.engines.explicit import check_explicit
from checker.load import load_spec

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import promela, spin  # noqa: E402
from benchmarks.families import FAMILIES, example_path_name, spec_text  # noqa: E402

FAMILY_NAMES = sorted(FAMILIES)
SAFE = sorted(f for f in FAMILIES if FAMILIES[f].expect == "safe")
needs_spin = pytest.mark.skipif(
    shutil.which("spin") is None or shutil.which("gcc") is None,
    reason="spin and gcc are needed",
)


@needs_spin
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_spin_accepts_the_translation(tmp_path: Path, family: str) -> None:
    """N = 3 (N = 1, 2 go through `spin -a` in the verdict tests)."""
    (tmp_path / "model.pml").write_text(promela.family_promela(family, 3).text)
    done = subprocess.run(
        ["spin", "-a", "model.pml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "pan.c").exists()


@needs_spin
@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_spin_gets_the_expected_verdict(family: str, n: int) -> None:
    fam = FAMILIES[family]
    run = spin.run_spin(family, n, timeout=60, optimize="-O0")
    assert run.status == fam.expect, run.message
    assert run.complete
    assert run.states
    if fam.expect == "violation":
        assert run.mode == "bfs"
        assert run.property == fam.prop
        # pan's depth of the error is the length of its trail minus one: 2N+9 steps,
        # the length of pagecheck's shortest counterexample
        assert run.length == 2 * n + 8
    else:
        assert run.mode == "dfs"


def _explicit_states(tmp_path: Path, family: str, n: int) -> int:
    """The states of the explicit search without its reductions."""
    path = tmp_path / example_path_name(family, n)
    path.write_text(spec_text(family, n))
    spec = load_spec(path, models_dirs=(ROOT / "models",))
    outcome = check_explicit(
        spec,
        spec.bound,
        deadline=time.monotonic() + 60,
        reduction=False,
        symmetry=False,
        local_steps=False,
    )
    assert outcome.complete and outcome.stats.states is not None
    return outcome.stats.states


def _unreduced_spin_states(tmp_path: Path, family: str, n: int) -> int:
    (tmp_path / "model.pml").write_text(promela.family_promela(family, n).text)
    for cmd in (
        ["spin", "-o2", "-o3", "-a", "model.pml"],
        ["gcc", "-O0", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"],
    ):
        subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True)
    done = subprocess.run(
        ["./pan", "-n", "-E", "-w18"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    out = spin.parse_pan(done.stdout)
    assert out.errors == 0 and out.states is not None, done.stdout
    return out.states


@needs_spin
@pytest.mark.parametrize(
    "n",
    [
        1,
        pytest.param(2, marks=pytest.mark.slow),
        pytest.param(3, marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("family", SAFE)
def test_unreduced_spin_stores_the_explicit_engines_states(
    tmp_path: Path, family: str, n: int
) -> None:
    assert _unreduced_spin_states(tmp_path, family, n) == _explicit_states(
        tmp_path, family, n
    )


def test_assertions_map_back_to_properties() -> None:
    t = promela.family_promela("churn", 1)
    assert t.property_of(" pg_p1_valid") == "silent-loss"
    assert t.property_of("(pg_p1_valid||pg_p1_warned)") == "silent-loss"
    assert t.property_of("model_defines_op") == "undefined"
    assert t.property_of("(l_r==1)") == "assertion"
    assert not t.deadlock


def test_the_translation_follows_the_model() -> None:
    text = promela.family_promela("pagecache", 1).text
    # a discard from a volatile resident page loses the data silently ...
    assert (
        "(pg_c1_st == st_Vr) -> pg_c1_st = st_Vz; pg_c1_valid = false;"
        " pg_c1_warned = false" in text
    )
    # ... and the discard fault tells the guest, whose handler runs next
    assert "(pg_c1_st == st_Vz) -> pg_c1_warned = true; goto L2" in text
    # a failing set_stable_if_present tells the guest too
    assert "(pg_c1_st == st_Vz) -> pg_c1_warned = true; l_res = RES_FAIL" in text
    # a read without a handler stops the thread on a fault
    assert "end_faulted_" in text
    assert text.count("active proctype") == 3  # writer, reader, the chaotic host


def test_parse_pan_reads_the_statistics() -> None:
    text = """pan:1: assertion violated pg_pg_valid (at depth 12)
pan: wrote model.pml.trail
State-vector 68 byte, depth reached 12, errors: 1
    17803 states, stored
    29914 states, matched
    47717 transitions (= stored+matched)
    2.172\tactual memory usage for states
   35.027\ttotal actual memory usage
"""
    out = spin.parse_pan(text)
    assert (out.errors, out.error, out.error_depth) == (
        1,
        "assertion violated pg_pg_valid",
        12,
    )
    assert (out.states, out.transitions, out.depth) == (17803, 47717, 12)
    assert out.memory_states_mb == 2.172 and out.memory_total_mb == 35.027
    assert not out.interrupted and not out.depth_too_small
    assert spin.parse_pan("Interrupted\n  1.2e+07 states, stored").states == 12_000_000


def test_never_is_not_translated(tmp_path: Path) -> None:
    path = tmp_path / "never.pg"
    path.write_text(spec_text("churn", 1).replace("bound", "never 1 == 2\nbound"))
    from checker.load import load_spec

    spec = load_spec(path, models_dirs=(ROOT / "models",))
    assert isinstance(spec, ir.Spec) and spec.nevers
    with pytest.raises(promela.NotTranslatable):
        promela.translate(spec)
