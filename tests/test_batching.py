"""Dynamic batching: concurrent single requests share forward passes, each gets its own answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from roberta_demo.backend import Backend
from roberta_demo.batching import MicroBatcher


def test_requests_that_wait_are_run_together_and_answered_in_order():
    release = threading.Event()

    def square_all(items: list[int]) -> list[int]:
        if items == [0]:
            release.wait(5)  # the first request holds the model until every other one is queued
        return [item * item for item in items]

    batcher = MicroBatcher(square_all, max_size=16)
    with ThreadPoolExecutor(12) as pool:
        first = pool.submit(batcher.submit, 0)
        time.sleep(0.05)
        rest = [pool.submit(batcher.submit, i) for i in range(1, 12)]
        while len(batcher._pending) < 11:
            time.sleep(0.005)
        release.set()
        assert first.result() == 0 and [f.result() for f in rest] == [i * i for i in range(1, 12)]
    assert batcher.batch_sizes == [1, 11]


def test_a_lone_request_runs_at_once_and_batches_respect_their_size():
    batcher = MicroBatcher(lambda items: items, max_size=4)
    assert batcher.submit("alone") == "alone" and batcher.batch_sizes == [1]
    release = threading.Event()
    slow = MicroBatcher(lambda items: (release.wait(5), items)[1], max_size=4)
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(slow.submit, i) for i in range(10)]
        while len(slow._pending) + sum(slow.batch_sizes) < 10:
            time.sleep(0.005)
        release.set()
        assert [f.result() for f in futures] == list(range(10))
    assert max(slow.batch_sizes) <= 4 and sum(slow.batch_sizes) == 10


def test_a_failing_batch_fails_only_its_own_requests():
    calls = []

    def fail_on_bad(items: list[str]) -> list[str]:
        calls.append(items)
        if "bad" in items:
            raise RuntimeError("model failed")
        return items

    batcher = MicroBatcher(fail_on_bad)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.submit("bad")
    assert batcher.submit("good") == "good"  # the batcher keeps working


def test_backend_merges_concurrent_sentiment_requests(tiny_profile):
    backend = Backend(tiny_profile, "cpu", batching=True, max_batch_size=8)
    model = backend.model(backend.checkpoint_for("sentiment")).model
    forwards: list[int] = []

    def hold_first_forward(module, args, kwargs):
        forwards.append(kwargs["input_ids"].shape[0] if "input_ids" in kwargs else args[0].shape[0])
        if len(forwards) == 1:
            time.sleep(1.0)  # keeps the model busy while the other requests arrive

    handle = model.register_forward_pre_hook(hold_first_forward, with_kwargs=True)
    try:
        texts = [f"request {i}" for i in range(8)]
        alone = Backend(tiny_profile, "cpu", batching=False)
        expected = [alone.run("sentiment", [t], top_k=None).outputs[0] for t in texts]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda t: backend.run("sentiment", [t], top_k=None), texts))
    finally:
        handle.remove()
    assert len(forwards) < 8 and sum(forwards) == 8  # fewer forward passes than requests
    for result, want in zip(results, expected):
        assert [(o["label"], round(o["score"], 5)) for o in result.outputs[0]] == [
            (w["label"], round(w["score"], 5)) for w in want
        ]  # padding in a batch does not change anyone's answer
