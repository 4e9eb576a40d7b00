"""Whether two states of a model look the same to the guest: `ir.Model` -> `Comparison`.

The question of the seed thread ("are the p states the same as the r states, for the
guest?"), asked of any model. The answer is *weak trace equivalence* with the host's
actions as internal (τ) steps:

* A configuration is a page's state, its flags, and whether its content is still there
  (`valid`). `warned` is the checker's bookkeeping and `state(p)` the checker's view;
  neither is something the guest observes, so neither is part of an observation.
* A guest step is one guest operation with its argument values and what the guest sees
  of it: a call's `ok` or `fail`, an access's `fault`, a read's `content` (the data
  the page holds) or `0` (the content was lost: a read returns 0), a write's `done`,
  and `undefined` when the model has no transition for it (nothing is known after
  that, so a run ends there). Host actions are τ: any number may happen before and
  after every guest step.
* A trace of a configuration is a sequence of guest steps it can show. Two states are
  equivalent when they have the same traces, starting with their content present
  (absent for a `lost` host state) and the flags given.

Traces are compared by the subset construction: pairs of τ-closed sets of
configurations, breadth first, so a distinguishing trace is a shortest one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product

from . import ir
from .errors import SourceError


@dataclass(frozen=True, slots=True)
class Config:
    """A page as the guest's operations and the host's actions see it."""

    state: int
    flags: int
    valid: bool


#: Where a run ends after an `undefined` step: no guest step and no host action.
_END = Config(-1, 0, False)


@dataclass(frozen=True, slots=True)
class GuestStep:
    """One guest operation, its argument values, and what the guest saw."""

    op: str
    args: tuple[tuple[str, int], ...]
    outcome: str

    @property
    def call(self) -> str:
        if not self.args:
            return self.op
        return f"{self.op}({', '.join(f'{k}={v}' for k, v in self.args)})"

    def __str__(self) -> str:
        return f"{self.call} → {self.outcome}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """The answer: `trace` is empty when the two states are equivalent; otherwise the
    first state can show it and the second cannot, and `other` is what the second can
    show at the trace's last operation after the same steps before it."""

    first: str
    second: str
    trace: tuple[GuestStep, ...]
    other: tuple[str, ...]

    @property
    def equivalent(self) -> bool:
        return not self.trace


def parse_config(model: ir.Model, text: str) -> Config:
    """`Sr`, `S.r`, optionally with flags set: `Pr+dirty`."""
    name, *flag_names = text.split("+")
    states = {s.name: s.index for s in model.states}
    states.update({f"{s.guest.name}.{s.host.name}": s.index for s in model.states})
    if name not in states:
        raise SourceError(
            None, f"model {model.name} has no state {name!r}", file=model.source.name
        )
    flags = 0
    for flag in flag_names:
        if flag not in model.flags:
            raise SourceError(
                None,
                f"model {model.name} has no flag {flag!r}",
                file=model.source.name,
            )
        flags |= 1 << model.flags.index(flag)
    index = states[name]
    return Config(index, flags, not model.is_lost(index))


def compare(
    model: ir.Model, first: str, second: str, without: frozenset[str] = frozenset()
) -> Comparison:
    """Weak trace equivalence of the states `first` and `second` (see the module), for
    a guest that uses every guest operation but those named in `without`."""
    unknown = sorted(without - {op.name for op in model.ops if op.kind != "action"})
    if unknown:
        raise SourceError(
            None,
            f"model {model.name} has no guest operation {unknown[0]!r}",
            file=model.source.name,
        )
    start = (
        _closure(model, [parse_config(model, first)]),
        _closure(model, [parse_config(model, second)]),
    )
    ops = [(op, args) for op, args in _guest_ops(model) if op.name not in without]
    parents: dict[
        tuple[frozenset[Config], frozenset[Config]],
        tuple[tuple[frozenset[Config], frozenset[Config]], GuestStep] | None,
    ] = {start: None}
    queue = deque([start])
    while queue:
        pair = queue.popleft()
        for op, args in ops:
            left = _after(model, pair[0], op, args)
            right = _after(model, pair[1], op, args)
            for outcome in sorted(left.keys() | right.keys(), key=_outcome_order):
                if outcome in left and outcome in right:
                    successor = (left[outcome], right[outcome])
                    if successor not in parents:
                        parents[successor] = (pair, GuestStep(op.name, args, outcome))
                        queue.append(successor)
                    continue
                shown, other = (first, second) if outcome in left else (second, first)
                missing = right if outcome in left else left
                trace = [GuestStep(op.name, args, outcome)]
                link = parents[pair]
                while link is not None:
                    pair_before, step = link
                    trace.append(step)
                    link = parents[pair_before]
                return Comparison(
                    shown,
                    other,
                    tuple(reversed(trace)),
                    tuple(sorted(missing, key=_outcome_order)),
                )
    return Comparison(first, second, (), ())


