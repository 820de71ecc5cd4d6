"""One device, a room of visitors: model work takes the device in slices, short work first, long work never starved.

Gradio's queue admits requests (a concurrency group lets N run at once) but has no priority, and the device runs
`slots` pieces of model work at a time (one on a CPU, where a pass already uses every core; two on CUDA). So every
piece of model work asks this scheduler for a slot:

- A job starts **short** (a forward pass, a micro-batch of texts). Short jobs are served in the order they asked,
  and run to the end once started.
- A job of several passes that has held the device for `long_after` seconds (four slices by default: about what a
  batch of quick requests costs on a CPU) becomes **long**: Integrated Gradients' steps, a long text's windows, a
  batch of texts in batches; fine-tuning says it is long from the start. One pass, however big, stays short (a
  micro-batch of quick requests is the work this order protects), and so does work of a few cheap passes (zero-shot
  labels, Gradient × Input's forward and backward pass), which a busy server would otherwise hold back as long
  work. Long work runs in slices: at
  each slice boundary (before every encoder layer, and in a backward pass after every layer's gradient; see
  `mark_slice_boundaries`) a long job asks for the device again, behind the requests already waiting in its class,
  and gives it up if the policy picks another: once its slice has lasted `slice_seconds` if it won the device over
  waiting work, at once if it got the device with nobody else waiting. Two long jobs so take turns.
- While both classes wait, they share the device by stride scheduling: each class's virtual time advances by the
  device time it uses divided by its share (`long_share` for long work, the rest for short work), and the class whose
  virtual time is behind goes next, short work on a tie. Long work thus keeps its share however many quick requests
  arrive, and quick requests keep the rest however long the long work is. A class that asks after being idle starts
  level with the other, so it brings no credit with it.

A boundary costs a lock and a clock read when nobody waits: on an idle device long work runs as fast as unsliced.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

__all__ = [
    "DeviceScheduler",
    "Job",
    "Kind",
    "SchedulerStats",
    "give_way",
    "mark_slice_boundaries",
    "set_aside",
]

Kind = Literal["short", "long"]
KINDS: tuple[Kind, Kind] = ("short", "long")
T = TypeVar("T")


@dataclass(eq=False)
class Job:
    """One piece of model work: its class, and the device time it has used."""

    kind: Kind
    scheduler: DeviceScheduler
    device_seconds: float = 0.0
    waited_seconds: float = 0.0  # waiting for the device after its first slice (it gave way)
    slices: int = 0
    passes: int = 0  # forward passes of a model begun
    _protected_until: float = 0.0  # a slice won against waiting work runs this long before it gives way
    _charged_at: float = 0.0


@dataclass(eq=False)
class _Request:
    job: Job
    ticket: int
    granted: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class SchedulerStats:
    """What the scheduler has done so far, per class: device seconds used, slices run (a job's each turn on the
    device), jobs waiting now and jobs on the device now; and how often a long job gave the device up to another."""

    device_seconds: dict[Kind, float]
    slices: dict[Kind, int]
    waiting: dict[Kind, int]
    running: dict[Kind, int]
    handovers: int


_current = threading.local()  # the job this thread's model work runs in (like torch's grad mode, per thread)


def _job() -> Job | None:
    return getattr(_current, "job", None)


def _set_job(job: Job | None) -> Job | None:
    previous, _current.job = _job(), job
    return previous


class DeviceScheduler:
    """Model work on one device, `slots` at a time; see the module's docstring for the policy."""

    def __init__(
        self,
        slots: int = 1,
        long_share: float = 0.25,
        slice_seconds: float = 0.1,
        clock: Callable[[], float] = time.perf_counter,
        long_after: float | None = None,
    ) -> None:
        if not 0 < long_share < 1:
            raise ValueError(f"long work's share of the device must be between 0 and 1, not {long_share}")
        if slots < 1 or slice_seconds < 0:
            raise ValueError(f"a scheduler needs a slot or more and a slice of 0 s or more: {slots}, {slice_seconds}")
        self.slots, self.long_share, self.slice_seconds = slots, long_share, slice_seconds
        self.long_after = 4 * slice_seconds if long_after is None else long_after
        self._clock = clock
        self._weight: dict[Kind, float] = {"short": 1 - long_share, "long": long_share}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # told of every request, grant and release
        self._free = slots
        self._waiting: list[_Request] = []
        self._tickets = itertools.count()
        self._virtual: dict[Kind, float] = dict.fromkeys(KINDS, 0.0)
        self._active: dict[Kind, int] = dict.fromkeys(KINDS, 0)  # jobs of the class waiting or on the device
        self._used: dict[Kind, float] = dict.fromkeys(KINDS, 0.0)
        self._slices: dict[Kind, int] = dict.fromkeys(KINDS, 0)
        self._handovers = 0

    # -- what callers use -----------------------------------------------------------------------------------------

    @contextmanager
    def work(self, kind: Kind = "short") -> Iterator[Job]:
        """The block runs as model work on the device, when its turn comes. Work nested in work of the same thread
        and scheduler is part of it and goes straight through."""
        current = _job()
        if current is not None and current.scheduler is self:
            yield current
            return
        with self.holding(Job(kind, self)) as job:
            yield job

    @contextmanager
    def holding(self, job: Job) -> Iterator[Job]:
        """`job` on the device for the block (a turn of a job that runs in several, like a fine-tuning run's steps)."""
        self._acquire(job)
        previous = _set_job(job)
        try:
            yield job
        finally:
            _set_job(previous)
            self._release(job)

    def sliced(self, updates: Iterator[T], kind: Kind = "long") -> Iterator[T]:
        """`updates`, each computed as a turn of one job (a training run: a step a turn), the device free between."""
        job = Job(kind, self)
        try:
            while True:
                with self.holding(job):
                    try:
                        update = next(updates)
                    except StopIteration:
                        return
                yield update
        finally:
            close: Callable[[], Any] | None = getattr(updates, "close", None)
            if close is not None:
                close()

    def stats(self) -> SchedulerStats:
        with self._lock:
            return self._stats()

    def wait_until(self, condition: Callable[[SchedulerStats], bool], timeout: float) -> bool:
        """Wait until `condition(stats)` holds (checked at every request, grant and release), at most `timeout` s;
        whether it held. For tests and monitoring: "a quick request is waiting now"."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self._stats()), timeout)

    def _stats(self) -> SchedulerStats:
        waiting = {kind: sum(r.job.kind == kind for r in self._waiting) for kind in KINDS}
        running = {kind: self._active[kind] - waiting[kind] for kind in KINDS}
        return SchedulerStats(dict(self._used), dict(self._slices), waiting, running, self._handovers)

    # -- the policy ----------------------------------------------------------------------------------------------

    def _acquire(self, job: Job) -> None:
        with self._lock:
            self._active[job.kind] += 1
            self._level(job.kind)
            self._changed.notify_all()
            if self._free:
                self._free -= 1
                self._grant(job, self._clock(), contested=False)
                return
            request = _Request(job, next(self._tickets))
            self._waiting.append(request)
        self._wait(request)

    def _release(self, job: Job) -> None:
        with self._lock:
            now = self._clock()
            self._charge(job, now)
            self._active[job.kind] -= 1
            self._changed.notify_all()
            if (chosen := self._choose(None)) is None:
                self._free += 1
                return
            self._waiting.remove(chosen)
            self._grant(chosen.job, now, contested=bool(self._waiting))
            chosen.granted.set()

    def _give_way(self, job: Job, new_pass: bool = False) -> None:
        """A slice boundary of `job`, which holds a slot (`new_pass`: a forward pass begins): hand the slot to another
        request if the policy says so."""
        with self._lock:
            now = self._clock()
            self._charge(job, now)
            job.passes += new_pass
            if job.kind == "short":
                if job.passes < 2 or job.device_seconds < self.long_after:
                    return
                self._make_long(job)
            if not self._waiting or now < job._protected_until:
                return
            again = _Request(job, next(self._tickets))  # behind every request already waiting in its class
            chosen = self._choose(again) or again
            if chosen is again:
                job._protected_until = now + self.slice_seconds
                return
            self._waiting.remove(chosen)
            self._grant(chosen.job, now, contested=True)
            chosen.granted.set()
            self._waiting.append(again)
            self._handovers += 1
            self._changed.notify_all()
        self._wait(again)

    def _wait(self, request: _Request) -> None:
        started = time.perf_counter()
        request.granted.wait()
        if request.job.slices > 1:
            request.job.waited_seconds += time.perf_counter() - started

    def _choose(self, extra: _Request | None) -> _Request | None:
        """The request that gets the next slot: the class behind in virtual time (short on a tie), its first asker."""
        candidates = self._waiting + ([extra] if extra is not None else [])
        kinds = {request.job.kind for request in candidates}
        if not kinds:
            return None
        if len(kinds) == 1:
            (kind,) = kinds
        else:
            kind = "long" if self._virtual["long"] < self._virtual["short"] else "short"
        return min((r for r in candidates if r.job.kind == kind), key=lambda request: request.ticket)

    def _level(self, kind: Kind) -> None:
        """A class that becomes active starts no further behind the other: idle time is no credit. Whether the other
        is busy at that moment does not matter: a job that turns long after a spell of quick requests would otherwise
        start with all their device time as credit, and hold the device against the next quick request until it had
        caught up (the order then depended on how long those earlier requests took)."""
        other: Kind = "long" if kind == "short" else "short"
        if self._active[kind] == 1:
            self._virtual[kind] = max(self._virtual[kind], self._virtual[other])

    def _make_long(self, job: Job) -> None:
        self._active["short"] -= 1
        job.kind = "long"
        self._active["long"] += 1
        self._level("long")

    def _grant(self, job: Job, now: float, contested: bool) -> None:
        """`job` gets a slot; a slot it won over other waiting work is its for a slice before it gives way, one it
        got with nobody else waiting is not (who comes next takes it at the next boundary, if the policy says so)."""
        job._charged_at = now
        job._protected_until = now + self.slice_seconds if contested else now
        job.slices += 1
        self._slices[job.kind] += 1

    def _charge(self, job: Job, now: float) -> None:
        used, job._charged_at = now - job._charged_at, now
        job.device_seconds += used
        self._used[job.kind] += used
        self._virtual[job.kind] += used / self._weight[job.kind]


def give_way(new_pass: bool = False) -> None:
    """A slice boundary: the long job this thread runs, if any, lets waiting work have the device (see the module's
    docstring); `new_pass`: a forward pass of a model begins here. Anywhere else, nothing."""
    if (job := _job()) is not None:
        job.scheduler._give_way(job, new_pass)


@contextmanager
def set_aside() -> Iterator[None]:
    """The block does no device work but may take long (a model load): the job this thread runs, if any, gives its
    slot up for the block and waits for its turn again after."""
    job = _job()
    if job is None:
        yield
        return
    scheduler = job.scheduler
    _set_job(None)
    scheduler._release(job)
    try:
        yield
    finally:
        scheduler._acquire(job)
        _set_job(job)


def _before_pass(module: Any, args: Any) -> None:
    give_way(new_pass=True)


def _before_layer(module: Any, args: Any) -> None:
    give_way()


def _after_layer(module: Any, args: Any, output: Any) -> None:
    """In a pass that will be differentiated, a boundary in the backward pass too, once this layer's gradient is in."""
    hidden = output[0] if isinstance(output, tuple) else output
    if getattr(hidden, "requires_grad", False):
        hidden.register_hook(_in_backward)


def _in_backward(gradient: Any) -> None:
    # On a CPU the backward pass runs in the thread that asked for it, whose job `give_way` finds. On CUDA it runs
    # in autograd's device thread, which runs no job: there a backward pass is never cut (and is short).
    give_way()


def mark_slice_boundaries(model: Any) -> None:
    """Put slice boundaries into `model`: where each forward pass of its encoder begins, before each encoder layer,
    and after each layer's backward pass. Marks each module once (a quantised copy keeps its original's hooks)."""
    base = getattr(model, "base_model", model)
    if getattr(base, "_roberta_demo_boundaries", False):
        return
    base.register_forward_pre_hook(_before_pass)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    for layer in layers if layers is not None else []:
        layer.register_forward_pre_hook(_before_layer)
        layer.register_forward_hook(_after_layer)
    base._roberta_demo_boundaries = True
