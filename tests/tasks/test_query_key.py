"""One head's queries and keys on the tiny checkpoints: the layer's own projections, moved and scaled without
changing a single attention weight, projected together."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from roberta_demo.errors import InputError
from roberta_demo.tasks import query_key

TEXTS = ["The bank raised its rates.", "We sat on the river bank."]


@pytest.fixture(scope="module")
def drawn(context):
    return query_key.query_key_map(context, TEXTS, layer=1, head=1)


def test_q_and_k_are_the_layers_own_projections_of_its_input(backend, drawn):
    """Recomputed here from the layer's input (the previous layer's hidden state) and its query and key weights."""
    model = backend.model(backend.checkpoint_for("attention")).model
    attention = model.base_model.encoder.layer[1].attention.self
    size = attention.attention_head_size
    for number, text in enumerate(TEXTS):
        inputs = backend.model(backend.checkpoint_for("attention")).tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            before = model.base_model(**inputs, output_hidden_states=True).hidden_states[1][0]
            q = attention.query(before)[:, size : 2 * size].numpy()
            k = attention.key(before)[:, size : 2 * size].numpy()
        own = drawn.positions(number)
        np.testing.assert_allclose(drawn.queries[own], q, atol=1e-5)
        np.testing.assert_allclose(drawn.keys[own], k, atol=1e-5)


def test_moving_and_scaling_changes_no_attention_weight(drawn):
    queries, keys = query_key.aligned(drawn.queries.astype(np.float64), drawn.keys.astype(np.float64))
    np.testing.assert_allclose(keys.mean(axis=0), queries.mean(axis=0), atol=1e-9)
    for number, weights in enumerate(drawn.weights):
        own = drawn.positions(number)
        scores = queries[own] @ keys[own].T / np.sqrt(drawn.queries.shape[1])
        softmax = np.exp(scores - scores.max(axis=1, keepdims=True))
        np.testing.assert_allclose(softmax / softmax.sum(axis=1, keepdims=True), weights, atol=1e-5)


def test_keys_far_larger_than_the_queries_are_brought_beside_them():
    rng = np.random.default_rng(0)
    queries, keys = rng.normal(size=(20, 8)), rng.normal(size=(20, 8)) * 10 + 30
    moved_queries, moved_keys = query_key.aligned(queries, keys)
    spread = [np.sqrt(((p - p.mean(axis=0)) ** 2).sum(axis=1).mean()) for p in (moved_queries, moved_keys)]
    assert spread[0] == pytest.approx(spread[1])  # from a tenfold difference
    np.testing.assert_allclose(moved_keys.mean(axis=0), moved_queries.mean(axis=0), atol=1e-9)
    shift = moved_queries @ moved_keys.T - queries @ keys.T
    np.testing.assert_allclose(shift - shift[:, :1], 0, atol=1e-8)  # each query's scores all moved by one amount


def test_queries_and_keys_are_projected_together(drawn):
    count = len(drawn.tokens)
    assert drawn.points.shape == (2 * count, 2) and np.isfinite(drawn.points).all()
    assert drawn.owners == [0] * len(drawn.positions(0)) + [1] * len(drawn.positions(1))
    assert drawn.tokens[0] == "<s>" and drawn.special[0] and len(drawn.explained) == 2
    top = drawn.attended(3, top=3)
    row = drawn.weights[0][3]
    assert [weight for _, weight in top] == pytest.approx(sorted(row, reverse=True)[:3])
    assert all(drawn.owners[key] == 0 for key, _ in top)  # a query attends to its own text's keys


def test_bad_choices_get_clear_messages(context):
    with pytest.raises(InputError, match="head from 0"):
        query_key.query_key_map(context, TEXTS, head=99)
    with pytest.raises(InputError, match="layer from 0"):
        query_key.query_key_map(context, TEXTS, layer=99)
    with pytest.raises(InputError, match="at most 6 texts"):
        query_key.query_key_map(context, ["a text"] * 7)
    long = query_key.query_key_map(context, ["word " * 500])
    assert len(long.tokens) == query_key.MAX_TOKENS
