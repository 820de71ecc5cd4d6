"""Fill-mask on a planted masked LM (every probability known in advance) and on the untrained tiny one."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.tasks import fill_mask
from roberta_demo.tasks.encoding import encode
from tests.planted import MLM_LOGITS, planted_probabilities


@pytest.fixture(scope="module")
def expected(planted) -> dict[str, float]:
    """The planted model's probability of each planted token (by spelling), and of any other token ("other")."""
    tokenizer = planted.backend.model(planted.checkpoint_for("fill_mask")).tokenizer
    ids = {tokenizer.convert_tokens_to_ids(token): logit for token, logit in MLM_LOGITS.items()}
    by_id = planted_probabilities(len(tokenizer), ids)
    return {tokenizer.convert_ids_to_tokens(i) if i >= 0 else "other": p for i, p in by_id.items()}


def _direct_probabilities(backend, text: str) -> np.ndarray:
    """The model's own softmax at each mask, from a plain forward pass of the full masked-LM: <float>[masks, vocab]."""
    model = backend.model(backend.checkpoint_for("fill_mask"))
    encoded, _ = encode(model.tokenizer, text, None, model.max_tokens, read_masks=True)
    inputs = {name: torch.tensor(value) for name, value in encoded.model_inputs(model.tokenizer).items()}
    with torch.inference_mode():
        logits = model.model(**inputs).logits[0, encoded.masks]
    return torch.softmax(logits.float(), dim=-1).numpy()


def test_the_planted_word_is_first_with_its_probability(planted, expected):
    result = fill_mask.predict(planted, "The weather today is <mask>.")
    (mask,) = result.masks
    assert [f.token for f in mask.fillers[:3]] == ["Ġgood", "Ġthe", "Ġhe"]
    assert mask.fillers[0].text == " good" and mask.fillers[0].score == pytest.approx(expected["Ġgood"], rel=1e-5)
    assert result.filled == "The weather today is good."
    assert [result.filled[a:b] for a, b in result.filled_spans] == ["good"]


def test_predictions_are_sorted_and_sum_to_at_most_one(context):
    for k in (1, 5, 20):
        (mask,) = fill_mask.predict(context, "I love <mask> so much.", top_k=k).masks
        scores = [filler.score for filler in mask.fillers]
        assert len(scores) == k and scores == sorted(scores, reverse=True) and sum(scores) <= 1 + 1e-6


def test_two_masks_are_predicted_each_on_its_own(backend, context):
    text = "The <mask> sat on the <mask>."
    result = fill_mask.predict(context, text, top_k=3)
    direct = _direct_probabilities(backend, text)  # both masks in one input: each predicted with the other masked
    assert len(result.masks) == 2 and len(result.filled_spans) == 2
    for mask, probabilities in zip(result.masks, direct, strict=True):
        assert [f.score for f in mask.fillers] == pytest.approx(np.sort(probabilities)[::-1][:3].tolist(), rel=1e-4)
    assert any("predicted on its own" in note for note in map(str, result.notes))


def test_a_compared_word_outside_the_top_k_gets_its_true_probability(backend, context):
    text = "The <mask> was fine."
    result = fill_mask.predict(context, text, top_k=5, candidates="the, he")
    (mask,) = result.masks
    direct = _direct_probabilities(backend, text)[0]
    tokenizer = backend.model(backend.checkpoint_for("fill_mask")).tokenizer
    for candidate in mask.candidates:
        (token,) = candidate.pieces
        token_id = tokenizer.convert_tokens_to_ids(token)
        assert candidate.score == pytest.approx(float(direct[token_id]), rel=1e-4)
        assert candidate.rank == int((direct > direct[token_id]).sum()) + 1
    assert all(c.rank > 5 for c in mask.candidates)  # outside the top five, scored all the same


def test_a_word_after_a_space_is_a_different_token_from_the_same_word_at_the_start(planted, expected):
    (middle,) = fill_mask.predict(planted, "Yesterday <mask> left early.", candidates="he").masks
    (start,) = fill_mask.predict(planted, "<mask> left early.", candidates="he").masks
    assert middle.candidates[0].pieces == ["Ġhe"] and start.candidates[0].pieces == ["he"]
    assert middle.candidates[0].score == pytest.approx(expected["Ġhe"], rel=1e-5)
    assert start.candidates[0].score == pytest.approx(expected["he"], rel=1e-5)
    glued = fill_mask.predict(planted, "well<mask> done", candidates="he").masks[0]
    assert glued.candidates[0].pieces == ["he"]  # no space before the mask: the word continues


