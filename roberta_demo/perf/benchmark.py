"""Benchmark: what the app adds on top of the model, dynamic batching, start-up, memory, payload, int8, fill-mask, Ray.

    python -m roberta_demo.perf.benchmark                       # every part, roberta-base-sized models (~3 GB)
    python -m roberta_demo.perf.benchmark --parts fill_mask     # one part (see --help for their names)
    python -m roberta_demo.perf.benchmark --size tiny           # tiny models
    python -m roberta_demo.perf.benchmark --quick               # a smoke run: tiny models, a few calls a part

A part that fails (an app that never answers within the start-up limit) says so in its row and the others run; the
exit status is then 1.

The models have roberta-base's configuration (12 layers, 12 heads, hidden 768, vocabulary 50,265) with random
weights and the generated tiny tokenizer, so the compute is the real model's and nothing is downloaded. Every
figure is measured in this one run; compare the ratios, not the absolute times (the machine is shared).
"""

from __future__ import annotations

import argparse
import copy
import functools
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch

from roberta_demo import results
from roberta_demo.backend import Backend, LoadedModel, quantize_int8
from roberta_demo.config import Limits
from roberta_demo.perf import page as page_weight
from roberta_demo.perf.checkpoints import SIZES, build_checkpoints, write_profile
from roberta_demo.perf.clients import rest_predict
from roberta_demo.perf.fairness import fairness_rows, in_process, over_http
from roberta_demo.perf.loadtest import resident_mb, warm_up
from roberta_demo.perf.server import ServedApp, client_for, serve, start_app
from roberta_demo.profiles import load_profile
from roberta_demo.results import FineTuned, Packing
from roberta_demo.tasks import (
    attention,
    explain,
    fill_mask,
    finetune,
    masking,
    neighbours,
    pretrain,
    projection,
    sentiment,
    vectors,
)
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.encoding import encode
from roberta_demo.viz.attention import attention_figures
from roberta_demo.viz.vectors import projection_chart, similarity_chart

__all__ = ["main"]

TEXT_32 = "The new phone is fast and the camera is great, but the battery life is so bad."


FINE_TUNE_PRESET = "Product reviews: positive or negative"
SHARES = (0.25, 0.5)  # of the device kept for long work, in the fairness part
PACKINGS = typing.get_args(Packing)
ATTENTION_ENCODINGS = tuple(encoding for encoding in results.ATTENTION_ENCODINGS if encoding != "auto")
THROUGHPUT_ROUNDS = 3  # a, b, c in turns: each ratio from one window
FILL_MASK_TEXT = "The new phone is fast and the <mask> is great, but the battery life is so bad."


