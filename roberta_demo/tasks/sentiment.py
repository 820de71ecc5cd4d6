"""Sentiment (3 classes) and emotion (7 classes) of one text or of many at once."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from roberta_demo.backend import PipelineCall
from roberta_demo.errors import InputError
from roberta_demo.messages import say
from roberta_demo.results import BatchSentiment, ClassScores, RunInfo, TextSentiment
from roberta_demo.tasks import uploads
from roberta_demo.tasks.common import TaskContext, check_text, run_info, too_long
from roberta_demo.tasks.uploads import Row, Upload

__all__ = ["BATCH_SIZE", "CALL", "Mode", "classify", "classify_many", "parse_texts"]

Mode = Literal["sentiment", "emotion"]
BATCH_SIZE = 16  # texts per forward pass in the pipeline
# Every class's probability, the input cut to the model's limit; single texts may share forward passes.
CALL = PipelineCall("text-classification", {"top_k": None, "truncation": True}, batchable=True)


def classify(context: TaskContext, text: str, mode: Mode = "sentiment", checkpoint: str | None = None) -> ClassScores:
    """Every class's probability for one text (a softmax: they sum to 1)."""
    text = check_text(text, context.limits)
    inference = context.run(CALL, [text], context.checkpoint_for(mode, checkpoint))
    pairs = [(item["label"], item["score"]) for item in inference.outputs[0]]
    return ClassScores.from_pairs(pairs, exclusive=True, run=run_info(inference))


def parse_texts(block: str | list[str] | None, upload: Upload | None, context: TaskContext) -> list[str]:
    """Texts from one-per-line input (or a list, one text per item) and/or an uploaded file (TXT: one per line; CSV:
    the `text` column, else the first column). Blank ones are skipped."""
    lines = block if isinstance(block, list) else (block or "").splitlines()
    if not all(isinstance(line, str) for line in lines):
        raise InputError(say("The texts must be strings: one text per line, or a list of strings."))
    texts = [check_text(line.strip(), context.limits) for line in lines if line.strip()]
    if upload is not None:
        texts += _texts_from_file(upload, context)
    if not texts:
        raise InputError(say("Type one text per line, or upload a .txt or .csv file."))
    if len(texts) > context.limits.max_texts:
        raise too_long(say("The request"), len(texts), say("texts"), context.limits.max_texts, "max_texts")
    return texts


def _texts_from_file(upload: Upload, context: TaskContext) -> list[str]:
    """A TXT file's lines, or a CSV file's `text` column (its header row recognised and skipped), else its first."""
    if upload.suffix == ".txt":
        lines = [Row(number, [line]) for number, line in enumerate(uploads.decoded(upload).split("\n"), start=1)]
    else:
        lines = uploads.csv_rows(upload)
    if not lines:
        return []
    header = [cell.strip().lower() for cell in lines[0].cells]
    named = upload.suffix != ".txt" and "text" in header  # a CSV whose first row names its text column
    column = header.index("text") if named else 0
    body = lines[1:] if named else lines
    texts = []
    for row in body:
        cell = row.cells[column].strip() if len(row.cells) > column else ""
        if cell:
            try:
                texts.append(check_text(cell, context.limits))
            except InputError as refused:
                raise uploads.at_line(upload, row.line, refused.args[0]) from None
    return texts


def classify_many(
    context: TaskContext, texts: list[str], mode: Mode = "sentiment", checkpoint: str | None = None
) -> BatchSentiment:
    """Score many texts in batched forward passes (`BATCH_SIZE` texts each), not one call per text."""
    if not texts:
        raise InputError(say("Type one text per line, or upload a .txt or .csv file."))
    call = replace(CALL, arguments={**CALL.arguments, "batch_size": BATCH_SIZE})
    inference = context.run(call, texts, context.checkpoint_for(mode, checkpoint))
    rows = []
    for text, output, truncation in zip(texts, inference.outputs, inference.truncations, strict=True):
        scores = {item["label"]: float(item["score"]) for item in output}
        label = max(scores, key=scores.__getitem__)
        rows.append(TextSentiment(text, label, scores[label], scores, truncation is not None))
    classes = context.labels(inference.checkpoint)
    return BatchSentiment(rows, classes, RunInfo(inference.checkpoint, inference.device, inference.seconds))
