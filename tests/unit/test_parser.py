"""The parser: every construct of the language reference parses to the expected AST.

AST equality ignores spans, so expected trees are written with a dummy span `X`;
the position tests check spans separately.
"""

from __future__ import annotations

import pytest

from checker import syntax as ast
from checker.errors import SourceError
from checker.parser import parse
from checker.source import SourceFile, Span

X = Span(SourceFile("expected", ""), 1, 1, 1, 1)


def items(text: str) -> tuple[ast.Item, ...]:
    return parse(SourceFile("t.pg", text)).items


def one(text: str) -> ast.Item:
    (item,) = items(text)
    return item


def ident(name: str) -> ast.Ident:
    return ast.Ident(name, X)


def ref(text: str) -> ast.StateRef:
    if "." in text:
        guest, host = text.split(".")
        return ast.StateRef(text, guest, host, X)
    return ast.StateRef(text, None, None, X)


def stmts(body: str) -> tuple[ast.Stmt, ...]:
    thread = one(f"thread t {{\n{body}\n}}\n")
    assert isinstance(thread, ast.ThreadDecl)
    return thread.body


def stmt(body: str) -> ast.Stmt:
    (s,) = stmts(body)
    return s


def expr(text: str) -> ast.Expr:
    s = stmt(f"x = {text}")
    assert isinstance(s, ast.Assign)
    return s.value


def name(n: str) -> ast.Name:
    return ast.Name(n, X)


def num(v: int) -> ast.IntLit:
    return ast.IntLit(v, X)


def call(op: str, *args: ast.Expr, **kwargs: ast.Expr) -> ast.Call:
    kws = tuple(ast.KeywordArg(ident(k), v, X) for k, v in kwargs.items())
    return ast.Call(ident(op), args, kws, X)


# --------------------------------------------------------------------------- models


def test_model_header() -> None:
    assert one("model hinting\n") == ast.ModelHeader(ident("hinting"), None, X)
    assert one('model seed from dot "seed.dot"\n') == ast.ModelHeader(
        ident("seed"), "seed.dot", X
    )


def test_state_declarations() -> None:
    assert one("guest U unused, S, V, P\n") == ast.GuestDecl(
        (
            ast.StatePart(ident("U"), True),
            ast.StatePart(ident("S"), False),
            ast.StatePart(ident("V"), False),
            ast.StatePart(ident("P"), False),
        ),
        X,
    )
    assert one("host r, p, z lost\n") == ast.HostDecl(
        (
            ast.StatePart(ident("r"), False),
            ast.StatePart(ident("p"), False),
            ast.StatePart(ident("z"), True),
        ),
        X,
    )
    assert one("flag dirty, young\n") == ast.FlagDecl(
        (ident("dirty"), ident("young")), X
    )


def test_operation_declarations() -> None:
    decl = one("call set_stable, set_volatile(w, x)\n")
    assert decl == ast.OpDecl(
        "call",
        (
            ast.OpSig(ident("set_stable"), (), (), (), X),
            ast.OpSig(ident("set_volatile"), (ident("w"), ident("x")), (), (), X),
        ),
        X,
    )
    assert one("access write sets dirty clears young\n") == ast.OpDecl(
        "access",
        (ast.OpSig(ident("write"), (), (ident("dirty"),), (ident("young"),), X),),
        X,
    )
    assert one("action swap, discard\n") == ast.OpDecl(
        "action",
        (
            ast.OpSig(ident("swap"), (), (), (), X),
            ast.OpSig(ident("discard"), (), (), (), X),
        ),
        X,
    )


def test_transition() -> None:
    assert one("Ur, S.r -> same on read, set_volatile(w=0)\n") == ast.TransitionDecl(
        (ref("Ur"), ref("S.r")),
        None,
        (
            ast.OpPattern(ident("read"), (), X),
            ast.OpPattern(ident("set_volatile"), ((ident("w"), 0),), X),
        ),
        None,
        (),
        X,
    )


def test_transition_guard_and_results() -> None:
    decl = one(
        "Pr -> Vz on discard if not dirty or (a"
        " and true) => fault, fail, set a, clear b\n"
    )
    assert isinstance(decl, ast.TransitionDecl)
    assert decl.target == ref("Vz")
    assert decl.guard == ast.GuardBinary(
        "or",
        ast.GuardNot(ast.GuardFlag(ident("dirty"), X), X),
        ast.GuardBinary(
            "and", ast.GuardFlag(ident("a"), X), ast.GuardConst(True, X), X
        ),
        X,
    )
    assert decl.results == (
        ast.ResultItem("fault", None, X),
        ast.ResultItem("fail", None, X),
        ast.ResultItem("set", ident("a"), X),
        ast.ResultItem("clear", ident("b"), X),
    )


