"""The launched app on the tiny profile, called through gradio_client as any API user would."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
from gradio_client.exceptions import AppError

from roberta_demo.tasks.classification import DEFAULT_LABELS
from roberta_demo.ui import attention as attention_tab
from tests.waiting import HANG


def _confidences(label_output: dict) -> dict[str, float]:
    return {item["label"]: item["confidence"] for item in label_output["confidences"]}


def test_sentiment_with_only_the_text(client):
    top, chart, details = client.predict("I love this!", api_name="/sentiment_page")
    scores = _confidences(top)
    assert set(scores) == {"negative", "neutral", "positive"}
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert top["label"] == max(scores, key=scores.get)
    assert chart["type"] == "plotly"
    assert "tiny-sentiment" in details and "cpu" in details and " ms" in details


def test_emotion_mode(client):
    top, _, _ = client.predict("Finally!", "Emotion (7 classes)", api_name="/sentiment_page")
    assert len(_confidences(top)) == 7


def test_sentiment_batch_table_chart_and_csv(client):
    texts = "\n".join(f"text number {i}" for i in range(20))
    table, chart, csv_path, details = client.predict(texts, api_name="/sentiment_batch_page")
    assert [row[0] for row in table["data"]] == [f"text number {i}" for i in range(20)]
    assert chart["type"] == "plotly"
    with open(csv_path, encoding="utf-8") as csv_file:
        lines = csv_file.read().strip().splitlines()
    assert lines[0] == "text,label,score,negative,neutral,positive" and len(lines) == 21
    assert "20 texts" in details


def test_classify_zero_shot_returns_exactly_the_labels(client):
    top, _, details = client.predict("Apple shares jump", api_name="/classify_page")
    scores = _confidences(top)
    assert set(scores) == {label.strip() for label in DEFAULT_LABELS.split(",")}
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert "tiny-nli" in details


def test_classify_custom_labels_and_topic_mode(client):
    top, _, _ = client.predict("a text", "Zero-shot (your labels)", "cats, dogs, cats", api_name="/classify_page")
    assert set(_confidences(top)) == {"cats", "dogs"}
    top, chart, details = client.predict("a text", "Topic model", api_name="/classify_page")
    assert len(top["confidences"]) == 5  # the label shows the top five; the chart has every topic
    assert len(json.loads(chart["plot"])["data"][0]["y"]) == 19 and "tiny-topic" in details


def test_ner_pieces_spell_the_text_and_spans_slice_it(client):
    text = "Angela Merkel met Emmanuel Macron in Berlin, Zoë Müller too."
    pieces, table, _ = client.predict(text, 0.0, api_name="/ner_page")
    assert "".join(piece["token"] for piece in pieces) == text
    assert table["headers"] == ["entity", "type", "score", "start", "end"]
    for word, entity_type, score, start, end in table["data"]:
        assert text[start:end] == word and word == word.strip()
        assert entity_type in {"PER", "ORG", "LOC", "MISC"} and 0 <= score <= 1
    tagged = [piece["token"] for piece in pieces if piece["class_or_confidence"]]
    assert tagged == [row[0] for row in table["data"]]


def test_ner_with_only_the_text(client):
    pieces, _, _ = client.predict("Hello Paris", api_name="/ner_page")
    assert "".join(piece["token"] for piece in pieces) == "Hello Paris"


@pytest.mark.parametrize("endpoint", ["/sentiment", "/classify", "/ner"])
def test_empty_text_is_a_clear_error_and_the_server_keeps_serving(client, endpoint):
    with pytest.raises(AppError, match="Type or paste some text first"):
        client.predict("   ", api_name=endpoint)
    assert client.predict("still here", api_name="/sentiment_page")[0]["label"]


def test_long_text_is_truncated_with_a_notice(client):
    _, _, details = client.predict(" ".join(["word"] * 20_000), api_name="/sentiment_page")
    assert "only the first 512 tokens" in details


def test_unconfigured_checkpoint_is_refused(client):
    args = ("hi", "Zero-shot (your labels)", "a, b", "This is {}.", False, "FacebookAI/roberta-base")
    with pytest.raises(
        AppError, match=r'checkpoint must be one of "tiny/tiny-nli", .*; it was "FacebookAI/roberta-base"'
    ):
        client.predict(*args, api_name="/classify_page")


def test_attention_with_only_the_text_returns_html_and_data(client):
    frame, single, mean, rollout, overview, data, details, _, _ = client.predict(
        "The cat sat on the mat.", api_name="/attention_page"
    )
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame
    assert data["tokens"][0] == "<s>" and data["tokens"][-1] == "</s>"
    matrix = np.asarray(data["matrix"])
    assert matrix.shape == (len(data["tokens"]),) * 2
    np.testing.assert_allclose(matrix.sum(-1), 1.0, atol=5e-3)  # rounded to 3 decimals for the wire
    assert (data["num_layers"], data["num_heads"], data["layer"], data["head"]) == (4, 4, 0, 0)
    assert all(figure["type"] == "plotly" for figure in (single, mean, rollout, overview))
    assert "tiny-roberta" in details


def test_attention_of_a_task_checkpoint_with_a_pair_and_merged_words(client, backend):
    sentiment = backend.checkpoint_for("sentiment")
    *_, data, _, _, _ = client.predict(
        "Great movie.", "Terrible ending.", sentiment, 1, 2, True, True, api_name="/attention_page"
    )
    assert data["tokens"] == ["Great", "movie.", "Terrible", "ending."]
    assert data["pair_start"] == 2 and (data["layer"], data["head"]) == (1, 2)
    assert data["checkpoint"] == sentiment


def test_attention_refuses_checkpoints_outside_the_configuration(client):
    with pytest.raises(AppError, match=r'checkpoint must be one of .*; it was "/etc"\.'):
        client.predict("hi", "", "/etc", api_name="/attention_page")


def test_page_says_the_tiny_models_are_untrained_and_shows_the_device(app_url):
    config = httpx.get(app_url + "config", timeout=HANG).text
    assert "Test models." in config and "random weights" in config
    assert "device <b>cpu</b>" in config and "profile <b>tiny</b>" in config


def test_the_page_config_holds_no_live_objects(app_url, client):
    # Gradio deep-copies the config for every page load: a bound method in it (a gr.State's delete_callback) would
    # copy the backend it belongs to, models and all, and print its repr into the page.
    client.predict("Warm the models first.", api_name="/sentiment_page")
    config = httpx.get(app_url + "config", timeout=HANG).text
    assert "bound method" not in config and "Backend" not in config and "TaskContext" not in config


def test_fill_mask_with_only_the_text(client):
    filled, sampled, chart, table, compared, lens, details, _ = client.predict(
        "The capital of France is <mask>.", api_name="/fill_mask_page"
    )
    spans = [piece for piece in filled if piece["class_or_confidence"]]
    assert len(spans) == 1 and spans[0]["class_or_confidence"] == "mask 1"
    assert "".join(piece["token"] for piece in sampled).count("The capital of France is") == 3  # three draws
    assert [row[1] for row in table["data"]] == [1, 2, 3, 4, 5]
    scores = [row[4] for row in table["data"]]
    assert scores == sorted(scores, reverse=True) and sum(scores) <= 1
    assert compared["data"] == [] and chart["type"] == lens["type"] == "plotly"
    assert "tiny-roberta" in details


def test_fill_mask_compares_words_and_takes_top_k(client):
    _, _, _, table, compared, *_ = client.predict("I saw <mask> there.", 3, "he, she, he", api_name="/fill_mask_page")
    assert len(table["data"]) == 3
    assert [row[1] for row in compared["data"]] == ["he", "she"]
    assert compared["data"][0][2] == "Ġhe" and compared["data"][1][2] == "Ġs he"


def test_fill_mask_without_a_mask_says_how(client):
    with pytest.raises(AppError, match="Put <mask> where a word should be predicted"):
        client.predict("No mask here.", api_name="/fill_mask")
    # The tab's run answers as the page shows it: Gradio renders a page's message as HTML.
    with pytest.raises(AppError, match="Put &lt;mask&gt; where a word should be predicted"):
        client.predict("No mask here.", api_name="/fill_mask_page")


def test_attention_of_a_masked_word_links_to_fill_mask(client, backend):
    args = (
        "The animal was tired.",
        "",
        backend.checkpoint_for("attention"),
        0,
        0,
        False,
        False,
        attention_tab.DEFAULT_VIEW,
        attention_tab.DEFAULT_METRIC,
        1,
    )
    *_, data, details, _, _ = client.predict(*args, api_name="/attention_page")
    assert "<mask>" in data["tokens"] and "animal" not in "".join(data["tokens"])
    assert "tab=fill-mask" in details and "The+%3Cmask%3E+was+tired." in details


@pytest.mark.parametrize("task", ["sentiment", "emotion", "topic", "zero_shot", "ner"])
def test_explain_returns_every_word_with_its_offsets(client, task):
    text = "Angela Merkel loved the great speech in Berlin."
    result = client.predict(text, task=task, method="integrated_gradients", steps=8, api_name="/explain")
    assert [w["word"] for w in result["words"]] == text.split()
    assert all(text[w["start"] : w["end"]] == w["word"] for w in result["words"])
    assert result["method"] == "integrated_gradients" and isinstance(result["delta"], float) and result["target"]


def test_explain_errors_name_the_problem(client):
    with pytest.raises(AppError, match='"sideways" is not one of this model\'s classes'):
        client.predict("A text.", target="sideways", api_name="/explain")
    with pytest.raises(AppError, match="steps must be a whole number from 8 to 64; it was 100"):
        client.predict("A text.", method="integrated_gradients", steps=100, api_name="/explain")


def test_fine_tune_reports_the_run_as_data(client):
    examples = {
        "headers": ["text", "label"],
        "data": [["great", "pos"], ["nice", "pos"], ["awful", "neg"], ["bad", "neg"]],
    }
    held = {"headers": ["text", "label"], "data": [["lovely", "pos"], ["horrible", "neg"]]}
    report = client.predict(examples, held, steps=5, learning_rate=1e-3, api_name="/fine_tune")
    assert len(report["losses"]) == 5 and all(isinstance(loss, float) for loss in report["losses"])
    assert set(report["accuracy_before"]) == {"train", "held_out"} and report["stopped"] is None
    assert [p["text"] for p in report["predictions"]] == ["great", "nice", "awful", "bad", "lovely", "horrible"]
    assert [p["held_out"] for p in report["predictions"]] == [False] * 4 + [True] * 2
    assert all(p["after"] in {"pos", "neg"} and 0 < p["confidence"] <= 1 for p in report["predictions"])


def test_fine_tune_refuses_bad_runs_with_a_message(client):
    one_label = {"headers": ["text", "label"], "data": [["a", "x"], ["b", "x"]]}
    with pytest.raises(AppError, match="at least two labels"):
        client.predict(one_label, api_name="/fine_tune")
    with pytest.raises(AppError, match="steps must be a whole number from 1 to 500; it was 0"):
        client.predict({"headers": ["text", "label"], "data": [["a", "x"], ["b", "y"]]}, steps=0, api_name="/fine_tune")


def test_ner_threshold_keeps_the_entities_at_or_above_it(client):
    text = "Angela Merkel met Emmanuel Macron in Berlin, Zoë Müller too."
    every = client.predict(text, api_name="/ner")["entities"]
    scores = sorted(e["score"] for e in every)
    middle = scores[len(scores) // 2]
    assert client.predict(text, middle, api_name="/ner")["entities"] == [e for e in every if e["score"] >= middle]
