"""Shared fixtures: the reference model of the language reference, and helpers that
check spec or model text from a temporary folder laid out like the repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from checker import ir
from checker.check_model import check_model_tree
from checker.errors import SourceError
from checker.load import check_parsed_spec
from checker.parser import parse
from checker.source import SourceFile

HINTING = """\
model hinting
guest U unused, S, V, P
host  r, p, z lost
flag  dirty
call   set_stable, set_unused, set_volatile(w), set_stable_if_present
access read
access write sets dirty
action swap, discard
Ur, Sr, Vr, Pr -> same on read, write
Ur, Vr, Pr -> Sr on set_stable
Vr, Pr -> Sr on set_stable_if_present
Ur, Sr, Pr -> Vr on set_volatile(w=0)
Ur, Sr, Vr -> Pr on set_volatile(w=1)
Sr, Vr, Pr -> Ur on set_unused
Uz, Vz -> Sz on set_stable
Uz, Sz -> Vz on set_volatile
Sz, Vz -> Uz on set_unused
Vz -> same on set_stable_if_present => fail
Sp -> Uz on set_unused
Sp -> Vz on set_volatile
Sz -> Sr on read, write
Sp -> Sr on read, write
Uz -> Ur on read, write
Vz -> same on read, write => fault
Sr -> Sp on swap
Ur -> Uz on discard
Vr -> Vz on discard
Pr -> Sp on discard if dirty
Pr -> Vz on discard if not dirty
"""

CheckSpec = Callable[[str], ir.Spec]
SpecErrors = Callable[[str], list[str]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with `models/hinting.pg` and an empty `specs/`."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "hinting.pg").write_text(HINTING)
    (tmp_path / "specs").mkdir()
    return tmp_path


@pytest.fixture
def spec(project: Path) -> CheckSpec:
    """Check spec text as if it were `specs/t.pg`."""

    def run(text: str) -> ir.Spec:
        path = project / "specs" / "t.pg"
        path.write_text(text)
        source = SourceFile("specs/t.pg", text, path)
        return check_parsed_spec(parse(source), source)

    return run


@pytest.fixture
def spec_errors(spec: CheckSpec) -> SpecErrors:
    """The messages of every error in spec text (which must have some)."""

    def run(text: str) -> list[str]:
        with pytest.raises(SourceError) as info:
            spec(text)
        return [d.message for d in info.value.diagnostics]

    return run


def model(text: str, name: str = "m.pg") -> ir.Model:
    source = SourceFile(name, text)
    return check_model_tree(parse(source), source)


def model_errors(text: str) -> list[str]:
    with pytest.raises(SourceError) as info:
        model(text)
    return [d.message for d in info.value.diagnostics]
