"""What the tasks return: plain data (str, float, int, lists and numpy arrays), with no torch in sight.

`viz/` and `ui/` read these and nothing else of the model side. Array shapes are written in the docstrings, as
`<float32>[num_layers, num_heads, num_tokens, num_tokens]`. Each result a program can ask for has one plain-data form,
`plain()` (str, numbers, bools, None, lists and dicts): what the data API and MCP send, whichever protocol asks.
"""

from __future__ import annotations

import base64
import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from roberta_demo.messages import Message, render, say

__all__ = [
    "ATTENTION_ENCODINGS",
    "EMBED_ENCODINGS",
    "AttentionView",
    "BatchSentiment",
    "CandidateScore",
    "ClassScores",
    "Embedding",
    "EntitySpan",
    "Explanation",
    "FillMaskResult",
    "Filler",
    "FineTuned",
    "FormulaCapture",
    "FormulaStep",
    "HeldOutFill",
    "LayerLens",
    "MaskPrediction",
    "MaskedToken",
    "Masking",
    "MaskingDraw",
    "ModelFacts",
    "Neighbour",
    "Neighbours",
    "NerResult",
    "PretrainUpdate",
    "Pretrained",
    "QueryKeyMap",
    "RunInfo",
    "SampledFill",
    "TextSentiment",
    "TrainingUpdate",
    "Truncation",
    "Verdict",
    "WordAttribution",
    "pack_weights",
    "safe_csv",
    "spreadsheet_safe",
    "unpack_weights",
]


@dataclass(frozen=True)
class Truncation:
    """An input cut to the model's limit: only the first `tokens_kept` of `tokens_total` tokens were read."""

    tokens_total: int
    tokens_kept: int

    @property
    def notice(self) -> Message:
        return say(
            "The input is {total} tokens long; the model reads at most {kept}, so only the first {first} tokens were "
            "used.",
            total=f"{self.tokens_total:,}",
            kept=f"{self.tokens_kept:,}",
            first=f"{self.tokens_kept:,}",
        )


@dataclass(frozen=True)
class RunInfo:
    """Which checkpoint answered, where, how fast, and whether the input was cut."""

    checkpoint: str
    device: str
    seconds: float
    truncation: Truncation | None = None

    def plain(self) -> dict[str, Any]:
        """Who answered, where, in how long, and whether the input was cut."""
        cut = self.truncation
        truncation = None if cut is None else {"tokens_total": cut.tokens_total, "tokens_kept": cut.tokens_kept}
        ms = round(self.seconds * 1000, 1)
        return {"checkpoint": self.checkpoint, "device": self.device, "ms": ms, "truncation": truncation}


@dataclass(frozen=True)
class ClassScores:
    """A score for every class, highest first.

    exclusive: the scores are one softmax over the classes (they sum to 1); otherwise each class is scored
    on its own (multi-label), between 0 and 1.
    """

    labels: list[str]
    scores: list[float]
    exclusive: bool
    run: RunInfo

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, float]], exclusive: bool, run: RunInfo) -> ClassScores:
        ranked = sorted(pairs, key=lambda pair: pair[1], reverse=True)
        return cls([label for label, _ in ranked], [float(score) for _, score in ranked], exclusive, run)

    @property
    def top(self) -> str:
        return self.labels[0]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.labels, self.scores, strict=True))

    def plain(self) -> dict[str, Any]:
        return {"labels": self.labels, "scores": self.scores, "multi_label": not self.exclusive, **self.run.plain()}


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
        rows = [
            [row.text, row.label, round(row.score, 4), *(round(row.scores[c], 4) for c in self.classes)]
            for row in self.rows
        ]
        return safe_csv(["text", "label", "score", *self.classes], rows)

    def plain(self) -> dict[str, Any]:
        rows = [
            {"text": r.text, "label": r.label, "score": r.score, "scores": r.scores, "truncated": r.truncated}
            for r in self.rows
        ]
        run = self.run.plain()
        del run["truncation"]  # said of each text instead
        return {"results": rows, "classes": self.classes, "counts": self.label_counts(), **run}


