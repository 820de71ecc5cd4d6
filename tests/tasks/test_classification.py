"""Zero-shot and topic classification on planted checkpoints."""

from __future__ import annotations

from dataclasses import replace

import pytest

from roberta_demo.backend import Backend
from roberta_demo.errors import InputError, ModelLoadError
from roberta_demo.profiles import TaskModels
from roberta_demo.tasks import classification


def test_zero_shot_known_answer(planted):
    result = classification.zero_shot(planted, "The match ended late today", "business, sports")
    assert result.top == "sports"  # its hypothesis is the planted entailment
    assert result.scores[0] > 0.99


def test_zero_shot_returns_exactly_the_given_labels(planted):
    result = classification.zero_shot(planted, "anything", " alpha, beta ,gamma, beta ,, ")
    assert sorted(result.labels) == ["alpha", "beta", "gamma"]
    assert result.exclusive and sum(result.scores) == pytest.approx(1.0, abs=1e-5)


def test_zero_shot_multi_label_scores_each_label_alone(planted):
    result = classification.zero_shot(planted, "a text", ["sports", "business"], multi_label=True)
    scores = result.as_dict()
    assert not result.exclusive
    assert scores["sports"] > 0.99 and scores["business"] < 0.01


def test_zero_shot_uses_the_hypothesis_template(planted):
    # The planted word now comes from the template, so every label is entailed equally.
    result = classification.zero_shot(planted, "text", "a, b", template="It is about sports and {}.")
    assert result.scores[0] == pytest.approx(result.scores[1], abs=1e-4)


@pytest.mark.parametrize(
    ("labels", "template", "message"),
    [
        ("", "This is {}.", "at least one candidate label"),
        (",,,", "This is {}.", "at least one candidate label"),
        ("a, b", "No slot here.", "exactly one"),
        (", ".join(f"l{i}" for i in range(200)), "This is {}.", "200 labels; this server accepts at most 50"),
        ("x" * 1000, "This is {}.", "1,000 characters; this server accepts at most 100"),
    ],
)
def test_zero_shot_bad_labels_and_templates(planted, labels, template, message):
    with pytest.raises(InputError, match=message):
        classification.zero_shot(planted, "text", labels, template)


def test_topic_known_answer_and_independent_scores(planted):
    result = classification.topic(planted, "live music tonight")
    assert result.top == "music"
    assert len(result.labels) == 19 and not result.exclusive
    assert all(0 <= score <= 1 for score in result.scores)
    assert sum(result.scores) > 1  # sigmoids, not a softmax


def test_empty_text_is_refused(planted):
    with pytest.raises(InputError, match="Type or paste"):
        classification.topic(planted, "   \n ")


def test_zero_shot_with_a_non_nli_checkpoint_says_so(tiny_profile, context):
    tasks = dict(tiny_profile.tasks)
    tasks["zero_shot"] = TaskModels("zero_shot", tiny_profile.models("sentiment").checkpoints)
    fresh = replace(context, backend=Backend(replace(tiny_profile, tasks=tasks), "cpu"))
    with pytest.raises(ModelLoadError, match=r"no 'entailment'.*NLI checkpoint"):
        classification.zero_shot(fresh, "text", "a, b")


def test_a_long_premise_is_cut_so_that_the_hypothesis_fits(planted):
    result = classification.zero_shot(planted, " ".join(["word"] * 2000), "sports, business")
    hypothesis = planted.count_tokens(planted.checkpoint_for("zero_shot"), "This example is business.")
    assert result.run.truncation is not None
    assert result.run.truncation.tokens_kept == 512 - hypothesis


def test_many_texts_get_their_top_topic_or_zero_shot_label_in_batched_passes(planted):
    texts = ["the sports page", "live music tonight", "sports and music"]
    topics = classification.top_labels(planted, texts, "topic")
    assert topics[:2] == ["sports", "music"]  # the planted topic words
    labels = classification.top_labels(planted, texts, "zero-shot")
    assert len(labels) == 3 and set(labels) <= set(classification.parse_labels(classification.DEFAULT_LABELS, planted))
