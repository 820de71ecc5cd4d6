"""A short form of the load test: 16 clients, mixed endpoints, on the tiny app in its own process."""

from __future__ import annotations

import pytest

from roberta_demo.perf.loadtest import run_load
from roberta_demo.perf.server import start_app


@pytest.fixture(scope="module")
def served_app():
    app = start_app("tiny")
    yield app
    app.stop()


def test_sixteen_clients_mixed_endpoints(served_app, capsys):
    report = run_load(served_app.url, served_app.pid, clients=16, seconds=8)
    with capsys.disabled():
        print(f"\n[load] {report.summary()}")
    assert report.failures == []
    assert report.answered >= 32
    assert set(report.latencies) == {"/sentiment", "/classify", "/ner", "/attention", "/sentiment_batch", "/fill_mask"}
    assert abs(report.memory_growth) <= 0.10
