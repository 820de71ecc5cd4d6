"""Chinese on the tiny-zh profile: BERT-architecture checkpoints with a WordPiece vocabulary (one token per Chinese
character, `##` pieces, `[CLS] [SEP] [MASK]`), as the zh profile's RoBERTa-trained Chinese checkpoints are, through
every task. Entities are planted, so their spans are known in advance."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.profiles import TaskModels, load_profile
from roberta_demo.tasks import attention, classification, explain, fill_mask, ner, sentiment
from roberta_demo.tasks.common import TaskContext
from tests.planted import plant_token_classifier

# CLUENER's tags: B- begins, I- continues, S- is a one-character entity.
PLANTED_TAGS = {
    "李": "B-name",
    "明": "I-name",
    "杭": "S-address",
    "京": "S-address",
    "红": "B-book",
    "楼": "I-book",
    "梦": "I-book",
    "》": "I-book",
    "腾": "B-company",
    "讯": "I-company",
}


@pytest.fixture(scope="module")
def zh() -> TaskContext:
    return TaskContext(Backend(load_profile("tiny-zh", env={}), "cpu"), Limits())


@pytest.fixture(scope="module")
def planted_zh(tmp_path_factory: pytest.TempPathFactory) -> TaskContext:
    profile = load_profile("tiny-zh", env={})
    source = Path(profile.location(profile.models("ner").checkpoints[0]))
    path = plant_token_classifier(source, tmp_path_factory.mktemp("zh") / "ner", PLANTED_TAGS)
    tasks = {**profile.tasks, "ner": TaskModels("ner", (str(path),))}
    return TaskContext(Backend(replace(profile, tasks=tasks), "cpu"), Limits())


def test_the_tiny_zh_checkpoints_are_bert_with_a_chinese_wordpiece(zh):
    loaded = zh.backend.model(zh.checkpoint_for("fill_mask"))
    assert loaded.model.config.model_type == "bert"
    assert loaded.tokenizer.tokenize("北京是首都") == ["北", "京", "是", "首", "都"]
    assert (loaded.tokenizer.cls_token, loaded.tokenizer.sep_token, loaded.tokenizer.mask_token) == (
        "[CLS]",
        "[SEP]",
        "[MASK]",
    )


def test_planted_chinese_entities_slice_the_text_and_single_characters_are_typed(planted_zh):
    text = "李明在杭京读《红楼梦》，后来去了腾讯。"
    found = ner.tag(planted_zh, text)
    spans = [(e.word, e.label, e.start, e.end) for e in found.entities]
    # Two one-character places side by side stay two (read as "I-" continuations, S- tags would merge them).
    assert spans == [
        ("李明", "name", 0, 2),
        ("杭", "address", 3, 4),
        ("京", "address", 4, 5),
        ("红楼梦", "book", 7, 10),
        ("腾讯", "company", 16, 18),
    ]
    assert all(text[e.start : e.end] == e.word for e in found.entities)  # 》 trimmed like a closing quote
    assert all(a.end <= b.start for a, b in pairwise(found.entities))  # no overlaps
    assert not any(label.startswith(("S-", "B-", "I-")) for label in found.labels) and "address" in found.labels


def test_fill_mask_reads_mask_and_converts_the_english_spelling(zh):
    result = fill_mask.predict(zh, "北京是中国的[MASK]都。", top_k=3)
    (mask,) = result.masks
    assert result.text[mask.start : mask.end] == "[MASK]" and len(mask.fillers) == 3
    assert all(f.sequence == result.text[: mask.start] + f.text + result.text[mask.end :] for f in mask.fillers)
    typed = fill_mask.predict(zh, "北京是中国的<mask>都。", top_k=3)
    assert typed.text == result.text and any("[MASK]" in note for note in map(str, typed.notes))
    assert [f.token for f in typed.masks[0].fillers] == [f.token for f in mask.fillers]


def test_fill_mask_scores_a_chinese_candidate(zh):
    (mask,) = fill_mask.predict(zh, "我喜欢吃[MASK]果。", candidates="苹").masks
    (candidate,) = mask.candidates
    assert candidate.pieces == ["苹"] and candidate.rank is not None and 0 < candidate.score < 1


def test_attention_shows_characters_merges_nothing_and_hides_cls_and_sep(zh):
    text = "北京是中国的首都。"
    view = attention.inspect(zh, text)
    assert view.tokens == ["[CLS]", *text, "[SEP]"]
    merged = attention.inspect(zh, text, merge_words=True)
    assert merged.tokens == view.tokens  # each character is a word already
    hidden = attention.inspect(zh, text, hide_special=True)
    assert hidden.tokens == list(text)
    np.testing.assert_allclose(hidden.weights.sum(-1), 1.0, atol=1e-5)


def test_mixed_chinese_and_english_merge_into_characters_and_words(zh):
    view = attention.inspect(zh, "我用 RoBERTa 做实验", merge_words=True, hide_special=True)
    assert view.tokens == ["我", "用", "RoBERTa", "做", "实", "验"]


def test_a_pair_of_chinese_sentences_is_marked(zh):
    view = attention.inspect(zh, "今天天气很好。", "我们去公园吧。")
    assert view.tokens[view.pair_start - 1] == "[SEP]" and view.tokens[view.pair_start] == "我"


def test_explanations_are_per_character(zh):
    text = "这部电影太好看了！"
    result = explain.explain(zh, text, "sentiment")
    assert [w.word for w in result.words] == list(text)
    assert all(text[w.start : w.end] == w.word for w in result.words)


def test_review_sentiment_news_topics_and_zero_shot(zh):
    review = sentiment.classify(zh, "手机质量很好，运行速度快，五星好评！")
    assert sorted(review.labels) == ["negative (stars 1, 2 and 3)", "positive (stars 4 and 5)"] and review.exclusive
    other = sentiment.classify(
        zh, "菜太咸了", checkpoint=zh.checkpoint_for("sentiment", zh.backend.profile.allowed("sentiment")[1])
    )
    assert "dianping" in other.run.checkpoint
    news = classification.topic(zh, "中国女排以三比零战胜对手")
    assert len(news.labels) == 7 and news.exclusive and sum(news.scores) == pytest.approx(1.0, abs=1e-5)
    guess = classification.zero_shot(zh, "中国女排以三比零战胜对手", ["体育", "财经"], "这是一条{}新闻。")
    assert sorted(guess.labels) == ["体育", "财经"]


def test_emotion_has_no_chinese_model_and_says_so(zh):
    with pytest.raises(InputError, match="Emotion has no model in this profile"):
        sentiment.classify(zh, "太开心了", "emotion")


def test_a_long_chinese_text_counts_a_token_per_character(zh):
    text = "北京是中国的首都。" * 100  # 900 characters
    result = sentiment.classify(zh, text)
    assert result.run.truncation is not None
    assert result.run.truncation.tokens_total == len(text) + 2 and result.run.truncation.tokens_kept == 512


@pytest.mark.parametrize(
    "text",
    [
        "臺灣的台北101大樓很高",
        "ＡＢＣ公司第１季度收入增长１２％",
        "今天好开心🎉🎉",
        "我在 Google 工作，住在 Mountain View。",
    ],
    ids=["traditional", "full-width", "emoji", "mixed"],
)
def test_odd_chinese_text_gets_a_result_with_exact_offsets(zh, text):
    found = ner.tag(zh, text)
    assert all(text[e.start : e.end] == e.word for e in found.entities)
    view = attention.inspect(zh, text, merge_words=True, hide_special=True)
    assert "".join(view.tokens).replace(" ", "") == text.replace(" ", "")
    words = explain.explain(zh, text, "sentiment").words
    assert all(text[w.start : w.end] == w.word for w in words)