@dataclass(frozen=True)
class EntitySpan:
    """One entity: `text[start:end] == word`, its type (PER, ORG, LOC, MISC, …) and the model's confidence."""

    word: str
    label: str
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class NerResult:
    text: str
    entities: list[EntitySpan]
    labels: list[str]  # every entity type the model knows, for a stable legend
    run: RunInfo

    def above(self, threshold: float) -> list[EntitySpan]:
        return [entity for entity in self.entities if entity.score >= threshold]

    def plain(self, threshold: float = 0.0) -> dict[str, Any]:
        entities = [
            {"word": e.word, "label": e.label, "score": e.score, "start": e.start, "end": e.end}
            for e in self.above(threshold)
        ]
        return {"entities": entities, "types": self.labels, **self.run.plain()}


@dataclass(frozen=True)
class Filler:
    """A word the model would put in a mask.

    token: the vocabulary entry (`Ġcat`: a word that starts after a space); text: what it adds to the sentence;
    sequence: the input with this mask filled by it (any other mask left as it is).
    """

    token: str
    text: str
    score: float
    sequence: str = ""


@dataclass(frozen=True)
class CandidateScore:
    """A word the person asked about, at one mask: the tokens scored for it and their probability.

    pieces: the tokens it takes, in order (one for most words; several for rare ones, scored by the chain rule:
        each piece given the ones before it, the rest still masked).
    rank: among every token of the vocabulary at this mask (1 = the model's first choice); None for several pieces.
    """

    word: str
    pieces: list[str]
    score: float
    rank: int | None


@dataclass(frozen=True)
class LayerLens:
    """What the masked-LM head reads from each layer's output at one mask ("logit lens").

    layers: "embeddings", "layer 1", …, "layer N".
    words: the final top fillers (columns); probabilities: <float32>[num_layers + 1, num_words], each word's
        probability when the head reads that layer. The last row is the model's own prediction.
    top_words / top_scores: the head's first choice at each layer, and its probability.
    """

    layers: list[str]
    words: list[str]
    probabilities: np.ndarray
    top_words: list[str]
    top_scores: list[float]


@dataclass(frozen=True)
class MaskPrediction:
    """One mask: where it is in the text, its most likely fillers (best first), the asked-about words, the lens."""

    start: int
    end: int
    fillers: list[Filler]
    candidates: list[CandidateScore]
    lens: LayerLens | None


@dataclass(frozen=True)
class SampledFill:
    """The text with each mask filled by a word drawn from its distribution: where they went, and what was drawn
    (each filler's `score`: its probability at the temperature)."""

    text: str
    spans: list[tuple[int, int]]
    fillers: list[Filler]

    def plain(self) -> dict[str, Any]:
        return {"text": self.text, "fillers": [{"token": f.token, "score": f.score} for f in self.fillers]}


@dataclass(frozen=True)
class FillMaskResult:
    """Every mask of a text predicted, each on its own (the other masks stay masked).

    text: the input, each mask spelled as the model spells it; filled: the text with each mask's best filler;
    filled_spans: where those fillers are in `filled`; notes: what was read differently from how it was typed.
    """

    text: str
    mask_token: str
    masks: list[MaskPrediction]
    filled: str
    filled_spans: list[tuple[int, int]]
    notes: list[Message]
    run: RunInfo
    temperature: float = 1.0
    samples: list[SampledFill] = field(default_factory=list)

    def plain(self) -> dict[str, Any]:
        masks = [
            {
                "start": mask.start,
                "end": mask.end,
                "predictions": [{"token": f.token, "score": f.score, "sequence": f.sequence} for f in mask.fillers],
                "candidates": [
                    {"word": c.word, "tokens": c.pieces, "score": c.score, "rank": c.rank} for c in mask.candidates
                ],
            }
            for mask in self.masks
        ]
        return {
            "masks": masks,
            "text": self.text,
            "notes": [render(note) for note in self.notes],
            "temperature": self.temperature,
            "samples": [sample.plain() for sample in self.samples],
            **self.run.plain(),
        }


