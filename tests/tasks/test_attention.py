"""Attention views on the tiny checkpoints: shapes, row sums, readable tokens, pairs, limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from roberta_demo.config import Limits
from roberta_demo.results import AttentionView, RunInfo
from roberta_demo.tasks import attention

TEXT = "The animal didn't cross the street, because it was too tired."
PAIR = "Zoë's  café was closed."


def _assert_rows_sum_to_one(view: AttentionView) -> None:
    np.testing.assert_allclose(view.weights.sum(-1), 1.0, atol=1e-4)
    np.testing.assert_allclose(view.head_mean().sum(-1), 1.0, atol=1e-4)
    np.testing.assert_allclose(view.rollout.sum(-1), 1.0, atol=1e-4)


def test_shapes_are_layers_heads_tokens_tokens(context):
    view = attention.inspect(context, TEXT)
    layers, heads, queries, keys = view.weights.shape
    assert (layers, heads) == (4, 4)  # tiny-roberta
    assert queries == keys == len(view.tokens) == len(view.special)
    assert view.rollout.shape == (layers, queries, keys)
    assert view.tokens[0] == "<s>" and view.tokens[-1] == "</s>" and view.pair_start is None


@pytest.mark.parametrize("hide_special", [False, True])
@pytest.mark.parametrize("merge_words", [False, True])
def test_every_row_sums_to_one(context, hide_special, merge_words):
    view = attention.inspect(context, TEXT, PAIR, hide_special=hide_special, merge_words=merge_words)
    _assert_rows_sum_to_one(view)
    if hide_special:
        assert "<s>" not in view.tokens and "</s>" not in view.tokens


def test_tokens_are_text_without_bpe_markers(context):
    view = attention.inspect(context, "Zoë  met José")
    assert not any("Ġ" in token or "Ã" in token for token in view.tokens)
    assert "".join(t for t in view.tokens if t not in ("<s>", "</s>", "␣")).replace("ëë", "ë").replace("éé", "é") == (
        "ZoëmetJosé"
    )  # byte pieces of one character each show that character


def test_merged_words_spell_the_input_words(context):
    view = attention.inspect(context, TEXT, PAIR, merge_words=True)
    words = [t for t, special in zip(view.tokens, view.special, strict=True) if not special]
    assert words == TEXT.split() + PAIR.split()
    hidden = attention.inspect(context, TEXT, PAIR, merge_words=True, hide_special=True)
    assert hidden.tokens == TEXT.split() + PAIR.split()


def test_pair_boundary_lands_on_the_separator(context):
    pieces = attention.inspect(context, TEXT, PAIR)
    assert pieces.tokens[pieces.pair_start - 2 : pieces.pair_start] == ["</s>", "</s>"]
    words = attention.inspect(context, TEXT, PAIR, merge_words=True)
    assert words.tokens[words.pair_start - 2 : words.pair_start] == ["</s>", "</s>"]
    assert words.tokens[words.pair_start] == "Zoë's"
    hidden = attention.inspect(context, TEXT, PAIR, merge_words=True, hide_special=True)
    assert hidden.tokens[hidden.pair_start - 1 : hidden.pair_start + 1] == ["tired.", "Zoë's"]


def test_long_input_is_cut_to_the_token_limit_with_a_notice(context):
    short_views = replace(context, limits=Limits(max_attention_tokens=64))
    view = attention.inspect(short_views, " ".join(["word"] * 300))
    assert len(view.tokens) == 64 and view.tokens[-1] == "</s>"
    assert view.run.truncation.tokens_kept == 64 and "only the first 64 tokens" in str(view.run.truncation.notice)


def _view(weights: np.ndarray, tokens: list[str]) -> AttentionView:
    special = [t in ("<s>", "</s>") for t in tokens]
    rollout = attention.attention_rollout(weights)
    return AttentionView(tokens, special, weights.astype(np.float32), rollout, None, RunInfo("c", "cpu", 0.0))


def test_rollout_follows_abnar_and_zuidema():
    rng = np.random.default_rng(0)
    weights = rng.random((3, 2, 4, 4))
    weights /= weights.sum(-1, keepdims=True)
    expected, layers = np.eye(4), []
    for layer in weights:
        mixed = 0.5 * layer.mean(0) + 0.5 * np.eye(4)
        expected = (mixed / mixed.sum(-1, keepdims=True)) @ expected
        layers.append(expected)
    np.testing.assert_allclose(attention.attention_rollout(weights), np.stack(layers), rtol=1e-5)


def test_hiding_special_tokens_renormalises_rows():
    row = np.array([0.5, 0.25, 0.25, 0.0])  # half of the attention on <s>
    view = attention.hide_special_tokens(_view(np.tile(row, (1, 1, 4, 1)), ["<s>", "a", "b", "</s>"]))
    assert view.tokens == ["a", "b"]
    np.testing.assert_allclose(view.weights[0, 0], [[0.5, 0.5], [0.5, 0.5]])


def test_merging_sums_keys_and_averages_queries():
    weights = np.array([[[[1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [0.0, 0.6, 0.4]]]])
    view = attention.merge_word_pieces(_view(weights, ["<s>", "Pa", "ris"]), [0, 1, 1], ["<s>", "Paris"])
    np.testing.assert_allclose(view.weights[0, 0], [[1.0, 0.0], [0.1, 0.9]])


def test_head_statistics_find_previous_token_and_separator_heads():
    size = 5
    previous = np.eye(size, k=-1)
    previous[0, 0] = 1.0
    on_special = np.zeros((size, size))
    on_special[:, 0] = 1.0
    weights = np.stack([previous, on_special])[None]  # one layer, two heads
    stats = _view(weights, ["<s>", "a", "b", "c", "</s>"]).head_statistics()
    assert stats["previous"][0, 0] == pytest.approx(1.0)
    assert stats["previous"][0, 1] == pytest.approx(0.25)  # only for "a", whose previous token is <s>
    assert stats["special"][0, 1] == pytest.approx(1.0)
    assert stats["entropy"][0, 0] == pytest.approx(0.0, abs=1e-6)


def test_a_masked_word_is_one_mask_token_only_when_asked(context):
    masked = attention.inspect(context, "The animal was <mask>.", read_masks=True)
    assert masked.tokens.count("<mask>") == 1 and "mask" not in masked.tokens
    typed = attention.inspect(context, "The animal was <mask>.")
    assert "<mask>" not in typed.tokens  # typed, it is read as the characters < m a s k >
    assert len(typed.tokens) > len(masked.tokens)
    _assert_rows_sum_to_one(masked)
