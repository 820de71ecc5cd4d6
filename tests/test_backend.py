"""The inference backend on tiny checkpoints: device choice, lazy single loads, retries, truncation."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from roberta_demo.backend import Backend, ModelLoadError, choose_device, choose_dtype
from roberta_demo.config import TaskModels, load_profile


@pytest.mark.parametrize(
    ("requested", "cuda", "mps", "expected"),
    [
        ("auto", True, True, "cuda"),
        ("auto", False, True, "mps"),
        ("auto", False, False, "cpu"),
        ("cpu", True, True, "cpu"),
        ("cuda:1", True, False, "cuda:1"),
        ("cuda", False, False, "cpu"),  # asked for but absent: the best available instead
        ("mps", False, False, "cpu"),
        ("CUDA", True, False, "cuda"),
    ],
)
def test_device_choice(requested, cuda, mps, expected):
    assert choose_device(requested, cuda_available=cuda, mps_available=mps) == expected


def test_half_precision_only_on_cuda():
    assert choose_dtype("cuda:0") == torch.float16
    assert choose_dtype("cpu") == torch.float32
    assert choose_dtype("mps") == torch.float32


def test_backend_runs_on_cpu_here(backend):
    assert backend.device == "cpu"


def _profile_with(tiny_profile, task: str, checkpoint: str):
    tasks = dict(tiny_profile.tasks)
    tasks[task] = TaskModels(task, (checkpoint,))
    return replace(tiny_profile, tasks=tasks)


def test_creating_a_backend_loads_nothing(tiny_profile):
    fresh = Backend(tiny_profile, "cpu")
    assert not fresh.load_counts
    assert fresh.missing() == {}


def test_concurrent_first_requests_load_a_checkpoint_once(tiny_profile):
    fresh = Backend(tiny_profile, "cpu")
    barrier = threading.Barrier(8)
    results, errors = [], []

    def first_request() -> None:
        barrier.wait()
        try:
            results.append(fresh.run("sentiment", ["All at once!"], top_k=None).outputs[0])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8 and all(result == results[0] for result in results)
    assert fresh.load_counts == {fresh.checkpoint_for("sentiment"): 1}


def test_a_checkpoint_shared_by_two_tasks_loads_once(tiny_profile):
    fresh = Backend(tiny_profile, "cpu")
    sentiment = fresh.checkpoint_for("sentiment")
    fresh.run("sentiment", ["shared weights"], top_k=None)
    weights = fresh.attention("shared weights", checkpoint=sentiment)
    assert fresh.load_counts[sentiment] == 1
    assert weights.weights.shape[:2] == (2, 4)  # the sentiment model's layers and heads
    # the attention view switched it to eager only for its own call
    assert fresh.model(sentiment).model.config._attn_implementation == "sdpa"


def test_failed_load_is_retried_and_then_succeeds(tiny_profile, tmp_path: Path):
    late = tmp_path / "arrives-later"
    fresh = Backend(_profile_with(tiny_profile, "sentiment", str(late)), "cpu")
    with pytest.raises(ModelLoadError, match="arrives-later") as first:
        fresh.run("sentiment", ["hello"])
    assert "does not exist" in str(first.value)
    shutil.copytree(tiny_profile.models("sentiment").checkpoints[0], late)
    result = fresh.run("sentiment", ["hello"], top_k=None)
    assert {item["label"] for item in result.outputs[0]} == {"negative", "neutral", "positive"}
    assert fresh.load_counts[str(late)] == 2


def test_corrupt_checkpoint_says_what_to_do(tiny_profile, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_profile.models("sentiment").checkpoints[0], broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    fresh = Backend(_profile_with(tiny_profile, "sentiment", str(broken)), "cpu")
    with pytest.raises(ModelLoadError, match="could not be loaded.*corrupt") as error:
        fresh.model(str(broken))
    assert error.value.checkpoint == str(broken)


def test_uncached_hub_checkpoint_offline_names_it_and_the_fix():
    fresh = Backend(load_profile("default", env={}), "cpu")
    checkpoint = "cardiffnlp/twitter-roberta-base-sentiment-latest"
    assert checkpoint in fresh.missing()
    with pytest.raises(ModelLoadError) as error:
        fresh.run("sentiment", ["offline"])
    message = str(error.value)
    assert checkpoint in message
    assert "not in the local cache" in message
    assert "python -m roberta_demo download" in message and "--models tiny" in message


def test_long_input_is_truncated_with_a_notice(backend):
    text = " ".join(["word"] * 20_000)
    result = backend.run("sentiment", [text, "short"], top_k=None)
    long, short = result.truncations
    assert short is None
    assert long.tokens_kept == 512 and long.tokens_total > 20_000
    assert "only the first 512 tokens" in long.notice
    assert abs(sum(item["score"] for item in result.outputs[0]) - 1) < 1e-5


def test_only_configured_checkpoints_are_loaded(backend):
    with pytest.raises(ValueError, match="not configured"):
        backend.run("sentiment", ["hi"], checkpoint="FacebookAI/roberta-base")
    with pytest.raises(ValueError, match="not configured"):
        backend.attention("hi", checkpoint="/etc")


def test_attention_weights_are_row_stochastic(backend):
    weights = backend.attention("The cat sat.", "It was tired.")
    layers, heads, rows, cols = weights.weights.shape
    assert (layers, heads) == (4, 4) and rows == cols == len(weights.tokens) == len(weights.offsets)
    assert torch.allclose(torch.from_numpy(weights.weights.sum(-1)), torch.ones(layers, heads, rows), atol=1e-5)
    assert weights.tokens[0] == "<s>" and weights.tokens[-1] == "</s>"


def test_preload_loads_every_checkpoint_and_reports_progress(tiny_profile):
    fresh, lines = Backend(tiny_profile, "cpu"), []
    assert fresh.preload(lines.append) == {}
    assert set(fresh.load_counts) == set(tiny_profile.checkpoints())
    assert len(lines) == len(tiny_profile.checkpoints()) and lines[0].startswith("[1/")


def test_preload_reports_failures_and_continues(tiny_profile, tmp_path: Path):
    fresh = Backend(_profile_with(tiny_profile, "emotion", str(tmp_path / "missing")), "cpu")
    failures = fresh.preload(lambda line: None)
    assert list(failures) == [str(tmp_path / "missing")]
    assert fresh.load_counts[tiny_profile.models("sentiment").checkpoints[0]] == 1


def test_int8_quantisation_is_an_option_on_cpu(tiny_profile):
    full = Backend(tiny_profile, "cpu", batching=False)
    small = Backend(tiny_profile, "cpu", batching=False, quantize=True)
    text = ["quantised or not, nearly the same answer"]
    expected = {o["label"]: o["score"] for o in full.run("sentiment", text, top_k=None).outputs[0]}
    got = {o["label"]: o["score"] for o in small.run("sentiment", text, top_k=None).outputs[0]}
    model = small.model(small.checkpoint_for("sentiment")).model
    assert any(type(m).__module__.startswith("torch.ao.nn.quantized.dynamic") for m in model.modules())
    assert expected.keys() == got.keys() and max(abs(expected[k] - got[k]) for k in expected) < 0.05


def test_zero_shot_with_a_non_nli_checkpoint_says_so(tiny_profile):
    tasks = dict(tiny_profile.tasks)
    tasks["zero_shot"] = TaskModels("zero_shot", tiny_profile.models("sentiment").checkpoints)
    fresh = Backend(replace(tiny_profile, tasks=tasks), "cpu")
    with pytest.raises(ModelLoadError, match="no 'entailment'.*NLI checkpoint"):
        fresh.run("zero_shot", ["text"], candidate_labels=["a", "b"])
