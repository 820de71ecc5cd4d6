"""The attention tab: bertviz head and model views, heatmaps of a head, the head mean and rollout, a head overview."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np

from roberta_demo.backend import Backend, is_local_checkpoint
from roberta_demo.config import Limits, Settings
from roberta_demo.tasks import attention
from roberta_demo.ui.common import (
    TabParts,
    announce_loading,
    examples,
    friendly_errors,
    missing_notice,
    on_gpu,
    run_note,
)
from roberta_demo.viz.attention import (
    HEAD_STATISTICS,
    VENDOR_DIR,
    attention_heatmap,
    bertviz_document,
    bertviz_iframe,
    head_overview_chart,
    model_view_bytes,
)

__all__ = ["TASKS", "attend", "build", "render"]

TASKS = ["attention"]
VIEWS = {"Head view (one layer)": "head", "Model view (every layer and head)": "model"}
DEFAULT_VIEW = next(iter(VIEWS))
METRICS = {label: key for key, label in HEAD_STATISTICS.items()}
DEFAULT_METRIC = HEAD_STATISTICS["entropy"]
# The frame loads d3 and jQuery from the app itself, relative to the page, so browsers cache them once.
SCRIPT_BASE = f"gradio_api/file={VENDOR_DIR.as_posix()}/"
EXAMPLES = [
    ["The animal didn't cross the street because it was too tired.", ""],
    ["The cat sat on the mat.", "The dog lay on the rug."],
    ["RoBERTa reads the whole sentence at once, so every word can look at every other word.", ""],
]


def _frame_height(view: attention.AttentionView, kind: str) -> int:
    if kind == "model":
        return int(min(2400, 160 + 95 * view.num_layers))
    return int(min(2600, 140 + 23 * len(view.tokens)))


def _data(view: attention.AttentionView, layer: int, head: int) -> dict:
    """The selected head as plain data, for API users."""
    return {
        "checkpoint": view.run.checkpoint,
        "tokens": view.tokens,
        "pair_start": view.pair_start,
        "num_layers": view.num_layers,
        "num_heads": view.num_heads,
        "layer": layer,
        "head": head,
        "matrix": np.round(view.weights[layer, head], 3).tolist(),
        "truncated": view.run.truncation is not None,
    }


def render(view: attention.AttentionView | None, layer: int = 0, head: int = 0, kind_label: str = DEFAULT_VIEW,
           metric_label: str = DEFAULT_METRIC) -> tuple:  # fmt: skip
    """Every output of the tab for a computed view; no model call, so moving a slider is instant."""
    if view is None:
        return (gr.skip(),) * 6
    layer, head = min(int(layer), view.num_layers - 1), min(int(head), view.num_heads - 1)
    kind = VIEWS.get(kind_label, "head")
    tokens, start = view.tokens, view.pair_start
    document = bertviz_document(view, kind, layer, script_base=SCRIPT_BASE)
    statistics = attention.head_statistics(view)[METRICS.get(metric_label, "entropy")]
    return (
        bertviz_iframe(document, _frame_height(view, kind)),
        attention_heatmap(view.weights[layer, head], tokens, f"Layer {layer}, head {head}", start),
        attention_heatmap(view.head_mean()[layer], tokens, f"Layer {layer}, mean over {view.num_heads} heads", start),
        attention_heatmap(view.rollout[layer], tokens, f"Attention rollout, layers 0–{layer}", start),
        head_overview_chart(statistics, METRICS.get(metric_label, "entropy"), (layer, head)),
        _data(view, layer, head),
    )


def attend(
    backend: Backend,
    text: str,
    text_pair: str = "",
    checkpoint: str = "",
    layer: int = 0,
    head: int = 0,
    hide_special: bool = False,
    merge_words: bool = False,
    kind_label: str = DEFAULT_VIEW,
    metric_label: str = DEFAULT_METRIC,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
    *,
    limits: Limits = Limits(),
) -> tuple:
    announce_loading(backend, "attention", checkpoint, progress)
    view = attention.inspect(backend, text, text_pair, checkpoint or None, hide_special, merge_words, limits)
    note = run_note(view.run) + f" {len(view.tokens)} tokens, {view.num_layers} layers × {view.num_heads} heads."
    if (size := model_view_bytes(view)) > 1_000_000:
        note += (f"\n\nThe model view of this input is {size / 1e6:.1f} MB of attention data (it holds every head of "
                 "every layer); the head view sends one layer at a time.")  # fmt: skip
    sliders = (gr.update(maximum=view.num_layers - 1), gr.update(maximum=view.num_heads - 1))
    return (*render(view, layer, head, kind_label, metric_label), note, view, *sliders)


def export_html(view: attention.AttentionView | None, layer: int, kind_label: str) -> dict:
    """A standalone bertviz page (libraries inlined) to open offline or put in a slide deck."""
    if view is None:
        raise gr.Error("Run the attention view first, then export it.")
    kind = VIEWS.get(kind_label, "head")
    document = bertviz_document(view, kind, min(int(layer), view.num_layers - 1), script_base=None)
    with tempfile.NamedTemporaryFile("w", suffix=f"-{kind}-view.html", prefix="bertviz-", delete=False,
                                     encoding="utf-8") as out:  # fmt: skip
        out.write(document)
    return gr.update(value=out.name, visible=True)


def _choice_label(backend: Backend, checkpoint: str) -> str:
    tasks = [task for task, models in backend.profile.tasks.items() if checkpoint in models.checkpoints]
    name = Path(checkpoint).name if is_local_checkpoint(checkpoint) else checkpoint
    return f"{name} ({', '.join(tasks)})"


def build(backend: Backend, settings: Settings) -> TabParts:
    """The tab's components and events."""
    gr.set_static_paths([VENDOR_DIR])
    notice = gr.Markdown(missing_notice(backend, TASKS))
    choices = [(_choice_label(backend, c), c) for c in backend.profile.checkpoints()]
    with gr.Row():
        with gr.Column(scale=4):
            text = gr.Textbox(label="Text", lines=3, placeholder="A sentence to look inside…", elem_id="attention-text")
            text_pair = gr.Textbox(label="Second sentence (optional)", lines=2, value="",
                                   info="Shown as a pair, joined by RoBERTa's </s></s> separator.")
            checkpoint = gr.Dropdown(choices, value=backend.checkpoint_for("attention"), label="Model to inspect")
            with gr.Row():
                hide_special = gr.Checkbox(label="Hide <s> and </s>", value=False)
                merge_words = gr.Checkbox(label="Merge word pieces into words", value=False)
            run = gr.Button("Show attention", variant="primary", elem_id="attention-run")
            max_tokens = settings.limits.max_attention_tokens
            gr.Markdown(f"Inputs longer than **{max_tokens} tokens** are cut, so the views stay readable and fast.")
        with gr.Column(scale=3):
            layer = gr.Slider(0, 11, value=0, step=1, label="Layer")
            head = gr.Slider(0, 11, value=0, step=1, label="Head")
            kind = gr.Radio(list(VIEWS), value=DEFAULT_VIEW, label="bertviz view")
            metric = gr.Radio(list(METRICS), value=DEFAULT_METRIC, label="Head overview shows")
            info = gr.Markdown(label="details")
    examples_row = gr.Column()
    frame = gr.HTML(label="bertviz")
    with gr.Row():
        export = gr.Button("Download this bertviz view as a standalone HTML file", size="sm")
        exported = gr.File(label="Standalone HTML", visible=False)
    with gr.Row():
        single = gr.Plot(label="Selected head")
        overview = gr.Plot(label="Head overview")
    with gr.Row():
        mean = gr.Plot(label="Mean over heads")
        rollout = gr.Plot(label="Attention rollout")
    data = gr.JSON(label="Selected head as data", visible=False)
    state = gr.State()
    views = [frame, single, mean, rollout, overview, data]
    handler = friendly_errors(on_gpu(functools.partial(attend, backend, limits=settings.limits)))
    inputs = [text, text_pair, checkpoint, layer, head, hide_special, merge_words, kind, metric]
    outputs = [*views, info, state, layer, head]
    with examples_row:
        examples(EXAMPLES, [text, text_pair], handler, outputs)
    gr.on([run.click, text.submit, text_pair.submit], handler, inputs, outputs, api_name="attention")
    def rerun(view: attention.AttentionView | None, *values: object) -> tuple:
        return handler(*values) if view is not None else (gr.skip(),) * 10

    gr.on([hide_special.change, merge_words.change], friendly_errors(rerun), [state, *inputs],
          [*views, info, state, layer, head], api_visibility="private")  # fmt: skip
    redraw = friendly_errors(render)
    gr.on([layer.release, head.release, kind.change, metric.change], redraw, [state, layer, head, kind, metric],
          views, api_visibility="private")  # fmt: skip
    export.click(friendly_errors(export_html), [state, layer, kind], exported, api_visibility="private")
    return TabParts(notice, TASKS, text, handler, inputs, outputs)
