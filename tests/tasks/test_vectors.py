"""Contextual vectors on the tiny checkpoints: the word's pieces, every layer, the projection, the limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from roberta_demo.errors import InputError
from roberta_demo.tasks import projection, vectors
from tests.waiting import HANG

BANK = ["We sat on the bank of the river.", "The bank raised its rates.", "Nothing to see here.", "BANK on it."]


@pytest.fixture(scope="module")
def bank(context):
    return vectors.embed(context, BANK, word="bank")


def _hidden_states(backend, text: str) -> list[np.ndarray]:
    """Every layer's output on `text` alone, from the model itself, as the reference: [tokens, hidden] each."""
    model = backend.model(backend.checkpoint_for("attention"))
    encoded = model.tokenizer(text, return_tensors="pt", return_offsets_mapping=True)
    offsets = encoded.pop("offset_mapping")[0].tolist()
    with torch.inference_mode():
        states = model.model.base_model(**encoded, output_hidden_states=True).hidden_states
    return [state[0].numpy() for state in states], offsets


def test_the_word_is_found_in_each_text_that_uses_it_whatever_its_case(bank):
    assert bank.texts == [BANK[0], BANK[1], BANK[3]] and bank.positions == [0, 1, 3]
    assert bank.missing == [(2, BANK[2])]
    assert all("".join(pieces).lower() == "bank" for pieces in bank.pieces)
    assert bank.vectors.shape == (5, 3, 64)  # the embeddings and 4 layers; 3 texts; tiny-roberta's width
    assert bank.projection.shape == (5, 3, 3) and bank.num_layers == 4


def test_a_words_vector_is_the_mean_of_its_pieces_at_every_layer(backend, context, bank):
    """Padding in a batch changes nothing: each text's vector is what the model gives the text alone."""
    for row, text in enumerate(bank.texts):
        states, offsets = _hidden_states(backend, text)
        start, end = vectors.word_span(text, "bank")
        pieces = [i for i, (low, high) in enumerate(offsets) if high > low and low < end and high > start]
        for layer, state in enumerate(states):
            np.testing.assert_allclose(bank.vectors[layer, row], state[pieces].mean(axis=0), atol=2e-4)


def test_a_texts_own_vector_is_the_mean_of_its_tokens_or_its_first(backend, context):
    texts = ["a great film", "the soup was cold and the service slow"]
    mean, first = (vectors.embed(context, texts, pooling=pooling) for pooling in vectors.POOLINGS)
    for row, text in enumerate(texts):
        states, _ = _hidden_states(backend, text)
        np.testing.assert_allclose(mean.vectors[-1, row], states[-1][1:-1].mean(axis=0), atol=2e-4)
        np.testing.assert_allclose(first.vectors[-1, row], states[-1][0], atol=2e-4)
    assert mean.pieces == [[], []] and mean.word is None


def test_a_words_senses_part_with_depth_where_the_weights_put_them_apart(planted):
    """The planted encoder (tests/planted.py) adds each text's mean to every token: "cold" is one vector in the
    embeddings wherever it is, and from layer 1 on, "cold" beside "music" and beside "sports" are two senses."""
    texts = ["the cold music", "a cold music here", "the cold sports", "a cold sports here"]  # " cold": one token
    found = vectors.embed(planted, texts, word="cold")
    np.testing.assert_allclose(found.similarities(0), 1.0, atol=1e-5)  # looked up: the same in every text
    apart = []
    for layer in range(1, found.num_layers + 1):
        matrix = found.similarities(layer)
        same_sense = min(matrix[0, 1], matrix[2, 3])
        other_sense = max(matrix[0, 2], matrix[0, 3], matrix[1, 2], matrix[1, 3])
        assert same_sense > 0.99 and same_sense > other_sense, (layer, matrix)  # two blocks on the diagonal
        apart.append(other_sense)
    assert apart == sorted(apart, reverse=True) and apart[-1] < 0.96  # further apart at every layer


def test_similarities_are_the_cosines_of_the_vectors(bank):
    for layer in range(bank.num_layers + 1):
        matrix = bank.similarities(layer)
        unit = bank.vectors[layer] / np.linalg.norm(bank.vectors[layer], axis=1, keepdims=True)
        np.testing.assert_allclose(matrix, unit @ unit.T, atol=1e-5)
        np.testing.assert_allclose(np.diag(matrix), 1.0, atol=1e-5)


def test_the_projection_is_numpys_svd_of_every_standardised_layer_at_once():
    data = np.random.default_rng(4).normal(size=(3, 7, 12)).astype(np.float32) * [[[1.0]], [[30.0]], [[0.01]]]
    points, shares = projection.project(data, 2)
    stacked = projection.standardised(data).reshape(21, 12)
    _, singular, directions = np.linalg.svd(stacked, full_matrices=False)
    expected = (stacked @ directions[:2].T).reshape(3, 7, 2)
    for axis in range(2):  # the same directions, each up to its sign
        sign = np.sign(points[..., axis].ravel() @ expected[..., axis].ravel())
        np.testing.assert_allclose(points[..., axis], sign * expected[..., axis], atol=1e-5)
    np.testing.assert_allclose(shares, singular[:2] ** 2 / (singular**2).sum(), atol=1e-9)


