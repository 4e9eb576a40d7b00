"""Work items for the executor's own tests: one that returns a value, and ones that
kill the worker process running them (once, or every time). The test workers find
this module on their PYTHONPATH (conftest.py); pagecheck's own jobs need nothing
but pagecheck on a worker."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Value:
    value: int

    def run(self) -> str:
        return f"done {self.value}"

    def failed(self, reason: str) -> str:
        return f"failed {self.value}: {reason}"


@dataclass(frozen=True, slots=True)
class DieOnce:
    """Kills its worker the first time it runs (`marker` records that it did)."""

    value: int
    marker: str

    def run(self) -> str:
        marker = Path(self.marker)
        if not marker.exists():
            marker.write_text("killed once\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return f"done {self.value}"

    def failed(self, reason: str) -> str:
        return f"failed {self.value}: {reason}"


@dataclass(frozen=True, slots=True)
class AlwaysDie:
    value: int

    def run(self) -> str:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("the worker outlived SIGKILL")

    def failed(self, reason: str) -> str:
        return f"failed {self.value}: {reason}"
