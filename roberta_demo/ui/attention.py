"""The attention tab: bertviz head and model views, heatmaps of a head, the head mean and rollout, a head overview."""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.results import AttentionView
from roberta_demo.tasks import attention
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.encoding import mask_word, maskable_words
from roberta_demo.ui.common import TabParts, examples, reporting, run_note, wire
from roberta_demo.viz.attention import (
    HEAD_STATISTICS,
    VENDOR_DIR,
    View,
    attention_figures,
    bertviz_document,
    model_view_bytes,
)

__all__ = ["TASKS", "attend", "build", "redraw"]

TASKS = ["attention"]
VIEWS: dict[str, View] = {"Head view (one layer)": "head", "Model view (every layer and head)": "model"}
DEFAULT_VIEW = next(iter(VIEWS))
METRICS = {label: key for key, label in HEAD_STATISTICS.items()}
DEFAULT_METRIC = HEAD_STATISTICS["entropy"]
NO_MASK = -1
# The frame loads d3 and jQuery from the app itself, relative to the page, so browsers cache them once.
SCRIPT_BASE = f"gradio_api/file={VENDOR_DIR.as_posix()}/"
EXAMPLES = [
    ["The animal didn't cross the street because it was too tired.", ""],
    ["The cat sat on the mat.", "The dog lay on the rug."],
    ["RoBERTa reads the whole sentence at once, so every word can look at every other word.", ""],
]


def redraw(
    view: AttentionView | None,
    layer: int = 0,
    head: int = 0,
    kind_label: str = DEFAULT_VIEW,
    metric_label: str = DEFAULT_METRIC,
) -> dict[str, Any]:
    """Every view of a computed input; no model call, so moving a slider is instant."""
    if view is None:
        return {}
    kind, metric = VIEWS.get(kind_label, "head"), METRICS.get(metric_label, "entropy")
    figures = attention_figures(view, layer, head, kind, metric, SCRIPT_BASE)
    return {
        "frame": figures.frame,
        "single": figures.head,
        "mean": figures.mean,
        "rollout": figures.rollout,
        "overview": figures.overview,
        "data": figures.data,
    }


def _note(view: AttentionView) -> str:
    note = run_note(view.run) + f" {len(view.tokens)} tokens, {view.num_layers} layers × {view.num_heads} heads."
    if (size := model_view_bytes(view)) > 1_000_000:
        note += (
            f"\n\nThe model view of this input is {size / 1e6:.1f} MB of attention data (it holds every head of "
            "every layer); the head view sends one layer at a time."
        )
    return note


