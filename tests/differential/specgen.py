"""Random small models and specs, as text, for differential testing of the engines."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass


def _initialise_locals(body: list[str]) -> list[str]:
    """Locals read but never assigned are input errors; give such locals a first value."""
    text = "\n".join(body)
    inits = []
    for name, init in (("r", "r = 0"), ("t", "t = 0"), ("x", "x = c0(p0)")):
        if re.search(rf"\b{name}\b", text) and not re.search(rf"\b{name} = ", text):
            inits.append(init)
    return inits + body


@dataclass(frozen=True)
class Generated:
    model: str
    spec: str


GUESTS = [("U", True), ("S", False), ("V", False)]
HOSTS = [("r", False), ("p", False), ("z", True)]
CALLS = ["c0", "c1(w)"]
ACCESSES = ["read", "write"]
ACTIONS = ["a0", "a1"]


def generate(rng: random.Random) -> Generated:
    guests = GUESTS[: rng.randint(2, 3)]
    hosts = [HOSTS[0], HOSTS[2]] if rng.random() < 0.6 else HOSTS
    states = [g + h for g, _ in guests for h, _ in hosts]
    use_flag = rng.random() < 0.6
    lines = ["model gen"]
    lines.append("guest " + ", ".join(g + (" unused" if u else "") for g, u in guests))
    lines.append(
        "host " + ", ".join(h + (" lost" if lost else "") for h, lost in hosts)
    )
    if use_flag:
        lines.append("flag dirty")
    lines.append("call c0, c1(w)")
    lines.append("access read")
    lines.append(
        "access write" + (" sets dirty" if use_flag and rng.random() < 0.7 else "")
    )
    lines.append(
        "action a0, a1" + (" clears dirty" if use_flag and rng.random() < 0.3 else "")
    )
    ops = ["c0", "c1", "c1(w=0)", "c1(w=1)", "read", "write", "a0", "a1"]
    for _ in range(rng.randint(3, 9)):
        sources = rng.sample(states, rng.randint(1, min(3, len(states))))
        target = "same" if rng.random() < 0.3 else rng.choice(states)
        op = rng.choice(ops)
        line = f"{', '.join(sources)} -> {target} on {op}"
        if use_flag and rng.random() < 0.3:
            line += rng.choice([" if dirty", " if not dirty"])
        results = []
        base = op.split("(")[0]
        if base in ("read", "write") and rng.random() < 0.3:
            results.append("fault")
        if base in ("c0", "c1") and rng.random() < 0.3:
            results.append("fail")
        if use_flag and rng.random() < 0.2:
            results.append(rng.choice(["set dirty", "clear dirty"]))
        if results:
            line += " => " + ", ".join(results)
        lines.append(line)
    model = "\n".join(lines) + "\n"

    pages = [f"p{i}" for i in range(rng.randint(1, 2))]
    spec = ["use gen"]
    for p in pages:
        st = rng.choice(states)
        decl = f"page {p} : {st}"
        if use_flag and rng.random() < 0.3:
            decl += " dirty"
        if not st.endswith("z") and rng.random() < 0.7:
            decl += f" = {rng.randint(0, 3)}"
        spec.append(decl)
    has_var = rng.random() < 0.6
    if has_var:
        spec.append("var v = 0")
    host = rng.random()
    if host < 0.2:
        spec.append("host none")
    elif host < 0.5:
        spec.append(
            "host may "
            + ", ".join(
                f"{rng.choice(ACTIONS)}({rng.choice([*pages, '*'])})"
                for _ in range(rng.randint(1, 2))
            )
        )
    props = []
    if rng.random() < 0.3:
        props.append("deadlock")
    if rng.random() < 0.3:
        props.append("fault")
    if props:
        spec.append("check " + ", ".join(props))
    ignores = [
        p for p in ("undefined", "silent-loss", "assertion") if rng.random() < 0.15
    ]
    if ignores:
        spec.append("ignore " + ", ".join(ignores))
    if rng.random() < 0.3:
        spec.append(f"never state({rng.choice(pages)}) == {rng.choice(states)}")
    if has_var and rng.random() < 0.2:
        spec.append("never v > 2")
    spec.append(f"bound {rng.randint(1, 9)}")

    def stmt(depth: int, in_atomic: bool, host_thread: bool) -> str:
        p = rng.choice(pages)
        if host_thread:
            kind = rng.choice(
                ["act", "act", "assign", "if"] if depth < 2 else ["act", "assign"]
            )
        else:
            kind = rng.choice(
                [
                    "call",
                    "call",
                    "read",
                    "write",
                    "assign",
                    "assert",
                    "if",
                    "while",
                    "atomic",
                    "await",
                ]
                if depth < 2
                else ["call", "read", "write", "assign", "assert"]
            )
        if in_atomic and kind in ("while", "atomic", "await"):
            kind = "assign"
        if kind == "act":
            return f"{rng.choice(ACTIONS)}({p})"
        if kind == "call":
            r = "x = " if rng.random() < 0.4 else ""
            if rng.random() < 0.5:
                return f"{r}c0({p})"
            return f"{r}c1({p}, w={rng.randint(0, 1)})"
        if kind == "read":
            handler = ""
            if rng.random() < 0.4:
                handler = " on fault { " + stmt(depth + 1, in_atomic, False) + " }"
            return f"r = read({p}){handler}"
        if kind == "write":
            handler = (
                " on fault { " + stmt(depth + 1, in_atomic, False) + " }"
                if rng.random() < 0.3
                else ""
            )
            return f"write({p}, {rng.randint(0, 3)}){handler}"
        if kind == "assign":
            if has_var:
                return rng.choice(["v = v + 1", "v = v - 1", "t = v", "v = t + 1"])
            return "t = t + 1"
        if kind == "assert":
            return rng.choice(
                [
                    f"assert r == {rng.randint(0, 3)}",
                    "assert x == ok",
                    f"assert state({p}) != {rng.choice(states)}",
                    "assert not dirty(" + p + ")" if use_flag else "assert true",
                ]
            )
        if kind == "await":
            return rng.choice(
                [
                    "await v > 0" if has_var else "await true",
                    f"await state({p}) == {rng.choice(states)}",
                ]
            )
        if kind == "if":
            cond = rng.choice(
                [
                    f"state({p}) == {rng.choice(states)}",
                    f"state({p}) in {{{rng.choice(states)}, {rng.choice(states)}}}",
                    "v == 1" if has_var else "true",
                    "x == fail",
                ]
            )
            body = "; ".join(
                stmt(depth + 1, in_atomic, host_thread)
                for _ in range(rng.randint(1, 2))
            )
            text = f"if {cond} {{ {body} }}"
            if rng.random() < 0.4:
                text += " else { " + stmt(depth + 1, in_atomic, host_thread) + " }"
            return text
        if kind == "while":
            cond = rng.choice(
                ["v < 2" if has_var else "t < 2", f"state({p}) != {rng.choice(states)}"]
            )
            body = "; ".join(
                stmt(depth + 1, False, host_thread) for _ in range(rng.randint(1, 2))
            )
            if "v < 2" in cond:
                body += "; v = v + 1"
            elif "t < 2" in cond:
                body += "; t = t + 1"
            return f"while {cond} {{ {body} }}"
        first = "await v == 0; " if has_var and rng.random() < 0.3 else ""
        body = "; ".join(
            stmt(depth + 1, True, host_thread) for _ in range(rng.randint(1, 3))
        )
        return f"atomic {{ {first}{body} }}"

    for t in range(rng.randint(1, 2)):
        body = _initialise_locals(
            [stmt(0, False, False) for _ in range(rng.randint(1, 4))]
        )
        spec.append(f"thread t{t} {{\n  " + "\n  ".join(body) + "\n}")
    if rng.random() < 0.25:
        body = _initialise_locals(
            [stmt(0, False, True) for _ in range(rng.randint(1, 3))]
        )
        spec.append("host thread h {\n  " + "\n  ".join(body) + "\n}")
    return Generated(model, "\n".join(spec) + "\n")