def test_a_word_of_several_tokens_is_scored_by_the_chain_rule(planted, expected):
    (mask,) = fill_mask.predict(planted, "I think <mask> knows.", candidates="she").masks
    (she,) = mask.candidates
    assert she.pieces == ["Ġs", "he"] and she.rank is None
    # Every position of the planted model predicts the same distribution: P(Ġs) × P(he).
    assert she.score == pytest.approx(expected["other"] * expected["he"], rel=1e-4)


def test_the_layer_lens_has_every_layer_and_ends_at_the_prediction(backend, context):
    result = fill_mask.predict(context, "The cat sat on the <mask>.", top_k=5)
    (mask,) = result.masks
    lens = mask.lens
    layers = backend.model(backend.checkpoint_for("fill_mask")).model.config.num_hidden_layers
    assert lens.layers == ["embeddings", *(f"layer {i}" for i in range(1, layers + 1))]
    assert lens.probabilities.shape == (layers + 1, 5)
    np.testing.assert_allclose(lens.probabilities[-1], [f.score for f in mask.fillers], rtol=1e-4)
    assert lens.top_words[-1] == mask.fillers[0].text.strip() and lens.top_scores[-1] == pytest.approx(
        mask.fillers[0].score, rel=1e-4
    )
    without = fill_mask.predict(context, "The cat sat on the <mask>.", top_k=5, layers=False)
    assert without.masks[0].lens is None
    assert [f.token for f in without.masks[0].fillers] == [f.token for f in mask.fillers]


def test_bert_spelling_and_underscores_are_read_as_masks_with_a_note(planted):
    result = fill_mask.predict(planted, "A [MASK] day and a ___ night.")
    assert result.text == "A <mask> day and a <mask> night."
    assert str(result.notes[0]) == "Read `[MASK]`, `___` as `<mask>`, this model's mask token."
    assert result.filled == "A good day and a good night."


def test_a_mask_glued_to_a_word_is_spelled_where_it_is():
    filled, spans = fill_mask._filled("app<mask> pie", [(3, 9)], ["le"])
    assert filled == "apple pie" and spans == [(3, 5)]
    filled, spans = fill_mask._filled("The <mask> sat", [(4, 10)], [" cat"])
    assert filled == "The cat sat" and spans == [(4, 7)]  # the filler's own space replaces the one it absorbed
    filled, spans = fill_mask._filled("The <mask>, and", [(4, 10)], [","])
    assert filled == "The,, and"  # a filler without a space: the model read the mask glued to "The"
    filled, spans = fill_mask._filled("the [MASK] sat", [(4, 10)], ["cat"], absorbs_space=False)
    assert filled == "the cat sat" and spans == [(4, 7)]  # WordPiece: the mask takes no space


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("No mask in this sentence.", "Put <mask> where a word should be predicted"),
        (" ".join(["<mask>"] * 6), r"6 masks; this server accepts at most 5.*ROBERTA_DEMO_MAX_MASKS"),
        ("   ", "Type or paste some text first"),
    ],
)
def test_texts_without_usable_masks_get_clear_messages(planted, text, message):
    with pytest.raises(InputError, match=message):
        fill_mask.predict(planted, text)


@pytest.mark.parametrize(
    ("candidates", "top_k", "message"),
    [
        ("x" * 51, 5, "has 51 characters; compare words of at most 50"),
        (", ".join(f"w{i}" for i in range(11)), 5, "Compare at most 10 words at a time; this request has 11"),
        ("", 0, "between 1 and 20 predictions per mask"),
        ("", 21, "between 1 and 20 predictions per mask"),
        ("antidisestablishmentarianism", 5, "tokens for this model; compare words of at most 5"),
    ],
)
def test_bad_options_get_clear_messages(planted, candidates, top_k, message):
    with pytest.raises(InputError, match=re.escape(message)):
        fill_mask.predict(planted, "A <mask> day.", top_k=top_k, candidates=candidates)


def test_empty_and_repeated_candidates_are_dropped(planted):
    (mask,) = fill_mask.predict(planted, "A <mask> day.", candidates=" good, ,good ,, the").masks
    assert [c.word for c in mask.candidates] == ["good", "the"]


def test_a_mask_beyond_the_models_reach_is_reported(planted):
    far = " ".join(["word"] * 600)
    with pytest.raises(InputError, match="beyond the first 512 tokens"):
        fill_mask.predict(planted, f"{far} <mask>.")
    result = fill_mask.predict(planted, f"A <mask> start. {far} and a <mask> end.")
    assert len(result.masks) == 1 and result.run.truncation is not None
    assert any("1 mask(s) lie beyond" in note for note in map(str, result.notes))