def test_guard_precedence() -> None:
    decl = one("Sr -> same on read if a or b and not c\n")
    assert isinstance(decl, ast.TransitionDecl)
    a, b, c = (ast.GuardFlag(ident(n), X) for n in "abc")
    assert decl.guard == ast.GuardBinary(
        "or", a, ast.GuardBinary("and", b, ast.GuardNot(c, X), X), X
    )
    decl = one("Sr -> same on read if false and a and b\n")
    assert isinstance(decl, ast.TransitionDecl)
    false = ast.GuardConst(False, X)
    assert decl.guard == ast.GuardBinary(
        "and", ast.GuardBinary("and", false, a, X), b, X
    )


def test_the_reference_model_parses() -> None:
    text = (
        "model hinting\nguest U unused, S, V, P\nhost r, p, z lost\nflag dirty\n"
        "call set_stable, set_unused, set_volatile(w), set_stable_if_present\n"
        "access read\naccess write sets dirty\naction swap, discard\n"
        "Ur, Sr, Vr, Pr -> same on read, write\n"
        "Vz -> same on set_stable_if_present => fail\n"
        "Vz -> same on read, write => fault   # the discard fault\n"
        "Pr -> Sp on discard if dirty\nPr -> Vz on discard if not dirty\n"
    )
    kinds = [type(i).__name__ for i in items(text)]
    assert kinds == [
        "ModelHeader", "GuestDecl", "HostDecl", "FlagDecl", "OpDecl", "OpDecl",
        "OpDecl", "OpDecl", "TransitionDecl", "TransitionDecl", "TransitionDecl",
        "TransitionDecl", "TransitionDecl",
    ]  # fmt: skip


# --------------------------------------------------------------------------- specs


def test_use() -> None:
    assert one("use hinting\n") == ast.UseDecl("hinting", False, X)
    assert one('use "../models/a b.pg"\n') == ast.UseDecl("../models/a b.pg", True, X)


def test_page() -> None:
    assert one("page p0 : Sr = 7\n") == ast.PageDecl(ident("p0"), ref("Sr"), (), 7, X)
    assert one("page p1 : V.z dirty young\n") == ast.PageDecl(
        ident("p1"), ref("V.z"), (ident("dirty"), ident("young")), None, X
    )
    assert one("page p2 : Sr = -3\n") == ast.PageDecl(ident("p2"), ref("Sr"), (), -3, X)


def test_var_bound_never() -> None:
    assert one("var freed = 0\n") == ast.VarDecl(ident("freed"), 0, X)
    assert one("var n = -1\n") == ast.VarDecl(ident("n"), -1, X)
    assert one("bound 12\n") == ast.BoundDecl(12, X)
    assert one("never freed == 1\n") == ast.NeverDecl(
        ast.Binary("==", name("freed"), num(1), X), X
    )


def test_host_lines() -> None:
    assert one("host may discard(p0), swap(*)\n") == ast.HostMayDecl(
        (
            ast.HostMayItem(ident("discard"), ident("p0"), X),
            ast.HostMayItem(ident("swap"), None, X),
        ),
        X,
    )
    assert one("host none\n") == ast.HostNoneDecl(X)
    assert one("host thread h {\n  discard(p0)\n}\n") == ast.ThreadDecl(
        ident("h"), True, (ast.ExprStmt(call("discard", name("p0")), None, X),), X
    )


def test_properties_and_expect() -> None:
    assert one("check deadlock, fault\n") == ast.PropertyList(
        True, (ident("deadlock"), ident("fault")), X
    )
    assert one("ignore silent-loss, undefined\n") == ast.PropertyList(
        False, (ident("silent-loss"), ident("undefined")), X
    )
    assert one("expect safe\n") == ast.ExpectDecl("safe", None, X)
    assert one("expect violation\n") == ast.ExpectDecl("violation", None, X)
    assert one("expect violation silent-loss\n") == ast.ExpectDecl(
        "violation", ident("silent-loss"), X
    )
    assert one("expect violation never\n") == ast.ExpectDecl(
        "violation", ident("never"), X
    )


# --------------------------------------------------------------------------- statements


def test_op_statements() -> None:
    assert stmt("set_unused(p0)") == ast.ExprStmt(
        call("set_unused", name("p0")), None, X
    )
    assert stmt("write(p0, 5)") == ast.ExprStmt(
        call("write", name("p0"), num(5)), None, X
    )
    assert stmt("set_volatile(p0, w=1)") == ast.ExprStmt(
        call("set_volatile", name("p0"), w=num(1)), None, X
    )
    assert stmt("r = read(p0)") == ast.Assign(
        ident("r"), call("read", name("p0")), None, X
    )


