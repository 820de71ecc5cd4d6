"""The pre-training tab: RoBERTa's first stage, on the presenter's own text. Masking as pre-training does it (dynamic
beside BERT's static), with the loss token by token; then a few steps of continued pre-training, live."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.messages import render, speak
from roberta_demo.results import Pretrained
from roberta_demo.tasks import masking, pretrain
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.finetune import UNTRAINED_LEARNING_RATE, Recipe
from roberta_demo.ui.common import (
    FINE_TUNE_WORK,
    TabParts,
    code_view,
    data_table,
    fine_tune_seconds,
    model_work,
    reporting,
    run_note,
    table,
    table_headers,
    wire,
)
from roberta_demo.ui.finetune import stop_view
from roberta_demo.ui.i18n import _
from roberta_demo.viz.pretrain import (
    KIND_COLOURS,
    KIND_NAMES,
    fill_rows,
    given_text,
    masking_grid,
    masking_note,
    masking_rows,
    pretrain_chart,
    pretrain_note,
)

__all__ = ["KIND_HIGHLIGHTS", "TASKS", "build"]

TASKS = ["fill_mask"]
MASKED_HEADERS = ["epoch", "token", "given", "kind", "first choice", "probability", "loss"]
FILL_HEADERS = ["context", "word", "before", "p before", "after", "p after"]
# Each kind's colour under its name in either language (each page names them in its own).
KIND_HIGHLIGHTS = {
    render(KIND_NAMES[kind], language): colour for kind, colour in KIND_COLOURS.items() for language in ("en", "zh")
}
DYNAMIC, STATIC = "Dynamic (RoBERTa): a new masking every epoch", "Static (BERT): one masking, reused"
MASKING_EXAMPLES = {
    "en": masking.EXAMPLE,
    "zh": (
        "RoBERTa 通过做完形填空来学习语言。预训练时，每句话都有一些词被遮住，模型要根据两边的词猜出每一个被遮住的词。"
    ),
}
CORPUS_EXAMPLES = {
    "en": pretrain.EXAMPLE,
    "zh": (
        "患者因急性呼吸困难入院，听诊可闻及双肺湿啰音。胸片显示肺水肿，超声心动图提示射血分数降低。给予静脉利尿剂后，"
        "呼吸困难在数小时内缓解。肌钙蛋白轻度升高，已安排冠状动脉造影。第三天患者静息时呼吸平稳，湿啰音消失，改为口服"
        "利尿剂。诊断为射血分数降低的心力衰竭，出院时给予β受体阻滞剂、血管紧张素转换酶抑制剂和利尿剂，三个月后复查超声"
        "心动图。出院时胸片未见残留水肿。"
    ),
}
INTRO = (
    "RoBERTa learned the language before it learned any task: **pre-training** hides about 15 % of the tokens of "
    "every sequence and trains the model to restore them. Of the chosen tokens, 80 % become `<mask>`, 10 % a random "
    "token and 10 % stay as they are. BERT masked each sequence once and reused that copy every epoch; RoBERTa masks "
    "it anew every time (*dynamic masking*). Below, mask your own text as each would, and see the loss the model "
    "gets on every chosen token; then continue pre-training on a text of your field and watch it adapt."
)
CORPUS_INTRO = (
    "**Continued pre-training** (domain adaptation): a copy of the base model keeps pre-training on your text, a "
    "paragraph to a few thousand words. The last fifth is held out: if the loss falls there too, the model learned "
    "the field's language, not just your sentences. The shared base model is not touched."
)


def mask_view(context: TaskContext, text: str, mode: str, epochs: float, seed: float) -> dict[str, Any]:
    """The text masked for each epoch, drawn as a grid; the last epoch's input as the model sees it; every chosen
    token with its loss."""
    result = masking.mask(context, text, int(epochs), mode != STATIC, int(seed))
    last = result.draws[-1]
    return {
        "given": given_text(result, last),
        "grid": masking_grid(result),
        "chosen": table(MASKED_HEADERS, masking_rows(result)),
        "mask_status": masking_note(result) + "\n\n" + run_note(result.run),
    }


def next_epoch(epochs: float) -> float:
    """One epoch more (up to the most the tab draws), for "Another epoch"."""
    return min(masking.MAX_EPOCHS, int(epochs) + 1)


def _train_seconds(_context: Any, _text: Any, steps: Any, *_rest: Any, **_named: Any) -> int:
    return fine_tune_seconds(steps)


def pretrain_view(
    context: TaskContext,
    text: str,
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
    """Continue pre-training, streaming the loss after every step; the model is held for this page's session."""
    context = reporting(context, progress)
    recipe = Recipe(
        int(steps), float(learning_rate), int(batch_size), int(max_tokens), int(seed), bool(top_layers_only)
    )
    stop = threading.Event()
    yield {"stop_switch": stop, "status": speak("Starting…"), "fills": table(FILL_HEADERS, [])}
    for update in pretrain.pretrain(context, text, recipe, checkpoint or None, stop, owner=request.session_hash):
        if isinstance(update, Pretrained):
            yield {
                "chart": pretrain_chart(update.update),
                "status": pretrain_note(update.update) + _cut_note(update),
                "fills": table(FILL_HEADERS, fill_rows(update)),
                "stop_switch": None,
            }
        else:
            yield {"chart": pretrain_chart(update), "status": pretrain_note(update)}


