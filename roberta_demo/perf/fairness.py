"""How fairly the device is shared: quick requests beside long work, in process and on the served app.

`python -m roberta_demo.perf.benchmark --parts fairness` runs it on roberta-base-shaped models for two shares of the
device kept for long work (`--long-share`): in process (the tasks called from threads, no HTTP: the scheduler
alone), on the served app over plain HTTP (what a class sees), and on the app with the Ray engine where Ray is
installed. Each phase runs for the same time:

  (i)   8 clients sending quick /sentiment requests one after another, nothing else: the device is saturated;
  (ii)  the same 8, with 2 clients running Integrated Gradients (32 steps) on /explain without pause;
  (iii) the same 8, with 1 client fine-tuning on /fine_tune without pause;

and the long work alone, for its own time: the 2 explaining clients, then the fine-tuning client. Since (i) already
uses the whole device, long work can only take its share from quick work: with a share s, the targets are quick
p95 in (ii) and (iii) at most 2 × (i), quick throughput at least (1 − s − 0.1) × (i), and an explanation (a training
step) at most 1 / s × its time alone.
"""

from __future__ import annotations

import functools
import itertools
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from roberta_demo.perf.clients import rest_predict, rest_stream
from roberta_demo.results import FineTuned
from roberta_demo.scheduling import DeviceScheduler, SchedulerStats
from roberta_demo.tasks import explain, finetune, sentiment
from roberta_demo.tasks.common import TaskContext

__all__ = ["QUICK_CLIENTS", "Clients", "Phase", "fairness_rows", "in_process", "measure", "over_http"]

QUICK_CLIENTS, EXPLAINING_CLIENTS = 8, 2
TEXT = "The new phone is fast and the camera is great, but the battery life is so bad."
STEPS = 32
FINE_TUNE_STEPS = 12
LEAD_S = 3.0  # the long clients get going before quick requests are counted
Row = tuple[str, str, str]


@dataclass(frozen=True)
class Clients:
    """What each kind of client does, once: a quick request (client number, request number), an explanation, and a
    fine-tuning run, which returns when each of its updates arrived (`time.perf_counter()`)."""

    quick: Callable[[int, int], object]
    explanation: Callable[[], object]
    fine_tuning: Callable[[], list[float]]


def over_http(url: str, examples: dict[str, Any]) -> Clients:
    """The clients as programs call the app: plain HTTP, a session each, a connection per thread."""
    local = threading.local()

    def http() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=600)
        return local.client  # type: ignore[no-any-return]

    return Clients(
        quick=lambda n, i: rest_predict(http(), url, "/sentiment", [f"{TEXT} ({n}, {i})"], f"quick-{n}"),
        explanation=lambda: rest_predict(http(), url, "/explain", [TEXT, "sentiment", None, "integrated_gradients"]),
        fine_tuning=lambda: rest_stream(http(), url, "/fine_tune", [examples, None, None, FINE_TUNE_STEPS]),
    )


def in_process(context: TaskContext, examples: dict[str, Any]) -> Clients:
    """The same work as task calls from threads of this process: the scheduler without Gradio and HTTP."""
    read = finetune.read_examples(examples, None, context.limits)

    def fine_tuning() -> list[float]:
        arrived = []
        for update in finetune.train(context, read, finetune.Recipe(steps=FINE_TUNE_STEPS)):
            arrived.append(time.perf_counter())
            if isinstance(update, FineTuned):
                context.release(update.key)
        return arrived

    return Clients(
        quick=lambda n, i: sentiment.classify(context, f"{TEXT} ({n}, {i})"),
        explanation=lambda: explain.explain(context, TEXT, "sentiment", method="integrated_gradients", steps=STEPS),
        fine_tuning=fine_tuning,
    )


@dataclass
class Phase:
    """One phase: every quick request answered in its window (latency, seconds), the explanations' latencies, the
    time between consecutive steps of each fine-tuning run, and failures."""

    window: float
    quick: list[float] = field(default_factory=list)
    explanations: list[float] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def quick_rate(self) -> float:
        return len(self.quick) / self.window

    def quick_percentile(self, share: float) -> float:
        ordered = sorted(self.quick)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _quick(clients: Clients, number: int, phase: Phase, window: tuple[float, float], stop: threading.Event) -> None:
    for count in itertools.count():
        if stop.is_set():
            return
        started = time.perf_counter()
        clients.quick(number, count)
        ended = time.perf_counter()
        if window[0] <= ended <= window[1]:
            phase.quick.append(ended - started)


