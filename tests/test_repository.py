"""What the repository ships: no machine's paths, and every cited document exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Absolute paths of one machine (spelled in pieces, so this file does not match).
MACHINE_PATHS = re.compile("/(" + "|".join(["work", "tmp", "root", "home"]) + ")/")
CITED = re.compile(r"(?<![\w/.])docs/[\w./-]*\w")


def tracked_files() -> list[Path]:
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in done.stdout.split("\0") if name]


def test_no_tracked_file_names_a_machine_path() -> None:
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATHS.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def cited_documents() -> list[tuple[str, str]]:
    sources = [
        ROOT / "README.md",
        *sorted((ROOT / "specs").glob("*.pg")),
        *sorted((ROOT / "models").iterdir()),
    ]
    return [
        (str(source.relative_to(ROOT)), cited)
        for source in sources
        for cited in CITED.findall(source.read_text(encoding="utf-8"))
    ]


def test_specs_models_and_readme_cite_shipped_documents() -> None:
    citations = cited_documents()
    assert ("models/seed.pg", "docs/seed/lkml-2008-03-12-guest-page-hinting.txt") in (
        citations
    )
    missing = [
        f"{source} cites {cited}"
        for source, cited in citations
        if not (ROOT / cited).exists()
    ]
    assert not missing, "\n".join(missing)


def test_the_reference_is_shipped_as_the_normative_core() -> None:
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    assert "normative core" in header
    assert rest.lstrip().startswith("# The pagecheck language — reference")
