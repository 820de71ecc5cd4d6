"""What pre-training gives: a vector for every token in its context, read at every layer from the embeddings up.

One word in several sentences ("bank" by the river, at the bank) shows whether its vectors part with its senses as
the layers go up; many texts, one vector each, show whether the model's space already sorts them. Either way the
texts run in padded batches of the inspected checkpoint's base model, with every hidden state returned.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from roberta_demo.backend import LoadedModel
from roberta_demo.errors import InputError, shown
from roberta_demo.results import Embedding, RunInfo
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.encoding import Encoded, encode
from roberta_demo.tasks.sentiment import parse_texts

__all__ = ["BATCH_SIZE", "MAX_WORD_CHARS", "POOLINGS", "Pooling", "embed", "project", "word_span"]

Pooling = Literal["mean", "first"]
POOLINGS: tuple[Pooling, ...] = ("mean", "first")
BATCH_SIZE = 16  # texts per forward pass: padding stays short, and the device is given up between batches' work
MAX_WORD_CHARS = 100
# A script without spaces between words (Chinese, Japanese, Thai…): a word is found anywhere in a sentence, where a
# Latin word must stand alone ("bank" is not found in "banking").
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class _Read:
    """What one text gave: its tokens' vectors pooled at every layer <float32>[num_layers + 1, hidden_size], the
    pieces pooled, or None where the word is not among its tokens."""

    vector: np.ndarray | None
    pieces: list[str]


def word_span(text: str, word: str) -> tuple[int, int] | None:
    """Where `word` is first used in `text`, ignoring case: standing alone, or anywhere for a word of a script
    written without spaces."""
    pattern = re.escape(word) if _UNSPACED.search(word) else rf"(?<!\w){re.escape(word)}(?!\w)"
    found = re.search(pattern, text, flags=re.IGNORECASE)
    return None if found is None else found.span()


def _positions(encoded: Encoded, text: str, word: str | None, pooling: Pooling) -> list[int]:
    """The token positions a text's vector is the mean of: the word's pieces, `<s>`, or every token of the text."""
    if word is None:
        return [0] if pooling == "first" else [i for i, special in enumerate(encoded.special) if not special]
    span = word_span(text, word)
    if span is None:
        return []
    start, end = span
    return [
        i
        for i, ((low, high), special) in enumerate(zip(encoded.offsets, encoded.special, strict=True))
        if not special and low < end and high > start
    ]


def _batch_inputs(model: LoadedModel, batch: Sequence[Encoded]) -> dict[str, list[list[int]]]:
    """Ids and attention masks, padded to the batch's longest text."""
    width, pad = max(len(e.ids) for e in batch), model.tokenizer.pad_token_id
    return {
        "input_ids": [e.ids + [pad] * (width - len(e.ids)) for e in batch],
        "attention_mask": [[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in batch],
    }


def _read_batch(
    model: LoadedModel, texts: Sequence[str], word: str | None, pooling: Pooling, max_tokens: int
) -> tuple[list[_Read], float]:
    encoded = [encode(model.tokenizer, text, None, min(max_tokens, model.max_tokens))[0] for text in texts]
    forward = model.model.base_model
    hidden, run = model.run(
        _batch_inputs(model, encoded), lambda inputs: forward(**inputs, output_hidden_states=True).hidden_states
    )
    states = np.stack([layer.float().cpu().numpy() for layer in hidden], axis=1)  # [batch, layers + 1, width, hidden]
    reads = []
    for row, (text, one) in enumerate(zip(texts, encoded, strict=True)):
        chosen = _positions(one, text, word, pooling)
        vector = states[row][:, chosen].mean(axis=1) if chosen else None
        # Byte-level pieces of one character share its offsets: the word's pieces as the text spells them.
        spans = dict.fromkeys(one.offsets[i] for i in chosen) if word is not None else {}
        reads.append(_Read(vector, [text[low:high] for low, high in spans]))
    return reads, run.seconds


def _read_all(
    model: LoadedModel, texts: list[str], word: str | None, pooling: Pooling, max_tokens: int
) -> tuple[list[_Read], RunInfo]:
    """Every text's read, in batches of `BATCH_SIZE`, and the model time of them all."""
    reads: list[_Read] = []
    seconds = 0.0
    for start in range(0, len(texts), BATCH_SIZE):
        batch, spent = _read_batch(model, texts[start : start + BATCH_SIZE], word, pooling, max_tokens)
        reads += batch
        seconds += spent
    return reads, RunInfo(model.checkpoint, model.device, seconds)


def project(vectors: np.ndarray, dimensions: int = 3) -> tuple[np.ndarray, list[float]]:
    """<float32>[num_layers + 1, n, dimensions]: every layer in the same directions, the principal components of all
    layers' vectors together after each layer was centred and scaled to unit spread (the layers' own offsets and
    norms differ by orders of magnitude, and would be all a joint PCA sees); and each direction's share of the
    spread. Exact (an SVD) and deterministic: each direction's sign makes its largest loading positive."""
    layers, count, hidden = vectors.shape
    centred = vectors.astype(np.float64) - vectors.mean(axis=1, keepdims=True)
    spread = np.sqrt((centred**2).sum(axis=(1, 2), keepdims=True) / max(count, 1))
    scaled = (centred / np.clip(spread, 1e-12, None)).reshape(layers * count, hidden)
    _, singular, directions = np.linalg.svd(scaled, full_matrices=False)
    kept = directions[:dimensions]
    signs = np.sign(kept[np.arange(len(kept)), np.abs(kept).argmax(axis=1)])
    kept = kept * np.where(signs == 0, 1, signs)[:, None]
    points = np.zeros((layers * count, dimensions))
    points[:, : len(kept)] = scaled @ kept.T
    variance = singular**2
    shares = (variance[:dimensions] / max(variance.sum(), 1e-12)).tolist()
    return points.reshape(layers, count, dimensions).astype(np.float32), shares + [0.0] * (dimensions - len(shares))


def _checked_word(word: str | None) -> str | None:
    if word is not None and not isinstance(word, str):
        raise InputError(f"The word must be a string, not {type(word).__name__}.")
    word = (word or "").replace("\x00", "").strip()
    if not word:
        return None
    if len(word) > MAX_WORD_CHARS:
        raise InputError(f"The word has {len(word):,} characters; at most {MAX_WORD_CHARS} are accepted.")
    return word


def _embedding(texts: list[str], reads: list[_Read], word: str | None, pooling: Pooling, run: RunInfo) -> Embedding:
    found = [(i, read.vector, read.pieces) for i, read in enumerate(reads) if read.vector is not None]
    if not found:
        raise InputError(f"The word {shown(word)} is in none of the texts: type texts that use it.")
    vectors = np.stack([vector for _, vector, _ in found], axis=1).astype(np.float32)
    projection, explained = project(vectors)
    return Embedding(
        texts=[texts[i] for i, _, _ in found],
        positions=[i for i, _, _ in found],
        missing=[(i, text) for i, (text, read) in enumerate(zip(texts, reads, strict=True)) if read.vector is None],
        word=word,
        pooling=pooling,
        pieces=[pieces for _, _, pieces in found],
        vectors=vectors,
        projection=projection,
        explained=explained,
        run=run,
    )


def embed(
    context: TaskContext,
    texts: str | list[str],
    word: str | None = None,
    pooling: Pooling = "mean",
    checkpoint: str | None = None,
) -> Embedding:
    """Each text's vector at every layer of `checkpoint` (any checkpoint the attention views inspect): with a
    word, that word's vector in each text that uses it; otherwise the text's own, by `pooling`. Texts come one per
    line (or as a list), at most the batch limit, each cut at the server's attention limit of tokens."""
    if pooling not in POOLINGS:
        raise InputError(f"Choose a pooling among {', '.join(POOLINGS)}.")
    chosen_word = _checked_word(word)
    read = parse_texts(texts, None, context)
    limit = context.limits.max_attention_tokens
    reader = functools.partial(_read_all, texts=read, word=chosen_word, pooling=pooling, max_tokens=limit)
    reads, run = context.apply(context.checkpoint_for("attention", checkpoint), reader)
    return _embedding(read, reads, chosen_word, pooling, run)
