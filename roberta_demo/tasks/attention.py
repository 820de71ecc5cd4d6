"""Self-attention of a RoBERTa checkpoint: per head, averaged over heads, rolled out across layers.

Every matrix here is row-stochastic: row i (a query token) says how token i spreads its attention over the key
tokens, softmax(QKᵀ/√d_k), and sums to 1. The readable views (special tokens hidden, BPE pieces merged into
words) keep that property, so a row can always be read as "where this token looks".
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

import numpy as np

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.tasks.common import RunInfo, check_text

__all__ = [
    "AttentionView",
    "attention_rollout",
    "head_statistics",
    "hide_special_tokens",
    "inspect",
    "merge_word_pieces",
    "pair_start",
    "word_groups",
]

SPECIAL_TOKENS = frozenset({"<s>", "</s>", "<pad>", "<mask>", "<unk>"})


@dataclass(frozen=True)
class AttentionView:
    """Attention of one input, ready to draw.

    tokens: the text of each position (word pieces or merged words; special tokens as `<s>`, `</s>`).
    special: <bool>[num_tokens], True where a position is a special token.
    weights: <float32>[num_layers, num_heads, num_tokens, num_tokens], rows sum to 1.
    rollout: <float32>[num_layers, num_tokens, num_tokens], attention rollout up to each layer; rows sum to 1.
    pair_start: index of the second sentence's first position, or None for a single text.
    """

    tokens: list[str]
    special: list[bool]
    weights: np.ndarray
    rollout: np.ndarray
    pair_start: int | None
    run: RunInfo

    @property
    def num_layers(self) -> int:
        return self.weights.shape[0]

    @property
    def num_heads(self) -> int:
        return self.weights.shape[1]

    def head_mean(self) -> np.ndarray:
        """<float32>[num_layers, num_tokens, num_tokens]: the average head of each layer."""
        return self.weights.mean(axis=1)


def pair_start(raw_tokens: list[str]) -> int | None:
    """Where the second sentence begins: after RoBERTa's `</s></s>` separator (it has no token type ids)."""
    for index in range(1, len(raw_tokens) - 1):
        if raw_tokens[index] == "</s>" and raw_tokens[index + 1] == "</s>":
            return index + 2
    return None


def _segments(raw_tokens: list[str]) -> list[int]:
    """0 for positions of the first text, 1 for the second (after `</s></s>`)."""
    start = pair_start(raw_tokens)
    return [0 if start is None or index < start else 1 for index in range(len(raw_tokens))]


def _token_texts(raw_tokens: list[str], offsets: list[tuple[int, int]], texts: tuple[str, str]) -> list[str]:
    """Each position as the characters it covers in the input (so `Ġ` and byte-level escapes disappear)."""
    shown = []
    for token, (start, end), segment in zip(raw_tokens, offsets, _segments(raw_tokens)):
        piece = texts[segment][start:end]
        if token in SPECIAL_TOKENS:
            shown.append(token)
        elif piece.strip():
            shown.append(piece)
        else:  # RoBERTa's bare space marker `Ġ` or a newline piece: visible, not blank
            shown.append("⏎" if "\n" in piece else "␣")
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
    return np.divide(matrices, totals, out=np.zeros_like(matrices), where=totals > 0)


def hide_special_tokens(view: AttentionView) -> AttentionView:
    """Drop `<s>`/`</s>` rows and columns; each remaining row is renormalised to sum to 1.

    Many heads park most of their attention on `<s>` or `</s>` (a "no-op"); hiding them shows how the rest is
    spread over the words.
    """
    keep = np.flatnonzero(~np.asarray(view.special))
    if keep.size == 0:
        return view
    select = np.ix_(keep, keep)
    start = view.pair_start
    return replace(
        view,
        tokens=[view.tokens[i] for i in keep],
        special=[False] * keep.size,
        weights=_renormalise(view.weights[(..., *select)]).astype(np.float32),
        rollout=_renormalise(view.rollout[(..., *select)]).astype(np.float32),
        pair_start=None if start is None else int(np.searchsorted(keep, start)),
    )


def _word_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in re.finditer(r"\S+", text)]


