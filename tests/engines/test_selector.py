"""The BMC template's move selector never takes a value that matches no move.

A selector wider than the moves need would otherwise allow an idle step (every slot
kept, the violation recomputed), which adds runs no spec has. Move counts that are a
power of two are the edge: the selector's width then holds exactly the moves (plus the
stutter move of the unrolling that may stutter).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import z3

from checker.load import load_spec
from checker.smt import Unrolling
from checker.step import define

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.mark.parametrize(
    ("name", "moves"),
    [("seed_vz_read", 32), ("free_page_reporting_isolated", 31), ("race", 45)],
)
@pytest.mark.parametrize("stutter", [False, True])
def test_every_selector_value_is_a_move(name: str, moves: int, stutter: bool) -> None:
    definition = define(load_spec(SPECS / f"{name}.pg"))
    assert len(definition.moves) == moves
    u = Unrolling(definition, 4, initial=definition.initial, allow_stutter=stutter)
    u.extend()
    choices = moves + (1 if stutter else 0)
    for sel in u.selectors:
        wide = z3.ZeroExt(8, sel)
        assert u.check(z3.UGE(wide, choices), timeout_ms=60_000) == z3.unsat
