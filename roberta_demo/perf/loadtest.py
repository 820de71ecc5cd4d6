"""Load test and soak: many concurrent clients on a running app, mixed across every endpoint, for a fixed time.

    python -m roberta_demo.perf.loadtest                      # starts `python app.py --models tiny` itself
    python -m roberta_demo.perf.loadtest --minutes 30         # soak: memory every 30 s, latency per minute, verdict
    python -m roberta_demo.perf.loadtest --minutes 30 --base-sentiment   # sentiment on a roberta-base-shaped model
    python -m roberta_demo.perf.loadtest --url http://127.0.0.1:7860/ --pid 1234
    python -m roberta_demo.perf.loadtest --cold               # no warm-up: every client's first request at once

Reports every request's outcome, latencies per endpoint, and the server's resident memory after warm-up and after
the run. A soak also samples memory through the run and judges it: from the settle minute (5 by default) to the end,
memory grows less than 3 % and no minute's p95 latency is over 1.5 × the settle minute's. Traffic goes only to the
given local URL. With `--cold` the clients find the server as a class does, nothing loaded: their first requests go
out together, and memory counts from the moment every endpoint has answered once.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradio_client import Client

from roberta_demo.perf.server import client_for, start_app

__all__ = ["REQUESTS", "LoadReport", "MinuteStats", "percentile", "resident_mb", "run_load", "warm_up"]

_TUNE_EXAMPLES = {
    "headers": ["text", "label"],
    "data": [
        ["great, love it", "positive"],
        ["awful, broke", "negative"],
        ["works well", "positive"],
        ["waste of money", "negative"],
    ],
}
# What pages do (the tabs' events) and what programs do (the data endpoints), every task but fine-tuning, which the
# first client alone adds to its round (the server trains one model at a time: a visitor fine-tuning while the others
# use the other tabs).
REQUESTS: list[tuple[str, tuple[Any, ...]]] = [
    ("/sentiment_page", ("I love how fast this is!",)),
    ("/classify_page", ("Apple shares jump after record iPhone sales",)),
    ("/ner_page", ("Angela Merkel met Emmanuel Macron in Berlin.",)),
    ("/attention_page", ("The animal didn't cross the street because it was too tired.",)),
    ("/sentiment", ("Oh great, another delay. 😡",)),
    ("/sentiment_batch_page", ("first text\nsecond text\nthird text",)),
    ("/sentiment_page", ("Finally got the job!!! 🎉", "Emotion (7 classes)")),
    ("/classify", ("What a night! Messi scores twice 🏆", None, "topic")),
    ("/fill_mask_page", ("The capital of France is <mask>.",)),
    ("/explain", ("Not bad at all, I would buy it again.", "sentiment")),
    ("/ner", ("Zoë Müller flew from Paris to Berlin.",)),
    ("/fill_mask", ("I parked the <mask> outside.",)),
    ("/attention", ("<b>markup</b> stays text", None, None, 0)),
]
FINE_TUNE = ("/fine_tune", (_TUNE_EXAMPLES, None, None, 3))
SAMPLE_EVERY_S = 30.0


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile of `values` (nearest rank), 0 when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@dataclass(frozen=True)
class MinuteStats:
    """One minute of a run: requests answered in it, failures, and latency percentiles (seconds)."""

    minute: int
    answered: int
    failed: int
    p50: float
    p95: float


@dataclass
class LoadReport:
    """What a run saw. failures: a message per failed request, failure_times: when each happened; answers: (seconds
    since the start, endpoint, latency) per answered request; memory: (seconds since the start, resident MB),
    sampled every `SAMPLE_EVERY_S`."""

    clients: int
    seconds: float
    failures: list[str] = field(default_factory=list)
    failure_times: list[float] = field(default_factory=list)
    answers: list[tuple[float, str, float]] = field(default_factory=list)
    memory: list[tuple[float, float]] = field(default_factory=list)
    rss_warm_mb: float = 0.0
    rss_after_mb: float = 0.0
    settle_minute: int = 5

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def latencies(self) -> dict[str, list[float]]:
        by_endpoint: dict[str, list[float]] = defaultdict(list)
        for _, endpoint, latency in self.answers:
            by_endpoint[endpoint].append(latency)
        return by_endpoint

    @property
    def memory_growth(self) -> float:
        return self.rss_after_mb / self.rss_warm_mb - 1 if self.rss_warm_mb else 0.0

    def minutes(self) -> list[MinuteStats]:
        """Latency percentiles of each whole minute of the run."""
        buckets: dict[int, list[float]] = defaultdict(list)
        for at, _, latency in self.answers:
            buckets[int(at // 60)].append(latency)
        failed = Counter(int(at // 60) for at in self.failure_times)
        return [
            MinuteStats(m + 1, len(buckets[m]), failed[m], percentile(buckets[m], 0.5), percentile(buckets[m], 0.95))
            for m in range(int(self.seconds // 60))
        ]

    def settled_memory_growth(self) -> float:
        """Resident memory growth from the settle minute's first sample to the last sample."""
        settled = [mb for at, mb in self.memory if at >= 60 * self.settle_minute]
        return settled[-1] / settled[0] - 1 if len(settled) >= 2 else 0.0

    def p95_drift(self) -> float:
        """The worst minute's p95 after the settle minute, against the settle minute's own."""
        minutes = [m for m in self.minutes() if m.minute >= self.settle_minute and m.answered]
        if len(minutes) < 2 or minutes[0].p95 == 0:
            return 1.0
        return max(m.p95 for m in minutes[1:]) / minutes[0].p95

    def verdict(self, growth_bound: float = 0.03, drift_bound: float = 1.5) -> tuple[bool, str]:
        growth, drift = self.settled_memory_growth(), self.p95_drift()
        passed = not self.failures and growth < growth_bound and drift <= drift_bound
        return passed, (
            f"{'PASS' if passed else 'FAIL'}: from minute {self.settle_minute} to the end memory grew "
            f"{growth:+.1%} (bound {growth_bound:.0%}) and the worst minute's p95 was {drift:.2f} × minute "
            f"{self.settle_minute}'s (bound {drift_bound} ×); {len(self.failures)} request(s) failed."
        )

    def table(self) -> str:
        rows = ["| endpoint | requests | p50 ms | p95 ms |", "|---|---|---|---|"]
        for endpoint, values in sorted(self.latencies.items()):
            p50, p95 = statistics.median(values) * 1e3, percentile(values, 0.95) * 1e3
            rows.append(f"| `{endpoint}` | {len(values)} | {p50:.0f} | {p95:.0f} |")
        return "\n".join(rows)

    def soak_table(self) -> str:
        """Per minute: requests, failures, p50 and p95, and the memory sampled in that minute."""
        rows = ["| minute | requests | failed | p50 ms | p95 ms | memory MB |", "|---|---|---|---|---|---|"]
        for m in self.minutes():
            sampled = [f"{mb:.0f}" for at, mb in self.memory if m.minute - 1 <= at / 60 < m.minute]
            rows.append(
                f"| {m.minute} | {m.answered} | {m.failed} | {m.p50 * 1e3:.0f} | {m.p95 * 1e3:.0f} | "
                f"{', '.join(sampled)} |"
            )
        return "\n".join(rows)

    def summary(self) -> str:
        return (
            f"{self.clients} clients for {self.seconds:.0f} s: {self.answered} requests answered, "
            f"{len(self.failures)} failed; server memory {self.rss_warm_mb:.0f} MB after warm-up, "
            f"{self.rss_after_mb:.0f} MB after the run ({self.memory_growth:+.1%})."
        )


