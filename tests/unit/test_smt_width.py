"""The Z3 encoding's integer width: wide enough for every value a bounded run reaches.

`checker.smt.int_width(spec, steps)` claims a signed bit-vector width in which no
integer of a run of `steps` steps overflows, so that the encoding's arithmetic is
exact. Here the claim is checked against the concrete semantics: a breadth-first walk
of every run of up to `steps` steps finds the largest magnitude of any shared variable,
integer local and page data, and that value must fit the width. The specs grow their
integers on purpose: counted loops of `x = x + 1` and `x = x + y`, doubling, negation,
and values passed through a page by `write` and `read`.

Only stored values are checked here. A condition's intermediate sums are computed in
the same width, and the width does not cover them: see the known disagreement
`a-condition-overflows-the-integer-width` in `tests/differential/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from checker import ir
from checker.load import check_parsed_spec
from checker.parser import parse
from checker.semantics import GlobalState, Semantics
from checker.smt import int_width
from checker.source import SourceFile

from .conftest import HINTING

Load = Callable[[str], ir.Spec]


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> Load:
    """Check spec text as `specs/w.pg` next to `models/hinting.pg` (module-scoped, so
    that Hypothesis may call it for every example)."""
    root = tmp_path_factory.mktemp("width")
    (root / "models").mkdir()
    (root / "models" / "hinting.pg").write_text(HINTING)
    (root / "specs").mkdir()

    def run(text: str) -> ir.Spec:
        path: Path = root / "specs" / "w.pg"
        path.write_text(text)
        source = SourceFile("specs/w.pg", text, path)
        return check_parsed_spec(parse(source), source)

    return run


def integers(spec: ir.Spec, state: GlobalState) -> Iterator[int]:
    """Every integer a state holds: page data, shared variables, integer locals."""
    yield from (page.data for page in state.pages)
    yield from state.vars
    for thread, values in zip(spec.threads, state.threads, strict=True):
        for (_, kind), value in zip(thread.locals, values.locals, strict=True):
            if kind == "int":
                assert isinstance(value, int)
                yield value


def reachable_magnitude(spec: ir.Spec, steps: int) -> int:
    """The largest |value| of any integer in a state reachable in at most `steps`."""
    sem = Semantics(spec)
    frontier = {sem.initial()}
    seen = set(frontier)
    for _ in range(steps):
        frontier = {
            succ.state
            for state in frontier
            for succ in sem.successors(state)
            if succ.state not in seen
        }
        seen |= frontier
    return max(abs(v) for state in seen for v in integers(spec, state))


def assert_fits(spec: ir.Spec, steps: int) -> None:
    width = int_width(spec, steps)
    top = reachable_magnitude(spec, steps)
    # a signed width holds -2**(width-1) .. 2**(width-1) - 1
    assert top <= 2 ** (width - 1) - 1, f"width {width}, largest magnitude {top}"


HEAD = "use hinting\npage p0 : Sr = {data}\nvar x = {x}\nvar y = {y}\nhost none\n"

FIXED = {
    "increment": ("i = 0; while i < 9 { x = x + 1; i = i + 1 }", 30),
    "add-a-var": ("i = 0; while i < 9 { x = x + y; i = i + 1 }", 30),
    "doubling": ("while true { x = x + x }", 12),
    "fibonacci": ("while true { x = x + y; y = x + y }", 12),
    "negative": ("while true { x = x - y - 3 }", 10),
    "negation": ("while true { x = -x - x }", 10),
    "atomic-doubling": ("while true { atomic { x = x + x; x = x + x; x = x + x } }", 6),
    "through-the-page": (
        "while true { write(p0, x + x); r = read(p0); x = r + y }",
        12,
    ),
}


@pytest.mark.parametrize(("body", "steps"), FIXED.values(), ids=FIXED)
def test_fixed_growth_fits(load: Load, body: str, steps: int) -> None:
    spec = load(HEAD.format(data=3, x=1, y=-2) + f"thread t {{ {body} }}\n")
    assert_fits(spec, steps)


def test_two_threads_feeding_each_other_fit(load: Load) -> None:
    spec = load(
        HEAD.format(data=-3, x=2, y=3)
        + "thread a { while true { x = x + y } }\n"
        + "thread b { while true { y = y + x + 1 } }\n"
    )
    assert_fits(spec, 10)


# Statements that make integers grow (or shrink below zero); `{k}` is a small constant.
GROWTH = [
    "x = x + 1",
    "x = x + y",
    "y = x + x",
    "x = x - y - {k}",
    "y = -x",
    "x = {k} - y",
    "t = t + x",
    "x = t + {k}",
    "write(p0, x + y)",
    "r = read(p0)",
    "y = r + r",
]


@st.composite
def growth(draw: st.DrawFn) -> tuple[str, int]:
    """A spec of 1-2 threads whose loops or atomic blocks grow integers, and a bound."""
    threads = []
    for k in range(draw(st.integers(1, 2))):
        body = [
            draw(st.sampled_from(GROWTH)).format(k=draw(st.integers(-3, 3)))
            for _ in range(draw(st.integers(1, 3)))
        ]
        shape = draw(st.sampled_from(["loop", "counted", "atomic", "straight"]))
        code = "; ".join(body)
        if shape == "loop":
            code = f"while true {{ {code} }}"
        elif shape == "counted":
            code = f"i = 0; while i < {draw(st.integers(1, 3))} {{ {code}; i = i + 1 }}"
        elif shape == "atomic":
            code = f"while true {{ atomic {{ {code} }} }}"
        inits = [f"{n} = 0" for n in ("t", "r") if n in code and f"{n} = " not in code]
        threads.append(f"thread t{k} {{ {'; '.join([*inits, code])} }}")
    head = HEAD.format(
        data=draw(st.integers(-3, 3)),
        x=draw(st.integers(-3, 3)),
        y=draw(st.integers(-3, 3)),
    )
    return head + "\n".join(threads) + "\n", draw(st.integers(1, 8))


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=growth())
def test_generated_growth_fits(load: Load, case: tuple[str, int]) -> None:
    text, steps = case
    note(text + f"(steps {steps})")
    assert_fits(load(text), steps)
