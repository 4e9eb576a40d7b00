"""The engines on the command line: which engine answered, and `--certificate`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import z3

from .test_commands import run

ROOT = Path(__file__).resolve().parents[2]
SAFE = str(ROOT / "specs" / "race_fixed.pg")
VIOLATED = str(ROOT / "specs" / "race.pg")


def test_the_report_names_the_engine_that_answered() -> None:
    status, out, _ = run("-q", SAFE)
    assert status == 0
    assert re.search(r"s, by (explicit|induction|bmc)\)$", out.rstrip())
    status, out, _ = run("--json", "--engine", "explicit", SAFE)
    result = json.loads(out)["results"][0]
    assert (result["engine"], result["answered_by"]) == ("explicit", "explicit")
    status, out, _ = run("--json", SAFE)
    result = json.loads(out)["results"][0]
    assert result["engine"] == "auto"
    assert result["answered_by"] in ("explicit", "induction", "bmc")


def test_a_proof_by_induction_writes_its_certificate(tmp_path: Path) -> None:
    certificate = tmp_path / "proof.smt2"
    status, out, _ = run(
        "--engine", "induction", "--certificate", str(certificate), SAFE, VIOLATED
    )
    assert status == 0
    assert "race_fixed.pg: safe, complete" in out
    # Spacer or k-induction, whichever proves it first
    how = re.search(r"proved by (induction: an|k-induction: a \d+-)inductive inv", out)
    assert how is not None, out
    assert "race.pg: violation silent-loss in 2 steps" in out
    text = certificate.read_text()
    assert re.match(r"; (an|a \d+-)inductive invariant of ", text)
    assert text.count("(define-fun invariant () Bool") == 1
    assert z3.parse_smt2_string(text + "(assert invariant)")


def test_no_certificate_without_a_proof_by_induction(tmp_path: Path) -> None:
    certificate = tmp_path / "proof.smt2"
    status, _, err = run(
        "--engine", "explicit", "--certificate", str(certificate), SAFE
    )
    assert status == 0
    assert not certificate.exists()
    assert "no certificate written" in err
