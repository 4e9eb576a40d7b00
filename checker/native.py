"""The explicit engine's breadth-first layer compiled to C, where a C compiler is.

A Python search stores a state as an integer in a set and expands it by calling the
step function of `packed.py`: about 10 microseconds a state. Spin compiles its model
to C and goes a hundred times faster. This module does the same for the explicit
engine's plain breadth-first search: it writes the spec's step function in C over
the bit layout of `packed.py` (a state is that integer, as 64-bit words), appends the
search's bookkeeping (`native_search.c`: a hash set of states, parent links and
positions, the layer being expanded and the next), compiles it with the system's C
compiler (`$CC`, else `cc`, else `gcc`) into a library cached by the hash of its
source, and loads it with `ctypes`.

Nothing here says what a statement means: the moves of `step.py` are translated term
by term, as `packed.py` does for Python, in the same order, so a stored state's index,
its parent link and its position among its parent's successors are the ones the
Python search would store, and traces are rebuilt by the same replay on the
reference semantics. `tests/engines/test_native.py` compares the two on every shipped
spec. Set `PAGECHECK_NATIVE=0` to never use it.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from array import array
from importlib import resources
from pathlib import Path

from . import terms as T
from .packed import Field, PackedStep, Syntax, WidthExceeded, code, render
from .step import Move, Status
from .symmetry import Block, blocks

#: Integer fields wider than this would overflow C's 64-bit arithmetic.
MAX_FIELD_BITS = 62
#: gcc's -O1 builds a large step function in half the time of -O2, and the search
#: runs about as fast: its time goes to hashing and copying states.
OPTIMIZE = os.environ.get("PAGECHECK_NATIVE_CFLAGS", "-O1")
#: The position of a successor among its parent's is stored in 16 bits.
MAX_MOVES = 2**16 - 1

OVERFLOW, NO_MEMORY = -1, -2
FOUND_MOVE, FOUND_NEVER, FOUND_DEADLOCK = 0, 1, 2


C_SYNTAX = Syntax(
    true="1",
    false="0",
    literal=lambda value, sort: f"{code(value, sort)}LL",
    read=lambda slot: f"v{slot}",
    not_="!",
    and_=" && ",
    or_=" || ",
    ite="({c} ? {a} : {b})",
)


class NativeUnavailable(Exception):
    """No C compiler, a spec it cannot take, or a build that failed: the reason."""


def enabled() -> bool:
    """Whether the native search may be used at all (`PAGECHECK_NATIVE=0`: never)."""
    return os.environ.get("PAGECHECK_NATIVE", "1") != "0"


def compiler() -> str | None:
    """The C compiler to use, if there is one."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        if name and shutil.which(name):
            return name
    return None


