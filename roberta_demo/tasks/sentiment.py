"""Sentiment (3 classes) and emotion (7 classes) of one text or of many at once."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Literal

from roberta_demo.backend import PipelineCall
from roberta_demo.errors import InputError
from roberta_demo.results import BatchSentiment, ClassScores, RunInfo, TextSentiment
from roberta_demo.tasks.common import TaskContext, check_text, run_info, too_long

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


def parse_texts(block: str | list[str] | None, file_text: str | None, context: TaskContext) -> list[str]:
    """Texts from one-per-line input (or a list, one text per item) and/or an uploaded file's content (TXT: one per
    line; CSV: the `text` column, else the first column). Blank ones are skipped."""
    lines = block if isinstance(block, list) else (block or "").splitlines()
    if not all(isinstance(line, str) for line in lines):
        raise InputError("The texts must be strings: one text per line, or a list of strings.")
    texts = [line.strip() for line in lines if line.strip()]
    if file_text:
        texts += _texts_from_file(file_text)
    if not texts:
        raise InputError("Type one text per line, or upload a .txt or .csv file.")
    if len(texts) > context.limits.max_texts:
        raise too_long("The request", len(texts), "texts", context.limits.max_texts, "max_texts")
    return [check_text(text, context.limits) for text in texts]


def _texts_from_file(content: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(content)))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    if len(header) > 1 or header == ["text"]:
        column = header.index("text") if "text" in header else 0
        body = rows[1:] if "text" in header else rows
        return [row[column].strip() for row in body if len(row) > column and row[column].strip()]
    return [line.strip() for line in content.splitlines() if line.strip()]


def classify_many(
    context: TaskContext, texts: list[str], mode: Mode = "sentiment", checkpoint: str | None = None
) -> BatchSentiment:
    """Score many texts in batched forward passes (`BATCH_SIZE` texts each), not one call per text."""
    if not texts:
        raise InputError("Type one text per line, or upload a .txt or .csv file.")
    call = replace(CALL, arguments={**CALL.arguments, "batch_size": BATCH_SIZE})
    inference = context.run(call, texts, context.checkpoint_for(mode, checkpoint))
    rows = []
    for text, output, truncation in zip(texts, inference.outputs, inference.truncations, strict=True):
        scores = {item["label"]: float(item["score"]) for item in output}
        label = max(scores, key=scores.__getitem__)
        rows.append(TextSentiment(text, label, scores[label], scores, truncation is not None))
    classes = context.labels(inference.checkpoint)
    return BatchSentiment(rows, classes, RunInfo(inference.checkpoint, inference.device, inference.seconds))
