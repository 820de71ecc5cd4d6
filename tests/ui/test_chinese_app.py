"""The app on the tiny-zh profile, through its data endpoints and the page's events: Chinese in, exact offsets out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from roberta_demo.backend import Backend
from roberta_demo.config import Settings
from roberta_demo.perf.server import client_for
from roberta_demo.profiles import load_profile
from roberta_demo.ui import ner as ner_tab
from roberta_demo.ui import sentiment as sentiment_tab
from tests.conftest import serve_app
from tests.waiting import HANG

TEXT = "李明在清华大学读书，他最喜欢《红楼梦》。"


@pytest.fixture(scope="module")
def zh_url() -> Iterator[str]:
    demo, url = serve_app(Backend(load_profile("tiny-zh", env={}), "cpu"), Settings())
    yield url
    demo.close()


@pytest.fixture(scope="module")
def zh_client(zh_url: str) -> Iterator[Client]:
    client = client_for(zh_url)
    yield client
    client.close()


def test_the_tabs_offer_chinese_examples_and_presets(zh_url):
    config = httpx.get(zh_url + "config", timeout=HANG).text
    for example in (
        *sentiment_tab.EXAMPLES["zh"][:2],
        ner_tab.EXAMPLES["zh"][0],
        "北京是中国的[MASK]都。",
        "商品评论：好评还是差评",
    ):
        assert json.dumps(example, ensure_ascii=False)[1:-1] in config
    assert json.dumps(sentiment_tab.EXAMPLES["en"][0], ensure_ascii=False)[1:-1] not in config


def test_every_data_endpoint_answers_in_chinese(zh_client):
    entities = zh_client.predict(TEXT, api_name="/ner")["entities"]
    assert all(TEXT[e["start"] : e["end"]] == e["word"] for e in entities)
    assert all(a["end"] <= b["start"] for a, b in pairwise(entities))
    masks = zh_client.predict("北京是中国的[MASK]都。", api_name="/fill_mask")["masks"]
    assert len(masks) == 1 and len(masks[0]["predictions"]) == 5
    attention = zh_client.predict("北京是首都。", layer=0, head=0, api_name="/attention")
    assert attention["tokens"] == ["[CLS]", "北", "京", "是", "首", "都", "。", "[SEP]"]
    review = zh_client.predict("质量很好，五星好评！", api_name="/sentiment")
    assert review["labels"][0].startswith(("positive", "negative")) and len(review["labels"]) == 2
    news = zh_client.predict("中国女排战胜对手", mode="topic", api_name="/classify")
    assert len(news["labels"]) == 7 and news["multi_label"] is False
    words = zh_client.predict("这部电影太好看了！", api_name="/explain")["words"]
    assert [w["word"] for w in words] == list("这部电影太好看了！")


def test_the_emotion_mode_says_there_is_no_chinese_model(zh_client):
    with pytest.raises(AppError, match="Emotion has no model in this profile"):
        zh_client.predict("太开心了", "emotion", api_name="/sentiment")


def test_the_ner_tab_highlights_pieces_that_spell_the_text(zh_client):
    pieces, table, _ = zh_client.predict(TEXT, 0.0, api_name="/ner_page")
    assert "".join(piece["token"] for piece in pieces) == TEXT
    assert all(TEXT[start:end] == word for word, _, _, start, end in table["data"])


def test_an_english_mask_typed_in_the_chinese_profile_is_read_as_its_mask(zh_client):
    answer = zh_client.predict("北京是中国的<mask>都。", api_name="/fill_mask")
    assert answer["text"] == "北京是中国的[MASK]都。" and any("[MASK]" in note for note in answer["notes"])


def test_fine_tuning_a_chinese_base_model(zh_client):
    examples = {
        "headers": ["text", "label"],
        "data": [["质量很好", "好评"], ["非常满意", "好评"], ["太差了", "差评"], ["很失望", "差评"]],
    }
    report = zh_client.predict(examples, steps=3, learning_rate=1e-3, api_name="/fine_tune")
    assert len(report["losses"]) == 3 and {p["after"] for p in report["predictions"]} <= {"好评", "差评"}


@pytest.mark.parametrize(
    ("endpoint", "text"),
    [
        ("/sentiment_page", "这部电影太好看了！"),
        ("/classify_page", "中国女排在世界杯比赛中以三比零战胜对手"),
        ("/fill_mask_page", "北京是中国的[MASK]都。"),
        ("/attention_page", "北京是中国的首都。"),
    ],
)
def test_every_tab_runs_on_chinese(zh_client, endpoint, text):
    outputs = zh_client.predict(text, api_name=endpoint)
    assert outputs[0] and any("tiny-zh" in str(value) for value in outputs)  # the run note names the model


def test_the_chinese_profile_names_its_checkpoints_too(zh_url, zh_client):
    from tests.ui.test_what_leaves import assert_no_server_path

    for address in ("config", "gradio_api/info?all_endpoints=true"):
        assert_no_server_path(httpx.get(zh_url + address, timeout=HANG).text)
    result = zh_client.predict("这部电影很好看。", api_name="/sentiment")
    assert result["checkpoint"] == "tiny/tiny-zh-jd"
    assert_no_server_path(json.dumps(result))
