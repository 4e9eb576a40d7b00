"""`pagecheck equiv`: weak trace equivalence of two states, host actions internal.

Every expected answer below is derived by hand from the model `M` (comments say how).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.equiv import GuestStep, compare, parse_config
from checker.errors import SourceError

from .conftest import model
from .test_tools import run

M = """model m
guest S, V
host r, p, z lost
flag dirty
call set_stable, set_volatile
access read
access write sets dirty
action swap, discard
Sr, Vr -> same on read, write
Sr, Vr -> Sr on set_stable
Sr -> Vr on set_volatile
Sp -> Sr on read, write
Sp -> same on set_stable
Sp -> Vz on set_volatile
Sz -> Sr on read, write
Sz -> same on set_stable
Vz -> same on read, write => fault
Vz -> same on set_stable => fail
Sr -> Sp on swap
Vr -> Vz on discard
"""

#: M without set_volatile.
STABLE = "\n".join(
    ln.replace(", set_volatile", "")
    for ln in M.splitlines()
    if not ln.endswith("on set_volatile")
)


def answer(
    first: str, second: str, text: str = M
) -> tuple[str, str, list[str], tuple[str, ...]]:
    c = compare(model(text), first, second)
    return c.first, c.second, [str(s) for s in c.trace], c.other


def test_swapped_and_resident_stable_pages_are_equivalent_without_volatility() -> None:
    # Without set_volatile both answer every call ok, every read with the content
    # and never fault: the same traces.
    c = compare(model(STABLE), "Sr", "Sp")
    assert c.equivalent
    assert (c.trace, c.other) == ((), ())


def test_a_preserved_page_made_volatile_is_discarded_at_once() -> None:
    # Sr -> Vr keeps the content for a while, Sp -> Vz drops it: after set_volatile,
    # set_stable can still succeed from Sr only (from Vz it fails).
    assert answer("Sr", "Sp") == (
        "Sr",
        "Sp",
        ["set_volatile → ok", "set_stable → ok"],
        ("fail",),
    )


def test_the_state_that_can_show_the_trace_comes_first() -> None:
    # From Vr the host may discard first (then set_stable fails) or not (ok); Vz
    # only fails. The first operation in model order that differs is set_stable.
    assert answer("Vz", "Vr") == ("Vr", "Vz", ["set_stable → ok"], ("fail",))


def test_a_volatile_page_can_fail_where_a_stable_one_cannot() -> None:
    assert answer("Sr", "Vr") == ("Vr", "Sr", ["set_stable → fail"], ("ok",))


def test_lost_content_reads_as_zero() -> None:
    # Sz starts without content: its first read gives 0, Sr's the content.
    assert answer("Sz", "Sr", STABLE) == ("Sr", "Sz", ["read → content"], ("0",))


def test_an_operation_undefined_on_one_side_distinguishes() -> None:
    # set_volatile has no transition from Sz; from Sr it is ok (and comes before read).
    assert answer("Sz", "Sr") == ("Sr", "Sz", ["set_volatile → ok"], ("undefined",))


def test_an_undefined_operation_is_seen() -> None:
    # No transition leaves Vp: set_stable there is undefined, on Sp it is ok.
    assert answer("Vp", "Sp") == ("Sp", "Vp", ["set_stable → ok"], ("undefined",))


def test_a_guest_without_an_operation() -> None:
    # Without set_volatile, M's Sr and Sp are STABLE's; without set_stable the
    # difference after set_volatile shows in the read (content from Vr, fault from Vz).
    assert compare(model(M), "Sr", "Sp", frozenset({"set_volatile"})).equivalent
    assert answer_without("Sr", "Sp", "set_stable") == (
        "Sr",
        "Sp",
        ["set_volatile → ok", "read → content"],
        ("fault",),
    )
    with pytest.raises(SourceError, match="no guest operation 'swap'"):
        compare(model(M), "Sr", "Sp", frozenset({"swap"}))


def answer_without(
    first: str, second: str, op: str
) -> tuple[str, str, list[str], tuple[str, ...]]:
    c = compare(model(M), first, second, frozenset({op}))
    return c.first, c.second, [str(s) for s in c.trace], c.other


def test_a_state_is_equivalent_to_itself() -> None:
    assert compare(model(M), "Vr", "V.r").equivalent


def test_flags_start_set_after_a_plus() -> None:
    m = model(M)
    assert parse_config(m, "Sr+dirty").flags == 1
    assert parse_config(m, "Sz").valid is False
    assert parse_config(m, "Sp").valid is True


@pytest.mark.parametrize(
    ("text", "message"),
    [("Xr", "model m has no state 'Xr'"), ("Sr+young", "model m has no flag 'young'")],
)
def test_unknown_states_and_flags_are_input_errors(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_config(model(M), text)


def test_guest_step_words() -> None:
    assert str(GuestStep("set_volatile", (("w", 1),), "ok")) == "set_volatile(w=1) → ok"


@pytest.fixture
def m_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "m.pg"
    path.write_text(M)
    return path


def test_command_prints_the_distinguishing_sequence(m_file: Path) -> None:
    status, out, err = run("equiv", "m", "Sr", "Sp")
    assert (status, err) == (1, "")
    assert out == (
        "m: Sr and Sp differ to the guest (weak trace equivalence, host actions"
        " internal): from Sr the guest can see\n"
        "  1. set_volatile → ok\n"
        "  2. set_stable → ok\n"
        "and from Sp, after the same steps before it, set_stable can only give: fail\n"
    )


def test_command_exits_0_on_equivalent_states(m_file: Path) -> None:
    status, out, _ = run("equiv", "models/m.pg", "Sr", "S.r")
    assert status == 0
    assert out.startswith("m: Sr and S.r are equivalent to the guest")
    status, out, _ = run("equiv", "m", "Sr", "Sp", "--without", "set_volatile")
    assert status == 0
    assert out.startswith(
        "m: Sr and Sp (a guest without set_volatile) are equivalent to the guest"
    )


def test_command_reports_a_bad_state(m_file: Path) -> None:
    status, out, err = run("equiv", "m", "Sr", "Qq")
    assert (status, out) == (2, "")
    assert "error: model m has no state 'Qq'" in err
    assert "Traceback" not in err
