"""The inference backend on tiny checkpoints: device choice, lazy single loads, retries, truncation."""

from __future__ import annotations

import ast
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from roberta_demo.backend import Backend, PipelineCall, choose_device, choose_dtype, default_compute_slots
from roberta_demo.catalog import Catalog
from roberta_demo.config import Limits
from roberta_demo.errors import ModelLoadError
from roberta_demo.loading import building, wait_for_builds
from roberta_demo.profiles import TASKS, TaskModels, UnknownCheckpoint, load_profile
from roberta_demo.tasks import attention, explain, finetune, sentiment
from roberta_demo.tasks.common import TaskContext
from tests.waiting import HANG

BACKEND_SOURCE = Path(__file__).resolve().parents[1] / "roberta_demo" / "backend.py"
CLASSIFY = PipelineCall("text-classification", {"top_k": None, "truncation": True}, batchable=True)


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


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_the_backend_names_no_task():
    literals = _string_literals(BACKEND_SOURCE)
    assert not literals & set(TASKS), "backend.py names a task"
    assert not literals & {"text-classification", "zero-shot-classification", "fill-mask"}, (
        "backend.py names a pipeline"
    )
    source = BACKEND_SOURCE.read_text(encoding="utf-8").lower()
    for knowledge in ("stride", "hypothesis", "template", "entail", "nli", "aggregation"):
        assert knowledge not in source, f"backend.py knows about {knowledge!r}, which belongs to a task"


def test_creating_a_backend_loads_nothing(tiny_profile):
    fresh = Backend(tiny_profile, "cpu")
    assert not fresh.load_counts
    assert Catalog(tiny_profile, fresh.device).missing(list(TASKS)) == {}


def test_concurrent_first_requests_load_a_checkpoint_once(tiny_profile):
    fresh = Backend(tiny_profile, "cpu")
    checkpoint = fresh.checkpoint_for("sentiment")
    barrier = threading.Barrier(8)
    results, errors = [], []

    def first_request() -> None:
        barrier.wait(timeout=HANG)
        try:
            results.append(fresh.run(CLASSIFY, ["All at once!"], checkpoint).outputs[0])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANG)
    assert not errors
    assert len(results) == 8 and all(result == results[0] for result in results)
    assert fresh.load_counts == {checkpoint: 1}


def test_a_checkpoint_shared_by_two_tasks_loads_once(tiny_profile):
    fresh = Backend(tiny_profile, "cpu")
    sentiment = fresh.checkpoint_for("sentiment")
    fresh.run(CLASSIFY, ["shared weights"], sentiment)
    view = attention.inspect(TaskContext(fresh, Limits()), "shared weights", checkpoint=sentiment)
    assert fresh.load_counts[sentiment] == 1
    assert view.weights.shape[:2] == (2, 4)  # the sentiment model's layers and heads
    # the attention view switched it to eager only for its own call
    assert fresh.model(sentiment).model.config._attn_implementation == "sdpa"


def test_first_load_is_announced_once(tiny_profile):
    fresh, announced = Backend(tiny_profile, "cpu"), []
    checkpoint = fresh.checkpoint_for("sentiment")
    fresh.run(CLASSIFY, ["hello"], checkpoint, on_load=announced.append)
    fresh.run(CLASSIFY, ["hello"], checkpoint, on_load=announced.append)
    assert announced == [checkpoint]


def test_failed_load_is_retried_and_then_succeeds(tiny_profile, tmp_path: Path):
    late = tmp_path / "arrives-later"
    fresh = Backend(_profile_with(tiny_profile, "sentiment", str(late)), "cpu")
    with pytest.raises(ModelLoadError, match="arrives-later does not exist"):
        fresh.run(CLASSIFY, ["hello"], str(late))
    shutil.copytree(tiny_profile.location(tiny_profile.models("sentiment").checkpoints[0]), late)
    result = fresh.run(CLASSIFY, ["hello"], str(late))
    assert {item["label"] for item in result.outputs[0]} == {"negative", "neutral", "positive"}
    assert fresh.load_counts[str(late)] == 2


