"""Loading: finding models, parsing each file once, the grammar cache, relative paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker import files, parser
from checker.files import find_model, is_model_file, parse_file
from checker.load import load_spec
from checker.source import SourceFile

from .conftest import HINTING


def test_a_spec_named_from_its_own_folder_finds_models_beside_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cd specs && pagecheck t.pg`: the folder `.` has a parent after all."""
    (project / "specs" / "t.pg").write_text("use hinting\npage p0 : Sr = 1\n")
    monkeypatch.chdir(project / "specs")
    spec = load_spec(Path("t.pg"))
    assert spec.model.name == "hinting"
    assert spec.pages[0].name == "p0"


def test_models_are_found_by_their_model_line_without_parsing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "models" / "other-file.pg").write_text(
        "# a comment\n\n  model renamed  # here\n" + HINTING.split("\n", 1)[1]
    )

    def no_parsing(source: SourceFile) -> None:
        raise AssertionError(f"parsed {source.name}")

    monkeypatch.setattr(files, "parse", no_parsing)
    found = find_model("renamed", project / "specs", [])
    assert found == project / "models" / "other-file.pg"
    assert is_model_file(found)
    assert not is_model_file(project / "specs" / "missing.pg")


def test_a_spec_is_not_a_model_file(project: Path) -> None:
    path = project / "specs" / "t.pg"
    path.write_text("use hinting  # model hinting\nvar model_x = 1\n")
    assert not is_model_file(path)


def test_each_text_is_parsed_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = files.parse

    def counting(source: SourceFile) -> object:
        calls.append(source.name)
        return real(source)

    monkeypatch.setattr(files, "parse", counting)
    files._parsed.cache_clear()
    path = project / "specs" / "t.pg"
    path.write_text("use hinting\nvar x = 1\n")
    for _ in range(3):
        load_spec(path)
    assert len(calls) == 2, calls  # the spec and its model
    path.write_text("use hinting\nvar x = 2\n")  # rewritten: parsed anew
    assert load_spec(path).vars[0].value == 2


@pytest.fixture
def fresh_parsers() -> Iterator[None]:
    """Build the parsers anew in the test, and once more after it."""
    parser._pg_parser.cache_clear()
    parser._dot_parser.cache_clear()
    yield
    parser._pg_parser.cache_clear()
    parser._dot_parser.cache_clear()


def test_the_grammar_cache_is_written_and_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_parsers: None
) -> None:
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(tmp_path / "cache"))
    parser.parse(SourceFile("t.pg", "var x = 1\n"))
    (cached,) = (tmp_path / "cache").glob("grammar-*.cache")
    parser._pg_parser.cache_clear()
    before = cached.stat().st_mtime_ns
    assert parser.parse(SourceFile("t.pg", "var x = 1\n")).items
    assert cached.stat().st_mtime_ns == before  # read, not written again


@pytest.mark.parametrize("setting", ["", "unwritable"])
def test_parsing_works_without_a_writable_cache(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    fresh_parsers: None,
    setting: str,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    folder = str(blocker / "cache") if setting else ""  # a folder inside a file
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", folder)
    assert parser.parse(SourceFile("t.pg", "var x = 1\n")).items
    assert parser.parse_dot(SourceFile("g.dot", "digraph { a -> b }\n"))
    assert capfd.readouterr() == ("", "")
    assert not os.path.isdir(blocker)


def test_parse_file_reports_the_display_name(project: Path) -> None:
    path = project / "models" / "hinting.pg"
    source, tree = parse_file(path, "shown.pg")
    assert source.name == "shown.pg"
    assert tree.items[0].span.file == "shown.pg"