def _word_of(spans: list[tuple[int, int]], start: int, end: int) -> int:
    """The word a piece belongs to: the one holding its first character, or for a whitespace-only piece (RoBERTa's
    bare `Ġ` or a newline) the word it precedes."""
    index = bisect.bisect_right([word_start for word_start, _ in spans], max(start, 0)) - 1
    if index >= 0 and spans[index][0] <= start < spans[index][1]:
        return index
    return min(index + 1, len(spans) - 1)


def word_groups(
    raw_tokens: list[str], offsets: list[tuple[int, int]], texts: tuple[str, str]
) -> tuple[list[int], list[str]]:
    """The word index of each position, and each word's text. Words are the input's whitespace-separated words
    (so the merged tokens spell them); every special token is a word of its own."""
    spans = [_word_spans(text) for text in texts]
    keys: list[tuple] = []
    for index, (token, (start, end), segment) in enumerate(zip(raw_tokens, offsets, _segments(raw_tokens))):
        if token in SPECIAL_TOKENS or not spans[segment]:
            keys.append(("special", index))
        else:
            keys.append((segment, _word_of(spans[segment], start, end)))
    order = list(dict.fromkeys(keys))
    words = [raw_tokens[key[1]] if key[0] == "special" else texts[key[0]][slice(*spans[key[0]][key[1]])]
             for key in order]  # fmt: skip
    position = {key: group for group, key in enumerate(order)}
    return [position[key] for key in keys], words


def merge_word_pieces(view: AttentionView, groups: list[int], words: list[str]) -> AttentionView:
    """Merge BPE pieces into words: attention *to* a word is the sum over its pieces (keys), attention *from* a word
    is the mean over its pieces (queries), so rows still sum to 1."""
    size = len(words)
    membership = np.zeros((len(groups), size), dtype=np.float32)
    membership[np.arange(len(groups)), groups] = 1.0
    average = (membership / membership.sum(axis=0, keepdims=True)).T
    merge = lambda matrices: (average @ matrices @ membership).astype(np.float32)  # noqa: E731
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


def head_statistics(view: AttentionView) -> dict[str, np.ndarray]:
    """Per-head summaries over the whole layer × head grid, each <float32>[num_layers, num_heads].

    entropy: mean entropy of a query's attention, in bits (low: focused heads; high: broad ones).
    special: mean share of attention that goes to `<s>`/`</s>`.
    previous: mean share of attention that goes to the previous token.
    """
    weights = view.weights.astype(np.float64)
    entropy = -(weights * np.log2(np.clip(weights, 1e-12, None))).sum(axis=-1).mean(axis=-1)
    special = weights[..., np.asarray(view.special, dtype=bool)].sum(axis=-1).mean(axis=-1)
    size = weights.shape[-1]
    previous = (
        weights[..., np.arange(1, size), np.arange(size - 1)].mean(axis=-1) if size > 1 else np.zeros(weights.shape[:2])
    )
    return {name: values.astype(np.float32) for name, values in
            {"entropy": entropy, "special": special, "previous": previous}.items()}  # fmt: skip


def inspect(
    backend: Backend,
    text: str,
    text_pair: str | None = None,
    checkpoint: str | None = None,
    hide_special: bool = False,
    merge_words: bool = False,
    limits: Limits = Limits(),
) -> AttentionView:
    """Run `checkpoint` on the text (and optional second sentence) and return its attention, made readable as
    asked. Inputs over `limits.max_attention_tokens` are truncated (the run's `truncation` says so)."""
    text = check_text(text, limits.max_chars)
    pair = check_text(text_pair, limits.max_chars) if text_pair and text_pair.strip() else None
    raw = backend.attention(text, pair, checkpoint, limits.max_attention_tokens)
    texts = (text, pair or "")
    view = AttentionView(
        tokens=_token_texts(raw.tokens, raw.offsets, texts),
        special=[token in SPECIAL_TOKENS for token in raw.tokens],
        weights=raw.weights,
        rollout=attention_rollout(raw.weights),
        pair_start=pair_start(raw.tokens),
        run=RunInfo(raw.checkpoint, raw.device, raw.seconds, raw.truncation),
    )
    if merge_words:
        view = merge_word_pieces(view, *word_groups(raw.tokens, raw.offsets, texts))
    return hide_special_tokens(view) if hide_special else view