def test_corrupt_checkpoint_says_what_to_do(tiny_profile, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_profile.location(tiny_profile.models("sentiment").checkpoints[0]), broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    fresh = Backend(_profile_with(tiny_profile, "sentiment", str(broken)), "cpu")
    with pytest.raises(ModelLoadError, match=r"could not be loaded.*corrupt") as error:
        fresh.model(str(broken))
    assert error.value.checkpoint == str(broken)


def test_uncached_hub_checkpoint_offline_names_it_and_the_fix():
    profile = load_profile("default", env={})
    fresh = Backend(profile, "cpu")
    checkpoint = "cardiffnlp/twitter-roberta-base-sentiment-latest"
    assert checkpoint in Catalog(profile, "cpu").missing(["sentiment"])
    with pytest.raises(ModelLoadError, match="not in the local cache") as error:
        fresh.run(CLASSIFY, ["offline"], checkpoint)
    message = str(error.value)
    assert checkpoint in message
    assert "python -m roberta_demo download" in message and "--models tiny" in message


def test_long_input_is_truncated_with_a_notice(backend):
    text = " ".join(["word"] * 20_000)
    result = backend.run(CLASSIFY, [text, "short"], backend.checkpoint_for("sentiment"))
    long, short = result.truncations
    assert short is None
    assert long.tokens_kept == 512 and long.tokens_total > 20_000
    assert "only the first 512 tokens" in str(long.notice)
    assert abs(sum(item["score"] for item in result.outputs[0]) - 1) < 1e-5


def test_reserved_tokens_cut_the_input_earlier(backend):
    text = " ".join(["word"] * 600)
    call = replace(CLASSIFY, reserved_tokens=12)
    (truncation,) = backend.run(call, [text], backend.checkpoint_for("sentiment")).truncations
    assert truncation.tokens_kept == 500


def test_windowed_calls_are_never_reported_as_cut(backend):
    call = PipelineCall("token-classification", {"aggregation_strategy": "first", "stride": 16}, windowed=True)
    result = backend.run(call, [" ".join(["word"] * 2000)], backend.checkpoint_for("ner"))
    assert result.truncations == (None,)


def test_only_configured_checkpoints_are_loaded(backend):
    with pytest.raises(UnknownCheckpoint, match="not configured for Sentiment"):
        backend.checkpoint_for("sentiment", "FacebookAI/roberta-base")
    with pytest.raises(UnknownCheckpoint, match="not configured on this server"):
        backend.run(CLASSIFY, ["hi"], "/etc")
    with pytest.raises(UnknownCheckpoint, match="not configured for Attention"):
        backend.checkpoint_for("attention", "/etc")


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
    checkpoint, text = full.checkpoint_for("sentiment"), ["quantised or not, nearly the same answer"]
    expected = {o["label"]: o["score"] for o in full.run(CLASSIFY, text, checkpoint).outputs[0]}
    got = {o["label"]: o["score"] for o in small.run(CLASSIFY, text, checkpoint).outputs[0]}
    model = small.model(checkpoint).model
    assert any(type(m).__module__.startswith("torch.ao.nn.quantized.dynamic") for m in model.modules())
    assert expected.keys() == got.keys() and max(abs(expected[k] - got[k]) for k in expected) < 0.05


@pytest.mark.parametrize(("device", "slots"), [("cpu", 1), ("mps", 1), ("cuda", 2), ("cuda:1", 2)])
def test_model_work_runs_as_many_at_once_as_the_device_takes(device, slots):
    assert default_compute_slots(device) == slots


def test_concurrent_model_work_takes_turns_on_a_cpu_and_nested_work_goes_through(backend):
    checkpoint = backend.checkpoint_for("sentiment")
    running, most = [0], [0]
    guard = threading.Lock()

    def work(loaded: Any) -> str:
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        loaded.model(**loaded.tokenizer(["a text the model reads"] * 8, return_tensors="pt"))  # work that lasts
        inner = backend.apply(checkpoint, lambda loaded: loaded.checkpoint)  # work inside work: no deadlock
        with guard:
            running[0] -= 1
        return inner

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: backend.apply(checkpoint, work), range(6)))
    assert answers == [checkpoint] * 6 and most[0] == backend.compute_slots == 1


