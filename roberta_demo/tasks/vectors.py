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
from roberta_demo.messages import say
from roberta_demo.results import Embedding, RunInfo, TokenVectors, Truncation
from roberta_demo.tasks import uploads
from roberta_demo.tasks.attention import token_texts
from roberta_demo.tasks.common import TaskContext, check_text
from roberta_demo.tasks.encoding import Encoded, encode
from roberta_demo.tasks.projection import project, umap_apart
from roberta_demo.tasks.sentiment import parse_texts
from roberta_demo.tasks.uploads import Upload

__all__ = [
    "BATCH_SIZE",
    "MAX_WORD_CHARS",
    "POOLINGS",
    "PROJECTIONS",
    "UMAP_MAX_TEXTS",
    "UMAP_MIN_TEXTS",
    "Pooling",
    "Projection",
    "before_and_after",
    "embed",
    "hidden_states",
    "labelled_texts",
    "token_vectors",
    "word_span",
]

Pooling = Literal["mean", "first"]
POOLINGS: tuple[Pooling, ...] = ("mean", "first")
Projection = Literal["pca", "umap"]
PROJECTIONS: tuple[Projection, ...] = ("pca", "umap")
UMAP_MIN_TEXTS = 5  # below, a neighbourhood is the whole set: PCA says as much, exactly
UMAP_MAX_TEXTS = 200  # an aligned map per layer: about 10 s at 50 texts and 13 layers on 2 cores
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


def labelled_texts(
    block: str | list[str] | None, upload: Upload | None, context: TaskContext
) -> tuple[list[str], list[str] | None]:
    """The texts typed (one per line) and uploaded, and a group for each where the upload gives one: a CSV's
    `label` column (else its second), typed texts in a group of their own. None where no text has one."""
    typed = parse_texts(block, None, context) if block and (isinstance(block, list) or block.strip()) else []
    rows = uploads.csv_rows(upload) if upload is not None and upload.suffix != ".txt" else []
    header = [cell.strip().lower() for cell in rows[0].cells] if rows else []
    if "text" not in header or len(header) < 2:
        return parse_texts(block, upload, context), None
    text_column = header.index("text")
    label_column = (
        header.index("label") if "label" in header else next(i for i in range(len(header)) if i != text_column)
    )
    found = [
        (row.cells[text_column].strip(), row.cells[label_column].strip() if len(row.cells) > label_column else "")
        for row in rows[1:]
        if len(row.cells) > text_column and row.cells[text_column].strip()
    ]
    texts = parse_texts([*typed, *(text for text, _ in found)], None, context)
    return texts, ["typed"] * len(typed) + [label or "(none)" for _, label in found]


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


def hidden_states(model: LoadedModel, texts: Sequence[str], max_tokens: int) -> tuple[list[Encoded], np.ndarray, float]:
    """The texts as read (each cut at `max_tokens`) and every state of the base model on them, in one padded batch:
    <float32>[batch, num_layers + 1, width, hidden] (a text's padding positions hold nothing to read); model seconds."""
    encoded = [encode(model.tokenizer, text, None, min(max_tokens, model.max_tokens))[0] for text in texts]
    forward = model.model.base_model
    hidden, run = model.run(
        _batch_inputs(model, encoded), lambda inputs: forward(**inputs, output_hidden_states=True).hidden_states
    )
    return encoded, np.stack([layer.float().cpu().numpy() for layer in hidden], axis=1), run.seconds


def _read_batch(
    model: LoadedModel, texts: Sequence[str], word: str | None, pooling: Pooling, max_tokens: int
) -> tuple[list[_Read], float]:
    encoded, states, seconds = hidden_states(model, texts, max_tokens)
    reads = []
    for row, (text, one) in enumerate(zip(texts, encoded, strict=True)):
        chosen = _positions(one, text, word, pooling)
        vector = states[row][:, chosen].mean(axis=1) if chosen else None
        # Byte-level pieces of one character share its offsets: the word's pieces as the text spells them.
        spans = dict.fromkeys(one.offsets[i] for i in chosen) if word is not None else {}
        reads.append(_Read(vector, [text[low:high] for low, high in spans]))
    return reads, seconds


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


def _checked_word(word: str | None) -> str | None:
    if word is not None and not isinstance(word, str):
        raise InputError(say("The word must be a string, not {kind}.", kind=type(word).__name__))
    word = (word or "").replace("\x00", "").strip()
    if not word:
        return None
    if len(word) > MAX_WORD_CHARS:
        raise InputError(
            say(
                "The word has {size} characters; at most {limit} are accepted.",
                size=f"{len(word):,}",
                limit=MAX_WORD_CHARS,
            )
        )
    return word


