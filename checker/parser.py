"""Parsing: source text -> lark parse tree -> `syntax.File` (and DOT text -> edges).

The only module that imports lark. Parse errors are translated into the language's own
words ("expected `->` after the source states"), never lark's token names.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import importlib.resources
import itertools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import lark
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from . import syntax as ast
from .errors import SourceError
from .source import SourceFile, Span, point, span_at_offset

# --------------------------------------------------------------------------- lexing


class _LayoutPostLex:
    """Drops the newlines that do not end a declaration or statement.

    A newline is insignificant inside parentheses, after `,`, `and`, `or`, and before
    `else`, so long lists may wrap and `}` / `else {` may sit on separate lines.
    """

    always_accept = ("_NL",)
    _CONTINUES = frozenset({"COMMA", "AND", "OR", "LPAR"})

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return _mark_whole(self._layout(stream))

    def _layout(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        pending: Token | None = None
        previous = ""
        for token in stream:
            if token.type == "_NL":
                if depth == 0 and previous not in self._CONTINUES and pending is None:
                    pending = token
                continue
            if pending is not None:
                if token.type != "ELSE":
                    yield pending
                pending = None
            if token.type == "LPAR":
                depth += 1
            elif token.type == "RPAR":
                depth = max(0, depth - 1)
            previous = token.type
            yield token
        if pending is not None:
            yield pending


def _mark_whole(stream: Iterator[Token]) -> Iterator[Token]:
    """`whole` that starts a statement and is followed by a name is the keyword of a
    whole-page store (`whole write(p0, 1)`); anywhere else it is a name."""
    previous = "_NL"
    held: Token | None = None
    for token in stream:
        if held is not None:
            kind = "WHOLE" if token.type == "NAME" else held.type
            yield Token.new_borrow_pos(kind, str(held), held)
            held = None
        if token.type == "NAME" and token == "whole" and previous in ("_NL", "LBRACE"):
            held = token
        else:
            yield token
        previous = token.type
    if held is not None:
        yield held


def _grammar_text(name: str) -> str:
    return (
        importlib.resources.files("checker").joinpath(name).read_text(encoding="utf-8")
    )


def grammar_cache_file(name: str, grammar: str) -> str | bool:
    """Where lark keeps the analysed grammar `name` between runs (building it takes
    ~0.4 s, loading it ~0.04 s): `$PAGECHECK_CACHE_DIR`, else `pagecheck/` in the
    user's cache folder, one file per grammar text (so that two versions of pagecheck
    do not overwrite each other's). Lark also checks the grammar's hash inside the
    file, and carries on without the cache when the file cannot be read or written
    (a read-only or missing folder). `PAGECHECK_CACHE_DIR=` (empty) turns the cache
    off.
    """
    folder = os.environ.get("PAGECHECK_CACHE_DIR")
    if folder == "":
        return False
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        folder = os.path.join(base, "pagecheck")
    with contextlib.suppress(OSError):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    version = f"lark{lark.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}"
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    return os.path.join(folder, f"{name}-{digest}-{version}.cache")


@functools.cache
def _pg_parser() -> Lark:
    grammar = _grammar_text("grammar.lark")
    cache = grammar_cache_file("grammar", grammar)
    return Lark(
        grammar,
        parser="lalr",
        lexer="basic",
        postlex=_LayoutPostLex(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=cache,
        # keep the grammar itself (tests generate sentences from it); lark refuses
        # this option without a cache
        cache_grammar=bool(cache),
    )


@functools.cache
def keywords() -> frozenset[str]:
    """The reserved words of the language: the grammar's terminals that are words."""
    return frozenset(
        str(t.pattern.value)
        for t in _pg_parser().terminals
        if t.pattern.type == "str" and str(t.pattern.value).isidentifier()
    )


@functools.cache
def _dot_parser() -> Lark:
    grammar = _grammar_text("dot.lark")
    return Lark(
        grammar,
        parser="lalr",
        propagate_positions=True,
        cache=grammar_cache_file("dot", grammar),
    )


# --------------------------------------------------------------------------- errors

_TERMINAL_WORDS = {
    "NAME": "a name",
    "INT": "a number",
    "STRING": "a quoted string",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "CMP_OP": "a comparison",
    "op_kind": "`call`, `access` or `action`",
}

