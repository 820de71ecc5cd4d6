"""A checkpoint's real figures (layers, heads, sizes, parameters), read from the loaded model, for the explainer."""

from __future__ import annotations

from roberta_demo.backend import LoadedModel
from roberta_demo.results import ModelFacts
from roberta_demo.tasks.common import TaskContext

__all__ = ["describe"]


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