@dataclass(frozen=True)
class AttentionView:
    """Attention of one input, ready to draw.

    tokens: the text of each position (word pieces or merged words; special tokens as the tokenizer spells them).
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
        return int(self.weights.shape[0])

    @property
    def num_heads(self) -> int:
        return int(self.weights.shape[1])

    def head_mean(self) -> np.ndarray:
        """<float32>[num_layers, num_tokens, num_tokens]: the average head of each layer."""
        return np.asarray(self.weights.mean(axis=1), dtype=np.float32)

    def plain(self, layer: int | None = None, head: int | None = None, encoding: str = "auto") -> dict[str, Any]:
        """The tokens and the weights of one head of one layer <[num_tokens, num_tokens]>, every head of a layer
        <[num_heads, n, n]>, one head in every layer <[num_layers, n, n]>, or everything <[num_layers, num_heads, n,
        n]> (`layer` and `head` in range); as nested lists or packed (see `ATTENTION_ENCODINGS`)."""
        weights = self.weights if layer is None else self.weights[layer]
        if head is not None:
            weights = weights[..., head, :, :]
        if encoding == "auto":
            encoding = "float16" if layer is None and head is None else "json"
        sent = (
            np.round(weights.astype(np.float64), WEIGHT_DECIMALS).tolist()
            if encoding == "json"
            else pack_weights(weights, "uint8" if encoding == "uint8" else "float16")
        )
        return {
            "tokens": self.tokens,
            "special": self.special,
            "pair_start": self.pair_start,
            "layers": self.num_layers,
            "heads": self.num_heads,
            "layer": layer,
            "head": head,
            "weights": sent,
            **self.run.plain(),
        }

    def head_statistics(self) -> dict[str, np.ndarray]:
        """Per-head summaries over the whole layer × head grid, each <float32>[num_layers, num_heads].

        entropy: mean entropy of a query's attention, in bits (low: focused heads; high: broad ones).
        special: mean share of attention that goes to special tokens.
        previous: mean share of attention that goes to the previous token.
        """
        weights = self.weights.astype(np.float64)
        entropy = -(weights * np.log2(np.clip(weights, 1e-12, None))).sum(axis=-1).mean(axis=-1)
        special = weights[..., np.asarray(self.special, dtype=bool)].sum(axis=-1).mean(axis=-1)
        size = weights.shape[-1]
        if size > 1:
            previous = weights[..., np.arange(1, size), np.arange(size - 1)].mean(axis=-1)
        else:
            previous = np.zeros(weights.shape[:2])
        statistics = {"entropy": entropy, "special": special, "previous": previous}
        return {name: values.astype(np.float32) for name, values in statistics.items()}


@dataclass(frozen=True)
class Embedding:
    """One vector per text at every layer, from the embeddings (layer 0) to the last, ready to draw.

    texts: the texts that gave a vector (with a word: those that use it), in input order; positions: their places
        among the texts asked for. missing: the texts asked for that gave none (the word is not in them, or only
        after the cut), with their positions.
    word: the word whose vector each text gives (the mean of its pieces, `pieces`, at its first use), or None: each
        text's own vector, by `pooling` ("mean": the mean of its tokens but the special ones; "first": its `<s>`).
    vectors: <float32>[num_layers + 1, num_texts, hidden_size].
    projection: <float32>[num_layers + 1, num_texts, 2 or 3], by `projected_by`: "pca", every layer's vectors in
        the same directions (one PCA of all layers at once, each layer centred and scaled to unit spread first, so a
        point that moves between layers moved among the others, not with the layer's own offset and scale), with
        `explained`, the share of that spread along each direction; or "umap", a UMAP of each layer aligned with the
        next (`explained` empty).
    """

    texts: list[str]
    positions: list[int]
    missing: list[tuple[int, str]]
    word: str | None
    pooling: str
    pieces: list[list[str]]
    vectors: np.ndarray
    projection: np.ndarray
    explained: list[float]
    run: RunInfo
    projected_by: str = "pca"

    @property
    def num_layers(self) -> int:
        """Encoder layers; `vectors` has one more, the embeddings."""
        return int(self.vectors.shape[0]) - 1

    def similarities(self, layer: int) -> np.ndarray:
        """<float32>[num_texts, num_texts]: the cosine similarity of every two vectors at `layer`."""
        vectors = self.vectors[layer].astype(np.float64)
        unit = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return np.asarray(unit @ unit.T, dtype=np.float32)

    def plain(self, layer: int | None = None, encoding: str = "auto") -> dict[str, Any]:
        """The vectors, their cosine similarities and 3-D projection at `layer` (the last when None), as nested
        lists (4 decimals) or packed float16 (see `EMBED_ENCODINGS`)."""
        chosen = self.num_layers if layer is None else layer
        if encoding == "auto":
            encoding = "json" if len(self.texts) <= EMBED_JSON_TEXTS else "float16"
        arrays = {"vectors": self.vectors[chosen], "similarities": self.similarities(chosen)}
        sent = {
            name: np.round(array.astype(np.float64), WEIGHT_DECIMALS).tolist()
            if encoding == "json"
            else pack_weights(array, "float16")
            for name, array in arrays.items()
        }
        return {
            "texts": self.texts,
            "positions": self.positions,
            "missing": [{"position": position, "text": text} for position, text in self.missing],
            "word": self.word,
            "pooling": self.pooling,
            "pieces": self.pieces,
            "layers": self.num_layers,
            "layer": chosen,
            "hidden_size": int(self.vectors.shape[-1]),
            **sent,
            "projection": np.round(self.projection[chosen].astype(np.float64), WEIGHT_DECIMALS).tolist(),
            "projected_by": self.projected_by,
            "explained": [round(share, 4) for share in self.explained],
            **self.run.plain(),
        }


@dataclass(frozen=True)
class Neighbour:
    """A word of a reference text near the query: its text, where it is in it, and its cosine similarity."""

    text: str
    start: int
    end: int
    cosine: float

    @property
    def word(self) -> str:
        return self.text[self.start : self.end]

    def plain(self) -> dict[str, Any]:
        return {"word": self.word, "text": self.text, "start": self.start, "end": self.end, "cosine": self.cosine}


@dataclass(frozen=True)
class Neighbours:
    """The words nearest one word in context, at one layer (exBERT's search "by embedding").

    texts: the visitor's texts; words: every word of them, (text number, start, end): what a person may pick (a
        word of letters, or each Chinese character: a token of Chinese RoBERTa). chosen: the picked one's index.
    reference: where the neighbours were sought, "en" or "zh" (the shipped sentences) or "texts" (the visitor's
        own, the picked word left out), with `searched` words in all. rows: the nearest, the nearest first.
    """

    texts: list[str]
    words: list[tuple[int, int, int]]
    chosen: int
    layer: int
    num_layers: int
    reference: str
    searched: int
    rows: list[Neighbour]
    run: RunInfo

    @property
    def query(self) -> tuple[str, int, int]:
        number, start, end = self.words[self.chosen]
        return self.texts[number], start, end

    def plain(self) -> dict[str, Any]:
        text, start, end = self.query
        return {
            "query": {"word": text[start:end], "text": text, "start": start, "end": end},
            "layer": self.layer,
            "layers": self.num_layers,
            "reference": self.reference,
            "searched": self.searched,
            "neighbours": [row.plain() for row in self.rows],
            **self.run.plain(),
        }


@dataclass(frozen=True)
class QueryKeyMap:
    """One head's queries and keys for every token of a few texts, in one space (AttentionViz, Yeh et al. 2023).

    tokens / owners: each token's text and the number of the text it is in, in order over the texts.
    queries, keys: <float32>[num_tokens, head_size], what the head's query and key projections gave each token.
    weights: for each text, <float32>[n, n], the head's attention weights the model returned, query by key.
    points: <float32>[2 * num_tokens, 2], the queries then the keys, projected together after both were scaled to
        the same spread and the keys moved to the queries' centroid (neither changes any attention weight: see
        `tasks.query_key`), so that a query lies near the keys it attends to. explained: each axis's share.
    """

    texts: list[str]
    tokens: list[str]
    owners: list[int]
    special: list[bool]
    layer: int
    head: int
    num_layers: int
    num_heads: int
    queries: np.ndarray
    keys: np.ndarray
    weights: list[np.ndarray]
    points: np.ndarray
    explained: list[float]
    run: RunInfo

    def positions(self, text: int) -> list[int]:
        """The indices of text number `text`'s tokens among all tokens."""
        return [i for i, owner in enumerate(self.owners) if owner == text]

    def attended(self, query: int, top: int = 3) -> list[tuple[int, float]]:
        """The keys query token `query` gives most weight, (token index, weight), the most first: its own text's."""
        own = self.positions(self.owners[query])
        row = self.weights[self.owners[query]][own.index(query)]
        order = np.argsort(-row, kind="stable")[:top]
        return [(own[int(i)], float(row[i])) for i in order]


