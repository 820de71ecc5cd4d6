"""Tiny RoBERTa classifiers with planted weights, so a test knows the right answer in advance.

The construction keeps the real architecture and loading path and makes the arithmetic exact enough to reason
about: all embeddings are zero except the planted words', each of which points along its label's axis (and one
constant position vector on an axis of its own); queries
and keys are zero, so attention is uniform; feed-forward outputs are zero, so each layer passes its input on
through LayerNorm. A sequence classifier then reads the mean of the planted words at `<s>`; a token
classifier (no value mixing) reads each token's own planted label. Every other token is labelled `O`. A masked
language model with every weight zero predicts the softmax of its head's bias, the same at every position.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch
from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
)

from roberta_demo.backend import Backend
from roberta_demo.loading import building
from roberta_demo.profiles import Profile, TaskModels

SCALE = 10.0

SENTIMENT_WORDS = {"great": "positive", "cold": "negative", "nothing": "neutral"}
EMOTION_WORDS = {"disgust": "disgust", "happ": "joy"}
NLI_WORDS = {"sports": "entailment", "business": "contradiction"}
TOPIC_WORDS = {"sports": "sports", "music": "music"}
NER_WORDS = {"Paris": "LOC", "Obama": "PER", "United": "ORG"}
# The inspected base model: each word on an axis of its own, so that a word's vector after a layer is its own axis
# plus the mean of its text's (uniform attention): "cold" beside "music" and beside "sports" part from layer 1 on.
SENSE_WORDS = {"cold": 0, "music": 1, "sports": 2}
# The masked LM's logits: "good" is its first choice everywhere; "he" after a space (Ġhe) is likelier than at the
# start of a text (he).
MLM_LOGITS = {"Ġgood": 9.0, "Ġthe": 7.0, "Ġhe": 5.0, "he": 2.0}


def single_token_id(tokenizer, word: str) -> int:
    """The id of ` word` (word-initial form); the planted words are chosen to be one BPE piece."""
    ids = tokenizer(" " + word, add_special_tokens=False)["input_ids"]
    assert len(ids) == 1, f"{word!r} is {tokenizer.convert_ids_to_tokens(ids)} in the tiny vocabulary; pick another"
    return ids[0]


def first_piece_id(tokenizer, word: str) -> int:
    return tokenizer(" " + word, add_special_tokens=False)["input_ids"][0]


def _identity(linear: torch.nn.Linear) -> None:
    linear.weight.copy_(torch.eye(linear.weight.shape[0], linear.weight.shape[1]))


@torch.no_grad()
def _plant_encoder(model, token_axes: dict[int, int], mix: bool) -> None:
    for parameter in model.parameters():
        parameter.zero_()
    for module in model.modules():
        if isinstance(module, torch.nn.LayerNorm):
            module.weight.fill_(1.0)
    for token_id, axis in token_axes.items():
        model.base_model.embeddings.word_embeddings.weight[token_id, axis] = SCALE
    # Every position adds the same unit vector on the last axis (no label's): without it each token's embedding would
    # be the only thing LayerNorm sees, and LayerNorm ignores scale, which leaves gradient attributions nothing to do.
    model.base_model.embeddings.position_embeddings.weight[:, -1] = 0.1
    for layer in model.base_model.encoder.layer:
        if mix:  # uniform attention that averages every token's vector into every position
            _identity(layer.attention.self.value)
            _identity(layer.attention.output.dense)


@torch.no_grad()
def plant_sequence_classifier(source: Path, out: Path, words: dict[str, str]) -> Path:
    """Save a copy of `source` whose prediction is the label of the planted word in the text."""
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForSequenceClassification.from_pretrained(source)
    label2id = model.config.label2id
    _plant_encoder(model, {single_token_id(tokenizer, w): label2id[label] for w, label in words.items()}, mix=True)
    _identity(model.classifier.dense)
    for label_id in range(model.config.num_labels):
        model.classifier.out_proj.weight[label_id, label_id] = 2 * SCALE
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@torch.no_grad()
def plant_base_model(source: Path, out: Path, axes: dict[str, int]) -> Path:
    """Save a copy of `source`'s encoder whose vectors are known: each planted word on its axis, every layer the mean
    of the text added to each token (then LayerNorm)."""
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source)
    _plant_encoder(model, {single_token_id(tokenizer, w): axis for w, axis in axes.items()}, mix=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@torch.no_grad()
def plant_token_classifier(source: Path, out: Path, words: dict[str, str]) -> Path:
    """Save a copy of `source` that tags the first piece of each planted word with its label, all else `O`."""
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForTokenClassification.from_pretrained(source)
    label2id = model.config.label2id
    _plant_encoder(model, {first_piece_id(tokenizer, w): label2id[label] for w, label in words.items()}, mix=False)
    for label_id in range(model.config.num_labels):
        model.classifier.weight[label_id, label_id] = SCALE
    model.classifier.bias[label2id["O"]] = 5.0
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@torch.no_grad()
def plant_masked_lm(source: Path, out: Path, logits: dict[str, float]) -> Path:
    """Save a copy of `source` that predicts the same distribution at every position: softmax of `logits` (token →
    logit; every other token 0), so each prediction's probability is known exactly.

    Every weight is zero, so every hidden state is zero and the head's output is its bias alone.
    """
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForMaskedLM.from_pretrained(source)
    for parameter in model.parameters():
        parameter.zero_()
    for module in model.modules():
        if isinstance(module, torch.nn.LayerNorm):
            module.weight.fill_(1.0)
    for token, logit in logits.items():
        model.lm_head.bias[tokenizer.convert_tokens_to_ids(token)] = logit
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def planted_probabilities(vocab_size: int, logits: dict[int, float]) -> dict[int, float]:
    """The probability of each planted token id, and of any other token (key -1), under `plant_masked_lm`."""
    total = (vocab_size - len(logits)) + sum(math.exp(logit) for logit in logits.values())
    return {**{token: math.exp(logit) / total for token, logit in logits.items()}, -1: 1 / total}


def planted_backend(profile: Profile, root: Path) -> Backend:
    """A backend whose tasks run on planted copies of `profile`'s tiny checkpoints, saved under `root`."""

    def source(task: str) -> str:
        return profile.location(profile.models(task).checkpoints[0])

    with building():  # alone in the process, as every model build (the session's app may be loading meanwhile)
        checkpoints = _plant_all(source, root)
    tasks = dict(profile.tasks)
    for task, path in checkpoints.items():
        tasks[task] = TaskModels(task, (str(path),))
    return Backend(replace(profile, name="planted", tasks=tasks), "cpu")


def _plant_all(source: Callable[[str], str], root: Path) -> dict[str, Path]:
    return {
        "sentiment": plant_sequence_classifier(source("sentiment"), root / "sentiment", SENTIMENT_WORDS),
        "emotion": plant_sequence_classifier(source("emotion"), root / "emotion", EMOTION_WORDS),
        "zero_shot": plant_sequence_classifier(source("zero_shot"), root / "nli", NLI_WORDS),
        "topic": plant_sequence_classifier(source("topic"), root / "topic", TOPIC_WORDS),
        "ner": plant_token_classifier(source("ner"), root / "ner", NER_WORDS),
        "fill_mask": plant_masked_lm(source("fill_mask"), root / "mlm", MLM_LOGITS),
        "attention": plant_base_model(source("attention"), root / "base", SENSE_WORDS),
    }