def attend(
    context: TaskContext,
    text: str,
    text_pair: str = "",
    checkpoint: str = "",
    layer: int = 0,
    head: int = 0,
    hide_special: bool = False,
    merge_words: bool = False,
    kind_label: str = DEFAULT_VIEW,
    metric_label: str = DEFAULT_METRIC,
    masked_word: int = NO_MASK,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    context = reporting(context, progress)
    masked = _masked(text or "", masked_word)
    view = attention.inspect(
        context, masked or text, text_pair, checkpoint or None, hide_special, merge_words, read_masks=bool(masked)
    )
    return {
        **redraw(view, layer, head, kind_label, metric_label),
        "info": _note(view) + (_fill_mask_link(masked) if masked else ""),
        "state": view,
        "layer": gr.update(maximum=view.num_layers - 1),
        "head": gr.update(maximum=view.num_heads - 1),
    }


def _masked(text: str, index: int | None) -> str | None:
    """The text with its word number `index` masked, or None for no mask."""
    spans = maskable_words(text)
    return mask_word(text, spans[int(index)]) if index is not None and 0 <= int(index) < len(spans) else None


def _fill_mask_link(masked: str) -> str:
    query = urlencode({"tab": "fill-mask", "text": masked})
    return f"\n\nThe model sees a mask where the word was. [What does it guess there? Open it in Fill-mask →](?{query})"


def mask_choices(text: str) -> dict[str, Any]:
    """The words of the text, to pick one to mask; no model call."""
    words = [
        (f"{number}. {(text or '')[start:end]}", number - 1)
        for number, (start, end) in enumerate(maskable_words(text or ""), start=1)
    ]
    return {"masked_word": gr.update(choices=[("none", NO_MASK), *words], value=NO_MASK)}


def rerun(context: TaskContext, view: AttentionView | None, *values: Any) -> dict[str, Any]:
    """Run again with a changed option, once there is something on screen to change."""
    return attend(context, *values) if view is not None else {}


def export_html(view: AttentionView | None, layer: int, kind_label: str) -> dict[str, Any]:
    """A standalone bertviz page (libraries inlined) to open offline or put in a slide deck."""
    if view is None:
        raise gr.Error("Run the attention view first, then export it.")
    kind = VIEWS.get(kind_label, "head")
    document = bertviz_document(view, kind, min(int(layer), view.num_layers - 1), script_base=None)
    with tempfile.NamedTemporaryFile(
        "w", suffix=f"-{kind}-view.html", prefix="bertviz-", delete=False, encoding="utf-8"
    ) as out:
        out.write(document)
    return {"exported": gr.update(value=out.name, visible=True)}


def _choice_label(catalog: Catalog, checkpoint: str) -> str:
    return f"{catalog.display_name(checkpoint)} ({', '.join(catalog.tasks_of(checkpoint))})"


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    gr.set_static_paths([VENDOR_DIR])
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    choices = [(_choice_label(catalog, c), c) for c in catalog.checkpoints("attention")]
    with gr.Row():
        with gr.Column(scale=4):
            text = gr.Textbox(label="Text", lines=3, placeholder="A sentence to look inside…", elem_id="attention-text")
            text_pair = gr.Textbox(
                label="Second sentence (optional)",
                lines=2,
                value="",
                info="Shown as a pair, joined by RoBERTa's </s></s> separator.",
            )
            checkpoint = gr.Dropdown(choices, value=catalog.default("attention"), label="Model to inspect")
            masked_word = gr.Dropdown(
                [("none", NO_MASK)],
                value=NO_MASK,
                label="Mask a word",
                allow_custom_value=True,  # the choices follow the text; the API may name any word by number
                info="See where the model looks when it has to guess that word (RoBERTa's pre-training task).",
            )
            with gr.Row():
                hide_special = gr.Checkbox(label="Hide <s> and </s>", value=False)
                merge_words = gr.Checkbox(label="Merge word pieces into words", value=False)
            run = gr.Button("Show attention", variant="primary", elem_id="attention-run")
            max_tokens = context.limits.max_attention_tokens
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
    views = {
        "frame": frame,
        "single": single,
        "mean": mean,
        "rollout": rollout,
        "overview": overview,
        "data": gr.JSON(label="Selected head as data", visible=False),
    }
    state = gr.State()
    outputs = {**views, "info": info, "state": state, "layer": layer, "head": head}
    inputs = [text, text_pair, checkpoint, layer, head, hide_special, merge_words, kind, metric, masked_word]
    handler = wire(attend, context, outputs)
    with examples_row:
        examples(EXAMPLES, [text, text_pair], handler, list(outputs.values()))
    gr.on([run.click, text.submit, text_pair.submit], handler, inputs, list(outputs.values()), api_name="attention")
    gr.on(
        [hide_special.change, merge_words.change, masked_word.input],
        wire(rerun, context, outputs),
        [state, *inputs],
        list(outputs.values()),
        api_visibility="private",
    )
    gr.on(
        [layer.release, head.release, kind.change, metric.change],
        wire(redraw, None, views),
        [state, layer, head, kind, metric],
        list(views.values()),
        api_visibility="private",
    )
    text.change(
        wire(mask_choices, None, {"masked_word": masked_word}),
        text,
        masked_word,
        api_visibility="private",
        show_progress="hidden",
    )
    export.click(
        wire(export_html, None, {"exported": exported}), [state, layer, kind], exported, api_visibility="private"
    )
    return TabParts(notice, TASKS, text, handler, inputs, list(outputs.values()))
