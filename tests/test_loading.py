"""Loads that cannot race: every tiny checkpoint loaded from many threads at once comes out whole, a failed load
leaves nothing behind, a visitor's load goes before the warm-up's, and a visitor of a loaded checkpoint never waits
for another's load. (On the code before the build lock, the first test failed in 20 of 20 rounds: meta tensors and
untied, random output embeddings.)"""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from roberta_demo import tiny
from roberta_demo.backend import Backend, PipelineCall
from roberta_demo.errors import ModelLoadError
from roberta_demo.loading import MODEL_CLASSES, HalfBuilt, building, check_materialised, wait_for_builds
from roberta_demo.profiles import Profile, TaskModels, load_profile

ROUNDS = 20
THREADS_PER_CHECKPOINT = 2
WAIT_S = 120.0  # only catches a hang
CLASSIFY = PipelineCall("text-classification", {"top_k": None, "truncation": True})


@pytest.fixture(scope="module")
def both_profiles(tiny_profile: Profile) -> list[Profile]:
    return [tiny_profile, load_profile("tiny-zh", env={})]


def _load_at_once(backend: Backend, checkpoints: list[str]) -> list[BaseException]:
    """Every checkpoint from `THREADS_PER_CHECKPOINT` threads, released together by a barrier; the errors."""
    barrier, errors = threading.Barrier(len(checkpoints) * THREADS_PER_CHECKPOINT), []

    def load(checkpoint: str) -> None:
        barrier.wait(WAIT_S)
        try:
            backend.model(checkpoint)
        except BaseException as exc:  # surfaced by the test
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(c,)) for c in checkpoints * THREADS_PER_CHECKPOINT]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    return errors


def _weights(backend: Backend, checkpoint: str) -> dict[str, torch.Tensor]:
    return dict(backend.model(checkpoint).model.state_dict())


def _answers(backend: Backend, checkpoint: str) -> None:
    loaded = backend.model(checkpoint)
    with torch.inference_mode():
        output = loaded.model(**loaded.tokenizer("Paris is lovely.", return_tensors="pt"))
    first = output[0]
    assert torch.isfinite(first).all(), f"{checkpoint} answers with non-finite values"


def test_every_tiny_checkpoint_loaded_from_every_thread_at_once_comes_out_whole(both_profiles):
    reference = {}
    for profile in both_profiles:
        one_by_one = Backend(profile, "cpu")
        reference |= {c: _weights(one_by_one, c) for c in profile.checkpoints()}
    for _ in range(ROUNDS):
        for profile in both_profiles:
            fresh = Backend(profile, "cpu")
            assert _load_at_once(fresh, profile.checkpoints()) == []
            assert set(fresh.loaded_checkpoints) == set(profile.checkpoints())
            assert set(fresh.load_counts.values()) == {1}  # once each, however many asked
            for checkpoint in profile.checkpoints():
                weights = _weights(fresh, checkpoint)
                assert not any(tensor.is_meta for tensor in weights.values()), f"{checkpoint} has meta tensors"
                assert weights.keys() == reference[checkpoint].keys()
                assert all(torch.equal(weights[k], reference[checkpoint][k]) for k in weights), checkpoint
    # and afterwards, loads of every checkpoint still work and answer
    for profile in both_profiles:
        after = Backend(profile, "cpu")
        for checkpoint in profile.checkpoints():
            check_materialised(after.model(checkpoint).model, checkpoint)
            _answers(after, checkpoint)


def test_a_load_that_fails_among_others_leaves_nothing_behind(tiny_profile: Profile, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_profile.location(tiny_profile.models("sentiment").checkpoints[0]), broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    tasks = {**tiny_profile.tasks, "emotion": TaskModels("emotion", (str(broken),))}
    fresh = Backend(replace(tiny_profile, tasks=tasks), "cpu")
    errors = _load_at_once(fresh, fresh.profile.checkpoints())
    assert errors and all(isinstance(e, ModelLoadError) and e.checkpoint == str(broken) for e in errors)
    after = Backend(tiny_profile, "cpu")
    for checkpoint in tiny_profile.checkpoints():
        check_materialised(after.model(checkpoint).model, checkpoint)
        _answers(after, checkpoint)


def test_a_half_built_model_is_refused():
    config = tiny.roberta_config(64, hidden=16, layers=1, heads=2, intermediate=32)
    with building(), torch.device("meta"):
        empty = MODEL_CLASSES["masked-lm"].from_config(config)
    with pytest.raises(HalfBuilt, match="without data"):
        check_materialised(empty, "empty")
    with building():
        untied = MODEL_CLASSES["masked-lm"].from_config(config)
    untied.lm_head.decoder.weight = torch.nn.Parameter(untied.lm_head.decoder.weight.detach().clone())
    with pytest.raises(HalfBuilt, match="not tied"):
        check_materialised(untied, "untied")


def test_a_visitors_load_goes_before_the_warm_ups_and_a_loaded_checkpoint_waits_for_none(tiny_profile: Profile):
    fresh = Backend(tiny_profile, "cpu")
    sentiment = fresh.checkpoint_for("sentiment")
    fresh.run(CLASSIFY, ["already in memory"], sentiment)
    order = fresh.profile.by_use(fresh.device)
    wanted = next(c for c in reversed(order) if c != sentiment)  # the warm-up's last
    visitor_done, answered = threading.Event(), threading.Event()
    holder_ready, release = threading.Event(), threading.Event()

    def a_long_load_elsewhere() -> None:  # holds the build turn, as a big checkpoint's load does
        with building():
            holder_ready.set()
            release.wait(WAIT_S)

    holder = threading.Thread(target=a_long_load_elsewhere)
    holder.start()
    holder_ready.wait(WAIT_S)
    warm_up = fresh.warm_up()
    visitor = threading.Thread(target=lambda: (fresh.model(wanted), visitor_done.set()))
    visitor.start()
    quick = threading.Thread(target=lambda: (fresh.run(CLASSIFY, ["still quick"], sentiment), answered.set()))
    quick.start()
    assert answered.wait(WAIT_S), "a request for a loaded checkpoint waited for another checkpoint's load"
    assert wait_for_builds(lambda visitors, background: visitors == 1 and background == 1, WAIT_S)
    assert not visitor_done.is_set()
    release.set()
    for thread in (holder, visitor, warm_up):
        thread.join(WAIT_S)
    loaded = fresh.loaded_checkpoints
    assert loaded[:2] == [sentiment, wanted]  # the visitor's before any of the warm-up's
    assert set(loaded) == set(order) and set(fresh.load_counts.values()) == {1}


def test_the_warm_up_loads_the_most_used_checkpoints_first(tiny_profile: Profile):
    order = tiny_profile.by_use("cpu")
    defaults = [tiny_profile.models(task).default_for("cpu") for task in tiny_profile.tasks]
    assert order[0] == tiny_profile.models("fill_mask").default_for("cpu")  # fill-mask, attention, the explainer
    assert set(order) == set(tiny_profile.checkpoints()) and len(order) == len(set(order))
    alternatives = [c for c in order if c not in defaults]
    assert order[-len(alternatives) :] == alternatives  # a task's alternatives last
    fresh = Backend(tiny_profile, "cpu")
    fresh.warm_up().join(WAIT_S)
    assert fresh.loaded_checkpoints == order
