"""Word attributions on planted classifiers, whose decisions hinge on known words, and on the tiny models."""

from __future__ import annotations

import numpy as np
import pytest

from roberta_demo.errors import InputError
from roberta_demo.results import RunInfo
from roberta_demo.tasks import attention, explain
from roberta_demo.tasks.encoding import Encoded


def _by_word(result) -> dict[str, float]:
    return {w.word: w.attribution for w in result.words}


def _strongest(result) -> str:
    return max(result.words, key=lambda w: w.attribution).word


@pytest.mark.parametrize("method", explain.METHODS)
def test_the_word_the_decision_hinges_on_gets_the_largest_positive_attribution(planted, method):
    result = explain.explain(planted, "what a great day at the office", "sentiment", method=method)
    assert result.target == "positive"  # the prediction, explained by default
    assert _strongest(result) == "great" and _by_word(result)["great"] > 0
    against = explain.explain(planted, "what a great day at the office", "sentiment", "negative", method)
    assert _by_word(against)["great"] < 0  # the same word speaks against another class


def test_integrated_gradients_adds_up_to_the_change_in_output(planted, context):
    for ctx, text in ((planted, "the soup was cold"), (context, "Oh great, another delay. I love waiting.")):
        result = explain.explain(ctx, text, "sentiment", method="integrated_gradients", steps=32)
        assert result.relative_delta is not None and result.relative_delta <= 0.05, result.relative_delta
    assert explain.explain(planted, "the soup was cold", "sentiment").delta is None  # Gradient × Input has none


def test_an_entity_is_explained_by_its_own_word(planted):
    text = "Zoë said Obama flew to Paris."
    result = explain.explain(planted, text, "ner", target="Obama")
    assert result.target == "Obama (9): PER" and _strongest(result) == "Obama"
    by_offset = explain.explain(planted, text, "ner", target="23", method="integrated_gradients")
    assert by_offset.target.startswith("Paris (23)") and _strongest(by_offset) == "Paris."
    assert set(result.targets) == {"Obama (9)", "Paris (23)"}


def test_zero_shot_scores_the_premise_and_reads_the_hypothesis(planted):
    result = explain.explain(planted, "we love sports and food", "zero_shot", "music", labels="music, cooking")
    assert [w.word for w in result.words] == ["we", "love", "sports", "and", "food"]  # the hypothesis is not scored
    assert result.hypothesis == "This example is music."
    assert _strongest(result) == "sports"  # the planted entailment word, in the premise


def test_word_attributions_sum_their_pieces():
    text = "Paris rocks"
    encoded = Encoded(
        ids=[0, 10, 11, 12, 13, 2],
        tokens=["<s>", "P", "ar", "is", "Ġrocks", "</s>"],
        offsets=[(0, 0), (0, 1), (1, 3), (3, 5), (5, 11), (0, 0)],
        segments=[None, 0, 0, 0, 0, None],
        masks=[],
        total=6,
    )
    values = np.array([9.0, 0.5, 0.25, 0.125, -1.0, 9.0], dtype=np.float32)
    shares = np.array([0.1, 0.1, 0.1, 0.1, 0.5, 0.1], dtype=np.float32)
    raw = explain._Raw(encoded, (text,), 0, None, values, shares, None, 1.0, RunInfo("c", "cpu", 0.0))
    words = explain._words(raw)
    assert [(w.word, w.start, w.end) for w in words] == [("Paris", 0, 5), ("rocks", 6, 11)]
    assert [w.attribution for w in words] == pytest.approx([0.875, -1.0])
    assert [w.attention for w in words] == pytest.approx([0.3, 0.5])


def test_no_gradient_is_left_on_the_model_and_its_weights_stay(planted):
    model = planted.backend.model(planted.checkpoint_for("sentiment")).model
    before = {name: parameter.detach().clone() for name, parameter in model.named_parameters()}
    explain.explain(planted, "what a great day", "sentiment", method="integrated_gradients")
    explain.explain(planted, "what a great day", "sentiment")
    assert all(parameter.grad is None for parameter in model.parameters())
    assert all(np.array_equal(before[name], parameter.detach()) for name, parameter in model.named_parameters())


def test_the_attention_beside_it_is_the_same_models(context):
    text = "The movie was long but the ending was great."
    result = explain.explain(context, text, "sentiment")
    view = attention.inspect(context, text, checkpoint=result.run.checkpoint, merge_words=True)
    words = [i for i, special in enumerate(view.special) if not special]
    assert [view.tokens[i] for i in words] == [w.word for w in result.words]
    np.testing.assert_allclose([w.attention for w in result.words], view.rollout[-1, 0, words], rtol=1e-4)


def test_a_text_past_the_limit_is_cut_with_a_notice_then_explained(context):
    result = explain.explain(context, " ".join(["word"] * 800), "sentiment", method="integrated_gradients", steps=8)
    assert result.run.truncation is not None and result.run.truncation.tokens_kept == 512
    assert len(result.words) == 800 and result.words[-1].attribution == 0  # the cut words got nothing


@pytest.mark.parametrize(
    ("task", "target", "options", "message"),
    [
        ("sentiment", "ecstatic", {}, '"ecstatic" is not one of this model\'s classes'),
        ("ner", "Gandalf", {}, '"Gandalf" is not an entity the model found here'),
        ("sentiment", None, {"steps": 4}, "8 to 64 steps, not 4"),
        ("sentiment", None, {"steps": 65}, "8 to 64 steps, not 65"),
        ("sentiment", None, {"method": "lime"}, "grad_x_input or integrated_gradients"),
        ("summary", None, {}, 'not for "summary"'),
        ("zero_shot", "cooking", {"labels": "sports, music"}, '"cooking" is not one of the candidate labels'),
    ],
)
def test_bad_requests_get_clear_messages(planted, task, target, options, message):
    with pytest.raises(InputError, match=message):
        explain.explain(planted, "Obama flew to Paris on a great day.", task, target, **options)


def test_no_entity_to_explain_says_so(planted):
    with pytest.raises(InputError, match="found no entity"):
        explain.explain(planted, "nothing to see here", "ner")
