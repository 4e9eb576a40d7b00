"""Spans: the text they cover and the excerpts errors show."""

from __future__ import annotations

from checker.source import SourceFile, Span, printable

SOURCE = SourceFile("t.pg", "use m\nnever x ==\r\n  1\nend")


def test_text_of_a_span_on_one_line() -> None:
    assert Span(SOURCE, 1, 5, 1, 6).text() == "m"


def test_text_of_a_span_over_lines_keeps_the_line_breaks() -> None:
    assert Span(SOURCE, 2, 7, 3, 4).text() == "x ==\r\n  1"


def test_text_is_clamped_to_the_file() -> None:
    assert Span(SOURCE, 4, 1, 9, 9).text() == "end"


def test_lines_end_at_newlines_only() -> None:
    source = SourceFile("t.pg", "a\x0cb\r\nc")
    assert source.line(1) == "a\x0cb"
    assert source.line(2) == "c"


def test_excerpt_escapes_control_characters_and_moves_the_caret() -> None:
    source = SourceFile("t.pg", "\x1b[31mpage\x07 p0\n")
    assert Span(source, 1, 12, 1, 14).excerpt() == (
        "\\x1b[31mpage\\x07 p0\n                 ^^"
    )


def test_printable_leaves_ordinary_text_alone() -> None:
    assert printable("Sr -> Vr  # ok ü") == "Sr -> Vr  # ok ü"
    assert printable("a\x00b") == "a\\x00b"