def render(
    model: ir.Model, comparison: Comparison, without: frozenset[str] = frozenset()
) -> str:
    """The answer in words, for `pagecheck equiv`."""
    head = f"{model.name}: {comparison.first} and {comparison.second}"
    if without:
        head += f" (a guest without {', '.join(sorted(without))})"
    if comparison.equivalent:
        return (
            f"{head} are equivalent to the guest: every sequence of guest operations"
            " can show the same results from both, whatever the host does"
            " (weak trace equivalence, host actions internal)\n"
        )
    lines = [
        f"{head} differ to the guest (weak trace equivalence, host actions"
        f" internal): from {comparison.first} the guest can see",
        *(f"  {n}. {step}" for n, step in enumerate(comparison.trace, 1)),
    ]
    lines.append(
        f"and from {comparison.second}, after the same steps before it,"
        f" {comparison.trace[-1].call} can only give: {', '.join(comparison.other)}"
    )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- steps


def _guest_ops(model: ir.Model) -> list[tuple[ir.Op, tuple[tuple[str, int], ...]]]:
    """Every guest operation with every valuation of its parameters, in model order."""
    return [
        (op, tuple(zip(op.params, values, strict=True)))
        for op in model.ops
        if op.kind != "action"
        for values in product((0, 1), repeat=len(op.params))
    ]


def _outcome_order(outcome: str) -> tuple[int, str]:
    order = ("ok", "fail", "content", "0", "done", "fault", "undefined")
    return (order.index(outcome), outcome)


def _after(
    model: ir.Model,
    configs: frozenset[Config],
    op: ir.Op,
    args: tuple[tuple[str, int], ...],
) -> dict[str, frozenset[Config]]:
    """For each outcome the guest can see of `op(args)`, the τ-closed configurations
    that follow it."""
    found: dict[str, set[Config]] = {}
    for config in configs:
        for outcome, after in _guest_step(model, config, op, dict(args)):
            found.setdefault(outcome, set()).add(after)
    return {outcome: _closure(model, after) for outcome, after in found.items()}


def _guest_step(
    model: ir.Model, config: Config, op: ir.Op, args: dict[str, int]
) -> Iterable[tuple[str, Config]]:
    """The order of effects of docs/reference.md §1: the transition, its result, then
    the access itself and the access's own flag effects."""
    if config == _END:
        return
    matches = [
        t
        for t in model.transitions
        if t.matches(config.state, op.name, args, config.flags)
    ]
    if not matches:
        yield "undefined", _END
    for t in matches:
        state, flags, valid = _transition(model, config, t)
        if t.fault:
            yield "fault", Config(state, flags, valid)
            continue
        flags = flags & ~op.clears | op.sets
        if t.fail:
            yield "fail", Config(state, flags, valid)
        elif op.kind == "call":
            yield "ok", Config(state, flags, valid)
        elif op.is_write:
            yield "done", Config(state, flags, True)
        else:
            yield ("content" if valid else "0"), Config(state, flags, valid)


def _transition(
    model: ir.Model, config: Config, t: ir.Transition
) -> tuple[int, int, bool]:
    """The transition's own effect: new state, its flag results, a discard."""
    state = config.state if t.target is None else t.target
    discards = model.is_lost(state) and not model.is_lost(config.state)
    flags = config.flags & ~t.clears | t.sets
    return state, flags, config.valid and not discards


def _closure(model: ir.Model, configs: Iterable[Config]) -> frozenset[Config]:
    """`configs` and everything host actions lead to from them."""
    actions = [
        (op.name, dict(zip(op.params, values, strict=True)))
        for op in model.ops
        if op.kind == "action"
        for values in product((0, 1), repeat=len(op.params))
    ]
    seen = set(configs)
    todo = list(seen)
    while todo:
        config = todo.pop()
        if config == _END:
            continue
        for name, args in actions:
            for t in model.transitions:
                if t.matches(config.state, name, args, config.flags):
                    after = Config(*_transition(model, config, t))
                    if after not in seen:
                        seen.add(after)
                        todo.append(after)
    return frozenset(seen)
