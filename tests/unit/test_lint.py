"""`pagecheck lint`: undefined (state, op) pairs, unreachable states,
nondeterministic matches and unused operations."""

from __future__ import annotations

from checker.lint import LintFinding, lint_model

from .conftest import HINTING, model

BASE = "model m\nguest S, V\nhost r, z lost\nflag dirty\n"


def messages(text: str, kind: str | None = None) -> list[str]:
    return [f.message for f in lint_model(model(text)) if kind in (None, f.kind)]


def test_complete_model_is_clean() -> None:
    text = (
        "model m\nguest S\nhost r, z lost\naccess read\naction discard\n"
        "Sr -> same on read\nSr -> Sz on discard\nSz -> Sr on read\n"
    )
    assert lint_model(model(text)) == []


def test_undefined_for_some_flag_values() -> None:
    text = BASE + (
        "access read, write\n"
        "Sr, Vr, Sz -> same on read, write\nVz -> Vr on read\n"
        "Vz -> Vr on write if dirty\nSr -> Vr on read\n"  # Sr -> Vr enters Vr
        "Vr -> Vz on read if false\nVr -> Sz on write if false\n"
    )
    assert messages(text, "undefined") == ["write on Vz is undefined when not dirty"]


def test_undefined_for_some_parameter_values() -> None:
    text = (
        "model m\nguest S, V\nhost r\ncall mark(w)\n"
        "Sr -> Vr on mark(w=0)\nVr -> Sr on mark\n"
    )
    assert messages(text, "undefined") == ["mark(w=1) on Sr is undefined"]


def test_undefined_conditions_are_simplified() -> None:
    text = (
        "model m\nguest S\nhost r\nflag a, b\ncall c(w, x)\n"
        "Sr -> same on c(w=0) if a\nSr -> same on"
        " c(w=1, x=1)\nSr -> same on c(w=1, x=0) if b\n"
    )
    assert messages(text, "undefined") == [
        "c(w=0) on Sr is undefined when not a",
        "c(w=1, x=0) on Sr is undefined when not b",
    ]


def test_every_op_undefined_is_one_finding() -> None:
    text = (
        BASE + "access read, write\nSr -> Vr on read, write\nVr -> Sr on read, write\n"
    )
    undefined = messages(text, "undefined")
    assert undefined == [
        "every guest operation is undefined on Sz (read, write)",
        "every guest operation is undefined on Vz (read, write)",
    ]


def test_unreachable_states() -> None:
    text = (
        BASE + "access read\nSr -> same on read\nSr ->"
        " Vz on read if dirty\nVz -> Sr on read\n"
    )
    assert messages(text, "unreachable") == [
        "state Sz is unreachable unless a page starts there: no transition enters it",
        "state Vr is unreachable unless a page starts there: no transition enters it",
    ]


def test_self_loops_do_not_make_a_state_reachable() -> None:
    text = (
        "model m\nguest S\nhost r, z\naccess read\n"
        "Sr -> same on read\nSz -> Sz on read\nSz -> Sr on read\n"
    )
    assert messages(text, "unreachable") == [
        "state Sz is unreachable unless a page starts there: no transition enters it"
    ]


def test_nondeterministic_matches() -> None:
    text = BASE + (
        "access read\naction discard\n"
        "Sr, Vr -> same on read\n"
        "Vr -> Vz on read if dirty\n"  # overlaps the first on Vr when dirty
        "Vr -> Vz on discard if dirty\nVr -> Sz on discard if not dirty\n"  # disjoint
    )
    assert messages(text, "nondeterministic") == [
        "nondeterministic: read on Vr matches both"
        " this transition and the one at line 7"
        " when dirty"
    ]


def test_nondeterminism_respects_parameters() -> None:
    text = (
        "model m\nguest S, V\nhost r\ncall mark(w)\n"
        "Sr -> Vr on mark(w=0)\nSr -> Sr on mark(w=1)\nSr -> Vr on mark\n"
    )
    assert messages(text, "nondeterministic") == [
        "nondeterministic: mark(w=0) on Sr matches"
        " both this transition and the one at line 5",
        "nondeterministic: mark(w=1) on Sr matches"
        " both this transition and the one at line 6",
    ]


def test_same_op_twice_in_one_transition() -> None:
    text = "model m\nguest S\nhost r\naccess read\nSr -> same on read, read\n"
    assert messages(text, "nondeterministic") == [
        "nondeterministic: read on Sr matches this transition twice"
    ]


def test_unused_operations() -> None:
    text = BASE + "access read\ncall spare\naction swap\nSr -> Vr on read\n"
    assert messages(text, "unused-op") == [
        "call 'spare' is declared but no transition"
        " uses it (every spare by a guest is undefined)",
        "host action 'swap' is declared but no transition"
        " uses it (the host can never perform it)",
    ]
    # an unused op is not reported again state by state
    assert not any("spare" in m for m in messages(text, "undefined"))


def test_spans_and_rendering() -> None:
    m = model(BASE + "access read\naction swap\nSr -> Vr on read\n", name="models/x.pg")
    findings = lint_model(m)
    swap = next(f for f in findings if f.kind == "unused-op")
    assert swap.render() == (
        "models/x.pg:6:8: warning: host action 'swap'"
        " is declared but no transition uses it"
        " (the host can never perform it)"
    )
    unreachable = next(f for f in findings if f.kind == "unreachable")
    assert unreachable.span is not None
    assert (unreachable.span.line, unreachable.span.col) == (2, 7)  # the guest state S
    undefined = next(f for f in findings if f.kind == "undefined")
    assert undefined.span is not None and undefined.span.line in (2, 5)
    assert LintFinding("undefined", "x", None).render("m.pg") == "m.pg: warning: x"


def test_reference_model_findings() -> None:
    findings = lint_model(model(HINTING))
    kinds = {f.kind for f in findings}
    assert kinds == {"undefined", "unreachable"}
    unreachable = sorted(
        f.message.split()[1] for f in findings if f.kind == "unreachable"
    )
    assert unreachable == ["Pp", "Pz", "Up", "Vp"]
    undefined = [f.message for f in findings if f.kind == "undefined"]
    assert "set_volatile(w=1) on Pr is undefined" in undefined
    assert "set_volatile(w=0) on Vr is undefined" in undefined
    assert "set_stable on Sr is undefined" in undefined
    assert lint_model(model(HINTING)) == findings  # deterministic
