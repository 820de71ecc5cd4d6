"""The attention tab: bertviz's head view and an every-head model view, heatmaps of a head, the head mean and
rollout, a head overview, and the attention formula computed step by step.

Laid out for a projector: a compact row of inputs, the views right under it, the examples last.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import gradio as gr
from gradio.blocks import Block

from roberta_demo.catalog import Catalog
from roberta_demo.errors import InputError
from roberta_demo.messages import say, speak
from roberta_demo.results import AttentionView, FormulaCapture
from roberta_demo.tasks import attention, formula
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.encoding import mask_word, maskable_words
from roberta_demo.ui import params
from roberta_demo.ui.common import LATEX, TabParts, examples, model_work, reporting, run_note, wire
from roberta_demo.ui.files import FILES
from roberta_demo.ui.i18n import _
from roberta_demo.viz.attention import (
    HEAD_STATISTICS,
    VENDOR_DIR,
    View,
    attention_figures,
    model_view_bytes,
    standalone_document,
)
from roberta_demo.viz.formula import formula_markdown, output_chart, score_bars, vector_strips

__all__ = ["TASKS", "attend", "build", "formula_capture", "formula_step", "redraw"]

TASKS = ["attention"]
VIEWS: dict[str, View] = {"Head view (one layer)": "head", "Model view (every layer and head)": "model"}
DEFAULT_VIEW = next(iter(VIEWS))
METRICS = {label.template: key for key, label in HEAD_STATISTICS.items()}  # the radio's values: the English
DEFAULT_METRIC = HEAD_STATISTICS["entropy"].template
NO_MASK = -1
PANELS = ("bertviz", "Heatmaps", "The formula, step by step")
FORMULA_PANEL = PANELS[2]
# The inputs of a run, in the API's order; and those the formula needs.
INPUTS = [
    "text",
    "text_pair",
    "checkpoint",
    "layer",
    "head",
    "hide_special",
    "merge_words",
    "kind",
    "metric",
    "masked_word",
]
CAPTURE_INPUTS = ["text", "text_pair", "checkpoint", "layer", "head", "masked_word", "query"]
# The frame loads d3 and jQuery from the app itself, relative to the page, so browsers cache them once.
SCRIPT_BASE = f"gradio_api/file={VENDOR_DIR.as_posix()}/"
EXAMPLES = {
    "en": [
        ["The animal didn't cross the street because it was too tired.", ""],
        ["The cat sat on the mat.", "The dog lay on the rug."],
        ["RoBERTa reads the whole sentence at once, so every word can look at every other word.", ""],
    ],
    "zh": [
        ["小明没有去上学，因为他生病了。", ""],
        ["今天天气很好。", "我们去公园散步吧。"],
        ["RoBERTa 一次读完整个句子，每个字都能看到其他所有的字。", ""],
    ],
}
FORMULA_INTRO = (
    "Pick a layer and a head above, and a query token here: the numbers below are the query and key vectors that "
    "head really computed for this text (captured from the model as it ran), then the formula applied to them step "
    "by step."
)


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
    shape = speak(
        "{tokens} tokens, {layers} layers × {heads} heads.",
        tokens=len(view.tokens),
        layers=view.num_layers,
        heads=view.num_heads,
    )
    note = f"{run_note(view.run)} {shape}"
    if (size := model_view_bytes(view)) > 1_000_000:
        heavy = speak(
            "The model view of this input is {size} MB of attention data (it holds every head of every layer); the "
            "head view sends one layer at a time.",
            size=f"{size / 1e6:.1f}",
        )
        note += f"\n\n{heavy}"
    return note


def _masked(text: str, index: int | None) -> str | None:
    """The text with its word number `index` masked, or None for no mask."""
    number = params.whole(NO_MASK, optional=True)("masked_word", index)  # any number, by the API: checked here
    spans = maskable_words(text)
    return mask_word(text, spans[number]) if number is not None and 0 <= number < len(spans) else None


def _fill_mask_link(masked: str) -> str:
    query = urlencode({"tab": "fill-mask", "text": masked})
    link = speak(
        "The model sees a mask where the word was. [What does it guess there? Open it in Fill-mask →](?{query})",
        query=query,
    )
    return f"\n\n{link}"


def mask_choices(text: str) -> dict[str, Any]:
    """The words of the text, to pick one to mask; no model call."""
    words = [
        (f"{number}. {(text or '')[start:end]}", number - 1)
        for number, (start, end) in enumerate(maskable_words(text or ""), start=1)
    ]
    return {"masked_word": gr.update(choices=[("none", NO_MASK), *words], value=NO_MASK)}


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


def rerun(context: TaskContext, view: AttentionView | None, *values: Any) -> dict[str, Any]:
    """Run again with a changed option, once there is something on screen to change."""
    return attend(context, *values) if view is not None else {}


def formula_step(captured: FormulaCapture | None, head: int, query: int | None) -> dict[str, Any]:
    """The formula for one head and query token, from what was captured; no model call."""
    if captured is None:
        return {}
    head = min(int(head), captured.num_heads - 1)
    query = int(query) if query is not None and 0 <= int(query) < len(captured.tokens) else _first_word(captured)
    step = formula.step(captured, head, query)
    return {
        "formula_text": formula_markdown(captured, step),
        "strips": vector_strips(step, captured.tokens),
        "bars": score_bars(step, captured.tokens),
        "output": output_chart(step, captured.tokens),
    }


def _first_word(captured: FormulaCapture) -> int:
    return next((index for index, special in enumerate(captured.special) if not special), 0)


def formula_capture(
    context: TaskContext,
    text: str,
    text_pair: str = "",
    checkpoint: str = "",
    layer: int = 0,
    head: int = 0,
    masked_word: int = NO_MASK,
    query: int | None = None,
    panel: str = FORMULA_PANEL,
) -> dict[str, Any]:
    """Capture the chosen layer's q, k and v for the text (one forward pass), and show the formula; only while the
    formula's panel is shown (the pass would otherwise compete with the browser drawing the other views)."""
    if panel != FORMULA_PANEL or not (text or "").strip():
        return {}
    masked = _masked(text or "", masked_word)
    captured = formula.capture(context, masked or text, text_pair, checkpoint or None, int(layer), bool(masked))
    choices = [(f"{index}: {token}", index) for index, token in enumerate(captured.tokens)]
    keep = query if query is not None and 0 <= int(query) < len(captured.tokens) else _first_word(captured)
    return {
        **formula_step(captured, head, keep),
        "captured": captured,
        "query": gr.update(choices=choices, value=keep),
    }