def test_one_projection_serves_every_layer_and_is_deterministic():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(3, 6, 10)).astype(np.float32)
    data[1] = data[1] * 1000 + 50  # a layer of another scale and offset does not take the projection over
    points, shares = projection.project(data)
    again, _ = projection.project(data.copy())
    np.testing.assert_array_equal(points, again)
    assert points.shape == (3, 6, 3) and sum(shares) <= 1 + 1e-9 and shares == sorted(shares, reverse=True)
    spread = [np.sqrt((points[layer] ** 2).sum(axis=1).mean()) for layer in range(3)]
    assert max(spread) / min(spread) < 3  # each layer centred and scaled before the one PCA
    # Two points: each layer's pair lies either side of its centre, and nothing fails.
    two, _ = projection.project(data[:, :2])
    assert two.shape == (3, 2, 3)
    np.testing.assert_allclose(two[:, 0], -two[:, 1], atol=1e-5)


def test_a_chinese_word_is_found_inside_a_sentence_without_spaces(context):
    apple = vectors.embed(context, ["我每天吃一个苹果。", "苹果公司发布了新手机。", "今天下雨。"], word="苹果")
    assert apple.positions == [0, 1] and apple.missing == [(2, "今天下雨。")]
    assert apple.pieces == [["苹", "果"], ["苹", "果"]]  # byte-level pieces shown as the characters they spell
    assert vectors.word_span("the banking sector", "bank") is None  # a Latin word stands alone


def test_bad_input_gets_a_message_not_a_crash(context):
    with pytest.raises(InputError, match="in none of the texts"):
        vectors.embed(context, ["no such word", "here either"], word="<script>")
    with pytest.raises(InputError, match="Type one text per line"):
        vectors.embed(context, "  \n ")
    with pytest.raises(InputError, match="pooling"):
        vectors.embed(context, "a text", pooling="max")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="at most 100"):
        vectors.embed(context, "a text", word="w" * 101)
    small = replace(context, limits=replace(context.limits, max_texts=2))
    with pytest.raises(InputError, match="ROBERTA_DEMO_MAX_TEXTS"):
        vectors.embed(small, "one\ntwo\nthree")


def test_one_text_gives_one_vector_and_long_texts_are_cut(context):
    one = vectors.embed(context, "just one text")
    assert one.vectors.shape[1] == 1 and np.isfinite(one.projection).all()
    long = vectors.embed(context, ["word " * 2000, "short"])
    assert long.vectors.shape[1] == 2 and np.isfinite(long.vectors).all()


def test_umap_maps_each_layer_aligned_with_the_next_and_the_same_every_time():
    """In the worker process, as the server runs it (its first map compiles numba's code there)."""
    rng = np.random.default_rng(3)
    clusters = rng.normal(size=(2, 16)) * 4
    data = np.stack([np.repeat(clusters, 4, axis=0) + rng.normal(size=(8, 16)) for _ in range(3)]).astype(np.float32)
    points = projection.umap_apart(data, dimensions=2, limit_s=HANG)
    assert points is not None and points.shape == (3, 8, 2) and np.isfinite(points).all()
    again = projection.umap_apart(data, dimensions=2, limit_s=HANG)
    assert again is not None
    np.testing.assert_array_equal(points, again)  # seeded
    for layer in points:  # the two clusters stay apart in every layer's map
        within = np.linalg.norm(layer[:4] - layer[:4].mean(axis=0), axis=1).max()
        assert np.linalg.norm(layer[:4].mean(axis=0) - layer[4:].mean(axis=0)) > within


def test_umap_below_its_minimum_is_pca_and_says_so(context):
    few = vectors.embed(context, ["one text", "two texts", "three"], projection="umap", dimensions=2)
    assert few.projected_by == "pca" and few.projection.shape[-1] == 2 and len(few.explained) == 2
    with pytest.raises(InputError, match="projection"):
        vectors.embed(context, "a text", dimensions=4)


def test_an_uploads_label_column_groups_its_texts(context):
    from roberta_demo.tasks.uploads import Upload

    upload = Upload("reviews.csv", b"label,text\npos,a great film\nneg,the soup was cold\n")
    texts, groups = vectors.labelled_texts("typed here", upload, context)
    assert texts == ["typed here", "a great film", "the soup was cold"] and groups == ["typed", "pos", "neg"]
    plain = Upload("plain.txt", b"one\ntwo\n")
    assert vectors.labelled_texts(None, plain, context) == (["one", "two"], None)


def test_token_vectors_are_the_models_own_states_and_start_from_themselves(context, backend):
    text = "The bank of the river."
    found = vectors.token_vectors(context, text)
    states, _ = _hidden_states(backend, text)
    assert found.norms.shape == found.drift.shape == (len(states), len(found.tokens))
    for layer, state in enumerate(states):
        np.testing.assert_allclose(found.norms[layer], np.linalg.norm(state, axis=-1), rtol=1e-4)
        cosine = (state * states[0]).sum(-1) / (np.linalg.norm(state, axis=-1) * np.linalg.norm(states[0], axis=-1))
        np.testing.assert_allclose(found.drift[layer], cosine, atol=1e-4)
    np.testing.assert_allclose(found.drift[0], 1.0, atol=1e-5)  # layer 0 against itself
    assert found.tokens[0] == "<s>" and found.tokens[-1] == "</s>" and "The" in found.tokens
    assert found.num_layers == len(states) - 1 and found.hidden_size == states[0].shape[-1]


def test_token_vectors_refuse_an_empty_text_and_say_where_a_long_one_was_cut(context):
    with pytest.raises(InputError, match="Type or paste some text"):
        vectors.token_vectors(context, "  ")
    limit = context.limits.max_attention_tokens
    found = vectors.token_vectors(context, "word " * (limit + 50))
    assert found.run.truncation is not None and len(found.tokens) == found.run.truncation.tokens_kept <= limit
