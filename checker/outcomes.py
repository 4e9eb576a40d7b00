"""`pagecheck outcomes SPEC`: every final state a run can reach, as herd7 lists them.

Stage: tools, beside the CLI. A breadth-first search on the concrete semantics
(`semantics.py`) from the initial state, up to the spec's bound, keeps the first
(so shortest) run to each state. A run is *final* when no thread is running any more;
its outcome is the values of the shared variables and each thread's status. Each
outcome is listed with one shortest run, written as a schedule that
`pagecheck replay SPEC --schedule` takes. An outcome is `always` when it is the only
one and no run ends otherwise (in a violation, or with a thread that can never go
on), else `sometimes`; `never` lists the combinations of the values and statuses
seen in some outcome that no run reaches.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import ir
from .arguments import add_models_option, bound
from .exit import ExitStatus
from .load import load_spec
from .replay import schedule_token
from .semantics import GlobalState, Semantics, Status, Successor

OUTCOMES_HELP = (
    "List every final state (shared variables and thread statuses once no thread "
    "runs)\nwith one shortest run to it, and which outcomes appear always, sometimes "
    "or never."
)

#: At most this many unreached combinations are listed as `never`.
MAX_NEVER = 32

Key = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One final state: its values by name and the shortest run reaching it."""

    values: Key
    schedule: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcomes:
    outcomes: tuple[Outcome, ...]
    violations: tuple[tuple[str, tuple[str, ...]], ...]
    """Each property some run violates, with its shortest run."""
    stuck: tuple[str, ...] | None
    """The shortest run to a state where a thread runs and nothing can move."""
    never: tuple[Key, ...]
    complete: bool
    """False when runs reached the bound: longer ones may end elsewhere."""
    states: int

    @property
    def always(self) -> bool:
        return len(self.outcomes) == 1 and not self.violations and self.stuck is None


def outcomes(spec: ir.Spec, steps: int) -> Outcomes:
    """The final states reachable within `steps` steps."""
    sem = Semantics(spec)
    start = sem.initial()
    parent: dict[GlobalState, tuple[GlobalState, Successor] | None] = {start: None}
    found: dict[Key, tuple[str, ...]] = {}
    violations: dict[str, tuple[str, ...]] = {}
    stuck: tuple[str, ...] | None = None
    complete = True
    queue = deque([(start, 0)])

    def schedule(state: GlobalState, last: Successor | None = None) -> tuple[str, ...]:
        tokens = [] if last is None else [schedule_token(spec, last)]
        link = parent[state]
        while link is not None:
            state, step = link
            tokens.append(schedule_token(spec, step))
            link = parent[state]
        return tuple(reversed(tokens))

    first = sem.initial_violation(start)
    if first is not None:
        violations[first.prop] = ()
        queue.clear()
    while queue:
        state, depth = queue.popleft()
        if all(t.status != Status.RUNNING for t in state.threads):
            found.setdefault(_key(spec, state), schedule(state))
        successors = sem.successors(state)
        if not successors and stuck is None and _running(state):
            stuck = schedule(state)
        if depth == steps:
            complete = complete and not successors
            continue
        for s in successors:
            if s.violation is not None:
                violations.setdefault(s.violation.prop, schedule(state, s))
            elif s.state not in parent:
                parent[s.state] = (state, s)
                queue.append((s.state, depth + 1))
    listed = tuple(Outcome(k, v) for k, v in found.items())
    return Outcomes(
        listed,
        tuple(violations.items()),
        stuck,
        _never(list(found)),
        complete,
        len(parent),
    )


def _running(state: GlobalState) -> bool:
    return any(t.status == Status.RUNNING for t in state.threads)


def _key(spec: ir.Spec, state: GlobalState) -> Key:
    values: list[tuple[str, Any]] = [
        (v.name, x) for v, x in zip(spec.vars, state.vars, strict=True)
    ]
    values += [
        (t.name, Status(tv.status).name.lower())
        for t, tv in zip(spec.threads, state.threads, strict=True)
    ]
    return tuple(values)


def _never(found: list[Key]) -> tuple[Key, ...]:
    """Combinations of the values seen per name that no outcome has."""
    if not found:
        return ()
    names = [name for name, _ in found[0]]
    seen = [sorted({k[i][1] for k in found}, key=str) for i in range(len(names))]
    out = []
    for combo in itertools.product(*seen):
        key = tuple(zip(names, combo, strict=True))
        if key not in found:
            out.append(key)
            if len(out) == MAX_NEVER:
                break
    return tuple(out)


def _values_text(key: Key) -> str:
    return " ".join(f"{name}={value}" for name, value in key)


def render_outcomes(file: str, result: Outcomes, steps: int) -> str:
    n = len(result.outcomes)
    scope = (
        "every run"
        if result.complete
        else f"runs of up to {steps} steps (longer ones not covered)"
    )
    lines = [f"{file}: {n} final state{'' if n == 1 else 's'} ({scope})"]
    word = "always" if result.always else "sometimes"
    for o in result.outcomes:
        lines.append(f"  {word:<9}  {_values_text(o.values)}")
        lines.append(f"             run: {','.join(o.schedule) or '(no step)'}")
    for values in result.never:
        lines.append(f"  {'never':<9}  {_values_text(values)}")
    for prop, run in result.violations:
        lines.append(f"  violation {prop}, run: {','.join(run) or '(initial state)'}")
    if result.stuck is not None:
        lines.append(f"  blocked forever, run: {','.join(result.stuck) or '(no step)'}")
    return "\n".join(lines)


def outcomes_json(file: str, result: Outcomes) -> dict[str, Any]:
    word = "always" if result.always else "sometimes"
    return {
        "file": file,
        "complete": result.complete,
        "outcomes": [
            {"kind": word, "values": dict(o.values), "schedule": ",".join(o.schedule)}
            for o in result.outcomes
        ]
        + [
            {"kind": "never", "values": dict(k), "schedule": None} for k in result.never
        ],
        "violations": [
            {"property": p, "schedule": ",".join(run)} for p, run in result.violations
        ],
        "blocked": ",".join(result.stuck) if result.stuck is not None else None,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `pagecheck outcomes`."""
    parser.add_argument("spec", type=Path, metavar="SPEC", help="the spec file")
    parser.add_argument(
        "--bound", type=bound, help="steps to explore (default: the spec's bound)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    add_models_option(parser)


def run_outcomes(ns: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """`pagecheck outcomes SPEC`."""
    spec = load_spec(ns.spec, models_dirs=tuple(ns.models))
    steps = ns.bound if ns.bound is not None else spec.bound
    result = outcomes(spec, steps)
    if ns.json:
        print(json.dumps(outcomes_json(str(ns.spec), result), indent=2), file=out)
    else:
        print(render_outcomes(str(ns.spec), result, steps), file=out)
    return ExitStatus.OK


__all__ = ["Outcomes", "add_arguments", "outcomes", "run_outcomes"]
