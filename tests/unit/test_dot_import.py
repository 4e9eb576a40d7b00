"""Importing the seed's Graphviz diagram gives exactly the diagram's transitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import ir
from checker.check_model import check_model_tree
from checker.errors import SourceError
from checker.parser import parse
from checker.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
SEED_DOT = ROOT / "models" / "seed.dot"
DECLARATIONS = """\
guest U unused, S, V, P
host  r, p, z lost
flag  dirty
call   set_stable, set_unused, set_volatile(w), set_stable_if_present
access read
access write sets dirty
action swap, discard
"""

# (source, target, op, args, guard), one per edge and op, in the diagram's order.
EXPECTED = [
    # guest state changes on resident pages
    ("Ur", "Sr", "set_stable", (), None),
    ("Ur", "Vr", "set_volatile", (("w", 0),), None),
    ("Ur", "Pr", "set_volatile", (("w", 1),), None),
    ("Sr", "Ur", "set_unused", (), None),
    ("Sr", "Vr", "set_volatile", (("w", 0),), None),
    ("Sr", "Pr", "set_volatile", (("w", 1),), None),
    ("Vr", "Sr", "set_stable", (), None),
    ("Vr", "Sr", "set_stable_if_present", (), None),
    ("Vr", "Ur", "set_unused", (), None),
    ("Vr", "Pr", "set_volatile", (("w", 1),), None),
    ("Pr", "Sr", "set_stable", (), None),
    ("Pr", "Sr", "set_stable_if_present", (), None),
    ("Pr", "Vr", "set_volatile", (("w", 0),), None),
    ("Pr", "Ur", "set_unused", (), None),
    # guest state changes on zero pages
    ("Uz", "Sz", "set_stable", (), None),
    ("Uz", "Vz", "set_volatile", (), None),
    ("Sz", "Vz", "set_volatile", (), None),
    ("Sz", "Uz", "set_unused", (), None),
    ("Vz", "Sz", "set_stable", (), None),
    ("Vz", "Uz", "set_unused", (), None),
    # guest state changes on host-swapped pages
    ("Sp", "Uz", "set_unused", (), None),
    ("Sp", "Vz", "set_volatile", (), None),
    # guest touches pages
    ("Sz", "Sr", "write", (), None),
    ("Sp", "Sr", "read", (), None),
    ("Sp", "Sr", "write", (), None),
    ("Vz", "Vr", "write", (), None),
    # host actions
    ("Sr", "Sp", "swap", (), None),
    ("Ur", "Uz", "discard", (), None),
    ("Vr", "Vz", "discard", (), None),
    ("Pr", "Sp", "discard", (), "dirty"),
    ("Pr", "Vz", "discard", (), "not dirty"),
]


def seed_digraph() -> str:
    """models/seed.dot: the seed mail's digraph, as data."""
    return SEED_DOT.read_text(encoding="utf-8")


def import_model(tmp_path: Path, dot: str, extra: str = "") -> ir.Model:
    (tmp_path / "seed.dot").write_text(dot, encoding="utf-8")
    text = f'model seed from dot "seed.dot"\n{DECLARATIONS}{extra}'
    path = tmp_path / "seed.pg"
    path.write_text(text, encoding="utf-8")
    source = SourceFile("seed.pg", text, path)
    return check_model_tree(parse(source), source)


Row = tuple[str, str, str, tuple[tuple[str, int], ...], str | None]


def describe(m: ir.Model, count: int | None = None) -> list[Row]:
    out = []
    for t in m.transitions[:count]:
        (source,) = t.sources
        target = source if t.target is None else t.target
        guard = None if t.guard is None else ir.guard_text(t.guard, m.flags)
        out.append((m.state_name(source), m.state_name(target), t.op, t.args, guard))
    return out


def test_seed_diagram(tmp_path: Path) -> None:
    m = import_model(tmp_path, seed_digraph())
    assert describe(m) == EXPECTED
    assert not any(t.fault or t.fail or t.sets or t.clears for t in m.transitions)


def test_edges_keep_their_place_in_the_dot_file(tmp_path: Path) -> None:
    dot = seed_digraph()
    m = import_model(tmp_path, dot)
    first = m.transitions[0]
    assert first.span.file == "seed.dot"
    assert first.span.source.line(first.span.line).startswith(
        'Ur -> Sr [ label="set stable" ]'
    )
    last = m.transitions[-1]
    assert "(clean)" in last.span.source.line(last.span.line)


def test_model_transitions_are_added(tmp_path: Path) -> None:
    m = import_model(
        tmp_path, seed_digraph(), "Ur, Sr, Vr, Pr -> same on read, write\n"
    )
    assert describe(m, len(EXPECTED)) == EXPECTED
    assert len(m.transitions) == len(EXPECTED) + 2
    assert len(m.transitions[-1].sources) == 4
    assert [t.index for t in m.transitions] == list(range(len(m.transitions)))


def test_chains_and_label_spelling(tmp_path: Path) -> None:
    dot = (
        "digraph g {\n  // a comment\n"
        '  Ur -> Sr -> Ur [label="set\\nunused"]\n'
        '  "Vr" -> Vz [label = "host  discard\\n(dirty)", style=dashed];\n'
        "}\n"
    )
    assert describe(import_model(tmp_path, dot)) == [
        ("Ur", "Sr", "set_unused", (), None),
        ("Sr", "Ur", "set_unused", (), None),
        ("Vr", "Vz", "discard", (), "dirty"),
    ]


@pytest.mark.parametrize(
    ("dot", "message"),
    [
        (
            'digraph g {\nUr -> Sr [ label="set dirty" ];\n}\n',
            "unknown label 'set dirty' on edge Ur -> Sr (line 2)",
        ),
        (
            'digraph g {\nUr -> Xr [ label="set stable" ];\n}\n',
            "unknown state 'Xr' on edge Ur -> Xr (line 2)",
        ),
        ("digraph g {\nUr -> Sr;\n}\n", "edge Ur -> Sr (line 2) has no label"),
        ("digraph g {\nUr -> [ label=x ];\n}\n", "DOT syntax error: expected a name"),
    ],
)
def test_bad_diagrams(tmp_path: Path, dot: str, message: str) -> None:
    with pytest.raises(SourceError) as info:
        import_model(tmp_path, dot)
    assert info.value.first.message.startswith(message)
    span = info.value.first.span
    assert span is not None and span.file == "seed.dot" and span.line == 2
