"""Attention(Q, K, V) = softmax(QKᵀ/√d_k)V, computed live: the q, k and v a layer really produced, captured by forward
hooks on its attention module while the model runs (nothing of RoBERTa is re-implemented here), and the formula's
steps recomputed from them beside the weights and output the model returned.

The hooks record only the forward pass of the thread that set them (a concurrent request on the same shared model
runs in another thread) and are removed as soon as that pass is over.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from roberta_demo.backend import LoadedModel
from roberta_demo.errors import InputError
from roberta_demo.messages import say
from roberta_demo.results import FormulaCapture, FormulaStep
from roberta_demo.tasks.attention import token_texts
from roberta_demo.tasks.common import TaskContext, check_text
from roberta_demo.tasks.encoding import encode

__all__ = ["capture", "capture_layer", "recording", "self_attention", "step"]


def self_attention(model: Any, layer: int) -> Any:
    """The self-attention module of encoder layer `layer` (RoBERTa's and BERT's `encoder.layer[i].attention.self`),
    with its `query`, `key` and `value` projections."""
    layers = model.base_model.encoder.layer
    if not 0 <= layer < len(layers):
        raise InputError(
            say("Choose a layer from 0 to {last}; this model has {count}.", last=len(layers) - 1, count=len(layers))
        )
    return layers[layer].attention.self


@contextmanager
def recording(modules: Mapping[str, torch.nn.Module]) -> Iterator[dict[str, Any]]:
    """Each module's output during the calling thread's forward passes, by name; the hooks go when the block ends."""
    owner, seen = threading.get_ident(), {}

    def recorder(name: str) -> Any:
        def record(module: torch.nn.Module, args: Any, output: Any) -> None:
            if threading.get_ident() == owner:
                seen[name] = output

        return record

    handles = [module.register_forward_hook(recorder(name)) for name, module in modules.items()]
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()


def _per_head(tensor: torch.Tensor, heads: int) -> np.ndarray:
    """<[1, num_tokens, hidden]> → <float32>[num_heads, num_tokens, head_size]."""
    tokens = tensor.shape[1]
    return tensor[0].view(tokens, heads, -1).transpose(0, 1).float().cpu().numpy()


def capture_layer(
    model: LoadedModel, text: str, text_pair: str | None, max_tokens: int, read_masks: bool, layer: int
) -> FormulaCapture:
    """Layer `layer`'s q, k, v, weights and outputs on the text, from hooks on its attention module."""
    encoded, texts = encode(model.tokenizer, text, text_pair, min(max_tokens, model.max_tokens), read_masks)
    attention = self_attention(model.model, layer)
    heads = attention.num_attention_heads
    projections = {"query": attention.query, "key": attention.key, "value": attention.value, "attention": attention}
    with recording(projections) as seen:
        _, run = model.run(
            encoded.model_inputs(model.tokenizer), lambda inputs: model.model.base_model(**inputs), attentions=True
        )
    output, weights = seen["attention"][:2]
    config = model.model.config
    return FormulaCapture(
        tokens=token_texts(encoded, tuple(t.text for t in texts)),
        special=encoded.special,
        layer=layer,
        num_layers=int(config.num_hidden_layers),
        hidden_size=int(config.hidden_size),
        queries=_per_head(seen["query"], heads),
        keys=_per_head(seen["key"], heads),
        values=_per_head(seen["value"], heads),
        weights=weights[0].float().cpu().numpy(),
        outputs=_per_head(output, heads),
        run=run,
    )


def capture(
    context: TaskContext,
    text: str,
    text_pair: str | None = None,
    checkpoint: str | None = None,
    layer: int = 0,
    read_masks: bool = False,
) -> FormulaCapture:
    """Run `checkpoint` once on the text and capture layer `layer`'s q, k, v, attention weights and outputs."""
    text = check_text(text, context.limits)
    pair = check_text(text_pair, context.limits) if text_pair and text_pair.strip() else None
    chosen = context.checkpoint_for("attention", checkpoint)
    limit = context.limits.max_attention_tokens
    run = functools.partial(
        capture_layer, text=text, text_pair=pair, max_tokens=limit, read_masks=read_masks, layer=int(layer)
    )
    return context.apply(chosen, run)


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return np.asarray(shifted / shifted.sum())


def step(captured: FormulaCapture, head: int, query: int) -> FormulaStep:
    """The formula for one head and one query token, from the captured q and k, beside the model's own numbers."""
    if not 0 <= head < captured.num_heads:
        raise InputError(say("Choose a head from 0 to {last}.", last=captured.num_heads - 1))
    if not 0 <= query < len(captured.tokens):
        raise InputError(say("Choose a query token from 0 to {last}.", last=len(captured.tokens) - 1))
    q, keys, values = captured.queries[head, query], captured.keys[head], captured.values[head]
    scores = keys.astype(np.float64) @ q.astype(np.float64)
    scaled = scores / np.sqrt(captured.head_size)
    weights = _softmax(scaled)
    model_weights = captured.weights[head, query]
    return FormulaStep(
        head=head,
        query=query,
        d_k=captured.head_size,
        q=q,
        keys=keys,
        values=values,
        scores=scores.astype(np.float32),
        scaled=scaled.astype(np.float32),
        weights=weights.astype(np.float32),
        model_weights=model_weights,
        max_difference=float(np.abs(weights - model_weights).max()),
        output=(weights @ values.astype(np.float64)).astype(np.float32),
        model_output=captured.outputs[head, query],
        contributions=(weights * np.linalg.norm(values, axis=1)).astype(np.float32),
    )
