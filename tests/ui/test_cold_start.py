"""A class opens the link at once: a cold server, 16 clients at once over every task (the page's events and the data
endpoints), then every task once more, answer without a failure; every checkpoint loads once and whole. Three cold
starts in a row in CI's soak step."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from gradio_client import Client

from roberta_demo.backend import Backend
from roberta_demo.config import Settings
from roberta_demo.loading import check_materialised
from roberta_demo.perf.loadtest import FINE_TUNE, REQUESTS
from roberta_demo.perf.server import client_for
from tests.conftest import serve_app

CLIENTS = 16
WAIT_S = 300.0  # only catches a hang
CALLS = [FINE_TUNE, *REQUESTS]


def _call(client: Client, endpoint: str, args: tuple[Any, ...]) -> Any:
    return client.predict(*args, api_name=endpoint)


# The first cold start is a test; the next two repeat it to give a race more chances, which makes them a soak: the
# README's test command runs one, CI's soak step (`-m soak`) the other two.
@pytest.mark.parametrize("start", [1, pytest.param(2, marks=pytest.mark.soak), pytest.param(3, marks=pytest.mark.soak)])
def test_sixteen_clients_at_once_on_a_cold_server_all_get_answers(tiny_profile, start):
    backend = Backend(tiny_profile, "cpu")
    demo, url = serve_app(backend, Settings())
    clients = [client_for(url) for _ in range(CLIENTS)]
    barrier, failures = threading.Barrier(CLIENTS), []
    wave = list(itertools.islice(itertools.cycle(CALLS), CLIENTS))

    def first_visit(client: Client, endpoint: str, args: tuple[Any, ...]) -> None:
        barrier.wait(WAIT_S)
        try:
            _call(client, endpoint, args)
        except Exception as exc:  # collected: every failure is reported, not just the first
            failures.append(f"{endpoint}: {type(exc).__name__}: {exc}")

    try:
        threads = [
            threading.Thread(target=first_visit, args=(client, *call))
            for client, call in zip(clients, wave, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_S)
        assert failures == [], f"cold start {start}"
        for endpoint, args in CALLS:  # and every task once more, on what the wave loaded
            _call(clients[0], endpoint, args)
    finally:
        for client in clients:
            client.close()
        demo.close()
    assert set(backend.load_counts.values()) == {1}
    for checkpoint in backend.loaded_checkpoints:
        check_materialised(backend.model(checkpoint).model, checkpoint)