class NativeStep:
    """The compiled search library of one spec's step function."""

    def __init__(self, packed: PackedStep, *, symmetry: bool = False) -> None:
        d = packed.definition
        if any(f.width > MAX_FIELD_BITS for f in packed.fields):
            raise NativeUnavailable("an integer field is wider than 62 bits")
        if len(d.moves) > MAX_MOVES:
            raise NativeUnavailable("more moves than a 16-bit position can name")
        groups = blocks(packed) if symmetry else ()
        if groups is None or any(w > 64 for g in groups for _, w in g):
            raise NativeUnavailable(
                "a symmetric thread's slots are not one 64-bit block"
            )
        self.packed = packed
        self.words = max(1, -(-packed.bits // 64))
        writer = _CWriter(packed, self.words)
        self.source = writer.module() + writer.canon(groups) + _runtime()
        self.library = _load(_build(self.source))
        _declare(self.library)

    def search(self, s0: int, *, never: bool, deadlock: bool) -> NativeSearch:
        return NativeSearch(self, s0, never=never, deadlock=deadlock)


class NativeSearch:
    """One breadth-first search in C: the layer being expanded, the next, the stored
    states and their links. The calls mirror `engines/explicit._Search`."""

    def __init__(
        self, step: NativeStep, s0: int, *, never: bool, deadlock: bool
    ) -> None:
        self.step = step
        self.lib = step.library
        self.handle = self.lib.pc_new(int(never), int(deadlock))
        if not self.handle:
            raise MemoryError("no memory for the native search")
        if self.lib.pc_start(self.handle, self._words(s0)) != 0:
            raise MemoryError("no memory for the native search")

    def close(self) -> None:
        if self.handle:
            self.lib.pc_free(self.handle)
            self.handle = None

    def __del__(self) -> None:
        self.close()

    def _words(self, s: int) -> ctypes.Array[ctypes.c_uint64]:
        n = self.step.words
        return (ctypes.c_uint64 * n)(*((s >> (64 * k)) & (2**64 - 1) for k in range(n)))

    def expand(self, most: int, beyond: bool) -> int:
        """Expand up to `most` states of the layer; how many were expanded."""
        done = int(self.lib.pc_expand(self.handle, most, int(beyond)))
        if done == OVERFLOW:
            raise WidthExceeded("an integer outgrew its field")
        if done == NO_MEMORY:
            raise MemoryError("no memory for the native search")
        return done

    def left(self) -> int:
        """States of the current layer not yet expanded."""
        return int(self.lib.pc_layer_left(self.handle))

    def next_size(self) -> int:
        return int(self.lib.pc_next_size(self.handle))

    def advance(self) -> int:
        """Start the next layer; its size."""
        return int(self.lib.pc_advance(self.handle))

    def count(self) -> int:
        return int(self.lib.pc_count(self.handle))

    def transitions(self) -> int:
        return int(self.lib.pc_transitions(self.handle))

    def stored_bytes(self) -> int:
        return int(self.lib.pc_bytes(self.handle))

    def found(self) -> list[tuple[int, int, int]]:
        """The violations of this layer so far: (kind, parent index, move or
        position)."""
        n = int(self.lib.pc_found(self.handle))
        buffer = (ctypes.c_int32 * (3 * n))()
        self.lib.pc_copy_found(self.handle, buffer)
        return [(buffer[3 * k], buffer[3 * k + 1], buffer[3 * k + 2]) for k in range(n)]

    def links(self) -> tuple[array[int], array[int]]:
        """Every stored state's parent index and position, by index."""
        n = self.count()
        parent = (ctypes.c_uint32 * n)()
        position = (ctypes.c_uint16 * n)()
        self.lib.pc_copy_links(self.handle, parent, position)
        return array("I", bytes(parent)), array("H", bytes(position))


# --------------------------------------------------------------------------- building


def _runtime() -> str:
    return resources.files("checker").joinpath("native_search.c").read_text()


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pagecheck" / "native"


def _build(source: str) -> Path:
    """The library compiled from `source`, from the cache when it is there."""
    cc = compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler (cc or gcc) on PATH")
    digest = hashlib.sha256(f"{cc}\n{source}".encode()).hexdigest()[:32]
    folder = _cache_dir()
    target = folder / f"step-{digest}.so"
    if target.exists():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            c_file = Path(tmp) / "step.c"
            c_file.write_text(source)
            built = Path(tmp) / "step.so"
            done = subprocess.run(
                [cc, OPTIMIZE, "-shared", "-fPIC", "-o", str(built), str(c_file)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if done.returncode != 0:
                first = (done.stderr.strip().splitlines() or ["no message"])[0]
                raise NativeUnavailable(f"the C compiler failed: {first}")
            os.replace(built, target)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NativeUnavailable(f"could not build the native search: {error}") from None
    return target


def _load(path: Path) -> ctypes.CDLL:
    try:
        return ctypes.CDLL(str(path))
    except OSError as error:
        raise NativeUnavailable(f"could not load {path.name}: {error}") from None


def _declare(lib: ctypes.CDLL) -> None:
    p, c_long = ctypes.c_void_p, ctypes.c_long
    lib.pc_new.argtypes, lib.pc_new.restype = [ctypes.c_int, ctypes.c_int], p
    lib.pc_free.argtypes, lib.pc_free.restype = [p], None
    lib.pc_start.argtypes = [p, ctypes.POINTER(ctypes.c_uint64)]
    lib.pc_start.restype = ctypes.c_int
    lib.pc_expand.argtypes, lib.pc_expand.restype = [p, c_long, ctypes.c_int], c_long
    for name in ("pc_advance", "pc_layer_left", "pc_next_size", "pc_count", "pc_found"):
        getattr(lib, name).argtypes = [p]
        getattr(lib, name).restype = c_long
    for name in ("pc_transitions", "pc_bytes"):
        getattr(lib, name).argtypes = [p]
        getattr(lib, name).restype = ctypes.c_uint64
    lib.pc_copy_found.argtypes = [p, ctypes.POINTER(ctypes.c_int32)]
    lib.pc_copy_found.restype = None
    lib.pc_copy_links.argtypes = [
        p,
        ctypes.POINTER(ctypes.c_uint32),
        ctypes.POINTER(ctypes.c_uint16),
    ]
    lib.pc_copy_links.restype = None


# --------------------------------------------------------------------------- C source


class _CWriter:
    """Writes the C source of a spec's step function (see `native_search.c` for
    what it must define)."""

    def __init__(self, packed: PackedStep, words: int) -> None:
        self.p = packed
        self.d = packed.definition
        self.fields = packed.fields
        self.words = words
        self.lines: list[str] = []

    def module(self) -> str:
        d = self.d
        self.lines += [
            "#include <stdint.h>",
            f"#define W {self.words}",
            f"#define MAX_OUT {max(1, len(d.moves))}",
            "",
            "static int expand(const uint64_t *s, uint64_t *out, int *nout,"
            " int32_t *bad, int *nbad) {",
            "    uint64_t *o;",
            *self.reads(),
        ]
        for t, ts in enumerate(d.layout.threads):
            per_pc = d.by_pc[t]
            if not per_pc:
                continue
            status, counter = self.fields[ts.status], self.fields[ts.pc]
            both = Field(status.offset, status.width + counter.width)
            self.lines += [
                f"    {{ uint64_t x = {self.get(both)};",
                f"    if (!(x & {status.mask}u)) switch (x >> {status.width}) {{",
            ]
            for pc, moves in enumerate(per_pc):
                if not moves:
                    continue
                self.lines.append(f"    case {pc}:")
                for m in moves:
                    self.move(m, "        ")
                self.lines.append("        break;")
            self.lines.append("    } }")
        for m in d.host_moves:
            self.move(m, "    ")
        self.lines += ["    return 0;", "}", ""]
        self.never()
        self.running()
        return "\n".join(self.lines) + "\n"

    def move(self, m: Move, indent: str) -> None:
        inner = indent + "    "
        self.lines.append(f"{indent}if ({self.expr(m.condition)}) {{")
        if m.violation is not None:
            self.lines.append(f"{inner}bad[(*nbad)++] = {m.index};")
        else:
            self.lines += [inner + line for line in self.successor(m)]
        self.lines.append(f"{indent}}}")

    def successor(self, m: Move) -> list[str]:
        """Lines writing the state after `m` to the next slot of `out`: per word,
        the bits no update touches, the literal updates as one constant, and each
        computed value shifted into place."""
        lines = ["o = out + (*nout) * W;"]
        keep = [2**64 - 1] * self.words
        constant = [0] * self.words
        parts: list[list[str]] = [[] for _ in range(self.words)]
        for slot, term in m.updates:
            if term == self.d.layout.read(slot):
                continue
            f = self.fields[slot]
            word, bit = divmod(f.offset, 64)
            spill = bit + f.width - 64
            keep[word] &= ~(f.mask << bit) & (2**64 - 1)
            if spill > 0:
                keep[word + 1] &= ~((1 << spill) - 1) & (2**64 - 1)
            if isinstance(term, T.Lit):
                raw = code(term.value, self.d.layout.slots[slot].sort) + f.bias
                constant[word] |= (raw << bit) & (2**64 - 1)
                if spill > 0:
                    constant[word + 1] |= raw >> (64 - bit)
                continue
            name = f"n{slot}"
            lines.append(f"const int64_t {name} = {self.expr(term)};")
            if self.d.layout.slots[slot].sort == "int":
                lo, hi = -f.bias, f.mask - f.bias
                lines.append(f"if ({name} < {lo}LL || {name} > {hi}LL) return 1;")
            stored = f"((uint64_t)({name} + {f.bias}LL) & {f.mask}ull)"
            parts[word].append(f"({stored} << {bit})")
            if spill > 0:
                parts[word + 1].append(f"({stored} >> {64 - bit})")
        for k in range(self.words):
            terms = (
                [f"s[{k}]"] if keep[k] == 2**64 - 1 else [f"(s[{k}] & {keep[k]}ull)"]
            )
            if constant[k]:
                terms.append(f"{constant[k]}ull")
            lines.append(f"o[{k}] = {' | '.join(terms + parts[k])};")
        return [*lines, "(*nout)++;"]

    def get(self, f: Field) -> str:
        """The raw field of `s` as an unsigned 64-bit value."""
        word, bit = divmod(f.offset, 64)
        mask = f"{f.mask}ull"
        if bit + f.width <= 64:
            return f"((s[{word}] >> {bit}) & {mask})"
        return f"(((s[{word}] >> {bit}) | (s[{word + 1}] << {64 - bit})) & {mask})"

    def reads(self) -> list[str]:
        """Every slot's value as a local `v<slot>` (the compiler drops those that a
        function does not use)."""
        out = []
        for slot, f in enumerate(self.fields):
            value = f"(int64_t){self.get(f)}"
            if f.bias:
                value = f"{value} - {f.bias}LL"
            out.append(f"    const int64_t v{slot} = {value};")
        return out

    def expr(self, term: T.Term) -> str:
        return render(term, C_SYNTAX)

    def canon(self, groups: tuple[tuple[Block, ...], ...]) -> str:
        """`canon(s)`: the orbit's representative of `s`, in place: each group's
        thread blocks in ascending order, as `symmetry.canonicalizer` does."""
        lines = ["static void canon(uint64_t *s) {"]
        for group in groups:
            n = len(group)
            lines.append(f"    {{ uint64_t b[{n}];")
            lines += [
                f"    b[{k}] = {self.get(Field(start, width))};"
                for k, (start, width) in enumerate(group)
            ]
            ordered = " && ".join(f"b[{k}] <= b[{k + 1}]" for k in range(n - 1))
            lines += [
                f"    if (!({ordered})) {{",
                f"        for (int i = 1; i < {n}; i++)",
                "            for (int j = i; j > 0 && b[j - 1] > b[j]; j--) {",
                "                uint64_t x = b[j]; b[j] = b[j - 1]; b[j - 1] = x;",
                "            }",
            ]
            for k, (start, width) in enumerate(group):
                lines += [
                    "        " + line for line in self.store(start, width, f"b[{k}]")
                ]
            lines.append("    } }")
        return "\n".join([*lines, "    (void)s;", "}", ""]) + "\n"

    def store(self, offset: int, width: int, value: str) -> list[str]:
        """Lines writing `value` (already masked) into bits `offset`.. of `s`."""
        word, bit = divmod(offset, 64)
        mask = (1 << width) - 1
        lines = [
            f"s[{word}] = (s[{word}] & ~({mask}ull << {bit})) | ({value} << {bit});"
        ]
        spill = bit + width - 64
        if spill > 0:
            lines.append(
                f"s[{word + 1}] = (s[{word + 1}] & ~{(1 << spill) - 1}ull)"
                f" | ({value} >> {64 - bit});"
            )
        return lines

    def never(self) -> None:
        nevers = self.d.nevers if "never" in self.d.spec.properties else ()
        self.lines += ["static int never_at(const uint64_t *s) {", *self.reads()]
        for k, (cond, _) in enumerate(nevers):
            self.lines.append(f"    if ({self.expr(cond)}) return {k};")
        self.lines += ["    (void)s;", "    return -1;", "}", ""]

    def running(self) -> None:
        self.lines.append("static int running(const uint64_t *s) {")
        for ts in self.d.layout.threads:
            f = self.fields[ts.status]
            self.lines.append(
                f"    if ({self.get(f)} == {int(Status.RUNNING)}) return 1;"
            )
        self.lines += ["    (void)s;", "    return 0;", "}", ""]