@dataclass(frozen=True)
class FormulaCapture:
    """What one layer's self-attention computed on one input, captured from the model as it ran.

    tokens / special: the input's positions, as text, and which are special tokens.
    queries, keys, values: <float32>[num_heads, num_tokens, head_size], each head's q, k and v of every token.
    weights: <float32>[num_heads, num_tokens, num_tokens], the attention weights the model returned.
    outputs: <float32>[num_heads, num_tokens, head_size], what the attention module returned for each head:
        the weighted sum of the values.
    """

    tokens: list[str]
    special: list[bool]
    layer: int
    num_layers: int
    hidden_size: int
    queries: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    outputs: np.ndarray
    run: RunInfo

    @property
    def num_heads(self) -> int:
        return int(self.queries.shape[0])

    @property
    def head_size(self) -> int:
        """d_k: the size of each head's query and key vectors (hidden size / heads)."""
        return int(self.queries.shape[-1])


@dataclass(frozen=True)
class FormulaStep:
    """softmax(q·kᵀ/√d_k)·V for one head and one query token, step by step, beside what the model computed.

    q: <float32>[d_k]; keys, values: <float32>[num_tokens, d_k].
    scores: q·k for each token; scaled: scores / √d_k; weights: their softmax (each <float32>[num_tokens]).
    model_weights: the model's own attention weights for this query; max_difference: the largest gap.
    output: weights · values, <float32>[d_k]; model_output: the attention module's own output for this query.
    contributions: weight × ‖v‖ for each token, <float32>[num_tokens]: how much each adds to the output.
    """

    head: int
    query: int
    d_k: int
    q: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    scores: np.ndarray
    scaled: np.ndarray
    weights: np.ndarray
    model_weights: np.ndarray
    max_difference: float
    output: np.ndarray
    model_output: np.ndarray
    contributions: np.ndarray

    @property
    def top_contributor(self) -> int:
        return int(np.argmax(self.contributions))


