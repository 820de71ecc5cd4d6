"""Dynamic batching: concurrent single-input requests run as one batched forward pass.

A request that finds the model idle runs at once, alone, so a lone user waits for nothing. Requests that arrive
while a batch is running queue up, and the next batch takes all of them (up to `max_size`). Under load the model
runs few large batches instead of many single ones; each caller still gets its own result or its batch's error.

Clients answered together come back together, but not at the same instant: without care the first of them finds the
model idle and runs alone, the rest wait for it, and batches alternate 1, 7, 1, 7 (measured: 8 clients). So the
first request after a batch of k waits up to `gather_s` for k requests to be there (a lone user's batches are of 1,
so a lone user still waits for nothing).

With a `turn` (the device scheduler's), the next batch is taken when the device is free for it, not before: requests
that arrive while their leader waits for the device (long work holds it for a slice) join the leader's batch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

__all__ = ["BatchObserver", "MicroBatcher"]

Item = TypeVar("Item")
Result = TypeVar("Result")


class BatchObserver(Protocol):
    """Told what a batcher does, for metrics and tests; it keeps nothing itself."""

    def queued(self, waiting: int) -> None:
        """A request joined the queue behind a running batch; `waiting` requests now wait."""

    def ran(self, size: int) -> None:
        """A batch of `size` requests ran."""


@dataclass
class _Job(Generic[Item, Result]):
    item: Item
    ready: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    result: Result | None = None
    error: BaseException | None = None


class MicroBatcher(Generic[Item, Result]):
    """Runs `run_batch` on the items of concurrent `submit` calls, one batch at a time."""

    def __init__(
        self,
        run_batch: Callable[[list[Item]], Sequence[Result]],
        max_size: int = 16,
        observer: BatchObserver | None = None,
        gather_s: float = 0.05,
        turn: Callable[[], AbstractContextManager[object]] = nullcontext,
    ):
        self._run_batch = run_batch
        self._turn = turn
        self._max_size = max_size
        self._observer = observer
        self._gather_s = gather_s
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._pending: list[_Job[Item, Result]] = []
        self._busy = False
        self._last_size = 1  # how many the last batch ran: about as many come back at once under steady load

    def submit(self, item: Item) -> Result:
        job: _Job[Item, Result] = _Job(item)
        with self._lock:
            self._pending.append(job)
            leads, self._busy = not self._busy, True
            waiting = len(self._pending)
            self._arrived.notify_all()
        if not leads:
            if self._observer:
                self._observer.queued(waiting)
            job.ready.wait()  # woken with a result, or to lead the next batch (this job first in it)
        if not job.finished:
            self._gather()
            with self._turn():
                self._run_next()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _gather(self) -> None:
        """Wait up to `gather_s` for as many requests as the last batch had (none after a batch of one)."""
        deadline = time.monotonic() + self._gather_s
        with self._arrived:
            while len(self._pending) < min(self._last_size, self._max_size):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._arrived.wait(remaining)

    def _run_next(self) -> None:
        with self._lock:
            batch = self._pending[: self._max_size]
            del self._pending[: self._max_size]
            self._last_size = len(batch)
        if self._observer:
            self._observer.ran(len(batch))
        try:
            results = list(self._run_batch([job.item for job in batch]))
            for job, result in zip(batch, results, strict=True):
                job.result = result
        except BaseException as exc:  # every caller of this batch sees its failure
            for job in batch:
                job.error = exc
        for job in batch:
            job.finished = True
            job.ready.set()
        with self._lock:
            if self._pending:
                self._pending[0].ready.set()  # hand the lead to the oldest waiting request
            else:
                self._busy = False
