"""Self-attention of a RoBERTa checkpoint: per head, averaged over heads, rolled out across layers.

Every matrix here is row-stochastic: row i (a query token) says how token i spreads its attention over the key
tokens, softmax(QKᵀ/√d_k), and sums to 1. The readable views (special tokens hidden, BPE pieces merged into
words) keep that property, so a row can always be read as "where this token looks".
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, replace

import numpy as np
import torch

from roberta_demo.backend import LoadedModel
from roberta_demo.results import AttentionView, RunInfo, Truncation
from roberta_demo.tasks.common import TaskContext, check_text
from roberta_demo.tasks.encoding import Encoded, encode, reading_words

__all__ = [
    "attention_rollout",
    "hide_special_tokens",
    "inspect",
    "merge_word_pieces",
    "token_texts",
    "word_groups",
    "word_of",
]


@dataclass(frozen=True)
class RawAttention:
    """Attention of one forward pass. weights: <float32>[num_layers, num_heads, num_tokens, num_tokens].

    texts: the text (and pair) the offsets of `encoded` point into, masks spelled as the model spells them.
    """

    encoded: Encoded
    texts: tuple[str, ...]
    weights: np.ndarray
    run: RunInfo


def _attention_forward(
    model: LoadedModel, text: str, text_pair: str | None, max_tokens: int, read_masks: bool
) -> RawAttention:
    """Run the model once with eager attention and return every layer's attention weights."""
    limit = min(max_tokens, model.max_tokens)
    encoded, texts = encode(model.tokenizer, text, text_pair, limit, read_masks)
    truncation = Truncation(encoded.total, len(encoded.ids)) if encoded.truncated else None
    read = functools.partial(_weights, model)
    weights, run = model.run(encoded.model_inputs(model.tokenizer), read, attentions=True, truncation=truncation)
    return RawAttention(encoded, tuple(t.text for t in texts), weights, run)


def _weights(model: LoadedModel, inputs: dict[str, torch.Tensor]) -> np.ndarray:
    """<float32>[num_layers, num_heads, num_tokens, num_tokens] of one forward pass."""
    output = model.model(**inputs, output_attentions=True)
    return torch.stack(output.attentions)[:, 0].float().cpu().numpy()


def token_texts(encoded: Encoded, texts: tuple[str, ...]) -> list[str]:
    """Each position as the characters it covers in the input (so `Ġ` and byte-level escapes disappear)."""
    shown = []
    for token, (start, end), segment in zip(encoded.tokens, encoded.offsets, encoded.segments, strict=True):
        if segment is None:
            shown.append(token)
            continue
        piece = texts[segment][start:end]
        # RoBERTa's bare space marker `Ġ` or a newline piece: visible, not blank
        shown.append(piece if piece.strip() else "⏎" if "\n" in piece else "␣")
    return shown