def _cut_note(result: Pretrained) -> str:
    train, held = result.sequences
    tokens = result.sequence_tokens
    cut = speak(
        "Your text became {train} training and {held} held-out sequence(s) of up to {tokens} tokens.",
        train=train,
        held=held,
        tokens=tokens,
    )
    return f"\n\nℹ️ {cut}"


def _settings(catalog: Catalog, context: TaskContext) -> dict[str, Any]:
    defaults = Recipe()
    with gr.Accordion(_("Settings"), open=False):
        with gr.Row():
            checkpoint = gr.Dropdown(
                catalog.checkpoints("fill_mask"), value=catalog.default("fill_mask"), label=_("Base model")
            )
            learning_rate = gr.Number(
                UNTRAINED_LEARNING_RATE if catalog.untrained else defaults.learning_rate,
                label=_("Learning rate"),
                minimum=0,
            )
        with gr.Row():
            batch_size = gr.Slider(1, 32, value=defaults.batch_size, step=1, label=_("Batch size"))
            max_tokens = gr.Slider(
                16, context.limits.max_train_tokens, value=64, step=8, label=_("Tokens per sequence")
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


def _masking(catalog: Catalog) -> tuple[dict[str, Any], dict[str, Any]]:
    """The masking section's inputs and outputs."""
    gr.Markdown(_("### Masking, as pre-training does it"))
    text = gr.Textbox(MASKING_EXAMPLES[catalog.language], lines=3, label=_("Your paragraph"), elem_id="mask-text")
    with gr.Row(equal_height=True):
        mode = gr.Radio([(_(DYNAMIC), DYNAMIC), (_(STATIC), STATIC)], value=DYNAMIC, label=_("Masking"), scale=3)
        epochs = gr.Slider(1, masking.MAX_EPOCHS, value=4, step=1, label=_("Epochs"), elem_id="mask-epochs", scale=2)
        seed = gr.Number(0, label=_("Seed"), precision=0, minimum=0, scale=1)
    with gr.Row():
        run = gr.Button(_("Mask"), variant="primary", elem_id="mask-run")
        again = gr.Button(_("Another epoch"), elem_id="mask-next")
    given = gr.HighlightedText(
        label=_("What the model is given in the last epoch"),
        color_map=KIND_HIGHLIGHTS,
        combine_adjacent=False,
        elem_id="mask-given",
    )
    grid = gr.Plot(label=_("Epochs"), show_label=False, elem_id="mask-grid")
    status = gr.Markdown(elem_id="mask-status")
    chosen = data_table(
        headers=table_headers(MASKED_HEADERS), label=_("Every chosen token"), max_height=360, elem_id="mask-chosen"
    )
    inputs = {"text": text, "mode": mode, "epochs": epochs, "seed": seed, "run": run, "again": again}
    return inputs, {"given": given, "grid": grid, "chosen": chosen, "mask_status": status}


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    gr.Markdown(_(INTRO))
    parts, shown = _masking(catalog)
    work = model_work(catalog)
    masked = wire(mask_view, context, shown)
    mask_inputs = [parts["text"], parts["mode"], parts["epochs"], parts["seed"]]
    gr.on(
        [parts["run"].click, parts["text"].submit],
        masked,
        mask_inputs,
        list(shown.values()),
        api_name="masking_page",
        api_visibility="undocumented",
        **work,
    )
    parts["again"].click(next_epoch, parts["epochs"], parts["epochs"], api_visibility="private", queue=False).then(
        masked, mask_inputs, list(shown.values()), api_visibility="private", **work
    )

    gr.Markdown(_("### Continued pre-training on your text"))
    gr.Markdown(_(CORPUS_INTRO))
    corpus = gr.Textbox(
        CORPUS_EXAMPLES[catalog.language], lines=6, max_lines=16, label=_("Your text"), elem_id="pretrain-text"
    )
    with gr.Row(equal_height=True):
        steps = gr.Slider(
            1, context.limits.max_train_steps, value=20, step=1, label=_("Steps"), elem_id="pretrain-steps", scale=3
        )
        train = gr.Button(_("Train"), variant="primary", elem_id="pretrain-train", scale=1)
        stop = gr.Button(_("Stop"), variant="stop", elem_id="pretrain-stop", scale=1)
    settings = _settings(catalog, context)
    with gr.Row():
        chart = gr.Plot(label=_("Loss"), show_label=False, elem_id="pretrain-chart")
        with gr.Column():
            code_view(pretrain.CODE)
            status = gr.Markdown(elem_id="pretrain-status")
    fills = data_table(
        headers=table_headers(FILL_HEADERS),
        label=_("Held-out words masked, before and after"),
        wrap=True,
        max_height=360,
        elem_id="pretrain-fills",
    )
    stop_switch = gr.State(None)
    outputs = {"chart": chart, "status": status, "fills": fills, "stop_switch": stop_switch}
    train.click(
        wire(pretrain_view, context, outputs, _train_seconds),
        [corpus, steps, *settings.values()],
        list(outputs.values()),
        concurrency_limit=1,
        concurrency_id=FINE_TUNE_WORK,
        api_visibility="private",
    )
    stop.click(wire(stop_view, None, {}), stop_switch, None, api_visibility="private", queue=False)
    return TabParts(
        notice,
        TASKS,
        parts["text"],
        masked,
        mask_inputs,
        list(shown.values()),
        on_unload=forgetting(context),
    )


def forgetting(context: TaskContext) -> Any:
    """What runs when a page closes: its continued pre-trained model goes at once."""

    def forget(request: gr.Request) -> None:
        context.release(pretrain.held_key(request.session_hash))

    return forget