def attend_and_capture(
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
    panel: str = "",
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """Every view, and the formula if its panel is shown: what a deep link runs (`?tab=attention&view=…`)."""
    views = attend(
        context,
        text,
        text_pair,
        checkpoint,
        layer,
        head,
        hide_special,
        merge_words,
        kind_label,
        metric_label,
        masked_word,
        progress,
    )
    return views | formula_capture(context, text, text_pair, checkpoint, layer, head, masked_word, None, panel)


def export_html(
    view: AttentionView | None, layer: int, kind_label: str, request: gr.Request | None = None
) -> dict[str, Any]:
    """A standalone page of the view (libraries inlined) to open offline or put in a slide deck."""
    if view is None:
        raise InputError(say("Run the attention view first, then export it."))
    kind = VIEWS.get(kind_label, "head")
    document = standalone_document(view, kind, min(int(layer), view.num_layers - 1))
    page = FILES.folder(request) / f"attention-{kind}-view.html"
    page.write_text(document, encoding="utf-8")
    return {"exported": gr.update(value=str(page), visible=True)}


def _inputs(catalog: Catalog) -> dict[str, Any]:
    """The compact rows of inputs and options at the top of the tab."""
    # The checkpoint's name alone: with its tasks too it no longer fits the box at a projector's width.
    choices = catalog.checkpoints("attention")
    with gr.Row(equal_height=True):
        text = gr.Textbox(
            label=_("Text"), lines=2, placeholder=_("A sentence to look inside…"), elem_id="attention-text", scale=5
        )
        text_pair = gr.Textbox(
            label=_("Second sentence (optional)"), lines=2, value="", info=_("Joined by </s></s>, as a pair."), scale=3
        )
        with gr.Column(scale=2, min_width=300):
            checkpoint = gr.Dropdown(choices, value=catalog.default("attention"), label=_("Model to inspect"))
            run = gr.Button(_("Show attention"), variant="primary", elem_id="attention-run")
    # The default model's own shape where its config is on disk (a run sets it for the model that ran).
    layers, heads = catalog.layers_and_heads(catalog.default("attention")) or (12, 12)
    with gr.Row(equal_height=True):
        layer = gr.Slider(0, layers - 1, value=0, step=1, label=_("Layer"), scale=2, elem_id="attention-layer")
        head = gr.Slider(0, heads - 1, value=0, step=1, label=_("Head"), scale=2)
        masked_word = gr.Dropdown(
            [("none", NO_MASK)],
            value=NO_MASK,
            label=_("Mask a word"),
            info=_("Where the model looks when it must guess it."),
            allow_custom_value=True,  # the choices follow the text; the API may name any word by number
            scale=2,
        )
        with gr.Column(scale=1, min_width=180):
            hide_special = gr.Checkbox(label=_("Hide <s> and </s>"), value=False)
            merge_words = gr.Checkbox(label=_("Merge word pieces"), value=False)
    return {
        "text": text,
        "text_pair": text_pair,
        "checkpoint": checkpoint,
        "run": run,
        "layer": layer,
        "head": head,
        "masked_word": masked_word,
        "hide_special": hide_special,
        "merge_words": merge_words,
    }


def _views(max_tokens: int) -> dict[str, Any]:
    """The views right under the inputs, one at a time: bertviz, the heatmaps, or the formula.

    A radio button and panels rather than nested tabs: a deep link can pick the view from the server (Gradio cannot
    yet select a nested tab that has not been drawn).
    """
    choice = gr.Radio([(_(p), p) for p in PANELS], value=next(iter(PANELS)), show_label=False, elem_id="attention-view")
    with gr.Column(visible=True) as bertviz_panel:
        kind = gr.Radio([(_(v), v) for v in VIEWS], value=DEFAULT_VIEW, show_label=False, container=False)
        frame = gr.HTML(label=_("bertviz"))
        with gr.Row():
            export = gr.Button(_("Download this view as a standalone HTML file"), size="sm")
            exported = gr.File(label=_("Standalone HTML"), visible=False)
        gr.Markdown(
            _("Inputs longer than **{tokens} tokens** are cut, so the views stay readable and fast.", tokens=max_tokens)
        )
    with gr.Column(visible=False) as heatmaps_panel:
        with gr.Row():
            single = gr.Plot(label=_("Selected head"), show_label=False)
            overview = gr.Plot(label=_("Head overview"), show_label=False)
        metric = gr.Radio([(_(m), m) for m in METRICS], value=DEFAULT_METRIC, label=_("Head overview shows"))
        with gr.Row():
            mean = gr.Plot(label=_("Mean over heads"), show_label=False)
            rollout = gr.Plot(label=_("Attention rollout"), show_label=False)
    with gr.Column(visible=False) as formula_panel:
        gr.Markdown(_(FORMULA_INTRO))
        with gr.Row(equal_height=True):
            formula_text = gr.Markdown(elem_id="formula-text", latex_delimiters=LATEX)
            query = gr.Dropdown([], label=_("Query token"), allow_custom_value=True, elem_id="formula-query")
        bars = gr.Plot(label=_("q·k, scaled, softmax"), elem_id="formula-bars", show_label=False)
        with gr.Row():
            strips = gr.Plot(label=_("q and k"), show_label=False)
            output = gr.Plot(label=_("The output"), show_label=False)
    panels = dict(zip(PANELS, (bertviz_panel, heatmaps_panel, formula_panel), strict=True))
    choice.change(
        wire(show_panel, None, panels),
        choice,
        list(panels.values()),
        api_visibility="private",
        show_progress="hidden",
    )
    return {
        "choice": choice,
        "kind": kind,
        "frame": frame,
        "export": export,
        "exported": exported,
        "single": single,
        "overview": overview,
        "metric": metric,
        "mean": mean,
        "rollout": rollout,
        "formula_text": formula_text,
        "query": query,
        "bars": bars,
        "strips": strips,
        "output": output,
    }


def show_panel(choice: str) -> dict[str, Any]:
    """The chosen view's panel, the others hidden."""
    return {label: gr.update(visible=label == choice) for label in PANELS}


def _deep_views(parts: dict[str, Any]) -> dict[str, dict[Block, Any]]:
    """What `?tab=attention&view=…` opens: the head or model view, the heatmaps, or the formula."""
    choice, kind = parts["choice"], parts["kind"]
    bertviz, heatmaps, formula_panel = PANELS
    return {
        "head": {choice: bertviz, kind: DEFAULT_VIEW},
        "model": {choice: bertviz, kind: next(label for label, view in VIEWS.items() if view == "model")},
        "heatmaps": {choice: heatmaps},
        "formula": {choice: formula_panel},
    }


def _wire_views(parts: dict[str, Any], context: TaskContext, outputs: dict[str, Any], work: dict[str, Any]) -> None:
    """Options and sliders: options run the model again, sliders and radios only redraw. `work`: the listener
    arguments of model work (`ui.common.model_work`)."""
    views = {name: outputs[name] for name in ("frame", "single", "mean", "rollout", "overview", "data")}
    inputs = [parts[name] for name in INPUTS]
    options = [parts["hide_special"].change, parts["merge_words"].change, parts["masked_word"].input]
    rerun_handler = wire(rerun, context, outputs)
    rerun_inputs = [outputs["state"], *inputs]
    reran = gr.on(options, rerun_handler, rerun_inputs, list(outputs.values()), api_visibility="private", **work)
    _then_formula(reran, parts, context, work)
    redrawn = wire(redraw, None, views)
    redraw_inputs = [outputs["state"], parts["layer"], parts["head"], parts["kind"], parts["metric"]]
    redraws = [parts["head"].release, parts["kind"].change, parts["metric"].change]
    gr.on(redraws, redrawn, redraw_inputs, list(views.values()), api_visibility="private")
    moved = parts["layer"].release(redrawn, redraw_inputs, list(views.values()), api_visibility="private")
    _then_formula(moved, parts, context, work)
    parts["choice"].change(**_capture_event(parts, context, work), api_visibility="private")


def _formula_outputs(parts: dict[str, Any]) -> dict[str, Any]:
    return {name: parts[name] for name in ("formula_text", "strips", "bars", "output", "captured", "query")}


def _capture_event(parts: dict[str, Any], context: TaskContext, work: dict[str, Any]) -> dict[str, Any]:
    """The formula's capture as event arguments: handler, inputs, outputs, and those of model work."""
    outputs = _formula_outputs(parts)
    inputs = [parts[name] for name in (*CAPTURE_INPUTS, "choice")]
    fn = wire(formula_capture, context, outputs)
    return {"fn": fn, "inputs": inputs, "outputs": list(outputs.values()), **work}


def _then_formula(event: Any, parts: dict[str, Any], context: TaskContext, work: dict[str, Any]) -> None:
    """After `event`, the formula for what is on screen, if its panel is shown."""
    event.then(**_capture_event(parts, context, work), api_visibility="private")


def _wire_formula(parts: dict[str, Any]) -> None:
    """Another head or query token: the formula again from what was captured, no model call."""
    outputs = {name: parts[name] for name in ("formula_text", "strips", "bars", "output")}
    inputs = [parts["captured"], parts["head"], parts["query"]]
    triggers = [parts["head"].release, parts["query"].input]
    gr.on(triggers, wire(formula_step, None, outputs), inputs, list(outputs.values()), api_visibility="private")


def _wire_text(parts: dict[str, Any], outputs: dict[str, Any]) -> None:
    """The words to mask follow the text; the export writes what is on screen."""
    text, masked_word, exported = parts["text"], parts["masked_word"], parts["exported"]
    choices = wire(mask_choices, None, {"masked_word": masked_word})
    text.change(choices, text, masked_word, api_visibility="private", show_progress="hidden")
    export = wire(export_html, None, {"exported": exported})
    state_layer_kind = [outputs["state"], parts["layer"], parts["kind"]]
    parts["export"].click(export, state_layer_kind, exported, api_visibility="private")


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    gr.set_static_paths([VENDOR_DIR])
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    parts = _inputs(catalog)
    info = gr.Markdown(elem_id="attention-info")
    parts |= _views(context.limits.max_attention_tokens) | {"captured": gr.State()}
    views = {name: parts[name] for name in ("frame", "single", "mean", "rollout", "overview")}
    views["data"] = gr.JSON(label=_("Selected head as data"), visible=False)
    outputs = {**views, "info": info, "state": gr.State(), "layer": parts["layer"], "head": parts["head"]}
    inputs = [parts[name] for name in INPUTS]
    handler, work = wire(attend, context, outputs), model_work(catalog)
    triggers = [parts["run"].click, parts["text"].submit, parts["text_pair"].submit]
    _then_formula(
        gr.on(
            triggers,
            handler,
            inputs,
            list(outputs.values()),
            api_name="attention_page",
            api_visibility="undocumented",
            **work,
        ),
        parts,
        context,
        work,
    )
    _wire_views(parts, context, outputs, work)
    _wire_formula(parts)
    _wire_text(parts, outputs)
    with gr.Column():
        examples(EXAMPLES[catalog.language], [parts["text"], parts["text_pair"]], handler, list(outputs.values()))
    linked = {**outputs, **_formula_outputs(parts)}
    everything = wire(attend_and_capture, context, linked)
    deep_inputs = [*inputs, parts["choice"]]
    return TabParts(notice, TASKS, parts["text"], everything, deep_inputs, list(linked.values()), _deep_views(parts))
