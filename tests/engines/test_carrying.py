"""The lines that carry the fixed specs' proofs: each edit below undoes one fix (a
deleted fix statement or guard, a split `atomic`, an order reversed, a model line
swapped for the buggy kernel's) and the spec must then violate, as its header says.
A fix that can be deleted without a violation proves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.api import Options, check_file

ROOT = Path(__file__).resolve().parents[2]

#: (spec, what is undone, [(old text, new text)], the violated property)
UNDONE: list[tuple[str, str, list[tuple[str, str]], str]] = [
    (
        "discard_fault_reuse_deferred.pg",
        "get_page_unless_zero",
        [
            ("      if got {\n        ref = ref + 1\n      }\n    }\n", "    }\n"),
            ("    if got {                       # FIX\n", "    if true {\n"),
        ],
        "assertion",
    ),
    (
        "discard_fault_reuse_deferred.pg",
        "the deferred free",
        [
            ("pending = pending + 1  # FIX", "set_unused(p0)\n freed = freed + 1  #"),
            ("pending = pending + 1    # FIX", "set_unused(p0)\n freed = freed + 1  #"),
            (
                "pending = pending + 1      # FIX",
                "set_unused(p0)\n freed = freed + 1  #",
            ),
        ],
        "assertion",
    ),
    (
        "discard_fault_reuse_deferred.pg",
        "the sign-off wait",
        [("await pending > 0 and off0 == 0", "await pending > 0")],
        "assertion",
    ),
    (
        "volatile_dma_ref_check_counts.pg",
        "check_counts",
        [("if pgdirty == 0 and refs == 0 {", "if pgdirty == 0 {")],
        "assertion",
    ),
    (
        "volatile_dma_ref_check_counts.pg",
        "make_stable's spin on the state-change bit",
        [("  await sc == 0 ", "  # ")],
        "assertion",
    ),
    (
        "cve_2026_72412_fixed.pg",
        "the fixed model (remap clears the mark)",
        [("use kvm_7_0_fixed", "use kvm_7_0")],
        "silent-loss",
    ),
    (
        "cve_2026_72412_fixed.pg",
        "the protection change as one step",
        [
            ("    atomic {\n      unmap(p0)", "    unmap(p0)"),
            ("    }\n  }\n}", "  }\n}"),
        ],
        "silent-loss",
    ),
    (
        "cbrl_zap_swap_only.pg",
        "the zap's swap-pte check",
        [("use kvm_cbrl\n", "use kvm_cbrl_nocheck\n")],
        "silent-loss",
    ),
    (
        "cmma_migration_bits.pg",
        "the writer's dirty bit",
        [("  bit = 1                          # FIX", "  # ")],
        "silent-loss",
    ),
    (
        "cmma_migration_start.pg",
        "the sync request before START returns",
        [
            (
                "  emul = 1                         # FIX: the sync request",
                "  # ",
            )
        ],
        "silent-loss",
    ),
    (
        "reset_nodat_cleared.pg",
        "the reset that clears no-DAT",
        [("  reset(p0) ", "  reset_usage(p0) ")],
        "assertion",
    ),
    (
        "migration_mode_stopped.pg",
        "stopping migration mode",
        [("    mode = 0 ", "    # ")],
        "assertion",
    ),
    (
        "pv_dirty_transfer_make_stable.pg",
        "page_make_stable between the dirty test and the clear",
        [
            ("    res = set_stable_if_present(p0)", "    res = ok  #"),
            ("    assert res", "    # "),
        ],
        "assertion",
    ),
    (
        "stable_if_present_atomic.pg",
        "the check-and-set ESSA 6 (plain ESSA 1 instead)",
        [("res = set_stable_if_present(p0)", "res = set_stable(p0)")],
        "silent-loss",
    ),
    (
        "set_stable_volatile_esa6.pg",
        "ESSA 6 (plain ESSA 1 instead)",
        [("res = set_stable_if_present(p0)", "res = set_stable(p0)")],
        "silent-loss",
    ),
    (
        "unused_dma_ref_refcount.pg",
        "the last-reference test before ESSA 2",
        [("  if last {", "  if true {")],
        "silent-loss",
    ),
    (
        "volatile_overtaken_state_change.pg",
        "make_stable's spin on the state-change bit",
        [("  await sc == 0 ", "  # ")],
        "assertion",
    ),
    (
        "host_pv_reclaim_atomic.pg",
        "the host's test and invalidation as one step",
        [
            ("  atomic {                         # invalidate", "  # "),
            ("      drop(p0)\n    }\n  }\n}", "      drop(p0)\n    }\n}"),
        ],
        "assertion",
    ),
    (
        "minor_fault_discard_checked.pg",
        "the PageDiscarded test under the pte lock",
        [("      if disc == 0 {               # FIX", "      if true {  #")],
        "assertion",
    ),
    (
        "minor_fault_discard_checked.pg",
        "the pte lock around the test and the install",
        [
            ("    atomic {                       # the pte lock", "    if true {  #"),
        ],
        "assertion",
    ),
    (
        "minor_fault_discard_livelock_checked.pg",
        "the PageDiscarded test under the pte lock",
        [("      if disc == 0 {               # FIX", "      if true {  #")],
        "terminates",
    ),
    (
        "madv_free_gup_fast_fixed.pg",
        "reclaim's smp_mb() after clearing the pte",
        [("  fence                            # smp_mb()\n", "")],
        "never",
    ),
    (
        "madv_free_gup_fast_fixed.pg",
        "GUP-fast's fully ordered refcount increment",
        [("  fence                            # a fully ordered atomic", "  #")],
        "never",
    ),
    (
        "make_stable_waiter_fixed.pg",
        "page_clear_state_change on every path",
        [("    sc = 0                         # page_clear_state_change", "  #")],
        "eventually",
    ),
]


@pytest.mark.parametrize(
    ("name", "undone", "edits", "prop"),
    UNDONE,
    ids=[f"{name}: {undone}" for name, undone, _, _ in UNDONE],
)
def test_undoing_a_fix_brings_the_violation_back(
    name: str,
    undone: str,
    edits: list[tuple[str, str]],
    prop: str,
    tmp_path: Path,
) -> None:
    original = (ROOT / "specs" / name).read_text(encoding="utf-8")
    assert "expect safe" in original
    text = original
    for old, new in edits:
        assert old in text, f"{name}: {old!r} not found"
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = check_file(
        path, Options(engine="explicit", models_dirs=(ROOT / "models",))
    )
    assert (str(result.verdict), result.prop) == ("violation", prop)