def attention_rollout(weights: np.ndarray) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema, 2020) after each layer.

    Each layer's head mean is mixed half-and-half with the identity (the residual connection) and
    renormalised; rollout after layer l is the product of those matrices from layer 0 up to l.
    weights: <float>[num_layers, num_heads, n, n] → <float32>[num_layers, n, n].
    """
    size = weights.shape[-1]
    mixed = 0.5 * weights.mean(axis=1) + 0.5 * np.eye(size)
    mixed /= mixed.sum(axis=-1, keepdims=True)
    rollout, result = np.eye(size), []
    for layer in mixed:
        rollout = layer @ rollout
        result.append(rollout)
    return np.asarray(result, dtype=np.float32)


def _renormalise(matrices: np.ndarray) -> np.ndarray:
    totals = matrices.sum(axis=-1, keepdims=True)
    return np.asarray(np.divide(matrices, totals, out=np.zeros_like(matrices), where=totals > 0))


def hide_special_tokens(view: AttentionView) -> AttentionView:
    """Drop special-token rows and columns; each remaining row is renormalised to sum to 1.

    Many heads park most of their attention on `<s>` or `</s>` (a "no-op"); hiding them shows how the rest is
    spread over the words.
    """
    keep = np.flatnonzero(~np.asarray(view.special))
    if keep.size == 0:
        return view
    start = view.pair_start

    def kept(matrices: np.ndarray) -> np.ndarray:
        return _renormalise(matrices[..., keep, :][..., keep]).astype(np.float32)

    return replace(
        view,
        tokens=[view.tokens[i] for i in keep],
        special=[False] * keep.size,
        weights=kept(view.weights),
        rollout=kept(view.rollout),
        pair_start=None if start is None else int(np.searchsorted(keep, start)),
    )


def word_of(spans: list[tuple[int, int]], start: int) -> int:
    """The word a piece belongs to: the one holding its first character, or for a whitespace-only piece (RoBERTa's
    bare `Ġ` or a newline) the word it precedes."""
    index = bisect.bisect_right([word_start for word_start, _ in spans], max(start, 0)) - 1
    if index >= 0 and spans[index][0] <= start < spans[index][1]:
        return index
    return min(index + 1, len(spans) - 1)


def word_groups(encoded: Encoded, texts: tuple[str, ...]) -> tuple[list[int], list[str]]:
    """The word index of each position, and each word's text. Words are the input's whitespace-separated words, each
    Chinese character one (so the merged tokens spell them); every special token is a word of its own."""
    spans = [reading_words(text) for text in texts]
    keys: list[tuple[int, int]] = []  # (segment, word); segment -1 for a special token at that position
    for index, ((start, _), segment) in enumerate(zip(encoded.offsets, encoded.segments, strict=True)):
        if segment is None or not spans[segment]:
            keys.append((-1, index))
        else:
            keys.append((segment, word_of(spans[segment], start)))
    order = list(dict.fromkeys(keys))
    words = [
        encoded.tokens[index] if segment == -1 else texts[segment][slice(*spans[segment][index])]
        for segment, index in order
    ]
    position = {key: group for group, key in enumerate(order)}
    return [position[key] for key in keys], words


def merge_word_pieces(view: AttentionView, groups: list[int], words: list[str]) -> AttentionView:
    """Merge BPE pieces into words: attention *to* a word is the sum over its pieces (keys), attention *from* a word
    is the mean over its pieces (queries), so rows still sum to 1."""
    size = len(words)
    membership = np.zeros((len(groups), size), dtype=np.float32)
    membership[np.arange(len(groups)), groups] = 1.0
    average = (membership / membership.sum(axis=0, keepdims=True)).T

    def merge(matrices: np.ndarray) -> np.ndarray:
        return np.asarray(average @ matrices @ membership, dtype=np.float32)

    first = {group: index for index, group in reversed(list(enumerate(groups)))}
    start = view.pair_start
    return replace(
        view,
        tokens=words,
        special=[view.special[first[g]] for g in range(size)],
        weights=merge(view.weights),
        rollout=merge(view.rollout),
        pair_start=None if start is None else groups[start],
    )


def inspect(
    context: TaskContext,
    text: str,
    text_pair: str | None = None,
    checkpoint: str | None = None,
    hide_special: bool = False,
    merge_words: bool = False,
    read_masks: bool = False,
) -> AttentionView:
    """Run `checkpoint` on the text (and optional second sentence) and return its attention, made readable as
    asked. Inputs over the server's `max_attention_tokens` are truncated (the run's `truncation` says so).

    read_masks: mask markers (`<mask>`, `[MASK]`, `___`) become the model's mask token, to see where the model
    looks when it has to guess a word; otherwise they are read as the characters typed.
    """
    text = check_text(text, context.limits)
    pair = check_text(text_pair, context.limits) if text_pair and text_pair.strip() else None
    chosen = context.checkpoint_for("attention", checkpoint)
    limit = context.limits.max_attention_tokens
    forward = functools.partial(_attention_forward, text=text, text_pair=pair, max_tokens=limit, read_masks=read_masks)
    raw = context.apply(chosen, forward)
    view = AttentionView(
        tokens=token_texts(raw.encoded, raw.texts),
        special=raw.encoded.special,
        weights=raw.weights,
        rollout=attention_rollout(raw.weights),
        pair_start=raw.encoded.pair_start,
        run=raw.run,
    )
    if merge_words:
        view = merge_word_pieces(view, *word_groups(raw.encoded, raw.texts))
    return hide_special_tokens(view) if hide_special else view