def test_fault_handler() -> None:
    assert stmt("r = read(p0) on fault {\n  set_stable(p0)\n  r = 0\n}") == ast.Assign(
        ident("r"),
        call("read", name("p0")),
        (
            ast.ExprStmt(call("set_stable", name("p0")), None, X),
            ast.Assign(ident("r"), num(0), None, X),
        ),
        X,
    )
    assert stmt("write(p0, 1) on fault { }") == ast.ExprStmt(
        call("write", name("p0"), num(1)), (), X
    )


def test_assert_await() -> None:
    assert stmt('assert r == 7 "stale data"') == ast.Assert(
        ast.Binary("==", name("r"), num(7), X), "stale data", X
    )
    assert stmt("assert ok_seen") == ast.Assert(name("ok_seen"), None, X)
    assert stmt("await cached == 1") == ast.Await(
        ast.Binary("==", name("cached"), num(1), X), X
    )


def test_if_else_chains() -> None:
    cond = ast.Binary("==", name("x"), num(1), X)
    one_ = ast.Assign(ident("y"), num(1), None, X)
    two = ast.Assign(ident("y"), num(2), None, X)
    assert stmt("if x == 1 {\n y = 1\n}") == ast.If(cond, (one_,), None, X)
    assert stmt("if x == 1 {\n y = 1\n} else {\n y = 2\n}") == ast.If(
        cond, (one_,), (two,), X
    )
    # `else` may start the line after `}`; `else if` chains
    nested = stmt("if x == 1 {\n y = 1\n}\nelse if x == 2 {\n y = 2\n}")
    assert nested == ast.If(
        cond,
        (one_,),
        (ast.If(ast.Binary("==", name("x"), num(2), X), (two,), None, X),),
        X,
    )


def test_while_atomic() -> None:
    assert stmt("while n < 3 {\n n = n + 1\n}") == ast.While(
        ast.Binary("<", name("n"), num(3), X),
        (ast.Assign(ident("n"), ast.Binary("+", name("n"), num(1), X), None, X),),
        X,
    )
    assert stmt("atomic {\n await f == 1\n f = 0\n}") == ast.Atomic(
        (
            ast.Await(ast.Binary("==", name("f"), num(1), X), X),
            ast.Assign(ident("f"), num(0), None, X),
        ),
        X,
    )
    assert stmt("atomic { }") == ast.Atomic((), X)


def test_statement_separators_and_continuations() -> None:
    assert len(stmts("x = 1; y = 2")) == 2
    assert len(stmts("x = 1;\n\n  y = 2  # comment\n")) == 2
    assert stmt("ok_ = a and\n b") == ast.Assign(
        ident("ok_"), ast.Binary("and", name("a"), name("b"), X), None, X
    )
    assert stmt("x = (1 +\n 2)") == ast.Assign(
        ident("x"), ast.Binary("+", num(1), num(2), X), None, X
    )
    assert stmt("set_volatile(p0,\n  w=0)") == ast.ExprStmt(
        call("set_volatile", name("p0"), w=num(0)), None, X
    )
    decl = items("guest U unused,\n      S\nhost r\n")
    assert len(decl) == 2


# ------------------------------------------------------------------------- expressions


def test_literals() -> None:
    assert expr("42") == num(42)
    assert expr("-5") == num(-5)
    assert expr("true") == ast.BoolLit(True, X)
    assert expr("false") == ast.BoolLit(False, X)
    assert expr("ok") == ast.ResultLit("ok", X)
    assert expr("fail") == ast.ResultLit("fail", X)


def test_state_expressions() -> None:
    assert expr("state(p0)") == ast.StateOf(ident("p0"), X)
    assert expr("state(p0) == Vz") == ast.Binary(
        "==", ast.StateOf(ident("p0"), X), name("Vz"), X
    )
    assert expr("state(p0) in {Vz, U.z}") == ast.InSet(
        ast.StateOf(ident("p0"), X), (name("Vz"), ast.DottedState("U", "z", X)), X
    )
    assert expr("dirty(p0)") == call("dirty", name("p0"))


