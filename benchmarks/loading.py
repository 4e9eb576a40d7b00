"""How long loading (reading, parsing and checking) the spec library takes.

    python -m benchmarks.loading [FOLDER ...]      # default: specs/

Runs in this process, as `pagecheck FOLDER` would: finds the specs in the folders,
then loads each (its model included) and prints the time of each and the total. The
total counts finding the specs and building (or loading the cached) parser, not
Python's imports, which are printed apart; the CPU time beside it says how much of
the time was this process's own, on a busy machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    from checker.api import spec_files
    from checker.load import load_spec

    imported = time.perf_counter()
    cpu = time.process_time()
    folders = [Path(a) for a in argv] or [ROOT / "specs"]
    files = list(spec_files(folders))
    found = time.perf_counter()
    times: list[tuple[Path, float]] = []
    for path in files:
        before = time.perf_counter()
        load_spec(path)
        times.append((path, time.perf_counter() - before))
    end = time.perf_counter()
    cpu = time.process_time() - cpu
    width = max((len(p.name) for p, _ in times), default=0)
    for path, seconds in times:
        print(f"{path.name:<{width}}  {seconds * 1000:7.1f} ms")
    print(f"imports: {(imported - start) * 1000:.0f} ms")
    print(f"finding the specs: {(found - imported) * 1000:.0f} ms")
    print(
        f"total: {(end - imported) * 1000:.0f} ms for {len(files)} specs"
        f" ({cpu * 1000:.0f} ms of CPU time)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
