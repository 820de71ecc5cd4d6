"""Sentiment (3 classes) and emotion (7 classes) of one text or of many at once."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.tasks.common import ClassScores, InputError, RunInfo, check_text, too_long

__all__ = ["BATCH_SIZE", "BatchSentiment", "TextSentiment", "classify", "classify_many", "parse_texts"]

Mode = Literal["sentiment", "emotion"]
BATCH_SIZE = 16  # texts per forward pass in the pipeline


@dataclass(frozen=True)
class TextSentiment:
    """One text's top class, its score, and every class's score."""

    text: str
    label: str
    score: float
    scores: dict[str, float]
    truncated: bool


@dataclass(frozen=True)
class BatchSentiment:
    """Results for many texts, in input order, with the classes they were scored on."""

    rows: list[TextSentiment]
    classes: list[str]
    run: RunInfo

    def label_counts(self) -> dict[str, int]:
        """How many texts got each class as their top class; every class listed, in model order."""
        counts = Counter(row.label for row in self.rows)
        return {label: counts.get(label, 0) for label in self.classes}

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["text", "label", "score", *self.classes])
        for row in self.rows:
            writer.writerow([row.text, row.label, f"{row.score:.4f}", *(f"{row.scores[c]:.4f}" for c in self.classes)])
        return buffer.getvalue()


def classify(
    backend: Backend, text: str, mode: Mode = "sentiment", checkpoint: str | None = None, limits: Limits = Limits()
) -> ClassScores:
    """Every class's probability for one text (a softmax: they sum to 1)."""
    inference = backend.run(mode, [check_text(text, limits.max_chars)], checkpoint, top_k=None)
    pairs = [(item["label"], item["score"]) for item in inference.outputs[0]]
    return ClassScores.from_pairs(pairs, exclusive=True, run=RunInfo.of(inference))


def parse_texts(block: str | None, file_text: str | None = None, limits: Limits = Limits()) -> list[str]:
    """Texts from one-per-line input and/or an uploaded file's content (TXT: one per line; CSV: the `text`
    column, else the first column)."""
    texts = [line.strip() for line in (block or "").splitlines() if line.strip()]
    if file_text:
        texts += _texts_from_file(file_text)
    if not texts:
        raise InputError("Type one text per line, or upload a .txt or .csv file.")
    if len(texts) > limits.max_texts:
        raise too_long("The request", len(texts), "texts", limits.max_texts, "max_texts")
    return [check_text(text, limits.max_chars) for text in texts]


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
    backend: Backend, texts: list[str], mode: Mode = "sentiment", checkpoint: str | None = None
) -> BatchSentiment:
    """Score many texts in batched forward passes (`BATCH_SIZE` texts each), not one call per text."""
    if not texts:
        raise InputError("Type one text per line, or upload a .txt or .csv file.")
    inference = backend.run(mode, texts, checkpoint, top_k=None, batch_size=BATCH_SIZE)
    rows = []
    for text, output, truncation in zip(texts, inference.outputs, inference.truncations):
        scores = {item["label"]: float(item["score"]) for item in output}
        label = max(scores, key=scores.__getitem__)
        rows.append(TextSentiment(text, label, scores[label], scores, truncation is not None))
    classes = backend.labels(inference.checkpoint)
    return BatchSentiment(rows, classes, RunInfo(inference.checkpoint, inference.device, inference.seconds))
