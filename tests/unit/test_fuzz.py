"""Fuzzing the front end: whatever the input, parse and check raise `SourceError` or
succeed; nothing else escapes, and no message shows the parser's internals.

Inputs: random text and bytes, mutated copies of the repository's `.pg` files, and
sentences of `grammar.lark` (`hypothesis.extra.lark.from_lark`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from checker.check_model import check_model_tree
from checker.errors import SourceError
from checker.load import check_parsed_spec, load
from checker.parser import _pg_parser, parse
from checker.source import SourceFile

from .conftest import HINTING

ROOT = Path(__file__).resolve().parents[2]
SPEC = """\
use hinting
page p0 : Sr = 7
page p1 : V.r dirty
var freed = 0
host may discard(*), swap(p0)
thread cpu0 {
  set_unused(p0); freed = 1
  r = read(p1) on fault {
    set_stable(p1)
    write(p1, 5)
  }
  if state(p1) in {Vz, Uz} and not dirty(p1) {
    set_volatile(p1, w=1)
  } else {
    atomic {
      await freed == 1
      ok_ = set_stable_if_present(p1)
    }
  }
  while freed < 3 { freed = freed + 1 }
}
host thread h {
  discard(p1)
}
never freed == 2 and state(p0) == U.z
check deadlock
ignore silent-loss
bound 20
expect violation assertion
"""
SEEDS = sorted(
    {HINTING, SPEC}
    | {
        p.read_text(encoding="utf-8", errors="replace")
        for folder in ("models", "specs", "tests/golden/errors")
        for p in (ROOT / folder).glob("*.pg")
    }
)
WORDS = """
model use page var thread host may none never check ignore bound expect guest flag call
access action unused lost sets clears on if else same fault fail set clear not and or
assert await while atomic true false ok in state safe violation p0 p1 Sr Vz U.z read
write discard set_volatile w dirty freed r hinting x 0 1 -1 -> => = == != < <= { } ( )
, : ; . * + - "s" # $
"""
VOCABULARY = [*WORDS.split(), "\n", "\x00"]
SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "models").mkdir()
        (root / "models" / "hinting.pg").write_text(HINTING)
        (root / "specs").mkdir()
        yield root


def check_text(text: str, root: Path) -> None:
    """Parse and check `text` as `specs/f.pg`; only a `SourceError` may come out."""
    source = SourceFile("specs/f.pg", text, root / "specs" / "f.pg")
    try:
        tree = parse(source)
        if any(type(i).__name__ == "ModelHeader" for i in tree.items):
            check_model_tree(tree, source)
        else:
            check_parsed_spec(tree, source)
    except SourceError as err:
        assert_readable(err)


def assert_readable(err: SourceError) -> None:
    text = err.render()
    assert err.diagnostics
    for internal in ("Token(", "__ANON", "$END", "_NL", "Traceback"):
        assert internal not in text, text


@SETTINGS
@given(text=st.text(max_size=200))
def test_random_text(folder: Path, text: str) -> None:
    check_text(text, folder)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_random_bytes(folder: Path, data: bytes) -> None:
    path = folder / "specs" / "bytes.pg"
    path.write_bytes(data)
    try:
        load(path, display="bytes.pg")
    except SourceError as err:
        assert_readable(err)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 12)))
        match draw(st.integers(0, 4)):
            case 0:
                text = text[:i] + text[j:]
            case 1:
                text = text[:i] + text[i:j] * 2 + text[j:]
            case 2:
                word = draw(st.sampled_from(VOCABULARY))
                text = f"{text[:i]} {word} {text[i:]}"
            case 3:
                text = text[:i] + draw(st.characters()) + text[i + 1 :]
            case _:
                lines = text.split("\n")
                a = draw(st.integers(0, len(lines) - 1))
                b = draw(st.integers(0, len(lines) - 1))
                lines[a], lines[b] = lines[b], lines[a]
                text = "\n".join(lines)
    return text


@SETTINGS
@given(text=mutated())
def test_mutated_files(folder: Path, text: str) -> None:
    check_text(text, folder)


def grammar_sentences() -> st.SearchStrategy[str]:
    """Sentences of the grammar, with spaces around keywords and plausible names."""
    parser = _pg_parser()
    explicit: dict[str, st.SearchStrategy[str]] = {
        t.name: st.just(f" {t.pattern.value} ")
        for t in parser.terminals
        if t.pattern.type == "str"
    }
    names = "p0 p1 Sr Vz S r z read write set_volatile discard w dirty hinting x t"
    explicit |= {
        "NAME": st.sampled_from(names.split()).map(lambda n: f" {n} "),
        "INT": st.sampled_from([" 0 ", " 1 ", " 7 "]),
        "STRING": st.sampled_from([' "hinting.pg" ', ' "f.pg" ', ' "msg" ']),
        "_NL": st.sampled_from(["\n", ";", "\n  # c\n"]),
        "COMMENT": st.just("# c"),
        "CMP_OP": st.sampled_from([" == ", " < ", " != "]),
        "WHOLE": st.just(" whole "),  # a keyword the layout pass makes of a name
    }
    return from_lark(parser, start="start", explicit=explicit)


@SETTINGS
@given(text=grammar_sentences())
def test_grammar_sentences(folder: Path, text: str) -> None:
    check_text(text, folder)


def test_seeds_found() -> None:
    assert len(SEEDS) > 10