def _projected(vectors: np.ndarray, projection: Projection, dimensions: int) -> tuple[np.ndarray, list[float], str]:
    """The points, PCA's shares of spread (none for UMAP), and the method used: UMAP needs `UMAP_MIN_TEXTS` texts
    and takes at most `UMAP_MAX_TEXTS` (its time grows with them); outside that, or past its time, PCA."""
    if projection == "umap" and UMAP_MIN_TEXTS <= vectors.shape[1] <= UMAP_MAX_TEXTS:
        mapped = umap_apart(vectors, dimensions)
        if mapped is not None:
            return mapped, [], "umap"
    points, explained = project(vectors, dimensions)
    return points, explained, "pca"


def _embedding(
    texts: list[str],
    reads: list[_Read],
    word: str | None,
    pooling: Pooling,
    run: RunInfo,
    shape: tuple[Projection, int],
) -> Embedding:
    found = [(i, read.vector, read.pieces) for i, read in enumerate(reads) if read.vector is not None]
    if not found:
        raise InputError(say("The word {word} is in none of the texts: type texts that use it.", word=shown(word)))
    vectors = np.stack([vector for _, vector, _ in found], axis=1).astype(np.float32)
    projection, explained, method = _projected(vectors, *shape)
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
        projected_by=method,
    )


def embed(
    context: TaskContext,
    texts: str | list[str],
    word: str | None = None,
    pooling: Pooling = "mean",
    checkpoint: str | None = None,
    projection: Projection = "pca",
    dimensions: int = 3,
) -> Embedding:
    """Each text's vector at every layer of `checkpoint` (any checkpoint the attention views inspect): with a
    word, that word's vector in each text that uses it; otherwise the text's own, by `pooling`. Texts come one per
    line (or as a list), at most the batch limit, each cut at the server's attention limit of tokens. Projected on
    `dimensions` (2 or 3) by PCA or UMAP (`_projected`)."""
    if pooling not in POOLINGS:
        raise InputError(say("Choose a pooling among {poolings}.", poolings=", ".join(POOLINGS)))
    if projection not in PROJECTIONS or dimensions not in (2, 3):
        raise InputError(
            say("Choose a projection among {projections}, in 2 or 3 dimensions.", projections=", ".join(PROJECTIONS))
        )
    chosen_word = _checked_word(word)
    read = parse_texts(texts, None, context)
    limit = context.limits.max_attention_tokens
    reader = functools.partial(_read_all, texts=read, word=chosen_word, pooling=pooling, max_tokens=limit)
    reads, run = context.apply(context.checkpoint_for("attention", checkpoint), reader)
    return _embedding(read, reads, chosen_word, pooling, run, (projection, dimensions))


def _named_reads(
    model: LoadedModel, texts: list[str], word: str | None, pooling: Pooling, max_tokens: int
) -> tuple[str, list[_Read], RunInfo]:
    """`_read_all`, with the checkpoint the model was made from (a fine-tuned copy names its base)."""
    return (model.checkpoint, *_read_all(model, texts, word, pooling, max_tokens))


def before_and_after(
    context: TaskContext, key: str | None, texts: list[str], projection: Projection = "pca", dimensions: int = 2
) -> tuple[Embedding, Embedding]:
    """The texts' `<s>` vectors (what a classification head reads) in the checkpoint a visitor fine-tuned and in
    their fine-tuned copy, held under `key`: each projected on its own, for a map of each."""
    read = parse_texts(texts, None, context)
    limit = context.limits.max_attention_tokens
    reader = functools.partial(_named_reads, texts=read, word=None, pooling="first", max_tokens=limit)
    base, after, after_run = context.apply_held(key, reader)
    before, before_run = context.apply(
        base, functools.partial(_read_all, texts=read, word=None, pooling="first", max_tokens=limit)
    )
    shape = (projection, dimensions)
    return (
        _embedding(read, before, None, "first", before_run, shape),
        _embedding(read, after, None, "first", after_run, shape),
    )


def token_vectors(context: TaskContext, text: str, checkpoint: str | None = None) -> TokenVectors:
    """Every token of `text` at every layer of `checkpoint` (by default the one the attention views inspect): how
    long its vector is, and its cosine with the vector it started from, cut at the attention limit of tokens."""
    text = check_text(text, context.limits)
    reader = functools.partial(_token_vectors, text=text, max_tokens=context.limits.max_attention_tokens)
    return context.apply(context.checkpoint_for("attention", checkpoint), reader)


def _token_vectors(model: LoadedModel, text: str, max_tokens: int) -> TokenVectors:
    (encoded,), states, seconds = hidden_states(model, [text], max_tokens)
    vectors = states[0][:, : len(encoded.ids)].astype(np.float64)  # [layers + 1, tokens, hidden]
    norms = np.linalg.norm(vectors, axis=-1)
    cosines = (vectors * vectors[:1]).sum(axis=-1) / np.maximum(norms * norms[:1], 1e-12)
    truncation = Truncation(encoded.total, len(encoded.ids)) if encoded.truncated else None
    run = RunInfo(model.checkpoint, model.device, seconds, truncation)
    hidden = int(vectors.shape[-1])
    return TokenVectors(
        token_texts(encoded, (text,)), norms.astype(np.float32), cosines.astype(np.float32), hidden, run
    )
