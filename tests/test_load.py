"""A short form of the load test: 16 clients, mixed endpoints, on the tiny app in its own process."""

from __future__ import annotations

import pytest

from roberta_demo.perf.loadtest import run_load, start_app


@pytest.fixture(scope="module")
def served_app():
    process, url = start_app("tiny")
    yield process, url
    process.terminate()
    process.wait(timeout=30)


def test_sixteen_clients_mixed_endpoints(served_app, capsys):
    process, url = served_app
    report = run_load(url, process.pid, clients=16, seconds=8)
    with capsys.disabled():
        print(f"\n[load] {report.summary()}")
    assert report.failures == []
    assert report.answered >= 32
    assert set(report.latencies) == {"/sentiment", "/classify", "/ner", "/attention", "/sentiment_batch"}
    assert abs(report.memory_growth) <= 0.10
