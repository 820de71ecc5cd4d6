"""Sentiment and emotion on planted checkpoints: known answers, batching, every class scored."""

from __future__ import annotations

import pytest

from roberta_demo.errors import InputError
from roberta_demo.tasks import sentiment
from roberta_demo.tasks.uploads import Upload


def test_known_answers(planted):
    assert sentiment.classify(planted, "what a great day").top == "positive"
    assert sentiment.classify(planted, "the soup was cold").top == "negative"
    assert sentiment.classify(planted, "there was nothing to report").top == "neutral"
    assert sentiment.classify(planted, "pure disgust", mode="emotion").top == "disgust"


def test_probabilities_are_complete_and_sum_to_one(planted):
    result = sentiment.classify(planted, "what a great day")
    assert sorted(result.labels) == ["negative", "neutral", "positive"]
    assert result.exclusive
    assert sum(result.scores) == pytest.approx(1.0, abs=1e-5)
    assert result.scores == sorted(result.scores, reverse=True)
    assert result.scores[0] > 0.99


def test_batch_keeps_input_order(planted):
    texts = ["a great film", "my cold coffee", "really nothing much", "so great!", "so cold"]
    result = sentiment.classify_many(planted, texts)
    assert [row.text for row in result.rows] == texts
    assert [row.label for row in result.rows] == ["positive", "negative", "neutral", "positive", "negative"]
    assert result.classes == ["negative", "neutral", "positive"]
    assert result.label_counts() == {"negative": 2, "neutral": 1, "positive": 2}


def test_batch_of_64_takes_fewer_forward_calls_than_texts(planted):
    model = planted.backend.model(planted.checkpoint_for("sentiment")).model
    calls = []
    handle = model.register_forward_pre_hook(lambda module, args: calls.append(1))
    try:
        texts = [f"text {i} is {'great' if i % 2 else 'cold'}" for i in range(64)]
        result = sentiment.classify_many(planted, texts)
    finally:
        handle.remove()
    assert len(result.rows) == 64
    assert len(calls) == 64 // sentiment.BATCH_SIZE  # 4 forward passes, not 64
    assert [row.label for row in result.rows] == ["negative", "positive"] * 32


def test_csv_export_has_every_class(planted):
    csv_text = sentiment.classify_many(planted, ['a great, "quoted" text']).to_csv()
    header, row = csv_text.strip().splitlines()
    assert header == "text,label,score,negative,neutral,positive"
    assert row.startswith('"a great, ""quoted"" text",positive,')


def test_parse_texts_from_lines_and_files(context):
    assert sentiment.parse_texts("one\n\n two \n", None, context) == ["one", "two"]
    table = Upload("texts.csv", b'id,text\n1,hello\n2,"a, b"\n')
    assert sentiment.parse_texts("", table, context) == ["hello", "a, b"]
    lines = Upload("texts.txt", b"first line, with a comma\nsecond line\n")
    assert sentiment.parse_texts("", lines, context) == ["first line, with a comma", "second line"]
    with pytest.raises(InputError, match="one text per line"):
        sentiment.parse_texts("  \n ", None, context)
