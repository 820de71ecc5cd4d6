"""The vectors tab: a word's vector in several sentences, or many texts' vectors, projected and compared at every
layer, from the embeddings up (what pre-training gives: a vector for every word in its context)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.errors import InputError
from roberta_demo.results import Embedding
from roberta_demo.tasks import sentiment, vectors
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.common import TabParts, examples, model_work, reporting, run_note, wire
from roberta_demo.ui.files import uploaded
from roberta_demo.ui.i18n import _, figure_in_language, in_language
from roberta_demo.viz.charts import markdown_code
from roberta_demo.viz.vectors import MAX_SIMILARITY_TEXTS, projection_chart, similarity_chart

__all__ = ["TASKS", "build", "show_vectors"]

TASKS = ["attention"]  # the checkpoints the attention views inspect
POOLING_NAMES = {"mean": "the mean of its tokens", "first": "its <s> token"}
PREDICTED: dict[str, sentiment.Mode] = {"sentiment": "sentiment", "emotion": "emotion"}
COLOURINGS = {
    "none": "its text (each its own colour)",
    "label": "the upload's label column",
    "sentiment": "predicted sentiment",
    "emotion": "predicted emotion",
}
BANK = [
    "We had a picnic on the bank of the river.",
    "The river bank was muddy after the rain.",
    "She opened an account at the bank.",
    "The bank raised its interest rates again.",
    "You can bank on her to finish the job.",
]
TOPICS = [
    "The striker scored twice in the second half.",
    "The goalkeeper saved a penalty in the final minute.",
    "The central bank cut interest rates to support growth.",
    "Shares fell sharply after the quarterly earnings report.",
    "The new phone has a faster chip and a brighter screen.",
    "The update fixes a bug that drained the battery.",
]
ZH_APPLE = ["我每天早上吃一个苹果。", "这个苹果又红又甜。", "苹果公司发布了新款手机。", "他在苹果公司做工程师。"]
ZH_TOPICS = [
    "这场比赛主队两球获胜。",
    "守门员扑出了点球。",
    "央行宣布下调利率。",
    "股市今天大幅下跌。",
    "新手机的电池更耐用。",
]
EXAMPLES = {
    "en": [["bank", "\n".join(BANK)], ["", "\n".join(TOPICS)]],
    "zh": [["苹果", "\n".join(ZH_APPLE)], ["", "\n".join(ZH_TOPICS)]],
}


def _pieces_note(embedding: Embedding) -> str:
    """How the word was read: its pieces in each text, when it is more than one token anywhere."""
    split = {" · ".join(pieces) for pieces in embedding.pieces if len(pieces) > 1}
    if not split:
        return ""
    shown = ", ".join(markdown_code(pieces) for pieces in sorted(split))
    return in_language(f"ℹ️ The word is several tokens here ({shown}): its vector is the mean of theirs.")


def _missing_note(embedding: Embedding) -> str:
    if not embedding.missing:
        return ""
    lines = ", ".join(str(position + 1) for position, _ in embedding.missing)
    return in_language(f"⚠️ Not in every text, so left out: line {lines}.")


def _few_note(embedding: Embedding) -> str:
    if len(embedding.texts) == 1:
        return in_language("ℹ️ One vector: a projection and a comparison need at least two texts.")
    if len(embedding.texts) > MAX_SIMILARITY_TEXTS:
        return in_language(f"ℹ️ The similarities are drawn for the first {MAX_SIMILARITY_TEXTS} texts.")
    return ""


def _colours(context: TaskContext, embedding: Embedding, colour_by: str, groups: list[str] | None) -> list[str] | None:
    """A group for each point: the upload's labels, or each text's predicted sentiment or emotion."""
    if colour_by == "label":
        if groups is None:
            raise InputError("To colour by label, upload a .csv with a text column and a label column.")
        return [groups[position] for position in embedding.positions]
    if colour_by in PREDICTED:
        predicted = sentiment.classify_many(context, embedding.texts, PREDICTED[colour_by])
        return [row.label for row in predicted.rows]
    return None


def _projection_note(embedding: Embedding, asked: str) -> str:
    if asked == "umap" and embedding.projected_by != "umap":
        return in_language(
            f"ℹ️ UMAP needs {vectors.UMAP_MIN_TEXTS} to {vectors.UMAP_MAX_TEXTS} texts: PCA drew this map."
        )
    return ""


def show_vectors(
    context: TaskContext,
    word: str,
    texts: str,
    pooling: vectors.Pooling = "mean",
    checkpoint: str = "",
    upload: str | None = None,
    colour_by: str = "none",
    projection: vectors.Projection = "pca",
    dimensions: int = 2,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """The vectors of the texts (or of the word in each), drawn at every layer."""
    context = reporting(context, progress)
    read, groups = vectors.labelled_texts(texts, uploaded(upload), context)
    embedding = vectors.embed(context, read, word or None, pooling, checkpoint or None, projection, int(dimensions))
    colours = _colours(context, embedding, colour_by, groups)
    notes = [run_note(embedding.run), _pieces_note(embedding), _missing_note(embedding), _few_note(embedding)]
    notes.append(_projection_note(embedding, projection))
    return {
        "projection": figure_in_language(projection_chart(embedding, colours)),
        "similarity": figure_in_language(similarity_chart(embedding)),
        "info": "\n\n".join(note for note in notes if note),
    }


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    checkpoints = catalog.checkpoints("attention")
    gr.Markdown(
        _(
            "Pre-training gives every token a vector that depends on its context. Type a word and sentences that "
            "use it in different senses, and see its vectors part as the layers go up; or leave the word empty and "
            "see where whole texts lie."
        )
    )
    with gr.Row():
        with gr.Column(scale=4):
            word = gr.Textbox(label=_("Word (optional)"), max_lines=1, elem_id="vectors-word")
            text = gr.Textbox(label=_("Texts, one per line"), lines=8, elem_id="vectors-text")
            pooling = gr.Radio(
                [(_(name), key) for key, name in POOLING_NAMES.items()],
                value="mean",
                label=_("Without a word, a text's vector is"),
                elem_id="vectors-pooling",
            )
            checkpoint = gr.Dropdown(list(checkpoints), value=catalog.default("attention"), label=_("Model to inspect"))
            with gr.Row():
                projection_kind = gr.Radio(
                    [("PCA", "pca"), ("UMAP", "umap")], value="pca", label=_("Projection"), elem_id="vectors-method"
                )
                dimensions = gr.Radio([("2-D", 2), ("3-D", 3)], value=2, label=_("Dimensions"))
            with gr.Accordion(_("A map of many texts"), open=False):
                upload = gr.File(
                    label=_("…or upload a .txt (one per line) or .csv (a `text` column)"),
                    file_types=[".txt", ".csv"],
                    type="filepath",
                    elem_id="vectors-upload",
                )
                colour_by = gr.Dropdown(
                    [(_(name), key) for key, name in COLOURINGS.items()],
                    value="none",
                    label=_("Colour the points by"),
                    elem_id="vectors-colour",
                )
            run = gr.Button(_("Show the vectors"), variant="primary", elem_id="vectors-run")
        with gr.Column(scale=7):
            projection = gr.Plot(label=_("Projection"), show_label=False, elem_id="vectors-map")
            info = gr.Markdown(elem_id="vectors-info")
    similarity = gr.Plot(label=_("Cosine similarity"), show_label=False, elem_id="vectors-similarity")
    gr.Markdown(
        _(
            "The points are the vectors projected on two directions: the principal components of every layer's "
            "vectors at once, each layer centred and scaled first, so a point that moves between layers moved "
            "among the others. A word of several tokens is the mean of its tokens, at its first use in a text."
        )
    )
    outputs = {"projection": projection, "similarity": similarity, "info": info}
    inputs = [word, text, pooling, checkpoint, upload, colour_by, projection_kind, dimensions]
    handler = wire(show_vectors, context, outputs)
    examples(EXAMPLES[catalog.language], [word, text], handler, list(outputs.values()))
    gr.on(
        [run.click, text.submit, word.submit],
        handler,
        inputs,
        list(outputs.values()),
        api_name="vectors_page",
        api_visibility="undocumented",
        **model_work(catalog),
    )
    return TabParts(notice, TASKS, text, handler, inputs, list(outputs.values()), fields={"word": word})
