"""Every entry of `parser._PARSE_ERRORS` produces its message, wherever it happens."""

from __future__ import annotations

import re

import pytest

from checker.errors import SourceError
from checker.parser import _PARSE_ERRORS, _pg_parser, parse
from checker.source import SourceFile

EXAMPLES = [
    pytest.param(message, example, id=f"{k}-{n}")
    for k, (message, examples) in enumerate(_PARSE_ERRORS.items())
    for n, example in enumerate(examples)
]

# Text that may come before a failing line: the message must not depend on it.
PREFIXES = [
    "",
    "# a comment\n",
    "var zz = 0\n",
    "model m\nguest S\nhost r\n",
    "# c\nvar zz = 0\nthread q {\n  x = 1\n}\n\n",
]


def parse_error(text: str) -> str:
    with pytest.raises(SourceError) as info:
        parse(SourceFile("t.pg", text))
    assert len(info.value.diagnostics) == 1
    return info.value.first.message


def test_every_entry_has_examples() -> None:
    assert all(_PARSE_ERRORS.values())


@pytest.mark.parametrize(("message", "example"), EXAMPLES)
def test_example_gives_its_message(message: str, example: str) -> None:
    for prefix in PREFIXES:
        got = parse_error(prefix + example)
        assert got.startswith(f"{message}, found "), (prefix, got)


@pytest.mark.parametrize(("message", "example"), EXAMPLES)
def test_message_names_no_parser_internals(message: str, example: str) -> None:
    assert not lark_words(parse_error(example))


def lark_words(message: str) -> list[str]:
    """Lark terminal names (NAME, _NL, __ANON_0, $END...) outside `quoted` text."""
    plain = re.sub(r"`[^`]*`", "", message)
    names = {t.name for t in _pg_parser().terminals} | {"$END", "Token"}
    return [w for w in re.findall(r"[$\w]+", plain) if w in names]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "thread t {\n  x = 1\n}\nelse {\n}\n",
            "`else` must follow the `}` of an `if` block",
        ),
        ("var x = 1 @\n", "unexpected character '@'"),
        (
            'use "models/x.pg\n',
            'unterminated string: a string ends with `"` on the same line',
        ),
        (
            "model m\nguest S, same\n",
            "expected a guest state name, found the keyword `same`",
        ),
        ("thread t {\n", "expected a statement or `}`, found the end of the file"),
    ],
)
def test_special_messages(text: str, message: str) -> None:
    assert parse_error(text) == message


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("model m\nSr Vr -> same on read\n", 2, 4),
        ("use hinting\npage p0 Sr\n", 2, 9),
        ("thread t {\n  assert\n}\n", 2, 9),  # just after the last character
        ("thread t {\n  x = 1\n", 2, 8),  # the end of the file: after the text
    ],
)
def test_error_position(text: str, line: int, col: int) -> None:
    with pytest.raises(SourceError) as info:
        parse(SourceFile("t.pg", text))
    span = info.value.first.span
    assert span is not None
    assert (span.line, span.col) == (line, col)
