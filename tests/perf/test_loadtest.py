"""The soak's report: minutes, memory growth from the settle minute, p95 drift, and the verdict."""

from __future__ import annotations

from roberta_demo.perf.loadtest import LoadReport, percentile


def _report(memory: list[float], p95s: list[float], failures: int = 0) -> LoadReport:
    """One answer per second for len(p95s) minutes, the slowest 5 % of each minute at that minute's p95."""
    report = LoadReport(16, 60.0 * len(p95s), settle_minute=2)
    for minute, p95 in enumerate(p95s):
        for second in range(60):
            latency = p95 if second >= 57 else 0.1
            report.answers.append((60.0 * minute + second, "/sentiment", latency))
    report.memory = [(30.0 * i, mb) for i, mb in enumerate(memory)]
    report.failures = ["/ner: AppError: boom"] * failures
    report.failure_times = [61.0] * failures
    return report


def test_percentiles_are_nearest_rank():
    assert percentile([], 0.95) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(100)], 0.95) == 95.0


def test_each_minute_has_its_requests_failures_and_percentiles():
    minutes = _report([500.0] * 8, [1.0, 2.0, 2.0, 2.0], failures=2).minutes()
    assert [m.answered for m in minutes] == [60] * 4
    assert [m.failed for m in minutes] == [0, 2, 0, 0]
    assert [m.p95 for m in minutes] == [1.0, 2.0, 2.0, 2.0] and minutes[0].p50 == 0.1


def test_growth_counts_from_the_settle_minute_so_warm_up_is_not_held_against_the_server():
    report = _report([400, 450, 500, 505, 505, 506, 506, 510], [1.0] * 4)  # sampled every 30 s
    assert round(report.settled_memory_growth(), 4) == round(510 / 505 - 1, 4)  # the first sample at 120 s
    passed, verdict = report.verdict()
    assert passed and verdict.startswith("PASS: from minute 2 to the end memory grew +1.0%")


def test_the_verdict_fails_on_growth_on_drift_or_on_any_failure():
    assert not _report([500, 500, 500, 500, 520, 530, 540, 550], [1.0] * 4).verdict()[0]  # +10 %
    drifting = _report([500.0] * 8, [1.0, 1.0, 1.0, 1.6])
    assert drifting.p95_drift() == 1.6 and not drifting.verdict()[0]
    assert not _report([500.0] * 8, [1.0] * 4, failures=1).verdict()[0]