# Parse errors in the language's words: each message with bad inputs that end in the
# parser state it describes (lark's `match_examples`). Tested entry by entry.
_PARSE_ERRORS: dict[str, list[str]] = {
    # ---------------------------------------------------------------- top level
    "expected a declaration (`model`, `use`, `page`, `var`, `thread`, `host`, ...)"
    " or a transition": [
        "5\n",
        "{\n",
        "(\n",
        '"x"\n',
        "-> Sr\n",
        "# a comment\n5\n",
        "var x = 1\n5\n",
        "var x = 1\nvar y = 2\n5\n",
        "# a comment\nvar x = 1\n{\n",
        "# a comment\nvar x = 1\nvar y = 2\n{\n",
    ],
    "expected the end of the line after the declaration": [
        "expect safe safe\n",
        "page p : Sr = 1 2\n",
        'model m from dot "a" "b"\n',
        "var x = 1 2\n",
        "bound 5 5\n",
        "expect violation silent-loss x\n",
        "check deadlock x\n",
        "host none x\n",
    ],
    # ---------------------------------------------------------------- models
    "expected a name after `model`": ["model\n", "model 5\n"],
    'expected `from dot "FILE"` or the end of the line after the model name': [
        "model m m\n",
        "model m 5\n",
    ],
    'expected `dot "FILE"` after `from`': ["model m from\n", 'model m from "x"\n'],
    "expected the Graphviz file's name in quotes after `from dot`": [
        "model m from dot\n",
        "model m from dot x\n",
    ],
    "expected a guest state name": ["guest\n", "guest 5\n", "guest S,\n"],
    "expected `,` between guest states (`unused` may follow a state's name)": [
        "guest U S\n",
        "guest U, S V\n",
        "guest U unused S\n",
    ],
    "expected `thread`, `may`, `none` or host state names after `host`": [
        "host\n",
        "host 5\n",
    ],
    "expected a host state name": ["host r,\n", "host r, 5\n"],
    "expected `,` between host states (`lost` may follow a state's name)": [
        "host r p\n",
        "host r, p z\n",
        "host r, z lost p\n",
    ],
    "expected a flag name": ["flag\n", "flag 5\n", "flag a,\n"],
    "expected `,` between flag names": ["flag a b\n", "flag a, b c\n"],
    "expected an operation name after `call`, `access` or `action`": [
        "call\n",
        "access 5\n",
        "action swap,\n",
    ],
    "expected `,`, `stores`, `sets FLAG`, `clears FLAG` or the end of the line after"
    " the operation": [
        "access read 5\n",
        "call a, b 5\n",
        "call set_volatile(w) 5\n",
    ],
    "expected `,`, `sets FLAG`, `clears FLAG` or the end of the line after the"
    " operation": [
        "access write sets dirty x\n",
        "access dma_write stores x\n",
    ],
    "expected a flag name after `sets` or `clears`": [
        "access write sets\n",
        "access write clears 5\n",
    ],
    "expected parameter names in the parentheses": ["call f(\n", "call f(1)\n"],
    "expected `->` after the source states": [
        "Sr on read\n",
        "Sr, Vr on read\n",
        "Sr Vr -> Sr on read\n",
        "Sr, Vr Pr\n",
        "Sr, Vr, Pr same on read\n",
        "S.r same on read\n",
        "Sr, S.r same on read\n",
    ],
    "expected a state name after `,`": ["Sr, -> Vr on read\n", "Sr, 5\n"],
    "expected the target state (or `same`) after `->`": ["Sr -> on read\n", "Sr ->\n"],
    "expected `on` and the operations after the target state": [
        "Sr -> Vr\n",
        "Sr -> Vr read\n",
        "Sr -> same\n",
        "Sr -> S.r read\n",
    ],
    "expected an operation name after `on`": ["Sr -> Vr on\n", "Sr -> Vr on 1\n"],
    "expected `if GUARD`, `=> RESULTS` or the end of the line after the operations": [
        "Sr -> Vr on read write\n",
        "Sr -> Vr on read x\n",
        "Sr -> Vr on set_volatile(w=0) read\n",
        "Sr -> Vr on read, set_volatile(w=0) not\n",
    ],
    "expected `PARAM=0` or `PARAM=1` in the operation's parentheses": [
        "Sr -> Vr on set_volatile(1)\n",
        "Sr -> Vr on set_volatile(w)\n",
        "Sr -> Vr on set_volatile(w=)\n",
    ],
    "expected a flag, `not` or `(` in the guard": [
        "Sr -> Vr on read if\n",
        "Sr -> Vr on read if =>\n",
        "Sr -> Vr on read if not\n",
        "Sr -> Vr on read if dirty and\n",
        "Sr -> Vr on read if (\n",
    ],
    "expected `and`, `or`, `=> RESULTS` or the end of the line after the guard": [
        "Sr -> Vr on read if dirty x\n",
        "Sr -> Vr on read if not dirty clear dirty\n",
        "Sr -> Vr on read if true x\n",
    ],
    "expected `fault`, `fail`, `set FLAG` or `clear FLAG` after `=>`": [
        "Sr -> Vr on read =>\n",
        "Sr -> Vr on read => boom\n",
        "Sr -> Vr on read => fault,\n",
    ],
    "expected a flag name after `set` or `clear`": [
        "Sr -> Vr on read => set\n",
        "Sr -> Vr on read => clear 5\n",
    ],
    "expected `,` between the results, or the end of the line": [
        "Sr -> same on read => fault fault\n",
        "Sr -> same on read => set dirty dirty\n",
        "Sr -> same on read => fail, clear a b\n",
    ],
    # ---------------------------------------------------------------- specs
    "expected a model name or a quoted path after `use`": ["use\n", "use 5\n"],
    "expected `:` and the initial state after the page name": [
        "page p0 Sr\n",
        "page p0 = 5\n",
        "page p0\n",
    ],
    "expected a state name after `page NAME :`": ["page p0 : = 5\n", "page p0 :\n"],
    "expected flag names, `= VALUE` or the end of the line after the page's state": [
        "page p : Sr 5\n",
        "page p : Sr dirty 5\n",
        "page p : S.r 5\n",
    ],
    "expected `= VALUE` after the variable name": ["var x\n", "var x 5\n"],
    "expected an integer value": [
        "var x = \n",
        "var x = y\n",
        "bound x\n",
        "page p : Sr = x\n",
    ],
    "expected a thread name": ["thread {\n", "host thread {\n"],
    "expected `{` to open the thread's body": ["thread t\n", "thread t read(p)\n"],
    "expected a host action after `host may`, as `OP(PAGE)` or `OP(*)`": [
        "host may\n",
        "host may 5\n",
        "host may swap(p0),\n",
    ],
    "expected `(PAGE)` or `(*)` after the host action": [
        "host may swap\n",
        "host may swap(\n",
        "host may swap p0\n",
    ],
    "expected `safe` or `violation` after `expect`": ["expect\n", "expect bug\n"],
    "expected a property name or the end of the line after `expect violation`": [
        "expect violation violation\n",
        "expect violation 5\n",
    ],
    "expected a property name": ["check\n", "ignore\n", "check 5\n", "check fault,\n"],
    # ---------------------------------------------------------------- statements
    "expected a statement or `}`": [
        "thread t {\n {\n",
        "thread t {\n if x { {\n",
        "thread t {\n 5\n",
    ],
    "a statement is an assignment or a call: expected `=` or `(` after the name": [
        "thread t {\n x\n",
        "thread t {\n x y\n",
        "thread t {\n x == 1\n",
    ],
    "expected `}` or the end of the line after the statement": [
        "thread t {\n x = 1 y = 2\n",
        "thread t {\n read(p0) read(p0)\n",
        'thread t {\n assert x "m" y\n',
        "thread t {\n assert x 1\n",
        "thread t {\n await x 1\n",
        "thread t {\n read(p0))\n",
        "thread t {\n set_volatile(p0, w=0))\n",
        "thread t {\n x = 0)\n",
        "thread t {\n assert x == 1 1\n",
        "thread t {\n await x == 1 1\n",
    ],
    "expected `{` after the condition": [
        "thread t {\n if x == 1\n",
        "thread t {\n while x == 1\n",
        "thread t {\n if x == 1 y = 2\n",
        "thread t {\n if x y {\n",
        "thread t {\n if x == y z {\n",
        "thread t {\n if state(p) Vz {\n",
    ],
    "expected an expression": [
        "thread t {\n x =\n",
        "thread t {\n assert\n",
        "thread t {\n await\n",
        "thread t {\n if {\n",
        "never\n",
        "thread t {\n x = 1 +\n",
    ],
    "expected `{` after `on fault`": ["thread t {\n r = read(p) on fault\n"],
    "expected `fault` after `on`": ["thread t {\n r = read(p) on\n"],
    "expected `)` to close the argument list": [
        "thread t {\n read(p0\n",
        "thread t {\n read(p0 p1)\n",
        "thread t {\n read(p0, read(p0)\n}\n",
        "thread t {\n write(p0, x y)\n",
        "thread t {\n write(p0, read(p0) y)\n",
    ],
    "expected `}` to close the block": ["thread t {\n x = 1\n"],
}