def test_markup_and_odd_unicode_around_a_mask(planted):
    text = "<b>Zoë</b> 😍 said ‮<mask>‬ <script>alert(1)</script> </s></s>"
    result = fill_mask.predict(planted, text)
    assert len(result.masks) == 1  # the typed </s></s> and markup are characters, not tokens or tags
    assert result.filled == text.replace("<mask>", " good")  # no space before the mask to absorb


def test_the_mask_limit_is_a_setting(planted):
    strict = replace(planted, limits=Limits(max_masks=1))
    with pytest.raises(InputError, match=r"2 masks; this server accepts at most 1"):
        fill_mask.predict(strict, "A <mask> and a <mask>.")


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_a_temperature_reshapes_every_probability_as_softmax_of_logits_over_t(planted, temperature):
    tokenizer = planted.backend.model(planted.checkpoint_for("fill_mask")).tokenizer
    ids = {tokenizer.convert_tokens_to_ids(token): logit / temperature for token, logit in MLM_LOGITS.items()}
    at_t = planted_probabilities(len(tokenizer), ids)
    sampling = fill_mask.Sampling(temperature=temperature)
    result = fill_mask.predict(planted, "I think <mask> knows.", candidates="she, he", sampling=sampling)
    (mask,) = result.masks
    for filler in mask.fillers[:3]:
        assert filler.score == pytest.approx(at_t[tokenizer.convert_tokens_to_ids(filler.token)], rel=1e-5)
    she, he = mask.candidates  # a word of two pieces too: each piece at the temperature
    assert she.score == pytest.approx(at_t[-1] * at_t[tokenizer.convert_tokens_to_ids("he")], rel=1e-4)
    assert he.score == pytest.approx(at_t[tokenizer.convert_tokens_to_ids("Ġhe")], rel=1e-5)
    assert result.temperature == temperature and result.plain()["temperature"] == temperature


def test_sampling_draws_among_the_kept_tokens_the_same_for_the_same_seed(planted):
    text = "The weather today is <mask>, and <mask> said so."
    two = fill_mask.Sampling(samples=10, top_k=2, seed=3)
    drawn = fill_mask.predict(planted, text, sampling=two)
    assert len(drawn.samples) == 10
    assert all(filler.token in ("Ġgood", "Ġthe") for sample in drawn.samples for filler in sample.fillers)
    for sample in drawn.samples:  # each draw fills every mask, where the greedy fill puts its words
        assert [sample.text[a:b] for a, b in sample.spans] == [f.text.strip() for f in sample.fillers]
    again = fill_mask.predict(planted, text, sampling=two)
    assert [s.text for s in again.samples] == [s.text for s in drawn.samples]
    other = fill_mask.predict(planted, text, sampling=replace(two, seed=4))
    assert [s.text for s in other.samples] != [s.text for s in drawn.samples]
    # The nucleus: "good" alone holds more than half of the planted mass, so top_p 0.5 keeps it alone.
    nucleus = fill_mask.predict(planted, text, sampling=fill_mask.Sampling(samples=5, top_k=0, top_p=0.5))
    assert {filler.token for sample in nucleus.samples for filler in sample.fillers} == {"Ġgood"}
    assert drawn.filled == "The weather today is good, and good said so."  # the greedy fill is unchanged


def test_the_kept_distribution_is_top_k_then_top_p_and_draws_follow_it():
    probs = torch.tensor([[0.4, 0.3, 0.2, 0.1]])
    torch.testing.assert_close(fill_mask._kept(probs, 3, 1.0), torch.tensor([[4 / 9, 3 / 9, 2 / 9, 0.0]]))
    torch.testing.assert_close(fill_mask._kept(probs, 0, 0.6), torch.tensor([[4 / 7, 3 / 7, 0.0, 0.0]]))
    torch.testing.assert_close(fill_mask._kept(probs, 0, 0.01), torch.tensor([[1.0, 0.0, 0.0, 0.0]]))


@pytest.mark.parametrize(
    ("sampling", "message"),
    [
        (fill_mask.Sampling(temperature=0), "temperature from 0.05"),
        (fill_mask.Sampling(temperature=11), "temperature from 0.05"),
        (fill_mask.Sampling(samples=11), "0 to 10 samples"),
        (fill_mask.Sampling(top_p=0), "top_p above 0"),
        (fill_mask.Sampling(top_k=-1), "top_k 0"),
    ],
)
def test_bad_sampling_gets_a_clear_message(planted, sampling, message):
    with pytest.raises(InputError, match=message):
        fill_mask.predict(planted, "It was <mask>.", sampling=sampling)
