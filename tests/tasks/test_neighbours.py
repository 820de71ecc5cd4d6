"""Nearest neighbours in context on the tiny checkpoints: exact against the model's own hidden states, the shipped
index built once and kept on disk, the visitor's texts as a reference, and the limits."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from roberta_demo.errors import InputError
from roberta_demo.tasks import neighbours
from roberta_demo.tasks.encoding import word_spans

RIVER = ["We sat on the bank of the river.", "The bank raised its rates."]


def _word_states(backend, text: str) -> list[tuple[tuple[int, int], np.ndarray]]:
    """Each word of `text` and its vector at every layer <[layers + 1, hidden]>, from the model on the text alone."""
    model = backend.model(backend.checkpoint_for("attention"))
    encoded = model.tokenizer(text, return_tensors="pt", return_offsets_mapping=True)
    offsets = encoded.pop("offset_mapping")[0].tolist()
    with torch.inference_mode():
        states = torch.stack(model.model.base_model(**encoded, output_hidden_states=True).hidden_states)[:, 0]
    words = []
    for start, end in word_spans(text):
        pieces = [i for i, (low, high) in enumerate(offsets) if high > low and low < end and high > start]
        words.append(((start, end), states[:, pieces].mean(dim=1).numpy()))
    return words


def test_the_shipped_sentences_are_a_few_hundred_in_each_language():
    english, chinese = neighbours.reference_texts("en"), neighbours.reference_texts("zh")
    assert len(english) >= 200 and len(chinese) >= 200
    assert len(set(english)) == len(english) and len(set(chinese)) == len(chinese)
    assert sum("bank" in text for text in english) >= 15 and sum("苹果" in text for text in chinese) >= 10


def test_the_neighbours_are_the_exact_nearest_words_of_the_reference(backend, context):
    """Brute force over every word of every shipped sentence, each read from the model on its sentence alone."""
    found = neighbours.neighbours(context, RIVER, word="bank", layer=2, k=8)
    text, start, end = found.query
    assert (text, text[start:end]) == (RIVER[0], "bank") and found.reference == "en"
    query = next(vector for span, vector in _word_states(backend, text) if span == (start, end))[2]
    brute = {
        (sentence, *span): float(vector[2] @ query / np.linalg.norm(vector[2]) / np.linalg.norm(query))
        for sentence in neighbours.reference_texts("en")
        for span, vector in _word_states(backend, sentence)
    }
    assert found.searched == len(brute)
    best = sorted(brute.values(), reverse=True)[:8]
    np.testing.assert_allclose([row.cosine for row in found.rows], best, atol=2e-3)  # stored as float16
    for row in found.rows:  # each is the word it says, at the cosine it says
        assert brute[(row.text, row.start, row.end)] == pytest.approx(row.cosine, abs=2e-3)


def test_nearest_compares_every_word():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(2, 300, 16))
    unit = (vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)).astype(np.float16)
    index = neighbours.WordVectors(["t"] * 300, [(i, 0, 1) for i in range(300)], unit)
    query = rng.normal(size=16)
    found = neighbours.nearest(index, query, 1, 10, leave_out=(7, 0, 1))
    brute = unit[1].astype(np.float32) @ (query / np.linalg.norm(query)).astype(np.float32)
    brute[7] = -np.inf
    assert [i for i, _ in found] == list(np.argsort(-brute, kind="stable")[:10])
    assert all(i != 7 for i, _ in found)


def test_the_index_is_computed_once_kept_on_disk_and_read_back(context, monkeypatch, tmp_path):
    monkeypatch.setenv(neighbours.CACHE_VARIABLE, str(tmp_path))
    monkeypatch.setattr(neighbours, "_built", {})
    checkpoint = context.checkpoint_for("attention")
    calls = []
    saved = neighbours._save  # runs here on either engine, after the index was computed (on Ray, in a replica)

    def counted(*args, **kwargs):
        calls.append(1)
        return saved(*args, **kwargs)

    monkeypatch.setattr(neighbours, "_save", counted)
    threads = [threading.Thread(target=neighbours.reference_index, args=(context, checkpoint, "zh")) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1  # four visitors at once: one computation, the others waited for it
    (folder,) = [path for path in tmp_path.iterdir() if path.is_dir()]
    assert sorted(path.name for path in folder.iterdir()) == ["vectors.npy", "words.json"]
    first = neighbours.reference_index(context, checkpoint, "zh")
    monkeypatch.setattr(neighbours, "_built", {})  # a restarted server: read from disk, not computed
    again = neighbours.reference_index(context, checkpoint, "zh")
    assert len(calls) == 1 and isinstance(again.vectors, np.memmap)
    np.testing.assert_array_equal(np.asarray(first.vectors), np.asarray(again.vectors))
    assert again.words == first.words and again.texts == neighbours.reference_texts("zh")


def test_the_visitors_texts_can_be_the_reference_without_the_word_itself(context):
    texts = ["the river bank", "the bank of the river", "the bank lent money", "a loan from the bank"]
    found = neighbours.neighbours(context, texts, chosen=1, reference="texts", k=50)
    assert found.query[0][found.query[1] : found.query[2]] == "river"
    assert found.searched == 17 and len(found.rows) == 16  # every word of the texts but the one picked
    assert (found.query[0], found.query[1]) not in [(row.text, row.start) for row in found.rows]


def test_a_shipped_sentences_own_word_is_not_its_own_neighbour(context):
    shipped = neighbours.reference_texts("en")[0]
    found = neighbours.neighbours(context, [shipped], word="bank", k=50)
    assert found.searched == len(neighbours.reference_index(context, context.checkpoint_for("attention"), "en").words)
    assert (shipped, *found.query[1:]) not in [(row.text, row.start, row.end) for row in found.rows]


def test_a_chinese_character_is_a_word_and_found_among_the_chinese_sentences(context):
    found = neighbours.neighbours(context, ["我吃了一个苹果。"], word="苹果", reference="zh", k=5, layer=0)
    text, start, end = found.query
    assert text[start:end] == "苹" and len(found.rows) == 5
    chinese = neighbours.reference_texts("zh")
    assert all(row.text in chinese and len(row.word) == 1 for row in found.rows)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layer": 99}, "layer from 0"),
        ({"k": 0}, "1 to 50"),
        ({"reference": "fr"}, "reference among"),
        ({"chosen": 999}, "word from 0"),
        ({"word": "<b>absent</b>"}, "in none of the texts"),
    ],
)
def test_bad_choices_get_clear_messages(context, options, message):
    with pytest.raises(InputError, match=message):
        neighbours.neighbours(context, RIVER, **options)


def test_punctuation_alone_is_no_word(context):
    with pytest.raises(InputError, match="no word"):
        neighbours.neighbours(context, ["?!"])
