"""The fine-tuning tab: teach RoBERTa a new classification task from a few examples and watch it learn."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.errors import InputError
from roberta_demo.messages import render, speak
from roberta_demo.results import FineTuned
from roberta_demo.tasks import finetune, vectors
from roberta_demo.tasks.common import NOT_HELD, TaskContext
from roberta_demo.ui.common import (
    FINE_TUNE_WORK,
    TabParts,
    code_view,
    data_table,
    fine_tune_seconds,
    model_work,
    reporting,
    table,
    table_headers,
    wire,
)
from roberta_demo.ui.files import FILES, uploaded
from roberta_demo.ui.i18n import _
from roberta_demo.viz.finetune import attention_comparison, loss_chart, progress_note, verdict_rows
from roberta_demo.viz.vectors import projection_chart

__all__ = ["TASKS", "build"]

TASKS = ["fine_tune"]
HEADERS = ["text", "label"]
VERDICT_HEADERS = ["text", "set", "label", "before", "after", "changed"]
INTRO = (
    "Pre-training taught RoBERTa the language; **fine-tuning** teaches it one task. Give it a few labelled examples, "
    "press *Train*, and watch the loss fall: a copy of the base model gets a new classification head, and every step "
    "nudges its weights towards your labels (the base model everyone else uses is not touched). Training only the top "
    "layers is several times faster on a CPU; the whole model learns more from more examples."
)


def _table(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"headers": HEADERS, "data": [list(pair) for pair in pairs]}


def load_preset(name: str) -> dict[str, Any]:
    """A preset's examples in the training table (the held-out one emptied: a share is held out automatically)."""
    every = {name: pairs for presets in finetune.PRESETS.values() for name, pairs in presets.items()}
    return {"examples": _table(every.get(name, [])), "held_out": _table([])}


def load_csv(context: TaskContext, upload: str | None) -> dict[str, Any]:
    """An uploaded CSV (text, label) in the training table."""
    rows = finetune.read_csv(uploaded(upload), context.limits)
    return {"examples": {"headers": HEADERS, "data": rows}} if rows else {}


def _finished(result: FineTuned) -> dict[str, Any]:
    return {
        "chart": loss_chart(result.update),
        "status": progress_note(result.update) + "".join(f"\n\nℹ️ {render(note)}" for note in result.notes),
        "verdicts": table(VERDICT_HEADERS, verdict_rows(result)),
        "key": result.key,
        "try_it": gr.update(interactive=True),
        "tuned": result,
        "show_vectors": gr.update(interactive=True),
    }


def _train_seconds(_context: Any, _examples: Any, _held_out: Any, steps: Any, *_rest: Any, **_named: Any) -> int:
    """ZeroGPU's time for `train_view`, from the same arguments."""
    return fine_tune_seconds(steps)


