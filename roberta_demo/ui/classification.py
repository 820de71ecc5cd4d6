"""The classification tab: zero-shot into the user's labels, or the fine-tuned topic model."""

from __future__ import annotations

from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.messages import speak
from roberta_demo.tasks import classification
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import explain as explain_ui
from roberta_demo.ui.common import EXPLAIN_GPU_SECONDS, TabParts, examples, model_work, reporting, run_note, wire
from roberta_demo.ui.i18n import _
from roberta_demo.viz.charts import class_scores_chart, readable_label

__all__ = ["TASKS", "build", "classify"]

TASKS = ["zero_shot", "topic"]

ZERO_SHOT, TOPIC = "Zero-shot (your labels)", "Topic model"
EXAMPLES = {
    "en": [
        [
            "Apple shares jump after record iPhone sales beat analysts' forecasts",
            ZERO_SHOT,
            "business, technology, sports, politics, entertainment",
        ],
        [
            "The battery died after two days and the seller never answered my emails. Avoid.",
            ZERO_SHOT,
            "praise, complaint, question, shipping, product quality",
        ],
        [
            "Hi, I was charged twice for my subscription this month, can you refund one payment?",
            ZERO_SHOT,
            "billing, technical issue, account access, feature request",
        ],
        ["What a night! Messi scores twice as Inter Miami clinch the title 🏆", TOPIC, classification.DEFAULT_LABELS],
    ],
    # The tutorial's applications: news by topic, product reviews by aspect.
    "zh": [
        ["中国女排在世界杯比赛中以三比零战胜对手", ZERO_SHOT, "体育, 财经, 科技, 娱乐, 政治"],
        ["中国人民银行决定下调存款准备金率，股市应声上涨", TOPIC, "体育, 财经, 科技, 娱乐, 政治"],
        ["用了两天就坏了，客服也不回复，非常失望。", ZERO_SHOT, "质量问题, 物流, 客服, 价格, 好评"],
        ["著名导演的新电影将于春节上映", TOPIC, "体育, 财经, 科技, 娱乐, 政治"],
    ],
}


def classify(
    context: TaskContext,
    text: str,
    mode: str = ZERO_SHOT,
    labels: str = classification.DEFAULT_LABELS,
    template: str = classification.DEFAULT_TEMPLATE,
    multi_label: bool = False,
    checkpoint: str = "",
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    context = reporting(context, progress)
    if mode == TOPIC:  # the tab's model menu lists NLI models: the topic mode keeps the profile's topic model
        result = classification.classify(context, text, "topic")
        title = speak("Topic scores (each topic on its own)")
    else:
        result = classification.classify(context, text, "zero-shot", labels, template, multi_label, checkpoint or None)
        title = speak("Label scores (each label on its own)") if multi_label else speak("Label scores")
    top = {readable_label(label): score for label, score in result.as_dict().items()}  # as the chart names them
    return {"top": top, "chart": class_scores_chart(result, title), "info": run_note(result.run)}


def explain_label(
    context: TaskContext,
    text: str,
    mode: str = ZERO_SHOT,
    labels: str = classification.DEFAULT_LABELS,
    template: str = classification.DEFAULT_TEMPLATE,
    checkpoint: str = "",
    target: str = "",
    method: str = explain_ui.DEFAULT_METHOD,
    steps: float = 32,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """Which words made the model choose this label (zero-shot) or topic."""
    if mode == TOPIC:
        return explain_ui.explained(context, text, "topic", target, method, steps, progress=progress)
    return explain_ui.explained(
        context, text, "zero_shot", target, method, steps, labels, template, checkpoint or None, progress
    )


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    with gr.Row():
        with gr.Column(scale=5):
            text = gr.Textbox(
                label=_("Text"),
                lines=4,
                placeholder=_("Paste a headline, a review, a support ticket…"),
                elem_id="classification-text",
            )
            mode = gr.Radio([(_(m), m) for m in (ZERO_SHOT, TOPIC)], value=ZERO_SHOT, label=_("Mode"))
            labels = gr.Textbox(label=_("Candidate labels (comma-separated)"), value=classification.DEFAULT_LABELS)
            with gr.Accordion(_("Zero-shot options"), open=False):
                multi_label = gr.Checkbox(label=_("Labels are not exclusive (score each on its own)"), value=False)
                template = gr.Textbox(
                    label=_("Hypothesis template"),
                    value=classification.DEFAULT_TEMPLATE,
                    info=_("Each label fills the {} to make the sentence the NLI model checks."),
                )
                models = catalog.checkpoints("zero_shot")
                checkpoint = gr.Dropdown(models, value=catalog.default("zero_shot"), label=_("NLI model"))
            run = gr.Button(_("Classify"), variant="primary", elem_id="classify-run")
        with gr.Column(scale=6):
            outputs = {
                "top": gr.Label(label=_("Top classes"), num_top_classes=5, elem_id="classify-top"),
                "chart": gr.Plot(label=_("Every label's score"), show_label=False),
                "info": gr.Markdown(label=_("details")),
            }
    inputs = [text, mode, labels, template, multi_label, checkpoint]
    handler = wire(classify, context, outputs)
    why = explain_ui.controls("classify", "Label to explain")
    why_outputs = {name: why[name] for name in ("words", "chart", "note", "target")}
    why_inputs = [text, mode, labels, template, checkpoint, why["target"], why["method"], why["steps"]]
    why["button"].click(
        wire(explain_label, context, why_outputs, EXPLAIN_GPU_SECONDS),
        why_inputs,
        list(why_outputs.values()),
        api_visibility="private",
        **model_work(catalog),
    )
    examples(EXAMPLES[catalog.language], [text, mode, labels], handler, list(outputs.values()))
    gr.on(
        [run.click, text.submit],
        handler,
        inputs,
        list(outputs.values()),
        api_name="classify_page",
        api_visibility="undocumented",
        **model_work(catalog),
    )
    mode.change(lambda m: gr.update(interactive=m == ZERO_SHOT), mode, labels, api_visibility="private")
    explain_ui.forget_on([run.click, text.submit, mode.change, checkpoint.change], why)
    return TabParts(notice, TASKS, text, handler, inputs, list(outputs.values()))