# parser stack, acceptable tokens, offending token type, message
_Example = tuple[tuple[int, ...], frozenset[str], str, str]


@functools.cache
def _error_examples(parser: Lark) -> tuple[_Example, ...]:
    """Where each `_PARSE_ERRORS` example fails: the LALR stack and the tokens (state
    numbers belong to one parser: one loaded from another process's cache may number
    its states differently)."""
    out: list[_Example] = []
    for message, examples in _PARSE_ERRORS.items():
        for text in examples:
            try:
                parser.parse(text)
            except UnexpectedToken as err:
                stack = tuple(err.state.state_stack)
                out.append((stack, frozenset(err.accepts), err.token.type, message))
            except UnexpectedInput:
                continue
    return tuple(out)


def explain_parse_error(err: UnexpectedToken) -> str | None:
    """The `_PARSE_ERRORS` message whose example failed in the most similar state.

    Lark's `match_examples` wants the whole parser stack to match, so an example
    only explains errors at its own nesting depth and position in the file. Here an
    example matches when the same tokens would have been accepted, or failing that
    when the parser was in the same state; the closest stack and the same kind of
    token break ties, then the order of the table.
    """
    stack = tuple(err.state.state_stack)
    accepts = frozenset(err.accepts)
    best: str | None = None
    best_score = (False, 0, False)
    examples = _error_examples(_pg_parser())
    for example_stack, example_accepts, token_type, message in examples:
        shared = 0
        for mine, theirs in zip(reversed(stack), reversed(example_stack), strict=False):
            if mine != theirs:
                break
            shared += 1
        same = accepts == example_accepts
        score = (same, shared, token_type == err.token.type)
        if (same or shared) and score > best_score:
            best, best_score = message, score
    return best


