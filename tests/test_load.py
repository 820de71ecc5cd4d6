"""A short soak from a cold start: 16 clients whose first requests reach the freshly started tiny app (in its own
process) together, then mix every endpoint; no request fails, and memory stays flat after the first minute."""

from __future__ import annotations

import pytest

from roberta_demo.perf.loadtest import FINE_TUNE, REQUESTS, run_load
from roberta_demo.perf.server import start_app

pytestmark = pytest.mark.soak


@pytest.fixture(scope="module")
def served_app():
    app = start_app("tiny")
    yield app
    app.stop()


def test_sixteen_clients_for_two_and_a_half_minutes_keep_memory_flat(served_app, capsys):
    report = run_load(served_app.url, served_app.pid, clients=16, seconds=150, settle_minute=1, cold=True)
    with capsys.disabled():
        print(f"\n[soak] {report.summary()}\n{report.soak_table()}\n{report.verdict()[1]}")
    assert report.failures == []
    assert set(report.latencies) == {endpoint for endpoint, _ in [*REQUESTS, FINE_TUNE]}
    assert len(report.memory) >= 5  # sampled every 30 s
    assert report.settled_memory_growth() < 0.03  # from the end of the first minute to the end
