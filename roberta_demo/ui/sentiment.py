"""The sentiment tab: 3-class sentiment or 7-class emotion, for one text or many."""

from __future__ import annotations

from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.messages import speak
from roberta_demo.tasks import sentiment
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import explain as explain_ui
from roberta_demo.ui.common import (
    EXPLAIN_GPU_SECONDS,
    TabParts,
    data_table,
    examples,
    model_work,
    reporting,
    run_note,
    table,
    table_headers,
    wire,
)
from roberta_demo.ui.files import FILES, uploaded
from roberta_demo.ui.i18n import _
from roberta_demo.viz.charts import class_distribution_chart, class_scores_chart

__all__ = ["MODES", "TASKS", "build", "score_many", "score_one"]

TASKS = ["sentiment", "emotion"]
PER_TEXT_COLUMNS = ["text", "label", "score"]
MODES: dict[str, sentiment.Mode] = {
    "Sentiment (negative / neutral / positive)": "sentiment",
    "Emotion (7 classes)": "emotion",
}
DEFAULT_MODE = next(iter(MODES))
EXAMPLES = {
    "en": [
        "I absolutely love how this phone takes photos at night!",
        "Oh great, my flight is delayed again. Just what I needed today.",
        "The food was amazing but the service was painfully slow.",
        "The meeting has been moved to 3 pm on Thursday.",
        "Worst. Update. Ever. 😡😡",
        "Finally got the job!!! 🎉🥳",
    ],
    # The tutorial's applications: product reviews, film reviews, social media.
    "zh": [
        "手机质量很好，运行速度快，拍照效果也不错，五星好评！",
        "物流太慢了，等了一个星期才收到货，包装也破了。",
        "这部电影的剧情非常感人，演员的表演也很出色。",
        "剧情拖沓，逻辑混乱，完全看不下去。",
        "终于考完试了！！！开心得想飞起来🎉",
        "排队排了两个小时，结果卖完了，气死我了😡",
    ],
}


def score_one(
    context: TaskContext, text: str, mode: str = DEFAULT_MODE, progress: gr.Progress = gr.Progress(track_tqdm=True)
) -> dict[str, Any]:
    result = sentiment.classify(reporting(context, progress), text, MODES.get(mode, "sentiment"))
    return {
        "top": result.as_dict(),
        "chart": class_scores_chart(result, "Class probabilities"),
        "info": run_note(result.run),
    }


def explain_one(
    context: TaskContext,
    text: str,
    mode: str = DEFAULT_MODE,
    target: str = "",
    method: str = explain_ui.DEFAULT_METHOD,
    steps: float = 32,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """Which words made the model give this class."""
    return explain_ui.explained(context, text, MODES.get(mode, "sentiment"), target, method, steps, progress=progress)


def _batch_note(result: sentiment.BatchSentiment) -> str:
    batches = speak("{count} texts, in batches of {size}.", count=len(result.rows), size=sentiment.BATCH_SIZE)
    note = f"{run_note(result.run)} {batches}"
    if truncated := sum(row.truncated for row in result.rows):
        cut = speak(
            "{count} text(s) were longer than the model reads and were cut to their first tokens.", count=truncated
        )
        note += f"\n\n⚠️ {cut}"
    return note


def score_many(
    context: TaskContext,
    texts: str,
    mode: str = DEFAULT_MODE,
    upload: str | None = None,
    request: gr.Request | None = None,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    context = reporting(context, progress)
    batch = sentiment.parse_texts(texts, uploaded(upload), context)
    result = sentiment.classify_many(context, batch, MODES.get(mode, "sentiment"))
    saved = FILES.folder(request) / "sentiment.csv"
    saved.write_text(result.to_csv(), encoding="utf-8")
    return {
        "table": table(PER_TEXT_COLUMNS, [[row.text, row.label, round(row.score, 4)] for row in result.rows]),
        "distribution": class_distribution_chart(result.label_counts()),
        "download": str(saved),
        "info": _batch_note(result),
    }


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    mode = gr.Radio([(_(label), label) for label in MODES], value=DEFAULT_MODE, label=_("Model"))
    with gr.Tab(_("One text")):
        with gr.Row():
            with gr.Column(scale=5):
                text = gr.Textbox(label=_("Text"), lines=4, placeholder=_("How does this sentence feel?"))
                run_one = gr.Button(_("Analyse"), variant="primary")
            with gr.Column(scale=6):
                one_outputs = {
                    "top": gr.Label(label=_("Prediction"), elem_id="sentiment-top"),
                    "chart": gr.Plot(label=_("All classes"), show_label=False),
                    "info": gr.Markdown(label=_("details")),
                }
        one = wire(score_one, context, one_outputs)
        why = explain_ui.controls("sentiment", "Class to explain")
        why_outputs = {name: why[name] for name in ("words", "chart", "note", "target")}
        why_inputs = [text, mode, why["target"], why["method"], why["steps"]]
        why["button"].click(
            wire(explain_one, context, why_outputs, EXPLAIN_GPU_SECONDS),
            why_inputs,
            list(why_outputs.values()),
            api_visibility="private",
            **model_work(catalog),
        )
        explain_ui.forget_on([run_one.click, text.submit, mode.change], why)
        examples([[e] for e in EXAMPLES[catalog.language]], [text], one, list(one_outputs.values()))
    with gr.Tab(_("Many texts")):
        with gr.Row():
            with gr.Column(scale=5):
                texts = gr.Textbox(label=_("Texts, one per line"), lines=8, value="")
                upload = gr.File(
                    label=_("…or upload a .txt (one per line) or .csv (a `text` column)"),
                    file_types=[".txt", ".csv"],
                    type="filepath",
                )
                run_many = gr.Button(_("Analyse all"), variant="primary")
            with gr.Column(scale=6):
                distribution = gr.Plot(label=_("Distribution"), show_label=False)
                table = data_table(
                    headers=table_headers(PER_TEXT_COLUMNS),
                    label=_("Per text"),
                    wrap=True,
                    max_height=420,
                    column_widths=["64%", "20%", "16%"],
                )
                download = gr.File(label=_("Download the table (CSV)"))
                info = gr.Markdown(label=_("details"))
        # The API's order (table first), which differs from the page's.
        many_outputs = {"table": table, "distribution": distribution, "download": download, "info": info}
        many = wire(score_many, context, many_outputs)
        batch = "\n".join(EXAMPLES[catalog.language])
        examples([[batch]], [texts], many, list(many_outputs.values()), example_labels=[_("Six mixed texts")])
    gr.on(
        [run_one.click, text.submit],
        one,
        [text, mode],
        list(one_outputs.values()),
        api_name="sentiment_page",
        api_visibility="undocumented",
        **model_work(catalog),
    )
    run_many.click(
        many,
        [texts, mode, upload],
        list(many_outputs.values()),
        api_name="sentiment_batch_page",
        api_visibility="undocumented",
        **model_work(catalog),
    )
    return TabParts(notice, TASKS, text, one, [text, mode], list(one_outputs.values()))