@dataclass(frozen=True)
class ModelFacts:
    """A checkpoint's figures, read from its loaded configuration and weights."""

    checkpoint: str
    architecture: str
    layers: int
    heads: int
    hidden_size: int
    head_size: int
    vocabulary: int
    parameters: int
    max_tokens: int


@dataclass(frozen=True)
class WordAttribution:
    """One word of the explained text: `text[start:end] == word`, how much it pushed the explained output up (> 0)
    or down (< 0), its pieces' attributions summed; and the share of attention rollout it gets from the explained
    position (where the model looks, beside why it answers)."""

    word: str
    start: int
    end: int
    attribution: float
    attention: float


@dataclass(frozen=True)
class Explanation:
    """Which words made a model give one output, by gradient attributions on the input embeddings.

    target: what was explained (a class, a zero-shot label, or an entity and its type).
    method: "grad_x_input" or "integrated_gradients".
    delta: for Integrated Gradients, sum of attributions − (f(input) − f(baseline)), which is 0 for exact
        completeness; relative_delta is its size against f(input) − f(baseline). None for Gradient × Input.
    hypothesis: the zero-shot hypothesis read with the text (not scored), or None.
    targets: everything else that could be explained for this text, for a person to pick.
    """

    text: str
    words: list[WordAttribution]
    task: str
    target: str
    method: str
    delta: float | None
    relative_delta: float | None
    hypothesis: str | None
    targets: list[str]
    run: RunInfo

    def plain(self) -> dict[str, Any]:
        words = [{"word": w.word, "start": w.start, "end": w.end, "attribution": w.attribution} for w in self.words]
        return {"words": words, "target": self.target, "method": self.method, "delta": self.delta}


