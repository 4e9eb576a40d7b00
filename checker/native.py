"""The explicit engine's searches and the coverage search compiled to C, where a C
compiler is.

A Python search stores a state as an integer in a set and expands it by calling the
step function of `packed.py`: about 10 microseconds a state. Spin compiles its model
to C and goes a hundred times faster. This module does the same for the explicit
engine: it writes the spec's step function in C over the bit layout of `packed.py` (a
state is that integer, as 64-bit words), with a function per thread counter and per
page of host moves, and from them what the reductions need: each thread's chain of
merged local steps, the move groups of the stubborn sets, the choice of one state per
orbit of symmetric threads, and the tests of the `never` conjuncts that coverage
measures. It appends the searches' bookkeeping
(`native_search.c`), compiles the whole with the system's C compiler (`$CC`, else
`cc`, else `gcc`) into a library cached by the hash of its source, and loads it with
`ctypes`.

Nothing here says what a statement means: the moves of `step.py` are translated term
by term, as `packed.py` does for Python, in the same order, so a stored state's index,
its parent link and its position among its parent's successors are the ones the
Python search would store, and traces are rebuilt by the same replay on the
reference semantics. `tests/engines/test_native.py` compares the two on every shipped
spec. Set `PAGECHECK_NATIVE=0` to never use it.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import itertools
import os
import shutil
import subprocess
import tempfile
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from . import terms as T
from .packed import Field, PackedStep, Syntax, WidthExceeded, code, host_pages, render
from .reduction import Candidate, LocalSteps, local_steps, merged_fanout, move_groups
from .step import HOST, Move, Status, StepDefinition
from .symmetry import Block, blocks

#: A search that stores this many states starts again in C, where a C compiler is:
#: the C search redoes in milliseconds what Python took this long for, and goes on
#: about a hundred times faster, storing the same states in fewer bytes. The library
#: is built once per spec (a second or less; it is cached), so a search that ends
#: sooner never waits for a compiler. A state count, not a time, decides, so that
#: one machine always gives one answer.
SWITCH_AT = 5_000
#: Integer fields wider than this would overflow C's 64-bit arithmetic.
MAX_FIELD_BITS = 62
#: gcc's -Og builds a large step function in a third less time than -O1 and in a
#: third of -O2's, and the search runs about as fast (within 10%): its time goes to
#: hashing and copying states. -O0 builds faster still but searches half as fast.
OPTIMIZE = os.environ.get("PAGECHECK_NATIVE_CFLAGS", "-Og")
#: Libraries kept in the cache, the ones used last.
CACHE_KEEP = 200
#: The position of a successor among its parent's is stored in 16 bits.
MAX_MOVES = 2**16 - 1

OVERFLOW, NO_MEMORY, NEED_CANDIDATES = -1, -2, -3
FOUND_SIZE = 5
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


def conjunct_terms(d: StepDefinition) -> list[tuple[int, T.Term]]:
    """The conjuncts of every checked `never A and B ...`, with the number of its
    `never`: the library tests each (`conjunct`) for the coverage search."""
    if "never" not in d.spec.properties:
        return []
    return [
        (k, operand)
        for k, (term, _) in enumerate(d.nevers)
        if isinstance(term, T.And)
        for operand in term.operands
    ]


class NativeStep:
    """The compiled search library of one spec's step function."""

    def __init__(
        self, packed: PackedStep, *, symmetry: bool = False, timeout: float = 120.0
    ) -> None:
        d = packed.definition
        if any(f.width > MAX_FIELD_BITS for f in packed.fields):
            raise NativeUnavailable("an integer field is wider than 62 bits")
        groups = blocks(packed) if symmetry else ()
        if groups is None or any(w > 64 for g in groups for _, w in g):
            raise NativeUnavailable(
                "a symmetric thread's slots are not one 64-bit block"
            )
        local = local_steps(d)
        most = max(len(d.moves), merged_fanout(d, local))
        if most > MAX_MOVES:
            raise NativeUnavailable("more moves than a 16-bit position can name")
        self.packed = packed
        self.symmetry = symmetry
        self.words = max(1, -(-packed.bits // 64))
        writer = _CWriter(packed, self.words, local)
        self.source = writer.module(most) + writer.canon(groups) + _runtime()
        self.library = _load(_build(self.source, timeout))
        _declare(self.library)

    def words_of(self, s: int) -> ctypes.Array[ctypes.c_uint64]:
        n = self.words
        return (ctypes.c_uint64 * n)(*((s >> (64 * k)) & (2**64 - 1) for k in range(n)))

    def search(self, *, never: bool, deadlock: bool) -> NativeSearch:
        return NativeSearch(self, never=never, deadlock=deadlock)


#: Libraries built lately, newest last: the engine's searches, the coverage search
#: and the liveness search of one check share one.
_built: list[NativeStep] = []


def built(packed: PackedStep, *, symmetry: bool | None, timeout: float) -> NativeStep:
    """`NativeStep(packed, symmetry=...)`, or the one built lately for the same step
    function; `symmetry` None takes either (a search that never asks for one state
    per orbit), and builds without."""
    for step in reversed(_built):
        if step.packed is packed and symmetry in (None, step.symmetry):
            return step
    step = NativeStep(packed, symmetry=bool(symmetry), timeout=timeout)
    _built[:] = [*_built[-1:], step]
    return step


class NativeSearch:
    """The stored states, their links and the violations found of one search in C,
    and the calls of its three kinds, which mirror `engines/explicit.py`: the
    breadth-first layer (`start`, `expand`, `advance`), the partial-order-reduced
    layer (`start`, `expand_reduced`, `advance`), and the expansion by distance with
    merged local steps (`start_weighted`, `expand_weighted`, `finish`)."""

    def __init__(self, step: NativeStep, *, never: bool, deadlock: bool) -> None:
        self.step = step
        self.lib = step.library
        self.handle = self.lib.pc_new(int(never), int(deadlock))
        if not self.handle:
            raise MemoryError("no memory for the native search")

    def close(self) -> None:
        if self.handle:
            self.lib.pc_free(self.handle)
            self.handle = None

    def __del__(self) -> None:
        self.close()

    @staticmethod
    def _done(code: int) -> int:
        if code == OVERFLOW:
            raise WidthExceeded("an integer outgrew its field")
        if code == NO_MEMORY:
            raise MemoryError("no memory for the native search")
        return code

    # -- the breadth-first and partial-order layers
    def start(self, s0: int) -> None:
        self._done(self.lib.pc_start(self.handle, self.step.words_of(s0)))

    def expand(self, most: int, beyond: bool) -> int:
        """Expand up to `most` states of the layer; how many were expanded."""
        return self._done(int(self.lib.pc_expand(self.handle, most, int(beyond))))

    def expand_reduced(
        self, most: int, candidates: Callable[[int], Sequence[Candidate]]
    ) -> int:
        """Expand up to `most` states of the layer by the partial-order reduction,
        stopping at a violation; `candidates(s)` are those of the control vector
        of `s`, asked once per vector."""
        while True:
            done = int(self.lib.pc_por_expand(self.handle, most))
            if done != NEED_CANDIDATES:
                return self._done(done)
            missing = (ctypes.c_uint64 * self.step.words)()
            self.lib.pc_missing(self.handle, missing)
            s = sum(word << (64 * k) for k, word in enumerate(missing))
            learnt = candidates(s)
            listed = [len(learnt)]
            for c in learnt:
                listed += [int(c.visible), len(c.groups), *c.groups]
            table = (ctypes.c_int32 * len(listed))(*listed)
            self._done(self.lib.pc_learn(self.handle, table, len(listed)))

    def left(self) -> int:
        """States of the current layer not yet expanded."""
        return int(self.lib.pc_layer_left(self.handle))

    def next_size(self) -> int:
        return int(self.lib.pc_next_size(self.handle))

    def advance(self) -> int:
        """Start the next layer; its size."""
        return int(self.lib.pc_advance(self.handle))

    # -- by distance, with merged local steps
    def start_weighted(self, s0: int, bound: int) -> None:
        self._done(self.lib.pc_w_start(self.handle, self.step.words_of(s0), bound))

    def expand_weighted(self, w: int, most: int) -> int:
        """Expand up to `most` more of the states at distance `w`."""
        return self._done(int(self.lib.pc_w_expand(self.handle, w, most)))

    def left_at(self, w: int) -> int:
        return int(self.lib.pc_w_left(self.handle, w))

    def finish(self, w: int) -> None:
        """Done with distance `w`."""
        self.lib.pc_w_finish(self.handle, w)

    def queued(self) -> int:
        """States waiting at some distance (stale entries included)."""
        return int(self.lib.pc_w_queued(self.handle))

    def deepest(self) -> int:
        return int(self.lib.pc_w_deepest(self.handle))

    def beyond(self) -> bool:
        """A violation lay beyond the bound."""
        return bool(self.lib.pc_w_beyond(self.handle))

    def over_unseen(self) -> int:
        """States first met beyond the bound that were never stored."""
        return int(self.lib.pc_w_over_unseen(self.handle))

    # -- coverage
    def start_cover(
        self, s0: int, plan: Sequence[int], closed: bool, bound: int
    ) -> None:
        """Start `coverage.py`'s search from `s0`, with what it measures (`plan`,
        see `native_search.c`): depth first when `closed`, else breadth first to
        `bound`."""
        table = (ctypes.c_int32 * len(plan))(*plan)
        words = self.step.words_of(s0)
        self._done(
            self.lib.pc_cover_start(
                self.handle, words, table, len(plan), int(closed), bound
            )
        )

    def cover(self, most: int) -> bool:
        """Visit up to `most` states; whether the search is done."""
        return self._done(int(self.lib.pc_cover_run(self.handle, most))) == 1

    def marks(self, conjuncts: int) -> tuple[set[int], set[int]]:
        """The moves that fired and the conjuncts that held, by number."""
        moves = len(self.step.packed.definition.moves)
        out = (ctypes.c_uint8 * (moves + conjuncts))()
        self.lib.pc_cover_marks(self.handle, out)
        fired = {m for m in range(moves) if out[m]}
        return fired, {k for k in range(conjuncts) if out[moves + k]}

    # -- the liveness graph
    def start_graph(self, s0: int, bound: int) -> None:
        """Start `liveness.py`'s graph from `s0`, expanding states within `bound`."""
        self._done(self.lib.pc_graph_start(self.handle, self.step.words_of(s0), bound))

    def grow_graph(self, most: int) -> bool:
        """Expand up to `most` more states; whether every state is expanded."""
        return self._done(int(self.lib.pc_graph_run(self.handle, most))) == 1

    def graph(self) -> GraphArrays:
        """The graph's arrays (see `native_search.c`, `Graph`)."""
        n, m = self.count(), int(self.lib.pc_graph_edges(self.handle))
        first = (ctypes.c_uint64 * (n + 1))()
        target = (ctypes.c_uint32 * m)()
        actor = (ctypes.c_int32 * m)()
        enabled = (ctypes.c_uint64 * n)()
        depth, parent, via = ((ctypes.c_uint32 * n)() for _ in range(3))
        closed = (ctypes.c_uint8 * n)()
        self.lib.pc_graph_copy(
            self.handle, first, target, actor, enabled, depth, parent, via, closed
        )
        return GraphArrays(
            array("Q", bytes(first)),
            array("I", bytes(target)),
            array("i", bytes(actor)),
            array("Q", bytes(enabled)),
            array("I", bytes(depth)),
            array("I", bytes(parent)),
            array("I", bytes(via)),
            bytearray(closed),
        )

    def fair_component(self, k: int, guests: int) -> list[int]:
        """Of the strongly connected components of the expanded states where
        liveness property k's condition holds, the first fair one to `guests` (a
        bit a thread) whose shallowest state is shallowest, in the order Tarjan's
        algorithm pops it; empty when none is fair."""
        size = self.lib.pc_graph_fair(self.handle, k, guests)
        if size < 0:
            raise MemoryError("no memory for the native search")
        out = (ctypes.c_uint32 * size)()
        self.lib.pc_graph_members(self.handle, out)
        return list(out)

    def states(self) -> bytes:
        """Every stored state's words, by index, least significant first."""
        out = (ctypes.c_uint64 * (self.count() * self.step.words))()
        self.lib.pc_copy_states(self.handle, out)
        return bytes(out)

    # -- for every search
    def count(self) -> int:
        return int(self.lib.pc_count(self.handle))

    def transitions(self) -> int:
        return int(self.lib.pc_transitions(self.handle))

    def stored_bytes(self) -> int:
        return int(self.lib.pc_bytes(self.handle))

    def found(self, start: int = 0) -> list[Found]:
        """The violations found, from number `start` on (a breadth-first layer
        forgets its own when the next starts)."""
        n = int(self.lib.pc_found(self.handle)) - start
        if n <= 0:
            return []
        buffer = (ctypes.c_int32 * (FOUND_SIZE * n))()
        self.lib.pc_copy_found(self.handle, start, buffer)
        return [Found(*buffer[FOUND_SIZE * k : FOUND_SIZE * (k + 1)]) for k in range(n)]

    def links(self) -> tuple[array[int], array[int]]:
        """Every stored state's parent index and position, by index."""
        n = self.count()
        parent = (ctypes.c_uint32 * n)()
        position = (ctypes.c_uint16 * n)()
        self.lib.pc_copy_links(self.handle, parent, position)
        return array("I", bytes(parent)), array("H", bytes(position))


@dataclass(frozen=True, slots=True)
class GraphArrays:
    """The liveness graph as `NativeSearch.graph` copies it out."""

    first: array[int]
    target: array[int]
    actor: array[int]
    enabled: array[int]
    depth: array[int]
    parent: array[int]
    via: array[int]
    closed: bytearray


@dataclass(frozen=True, slots=True)
class Found:
    """A violation found in C: a violating move (`FOUND_MOVE`, `what` the move) or a
    successor in a `never` or deadlock state (`what` its position); `position` is
    the place among the successors or violating moves of `parent`, `steps` how far
    it lies in a search by distance."""

    kind: int
    parent: int
    what: int
    position: int
    steps: int


# --------------------------------------------------------------------------- building


def _runtime() -> str:
    return resources.files("checker").joinpath("native_search.c").read_text()


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pagecheck" / "native"


def _build(source: str, timeout: float) -> Path:
    """The library compiled from `source`, from the cache when it is there."""
    cc = compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler (cc or gcc) on PATH")
    digest = hashlib.sha256(f"{cc} {OPTIMIZE}\n{source}".encode()).hexdigest()[:32]
    folder = _cache_dir()
    target = folder / f"step-{digest}.so"
    if target.exists():
        with contextlib.suppress(OSError):
            target.touch()
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
                timeout=max(1.0, timeout),
                check=False,
            )
            if done.returncode != 0:
                first = (done.stderr.strip().splitlines() or ["no message"])[0]
                raise NativeUnavailable(f"the C compiler failed: {first}")
            os.replace(built, target)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NativeUnavailable(f"could not build the native search: {error}") from None
    _prune(folder)
    return target


def _prune(folder: Path) -> None:
    """Keep the `CACHE_KEEP` libraries used last: each edit of a spec builds one."""
    try:
        kept = sorted(
            folder.glob("step-*.so"), key=lambda f: f.stat().st_mtime, reverse=True
        )
        for stale in kept[CACHE_KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        return


def _load(path: Path) -> ctypes.CDLL:
    try:
        return ctypes.CDLL(str(path))
    except OSError as error:
        raise NativeUnavailable(f"could not load {path.name}: {error}") from None


def _declare(lib: ctypes.CDLL) -> None:
    p, c_int, c_long, u64 = (
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.c_uint64,
    )
    words = ctypes.POINTER(u64)
    u32s, i32s = ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_int32)
    u8s = ctypes.POINTER(ctypes.c_uint8)
    signatures: dict[str, tuple[list[type], type | None]] = {
        "pc_new": ([c_int, c_int], p),
        "pc_free": ([p], None),
        "pc_start": ([p, words], c_int),
        "pc_expand": ([p, c_long, c_int], c_long),
        "pc_por_expand": ([p, c_long], c_long),
        "pc_missing": ([p, words], None),
        "pc_learn": ([p, ctypes.POINTER(ctypes.c_int32), c_long], c_int),
        "pc_w_start": ([p, words, c_long], c_int),
        "pc_w_expand": ([p, c_long, c_long], c_long),
        "pc_w_left": ([p, c_long], c_long),
        "pc_w_finish": ([p, c_long], None),
        "pc_w_beyond": ([p], c_int),
        "pc_copy_found": ([p, c_long, ctypes.POINTER(ctypes.c_int32)], None),
        "pc_copy_links": (
            [p, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint16)],
            None,
        ),
        "pc_cover_start": (
            [p, words, ctypes.POINTER(ctypes.c_int32), c_long, c_int, c_long],
            c_int,
        ),
        "pc_cover_run": ([p, c_long], c_long),
        "pc_cover_marks": ([p, ctypes.POINTER(ctypes.c_uint8)], None),
        "pc_graph_start": ([p, words, c_long], c_int),
        "pc_graph_run": ([p, c_long], c_long),
        "pc_graph_copy": (
            [p, words, u32s, i32s, words, u32s, u32s, u32s, u8s],
            None,
        ),
        "pc_graph_fair": ([p, c_int, u64], c_long),
        "pc_graph_members": ([p, u32s], None),
        "pc_copy_states": ([p, words], None),
        "pc_transitions": ([p], u64),
        "pc_bytes": ([p], u64),
    }
    for name in (
        "pc_advance",
        "pc_layer_left",
        "pc_next_size",
        "pc_count",
        "pc_found",
        "pc_w_queued",
        "pc_w_deepest",
        "pc_w_over_unseen",
        "pc_graph_edges",
    ):
        signatures[name] = ([p], c_long)
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = arguments, result


