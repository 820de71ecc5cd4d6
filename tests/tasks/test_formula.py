"""The attention formula on a tiny checkpoint: captured by hooks, recomputed, checked against the model."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from roberta_demo.errors import InputError
from roberta_demo.tasks import facts, formula
from roberta_demo.tasks.encoding import encode
from tests.waiting import HANG

TEXT = "The animal didn't cross the street because it was too tired."


@pytest.fixture(scope="module")
def captured(context):
    return formula.capture(context, TEXT, layer=2)


def _model(backend):
    """The attention checkpoint in this process (the same files the context's engine loads)."""
    return backend.model(backend.checkpoint_for("attention"))


def test_captured_vectors_have_the_configured_shapes(backend, context, captured):
    config = _model(backend).model.config
    heads, d_k = config.num_attention_heads, config.hidden_size // config.num_attention_heads
    tokens = len(captured.tokens)
    for array in (captured.queries, captured.keys, captured.values, captured.outputs):
        assert array.shape == (heads, tokens, d_k)
    assert captured.weights.shape == (heads, tokens, tokens)
    assert (captured.head_size, captured.num_heads, captured.layer) == (d_k, heads, 2)
    assert captured.tokens[0] == "<s>" and captured.special[0] and not captured.special[1]


def test_the_softmax_of_q_and_k_is_the_models_attention_for_every_head_and_query(captured):
    for head in range(captured.num_heads):
        for query in range(len(captured.tokens)):
            step = formula.step(captured, head, query)
            assert step.max_difference <= 1e-5
            np.testing.assert_allclose(step.scaled, step.scores / np.sqrt(captured.head_size), rtol=1e-5)
            np.testing.assert_allclose(step.output, step.model_output, atol=1e-5)
            assert step.weights.sum() == pytest.approx(1.0, abs=1e-5)


def test_the_top_contributor_is_the_largest_weight_times_value_norm(captured):
    step = formula.step(captured, 1, 3)
    expected = step.weights * np.linalg.norm(step.values, axis=1)
    np.testing.assert_allclose(step.contributions, expected, rtol=1e-5)
    assert step.top_contributor == int(np.argmax(expected))


def test_the_attention_weights_match_the_attention_views(backend, context, captured):
    model = _model(backend)
    encoded, _ = encode(model.tokenizer, TEXT, None, 128)
    inputs = {name: torch.tensor(value) for name, value in encoded.model_inputs(model.tokenizer).items()}
    with model.eager_attention(), torch.inference_mode():
        attentions = model.model(**inputs, output_attentions=True).attentions
    np.testing.assert_allclose(captured.weights, attentions[2][0].numpy(), atol=1e-6)


def _hooks(model) -> set[int]:
    """Every forward hook on the model (transformers installs some of its own, to record outputs)."""
    return {id(hook) for module in model.model.modules() for hook in module._forward_hooks.values()}


def test_the_hooks_are_gone_after_the_call_and_the_numbers_repeat(backend, context, captured):
    model = _model(backend)
    before = _hooks(model)
    again = formula.capture(context, TEXT, layer=2)
    assert _hooks(model) == before
    np.testing.assert_array_equal(again.queries, captured.queries)
    np.testing.assert_array_equal(again.weights, captured.weights)


def test_hooks_record_only_the_thread_that_set_them(backend):
    model = _model(backend)
    attention = formula.self_attention(model.model, 0)
    inputs = model.tokenizer("another request", return_tensors="pt")
    with formula.recording({"query": attention.query}) as seen, torch.inference_mode():
        other = threading.Thread(target=lambda: model.model(**inputs))
        other.start()
        other.join(timeout=HANG)
        assert seen == {}  # a concurrent request on the same model is not captured
        model.model(**inputs)
        assert set(seen) == {"query"}
    assert not attention.query._forward_hooks  # a projection transformers itself never hooks


def test_a_masked_word_is_captured_as_the_mask_token(context):
    masked = formula.capture(context, "The animal was <mask>.", layer=0, read_masks=True)
    assert masked.tokens.count("<mask>") == 1


@pytest.mark.parametrize(("head", "query", "message"), [(99, 1, "head from 0 to 3"), (0, 999, "query token from 0")])
def test_out_of_range_choices_get_clear_messages(captured, head, query, message):
    with pytest.raises(InputError, match=message):
        formula.step(captured, head, query)


def test_a_layer_out_of_range_gets_a_clear_message(context):
    with pytest.raises(InputError, match="layer from 0 to 3"):
        formula.capture(context, TEXT, layer=7)


def test_the_models_figures_are_read_from_the_loaded_model(backend, context):
    described = facts.describe(context)
    model = _model(backend)
    assert (described.layers, described.heads, described.hidden_size) == (4, 4, 64)
    assert described.head_size == 16 and described.vocabulary == len(model.tokenizer)
    assert described.parameters == sum(p.numel() for p in model.model.parameters())