@dataclass(frozen=True)
class Verdict:
    """One example before and after fine-tuning: its true label, and what the model said, with its confidence."""

    text: str
    label: str
    held_out: bool
    before: str
    before_confidence: float
    after: str | None
    after_confidence: float | None

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before


@dataclass(frozen=True)
class TrainingUpdate:
    """Where a fine-tuning run is: after `step` of `steps` optimizer steps.

    losses: the training loss of every step so far; accuracy: (step, on the training examples, on the held-out ones)
    at the start, at intervals and at the end (held-out None when there are none).
    finished: the run is over (all its steps, or stopped by its time limit); stopped: why it ended early, or None.
    """

    step: int
    steps: int
    losses: list[float]
    accuracy: list[tuple[int, float, float | None]]
    seconds: float
    finished: bool = False
    stopped: Message | None = None

    @property
    def steps_per_second(self) -> float:
        return self.step / self.seconds if self.seconds > 0 else 0.0

    def plain(self) -> dict[str, Any]:
        """The progress a stream reports after each step."""
        return {"step": self.step, "steps": self.steps, "losses": self.losses}


@dataclass(frozen=True)
class FineTuned:
    """A finished run: the model held for the visitor's session under `key`, its labels, the verdicts before and
    after, the run's last update, and notes on how the examples were read."""

    key: str
    checkpoint: str
    labels: list[str]
    verdicts: list[Verdict]
    update: TrainingUpdate
    notes: list[Message]

    def plain(self) -> dict[str, Any]:
        """The run's report (the model itself stays on the server)."""
        first, last = self.update.accuracy[0], self.update.accuracy[-1]
        predictions = [
            {
                "text": v.text,
                "label": v.label,
                "held_out": v.held_out,
                "before": v.before,
                "after": v.after,
                "confidence": v.after_confidence,
            }
            for v in self.verdicts
        ]
        return {
            "losses": self.update.losses,
            "accuracy_before": {"train": first[1], "held_out": first[2]},
            "accuracy_after": {"train": last[1], "held_out": last[2]},
            "predictions": predictions,
            "stopped": render(self.update.stopped) if self.update.stopped else None,
        }


MaskKind = Literal["mask", "random", "kept"]


@dataclass(frozen=True)
class MaskedToken:
    """A token pre-training chose to predict, in one draw.

    position: its place in the sequence (special tokens counted); text: the text it covers; given: what the model was
    given in its place (the mask token, a random token, or itself: `kind`); loss: −log P(the original token) there;
    guess: the model's first choice there, and `probability`: what it gives the original token.
    """

    position: int
    text: str
    given: str
    kind: MaskKind
    loss: float
    guess: str
    probability: float


@dataclass(frozen=True)
class MaskingDraw:
    """One epoch's masking of the text: the ids the model was given, the chosen tokens, and the masked-LM loss the
    model gets on them (the mean of their losses; None when the draw chose no token)."""

    epoch: int
    ids: list[int]
    chosen: list[MaskedToken]
    loss: float | None

    def kinds(self) -> Counter[str]:
        return Counter(token.kind for token in self.chosen)


