"""The device scheduler: short work first, long work in slices and never starved, its share kept both ways; slice
boundaries inside real RoBERTa passes, forward and backward. Threads meet on events and on the scheduler's own
state (`wait_until`), never on the clock; where device time matters, a clock the test moves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import torch

from roberta_demo import tiny
from roberta_demo.loading import MODEL_CLASSES, building
from roberta_demo.scheduling import DeviceScheduler, SchedulerStats, give_way, mark_slice_boundaries, set_aside

WAIT_S = 60.0  # only catches a hang; nothing here waits on time passing


class ManualClock:
    """Device time that passes only when the work holding the device says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _in_thread(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _join(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(WAIT_S)
        assert not thread.is_alive(), "a scheduled thread hung"


def _waiting(kind: str, count: int = 1) -> Callable[[SchedulerStats], bool]:
    return lambda stats: stats.waiting[kind] >= count  # type: ignore[index]


def test_a_short_pass_submitted_during_long_work_runs_before_its_next_slice():
    scheduler, order, long_running = DeviceScheduler(slice_seconds=0), [], threading.Event()

    def long_work() -> None:
        with scheduler.work("long"):
            order.append("long, slice 1")
            long_running.set()
            assert scheduler.wait_until(_waiting("short"), WAIT_S)
            give_way()
            order.append("long, slice 2")

    def short_pass() -> None:
        long_running.wait(WAIT_S)
        with scheduler.work():
            order.append("short")

    _join(_in_thread(long_work), _in_thread(short_pass))
    assert order == ["long, slice 1", "short", "long, slice 2"]
    assert scheduler.stats().handovers == 1


def test_long_work_keeps_its_share_under_a_stream_of_short_passes_and_leaves_them_the_rest():
    clock = ManualClock()
    scheduler = DeviceScheduler(long_share=0.25, slice_seconds=1.0, clock=clock)
    finished = threading.Event()

    def quick_client() -> None:
        while not finished.is_set():
            with scheduler.work():
                clock.advance(1.0)

    def long_work() -> None:
        with scheduler.work("long"):
            seen.append(scheduler.stats())
            for _ in range(12):
                clock.advance(1.0)
                give_way()
            seen.append(scheduler.stats())
        finished.set()

    seen: list[SchedulerStats] = []
    clients = [_in_thread(quick_client) for _ in range(4)]
    assert scheduler.wait_until(_waiting("short", 3), WAIT_S)  # a queue of quick requests before long work asks
    _join(_in_thread(long_work), *clients)
    before, after = seen
    short = after.device_seconds["short"] - before.device_seconds["short"]
    long = after.device_seconds["long"] - before.device_seconds["long"]
    assert long == 12.0
    assert 0.2 <= long / (long + short) <= 0.3  # its 25 %: never starved, and never more while quick work waits


def test_one_pass_stays_short_however_long_and_so_do_a_few_cheap_passes_until_they_add_up():
    clock = ManualClock()
    scheduler = DeviceScheduler(slice_seconds=1.0, clock=clock, long_after=4.0)
    order, holding = [], threading.Event()

    def work_of_passes() -> None:
        with scheduler.work() as job:
            give_way(new_pass=True)
            holding.set()
            assert scheduler.wait_until(_waiting("short"), WAIT_S)
            clock.advance(5.0)
            give_way()  # a layer boundary, five slices into one pass: one pass is never cut
            order.append("one big pass")
            give_way(new_pass=True)  # a second pass, past `long_after`: now it is long work, and gives way
            assert job.kind == "long"
            order.append("second pass")

    def a_few_cheap_passes() -> None:
        with scheduler.work() as job:
            for _ in range(3):
                give_way(new_pass=True)
                clock.advance(1.0)  # three passes of a slice each: under `long_after`
            assert job.kind == "short"
            order.append("cheap passes")

    def quick() -> None:
        holding.wait(WAIT_S)
        with scheduler.work():
            order.append("quick")

    _join(_in_thread(work_of_passes), _in_thread(quick))
    assert order == ["one big pass", "quick", "second pass"]
    _join(_in_thread(a_few_cheap_passes))
    assert order[-1] == "cheap passes"


def test_long_work_that_found_the_device_idle_lets_quick_work_in_at_once_and_keeps_a_slice_it_won():
    clock = ManualClock()
    scheduler = DeviceScheduler(slice_seconds=1.0, clock=clock)
    order, running = [], threading.Event()

    def long_work() -> None:
        with scheduler.work("long"):  # the device was idle: nobody to protect a slice from
            running.set()
            assert scheduler.wait_until(_waiting("short"), WAIT_S)
            clock.advance(0.1)  # a tenth of a slice
            give_way()
            order.append("long, after quick")
            assert scheduler.wait_until(_waiting("short"), WAIT_S)
            clock.advance(0.1)  # it won the device back over nobody; another quick request asks
            give_way()
            order.append("long, at once again")

    def quick(name: str) -> None:
        with scheduler.work():
            order.append(name)
            clock.advance(0.1)

    long_thread = _in_thread(long_work)
    running.wait(WAIT_S)
    _join(_in_thread(lambda: quick("quick 1")))
    _join(_in_thread(lambda: quick("quick 2")), long_thread)
    assert order == ["quick 1", "long, after quick", "quick 2", "long, at once again"]


def test_work_that_turns_long_after_quick_work_brings_none_of_its_time_as_credit():
    """Quick work had the device for a long while; then a job turns long while no other long work runs. It starts
    level with quick work, not with that whole time as its due, so the next quick request gets in at the next slice."""
    clock = ManualClock()
    scheduler = DeviceScheduler(long_share=0.25, slice_seconds=1.0, clock=clock, long_after=0.0)
    with scheduler.work():
        clock.advance(100.0)  # a spell of quick work
    order, holding = [], threading.Event()

    def turns_long() -> None:
        with scheduler.work() as job:
            give_way(new_pass=True)
            give_way(new_pass=True)  # a second pass: long work now
            assert job.kind == "long"
            holding.set()
            assert scheduler.wait_until(_waiting("short"), WAIT_S)
            clock.advance(1.0)  # a slice
            give_way()
            order.append("long")

    def quick() -> None:
        holding.wait(WAIT_S)
        with scheduler.work():
            order.append("quick")

    _join(_in_thread(turns_long), _in_thread(quick))
    assert order == ["quick", "long"]


def test_two_long_jobs_take_turns_slice_by_slice():
    scheduler, order = DeviceScheduler(slice_seconds=0), []
    first_running = threading.Event()

    def long_job(name: str, slices: int, signal: threading.Event | None = None) -> None:
        with scheduler.work("long"):
            for number in range(slices):
                order.append(f"{name}{number}")
                if signal is not None and number == 0:
                    signal.set()
                    assert scheduler.wait_until(_waiting("long"), WAIT_S)
                give_way()

    first = _in_thread(lambda: long_job("a", 3, first_running))
    first_running.wait(WAIT_S)
    _join(first, _in_thread(lambda: long_job("b", 3)))
    assert order == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_nested_work_goes_through_and_set_aside_lends_the_slot_out():
    scheduler, lent = DeviceScheduler(), threading.Event()

    def borrow() -> None:
        with scheduler.work():
            lent.set()

    with scheduler.work() as outer:
        with scheduler.work() as inner:
            assert inner is outer
        with set_aside():  # one slot, this thread's: another thread gets it only if it is really lent out
            _join(_in_thread(borrow))
        assert lent.is_set()


def test_sliced_work_takes_the_device_an_update_at_a_time_and_closing_it_closes_the_work():
    scheduler, closed = DeviceScheduler(), threading.Event()

    def steps() -> Iterator[int]:
        try:
            yield from range(3)
        finally:
            closed.set()

    updates = scheduler.sliced(steps())
    assert next(updates) == 0
    # Between updates the device is free: other work gets it at once.
    with scheduler.work():
        pass
    assert next(updates) == 1
    updates.close()
    assert closed.is_set()
    assert scheduler.stats().slices["long"] == 2


@pytest.fixture(scope="module")
def tiny_classifier() -> torch.nn.Module:
    config = tiny.roberta_config(100, hidden=32, layers=3, heads=2, intermediate=64, labels=("a", "b"))
    with building():
        model = MODEL_CLASSES["sequence-classification"].from_config(config).eval()
    mark_slice_boundaries(model)
    return model


def _pause_in_layer(model: torch.nn.Module, layer: int, reached: threading.Event, go_on: Callable[[], None]) -> None:
    """Once, in the thread that first runs `layer` of `model`: say so, then wait for `go_on()` to return."""
    used = threading.Event()

    def hook(module: object, args: object) -> None:
        if not used.is_set():
            used.set()
            reached.set()
            go_on()

    model.base_model.encoder.layer[layer].register_forward_pre_hook(hook)


def test_a_long_forward_pass_gives_way_between_layers(tiny_classifier):
    scheduler, order, reached = DeviceScheduler(slice_seconds=0), [], threading.Event()
    _pause_in_layer(tiny_classifier, 0, reached, lambda: scheduler.wait_until(_waiting("short"), WAIT_S))

    def long_pass() -> None:
        with scheduler.work("long"), torch.inference_mode():
            tiny_classifier(input_ids=torch.tensor([[0, 5, 6, 7, 2]]))
        order.append("long pass done")

    def quick() -> None:
        reached.wait(WAIT_S)
        with scheduler.work():
            order.append("quick")

    _join(_in_thread(long_pass), _in_thread(quick))
    assert order == ["quick", "long pass done"]


def test_a_backward_pass_gives_way_between_layers_on_a_cpu(tiny_classifier):
    scheduler, order, backward_begun = DeviceScheduler(slice_seconds=0), [], threading.Event()

    def begin_backward(gradient: torch.Tensor) -> None:
        backward_begun.set()
        assert scheduler.wait_until(_waiting("short"), WAIT_S)

    def training_step() -> None:
        with scheduler.work("long"):
            logits = tiny_classifier(input_ids=torch.tensor([[0, 5, 6, 7, 2]])).logits
            logits.register_hook(begin_backward)
            logits.sum().backward()  # the quick pass asks here; the step gives way at the top layer's gradient
        order.append("backward done")

    def quick() -> None:
        backward_begun.wait(WAIT_S)
        with scheduler.work():
            order.append("quick")

    _join(_in_thread(training_step), _in_thread(quick))
    assert order == ["quick", "backward done"]
