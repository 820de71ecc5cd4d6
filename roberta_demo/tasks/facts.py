"""A checkpoint's real figures (layers, heads, sizes, parameters), read from the loaded model, and a text as its
tokenizer cuts it: for the tour's first steps."""

from __future__ import annotations

import functools

from roberta_demo.backend import LoadedModel
from roberta_demo.results import ModelFacts, RunInfo, Tokenized, Truncation
from roberta_demo.tasks.attention import token_texts
from roberta_demo.tasks.common import TaskContext, check_text
from roberta_demo.tasks.encoding import encode

__all__ = ["describe", "tokenize"]


def _facts(model: LoadedModel) -> ModelFacts:
    config = model.model.config
    return ModelFacts(
        checkpoint=model.checkpoint,
        architecture=type(model.model).__name__,
        layers=int(config.num_hidden_layers),
        heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size),
        head_size=int(config.hidden_size // config.num_attention_heads),
        vocabulary=len(model.tokenizer),
        parameters=sum(parameter.numel() for parameter in model.model.parameters()),
        max_tokens=model.max_tokens,
    )


def describe(context: TaskContext, checkpoint: str | None = None) -> ModelFacts:
    """The figures of the checkpoint the attention views inspect (by default), read from the loaded model."""
    return context.apply(context.checkpoint_for("attention", checkpoint), _facts)


def tokenize(context: TaskContext, text: str, checkpoint: str | None = None) -> Tokenized:
    """`text` as the model the attention views inspect reads it (cut at the attention limit of tokens): no forward
    pass, the tokenizer alone."""
    text = check_text(text, context.limits)
    reader = functools.partial(_tokenized, text=text, max_tokens=context.limits.max_attention_tokens)
    return context.apply(context.checkpoint_for("attention", checkpoint), reader)


def _tokenized(model: LoadedModel, text: str, max_tokens: int) -> Tokenized:
    encoded, _ = encode(model.tokenizer, text, None, min(max_tokens, model.max_tokens))
    truncation = Truncation(encoded.total, len(encoded.ids)) if encoded.truncated else None
    run = RunInfo(model.checkpoint, model.device, 0.0, truncation)
    pieces = token_texts(encoded, (text,))
    return Tokenized(pieces, encoded.ids, encoded.tokens, encoded.special, len(model.tokenizer), run)