@dataclass(frozen=True)
class Masking:
    """A text masked as pre-training masks it, epoch after epoch.

    pieces: the text each position covers, with the space before it ("" for special tokens); special: which
    positions are special (never chosen); dynamic: a new draw every epoch (RoBERTa) or the first draw reused (BERT's
    static masking); whole_words: whole words chosen at once (Chinese RoBERTa-wwm), else single tokens.
    """

    pieces: list[str]
    special: list[bool]
    dynamic: bool
    whole_words: bool
    probability: float
    draws: list[MaskingDraw]
    run: RunInfo

    def plain(self) -> dict[str, Any]:
        """The tokens, and each epoch's chosen tokens with what the model was given and its loss there."""
        draws = [
            {
                "epoch": draw.epoch,
                "loss": draw.loss,
                "chosen": [
                    {"position": t.position, "token": t.text, "given": t.given, "kind": t.kind, "loss": t.loss}
                    for t in draw.chosen
                ],
            }
            for draw in self.draws
        ]
        kinds = {"dynamic": self.dynamic, "whole_words": self.whole_words, "probability": self.probability}
        return {"tokens": self.pieces, **kinds, "draws": draws, **self.run.plain()}


@dataclass(frozen=True)
class PretrainUpdate:
    """Where a continued pre-training run is: after `step` of `steps`.

    losses: the masked-LM loss of every step's batch (a new masking each time); checks: (step, loss on the
    training part, loss on the held-out part) at the start, at intervals and at the end, each on one fixed masking so
    that they compare. finished, stopped: as in `TrainingUpdate`.
    """

    step: int
    steps: int
    losses: list[float]
    checks: list[tuple[int, float, float]]
    seconds: float
    finished: bool = False
    stopped: Message | None = None

    def plain(self) -> dict[str, Any]:
        """The progress a stream reports after each step."""
        return {"step": self.step, "steps": self.steps, "losses": self.losses}


@dataclass(frozen=True)
class HeldOutFill:
    """A word of the held-out part, masked: the text around it, and the model's first choice there and the
    probability of the word itself, before and after continued pre-training."""

    context: str
    word: str
    before: str
    before_probability: float
    after: str
    after_probability: float


@dataclass(frozen=True)
class Pretrained:
    """A finished continued pre-training run: the model held under `key`, the run's last update, the held-out
    fills before and after, how the text was cut (training and held-out sequences, tokens each), notes."""

    key: str
    checkpoint: str
    update: PretrainUpdate
    fills: list[HeldOutFill]
    sequences: tuple[int, int]
    sequence_tokens: int
    notes: list[Message]

    def plain(self) -> dict[str, Any]:
        """The run's report (the model itself stays on the server)."""
        first, last = self.update.checks[0], self.update.checks[-1]

        def measured(check: tuple[int, float, float]) -> dict[str, float]:
            return {"train_loss": check[1], "held_out_loss": check[2], "held_out_perplexity": perplexity(check[2])}

        fills = [
            {
                "context": f.context,
                "word": f.word,
                "before": f.before,
                "before_probability": f.before_probability,
                "after": f.after,
                "after_probability": f.after_probability,
            }
            for f in self.fills
        ]
        return {
            "losses": self.update.losses,
            "before": measured(first),
            "after": measured(last),
            "fills": fills,
            "sequences": {"train": self.sequences[0], "held_out": self.sequences[1], "tokens": self.sequence_tokens},
            "stopped": render(self.update.stopped) if self.update.stopped else None,
        }


@dataclass(frozen=True)
class Tokenized:
    """A text as the model reads it: each position's characters (`token_texts`), token id and tokenizer spelling,
    and the vocabulary those ids come from."""

    pieces: list[str]
    ids: list[int]
    spellings: list[str]
    special: list[bool]
    vocabulary: int
    run: RunInfo