# --------------------------------------------------------------------------- C source


class _CWriter:
    """Writes the C source of a spec's step function (see `native_search.c` for
    what it must define): a function per thread counter and per page of host moves,
    as `packed.py` has in Python, and what the searches build from them."""

    def __init__(self, packed: PackedStep, words: int, local: LocalSteps) -> None:
        self.p = packed
        self.d = packed.definition
        self.fields = packed.fields
        self.words = words
        self.local = local
        self.lines: list[str] = []
        self.used: set[int] = set()  # the slots the function being written reads
        self.syntax = replace(C_SYNTAX, read=self._read_value)

    def module(self, most: int) -> str:
        d = self.d
        self.lines += [
            "#include <stdint.h>",
            f"#define W {self.words}",
            f"#define MAX_OUT {max(1, most)}",
            "#define STEP_ARGS const uint64_t *s, uint64_t *out, int32_t *mv,"
            " int *nout, int32_t *bad, int *nbad",
            "#define STEP_PASS s, out, mv, nout, bad, nbad",
            "#define MERGED_ARGS const uint64_t *s, uint64_t *out, int32_t *mv,"
            " int *nout, uint16_t *wout, int32_t *bad, int *nbad, uint16_t *wbad",
            "",
        ]
        for t, per_pc in enumerate(d.by_pc):
            for pc, moves in enumerate(per_pc):
                if moves:
                    self.function(f"T{t}_{pc}", moves)
            self.dispatch(t)
        pages = host_pages(d)
        for page, on_page in pages.items():
            self.function(f"H{page}", on_page)
        if [m for on_page in pages.values() for m in on_page] == list(d.host_moves):
            calls = [f"    if (H{page}(STEP_PASS)) return 1;" for page in pages]
            self.lines += ["static int host(STEP_ARGS) {", *calls, "    return 0;"]
            self.lines += ["}", ""]
        else:
            self.function("host", d.host_moves)
        self.expand()
        self.groups()
        for t in range(len(d.by_pc)):
            if self.local.counters[t]:
                self.chain(t)
        self.merged()
        self.threads()
        self.never()
        self.conjuncts()
        self.cycles()
        self.running()
        return "\n".join(self.lines) + "\n"

    def function(self, name: str, moves: Sequence[Move]) -> None:
        """`static int name(STEP_ARGS)`: the successors of the enabled `moves`, in
        order; 1 when an integer overflows. It reads only the fields it uses."""
        self.used = set()
        body: list[str] = []
        for m in moves:
            body += self.move(m, "    ")
        self.lines += [f"static int {name}(STEP_ARGS) {{", "    uint64_t *o;"]
        self.lines += [self.read(slot) for slot in sorted(self.used)]
        self.lines += [*body, "    (void)o;", "    return 0;", "}", ""]

    def move(self, m: Move, indent: str) -> list[str]:
        inner = indent + "    "
        lines = [f"{indent}if ({self.expr(m.condition)}) {{"]
        if m.violation is not None:
            lines.append(f"{inner}bad[(*nbad)++] = {m.index};")
        else:
            lines += [inner + line for line in self.successor(m)]
        return [*lines, f"{indent}}}"]

    def dispatch(self, t: int) -> None:
        """`run_T<t>(pc, STEP_ARGS)`: thread t's moves at counter `pc`."""
        cases = [
            f"    case {pc}: return T{t}_{pc}(STEP_PASS);"
            for pc, moves in enumerate(self.d.by_pc[t])
            if moves
        ]
        self.lines += [f"static int run_T{t}(int pc, STEP_ARGS) {{"]
        if cases:
            self.lines += ["    switch (pc) {", *cases, "    }"]
        self.lines += ["    (void)pc; (void)s; (void)out; (void)nout;", "    return 0;"]
        self.lines += ["}", ""]

    def counter(self, t: int, state: str = "s") -> tuple[str, int, int]:
        """Thread t's status and counter as one value of `state`, the status's
        mask and width."""
        ts = self.d.layout.threads[t]
        status, counter = self.fields[ts.status], self.fields[ts.pc]
        both = Field(status.offset, status.width + counter.width)
        return self.get(both, state), status.mask, status.width

    def expand(self) -> None:
        """`expand`: each running thread's moves at its counter, then the host's."""
        self.lines.append("static int expand(STEP_ARGS) {")
        for t, per_pc in enumerate(self.d.by_pc):
            if not per_pc:
                continue
            x, stopped, width = self.counter(t)
            self.lines += [
                f"    {{ uint64_t x = {x};",
                f"    if (!(x & {stopped}u) && run_T{t}((int)(x >> {width}),"
                " STEP_PASS)) return 1; }",
            ]
        self.lines += ["    return host(STEP_PASS);", "}", ""]

    def groups(self) -> None:
        """`group(g, ...)`: the moves of group g of `reduction.move_groups`, and
        `CONTROL`, the bits that tell every thread's counter."""
        cases = []
        for g, (t, k) in enumerate(move_groups(self.d)):
            if t == HOST:
                cases.append(f"    case {g}: return H{k}(STEP_PASS);")
            elif self.d.by_pc[t][k]:
                cases.append(f"    case {g}: return T{t}_{k}(STEP_PASS);")
        self.lines += ["static int group(int g, STEP_ARGS) {", "    switch (g) {"]
        self.lines += [*cases, "    }", "    (void)s; (void)out; (void)nout;"]
        self.lines += ["    return 0;", "}", ""]
        mask = 0
        for ts in self.d.layout.threads:
            for slot in (ts.status, ts.pc):
                f = self.fields[slot]
                mask |= f.mask << f.offset
        words = [(mask >> (64 * k)) & (2**64 - 1) for k in range(self.words)]
        self.lines += [
            "static const uint64_t CONTROL[W] = {"
            + ", ".join(f"{w}ull" for w in words)
            + "};",
            "",
        ]

    def chain(self, t: int) -> None:
        """`chain_T<t>(MERGED_ARGS, k)`: thread t's local step at `s`, the k + 1st
        of its chain, and what follows it, as `engines/explicit._Chains` does."""
        here = sorted(self.local.counters[t])
        widest = max(len(moves) for moves in self.d.by_pc[t])
        x, stopped, width = self.counter(t)
        y, _, _ = self.counter(t, "y")
        self.lines += [
            f"static int chain_T{t}(MERGED_ARGS, int k) {{",
            f"    uint64_t after[{widest} * W];",
            f"    int32_t wrong[{widest}], amv[{widest}];",
            "    int na = 0, nw = 0;",
            f"    if (run_T{t}((int)({x} >> {width}), s, after, amv, &na, wrong, &nw))",
            "        return 1;",
            "    for (int i = 0; i < nw; i++) {",
            "        bad[*nbad] = wrong[i];",
            "        wbad[(*nbad)++] = (uint16_t)(k + 1);",
            "    }",
            "    for (int i = 0; i < na; i++) {",
            "        const uint64_t *y = after + i * W;",
            f"        uint64_t c = {y};",
            f"        if (c & {stopped}u) continue;",
            f"        int pc = (int)(c >> {width});",
            "        switch (pc) {",
            *(f"        case {pc}:" for pc in here),
            f"            if (chain_T{t}(y, out, mv, nout, wout, bad, nbad, wbad,"
            " k + 1))",
            "                return 1;",
            "            continue;",
            "        }",
            "        int n = *nout, nb = *nbad;",
            f"        if (run_T{t}(pc, y, out, mv, nout, bad, nbad)) return 1;",
            "        for (int j = n; j < *nout; j++) wout[j] = (uint16_t)(k + 2);",
            "        for (int j = nb; j < *nbad; j++) wbad[j] = (uint16_t)(k + 2);",
            "    }",
            "    return 0;",
            "}",
            "",
        ]

    def merged(self) -> None:
        """`merged`: `expand` with a thread at a local counter taking its chain;
        each successor and violating move with the steps it stands for."""
        lines = ["static int merged(MERGED_ARGS) {", "    int n, nb;"]
        ones = [
            "        for (int j = n; j < *nout; j++) wout[j] = 1;",
            "        for (int j = nb; j < *nbad; j++) wbad[j] = 1;",
        ]
        for t, per_pc in enumerate(self.d.by_pc):
            if not per_pc:
                continue
            x, stopped, width = self.counter(t)
            lines += [
                f"    {{ uint64_t x = {x};",
                f"    if (!(x & {stopped}u)) {{",
                f"        int pc = (int)(x >> {width});",
            ]
            here = sorted(self.local.counters[t])
            if here:
                test = " || ".join(f"pc == {pc}" for pc in here)
                lines += [
                    f"        if ({test}) {{",
                    f"            if (chain_T{t}(s, out, mv, nout, wout, bad, nbad, wbad,"
                    " 0))",
                    "                return 1;",
                    "        } else {",
                ]
            lines += [
                "        n = *nout; nb = *nbad;",
                f"        if (run_T{t}(pc, STEP_PASS)) return 1;",
                *ones,
            ]
            lines += ["        }" if here else "", "    } }"]
        lines += [
            "    n = *nout; nb = *nbad;",
            "    if (host(STEP_PASS)) return 1;",
            *ones,
            "    (void)wout; (void)wbad;",
            "    return 0;",
            "}",
            "",
        ]
        self.lines += [line for line in lines if line]

    def threads(self) -> None:
        """What the coverage search walks by thread: `thread_pc(t, s)` (-1 when
        not running), `run_thread(t, pc, ...)`, `PCS[t]`, its counters, and
        `GROUP_BASE[t]`, the number in `reduction.move_groups` of the group (t, 0)."""
        d = self.d
        bases = [0, *itertools.accumulate(len(per_pc) for per_pc in d.by_pc)][:-1]
        self.lines += [
            f"#define THREADS {len(d.by_pc)}",
            f"#define MOVES {len(d.moves)}",
            "static const int GROUP_BASE[THREADS + 1] = {"
            + "".join(f"{base}, " for base in bases)
            + "0};",
            "static const int PCS[THREADS + 1] = {"
            + "".join(f"{len(per_pc)}, " for per_pc in d.by_pc)
            + "0};",
            "static int thread_pc(int t, const uint64_t *s) {",
            "    uint64_t x;",
            "    switch (t) {",
        ]
        for t, per_pc in enumerate(d.by_pc):
            if not per_pc:
                continue
            x, stopped, width = self.counter(t)
            self.lines += [
                f"    case {t}: x = {x};",
                f"        return x & {stopped}u ? -1 : (int)(x >> {width});",
            ]
        self.lines += ["    }", "    (void)x; (void)s;", "    return -1;", "}", ""]
        cases = [
            f"    case {t}: return run_T{t}(pc, STEP_PASS);"
            for t, per_pc in enumerate(d.by_pc)
            if per_pc
        ]
        self.lines += ["static int run_thread(int t, int pc, STEP_ARGS) {"]
        self.lines += ["    switch (t) {", *cases, "    }"]
        self.lines += ["    (void)pc; (void)s; (void)out; (void)mv; (void)nout;"]
        self.lines += ["    return 0;", "}", ""]

    def cycles(self) -> None:
        """`cycle_holds(k, s)`: whether the condition of liveness property k
        (`StepDefinition.cycles`) holds."""
        self.holds("cycle_holds", [goal.holds for goal in self.d.cycles])

    def conjuncts(self) -> None:
        """`conjunct(k, s)`: whether conjunct k of `conjunct_terms` holds."""
        self.holds("conjunct", [term for _, term in conjunct_terms(self.d)])

    def holds(self, name: str, terms: Sequence[T.Term]) -> None:
        """`name(k, s)`: whether `terms[k]` holds in `s` (0 past the last)."""
        self.used = set()
        cases = [f"    case {k}: return {self.expr(t)};" for k, t in enumerate(terms)]
        self.lines.append(f"static int {name}(int k, const uint64_t *s) {{")
        self.lines += [self.read(slot) for slot in sorted(self.used)]
        self.lines += ["    switch (k) {", *cases, "    }"]
        self.lines += ["    (void)s;", "    return 0;", "}", ""]

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
        return [*lines, f"mv[*nout] = {m.index};", "(*nout)++;"]

    def get(self, f: Field, state: str = "s") -> str:
        """The raw field of `state` as an unsigned 64-bit value."""
        word, bit = divmod(f.offset, 64)
        mask = f"{f.mask}ull"
        if bit + f.width <= 64:
            return f"(({state}[{word}] >> {bit}) & {mask})"
        return (
            f"((({state}[{word}] >> {bit}) | ({state}[{word + 1}] << {64 - bit}))"
            f" & {mask})"
        )

    def read(self, slot: int) -> str:
        """The declaration of `v<slot>`, the slot's value in `s`."""
        f = self.fields[slot]
        value = f"(int64_t){self.get(f)}"
        if f.bias:
            value = f"{value} - {f.bias}LL"
        return f"    const int64_t v{slot} = {value};"

    def expr(self, term: T.Term) -> str:
        return render(term, self.syntax)

    def _read_value(self, slot: int) -> str:
        self.used.add(slot)
        return f"v{slot}"

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
        self.used = set()
        tests = [
            f"    if ({self.expr(cond)}) return {k};"
            for k, (cond, _) in enumerate(nevers)
        ]
        self.lines.append("static int never_at(const uint64_t *s) {")
        self.lines += [self.read(slot) for slot in sorted(self.used)]
        self.lines += [*tests, "    (void)s;", "    return -1;", "}", ""]

    def running(self) -> None:
        self.lines.append("static int running(const uint64_t *s) {")
        for ts in self.d.layout.threads:
            f = self.fields[ts.status]
            self.lines.append(
                f"    if ({self.get(f)} == {int(Status.RUNNING)}) return 1;"
            )
        self.lines += ["    (void)s;", "    return 0;", "}", ""]
