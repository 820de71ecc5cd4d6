"""Dynamic batching: concurrent single requests share forward passes, each gets its own answer.

No test sleeps or peeks at private state: a recording observer says when requests are queued and how big each
batch was, and the batches themselves wait on events with timeouts.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from roberta_demo.backend import Backend, PipelineCall
from roberta_demo.batching import MicroBatcher
from roberta_demo.scheduling import DeviceScheduler
from tests.waiting import HANG

TIMEOUT = HANG  # only a hang fails these waits


class Recorder:
    """A batch observer that records batch sizes and sets an event once `expected` requests wait in the queue."""

    def __init__(self, expected: int = 0):
        self.sizes: list[int] = []
        self.all_queued = threading.Event()
        self._expected = expected

    def queued(self, waiting: int) -> None:
        if waiting >= self._expected:
            self.all_queued.set()

    def ran(self, size: int) -> None:
        self.sizes.append(size)


class HeldBatches:
    """A batch function that squares every item, and holds the batch of the first item until released."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, items: list[int]) -> list[int]:
        if items == [0]:
            self.started.set()
            assert self.release.wait(TIMEOUT), "the test never released the first batch"
        return [item * item for item in items]


def test_requests_that_wait_are_run_together_and_answered_in_order():
    held, recorder = HeldBatches(), Recorder(expected=11)
    batcher = MicroBatcher(held, max_size=16, observer=recorder)
    with ThreadPoolExecutor(12) as pool:
        first = pool.submit(batcher.submit, 0)
        assert held.started.wait(TIMEOUT)  # the first request leads: its batch of one is running, held
        rest = [pool.submit(batcher.submit, i) for i in range(1, 12)]
        assert recorder.all_queued.wait(TIMEOUT)
        held.release.set()
        assert first.result(TIMEOUT) == 0 and [f.result(TIMEOUT) for f in rest] == [i * i for i in range(1, 12)]
    assert recorder.sizes == [1, 11]


def test_requests_arriving_while_their_leader_waits_for_the_device_join_its_batch():
    scheduler, recorder = DeviceScheduler(), Recorder(expected=4)
    batcher = MicroBatcher(lambda items: [item * item for item in items], observer=recorder, turn=scheduler.work)
    holding, release = threading.Event(), threading.Event()

    def long_work_on_the_device() -> None:
        with scheduler.work("long"):
            holding.set()
            release.wait(TIMEOUT)

    with ThreadPoolExecutor(5) as pool:
        pool.submit(long_work_on_the_device)
        assert holding.wait(TIMEOUT)
        leader = pool.submit(batcher.submit, 1)
        assert scheduler.wait_until(lambda stats: stats.waiting["short"] == 1, TIMEOUT)  # the leader, for the device
        rest = [pool.submit(batcher.submit, i) for i in (2, 3, 4)]
        assert recorder.all_queued.wait(TIMEOUT)
        release.set()
        assert [f.result(TIMEOUT) for f in [leader, *rest]] == [1, 4, 9, 16]
    assert recorder.sizes == [4]  # one pass once the device was free, not the leader alone and then the rest


def test_a_lone_request_runs_at_once():
    recorder = Recorder()
    batcher = MicroBatcher(lambda items: items, max_size=4, observer=recorder)
    assert batcher.submit("alone") == "alone" and recorder.sizes == [1]


def test_clients_answered_together_come_back_as_one_batch():
    held, recorder = HeldBatches(), Recorder(expected=3)
    batcher = MicroBatcher(held, max_size=16, observer=recorder, gather_s=TIMEOUT)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(batcher.submit, 0)
        assert held.started.wait(TIMEOUT)
        cohort = [pool.submit(batcher.submit, i) for i in (1, 2, 3)]
        assert recorder.all_queued.wait(TIMEOUT)
        held.release.set()
        assert [f.result(TIMEOUT) for f in [first, *cohort]] == [0, 1, 4, 9]
        # The three come back one after another: the first waits for the others instead of running alone.
        again = [pool.submit(batcher.submit, i) for i in (4, 5, 6)]
        assert [f.result(TIMEOUT) for f in again] == [16, 25, 36]
    assert recorder.sizes == [1, 3, 3]


def test_a_lone_user_never_waits_to_gather():
    recorder = Recorder()
    batcher = MicroBatcher(lambda items: items, max_size=4, observer=recorder, gather_s=3600)
    with ThreadPoolExecutor(1) as pool:
        answers = [pool.submit(batcher.submit, n).result(TIMEOUT) for n in range(3)]  # an hour's wait would fail
    assert answers == [0, 1, 2] and recorder.sizes == [1, 1, 1]


def test_batches_respect_their_size():
    held, recorder = HeldBatches(), Recorder(expected=9)
    batcher = MicroBatcher(held, max_size=4, observer=recorder)
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(batcher.submit, 0)]
        assert held.started.wait(TIMEOUT)
        futures += [pool.submit(batcher.submit, i) for i in range(1, 10)]
        assert recorder.all_queued.wait(TIMEOUT)
        held.release.set()
        assert [f.result(TIMEOUT) for f in futures] == [i * i for i in range(10)]
    assert recorder.sizes == [1, 4, 4, 1]


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
    assert calls == [["bad"], ["good"]]


def test_backend_merges_concurrent_classifications(tiny_profile):
    recorder = Recorder(expected=7)
    backend = Backend(tiny_profile, "cpu", batching=True, max_batch_size=8, batch_observer=recorder)
    checkpoint = backend.checkpoint_for("sentiment")
    call = PipelineCall("text-classification", {"top_k": None}, batchable=True)
    model = backend.model(checkpoint).model
    forwards: list[int] = []
    first_started = threading.Event()

    def hold_first_forward(module, args, kwargs) -> None:
        forwards.append(kwargs["input_ids"].shape[0])
        if len(forwards) == 1:  # keeps the model busy until the other seven requests wait behind it
            first_started.set()
            assert recorder.all_queued.wait(TIMEOUT), "the other requests never queued"

    texts = [f"request {i}" for i in range(8)]
    alone = Backend(tiny_profile, "cpu", batching=False)
    expected = [alone.run(call, [t], checkpoint).outputs[0] for t in texts]
    handle = model.register_forward_pre_hook(hold_first_forward, with_kwargs=True)
    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(backend.run, call, [texts[0]], checkpoint)]
            assert first_started.wait(TIMEOUT)
            futures += [pool.submit(backend.run, call, [text], checkpoint) for text in texts[1:]]
            results = [future.result(TIMEOUT) for future in futures]
    finally:
        handle.remove()
    assert forwards == [1, 7] and recorder.sizes == [1, 7]  # two forward passes for eight requests
    for result, want in zip(results, expected, strict=True):
        assert [(o["label"], round(o["score"], 5)) for o in result.outputs[0]] == [
            (w["label"], round(w["score"], 5)) for w in want
        ]  # padding in a batch does not change anyone's answer
