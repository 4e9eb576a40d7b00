"""`pagecheck graph`: a model as DOT in the seed mail's style."""

from __future__ import annotations

from checker.parser import parse_dot
from checker.report.graph import model_to_dot
from checker.source import SourceFile

from .conftest import HINTING, model


def test_small_model() -> None:
    m = model(
        "model m\nguest S, V\nhost r, z lost\nflag dirty, young\n"
        "call mark(w)\naccess read, write sets dirty\naction discard\n"
        "Sr, Vr -> same on read, write\n"
        "Sr -> Vr on mark(w=0)\nSr -> Vr on mark(w=1) => set young\n"
        "Vz -> same on read => fault\nVz -> same on mark => clear dirty, clear young\n"
        "Vr -> Vz on discard if dirty and not young\n"
        "Vr -> Sz on discard if not (dirty and not young)\n"
    )
    assert model_to_dot(m) == (
        "digraph m {\n"
        'Sr -> Sr [ label="read, write" ];\n'
        'Vr -> Vr [ label="read, write" ];\n'
        'Sr -> Vr [ label="mark(w=0)\\nmark(w=1) => set young" ];\n'
        'Vz -> Vz [ label="read => fault\\nmark => clear dirty, clear young" ];\n'
        'Vr -> Vz [ label="discard if dirty and not young", style=dashed ];\n'
        'Vr -> Sz [ label="discard if not (dirty and not young)", style=dashed ];\n'
        "}\n"
    )


def test_guest_and_host_edges_between_the_same_states_stay_apart() -> None:
    m = model(
        "model m\nguest S\nhost r, p\ncall evict\naction swap\n"
        "Sr -> Sp on evict\nSr -> Sp on swap\n"
    )
    assert model_to_dot(m).splitlines()[1:3] == [
        'Sr -> Sp [ label="evict" ];',
        'Sr -> Sp [ label="swap", style=dashed ];',
    ]


def test_dot_keywords_are_quoted() -> None:
    m = model("model graph\nguest no\nhost de\naccess read\nnode -> same on read\n")
    assert (
        model_to_dot(m) == 'digraph "graph" {\n"node" -> "node" [ label="read" ];\n}\n'
    )


def test_reference_model_is_deterministic_and_readable_back() -> None:
    text = model_to_dot(model(HINTING))
    assert text == model_to_dot(model(HINTING))
    edges = parse_dot(SourceFile("g.dot", text))
    pairs = [(e.source, e.target) for e in edges]
    assert len(pairs) == len(set(pairs)) == 33  # one edge per (source, target)
    labels = {(e.source, e.target): e.attr("label") for e in edges}
    assert labels[("Vz", "Vz")] == "set_stable_if_present => fail\nread, write => fault"
    assert labels[("Pr", "Sp")] == "discard if dirty"
    assert labels[("Vr", "Sr")] == "set_stable, set_stable_if_present"
    dashed = sorted(
        f"{e.source}->{e.target}" for e in edges if e.attr("style") == "dashed"
    )
    assert dashed == ["Pr->Sp", "Pr->Vz", "Sr->Sp", "Ur->Uz", "Vr->Vz"]
