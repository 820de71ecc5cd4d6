"""Whatever people type, every endpoint (the page's events and the data endpoints) answers with a result or a clear
message, and the server keeps serving."""

from __future__ import annotations

import re

import pytest
from gradio_client.exceptions import AppError

from roberta_demo.ui.api import ENDPOINTS

PAGE = ["/classify_page", "/sentiment_page", "/sentiment_batch_page", "/ner_page", "/attention_page", "/fill_mask_page"]
DATA = [f"/{name}" for name in ENDPOINTS if name != "fine_tune"]  # fine-tuning takes a table, not a text
ODD_TEXTS = {
    "emoji": "Loved it 😍🔥👍🏽 but the ending 😭… 🇫🇷",
    "cjk": "東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.",
    "rtl": "مرحبا بكم في العرض التوضيحي — שלום עולם",
    "zero-width and control": "zero\u200bwidth\u200djoin\ufeffbom \u202eevil\u202c tab\tbell\x07 esc\x1b[31m",
    "nul bytes": "before\x00after\x00",
    "markup": "<script>alert(1)</script><img src=x onerror=alert(2)><b>bold</b> &amp; {{7*7}}",
    "special tokens": "<s> fake </s></s> pair <mask> and <pad> <unk>",
    "long line without spaces": "x" * 2500 + "é" * 2500,
    "newlines only between": "first line\n\n\nsecond line\r\nthird",
}


PRETRAIN_STEPS = 2


def _call(client, endpoint: str, text: str):
    if endpoint.startswith("/fill_mask") and text.strip("\x00").strip():
        text = "<mask> " + text  # fill-mask needs somewhere to predict, within the tokens it reads
    if endpoint in ("/masking", "/pretrain") and text.strip("\x00").strip():
        text = " ".join([text] * 8)  # pre-training needs a few tokens to mask, and some to hold out
    if endpoint == "/pretrain":  # two steps read the text as twenty do (the default's time is spent in training)
        return client.predict(text, steps=PRETRAIN_STEPS, api_name=endpoint)
    return client.predict(text, api_name=endpoint)


def _assert_still_serving(client) -> None:
    top, _, _ = client.predict("still serving?", api_name="/sentiment_page")
    assert top["label"] in {"negative", "neutral", "positive"}


@pytest.mark.parametrize("endpoint", PAGE + DATA)
@pytest.mark.parametrize("text", ["", "   \n\t  ", "\x00\x00"])
def test_empty_input_gets_a_clear_message(client, endpoint, text):
    with pytest.raises(AppError, match="Type") as error:
        _call(client, endpoint, text)
    message = str(error.value)
    assert "Traceback" not in message and 'File "' not in message
    _assert_still_serving(client)


@pytest.mark.parametrize("endpoint", PAGE)
@pytest.mark.parametrize("kind", sorted(ODD_TEXTS))
def test_odd_text_gets_a_result_on_the_page(client, endpoint, kind):
    text = ODD_TEXTS[kind]
    result = _call(client, endpoint, text)
    assert len(result) >= 3 and result[0]  # every output, the first (the answer) filled
    if endpoint == "/ner_page":
        pieces = result[0]
        assert "".join(piece["token"] for piece in pieces) == text.replace("\x00", "")
    if endpoint == "/fill_mask_page":
        filled = [piece for piece in result[0] if piece["class_or_confidence"]]
        assert len(filled) == 1 + text.count("<mask>")  # every mask filled, the typed ones included
    if endpoint == "/attention_page":
        data = result[5]
        assert data["tokens"][0] == "<s>" and data["pair_start"] is None  # typed </s></s> is not a separator
    _assert_still_serving(client)


