"""The pytest plugin: every `.pg` spec in the spec folders is a test.

Stage: the top, beside the CLI. Registered as the `pytest11` entry point `pagecheck`,
so it is loaded by every pytest run in an environment where pagecheck is installed;
it imports only pytest, the standard library and the engine table
(`checker.engines`, which loads no engine) until a spec is actually checked (no z3,
no lark, no `checker.api` at collection).

What is collected: a `*.pg` file that pytest visits and that lies in one of the
folders of the ini option `pagecheck_paths` (default: `specs` next to the ini file, or
in the rootdir), or that is named on the command line. Model files are skipped. So
`pytest specs/` or a `testpaths` entry runs them; a spec corpus elsewhere under the
collected paths (golden tests, error cases) is left alone.

An item passes when the spec's verdict meets its `expect` (a spec without `expect`
must be `safe`): the same rule as `pagecheck`'s exit status 0. A failure shows the
text report with the schedule; an input error shows the error with its caret.
Options: `--pagecheck-engine NAME` (a name in `checker.engines.ENGINES`, or an alias) and
`--pagecheck-timeout SECONDS`, with ini defaults `pagecheck_engine` and
`pagecheck_timeout`; `pagecheck_models` lists extra folders for `use NAME`. Items
carry the marker `pagecheck` (`-m pagecheck`) and record `verdict`, `property`,
`complete` and `engine` as JUnit XML properties.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .engines import DEFAULT_ENGINE, engine_names

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from .result import CheckResult

GROUP = "pagecheck"
ENGINE_OPTION = "--pagecheck-engine"
TIMEOUT_OPTION = "--pagecheck-timeout"
PATHS_INI = "pagecheck_paths"
ENGINE_INI = "pagecheck_engine"
TIMEOUT_INI = "pagecheck_timeout"
MODELS_INI = "pagecheck_models"
MARKER = "pagecheck"
DEFAULT_TIMEOUT_S = 600.0  # = checker.api.DEFAULT_TIMEOUT, not imported here
DEFAULT_PATHS = ("specs",)

_MODEL_HEADER = re.compile(r"^[ \t]*model[ \t]+[A-Za-z_]", re.MULTILINE)
_FOLDERS = pytest.StashKey[tuple[Path, ...]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "pagecheck: .pg specs as tests")
    group.addoption(
        ENGINE_OPTION,
        choices=engine_names(),
        default=None,
        help=f"engine that checks .pg specs (default: ini {ENGINE_INI}, else "
        f"{DEFAULT_ENGINE})",
    )
    group.addoption(
        TIMEOUT_OPTION,
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"time limit per spec; reaching it fails the test as `unknown` "
        f"(default: ini {TIMEOUT_INI}, else {DEFAULT_TIMEOUT_S:g})",
    )
    parser.addini(
        PATHS_INI,
        type="paths",
        default=[],
        help="folders whose *.pg specs are collected as tests (default: specs)",
    )
    parser.addini(
        ENGINE_INI,
        default="",
        help=f"default of {ENGINE_OPTION} ({' or '.join(engine_names())})",
    )
    parser.addini(TIMEOUT_INI, default="", help=f"default of {TIMEOUT_OPTION}")
    parser.addini(
        MODELS_INI,
        type="paths",
        default=[],
        help="folders searched first for `use NAME` models",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: a .pg spec checked by pagecheck (pytest plugin)"
    )
    _engine(config)
    _timeout(config)


def _engine(config: pytest.Config) -> str:
    engine = config.getoption(ENGINE_OPTION) or str(config.getini(ENGINE_INI)).strip()
    engine = engine or DEFAULT_ENGINE
    if engine not in engine_names():
        raise pytest.UsageError(
            f"{ENGINE_INI} must be one of {', '.join(engine_names())}, got {engine!r}"
        )
    return str(engine)


def _timeout(config: pytest.Config) -> float:
    value = config.getoption(TIMEOUT_OPTION)
    if value is None:
        text = str(config.getini(TIMEOUT_INI)).strip()
        try:
            value = float(text) if text else DEFAULT_TIMEOUT_S
        except ValueError:
            raise pytest.UsageError(
                f"{TIMEOUT_INI} must be a number of seconds, got {text!r}"
            ) from None
    if not value > 0:
        raise pytest.UsageError(f"the pagecheck timeout must be > 0, got {value}")
    return float(value)


def spec_folders(config: pytest.Config) -> tuple[Path, ...]:
    """The folders whose specs are tests (resolved once per run)."""
    if _FOLDERS not in config.stash:
        configured = [Path(p) for p in config.getini(PATHS_INI)]
        if not configured:
            base = config.inipath.parent if config.inipath else config.rootpath
            configured = [base / p for p in DEFAULT_PATHS]
        config.stash[_FOLDERS] = tuple(p.resolve() for p in configured)
    return config.stash[_FOLDERS]


def is_model_text(text: str) -> bool:
    """A cheap test (no parser): does the file declare `model NAME`?"""
    return _MODEL_HEADER.search(text) is not None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if file_path.suffix != ".pg":
        return None
    named = parent.session.isinitpath(file_path)
    resolved = file_path.resolve()
    inside = any(resolved.is_relative_to(f) for f in spec_folders(parent.config))
    if not (named or inside):
        return None
    try:
        text = file_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    if is_model_text(text):
        return None
    spec_file: SpecFile = SpecFile.from_parent(parent, path=file_path)
    return spec_file


class SpecFile(pytest.File):
    """A `.pg` spec file: one test item."""

    def collect(self) -> Iterator[SpecItem]:
        yield SpecItem.from_parent(self, name=self.path.stem)


class SpecFailed(Exception):
    """The verdict did not meet the spec's `expect`."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.file)
        self.result = result


class SpecInputError(Exception):
    """The spec (or its model) has an input error; the message is rendered."""


class SpecItem(pytest.Item):
    """Checking one spec against its `expect`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker(MARKER)

    def runtest(self) -> None:
        from .api import Options, check_file
        from .errors import SourceError

        config = self.config
        options = Options(
            engine=_engine(config),
            timeout=_timeout(config),
            models_dirs=tuple(Path(p) for p in config.getini(MODELS_INI)),
        )
        try:
            result = check_file(self.path, options, display=self._display())
        except SourceError as error:
            raise SpecInputError(error.render()) from None
        self.user_properties.extend(
            [
                ("verdict", str(result.verdict)),
                ("property", result.prop or ""),
                ("complete", str(result.complete).lower()),
                ("engine", result.engine),
            ]
        )
        if not result.expectation_met:
            raise SpecFailed(result)

    def _display(self) -> str:
        try:
            return self.path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return str(self.path)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, SpecFailed):
            from .report.text import render_result

            result = excinfo.value.result
            expected = result.expect.describe() if result.expect else "safe"
            return (
                f"pagecheck: expected {expected}, got {result.verdict}\n"
                + render_result(result)
            )
        if isinstance(excinfo.value, SpecInputError):
            return f"pagecheck: input error\n{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"pagecheck {self._display()}"
