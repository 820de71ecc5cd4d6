"""The sentiment tab: 3-class sentiment or 7-class emotion, for one text or many."""

from __future__ import annotations

import functools
import tempfile

import gradio as gr

from roberta_demo.backend import Backend
from roberta_demo.config import Limits, Settings
from roberta_demo.tasks import sentiment
from roberta_demo.ui.common import (
    TabParts,
    announce_loading,
    concurrency,
    examples,
    friendly_errors,
    missing_notice,
    on_gpu,
    run_note,
)
from roberta_demo.viz.charts import class_distribution_chart, class_scores_chart

__all__ = ["TASKS", "build", "score_many", "score_one"]

TASKS = ["sentiment", "emotion"]
MODES = {"Sentiment (negative / neutral / positive)": "sentiment", "Emotion (7 classes)": "emotion"}
DEFAULT_MODE = next(iter(MODES))
EXAMPLES = [
    "I absolutely love how this phone takes photos at night!",
    "Oh great, my flight is delayed again. Just what I needed today.",
    "The food was amazing but the service was painfully slow.",
    "The meeting has been moved to 3 pm on Thursday.",
    "Worst. Update. Ever. 😡😡",
    "Finally got the job!!! 🎉🥳",
]
BATCH_EXAMPLE = "\n".join(EXAMPLES)


def score_one(
    backend: Backend, text: str, mode: str = DEFAULT_MODE, progress: gr.Progress = gr.Progress(track_tqdm=True),
    *, limits: Limits = Limits(),
) -> tuple[dict[str, float], object, str]:  # fmt: skip
    announce_loading(backend, MODES.get(mode, "sentiment"), None, progress)
    result = sentiment.classify(backend, text, MODES.get(mode, "sentiment"), limits=limits)
    return result.as_dict(), class_scores_chart(result, "Class probabilities"), run_note(result.run)


def score_many(
    backend: Backend, texts: str, mode: str = DEFAULT_MODE, upload: bytes | None = None,
    progress: gr.Progress = gr.Progress(track_tqdm=True), *, limits: Limits = Limits(),
) -> tuple[list[list], object, str, str]:  # fmt: skip
    announce_loading(backend, MODES.get(mode, "sentiment"), None, progress)
    file_text = upload.decode("utf-8", errors="replace") if upload else None
    batch = sentiment.parse_texts(texts, file_text, limits)
    result = sentiment.classify_many(backend, batch, MODES.get(mode, "sentiment"))
    table = [[row.text, row.label, round(row.score, 4)] for row in result.rows]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", prefix="sentiment-", delete=False, encoding="utf-8") as out:
        out.write(result.to_csv())
    note = run_note(result.run) + f" {len(result.rows)} texts, in batches of {sentiment.BATCH_SIZE}."
    truncated = sum(row.truncated for row in result.rows)
    if truncated:
        note += f"\n\n⚠️ {truncated} text(s) were longer than the model reads and were cut to their first tokens."
    return table, class_distribution_chart(result.label_counts()), out.name, note


def build(backend: Backend, settings: Settings) -> TabParts:
    """The tab's components and events."""
    one = friendly_errors(on_gpu(functools.partial(score_one, backend, limits=settings.limits)))
    many = friendly_errors(on_gpu(functools.partial(score_many, backend, limits=settings.limits)))
    notice = gr.Markdown(missing_notice(backend, TASKS))
    mode = gr.Radio(list(MODES), value=DEFAULT_MODE, label="Model")
    with gr.Tab("One text"):
        with gr.Row():
            with gr.Column(scale=5):
                text = gr.Textbox(label="Text", lines=4, placeholder="How does this sentence feel?")
                run_one = gr.Button("Analyse", variant="primary")
            with gr.Column(scale=6):
                top = gr.Label(label="Prediction", elem_id="sentiment-top")
                chart = gr.Plot(label="All classes")
                info = gr.Markdown(label="details")
        one_outputs = [top, chart, info]
        examples([[e] for e in EXAMPLES], [text], one, one_outputs)
    with gr.Tab("Many texts"):
        with gr.Row():
            with gr.Column(scale=5):
                texts = gr.Textbox(label="Texts, one per line", lines=8, value="")
                upload = gr.File(label="…or upload a .txt (one per line) or .csv (a `text` column)",
                                 file_types=[".txt", ".csv"], type="binary")
                run_many = gr.Button("Analyse all", variant="primary")
            with gr.Column(scale=6):
                distribution = gr.Plot(label="Distribution")
                table = gr.Dataframe(headers=["text", "label", "score"], label="Per text", wrap=True, max_height=420,
                                     column_widths=["64%", "20%", "16%"])
                download = gr.File(label="Download the table (CSV)")
                batch_info = gr.Markdown(label="details")
        many_outputs = [table, distribution, download, batch_info]
        examples([[BATCH_EXAMPLE]], [texts], many, many_outputs, example_labels=["Six mixed texts"])
    gr.on([run_one.click, text.submit], one, [text, mode], one_outputs, api_name="sentiment",
          concurrency_limit=concurrency(backend))  # fmt: skip
    run_many.click(many, [texts, mode, upload], many_outputs, api_name="sentiment_batch")
    return TabParts(notice, TASKS, text, one, [text, mode], one_outputs)
