"""Masking as pre-training does it, on the tiny checkpoints: the collator's rates over many draws, dynamic against
static, the loss shown against the model's own, and whole words for the Chinese wwm model."""

from __future__ import annotations

import pytest
import torch

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.profiles import load_profile
from roberta_demo.tasks import masking
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.encoding import encode

PARAGRAPH = (
    "The river bank was quiet in the morning. A heron stood in the shallow water, and the current carried leaves "
    "past the old stone bridge. On the far side a fisherman cast his line again and again, waiting for a bite. "
) * 3


def test_a_text_is_masked_for_each_epoch_with_its_loss(context):
    result = masking.mask(context, PARAGRAPH, epochs=3, seed=5)
    assert [draw.epoch for draw in result.draws] == [1, 2, 3]
    assert result.dynamic and not result.whole_words and result.probability == 0.15
    assert "".join(result.pieces) == PARAGRAPH[: len("".join(result.pieces))]  # the pieces give the text back
    for draw in result.draws:
        assert draw.chosen and draw.loss == pytest.approx(sum(t.loss for t in draw.chosen) / len(draw.chosen))
        assert not any(result.special[t.position] for t in draw.chosen)  # <s> and </s> are never chosen
        for token in draw.chosen:
            assert token.text == (result.pieces[token.position].strip() or "␣")
            assert (token.given == "<mask>") == (token.kind == "mask")
            assert (token.given == token.text) == (token.kind == "kept") or token.kind == "random"
    assert result.plain()["draws"][0]["chosen"][0]["kind"] in {"mask", "random", "kept"}


def test_over_many_draws_15_percent_are_chosen_and_80_10_10_of_them_become_mask_random_unchanged(backend):
    model = backend.model(backend.checkpoint_for("fill_mask"))
    encoded, _ = encode(model.tokenizer, PARAGRAPH, None, 256)
    ordinary = [position for position, special in enumerate(encoded.special) if not special]
    chosen = kinds_mask = kinds_random = kinds_kept = 0
    draws = 60
    for seed in range(draws):
        given, labels = masking.masked(model, encoded, PARAGRAPH, seed, whole_words=False)
        for position in ordinary:
            if labels[position] == -100:
                assert given[position] == encoded.ids[position]  # a token not chosen is given as it is
                continue
            chosen += 1
            assert labels[position] == encoded.ids[position]
            if given[position] == model.tokenizer.mask_token_id:
                kinds_mask += 1
            elif given[position] == encoded.ids[position]:
                kinds_kept += 1
            else:
                kinds_random += 1
    # ~9,000 tokens: the share chosen is 0.15 within 0.02 (over 5 standard deviations); of the ~1,350 chosen, the
    # shares are 0.8 within 0.05 and 0.1 within 0.04 (each over 4 standard deviations).
    assert chosen / (draws * len(ordinary)) == pytest.approx(0.15, abs=0.02)
    assert kinds_mask / chosen == pytest.approx(0.8, abs=0.05)
    assert kinds_random / chosen == pytest.approx(0.1, abs=0.04)
    assert kinds_kept / chosen == pytest.approx(0.1, abs=0.04)


def test_dynamic_masking_draws_anew_each_epoch_and_static_reuses_the_first_draw(backend):
    context = TaskContext(backend, Limits())
    dynamic = masking.mask(context, PARAGRAPH, epochs=4, dynamic=True, seed=1)
    static = masking.mask(context, PARAGRAPH, epochs=4, dynamic=False, seed=1)
    assert len({tuple(draw.ids) for draw in dynamic.draws}) == 4  # four epochs, four maskings
    assert len({tuple(draw.ids) for draw in static.draws}) == 1  # four epochs, one masking
    assert static.draws[0].ids == dynamic.draws[0].ids  # the first epoch is the same draw either way
    again = masking.mask(context, PARAGRAPH, epochs=4, dynamic=True, seed=1)
    assert [draw.ids for draw in again.draws] == [draw.ids for draw in dynamic.draws]  # a seed repeats its draws


def test_the_loss_shown_is_the_models_own_masked_lm_loss_on_that_draw(backend):
    context = TaskContext(backend, Limits())
    result = masking.mask(context, PARAGRAPH, epochs=3, seed=2)
    model = backend.model(backend.checkpoint_for("fill_mask"))
    original, _ = encode(model.tokenizer, PARAGRAPH, None, 256)
    for draw in result.draws:
        labels = [-100] * len(draw.ids)
        for token in draw.chosen:
            labels[token.position] = original.ids[token.position]
        with torch.no_grad():
            own = model.model(input_ids=torch.tensor([draw.ids]), labels=torch.tensor([labels])).loss
        assert draw.loss == pytest.approx(float(own), abs=1e-5)


def test_the_chinese_wwm_model_masks_whole_words():
    context = TaskContext(Backend(load_profile("tiny-zh", env={}), "cpu"), Limits())
    text = "博物馆九点开门，今天早上的天空很蓝。我的密码昨天重置了，研究人员训练出更快的语音识别模型。"
    words = masking._segmenter().tokenize(text)
    for seed in range(20):
        result = masking.mask(context, text, epochs=1, seed=seed)
        assert result.whole_words
        chosen = {token.position for token in result.draws[0].chosen}
        assert all(token.kind == "mask" for token in result.draws[0].chosen)  # the collator masks whole words
        spans = _character_positions(result.pieces)
        for _, start, end in words:
            positions = {position for position, at in spans.items() if start <= at < end}
            assert positions <= chosen or not positions & chosen, f"{text[start:end]} was cut"


def _character_positions(pieces: list[str]) -> dict[int, int]:
    """Where in the text each token starts (each token of the Chinese model is one character here)."""
    at, found = 0, {}
    for position, piece in enumerate(pieces):
        if piece:
            found[position] = at
            at += len(piece)
    return found


@pytest.mark.parametrize(
    ("text", "epochs", "seed", "message"),
    [
        ("a", 4, 0, "too few to mask"),
        (PARAGRAPH, 0, 0, "Draw 1 to 10 epochs"),
        (PARAGRAPH, 11, 0, "Draw 1 to 10 epochs"),
        (PARAGRAPH, 4, -1, "Choose a seed"),
        ("", 4, 0, "Type or paste"),
    ],
)
def test_bad_masking_input_is_refused_by_name(backend, text, epochs, seed, message):
    with pytest.raises(InputError, match=message):
        masking.mask(TaskContext(backend, Limits()), text, epochs, True, seed)