def median_seconds(call: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def interleaved_medians(calls: Mapping[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each call, the calls taking turns, so that a shared machine's slow spells hit all alike."""
    for call in calls.values():
        call(), call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def local_model(context: TaskContext, task: str) -> LoadedModel:
    """The task's model in this process: the benchmark compares tasks with the bare model, so its own context is
    always on the local engine."""
    assert isinstance(context.backend, Backend), "the benchmark's own context runs in process"
    return context.backend.model(context.checkpoint_for(task))


def bench_in_process(context: TaskContext, repeats: int) -> dict[str, float]:
    """The raw forward pass on a 32-token text against the sentiment task's call on the same text."""
    loaded = local_model(context, "sentiment")
    encoded = loaded.tokenizer(TEXT_32, return_tensors="pt").to(loaded.device)

    def raw() -> None:
        with torch.inference_mode():
            loaded.model(**encoded)

    def task() -> None:
        sentiment.classify(context, TEXT_32)

    results = interleaved_medians({"raw": raw, "backend": task}, repeats * 2)
    results["tokens"] = int(encoded["input_ids"].shape[1])
    return results


_EMPTY_APP = """
import sys, gradio as gr
with gr.Blocks() as demo:
    text = gr.Textbox(); out = gr.Textbox()
    text.submit(lambda t: t, text, out, api_name="echo")
demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
"""


def _start_empty_app() -> ServedApp:
    return serve([sys.executable, "-c", _EMPTY_APP, "{port}"])


def bench_http(url: str, repeats: int) -> dict[str, float]:
    """Round trips through the HTTP API: the sentiment endpoint, and an endpoint that does nothing."""
    client = client_for(url)
    sentiment = median_seconds(lambda: client.predict(TEXT_32, api_name="/sentiment_page"), repeats)
    empty_app = _start_empty_app()
    try:
        empty = client_for(empty_app.url)
        nothing = median_seconds(lambda: empty.predict(TEXT_32, api_name="/echo"), repeats)
    finally:
        empty_app.stop()
    return {"http": sentiment, "empty": nothing}


_NAIVE_APP = """
import sys, gradio as gr
from transformers import pipeline
classify = pipeline("text-classification", model=sys.argv[2], top_k=None, device="cpu")
def sentiment(text: str) -> list:
    return classify(text)
with gr.Blocks() as demo:
    gr.api(sentiment, api_name="sentiment")
demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
"""


def _sentiment_call(client: int, number: int) -> list[Any]:
    """The values of one client's request: a distinct text each time (no cache can answer it)."""
    return [f"{TEXT_32} ({client}, {number})"]


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Throughput:
    """Requests per second under `clients` concurrent clients, and the CPU each side used meanwhile, as a share of
    the whole machine (1.0: every core busy for the whole run)."""

    per_second: float
    server_cpu: float
    client_cpu: float


def load(
    url: str,
    endpoint: str,
    values: Callable[[int, int], list[Any]],
    clients: int,
    per_client: int,
    pid: int,
    sessions: bool = True,
) -> Throughput:
    """`clients` threads of plain HTTP calls (light: the load generator shares the machine with the server), each
    in a session of its own (`sessions`) or each call in a new one."""

    def one_client(index: int) -> None:
        session = f"bench-{index}-{os.getpid()}" if sessions else None
        with httpx.Client(timeout=120) as http:
            for number in range(per_client):
                rest_predict(http, url, endpoint, values(index, number), session)

    one_client(-1)  # warm: the model is loaded and the code paths are hot
    threads = [threading.Thread(target=one_client, args=(i,)) for i in range(clients)]
    server_before, client_before = cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, cores = time.perf_counter() - started, os.cpu_count() or 1
    server, client = cpu_seconds(pid) - server_before, time.process_time() - client_before
    return Throughput(clients * per_client / wall, server / wall / cores, client / wall / cores)


# Where a sampled stack spends its time, by the first of these found in it (innermost first): the model's own
# layers, the tokenizer, the rest of the transformers pipeline, the web server, the app's own code.
PROFILE_KINDS = (
    ("model forward (torch)", ("torch/nn/", "torch/_tensor", "torch/functional")),
    ("tokenizer", ("tokenizers", "tokenization_")),
    ("pipeline pre/post-processing", ("transformers/pipelines",)),
    (
        "web server (Gradio, HTTP, JSON)",
        (
            "gradio",
            "fastapi",
            "starlette",
            "uvicorn",
            "anyio",
            "asyncio",
            "httpx",
            "h11",
            "orjson",
            "pydantic",
            "json/",
        ),
    ),
    ("the app (tasks, batching)", ("roberta_demo",)),
)


def py_spy() -> str | None:
    """py-spy beside the running interpreter (a venv's, activated or not), else on PATH; None if neither."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.is_file() else shutil.which("py-spy")


@contextmanager
def sampled(pid: int, out: Path) -> Iterator[None]:
    """Samples every thread of process `pid` with py-spy while the block runs (nothing if py-spy is missing)."""
    if (spy := py_spy()) is None:
        yield
        return
    command = [spy, "record", "--pid", str(pid), "--rate", "50", "--format", "raw", "--output", str(out)]
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)  # py-spy writes its samples when interrupted
        sampler.wait(timeout=60)


# Innermost frames of a thread that waits (py-spy cannot always tell a wait that releases the GIL from work).
WAITING = ("Condition.wait", "Event.wait", "Queue.get", "EpollSelector.select", "Semaphore.acquire")


def profile_shares(raw: Path) -> dict[str, float]:
    """Share of the busy samples in each of `PROFILE_KINDS` (and "other"), from py-spy's collapsed stacks."""
    counts: dict[str, float] = {}
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")[::-1]
        if frames[0].startswith(WAITING):
            continue
        kind = next(
            (name for frame in frames for name, marks in PROFILE_KINDS if any(mark in frame for mark in marks)),
            "other",
        )
        counts[kind] = counts.get(kind, 0.0) + float(number)
    total = sum(counts.values()) or 1.0
    return {kind: count / total for kind, count in sorted(counts.items(), key=lambda item: -item[1])}


def bench_bare_model(backend: Backend, batch: int, repeats: int) -> float:
    """Texts per second of the sentiment model's forward pass alone at `batch` texts a pass (tokenised beforehand):
    what no server on this machine can beat."""
    loaded = backend.model(backend.checkpoint_for("sentiment"))
    texts = [f"{TEXT_32} ({number})" for number in range(batch)]
    encoded = loaded.tokenizer(texts, return_tensors="pt", padding=True)

    def forward() -> None:
        with torch.inference_mode():
            loaded.model(**encoded)

    return batch / median_seconds(forward, repeats)


def bench_batch_bound(backend: Backend, batch: int, repeats: int) -> float:
    """What batching can gain at most here: per-text forward time alone divided by per-text time in a batch."""
    loaded = backend.model(backend.checkpoint_for("sentiment"))
    single = loaded.tokenizer([TEXT_32], return_tensors="pt")
    many = loaded.tokenizer([TEXT_32] * batch, return_tensors="pt")

    def forward(encoded: Any) -> None:
        with torch.inference_mode():
            loaded.model(**encoded)

    alone = median_seconds(lambda: forward(single), repeats)
    together = median_seconds(lambda: forward(many), max(3, repeats // 4))
    return alone / (together / batch)


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_startup(config: Path, preload: bool) -> dict[str, float]:
    """Seconds from process start to the first answered request, and the server's CPU seconds by then; with preload,
    also the memory once every endpoint has run (each checkpoint loaded and used)."""
    started = time.perf_counter()
    app = start_app(str(config), extra=["--preload"] if preload else [])
    try:
        client_for(app.url).predict(TEXT_32, api_name="/sentiment")
        seconds, cpu = time.perf_counter() - started, cpu_seconds(app.pid)
        if not preload:
            return {"first_answer": seconds, "first_answer_cpu": cpu}
        warm_up(app.url)
        return {"first_answer": seconds, "peak_mb": peak_mb(app.pid), "rss_mb": resident_mb(app.pid)}
    finally:
        app.stop()


def bench_payload(context: TaskContext) -> dict[str, float]:
    """Bytes the attention tab sends for a 64-token text, with the head view and with the model view."""
    words = " ".join(TEXT_32.split() * 4)
    view = attention.inspect(context, words)
    sizes: dict[str, float] = {}
    for kind in ("head", "model"):
        figures = attention_figures(view, 0, 0, kind, "entropy", script_base="gradio_api/file=vendor/")
        charts = (figures.head, figures.mean, figures.rollout, figures.overview)
        sizes[kind] = len(figures.frame) + sum(len(f.to_json()) for f in charts) + len(json.dumps(figures.data))
    sizes["tokens"] = len(view.tokens)
    return sizes


def bench_attention_api(run: Run, repeats: int) -> dict[str, float]:
    """`/attention` for every layer and head at the server's attention limit (128 tokens), through gradio_client, in
    each encoding, against the bare forward pass with attentions on the same tokens; calls taking turns."""
    app = start_app(str(run.config))
    try:
        client = client_for(app.url)
        text = " ".join([TEXT_32] * 8)  # far past the limit: the server keeps exactly its 128 tokens

        def call(encoding: str) -> Callable[[], dict[str, Any]]:
            return lambda: client.predict(text, None, None, None, None, encoding, api_name="/attention")

        sizes = {encoding: float(len(json.dumps(call(encoding)()))) for encoding in ATTENTION_ENCODINGS}
        tokens = len(call("uint8")()["tokens"])
        loaded = local_model(run.context, "attention")
        encoded = loaded.tokenizer(text, truncation=True, max_length=tokens, return_tensors="pt").to(loaded.device)

        def raw() -> None:
            with loaded.eager_attention(), torch.inference_mode():  # as the task runs it: sdpa returns no weights
                loaded.model(**encoded, output_attentions=True)

        def plain(encoding: str) -> Callable[[], Any]:
            inputs = [text, None, None, None, None, encoding]
            return lambda: json.loads(rest_predict(http, app.url, "/attention", inputs).removeprefix("data:"))

        with httpx.Client(timeout=None) as http:
            calls = {
                "raw": raw,
                **{encoding: call(encoding) for encoding in ATTENTION_ENCODINGS},
                **{f"{encoding}_http": plain(encoding) for encoding in PACKINGS},
            }
            timing = interleaved_medians(calls, repeats)
        client.close()
    finally:
        app.stop()
    return {"tokens": tokens, **{f"{name}_s": seconds for name, seconds in timing.items()}, **sizes}


def bench_int8(backend: Backend, repeats: int) -> dict[str, float]:
    """Dynamic int8 quantisation of the sentiment model on CPU: speed-up, and how far probabilities move."""
    checkpoint = backend.checkpoint_for("sentiment")
    loaded = backend.model(checkpoint)
    texts = [TEXT_32, "I hate this.", "It is fine, I guess.", "Best day ever!!!", "The meeting is at noon."]
    encoded = loaded.tokenizer(texts, return_tensors="pt", padding=True)
    quantised = quantize_int8(copy.deepcopy(loaded.model))

    def probabilities(model: Any) -> np.ndarray:
        with torch.inference_mode():
            return np.asarray(torch.softmax(model(**encoded).logits.float(), -1).numpy())

    full = median_seconds(lambda: probabilities(loaded.model), repeats)
    small = median_seconds(lambda: probabilities(quantised), repeats)
    drift = float(np.abs(probabilities(loaded.model) - probabilities(quantised)).max())
    return {"fp32": full, "int8": small, "speedup": full / small, "max_probability_change": drift}


def bench_fill_mask(context: TaskContext, repeats: int) -> dict[str, float]:
    """The fill-mask task against the raw masked-LM forward pass (every position through the head, as
    `RobertaForMaskedLM` does), on the same input; with and without the layer-by-layer lens."""
    loaded = local_model(context, "fill_mask")
    encoded, _ = encode(loaded.tokenizer, FILL_MASK_TEXT, None, loaded.max_tokens, read_masks=True)
    inputs = {name: torch.tensor(value) for name, value in encoded.model_inputs(loaded.tokenizer).items()}

    def raw() -> None:
        with torch.inference_mode():
            loaded.model(**inputs)

    calls = {
        "raw": raw,
        "task": lambda: fill_mask.predict(context, FILL_MASK_TEXT, layers=False),
        "lens": lambda: fill_mask.predict(context, FILL_MASK_TEXT, layers=True),
    }
    return {**interleaved_medians(calls, repeats * 2), "tokens": len(encoded.ids)}


def bench_attention_views(url: str, repeats: int) -> dict[str, float]:
    """Seconds from pressing "Show attention" on a 128-token text to the view drawn in Chromium: the model view
    (every head of every layer) and bertviz's head view (one layer), each on a fresh page; median of `repeats`."""
    from playwright.sync_api import sync_playwright

    from roberta_demo.browser import CHROMIUM, CHROMIUM_ARGS

    text = " ".join([TEXT_32] * 8)  # far past the 128-token cap: the views get exactly 128 tokens
    drawn = {"model": "body[data-drawn]", "head": "#vis svg text"}
    timings: dict[str, list[float]] = {kind: [] for kind in drawn}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            for kind, ready in drawn.items():
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.goto(f"{url}?tab=attention&view={kind}")
                page.locator("#attention-text textarea").fill(text)
                started = time.perf_counter()
                page.locator("#attention-run").click()
                page.frame_locator("iframe.bertviz-frame").locator(ready).first.wait_for(timeout=120_000)
                page.evaluate("1")  # the page answers again: drawing is over
                timings[kind].append(time.perf_counter() - started)
                page.close()
        browser.close()
    return {kind: statistics.median(values) for kind, values in timings.items()}


def bench_explain(context: TaskContext, repeats: int) -> dict[str, float]:
    """Gradient × Input and Integrated Gradients (32 steps) on the sentiment model, 32 tokens, against the forward
    pass alone."""
    loaded = local_model(context, "sentiment")
    encoded = loaded.tokenizer(TEXT_32, return_tensors="pt")

    def raw() -> None:
        with torch.inference_mode():
            loaded.model(**encoded)

    calls = {
        "raw": raw,
        "grad_x_input": lambda: explain.explain(context, TEXT_32, "sentiment", method="grad_x_input"),
        "integrated_gradients": lambda: explain.explain(context, TEXT_32, "sentiment", method="integrated_gradients"),
    }
    return interleaved_medians(calls, max(3, repeats // 4)) | {"tokens": int(encoded["input_ids"].shape[1])}


def bench_fine_tune(context: TaskContext, repeats: int) -> dict[str, float]:
    """Seconds per optimizer step at batch 8 × 64 tokens, all weights and the top layers only, split into forward,
    backward and optimizer; and the wall time of a whole 20-step run of the tab's default recipe."""
    rows = [[(text + " ") * 6, label] for text, label in finetune.PRESETS["en"][FINE_TUNE_PRESET]]
    examples = finetune.read_examples(rows, None, context.limits)
    texts = [text for text, _ in examples.train[:8]]
    label_ids = [examples.labels.index(label) for _, label in examples.train[:8]]
    checkpoint = context.checkpoint_for("fine_tune")
    timing: dict[str, float] = {}
    for mode, top_layers_only in (("full", False), ("top", True)):
        recipe = finetune.Recipe(steps=repeats + 2, top_layers_only=top_layers_only)
        model = context.apply(checkpoint, functools.partial(finetune.classifier_copy, labels=examples.labels))
        optimizer, scheduler = finetune.optimizer_for(model, recipe)
        timing["tokens"] = finetune.tokenize_batch(model, texts, recipe.max_tokens)["input_ids"].shape[1]
        for _ in range(2):  # warm-up: the first steps allocate AdamW's state
            finetune.training_step(model, optimizer, scheduler, texts, label_ids, recipe.max_tokens)
        laps: dict[str, float] = {}
        for _ in range(repeats):
            finetune.training_step(model, optimizer, scheduler, texts, label_ids, recipe.max_tokens, laps)
        timing |= {f"{mode}_{phase}": seconds / repeats for phase, seconds in laps.items()}
        timing[f"{mode}_step"] = sum(laps.values()) / repeats
        del model, optimizer, scheduler
    started = time.perf_counter()
    *_, finished = finetune.train(context, examples, finetune.Recipe(steps=20))
    timing["run_20"] = time.perf_counter() - started
    if isinstance(finished, FineTuned):
        context.release(finished.key)  # the run's model is held like a visitor's; this one is not needed
    return timing


def bench_pretrain(context: TaskContext, repeats: int) -> dict[str, float]:
    """Seconds per continued pre-training step at batch 8 × 128 tokens (forward, backward, optimizer), all weights
    and the top layers only; and a fine-tuning step on the same 8 × 128 tokens, for the ratio."""
    checkpoint = context.checkpoint_for("fill_mask")
    timing: dict[str, float] = {}
    for mode, top_layers_only in (("full", False), ("top", True)):
        recipe = finetune.Recipe(steps=repeats + 2, batch_size=8, max_tokens=128, top_layers_only=top_layers_only)
        model = context.apply(checkpoint, pretrain.mlm_copy)
        corpus = pretrain.read_corpus(model.tokenizer, pretrain.EXAMPLE * 20, 128)
        examples = [
            {"input_ids": ids, "special_tokens_mask": [1] + [0] * (len(ids) - 2) + [1]} for ids in corpus.train_ids[:8]
        ]
        batch = masking.collator(model.tokenizer, 0)(examples)
        timing["tokens"] = int(batch["input_ids"].shape[1])
        optimizer, scheduler = finetune.optimizer_for(model, recipe)
        for _ in range(2):  # warm-up: the first steps allocate AdamW's state
            pretrain.pretraining_step(model, optimizer, scheduler, batch)
        laps: dict[str, float] = {}
        for _ in range(repeats):
            pretrain.pretraining_step(model, optimizer, scheduler, batch, laps)
        timing |= {f"{mode}_{phase}": seconds / repeats for phase, seconds in laps.items()}
        timing[f"{mode}_step"] = sum(laps.values()) / repeats
        if mode == "full":
            timing["fine_tune_step"] = _fine_tune_step(context, model.tokenizer.decode(batch["input_ids"][0]), repeats)
        del model, optimizer, scheduler
    return timing


def _fine_tune_step(context: TaskContext, text: str, repeats: int) -> float:
    """Seconds per fine-tuning step, all weights, on 8 copies of a 128-token text."""
    model = context.apply(
        context.checkpoint_for("fine_tune"), functools.partial(finetune.classifier_copy, labels=["a", "b"])
    )
    recipe = finetune.Recipe(steps=repeats + 2, max_tokens=128, top_layers_only=False)
    optimizer, scheduler = finetune.optimizer_for(model, recipe)
    texts, labels = [text] * 8, [0, 1] * 4
    for _ in range(2):
        finetune.training_step(model, optimizer, scheduler, texts, labels, 128)
    laps: dict[str, float] = {}
    for _ in range(repeats):
        finetune.training_step(model, optimizer, scheduler, texts, labels, 128, laps)
    return sum(laps.values()) / repeats


Row = tuple[str, str, str]
PHASES = ("forward", "backward", "optimizer")


@dataclass
class Run:
    """One benchmark run: its checkpoints (in `root`, removed at the end), a task context on them, its settings."""

    root: Path
    config: Path
    context: TaskContext
    repeats: int
    clients: int
    per_client: int

    @property
    def backend(self) -> Backend:
        assert isinstance(self.context.backend, Backend), "the benchmark's own context runs in process"
        return self.context.backend


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f} ×"


def part_overhead(run: Run) -> list[Row]:
    timing = bench_in_process(run.context, run.repeats)
    payload, int8 = bench_payload(run.context), bench_int8(run.backend, run.repeats)
    bound, raw = bench_batch_bound(run.backend, run.clients, run.repeats), timing["raw"]
    return [
        (f"raw forward pass, {timing['tokens']:.0f} tokens", _ms(raw), "1.00 × raw"),
        ("sentiment task call", _ms(timing["backend"]), f"{_ratio(timing['backend'], raw)} raw (target ≤ 1.05)"),
        (f"the model alone, batch of {run.clients} vs 1", f"{bound:.1f} × per text", "the most batching can gain"),
        ("attention payload, 64 tokens, head view", f"{payload['head'] / 1e3:.0f} kB", "target < 1 MB"),
        ("attention payload, 64 tokens, model view", f"{payload['model'] / 1e3:.0f} kB", "target < 1 MB"),
        (
            "int8 dynamic quantisation (CPU)",
            f"{int8['speedup']:.2f} × speed-up",
            f"probabilities move ≤ {int8['max_probability_change']:.3f}",
        ),
    ]


def part_http(run: Run) -> list[Row]:
    app = start_app(str(run.config))
    try:
        http = bench_http(app.url, run.repeats)
        batched = load(app.url, "/sentiment", _sentiment_call, run.clients, run.per_client, app.pid).per_second
    finally:
        app.stop()
    app = start_app(str(run.config), extra=["--no-batching"])
    try:
        unbatched = load(app.url, "/sentiment", _sentiment_call, run.clients, run.per_client, app.pid).per_second
    finally:
        app.stop()
    added = http["http"] - http["empty"]
    return [
        ("HTTP round trip, /sentiment", _ms(http["http"]), ""),
        ("HTTP round trip, empty endpoint", _ms(http["empty"]), "Gradio's own cost"),
        ("HTTP minus empty", _ms(added), ""),
        (f"{run.clients} clients, dynamic batching", f"{batched:.1f} req/s", ""),
        (f"{run.clients} clients, no batching", f"{unbatched:.1f} req/s", f"batching: {batched / unbatched:.1f} ×"),
    ]


def _sentiment_folder(run: Run) -> str:
    """Where the sentiment checkpoint is: the naive app loads it by path, not by the profile's name for it."""
    return run.backend.profile.location(run.backend.checkpoint_for("sentiment"))


def part_throughput(run: Run) -> list[Row]:
    """8-client throughput on /sentiment: the app (a), a naive Gradio app over the same pipeline (b), and the model's
    own limit (c), measured in turns (a, b, c, a, b, c…) with both apps up, so that each round's ratios come from one
    window of a shared machine; with the CPU each side used, since the load generator runs on the same cores."""
    checkpoint = _sentiment_folder(run)
    app = start_app(str(run.config))
    naive_app = None
    rounds: list[tuple[Throughput, Throughput, float]] = []
    try:
        naive_app = serve([sys.executable, "-c", _NAIVE_APP, "{port}", checkpoint])
        for _ in range(THROUGHPUT_ROUNDS):
            ours = load(app.url, "/sentiment", _sentiment_call, run.clients, run.per_client, app.pid)
            naive = load(naive_app.url, "/sentiment", _sentiment_call, run.clients, run.per_client, naive_app.pid)
            rounds.append((ours, naive, bench_bare_model(run.backend, run.clients, run.repeats)))
        fresh = load(app.url, "/sentiment", _sentiment_call, run.clients, run.per_client, app.pid, sessions=False)
        with sampled(app.pid, run.root / "profile.txt"):  # one more load, sampled: where the server's CPU goes
            load(app.url, "/sentiment", _sentiment_call, run.clients, run.per_client, app.pid)
    finally:
        app.stop()
        if naive_app is not None:
            naive_app.stop()

    def cpu(result: Throughput) -> str:
        return f"server {result.server_cpu:.0%}, load generator {result.client_cpu:.0%} of the CPU"

    a_c = [f"{a.per_second / c:.0%}" for a, _, c in rounds]
    a_b = [f"{a.per_second / b.per_second:.2f}" for a, b, _ in rounds]
    ours, naive, bare = sorted(rounds, key=lambda measured: measured[0].per_second / measured[2])[len(rounds) // 2]
    return [
        (f"(c) the bare model, batches of {run.clients}", f"{bare:.1f} texts/s", "forward pass only: the limit"),
        (f"(a) this app, {run.clients} clients, /sentiment", f"{ours.per_second:.1f} req/s", cpu(ours)),
        ("(a) with a new session for every call (as curl)", f"{fresh.per_second:.1f} req/s", cpu(fresh)),
        ("(b) a naive Gradio app, same pipeline", f"{naive.per_second:.1f} req/s", cpu(naive)),
        ("(a) / (c), median round", f"{ours.per_second / bare:.0%}", f"target ≥ 85 %; each round: {', '.join(a_c)}"),
        ("(a) / (b), same round", f"{ours.per_second / naive.per_second:.2f} ×", f"each round: {', '.join(a_b)}"),
        *_profile_rows(run.root / "profile.txt"),
    ]


def _profile_rows(profile: Path) -> list[Row]:
    if py_spy() is None:
        return [("server CPU by kind", "not measured", f"py-spy is neither beside {sys.executable} nor on PATH")]
    if not profile.exists():
        why = "py-spy wrote no samples: the load ended before it attached, or ptrace is not allowed"
        return [("server CPU by kind", "not measured", why)]
    shares = profile_shares(profile)
    return [(f"server CPU: {kind}", f"{share:.0%}", "py-spy samples, busy threads") for kind, share in shares.items()]


def bench_anchor_startup(checkpoint: str) -> dict[str, float]:
    """The naive one-endpoint Gradio app over the same sentiment pipeline: seconds and CPU seconds to its first
    answer, the anchor of the app's start-up."""
    started = time.perf_counter()
    app = serve([sys.executable, "-c", _NAIVE_APP, "{port}", checkpoint])
    try:
        client_for(app.url).predict(TEXT_32, api_name="/sentiment")
        return {"first_answer": time.perf_counter() - started, "first_answer_cpu": cpu_seconds(app.pid)}
    finally:
        app.stop()


def part_startup(run: Run) -> list[Row]:
    checkpoint = _sentiment_folder(run)
    rounds = [(bench_startup(run.config, preload=False), bench_anchor_startup(checkpoint)) for _ in range(2)]
    preload = bench_startup(run.config, preload=True)
    checkpoints = len(run.backend.profile.checkpoints())
    lazy = {key: statistics.median(ours[key] for ours, _ in rounds) for key in rounds[0][0]}
    anchor = {key: statistics.median(naive[key] for _, naive in rounds) for key in rounds[0][1]}
    each = ", ".join(f"{ours['first_answer_cpu'] / naive['first_answer_cpu']:.2f}" for ours, naive in rounds)
    return [
        (
            "CPU to the first /sentiment answer, lazy",
            f"{lazy['first_answer_cpu']:.1f} CPU-s",
            f"{lazy['first_answer_cpu'] / anchor['first_answer_cpu']:.2f} × the anchor (target ≤ 1.3); rounds: {each}",
        ),
        ("CPU to the first answer, a one-endpoint Gradio app", f"{anchor['first_answer_cpu']:.1f} CPU-s", "the anchor"),
        ("start to first answer, lazy", f"{lazy['first_answer']:.1f} s", f"anchor {anchor['first_answer']:.1f} s"),
        ("start to first answer, --preload", f"{preload['first_answer']:.1f} s", ""),
        (
            "peak memory, every checkpoint loaded and used",
            f"{preload['peak_mb']:.0f} MB",
            f"{checkpoints} checkpoints; {preload['rss_mb']:.0f} MB resident after",
        ),
    ]


def part_fill_mask(run: Run) -> list[Row]:
    timing = bench_fill_mask(run.context, run.repeats)
    raw = timing["raw"]
    return [
        (f"raw masked-LM forward pass, {timing['tokens']:.0f} tokens", _ms(raw), "1.00 × raw"),
        ("fill-mask task call", _ms(timing["task"]), f"{_ratio(timing['task'], raw)} raw (target ≤ 1.1)"),
        (
            "fill-mask with the layer-by-layer lens",
            _ms(timing["lens"]),
            f"{_ratio(timing['lens'], timing['task'])} the plain call (target ≤ 1.3)",
        ),
    ]


def part_payload(run: Run) -> list[Row]:
    measured = bench_attention_api(run, max(5, run.repeats // 2))
    layers, heads = _layers_and_heads(run)
    raw = measured["raw_s"]
    what = f"{layers} × {heads} heads, {measured['tokens']:.0f} tokens"
    rows = [(f"forward pass with attentions, {what}", _ms(raw), "1.00 × raw, in this process")]
    for encoding in ATTENTION_ENCODINGS:
        seconds, megabytes = measured[f"{encoding}_s"], measured[encoding] / 1e6
        target = " (target ≤ 5 MB, ≤ 1.5 × raw)" if encoding == "float16" else ""
        sent = f"{megabytes:.2f} MB, {_ms(seconds)}"
        rows.append((f"/attention as {encoding}, {what}, gradio_client", sent, f"{_ratio(seconds, raw)} raw{target}"))
    for encoding in PACKINGS:
        seconds = measured[f"{encoding}_http_s"]
        rows.append((f"/attention as {encoding}, {what}, plain HTTP", _ms(seconds), f"{_ratio(seconds, raw)} raw"))
    return rows


VECTOR_TEXTS = 500  # the batch limit: the largest map a visitor can ask for


def _many_texts(count: int) -> list[str]:
    """`count` distinct sentences: the shipped reference sentences, numbered as they repeat."""
    shipped = neighbours.reference_texts("en")
    size = len(shipped)
    return [shipped[i] if i < size else f"{shipped[i % size]} ({i // size})" for i in range(count)]


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def bench_vectors(context: TaskContext, repeats: int) -> dict[str, float]:
    """The map of `VECTOR_TEXTS` texts split into its forward passes and its projection, the page's answer in bytes,
    and the neighbour search over the shipped sentences against the forward pass of the visitor's one text."""
    texts, limit = _many_texts(VECTOR_TEXTS), context.limits.max_attention_tokens
    model = local_model(context, "attention")
    embedding, total = _timed(lambda: vectors.embed(context, texts, dimensions=2))
    forward = embedding.run.seconds  # the model's time in the call: its batches' forward passes
    project_s = median_seconds(lambda: projection.project(embedding.vectors, 2), repeats, warmup=1)
    page = {"projection": projection_chart(embedding).to_json(), "similarity": similarity_chart(embedding).to_json()}
    with tempfile.TemporaryDirectory() as cache:
        os.environ[neighbours.CACHE_VARIABLE] = cache
        index, build_s = _timed(lambda: neighbours.reference_index(context, model.checkpoint, "en"))
        query, at = "She opened a savings account at the bank.", index.num_layers
        own_s = median_seconds(lambda: neighbours.word_vectors(model, [query], limit, at), repeats, warmup=1)
        bank = neighbours.word_vectors(model, [query], limit, at).at(at)[7]  # its eighth word
        search_s = median_seconds(lambda: neighbours.nearest(index, bank, at, 10), repeats, warmup=1)
        words, index_mb = len(index.words), index.vectors.nbytes / 1e6
    return {
        "forward_s": forward,
        "project_s": project_s,
        "total_s": total,
        "page_mb": sum(len(part) for part in page.values()) / 1e6,
        "build_s": build_s,
        "own_s": own_s,
        "search_s": search_s,
        "words": words,
        "index_mb": index_mb,
    }


def part_vectors(run: Run) -> list[Row]:
    measured = bench_vectors(run.context, max(5, run.repeats // 2))
    forward, own = measured["forward_s"], measured["own_s"]
    return [
        (f"forward passes of {VECTOR_TEXTS} texts, every hidden state", _ms(forward), "1.00 × forward"),
        (
            f"PCA of {VECTOR_TEXTS} texts at every layer",
            _ms(measured["project_s"]),
            f"{_ratio(measured['project_s'], forward)} forward (target < 0.1)",
        ),
        (f"the map of {VECTOR_TEXTS} texts, task call", _ms(measured["total_s"]), _ratio(measured["total_s"], forward)),
        (f"the page's answer for {VECTOR_TEXTS} texts (two figures)", f"{measured['page_mb']:.2f} MB", "target < 1 MB"),
        (
            f"the shipped English index: {measured['words']:,.0f} words, every layer",
            _ms(measured["build_s"]),
            f"once per checkpoint; {measured['index_mb']:.1f} MB on disk",
        ),
        ("one sentence's word vectors (the visitor's forward pass)", _ms(own), "1.00 × own"),
        (
            "exact search among every word of the index, one layer",
            _ms(measured["search_s"]),
            f"{_ratio(measured['search_s'], own)} own (target < 0.1)",
        ),
    ]


def part_attention_views(run: Run) -> list[Row]:
    app = start_app(str(run.config))
    try:
        seconds = bench_attention_views(app.url, max(3, run.repeats // 5))
    finally:
        app.stop()
    layers, heads = _layers_and_heads(run)
    return [
        (
            f"model view, {layers} × {heads} heads, 128 tokens: click to drawn",
            f"{seconds['model']:.2f} s",
            "in Chromium, forward pass included (target ≤ 2 s)",
        ),
        ("bertviz head view, one layer, 128 tokens: click to drawn", f"{seconds['head']:.2f} s", "for comparison"),
    ]


def part_page(run: Run) -> list[Row]:
    """A first page load with the cache off, the app's against a minimal nine-tab Blocks app's, measured in turns
    (app, anchor, app, anchor) in one Chromium."""
    from playwright.sync_api import sync_playwright

    from roberta_demo.browser import CHROMIUM, CHROMIUM_ARGS

    app, anchor = start_app(str(run.config)), page_weight.serve_minimal_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            rounds = [
                (
                    page_weight.first_load(browser, app.url, page_weight.APP_READY),
                    page_weight.first_load(browser, anchor.url, page_weight.MINIMAL_READY),
                )
                for _ in range(2)
            ]
            browser.close()
    finally:
        app.stop()
        anchor.stop()
    ours, minimal = rounds[-1]
    received, requests = ours.ratio(minimal)
    kinds = ", ".join(f"{kind} {size / 1024:.0f}" for kind, size in ours.by_kind.most_common(4))
    return [
        (
            "first page load, bytes received (cache off)",
            f"{ours.received / 1024:.0f} kB",
            f"{received:.2f} × the anchor (target ≤ 2); kB by kind: {kinds}; document compressed: "
            f"{ours.compressed_document}",
        ),
        ("first page load, requests", f"{ours.requests}", f"{requests:.2f} × the anchor (target ≤ 2)"),
        (
            "first tab usable (its text box drawn), from asking for the page",
            f"{ours.usable_s:.2f} s",
            f"the anchor's {minimal.usable_s:.2f} s, {ours.usable_s - minimal.usable_s:+.2f} s (target ≤ +1 s); "
            f"rounds: {', '.join(f'{a.usable_s - b.usable_s:+.2f}' for a, b in rounds)}",
        ),
        (
            "first tab's first result drawn (the tour's tokens)",
            f"{ours.drawn_s:.2f} s",
            f"{ours.drawn_s - minimal.usable_s:+.2f} s after the anchor is usable; "
            f"rounds: {', '.join(f'{a.drawn_s - b.usable_s:+.2f}' for a, b in rounds)}",
        ),
        (
            "the anchor: a minimal nine-tab Blocks app",
            f"{minimal.received / 1024:.0f} kB, {minimal.requests} requests",
            f"rounds (bytes ratio): {', '.join(f'{a.ratio(b)[0]:.2f}' for a, b in rounds)}",
        ),
    ]


def _layers_and_heads(run: Run) -> tuple[int, int]:
    config = run.backend.model(run.backend.checkpoint_for("attention")).model.config
    return int(config.num_hidden_layers), int(config.num_attention_heads)


def part_fine_tune(run: Run) -> list[Row]:
    timing = bench_fine_tune(run.context, max(3, run.repeats // 4))
    layers = run.backend.model(run.backend.checkpoint_for("fine_tune")).model.config.num_hidden_layers
    rows = []
    for mode, name in (("full", "all weights"), ("top", f"top {finetune.TOP_LAYERS} layers only")):
        split = ", ".join(f"{phase} {timing[f'{mode}_{phase}'] * 1e3:.0f} ms" for phase in PHASES)
        rows.append(
            (
                f"fine-tune step, {layers} layers, 8 × {timing['tokens']:.0f} tokens, {name}",
                f"{timing[f'{mode}_step']:.2f} s",
                split,
            )
        )
    speed_up = timing["full_step"] / timing["top_step"]
    rows.append(("top layers only vs all weights", f"{speed_up:.1f} × faster", ""))
    rows.append(
        (
            "a 20-step run, top layers only, accuracy checks included",
            f"{timing['run_20']:.1f} s",
            "wall (target ≤ 30 s)",
        )
    )
    return rows


def part_explain(run: Run) -> list[Row]:
    timing = bench_explain(run.context, run.repeats)
    raw = timing["raw"]
    return [
        (f"sentiment forward pass, {timing['tokens']:.0f} tokens", _ms(raw), "1.00 × raw"),
        (
            "explain, Gradient × Input",
            _ms(timing["grad_x_input"]),
            f"{_ratio(timing['grad_x_input'], raw)} raw (target ≤ 4)",
        ),
        ("explain, Integrated Gradients, 32 steps", f"{timing['integrated_gradients']:.2f} s", "target ≤ 3 s"),
    ]


def threaded_rate(call: Callable[[int], object], clients: int, per_client: int) -> float:
    """Calls a second from `clients` threads, each making `per_client` calls one after another."""

    def client(number: int) -> None:
        for _ in range(per_client):
            call(number)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return clients * per_client / (time.perf_counter() - started)


def _ray_engine(run: Run, replicas: int) -> Any:
    """A Ray engine on the run's checkpoints with the sentiment model on `replicas` replicas (deployed afresh)."""
    import ray
    from ray import serve

    from roberta_demo.ray_engine import RayEngine, RayOptions, app_name

    checkpoint = run.backend.checkpoint_for("sentiment")
    if ray.is_initialized():  # the engine would find the last one's replicas running and use them
        serve.delete(app_name(checkpoint))
    # Ray gives a replica as many torch threads as CPUs it reserves: the replicas share this machine's cores.
    cpus = max(1.0, (os.cpu_count() or 1) / replicas)
    engine = RayEngine(run.backend.profile, RayOptions(min_replicas=replicas, max_replicas=replicas, cpus=cpus))
    sentiment.classify(TaskContext(engine, run.context.limits), TEXT_32)  # deploys, loads, answers once
    return engine


def part_ray(run: Run) -> list[Row]:
    """The Ray engine against the local one: start-up, the cost of the hop per request, and 8-client throughput with
    one and two replicas of the sentiment model (two cores here: the point is what the path costs, not the gain)."""
    import ray
    from ray import serve

    started = time.perf_counter()
    engine = _ray_engine(run, 1)
    first_answer = time.perf_counter() - started
    local, remote = run.context, TaskContext(engine, run.context.limits)
    per_request = interleaved_medians(
        {
            "local sentiment": lambda: sentiment.classify(local, TEXT_32),
            "ray sentiment": lambda: sentiment.classify(remote, TEXT_32),
            "local attention": lambda: attention.inspect(local, TEXT_32),
            "ray attention": lambda: attention.inspect(remote, TEXT_32),
        },
        run.repeats,
    )
    texts = [f"{TEXT_32} ({n})" for n in range(run.clients)]
    rates = {"local": threaded_rate(lambda n: sentiment.classify(local, texts[n]), run.clients, run.per_client)}
    rates["ray, 1 replica"] = threaded_rate(lambda n: sentiment.classify(remote, texts[n]), run.clients, run.per_client)
    engine.close()
    two = TaskContext(_ray_engine(run, 2), run.context.limits)
    rates["ray, 2 replicas"] = threaded_rate(lambda n: sentiment.classify(two, texts[n]), run.clients, run.per_client)
    two.backend.close()
    serve.shutdown()
    ray.shutdown()

    def hop(task: str) -> tuple[str, str, str]:
        near, far = per_request[f"local {task}"], per_request[f"ray {task}"]
        return (f"{task}, one request: local → Ray", f"{_ms(near)} → {_ms(far)}", f"+{_ms(far - near)}")

    return [
        ("Ray engine start (ray.init, Serve)", f"{engine.startup_seconds:.1f} s", "a local Ray instance"),
        ("… to the first sentiment answer", f"{first_answer:.1f} s", "+ deploying one checkpoint and loading it"),
        hop("sentiment"),
        hop("attention"),
        *(
            (f"{run.clients} clients, sentiment, {name}", f"{rate:.1f} req/s", f"{rate / rates['local']:.2f} × local")
            for name, rate in rates.items()
        ),
    ]


def _preset_table() -> dict[str, Any]:
    return {"headers": ["text", "label"], "data": [list(row) for row in finetune.PRESETS["en"][FINE_TUNE_PRESET]]}


def _fine_tune_run(context: TaskContext, steps: int) -> None:
    examples = finetune.read_examples(_preset_table(), None, context.limits)
    *_, finished = finetune.train(context, examples, finetune.Recipe(steps=steps))
    if isinstance(finished, FineTuned):
        context.release(finished.key)


def bench_slicing_cost(run: Run) -> list[Row]:
    """What slice boundaries cost long work on an idle device: an explanation and a fine-tuning run on the run's
    backend against the same on a backend whose models have no boundaries."""
    unsliced = TaskContext(Backend(run.backend.profile, "cpu", slice_boundaries=False), run.context.limits)

    def explanation(context: TaskContext) -> Callable[[], object]:
        return lambda: explain.explain(context, TEXT_32, "sentiment", method="integrated_gradients")

    calls: dict[str, Callable[[], object]] = {
        "explain, unsliced": explanation(unsliced),
        "explain, sliced": explanation(run.context),
        "fine-tune, unsliced": functools.partial(_fine_tune_run, unsliced, 10),
        "fine-tune, sliced": functools.partial(_fine_tune_run, run.context, 10),
    }
    seconds = interleaved_medians(calls, max(3, run.repeats // 4))
    return [
        (
            f"slicing on an idle device: {work} ({name})",
            f"{seconds[f'{work}, unsliced']:.2f} s → {seconds[f'{work}, sliced']:.2f} s",
            f"{seconds[f'{work}, sliced'] / seconds[f'{work}, unsliced']:.3f} × (target < 1.10)",
        )
        for work, name in (("explain", "IG, 32 steps"), ("fine-tune", "10 steps"))
    ]


def part_fairness(run: Run) -> list[Row]:
    """Quick requests beside long work (`roberta_demo.perf.fairness`) for two shares: in process, on the served app,
    and on the app with the Ray engine (one share, where Ray is installed); and what slicing costs on an idle
    device."""
    seconds, examples = max(20.0, 3.0 * run.repeats), _preset_table()
    rows = bench_slicing_cost(run)
    for share in SHARES:
        backend = Backend(run.backend.profile, "cpu", long_share=share)
        context = TaskContext(backend, run.context.limits)
        backend.preload(lambda line: None)
        rows += fairness_rows(
            in_process(context, examples), f"in process, share {share:.0%}", share, seconds, backend.scheduler
        )
    engines: list[tuple[str, list[str], dict[str, str], tuple[float, ...]]] = [("HTTP", [], {}, SHARES)]
    if importlib.util.find_spec("ray") is not None:
        # One replica given every core (Ray gives a replica as many torch threads as CPUs it reserves).
        ray_env = {"ROBERTA_DEMO_RAY_CPUS": str(os.cpu_count() or 1)}
        engines.append(("HTTP, Ray engine", ["--engine", "ray", "--ray-replicas", "1"], ray_env, SHARES[:1]))
    for engine, extra, env, shares in engines:
        for share in shares:
            app = start_app(str(run.config), extra=[*extra, "--preload", "--long-share", str(share)], env=env)
            try:
                rows += fairness_rows(over_http(app.url, examples), f"{engine}, share {share:.0%}", share, seconds)
            finally:
                app.stop()
    return rows


def part_pretrain(run: Run) -> list[Row]:
    timing = bench_pretrain(run.context, max(3, run.repeats // 4))
    layers = run.backend.model(run.backend.checkpoint_for("fill_mask")).model.config.num_hidden_layers
    rows = []
    for mode, name in (("full", "all weights"), ("top", f"top {finetune.TOP_LAYERS} layers only")):
        split = ", ".join(f"{phase} {timing[f'{mode}_{phase}'] * 1e3:.0f} ms" for phase in PHASES)
        rows.append(
            (
                f"continued pre-training step, {layers} layers, 8 × {timing['tokens']:.0f} tokens, {name}",
                f"{timing[f'{mode}_step']:.2f} s",
                split,
            )
        )
    ratio = timing["full_step"] / timing["fine_tune_step"]
    rows.append(
        (
            f"fine-tune step, same 8 × {timing['tokens']:.0f} tokens, all weights",
            f"{timing['fine_tune_step']:.2f} s",
            f"a pre-training step takes {ratio:.2f} × a fine-tuning step",
        )
    )
    return rows


PARTS: dict[str, Callable[[Run], list[Row]]] = {
    "overhead": part_overhead,
    "http": part_http,
    "throughput": part_throughput,
    "startup": part_startup,
    "payload": part_payload,
    "fill_mask": part_fill_mask,
    "attention_views": part_attention_views,
    "vectors": part_vectors,
    "explain": part_explain,
    "fine_tune": part_fine_tune,
    "pretrain": part_pretrain,
    "page": part_page,
    "ray": part_ray,
    "fairness": part_fairness,
}


def prepare(size: str, repeats: int, clients: int, per_client: int) -> Run:
    root = Path(tempfile.mkdtemp(prefix=f"roberta-demo-bench-{size}-"))
    print(f"building {size} checkpoints in {root} …", flush=True)
    config = write_profile(root, build_checkpoints(root, SIZES[size]))
    backend = Backend(load_profile(str(config), env={}), "cpu", batching=True)
    return Run(root, config, TaskContext(backend, Limits(max_attention_tokens=64)), repeats, clients, per_client)


def table(rows: list[Row]) -> str:
    lines = ["| measure | value | note |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {note} |" for name, value, note in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="base")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=12)
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny models, 3 repeats, 4 clients")
    # Ray is optional (requirements-ray.txt): its part runs by default only where it is installed.
    everything = [part for part in PARTS if part != "ray" or importlib.util.find_spec("ray") is not None]
    parser.add_argument("--parts", default=",".join(everything), help=f"comma-separated, of: {', '.join(PARTS)}")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    if unknown := [part for part in parts if part not in PARTS]:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if args.quick:  # a smoke run: every part, on tiny models, a few calls each
        args.size, args.repeats, args.clients, args.per_client = "tiny", 3, 4, 3
    run = prepare(args.size, args.repeats, args.clients, args.per_client)
    rows: list[Row] = []
    failed = []
    try:
        for part in parts:
            print(f"{part} …", flush=True)
            try:
                measured = PARTS[part](run)
            except Exception as exc:  # one part's failure (an app that never answered) is reported, not fatal
                print(f"{part} failed:\n{exc}", file=sys.stderr, flush=True)
                reason = " ".join(str(exc).split())[-300:]  # the end says why: a log's last lines, the limit hit
                measured = [(f"{part}: failed", type(exc).__name__, reason.replace("|", "/"))]
                failed.append(part)
            print(table(measured), flush=True)  # as it comes: a part that fails later loses nothing measured before
            rows += measured
    finally:
        shutil.rmtree(run.root, ignore_errors=True)  # the roberta-base-sized checkpoints take about 3 GB
    print(f"\n{args.size} size, {torch.get_num_threads()} threads, one run:\n")
    print(table(rows))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