@dataclass(frozen=True)
class TokenVectors:
    """Every token of one text at every layer, summed up: the length of its vector, and its cosine with the vector
    it started from (layer 0: the looked-up embedding plus position), which falls as the layers mix in context.

    norms, drift: <float32>[num_layers + 1, num_tokens].
    """

    tokens: list[str]
    norms: np.ndarray
    drift: np.ndarray
    hidden_size: int
    run: RunInfo

    @property
    def num_layers(self) -> int:
        return int(self.norms.shape[0]) - 1


@dataclass(frozen=True)
class StepCost:
    """One pre-training step measured on this server: `batch` sequences of `tokens` tokens through forward,
    backward and AdamW on a copy of `checkpoint`; seconds in all and by phase (`finetune.training_step`'s laps)."""

    checkpoint: str
    device: str
    batch: int
    tokens: int
    parameters: int
    seconds: float
    laps: dict[str, float]

    @property
    def tokens_per_second(self) -> float:
        return self.batch * self.tokens / self.seconds if self.seconds > 0 else 0.0


def perplexity(loss: float) -> float:
    """exp(loss), the masked-LM loss as "how many tokens the model is choosing between"; capped for an untrained
    model's huge losses, which would overflow."""
    return float(np.exp(min(loss, 50.0)))


# A cell a spreadsheet reads as a formula begins with one of these (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: Any) -> Any:
    """A cell that a spreadsheet shows as it is written: text that would start a formula gets a leading single quote
    (OWASP's rule), which spreadsheets read as "this is text" and do not display; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def safe_csv(headers: list[str], rows: list[list[Any]]) -> str:
    """A CSV table in which no cell, header included, is a live formula when a spreadsheet opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(name) for name in headers])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue()


Packing = Literal["float16", "uint8"]
# How attention weights go out (`AttentionView.plain`). "auto": nested lists for one layer or one head (a few thousand
# numbers any client reads as they are), float16 packed for every layer and head at once, where lists would be four
# times the bytes and most of the call's time (18.7 MB and 2.4-5.8 x the forward pass at roberta-base's 144 heads and
# 128 tokens, against 6.3 MB packed). float16 keeps each weight to float16's precision; uint8 (1/255 steps, what a
# drawing can show, the page's own encoding) halves it again.
ATTENTION_ENCODINGS = ("auto", "json", "float16", "uint8")
WEIGHT_DECIMALS = 4  # weights as lists: enough to tell heads apart, a third of the bytes of full floats
# How vectors go out (`Embedding.plain`): lists for a few texts, float16 packed past them (500 texts of roberta-base
# are 384,000 numbers).
EMBED_ENCODINGS = ("auto", "json", "float16")
EMBED_JSON_TEXTS = 32
# The array type of each packing (float16 little-endian; uint8 in steps of 1/255), sent as base64 of its raw bytes.
_PACKED_DTYPE = {"float16": "<f2", "uint8": "u1"}


def pack_weights(weights: np.ndarray, packing: Packing) -> dict[str, Any]:
    """Attention weights as a few JSON fields: {"packing", "dtype", "shape", "scale", "base64"}; the value of each
    element is the stored number times `scale`. `unpack_weights` (or three lines of numpy) reads it back."""
    if packing == "uint8":
        stored, scale = np.clip(np.rint(weights * 255), 0, 255).astype(np.uint8), 1 / 255
    else:
        stored, scale = weights.astype(_PACKED_DTYPE[packing]), 1.0
    return {
        "packing": packing,
        "dtype": _PACKED_DTYPE[packing],
        "shape": list(stored.shape),
        "scale": scale,
        "base64": base64.b64encode(stored.tobytes()).decode("ascii"),
    }


def unpack_weights(packed: dict[str, Any]) -> np.ndarray:
    """<float32>[shape]: the weights `pack_weights` packed."""
    stored = np.frombuffer(base64.b64decode(packed["base64"]), dtype=packed["dtype"]).reshape(packed["shape"])
    return stored.astype(np.float32) * np.float32(packed["scale"])