def resident_mb(pid: int) -> float:
    """The resident memory of process `pid` (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class _Recorder:
    """Collects answers and failures from every client thread, timed from the run's start; `pid`, when given, has
    its memory read as the warm baseline once every endpoint has answered (a cold run's warm-up)."""

    def __init__(self, report: LoadReport, started: float, pid: int | None = None):
        self.report, self.started, self.lock, self.pid = report, started, threading.Lock(), pid
        self.unanswered = {endpoint for endpoint, _ in [*REQUESTS, FINE_TUNE]}

    def answer(self, endpoint: str, latency: float) -> None:
        with self.lock:
            self.report.answers.append((time.monotonic() - self.started, endpoint, latency))
            self.unanswered.discard(endpoint)
            if self.pid is not None and not self.unanswered and not self.report.rss_warm_mb:
                self.report.rss_warm_mb = resident_mb(self.pid)

    def failure(self, endpoint: str, exc: Exception) -> None:
        with self.lock:
            self.report.failures.append(f"{endpoint}: {type(exc).__name__}: {exc}")
            self.report.failure_times.append(time.monotonic() - self.started)


def _connect(url: str, deadline: float, recorder: _Recorder) -> Client | None:
    """A client of `url`, retried until `deadline` (a busy server can be slow to hand out its config)."""
    while time.monotonic() < deadline:
        try:
            return client_for(url)
        except Exception as exc:
            recorder.failure("connect", exc)
            time.sleep(1.0)
    return None


def _client_loop(
    url: str, deadline: float, offset: int, recorder: _Recorder, together: threading.Barrier | None = None
) -> None:
    client = _connect(url, deadline, recorder)
    if together is not None:  # a cold start: every client's first request at the same moment
        together.wait()
    if client is None:
        return
    requests = [*REQUESTS, FINE_TUNE] if offset == 0 else REQUESTS
    for endpoint, args in itertools.islice(itertools.cycle(requests), offset, None):
        if time.monotonic() >= deadline:
            break
        started = time.perf_counter()
        try:
            client.predict(*args, api_name=endpoint)
        except Exception as exc:
            recorder.failure(endpoint, exc)
            continue
        recorder.answer(endpoint, time.perf_counter() - started)
    client.close()


def _sample_memory(pid: int, report: LoadReport, started: float, stop: threading.Event) -> None:
    while True:
        report.memory.append((time.monotonic() - started, resident_mb(pid)))
        if stop.wait(SAMPLE_EVERY_S):
            return


def warm_up(url: str) -> None:
    """Every endpoint once, so every model is loaded before memory is measured."""
    client = client_for(url)
    for endpoint, args in [*REQUESTS, FINE_TUNE]:
        client.predict(*args, api_name=endpoint)
    client.close()


def run_load(
    url: str, pid: int, clients: int = 16, seconds: float = 30.0, settle_minute: int = 5, cold: bool = False
) -> LoadReport:
    """Run `clients` concurrent clients against `url` for `seconds`; `pid` is the server's process, whose memory is
    read after warm-up, every `SAMPLE_EVERY_S` during the run, and after it. `cold`: no warm-up round; the clients'
    first requests go out together on whatever the server has loaded (nothing, freshly started)."""
    if not cold:
        warm_up(url)
    report = LoadReport(clients, seconds, rss_warm_mb=0.0 if cold else resident_mb(pid), settle_minute=settle_minute)
    started = time.monotonic()
    recorder, deadline, stop = _Recorder(report, started, pid if cold else None), started + seconds, threading.Event()
    together = threading.Barrier(clients) if cold else None
    sampler = threading.Thread(target=_sample_memory, args=(pid, report, started, stop), daemon=True)
    threads = [
        threading.Thread(target=_client_loop, args=(url, deadline, i, recorder, together)) for i in range(clients)
    ]
    for thread in [sampler, *threads]:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(1.0)  # let the server finish its bookkeeping before memory is read
    stop.set()
    sampler.join()
    report.rss_after_mb = resident_mb(pid)
    report.memory.append((time.monotonic() - started, report.rss_after_mb))
    return report


def _base_sentiment(folder: Path) -> dict[str, str]:
    """The environment that serves sentiment from a roberta-base-shaped checkpoint built in `folder` (the other tasks
    stay tiny): the configuration of the soak the README reports."""
    from roberta_demo.perf.checkpoints import SIZES, build_checkpoint  # torch, only for a soak that builds one

    return {"ROBERTA_DEMO_SENTIMENT_MODELS": str(build_checkpoint(folder, "sentiment", SIZES["base"]))}


def _report(report: LoadReport, soak: bool, out: Callable[..., None] = print) -> bool:
    out(report.summary())
    out(report.table())
    for failure in Counter(report.failures).most_common(5):
        out("failure:", *failure)
    if not soak:
        return not report.failures and abs(report.memory_growth) <= 0.10
    out("\n" + report.soak_table())
    passed, verdict = report.verdict()
    out("\n" + verdict)
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app (default: start `python app.py --models tiny`)")
    parser.add_argument("--pid", type=int, help="the running app's process id, for its memory")
    parser.add_argument("--models", default="tiny")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--minutes", type=int, help="soak for this many minutes (overrides --seconds)")
    parser.add_argument("--settle", type=int, default=5, help="the soak's minute from which memory must stay flat")
    parser.add_argument("--base-sentiment", action="store_true", help="sentiment on a roberta-base-shaped model")
    parser.add_argument("--cold", action="store_true", help="no warm-up round: the first requests go out together")
    args = parser.parse_args(argv)
    seconds = 60.0 * args.minutes if args.minutes else args.seconds
    with tempfile.TemporaryDirectory(prefix="roberta-demo-soak-") as folder:
        env = _base_sentiment(Path(folder)) if args.base_sentiment else None
        served = None if args.url else start_app(args.models, env=env)
        url, pid = (served.url, served.pid) if served else (args.url, args.pid or os.getpid())
        try:
            report = run_load(url, pid, args.clients, seconds, args.settle, cold=args.cold)
        finally:
            if served:
                served.stop()
    return 0 if _report(report, soak=bool(args.minutes)) else 1


if __name__ == "__main__":
    sys.exit(main())