@pytest.mark.parametrize("endpoint", DATA)
@pytest.mark.parametrize("kind", sorted(ODD_TEXTS))
def test_odd_text_gets_a_result_as_data(client, endpoint, kind):
    text = ODD_TEXTS[kind]
    result = _call(client, endpoint, text)
    read = text.replace("\x00", "")
    if endpoint in ("/classify", "/sentiment"):
        assert result["labels"] and len(result["scores"]) == len(result["labels"])
    if endpoint == "/sentiment_batch":
        assert [row["text"] for row in result["results"]] == [
            line.strip() for line in read.splitlines() if line.strip()
        ]
    if endpoint == "/ner":
        assert all(read[e["start"] : e["end"]] == e["word"] for e in result["entities"])
    if endpoint == "/masking":
        assert "".join(result["tokens"]) in " ".join([read] * 8)  # the text as data, cut to the tokens it reads
        assert [draw["epoch"] for draw in result["draws"]] == [1, 2, 3, 4]
    if endpoint == "/pretrain":
        assert len(result["losses"]) == PRETRAIN_STEPS and result["sequences"]["held_out"] >= 1
    if endpoint == "/fill_mask":
        assert len(result["masks"]) == 1 + text.count("<mask>")
    if endpoint == "/attention":
        assert result["tokens"][0] == "<s>" and result["pair_start"] is None
    if endpoint == "/explain":
        assert all(read[w["start"] : w["end"]] == w["word"] for w in result["words"])
    _assert_still_serving(client)


def test_typed_special_tokens_are_read_as_characters(client, backend):
    data = client.predict("a <mask> b", api_name="/attention_page")[5]
    assert "<mask>" not in data["tokens"] and data["tokens"].count("<s>") == 1
    merged = client.predict(
        "a <mask> b", "", backend.checkpoint_for("attention"), 0, 0, False, True, api_name="/attention_page"
    )[5]
    assert merged["tokens"] == ["<s>", "a", "<mask>", "b", "</s>"]  # the typed word, as text


def test_100k_characters_are_cut_or_refused_with_the_limit_named(client):
    text = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 1800)[:100_000]
    _, _, details = client.predict(text, api_name="/sentiment_page")
    assert "only the first 512 tokens were used" in details
    _, _, details = client.predict(text, api_name="/classify_page")
    assert "only the first" in details
    details = client.predict(text, api_name="/attention_page")[6]
    assert "only the first 128 tokens were used" in details
    with pytest.raises(
        AppError, match=r"100,000 characters; this server accepts at most 20,000.*ROBERTA_DEMO_MAX_NER_CHARS"
    ):
        client.predict(text, api_name="/ner_page")
    with pytest.raises(AppError, match="ROBERTA_DEMO_MAX_CHARS"):
        client.predict(text + "!", api_name="/sentiment_page")
    _assert_still_serving(client)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("", "at least one candidate label"),
        (" , ,, ", "at least one candidate label"),
        (", ".join(f"label {i}" for i in range(200)), "200 labels; this server accepts at most 50"),
        ("y" * 1000, "1,000 characters; this server accepts at most 100"),
    ],
)
def test_bad_zero_shot_labels_get_clear_messages(client, labels, message):
    with pytest.raises(AppError, match=message):
        client.predict("A text.", "Zero-shot (your labels)", labels, api_name="/classify_page")
    _assert_still_serving(client)


def test_duplicate_labels_are_merged(client):
    top, _, _ = client.predict("A text.", "Zero-shot (your labels)", "a, b, a, A, b ", api_name="/classify_page")
    assert sorted(item["label"] for item in top["confidences"]) == ["A", "a", "b"]


def test_too_many_texts_in_a_batch_names_the_limit(client):
    with pytest.raises(AppError, match=r"501 texts; this server accepts at most 500.*ROBERTA_DEMO_MAX_TEXTS"):
        client.predict("\n".join(f"t{i}" for i in range(501)), api_name="/sentiment_batch_page")


def test_a_bad_template_gets_a_clear_message(client):
    with pytest.raises(AppError, match=re.escape('exactly one "{}"')):
        client.predict("A text.", "Zero-shot (your labels)", "a, b", "No placeholder.", api_name="/classify_page")
