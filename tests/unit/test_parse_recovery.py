"""After a syntax error parsing resumes at the next declaration; misspelt keywords get
a suggestion."""

from __future__ import annotations

import pytest

from checker.errors import SourceError
from checker.parser import MAX_SYNTAX_ERRORS, parse
from checker.source import SourceFile


def errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(SourceError) as info:
        parse(SourceFile("t.pg", text))
    out = []
    for d in info.value.diagnostics:
        assert d.span is not None
        out.append((d.span.line, d.message))
    return out


def test_one_error_a_declaration() -> None:
    found = errors("var x\nvar y = 1\nbound\npage p : Sr\n")
    assert [line for line, _ in found] == [1, 3]


def test_an_error_in_a_thread_skips_the_rest_of_the_thread() -> None:
    text = "thread t {\n  x = = 1\n  y = = 2\n}\nvar z\n"
    assert [line for line, _ in errors(text)] == [2, 5]


def test_an_unclosed_block_ends_the_search() -> None:
    assert len(errors("thread t {\n  x = = 1\nvar y\nvar z\n")) == 1


def test_the_number_of_errors_is_capped() -> None:
    assert len(errors("var x\n" * 50)) == MAX_SYNTAX_ERRORS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "thraed t {\n}\n",
            "`thraed` does not start a declaration (did you mean `thread`?)",
        ),
        ("uses hinting\n", "`uses` does not start a declaration (did you mean `use`?)"),
        (
            "pagee p0 : Sr\n",
            "`pagee` does not start a declaration (did you mean `page`?)",
        ),
        (
            "thread t { awiat x == 1 }\n",
            "`awiat` does not start a statement (did you mean `await`?)",
        ),
        (
            "thread t {\n  x = 1; asert x == 1\n}\n",
            "`asert` does not start a statement (did you mean `assert`?)",
        ),
    ],
)
def test_a_misspelt_first_word_gets_the_keyword(text: str, message: str) -> None:
    assert errors(text)[0][1] == message


def test_a_misspelt_keyword_where_keywords_are_expected() -> None:
    ((_, message),) = errors("expect violaton\n")
    assert message.endswith("found `violaton` (did you mean `violation`?)")


def test_names_far_from_keywords_get_no_suggestion() -> None:
    ((_, message),) = errors("Sr Vr -> Sr on read\n")
    assert "did you mean" not in message