def _explaining(clients: Clients, phase: Phase, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        clients.explanation()
        phase.explanations.append(time.perf_counter() - started)


def _fine_tuning(clients: Clients, phase: Phase, stop: threading.Event) -> None:
    while not stop.is_set():
        arrived = clients.fine_tuning()
        # The first update comes after copying the model and predicting every example; the rest, a step each.
        phase.steps += [later - earlier for earlier, later in itertools.pairwise(arrived[1:])]


def measure(clients: Clients, seconds: float, quick: int, explaining: int = 0, fine_tuning: bool = False) -> Phase:
    """Run `quick` quick clients, `explaining` explaining ones and (`fine_tuning`) one fine-tuning client together;
    quick requests count when they end within the window after `LEAD_S`."""
    phase, stop = Phase(seconds), threading.Event()
    start = time.perf_counter()
    window = (start + LEAD_S, start + LEAD_S + seconds)
    work: list[Callable[[], None]] = [
        *(functools.partial(_quick, clients, n, phase, window, stop) for n in range(quick)),
        *(functools.partial(_explaining, clients, phase, stop) for _ in range(explaining)),
        *([functools.partial(_fine_tuning, clients, phase, stop)] if fine_tuning else []),
    ]
    threads = [threading.Thread(target=_recording(target, phase)) for target in work]
    for thread in threads:
        thread.start()
    stop.wait(LEAD_S + seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return phase


def _recording(target: Callable[[], None], phase: Phase) -> Callable[[], None]:
    def run() -> None:
        try:
            target()
        except Exception as exc:  # reported in the table, not raised in a thread nobody joins for its result
            phase.failures.append(f"{type(exc).__name__}: {exc}")

    return run


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _long_share(before: SchedulerStats, after: SchedulerStats) -> float:
    used = {kind: after.device_seconds[kind] - before.device_seconds[kind] for kind in after.device_seconds}
    return used["long"] / (sum(used.values()) or 1.0)


def fairness_rows(
    clients: Clients, label: str, share: float, seconds: float, scheduler: DeviceScheduler | None = None
) -> list[Row]:
    """Every phase with `clients` (`label`: where they run and with what share), as benchmark rows; with the
    `scheduler` (in process), also the share of device time long work had in (ii)."""
    alone = measure(clients, seconds, QUICK_CLIENTS)
    before = scheduler.stats() if scheduler else None
    explaining = measure(clients, seconds, QUICK_CLIENTS, explaining=EXPLAINING_CLIENTS)
    device_share = _long_share(before, scheduler.stats()) if scheduler and before else None
    tuning = measure(clients, seconds, QUICK_CLIENTS, fine_tuning=True)
    long_alone = measure(clients, seconds / 2, 0, explaining=EXPLAINING_CLIENTS)
    tuning_alone = measure(clients, seconds / 2, 0, fine_tuning=True)
    base_p95, base_rate, floor = alone.quick_percentile(0.95), alone.quick_rate, max(0.0, 1 - share - 0.1)

    def quick(name: str, phase: Phase) -> Row:
        p50, p95 = phase.quick_percentile(0.5), phase.quick_percentile(0.95)
        note = "the device saturated"
        if phase is not alone:
            note = (
                f"p95 {p95 / base_p95:.2f} × (i) (target ≤ 2); throughput {phase.quick_rate / base_rate:.2f} × (i) "
                f"(target ≥ {floor:.2f})"
            )
        return (f"{label}: {name}", f"p50 {_ms(p50)}, p95 {_ms(p95)}, {phase.quick_rate:.1f} req/s", note)

    def long_work(name: str, beside: float, by_itself: float) -> Row:
        ratio = f"{beside / by_itself:.2f} × (target ≤ {1 / share:.0f})"
        return (f"{label}: {name}", f"{beside:.2f} s (alone {by_itself:.2f} s)", ratio)

    phases = (alone, explaining, tuning, long_alone, tuning_alone)
    rows = [
        quick(f"(i) {QUICK_CLIENTS} quick /sentiment clients alone", alone),
        quick(f"(ii) with {EXPLAINING_CLIENTS} clients explaining (IG, {STEPS} steps)", explaining),
        long_work("an explanation beside them", _median(explaining.explanations), _median(long_alone.explanations)),
        quick("(iii) with 1 client fine-tuning", tuning),
        long_work("a fine-tuning step beside them", _median(tuning.steps), _median(tuning_alone.steps)),
    ]
    if device_share is not None:
        rows.append((f"{label}: long work's share of device time in (ii)", f"{device_share:.0%}", "the scheduler's"))
    failures = sum(len(phase.failures) for phase in phases)
    return [*rows, (f"{label}: failed requests", str(failures), "every phase")]