def test_a_checkpoint_with_only_pytorch_weights_loads(tiny_profile, tmp_path: Path):
    # Several Chinese checkpoints ship pytorch_model.bin and no safetensors.
    source = Path((zh := load_profile("tiny-zh", env={})).location(zh.models("sentiment").checkpoints[0]))
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(source)
    model.config.save_pretrained(tmp_path)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")  # what save_pretrained wrote before safetensors
    AutoTokenizer.from_pretrained(source).save_pretrained(tmp_path)
    assert (tmp_path / "pytorch_model.bin").exists() and not list(tmp_path.glob("*.safetensors"))
    tasks = {**tiny_profile.tasks, "sentiment": TaskModels("sentiment", (str(tmp_path),))}
    backend = Backend(replace(tiny_profile, tasks=tasks), "cpu")
    assert backend.model(str(tmp_path)).model.config.model_type == "bert"


# -- the device scheduler, on real tasks ------------------------------------------------------------------------------

WAIT_S = 120.0  # only catches a hang


def _waiting(kind: str):
    return lambda stats: stats.waiting[kind] >= 1


def test_an_explanation_gives_way_to_a_quick_request_between_its_layers(tiny_profile):
    fresh = Backend(tiny_profile, "cpu", batching=False, slice_seconds=0)
    context = TaskContext(fresh, Limits())
    sentiment.classify(context, "loaded before the race")
    model = fresh.model(fresh.checkpoint_for("sentiment")).model
    integrating, order = threading.Event(), []

    def pause_once_integrating(module, args):  # in Integrated Gradients' batch of steps: wait for the quick request
        if args[0].shape[0] > 1 and not integrating.is_set():
            integrating.set()
            assert fresh.scheduler.wait_until(_waiting("short"), WAIT_S)

    model.base_model.encoder.layer[0].register_forward_pre_hook(pause_once_integrating)

    def explanation() -> None:
        explain.explain(context, "a great day", "sentiment", method="integrated_gradients", steps=64)
        order.append("explanation")

    def quick() -> None:
        integrating.wait(WAIT_S)
        sentiment.classify(context, "quick")
        order.append("quick")

    threads = [threading.Thread(target=explanation), threading.Thread(target=quick)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert order == ["quick", "explanation"]
    assert fresh.scheduler.stats().handovers >= 1


def test_fine_tuning_takes_the_device_step_by_step_through_the_scheduler(tiny_profile):
    fresh = Backend(tiny_profile, "cpu", batching=False)
    context = TaskContext(fresh, Limits())
    rows = [["good", "positive"], ["fine", "positive"], ["bad", "negative"], ["awful", "negative"]]
    examples = finetune.read_examples(rows, None, context.limits)
    updates = iter(finetune.train(context, examples, finetune.Recipe(steps=4)))
    first_update, holding, release = threading.Event(), threading.Event(), threading.Event()

    def hold_the_device() -> None:
        with fresh.scheduler.work():
            holding.set()
            release.wait(WAIT_S)

    holder = threading.Thread(target=hold_the_device)
    holder.start()
    holding.wait(WAIT_S)
    trainer = threading.Thread(target=lambda: (next(updates), first_update.set()))
    trainer.start()
    assert fresh.scheduler.wait_until(_waiting("long"), WAIT_S)  # the run waits for the device as long work
    assert not first_update.is_set()
    release.set()
    trainer.join(WAIT_S)
    assert first_update.is_set()
    *_, finished = updates
    fresh.release(finished.key)
    assert fresh.scheduler.stats().slices["long"] >= 4 + 1  # a turn per step, and the last for the model


def test_a_load_inside_model_work_lends_the_device_out_meanwhile(tiny_profile):
    fresh = Backend(tiny_profile, "cpu", batching=False)
    context = TaskContext(fresh, Limits())
    sentiment.classify(context, "loaded")
    examples = finetune.read_examples([["good", "a"], ["bad", "b"]], None, context.limits)
    holder_ready, release, answered = threading.Event(), threading.Event(), threading.Event()

    def a_long_load_elsewhere() -> None:
        with building():
            holder_ready.set()
            release.wait(WAIT_S)

    holder = threading.Thread(target=a_long_load_elsewhere)
    holder.start()
    holder_ready.wait(WAIT_S)
    # Fine-tuning loads its base inside its own turn on the device; while it waits for that load, others run.
    trainer = threading.Thread(target=lambda: list(finetune.train(context, examples, finetune.Recipe(steps=1))))
    trainer.start()
    assert wait_for_builds(lambda visitors, background: visitors >= 1, WAIT_S)
    quick = threading.Thread(target=lambda: (sentiment.classify(context, "not stuck"), answered.set()))
    quick.start()
    assert answered.wait(WAIT_S), "a quick request waited for a load that held the device"
    release.set()
    for thread in (holder, trainer, quick):
        thread.join(WAIT_S)


def test_two_first_batches_on_one_checkpoint_build_its_pipeline_without_a_deadlock(tiny_profile):
    fresh = Backend(tiny_profile, "cpu")
    checkpoint = fresh.checkpoint_for("sentiment")
    fresh.model(checkpoint)  # loaded; its text-classification pipeline is not built yet
    every_class = replace(CLASSIFY, arguments={"top_k": None})  # two batchers (their arguments differ), one pipeline
    best_class = replace(CLASSIFY, arguments={"top_k": 1})
    holder_ready, release, answers = threading.Event(), threading.Event(), []

    def a_long_load_elsewhere() -> None:
        with building():
            holder_ready.set()
            release.wait(WAIT_S)

    holder = threading.Thread(target=a_long_load_elsewhere)
    holder.start()
    holder_ready.wait(WAIT_S)
    # Daemon threads: a deadlock fails the test instead of hanging the run.
    first = threading.Thread(target=lambda: answers.append(fresh.run(every_class, ["one"], checkpoint)), daemon=True)
    first.start()  # leads its batch on the device, sets the device aside to build the pipeline, waits for its turn
    assert wait_for_builds(lambda visitors, background: visitors == 1, WAIT_S)
    second = threading.Thread(target=lambda: answers.append(fresh.run(best_class, ["two"], checkpoint)), daemon=True)
    second.start()  # takes the device the first set aside, then needs the pipeline the first is building
    assert fresh.scheduler.wait_until(lambda stats: stats.slices["short"] == 2, WAIT_S)  # both have had the device
    release.set()
    for thread in (holder, first, second):
        thread.join(WAIT_S)
    assert len(answers) == 2, "two batches waited on each other: one for the device, one for the checkpoint's lock"


def test_model_work_gets_its_inputs_on_the_device_and_its_run_timed(backend):
    """`LoadedModel.run`: what every model function of a task goes through, instead of placing tensors itself."""
    model = backend.model(backend.checkpoint_for("attention"))
    inputs = {name: [ids] for name, ids in model.tokenizer("The cat sat.").items()}  # one text: a batch of one
    seen: dict[str, Any] = {}

    def work(tensors: dict[str, torch.Tensor]) -> int:
        seen["devices"] = {tensor.device.type for tensor in tensors.values()}
        seen["inference"] = torch.is_inference_mode_enabled()
        seen["eager"] = model.model.config._attn_implementation == "eager"
        output = model.model(**tensors, output_attentions=True)
        return len(output.attentions)

    layers, run = model.run(inputs, work, attentions=True, truncation=None)
    assert layers == model.model.config.num_hidden_layers
    assert seen == {"devices": {"cpu"}, "inference": True, "eager": True}
    assert (run.checkpoint, run.device, run.truncation) == (model.checkpoint, "cpu", None) and run.seconds > 0
    assert model.model.config._attn_implementation == model.default_attention  # given back after the work


def test_model_work_that_needs_gradients_gets_autograd(backend):
    model = backend.model(backend.checkpoint_for("sentiment"))

    def work(tensors: dict[str, torch.Tensor]) -> bool:
        embeddings = model.model.get_input_embeddings()(tensors["input_ids"]).detach().requires_grad_()
        model.model(inputs_embeds=embeddings).logits.sum().backward()
        return embeddings.grad is not None

    grads, _ = model.run(model.tokenizer("Lovely.", return_tensors="pt"), work, gradients=True)
    assert grads and not torch.is_inference_mode_enabled()
