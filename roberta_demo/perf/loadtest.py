"""Load test: many concurrent clients on a running app, mixed across endpoints, for a fixed time.

    python -m roberta_demo.perf.loadtest                      # starts `python app.py --models tiny` itself
    python -m roberta_demo.perf.loadtest --url http://127.0.0.1:7860/ --pid 1234

Reports every request's outcome, latencies per endpoint, and the server's resident memory after warm-up and
after the run. Traffic goes only to the given local URL.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import Client

from roberta_demo.perf.server import start_app

__all__ = ["REQUESTS", "LoadReport", "resident_mb", "run_load", "warm_up"]

REQUESTS: list[tuple[str, tuple[str, ...]]] = [
    ("/sentiment", ("I love how fast this is!",)),
    ("/classify", ("Apple shares jump after record iPhone sales",)),
    ("/ner", ("Angela Merkel met Emmanuel Macron in Berlin.",)),
    ("/attention", ("The animal didn't cross the street because it was too tired.",)),
    ("/sentiment", ("Oh great, another delay. 😡",)),
    ("/sentiment_batch", ("first text\nsecond text\nthird text",)),
    ("/sentiment", ("Finally got the job!!! 🎉", "Emotion (7 classes)")),
    ("/classify", ("What a night! Messi scores twice 🏆", "Topic model")),
    ("/fill_mask", ("The capital of France is <mask>.",)),
]


@dataclass
class LoadReport:
    clients: int
    seconds: float
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss_warm_mb: float = 0.0
    rss_after_mb: float = 0.0

    @property
    def memory_growth(self) -> float:
        return self.rss_after_mb / self.rss_warm_mb - 1 if self.rss_warm_mb else 0.0

    def table(self) -> str:
        rows = ["| endpoint | requests | p50 ms | p95 ms |", "|---|---|---|---|"]
        for endpoint, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            rows.append(f"| `{endpoint}` | {len(values)} | {statistics.median(values) * 1e3:.0f} | {p95 * 1e3:.0f} |")
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


def _client_loop(url: str, deadline: float, offset: int, report: LoadReport, lock: threading.Lock) -> None:
    client = Client(url, verbose=False)
    for endpoint, args in itertools.islice(itertools.cycle(REQUESTS), offset, None):
        if time.monotonic() >= deadline:
            break
        started = time.perf_counter()
        try:
            client.predict(*args, api_name=endpoint)
        except Exception as exc:
            with lock:
                report.failures.append(f"{endpoint}: {type(exc).__name__}: {exc}")
            continue
        with lock:
            report.answered += 1
            report.latencies[endpoint].append(time.perf_counter() - started)
    client.close()


def warm_up(url: str) -> None:
    """Every endpoint once, so every model is loaded before memory is measured."""
    client = Client(url, verbose=False)
    for endpoint, args in REQUESTS:
        client.predict(*args, api_name=endpoint)
    client.close()


def run_load(url: str, pid: int, clients: int = 16, seconds: float = 30.0) -> LoadReport:
    """Run `clients` concurrent clients against `url` for `seconds`; `pid` is the server's process."""
    warm_up(url)
    report = LoadReport(clients, seconds, rss_warm_mb=resident_mb(pid))
    lock, deadline = threading.Lock(), time.monotonic() + seconds
    threads = [threading.Thread(target=_client_loop, args=(url, deadline, i, report, lock)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(1.0)  # let the server finish its bookkeeping before memory is read
    report.rss_after_mb = resident_mb(pid)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app (default: start `python app.py --models tiny`)")
    parser.add_argument("--pid", type=int, help="the running app's process id, for its memory")
    parser.add_argument("--models", default="tiny")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    served = None if args.url else start_app(args.models)
    url, pid = (served.url, served.pid) if served else (args.url, args.pid or os.getpid())
    try:
        report = run_load(url, pid, args.clients, args.seconds)
    finally:
        if served:
            served.stop()
    print(report.summary())
    print(report.table())
    for failure in Counter(report.failures).most_common(5):
        print("failure:", *failure)
    return 0 if not report.failures and abs(report.memory_growth) <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
