"""Sweeps on a Dask cluster: the executor behind `--cluster ADDRESS`.

Stage: tools, beside `checker.executor` (whose interface it implements); the only
module that imports Dask (`distributed`, the optional extra `pagecheck[cluster]`),
and only once a cluster is asked for. The jobs are the ones the local process pool
runs: plain data carrying the spec and model texts, so a worker needs pagecheck
installed and nothing else (no shared file system).

Results come back in job order whatever order they finish in; the progress bar
counts finished checks. A task whose worker dies is run again by the scheduler (up to
its `allowed-failures`), one that raises is retried `RETRIES` times; one that still
fails becomes that job's own `failed` result and the sweep's other results are kept.
Ctrl-C cancels every submitted task before the interrupt goes on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from .executor import ExecutorError, Job, ProgressBar, run_job

T = TypeVar("T")

LOCAL = "local"
"""The address that starts a `LocalCluster` of worker processes on this machine."""
ENVIRONMENT = "PAGECHECK_CLUSTER"
"""The environment variable that gives `--cluster` its default."""
CONNECT_TIMEOUT_S = 5.0
"""How long to try reaching a scheduler before giving up."""
RETRIES = 2
"""How many times a check that raised is run again."""

EXTRA_MISSING = (
    "--cluster needs Dask, which is not installed: "
    "pip install 'pagecheck[cluster]' (on the workers too)"
)


@dataclass(frozen=True, slots=True)
class DaskCluster:
    """Jobs run as tasks of a Dask scheduler at `address`, or of a `LocalCluster` of
    `workers` processes for `local`."""

    address: str
    workers: int = 2

    def run(self, jobs: Sequence[Job[T]], progress: ProgressBar | None) -> list[T]:
        distributed = _import_distributed()
        if not jobs:  # nothing to send: no cluster to reach or start
            return []
        with _quiet(), self._client(distributed) as client:
            keys = [f"pagecheck-{uuid.uuid4().hex}-{k}" for k in range(len(jobs))]
            futures = client.map(run_job, jobs, key=keys, pure=False, retries=RETRIES)
            where = {future.key: k for k, future in enumerate(futures)}
            results: dict[int, T] = {}
            try:
                for future in distributed.as_completed(futures, loop=client.loop):
                    k = where[future.key]
                    results[k] = _result(jobs[k], future)
                    if progress is not None:
                        progress.advance()
            except BaseException:
                client.cancel(futures, force=True)
                raise
            return [results[k] for k in range(len(jobs))]

    @contextmanager
    def _client(self, distributed: Any) -> Iterator[Any]:
        """A connected client (and the local cluster it runs on, for `local`)."""
        cluster = None
        try:
            if self.address == LOCAL:
                cluster = start_local_cluster(self.workers)
                client = distributed.Client(cluster, set_as_default=False)
            else:
                client = distributed.Client(
                    self.address, timeout=CONNECT_TIMEOUT_S, set_as_default=False
                )
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            if cluster is not None:
                cluster.close()
            what = (
                "cannot start a local Dask cluster"
                if self.address == LOCAL
                else f"cannot reach the Dask scheduler at {self.address}"
            )
            raise ExecutorError(f"{what}: {_reason(error)}") from None
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def start_local_cluster(workers: int) -> Any:
    """A Dask `LocalCluster` on 127.0.0.1: `workers` single-threaded processes (a
    check is one long computation in Python), only errors logged. The scheduler's
    web server gets a free port: it starts even without a dashboard, and on Dask's
    usual port it would clash with any other cluster on the machine."""
    distributed = _import_distributed()
    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(EXTRA_MISSING) from None
    return distributed


def _result(job: Job[T], future: Any) -> T:
    """The job's result, fetched as soon as it is done (a result left on a worker
    that dies later would be computed again); its `failed` result when the task
    ended in an error."""
    try:
        result: T = future.result()
    except Exception as error:  # the task's own error, or Dask's about the task
        if type(error).__name__ == "KilledWorker":
            return job.failed("its worker died on every try")
        return job.failed(f"it failed on the cluster: {_reason(error)}")
    return result


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@contextmanager
def _quiet() -> Iterator[None]:
    """Dask's own log lines (workers joining and leaving, retries) are not the
    command's output: only errors reach stderr while a sweep runs."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
