"""How fairly the device is shared, measured on the running app: quick requests beside long work.

`python -m roberta_demo.perf.benchmark --parts fairness` runs it on roberta-base-shaped models, for two shares of
the device kept for long work (`--long-share`), on the local engine and on Ray where Ray is installed. Each phase
runs on the same app for the same time:

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

__all__ = ["QUICK_CLIENTS", "Phase", "fairness_rows", "measure"]

QUICK_CLIENTS, EXPLAINING_CLIENTS = 8, 2
EXPLAIN_TEXT = "The new phone is fast and the camera is great, but the battery life is so bad."
EXPLAIN = [EXPLAIN_TEXT, "sentiment", None, "integrated_gradients", 32]
FINE_TUNE_STEPS = 12
LEAD_S = 3.0  # the long clients get going before quick requests are counted
Row = tuple[str, str, str]


@dataclass
class Phase:
    """One phase: every quick request answered in its window (latency, seconds), the explanations' latencies, and
    the time between consecutive steps of each fine-tuning run."""

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


def _quick_client(url: str, number: int, phase: Phase, window: tuple[float, float], stop: threading.Event) -> None:
    with httpx.Client(timeout=600) as http:
        for count in range(1_000_000):
            if stop.is_set():
                return
            started = time.perf_counter()
            rest_predict(http, url, "/sentiment", [f"{EXPLAIN_TEXT} ({number}, {count})"], f"quick-{number}")
            ended = time.perf_counter()
            if window[0] <= ended <= window[1]:
                phase.quick.append(ended - started)


def _explaining_client(url: str, number: int, phase: Phase, stop: threading.Event) -> None:
    with httpx.Client(timeout=600) as http:
        while not stop.is_set():
            started = time.perf_counter()
            rest_predict(http, url, "/explain", EXPLAIN, f"explain-{number}")
            phase.explanations.append(time.perf_counter() - started)


def _fine_tuning_client(url: str, examples: dict[str, Any], phase: Phase, stop: threading.Event) -> None:
    with httpx.Client(timeout=600) as http:
        while not stop.is_set():
            arrived = rest_stream(http, url, "/fine_tune", [examples, None, None, FINE_TUNE_STEPS], "fine-tune")
            # The first update comes after copying the model and predicting every example; the rest, a step each.
            phase.steps += [later - earlier for earlier, later in itertools.pairwise(arrived[1:])]


def measure(
    url: str, seconds: float, quick: int, explaining: int = 0, fine_tuning: dict[str, Any] | None = None
) -> Phase:
    """Run the clients together: `quick` quick ones, `explaining` explaining ones, one fine-tuning on `fine_tuning`'s
    examples if given; quick requests count when they end within the window after `LEAD_S`."""
    phase, stop = Phase(seconds), threading.Event()
    start = time.perf_counter()
    window = (start + LEAD_S, start + LEAD_S + seconds)
    targets: list[Callable[[], None]] = [
        *(functools.partial(_quick_client, url, n, phase, window, stop) for n in range(quick)),
        *(functools.partial(_explaining_client, url, n, phase, stop) for n in range(explaining)),
    ]
    if fine_tuning is not None:
        targets.append(functools.partial(_fine_tuning_client, url, fine_tuning, phase, stop))
    threads = [threading.Thread(target=_recording(target, phase)) for target in targets]
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


def fairness_rows(url: str, label: str, share: float, examples: dict[str, Any], seconds: float) -> list[Row]:
    """Every phase on the app at `url` (`label`: the engine and share it runs with), as benchmark rows."""
    alone = measure(url, seconds, QUICK_CLIENTS)
    explaining = measure(url, seconds, QUICK_CLIENTS, explaining=EXPLAINING_CLIENTS)
    tuning = measure(url, seconds, QUICK_CLIENTS, fine_tuning=examples)
    long_alone = measure(url, seconds / 2, 0, explaining=EXPLAINING_CLIENTS)
    tuning_alone = measure(url, seconds / 2, 0, fine_tuning=examples)
    base_p95, base_rate = alone.quick_percentile(0.95), alone.quick_rate
    floor = max(0.0, 1 - share - 0.1)

    def quick(name: str, phase: Phase) -> Row:
        p50, p95 = phase.quick_percentile(0.5), phase.quick_percentile(0.95)
        note = (
            "the device saturated"
            if phase is alone
            else (
                f"p95 {p95 / base_p95:.2f} × (i) (target ≤ 2); throughput {phase.quick_rate / base_rate:.2f} × (i) "
                f"(target ≥ {floor:.2f})"
            )
        )
        return (f"{label}: {name}", f"p50 {_ms(p50)}, p95 {_ms(p95)}, {phase.quick_rate:.1f} req/s", note)

    def long_work(name: str, beside: float, by_itself: float) -> Row:
        ratio = beside / by_itself
        return (
            f"{label}: {name}",
            f"{beside:.2f} s (alone {by_itself:.2f} s)",
            f"{ratio:.2f} × (target ≤ {1 / share:.0f})",
        )

    failures = sum(len(phase.failures) for phase in (alone, explaining, tuning, long_alone, tuning_alone))
    return [
        quick(f"(i) {QUICK_CLIENTS} quick /sentiment clients alone", alone),
        quick(f"(ii) with {EXPLAINING_CLIENTS} clients explaining (IG, 32 steps)", explaining),
        long_work("an explanation beside them", _median(explaining.explanations), _median(long_alone.explanations)),
        quick("(iii) with 1 client fine-tuning", tuning),
        long_work("a fine-tuning step beside them", _median(tuning.steps), _median(tuning_alone.steps)),
        (f"{label}: failed requests", str(failures), "every phase"),
    ]