def train_view(
    context: TaskContext,
    examples: Any,
    held_out: Any,
    steps: float,
    checkpoint: str,
    learning_rate: float,
    batch_size: float,
    max_tokens: float,
    seed: float,
    top_layers_only: bool,
    request: gr.Request,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> Iterator[dict[str, Any]]:
    """Train, streaming the loss after every step; the finished model is held for this page's session (replacing
    its last one) until the page closes.

    The run's stop switch goes to the page's state first, where the Stop button finds it.
    """
    context = reporting(context, progress)
    recipe = finetune.Recipe(
        int(steps), float(learning_rate), int(batch_size), int(max_tokens), int(seed), bool(top_layers_only)
    )
    read = finetune.read_examples(examples, held_out, context.limits, int(seed))
    stop = threading.Event()
    yield {
        "stop_switch": stop,
        "status": speak("Starting…"),
        "verdicts": table(VERDICT_HEADERS, []),
    }
    for update in finetune.train(context, read, recipe, checkpoint or None, stop, owner=request.session_hash):
        if isinstance(update, FineTuned):
            yield _finished(update) | {"stop_switch": None}
        else:
            yield {"chart": loss_chart(update), "status": progress_note(update)}


def forgetting(context: TaskContext) -> Callable[[gr.Request], None]:
    """What runs when a page closes: its fine-tuned model goes at once, not when Gradio drops the session's state
    (an hour later)."""

    def forget(request: gr.Request) -> None:
        context.release(request.session_hash)

    return forget


def releasing(context: TaskContext) -> Callable[[str | None], None]:
    """What runs when Gradio drops a session's state: the session's fine-tuned model goes too."""

    def release(key: str | None) -> None:
        context.release(key)

    return release


def stop_view(stop_switch: threading.Event | None) -> dict[str, Any]:
    """Stop: the run under way ends after its current step and keeps what it learned."""
    if stop_switch is None:
        gr.Info(speak("Nothing is training on this page."))
    else:
        stop_switch.set()
    return {}


def try_view(context: TaskContext, key: str | None, text: str) -> dict[str, Any]:
    """The fine-tuned model's answer, and where its <s> looks beside the base model's."""
    scores = finetune.classify(context, key, text)
    tokens, before, after = finetune.compare_attention(context, key, text)
    return {"answer": scores, "attention": attention_comparison(tokens, before, after)}


def vectors_view(context: TaskContext, key: str | None, tuned: FineTuned | None) -> dict[str, Any]:
    """Where each example's `<s>` lies before and after fine-tuning, coloured by its label: the classes part."""
    if tuned is None:
        raise InputError(NOT_HELD)
    texts = [verdict.text for verdict in tuned.verdicts]
    before, after = vectors.before_and_after(context, key, texts)
    labels = [tuned.verdicts[position].label for position in before.positions]
    return {
        "before": projection_chart(before, labels, "Before fine-tuning: each example's &lt;s&gt; vector"),
        "after": projection_chart(after, labels, "After fine-tuning: the same examples"),
    }


def download_view(context: TaskContext, key: str | None, request: gr.Request | None = None) -> dict[str, Any]:
    """The fine-tuned model as a zip that `from_pretrained` loads."""
    archive = finetune.export(context, key, FILES.folder(request))
    return {"download": gr.update(value=str(archive), visible=True)}


def _settings(catalog: Catalog, context: TaskContext) -> dict[str, Any]:
    limits, defaults = context.limits, finetune.Recipe()
    choices = catalog.checkpoints("fine_tune")
    with gr.Accordion(_("Settings"), open=False):
        with gr.Row():
            checkpoint = gr.Dropdown(choices, value=catalog.default("fine_tune"), label=_("Base model"))
            learning_rate = gr.Number(
                finetune.UNTRAINED_LEARNING_RATE if catalog.untrained else defaults.learning_rate,
                label=_("Learning rate"),
                minimum=0,
                info=_("Higher than for a pre-trained model: these untrained models have nothing to forget.")
                if catalog.untrained
                else _("5e-5 is a common choice for a pre-trained RoBERTa."),
            )
        with gr.Row():
            batch_size = gr.Slider(1, 32, value=defaults.batch_size, step=1, label=_("Batch size"))
            max_tokens = gr.Slider(
                8, limits.max_train_tokens, value=defaults.max_tokens, step=8, label=_("Max tokens per text")
            )
            seed = gr.Number(defaults.seed, label=_("Seed"), precision=0)
            top_layers_only = gr.Checkbox(defaults.top_layers_only, label=_("Train only the top layers (faster)"))
    return {
        "checkpoint": checkpoint,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "max_tokens": max_tokens,
        "seed": seed,
        "top_layers_only": top_layers_only,
    }


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    gr.Markdown(_(INTRO))
    with gr.Row():
        presets = finetune.PRESETS[catalog.language]
        first = next(iter(presets))
        preset = gr.Dropdown(list(presets), value=first, label=_("Start from a preset"), scale=3)
        upload = gr.File(label=_("…or upload a CSV (text, label)"), file_types=[".csv"], type="filepath", scale=2)
    # Steps and Train come first, in sight without scrolling: steps are the knob a talk turns ("ten steps, watch the
    # loss"); the rest waits in Settings, and the examples below can be edited before pressing Train.
    with gr.Row(equal_height=True):
        steps = gr.Slider(
            1,
            context.limits.max_train_steps,
            value=finetune.Recipe().steps,
            step=1,
            label=_("Steps"),
            elem_id="tune-steps",
            scale=3,
        )
        train = gr.Button(_("Train"), variant="primary", elem_id="tune-train", scale=1)
        stop = gr.Button(_("Stop"), variant="stop", elem_id="tune-stop", scale=1)
    with gr.Row():
        examples = data_table(
            _table(presets[first]),
            headers=HEADERS,
            column_count=2,
            label=_("Training examples"),
            interactive=True,
            max_height=360,
            elem_id="tune-examples",
        )
        held_out = data_table(
            _table([]),
            headers=HEADERS,
            column_count=2,
            interactive=True,
            max_height=360,
            label=_("Held-out examples (empty: a quarter is held out automatically)"),
        )
    settings = _settings(catalog, context)
    with gr.Row():
        chart = gr.Plot(label=_("Loss"), show_label=False, elem_id="tune-chart")
        with gr.Column():
            code_view(finetune.CODE)
            status = gr.Markdown(elem_id="tune-status")
    verdicts = data_table(
        headers=table_headers(VERDICT_HEADERS),
        label=_("Every example, before and after"),
        wrap=True,
        max_height=420,
        elem_id="tune-verdicts",
    )
    # The session's fine-tuned model: freed when the page closes (on_unload), or else with the session's state.
    # The callback is a plain function, never a bound method: Gradio puts it in the page config and deep-copies
    # that config for every page load, and deep-copying a bound method copies its object (here the whole backend).
    key = gr.State(None, delete_callback=releasing(context))
    with gr.Row():
        with gr.Column(scale=2):
            text = gr.Textbox(label=_("Try your model"), placeholder=_("A new text to classify"), elem_id="tune-text")
            try_it = gr.Button(_("Classify with the fine-tuned model"), interactive=False, elem_id="tune-try")
            answer = gr.Label(label=_("Fine-tuned answer"), elem_id="tune-answer")
        attention = gr.Plot(label=_("Attention"), show_label=False)
    with gr.Row():
        show_vectors = gr.Button(
            _("Where the examples lie, before and after"), interactive=False, elem_id="tune-show-vectors"
        )
    with gr.Row():
        before = gr.Plot(label=_("Before fine-tuning"), show_label=False, elem_id="tune-before")
        after = gr.Plot(label=_("After fine-tuning"), show_label=False, elem_id="tune-after")
    tuned = gr.State(None)
    with gr.Row():
        download = gr.Button(_("Download the fine-tuned model (zip)"), size="sm")
        downloaded = gr.File(label=_("save_pretrained folder, zipped"), visible=False)
    stop_switch = gr.State(None)
    outputs = {
        "chart": chart,
        "status": status,
        "verdicts": verdicts,
        "key": key,
        "try_it": try_it,
        "stop_switch": stop_switch,
        "tuned": tuned,
        "show_vectors": show_vectors,
    }
    inputs = [examples, held_out, steps, *settings.values()]
    # One run at a time on this server: another page's run waits in the queue, and its page shows its place.
    train.click(
        wire(train_view, context, outputs, _train_seconds),
        inputs,
        list(outputs.values()),
        concurrency_limit=1,
        concurrency_id=FINE_TUNE_WORK,
        api_visibility="private",
    )
    stop.click(wire(stop_view, None, {}), stop_switch, None, api_visibility="private", queue=False)
    preset.change(
        wire(load_preset, None, {"examples": examples, "held_out": held_out}),
        preset,
        [examples, held_out],
        api_visibility="private",
    )
    work = model_work(catalog)
    upload.upload(wire(load_csv, context, {"examples": examples}), upload, examples, api_visibility="private", **work)
    tried = {"answer": answer, "attention": attention}
    gr.on(
        [try_it.click, text.submit],
        wire(try_view, context, tried),
        [key, text],
        list(tried.values()),
        api_visibility="private",
        **work,
    )
    maps = {"before": before, "after": after}
    show_vectors.click(
        wire(vectors_view, context, maps), [key, tuned], list(maps.values()), api_visibility="private", **work
    )
    download_handler = wire(download_view, context, {"download": downloaded})
    download.click(download_handler, key, downloaded, api_visibility="private", **work)
    return TabParts(
        notice,
        TASKS,
        text,
        wire(try_view, context, tried),
        [key, text],
        list(tried.values()),
        on_unload=forgetting(context),
    )
