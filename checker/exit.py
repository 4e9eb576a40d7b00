"""Exit statuses of every `pagecheck` command (language reference §4), in one place.

Stage: command plumbing; imports nothing. `worst` combines the statuses of several
specs: the first of 2, 3, 1, 0 that occurs wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    """Every spec got its expected verdict (`lint`: nothing found)."""
    EXPECTATION_FAILED = 1
    """Some spec did not get its expected verdict (`lint`: findings)."""
    INPUT_ERROR = 2
    """Bad input (`file:line:col: error: ...`) or a bad command line."""
    UNKNOWN = 3
    """A verdict was `unknown` (a time or size limit), or an internal error."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (SIGINT), as shells report it: 128 + 2."""


#: The order in which statuses win when several specs are checked.
PRECEDENCE = (
    ExitStatus.INPUT_ERROR,
    ExitStatus.UNKNOWN,
    ExitStatus.EXPECTATION_FAILED,
)


def worst(codes: Iterable[int]) -> ExitStatus:
    """The exit status of several specs: the first of 2, 3, 1, 0 that occurs."""
    seen = set(codes)
    return next((code for code in PRECEDENCE if code in seen), ExitStatus.OK)