def _describe_terminal(parser: Lark, name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name.lower()
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def _is_keyword(parser: Lark, terminal: str) -> bool:
    try:
        pattern = parser.get_terminal(terminal).pattern
    except KeyError:
        return False
    return pattern.type == "str" and pattern.value.isidentifier()


def _describe_token(token: Token) -> str:
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "$END":
        return "the end of the file"
    text = str(token).strip()
    return f"`{text}`" if text else token.type.lower()


def _token_span(source: SourceFile, token: Token) -> Span:
    line, col = token.line, token.column
    if token.type == "$END" or line is None or col is None:
        return span_at_offset(source, len(source.text.rstrip()))
    if token.type == "_NL":
        # just after the last visible character before the line break (or comment)
        before = source.line(line)[: col - 1].rstrip()
        return point(source, line, len(before) + 1 if before else col)
    end = token.end_column
    end_col = end if token.end_line == line and end is not None else col + 1
    return Span(source, line, col, line, end_col)


def _char_at(text: str, err: UnexpectedCharacters) -> str:
    pos = err.pos_in_stream
    return "" if pos is None else text[pos : pos + 1]


def _keyword_values(parser: Lark, terminals: Iterable[str]) -> list[str]:
    """The keywords among `terminals`, as written (`thread`, not `THREAD`)."""
    words = []
    for name in terminals:
        if _is_keyword(parser, name):
            words.append(str(parser.get_terminal(name).pattern.value))
    return words


def _keyword_hint(word: str, keywords: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(keywords), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


@functools.cache
def _starting_keywords(prefix: str) -> tuple[str, ...]:
    """The keywords that can start what follows `prefix` (the grammar says which)."""
    parser = _pg_parser()
    interactive = parser.parse_interactive(prefix)
    interactive.exhaust_lexer()
    accepts: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
    return tuple(sorted(_keyword_values(parser, accepts)))


def _misspelt_start(
    source: SourceFile, parser: Lark, token: Token
) -> SourceError | None:
    """`thraed t {`, `awiat x == 1`: the error is at the second word of a declaration
    or statement whose first word is no keyword but close to one that could start
    it there. Reported at the first word, with the keyword it may have meant."""
    line = source.line(token.line or 0)
    before = line[: (token.column or 1) - 1]
    start = max(before.rfind(c) for c in "{};") + 1
    word = before[start:].strip()
    if not word.isidentifier() or word in keywords():
        return None
    in_block = _brace_depth(source.text, token.line or 1, start + 1) > 0
    prefix = "thread t {\n" if in_block else ""
    hint = _keyword_hint(word, _starting_keywords(prefix))
    if not hint:
        return None
    col = before.index(word, start) + 1
    what = "statement" if in_block else "declaration"
    return SourceError(
        Span(source, token.line or 1, col, token.line or 1, col + len(word)),
        f"`{word}` does not start a {what}{hint}",
    )


def _misplaced_whole(source: SourceFile, token: Token) -> SourceError | None:
    """`r = whole read(p0)`: `whole` that does not start a statement, before a name."""
    if token.type != "NAME":
        return None
    before = source.line(token.line or 0)[: (token.column or 1) - 1]
    found = re.search(r"\bwhole\s*$", before)
    if found is None:
        return None
    col = found.start() + 1
    line = token.line or 1
    return SourceError(
        Span(source, line, col, line, col + len("whole")),
        "`whole` starts a statement and marks a store that overwrites the whole page"
        " (`whole write(p0, 1)`); a store returns no value",
    )


def _code_lines(text: str) -> list[str]:
    """The lines of `text` with comments and strings blanked (braces in them are no
    braces)."""
    return [
        re.sub(r'"([^"\\\n]|\\.)*"?|#.*', lambda m: " " * len(m.group()), line)
        for line in text.split("\n")
    ]


def _brace_depth(text: str, line: int, col: int) -> int:
    """How many blocks are open at a 1-based line and column."""
    depth = 0
    for number, code in enumerate(_code_lines(text)[:line], start=1):
        counted = code[: col - 1] if number == line else code
        depth = max(0, depth + counted.count("{") - counted.count("}"))
    return depth


def _resume_line(text: str, after: int) -> int | None:
    """The first line after line `after` that starts a declaration: outside every
    block, not blank, and not the continuation of the line before (which ends in
    `,`, `and`, `or` or leaves a parenthesis open). None when there is none."""
    depth = parens = 0
    previous = ""
    for number, code in enumerate(_code_lines(text), start=1):
        stripped = code.strip()
        starts = (
            number > after
            and stripped
            and depth == 0
            and parens == 0
            and not re.search(r"(,|\band|\bor)$", previous)
            and not stripped.startswith(("}", "else"))
        )
        if starts:
            return number
        depth = max(0, depth + code.count("{") - code.count("}"))
        parens = max(0, parens + code.count("(") - code.count(")"))
        if stripped:
            previous = stripped
    return None


def _translate(
    source: SourceFile, text: str, parser: Lark, err: UnexpectedInput
) -> SourceError:
    """The error in the language's words; `text` is what was parsed (the source with
    the lines before a resumption blanked)."""
    if isinstance(err, UnexpectedCharacters):
        char = _char_at(text, err)
        span = point(source, err.line, err.column)
        if char == '"':
            return SourceError(
                span, 'unterminated string: a string ends with `"` on the same line'
            )
        return SourceError(span, f"unexpected character {char!r}")
    if isinstance(err, UnexpectedToken):
        token = err.token
        span = _token_span(source, token)
        found = _describe_token(token)
        if _is_keyword(parser, token.type) and "NAME" in err.expected:
            found = f"the keyword {found}"
        if token.type == "ELSE":
            return SourceError(span, "`else` must follow the `}` of an `if` block")
        misspelt = _misspelt_start(source, parser, token)
        if misspelt is not None:
            return misspelt
        whole = _misplaced_whole(source, token)
        if whole is not None:
            return whole
        if token.type == "NAME":
            found += _keyword_hint(str(token), _keyword_values(parser, err.expected))
        label = explain_parse_error(err)
        if label is not None:
            return SourceError(span, f"{label}, found {found}")
        expected = sorted({_describe_terminal(parser, t) for t in err.expected})
        if len(expected) > 6:
            if token.type in ("_NL", "$END"):
                where = "line" if token.type == "_NL" else "file"
                return SourceError(span, f"the {where} ends too early")
            return SourceError(span, f"{found} is not expected here")
        return SourceError(span, f"expected {_one_of(expected)}, found {found}")
    span = span_at_offset(source, len(source.text.rstrip()))
    return SourceError(span, "unexpected end of the file")


def _one_of(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} or {words[-1]}"


# ------------------------------------------------------------------------- tree -> AST


def _span(source: SourceFile, meta: Any) -> Span:
    if getattr(meta, "empty", True):
        return point(source, 1, 1)
    return Span(source, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(source: SourceFile, tok: Token) -> Span:
    return Span(
        source, tok.line or 1, tok.column or 1, tok.end_line or 1, tok.end_column or 1
    )


def _unquote(tok: Token) -> str:
    body = str(tok)[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@v_args(meta=True)
class _ToAst(Transformer[Token, ast.File]):
    """Builds the AST; every node gets the span of the text it came from."""

    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.src = source

    def _s(self, meta: Any) -> Span:
        return _span(self.src, meta)

    def _id(self, tok: Token) -> ast.Ident:
        return ast.Ident(str(tok), _tok_span(self.src, tok))

    # -- file
    def start(self, meta: Any, items: list[Any]) -> ast.File:
        return ast.File(tuple(items), self._s(meta))

    # -- models
    def model_header(self, meta: Any, c: list[Any]) -> ast.ModelHeader:
        dot = _unquote(c[1]) if len(c) > 1 else None
        return ast.ModelHeader(self._id(c[0]), dot, self._s(meta))

    def guest_part(self, meta: Any, c: list[Any]) -> ast.StatePart:
        return ast.StatePart(self._id(c[0]), len(c) > 1)

    host_part = guest_part

    def guest_decl(self, meta: Any, c: list[Any]) -> ast.GuestDecl:
        return ast.GuestDecl(tuple(c), self._s(meta))

    def host_decl(self, meta: Any, c: list[Any]) -> ast.HostDecl:
        return ast.HostDecl(tuple(c), self._s(meta))

    def flag_decl(self, meta: Any, c: list[Any]) -> ast.FlagDecl:
        return ast.FlagDecl(tuple(self._id(t) for t in c), self._s(meta))

    def op_kind(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def op_params(self, meta: Any, c: list[Any]) -> tuple[ast.Ident, ...]:
        return tuple(self._id(t) for t in c)

    def op_effect(self, meta: Any, c: list[Any]) -> tuple[str, ast.Ident]:
        return (str(c[0]), self._id(c[1]))

    def op_mode(self, meta: Any, c: list[Any]) -> ast.Ident:
        return self._id(c[0])

    def op_sig(self, meta: Any, c: list[Any]) -> ast.OpSig:
        params: tuple[ast.Ident, ...] = ()
        sets: list[ast.Ident] = []
        clears: list[ast.Ident] = []
        mode: ast.Ident | None = None
        for part in c[1:]:
            if isinstance(part, ast.Ident):
                mode = part
            elif isinstance(part, tuple) and part and isinstance(part[0], ast.Ident):
                params = part
            elif isinstance(part, tuple):
                (sets if part[0] == "sets" else clears).append(part[1])
        return ast.OpSig(
            self._id(c[0]), params, tuple(sets), tuple(clears), self._s(meta), mode
        )

    def op_decl(self, meta: Any, c: list[Any]) -> ast.OpDecl:
        return ast.OpDecl(c[0], tuple(c[1:]), self._s(meta))

    def state_ref(self, meta: Any, c: list[Any]) -> ast.StateRef:
        if len(c) == 2:
            return ast.StateRef(f"{c[0]}.{c[1]}", str(c[0]), str(c[1]), self._s(meta))
        return ast.StateRef(str(c[0]), None, None, self._s(meta))

    def state_list(self, meta: Any, c: list[Any]) -> tuple[ast.StateRef, ...]:
        return tuple(c)

    def target(self, meta: Any, c: list[Any]) -> ast.StateRef | None:
        return c[0] if isinstance(c[0], ast.StateRef) else None

    def op_arg(self, meta: Any, c: list[Any]) -> tuple[ast.Ident, int]:
        return (self._id(c[0]), int(c[1]))

    def op_pat(self, meta: Any, c: list[Any]) -> ast.OpPattern:
        return ast.OpPattern(self._id(c[0]), tuple(c[1:]), self._s(meta))

    def guard_clause(self, meta: Any, c: list[Any]) -> ast.Guard:
        return c[0]  # type: ignore[no-any-return]

    def result_clause(self, meta: Any, c: list[Any]) -> tuple[ast.ResultItem, ...]:
        return tuple(c)

    def result(self, meta: Any, c: list[Any]) -> ast.ResultItem:
        kind = str(c[0])
        flag = self._id(c[1]) if len(c) > 1 else None
        return ast.ResultItem(kind, flag, self._s(meta))  # type: ignore[arg-type]

    def transition(self, meta: Any, c: list[Any]) -> ast.TransitionDecl:
        sources, target, *rest = c
        ops = tuple(x for x in rest if isinstance(x, ast.OpPattern))
        guard = next(
            (x for x in rest if not isinstance(x, ast.OpPattern | tuple)), None
        )
        results = next((x for x in rest if isinstance(x, tuple)), ())
        return ast.TransitionDecl(sources, target, ops, guard, results, self._s(meta))

    def guard_or(self, meta: Any, c: list[Any]) -> ast.Guard:
        return ast.GuardBinary("or", c[0], c[1], self._s(meta))

    def guard_and(self, meta: Any, c: list[Any]) -> ast.Guard:
        return ast.GuardBinary("and", c[0], c[1], self._s(meta))

    def guard_neg(self, meta: Any, c: list[Any]) -> ast.Guard:
        return ast.GuardNot(c[0], self._s(meta))

    def guard_flag(self, meta: Any, c: list[Any]) -> ast.Guard:
        return ast.GuardFlag(self._id(c[0]), self._s(meta))

    def guard_true(self, meta: Any, c: list[Any]) -> ast.Guard:
        return ast.GuardConst(True, self._s(meta))

    def guard_false(self, meta: Any, c: list[Any]) -> ast.Guard:
        return ast.GuardConst(False, self._s(meta))

    # -- specs
    def use_decl(self, meta: Any, c: list[Any]) -> ast.UseDecl:
        tok = c[0]
        if tok.type == "STRING":
            return ast.UseDecl(_unquote(tok), True, self._s(meta))
        return ast.UseDecl(str(tok), False, self._s(meta))

    def signed_int(self, meta: Any, c: list[Any]) -> int:
        value = int(c[-1])
        return -value if len(c) == 2 else value

    def page_decl(self, meta: Any, c: list[Any]) -> ast.PageDecl:
        name, state, *rest = c
        data = rest.pop() if rest and isinstance(rest[-1], int) else None
        flags = tuple(self._id(t) for t in rest)
        return ast.PageDecl(self._id(name), state, flags, data, self._s(meta))

    def var_decl(self, meta: Any, c: list[Any]) -> ast.VarDecl:
        return ast.VarDecl(self._id(c[0]), c[1], self._s(meta))

    def block(self, meta: Any, c: list[Any]) -> tuple[ast.Stmt, ...]:
        return tuple(c)

    def thread_decl(self, meta: Any, c: list[Any]) -> ast.ThreadDecl:
        return ast.ThreadDecl(self._id(c[0]), False, c[1], self._s(meta))

    def host_thread(self, meta: Any, c: list[Any]) -> ast.ThreadDecl:
        return ast.ThreadDecl(self._id(c[0]), True, c[1], self._s(meta))

    def may_item(self, meta: Any, c: list[Any]) -> ast.HostMayItem:
        page = None if c[1].type == "STAR" else self._id(c[1])
        return ast.HostMayItem(self._id(c[0]), page, self._s(meta))

    def host_may(self, meta: Any, c: list[Any]) -> ast.HostMayDecl:
        return ast.HostMayDecl(tuple(c), self._s(meta))

    def host_none(self, meta: Any, c: list[Any]) -> ast.HostNoneDecl:
        return ast.HostNoneDecl(self._s(meta))

    def never_decl(self, meta: Any, c: list[Any]) -> ast.NeverDecl:
        return ast.NeverDecl(c[0], self._s(meta))

    def prop(self, meta: Any, c: list[Any]) -> ast.Ident:
        return ast.Ident("-".join(str(t) for t in c), self._s(meta))

    def point_check(self, meta: Any, c: list[Any]) -> ast.PointCheck:
        prop, *names = c
        thread, at, label = (self._id(t) for t in names)
        return ast.PointCheck(prop, thread, at, label, self._s(meta))

    def check_decl(self, meta: Any, c: list[Any]) -> ast.PropertyList:
        return ast.PropertyList(True, tuple(c), self._s(meta))

    def ignore_decl(self, meta: Any, c: list[Any]) -> ast.PropertyList:
        return ast.PropertyList(False, tuple(c), self._s(meta))

    def bound_decl(self, meta: Any, c: list[Any]) -> ast.BoundDecl:
        return ast.BoundDecl(c[0], self._s(meta))

    def expect_decl(self, meta: Any, c: list[Any]) -> ast.ExpectDecl:
        verdict = str(c[0])
        prop = c[1] if len(c) > 1 else None
        return ast.ExpectDecl(verdict, prop, self._s(meta))  # type: ignore[arg-type]

    def memory_decl(self, meta: Any, c: list[Any]) -> ast.MemoryDecl:
        return ast.MemoryDecl(self._id(c[0]), self._s(meta))

    # -- statements
    def labelled(self, meta: Any, c: list[Any]) -> ast.Stmt:
        stmt: ast.Stmt = replace(c[1], label=self._id(c[0]))
        return stmt

    def handler(self, meta: Any, c: list[Any]) -> tuple[ast.Stmt, ...]:
        return c[1]  # type: ignore[no-any-return]

    def assign(self, meta: Any, c: list[Any]) -> ast.Assign:
        handler = c[2] if len(c) > 2 else None
        return ast.Assign(self._id(c[0]), c[1], handler, self._s(meta))

    def expr_stmt(self, meta: Any, c: list[Any]) -> ast.ExprStmt:
        whole = isinstance(c[0], Token) and c[0].type == "WHOLE"
        call, *rest = c[1:] if whole else c
        return ast.ExprStmt(call, rest[0] if rest else None, self._s(meta), whole)

    def assert_stmt(self, meta: Any, c: list[Any]) -> ast.Assert:
        message = _unquote(c[1]) if len(c) > 1 else None
        return ast.Assert(c[0], message, self._s(meta))

    def await_stmt(self, meta: Any, c: list[Any]) -> ast.Await:
        return ast.Await(c[0], self._s(meta))

    def if_stmt(self, meta: Any, c: list[Any]) -> ast.If:
        orelse: tuple[ast.Stmt, ...] | None = None
        if len(c) > 2:
            tail = c[3]
            orelse = tail if isinstance(tail, tuple) else (tail,)
        return ast.If(c[0], c[1], orelse, self._s(meta))

    def while_stmt(self, meta: Any, c: list[Any]) -> ast.While:
        return ast.While(c[0], c[1], self._s(meta))

    def atomic_stmt(self, meta: Any, c: list[Any]) -> ast.Atomic:
        return ast.Atomic(c[0], self._s(meta))

    def fence_stmt(self, meta: Any, c: list[Any]) -> ast.Fence:
        return ast.Fence(self._s(meta))

    # -- expressions
    def or_expr(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Binary("or", c[0], c[1], self._s(meta))

    def and_expr(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Binary("and", c[0], c[1], self._s(meta))

    def not_expr(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Unary("not", c[0], self._s(meta))

    def compare(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Binary(str(c[1]), c[0], c[2], self._s(meta))  # type: ignore[arg-type]

    def in_set(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.InSet(c[0], tuple(c[1:]), self._s(meta))

    def arith(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Binary(str(c[1]), c[0], c[2], self._s(meta))  # type: ignore[arg-type]

    def neg(self, meta: Any, c: list[Any]) -> ast.Expr:
        operand = c[1]
        if isinstance(operand, ast.IntLit):
            return ast.IntLit(-operand.value, self._s(meta))
        return ast.Unary("-", operand, self._s(meta))

    def int_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.IntLit(int(c[0]), self._s(meta))

    def true_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.BoolLit(True, self._s(meta))

    def false_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.BoolLit(False, self._s(meta))

    def ok_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.ResultLit("ok", self._s(meta))

    def fail_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.ResultLit("fail", self._s(meta))

    def name(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Name(str(c[0]), self._s(meta))

    def dotted(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.DottedState(str(c[0]), str(c[1]), self._s(meta))

    def state_of(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.StateOf(self._id(c[0]), self._s(meta))

    def kwarg(self, meta: Any, c: list[Any]) -> ast.KeywordArg:
        return ast.KeywordArg(self._id(c[0]), c[1], self._s(meta))

    def call(self, meta: Any, c: list[Any]) -> ast.Expr:
        args = tuple(x for x in c[1:] if not isinstance(x, ast.KeywordArg))
        kwargs = tuple(x for x in c[1:] if isinstance(x, ast.KeywordArg))
        return ast.Call(self._id(c[0]), args, kwargs, self._s(meta))


#: Syntax errors reported for one file at the most.
MAX_SYNTAX_ERRORS = 20


def parse(source: SourceFile) -> ast.File:
    """Parse a `.pg` file; syntax errors raise one `SourceError`.

    After a syntax error, parsing resumes at the next line that starts a declaration
    outside every block (`_resume_line`), so that one file reports the errors of
    several declarations; an error inside a block skips the rest of that block.
    """
    parser = _pg_parser()
    text = source.text
    errors: list[SourceError] = []
    resume = 0
    while True:
        try:
            tree = parser.parse(text)
        except UnexpectedInput as err:
            errors.append(_translate(source, text, parser, err))
            line = getattr(err, "line", None)
            after = _resume_line(source.text, line) if line and line > 0 else None
            if after is None or after <= resume or len(errors) == MAX_SYNTAX_ERRORS:
                break
            resume = after
            lines = source.text.split("\n")
            text = "\n" * (resume - 1) + "\n".join(lines[resume - 1 :])
            continue
        if not errors:
            try:
                return _ToAst(source).transform(tree)
            except VisitError as err:
                raise err.orig_exc from None
        break
    raise SourceError(diagnostics=[d for e in errors for d in e.diagnostics])


# --------------------------------------------------------------------------- DOT


@dataclass(frozen=True, slots=True)
class DotEdge:
    """One edge `a -> b [label="..."]` of a DOT digraph, with the edge's position."""

    source: str
    target: str
    attrs: tuple[tuple[str, str], ...]
    span: Span

    def attr(self, key: str) -> str | None:
        return next((v for k, v in self.attrs if k == key), None)


def _dot_id(tree: Tree[Token]) -> str:
    tok = tree.children[0]
    assert isinstance(tok, Token)
    if tok.type == "QSTRING":
        return _unquote(tok).replace("\\n", "\n")
    return str(tok)


_DOT_WORDS = {
    "ID": "a name",
    "NUMBER": "a number",
    "QSTRING": "a quoted string",
    "GRAPH_KIND": "`digraph`",
    "EDGE_OP": "`->`",
    "ATTR_KIND": "`node` or `edge`",
    "STRICT": "`strict`",
}


def _translate_dot(
    source: SourceFile, parser: Lark, err: UnexpectedInput
) -> SourceError:
    if isinstance(err, UnexpectedCharacters):
        char = _char_at(source.text, err)
        return SourceError(
            point(source, err.line, err.column),
            f"DOT syntax error: unexpected character {char!r}",
        )
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        expected = sorted(
            {_DOT_WORDS.get(t) or _describe_terminal(parser, t) for t in err.expected}
        )
        return SourceError(
            _token_span(source, err.token),
            f"DOT syntax error: expected {_one_of(expected)},"
            f" found {_describe_token(err.token)}",
        )
    return SourceError(
        span_at_offset(source, len(source.text.rstrip())),
        "DOT syntax error: the file ends before the graph's closing `}`",
    )


def _subtrees(tree: Tree[Token]) -> Iterator[Tree[Token]]:
    """Every subtree, parents before children, in source order."""
    yield tree
    for child in tree.children:
        if isinstance(child, Tree):
            yield from _subtrees(child)


def parse_dot(source: SourceFile) -> list[DotEdge]:
    """The edges of a DOT (di)graph, in file order, edge chains split into pairs."""
    parser = _dot_parser()
    try:
        tree = parser.parse(source.text)
    except UnexpectedInput as err:
        raise _translate_dot(source, parser, err) from None
    edges: list[DotEdge] = []
    for node in _subtrees(tree):
        if node.data != "edge_stmt":
            continue
        ends = [c for c in node.children if isinstance(c, Tree) and c.data == "node_id"]
        attrs: list[tuple[str, str]] = []
        for c in node.children:
            if isinstance(c, Tree) and c.data == "attr_list":
                for attr in c.children:
                    if isinstance(attr, Tree) and attr.data == "attr":
                        key, value = attr.children
                        assert isinstance(key, Tree) and isinstance(value, Tree)
                        attrs.append((_dot_id(key), _dot_id(value)))
        span = _span(source, node.meta)
        names = []
        for end in ends:
            first = end.children[0]
            assert isinstance(first, Tree)
            names.append(_dot_id(first))
        for a, b in itertools.pairwise(names):
            edges.append(DotEdge(a, b, tuple(attrs), span))
    return edges
