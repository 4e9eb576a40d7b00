"""Scenario families that grow with N, generated as `.pg` spec text.

Every family runs under the `hinting` model (models/hinting.pg, the example model of
the language reference) with the chaotic host: no `host` line, so the host may swap and
discard any page at any step, whenever the model enables it.

- `churn`: N CPUs, each owning one page that starts `Uz` without data. Each CPU makes
  its page stable, writes its number, reads it back, hands the page to the host as
  volatile (`set_volatile(w=0)`), takes it back with `set_stable_if_present`, refills it
  when that fails (the host discarded it), reads and checks it again and frees it.
  Expected: safe.
- `refcount`: one page `Sr = 42` shared by an owner, N CPUs and a reader that comes
  later, with a shared reference count `ref` (one reference for the owner and one per
  CPU). The owner takes one more reference for the reader (`ref = ref + 1`, one step)
  and hands it over; the reader reads the page and asserts 42. Every put, the owner's,
  each CPU's and the reader's, is a non-atomic decrement (`t = ref` then
  `ref = t - 1`), and whoever sees `t == 1` calls `set_unused`. A CPU that reads `ref`
  before the owner's get and writes it back after loses the reader's reference (the
  lost update); once the owner and the other CPUs have put theirs, the last sees
  `t == 1` and frees the page while the reader has yet to read it, the host discards
  it, and the reader reads a discarded page. Expected: violation, silent-loss, found
  only after every other holder has put its reference, so the shortest schedule grows
  with N.
- `refcount-fixed`: the same with each put's read and write in one `atomic` block.
  Expected: safe.
- `pagecache`: N clean page-cache pages (`Sr = i`, the file holds i). A writer CPU makes
  them volatile one by one and announces each (`made = i`); a reader CPU takes each one
  back as soon as it is announced: it uses the cached page first (a read whose discard
  fault handler refills the page from the file and returns it to the cache as clean
  and volatile), then takes it back with `set_stable_if_present`, refills it when that
  fails, and reads and checks it. Expected: safe.

`spec_text(family, n)` returns the text; `use` chooses how the model is named
(`hinting`, found through `--models`/`models_dirs`, or a quoted path relative to the
spec file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MODEL = "hinting"
EXAMPLE_USE = '"../../models/hinting.pg"'
"""The `use` target of the example specs written to benchmarks/specs/."""


@dataclass(frozen=True)
class Family:
    name: str
    expect: str  # "safe" or "violation"
    prop: str | None  # the property of the expected violation
    build: Callable[[int], list[str]]  # the spec's body (after `use`) for N
    summary: str


def _churn(n: int) -> list[str]:
    out: list[str] = []
    for i in range(1, n + 1):
        out.append(f"page p{i} : Uz # CPU {i}'s page, no data yet")
    for i in range(1, n + 1):
        p = f"p{i}"
        out += [
            "",
            f"thread cpu{i} {{",
            f"  set_stable({p}) # Uz -> Sz",
            f"  write({p}, {i}) # first touch maps the page",
            f"  r = read({p})",
            f"  assert r == {i}",
            f"  set_volatile({p}, w=0) # hand it to the host as volatile",
            f"  res = set_stable_if_present({p}) # take it back",
            "  if res == fail { # the host discarded it: refill",
            f"    set_stable({p})",
            f"    write({p}, {i})",
            "  }",
            f"  r = read({p})",
            f"  assert r == {i}",
            f"  set_unused({p}) # free it",
            "}",
        ]
    return out


def _put(atomic: bool) -> list[str]:
    """One put of the shared reference count: whoever sees t == 1 frees the page."""
    if atomic:
        body = [
            "  atomic { # put_page, atomic",
            "    t = ref",
            "    ref = t - 1",
            "  }",
        ]
    else:
        body = ["  t = ref # put_page, not atomic", "  ref = t - 1"]
    return [*body, "  if t == 1 { # the last reference", "    set_unused(pg)", "  }"]


def _refcount(n: int, *, atomic: bool) -> list[str]:
    out = [
        "page pg : Sr = 42",
        f"var  ref = {n + 1} # the owner's reference and one per CPU",
        "var  handed = 0",
        "",
        "thread owner {",
        "  ref = ref + 1 # get_page for the reader (one step)",
        "  handed = 1 # hand the page and its reference over",
        *_put(atomic),
        "}",
    ]
    for i in range(1, n + 1):
        out += ["", f"thread cpu{i} {{", *_put(atomic), "}"]
    out += [
        "",
        "thread reader {",
        "  await handed == 1",
        "  r = read(pg)",
        "  assert r == 42",
        *_put(atomic),
        "}",
    ]
    return out


def _pagecache(n: int) -> list[str]:
    out: list[str] = []
    for i in range(1, n + 1):
        out.append(f"page c{i} : Sr = {i} # clean page-cache page; the file holds {i}")
    out += ["var  made = 0 # pages made volatile so far", "", "thread writer {"]
    for i in range(1, n + 1):
        out += [f"  set_volatile(c{i}, w=0)", f"  made = {i}"]
    out += ["}", "", "thread reader {"]
    for i in range(1, n + 1):
        c = f"c{i}"
        out += [
            f"  await made >= {i}",
            f"  read({c}) on fault {{ # use the cached page; a discarded one faults",
            f"    set_stable({c}) # the fault handler refills it from the file",
            f"    write({c}, {i})",
            f"    set_volatile({c}, w=0) # and returns it to the cache, clean",
            "  }",
            f"  res = set_stable_if_present({c}) # take it back",
            "  if res == fail { # discarded meanwhile: refill",
            f"    set_stable({c})",
            f"    write({c}, {i})",
            "  }",
            f"  r = read({c})",
            f"  assert r == {i}",
        ]
    out.append("}")
    return out


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "churn",
            "safe",
            None,
            _churn,
            "N CPUs, one page each: stable, volatile, stable again, free",
        ),
        Family(
            "refcount",
            "violation",
            "silent-loss",
            lambda n: _refcount(n, atomic=False),
            "an owner, N CPUs and a reader share a page;"
            " a non-atomic put loses the reader's reference",
        ),
        Family(
            "refcount-fixed",
            "safe",
            None,
            lambda n: _refcount(n, atomic=True),
            "the same, with every put atomic",
        ),
        Family(
            "pagecache",
            "safe",
            None,
            _pagecache,
            "a writer makes N clean pages volatile, a reader takes them back",
        ),
    )
}


def bound(n: int) -> int:
    """The spec's bound: above every family's longest shortest path (about 15 steps
    per CPU or page), so that the default bound of 100 never cuts a search short."""
    return 20 * n + 20


def spec_text(family: str, n: int, *, use: str = MODEL) -> str:
    """The spec of `family` at size `n` (n >= 1), ending in its `expect` line."""
    if n < 1:
        raise ValueError(f"N must be at least 1, got {n}")
    fam = FAMILIES[family]
    expect = "expect safe" if fam.expect == "safe" else f"expect violation {fam.prop}"
    lines = [
        f"# benchmarks: family {family}, N = {n} (written by benchmarks/families.py).",
        f"# {fam.summary}.",
        f"use {use}",
        "",
        *fam.build(n),
        "",
        f"bound {bound(n)} # longer than any loop-free run needs",
        expect,
    ]
    return "\n".join(_align(line) for line in lines) + "\n"


def _align(line: str, column: int = 36) -> str:
    """Put a statement's trailing comment at `column` (a cosmetic for the examples)."""
    code, sep, comment = line.partition(" # ")
    if not sep or not code.strip() or code.lstrip().startswith("#"):
        return line
    code = code.rstrip()
    return f"{code.ljust(column - 1)} # {comment.strip()}"


def example_path_name(family: str, n: int) -> str:
    return f"{family.replace('-', '_')}_{n}.pg"