def test_operator_precedence() -> None:
    a, b, c = name("a"), name("b"), name("c")
    assert expr("a or b and not c") == ast.Binary(
        "or", a, ast.Binary("and", b, ast.Unary("not", c, X), X), X
    )
    assert expr("a + 1 == b - -c") == ast.Binary(
        "==",
        ast.Binary("+", a, num(1), X),
        ast.Binary("-", b, ast.Unary("-", c, X), X),
        X,
    )
    assert expr("not a == 1") == ast.Unary("not", ast.Binary("==", a, num(1), X), X)
    assert expr("(a or b) and c") == ast.Binary("and", ast.Binary("or", a, b, X), c, X)
    assert expr("a - b + c") == ast.Binary("+", ast.Binary("-", a, b, X), c, X)
    for op in ("==", "!=", "<", "<=", ">", ">="):
        assert expr(f"a {op} b") == ast.Binary(op, a, b, X)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- spans


def test_spans() -> None:
    source = SourceFile(
        "t.pg", "use hinting\n\nthread cpu0 {\n  r = read(p0)  # c\n}\n"
    )
    file = parse(source)
    use, thread = file.items
    assert (use.span.line, use.span.col, use.span.end_col) == (1, 1, 12)
    assert isinstance(thread, ast.ThreadDecl)
    assert (thread.name.span.line, thread.name.span.col, thread.name.span.end_col) == (
        3,
        8,
        12,
    )
    assign = thread.body[0]
    assert isinstance(assign, ast.Assign)
    assert (assign.span.line, assign.span.col, assign.span.end_col) == (4, 3, 15)
    assert (assign.target.span.col, assign.target.span.end_col) == (3, 4)
    assert isinstance(assign.value, ast.Call)
    (arg,) = assign.value.args
    assert (arg.span.line, arg.span.col, arg.span.end_col) == (4, 12, 14)
    assert assign.span.excerpt() == "  r = read(p0)  # c\n  ^^^^^^^^^^^^"


def test_transition_spans() -> None:
    decl = one("Sr, Vr -> same on read if dirty => fault\n")
    assert isinstance(decl, ast.TransitionDecl)
    assert (decl.span.col, decl.span.end_col) == (1, 41)
    assert [(s.span.col, s.span.end_col) for s in decl.sources] == [(1, 3), (5, 7)]
    assert (decl.ops[0].name.span.col, decl.ops[0].name.span.end_col) == (19, 23)
    assert decl.guard is not None
    assert (decl.guard.span.col, decl.guard.span.end_col) == (27, 32)
    assert (decl.results[0].span.col, decl.results[0].span.end_col) == (36, 41)


def test_pretty_syntax_ignores_layout() -> None:
    tight = parse(
        SourceFile("a.pg", "thread t {x = 1; if x == 1 {y = 2} else {y = 3}}\n")
    )
    loose = parse(
        SourceFile(
            "b.pg",
            "\n# c\nthread t {\n  x = 1\n  if x == 1 {\n "
            "   y = 2\n  }\n  else {\n    y = 3\n  }\n}\n",
        )
    )
    assert tight == loose


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "  \n# c\n\n"])
def test_empty_files_parse_to_nothing(text: str) -> None:
    assert items(text) == ()


def test_a_label_marks_any_statement() -> None:
    body = stmts("top: x = 1\nspin: while x == 1 {\n  inner: x = 2\n}\nall: atomic { }")
    assert [s.label for s in body] == [ident("top"), ident("spin"), ident("all")]
    loop = body[1]
    assert isinstance(loop, ast.While) and loop.body[0].label == ident("inner")
    handled = stmt("read(p0) on fault {\n  h: x = 3\n}")
    assert isinstance(handled, ast.ExprStmt) and handled.handler is not None
    assert handled.handler[0].label == ident("h") and handled.label is None


def test_a_label_is_not_part_of_the_statement() -> None:
    """The statement keeps its own span (messages point at it, not at the label),
    and an unlabelled statement is what it was."""
    s = stmt("got: x = 1")
    assert s.span.col == 6 and s == ast.Assign(
        ident("x"), ast.IntLit(1, X), None, X, ident("got")
    )
    assert stmt("x = 1").label is None


def test_labels_do_not_nest() -> None:
    with pytest.raises(SourceError):
        stmts("a: b: x = 1")


def test_check_eventually_names_a_thread_and_a_label() -> None:
    item = one("check eventually cpu0 at got, terminates\n")
    assert item == ast.PropertyList(
        True,
        (
            ast.PointCheck(
                ident("eventually"), ident("cpu0"), ident("at"), ident("got"), X
            ),
            ident("terminates"),
        ),
        X,
    )


def test_at_and_eventually_stay_names() -> None:
    assert stmt("at = eventually + 1") == ast.Assign(
        ident("at"),
        ast.Binary("+", ast.Name("eventually", X), ast.IntLit(1, X), X),
        None,
        X,
    )
