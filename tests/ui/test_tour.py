"""The tour's steps and words, on the tiny checkpoints: every step in both languages and short enough for a slide,
each step's view drawn from the model, the step a link names read safely."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from roberta_demo.errors import InputError, said
from roberta_demo.tasks import facts
from roberta_demo.ui import explainer
from roberta_demo.ui.i18n import LANGUAGE
from roberta_demo.ui.tour_text import STEPS

CJK = re.compile(r"[\u4e00-\u9fff]")
OPTIONS = {"temperature": 1.0, "mode": "Dynamic (RoBERTa): a new masking every epoch", "epochs": 3, "threshold": 0.0}


def _quiet(*_args, **_named):
    """A progress bar outside a request: nothing to tell."""


@pytest.mark.parametrize(("given", "step"), [("4", 4), (" 7 ", 7), ("4.0", 4), ("0", 1), ("99", 10), ("abc", 1)])
def test_a_linked_step_is_read_as_the_nearest_step(given, step):
    assert explainer.step_number(given) == step


def test_every_step_is_in_both_languages_and_fits_a_slide():
    assert len(STEPS["en"]) == len(STEPS["zh"]) == explainer.STEP_COUNT == 10
    for number in range(1, explainer.STEP_COUNT + 1):
        english = explainer.lead_markdown(number, None)
        chinese = explainer.lead_markdown(number, None, "zh")
        assert len(english.split()) <= 60, f"step {number}'s lead is more than a short paragraph"
        assert CJK.search(chinese) and CJK.search(explainer.more_markdown(number, None, "zh"))
        unfilled = re.compile(r"\{(layers|heads|hidden|vocabulary|total_heads|bert_versus_roberta)[}:]")
        assert not CJK.search(english) and not unfilled.search(english + explainer.more_markdown(number, None))
    assert "50,265" in explainer.lead_markdown(1, None)  # roberta-base's figures, until the model has loaded


def test_the_words_take_the_loaded_models_figures(context):
    shown = explainer.page_figures(context)
    described = facts.describe(context)
    assert described.checkpoint in shown["model"]
    assert f"**{described.vocabulary:,}**" in shown["lead_1"] and f"**{described.hidden_size}**" in shown["lead_2"]
    assert set(shown) == {"model", *(f"{kind}_{n}" for kind in ("lead", "more") for n in range(1, 11))}
    token = LANGUAGE.set("zh")
    try:
        assert "这些页面背后的模型是" in explainer.page_figures(context)["model"]
    finally:
        LANGUAGE.reset(token)


@pytest.mark.parametrize(
    ("step", "drawn"),
    [
        (1, {"tokens", "tokens_note"}),
        (2, {"drift", "drift_note"}),
        (3, {"formula", "scores"}),
        (4, {"heads", "heads_note"}),
        (5, {"filled", "sampled", "fill_chart", "fill_note"}),
        (6, {"given", "grid", "mask_note"}),
        (10, {"sentiment", "topic", "entities", "applications_note"}),
    ],
)
def test_each_step_draws_its_view_from_the_model(context, step, drawn):
    text = "The animal didn't cross the street because it was too tired. Alice saw it in Paris."
    values = explainer.show_step(context, text, str(step), 1.0, OPTIONS["mode"], 3, 0.0, _quiet)
    assert set(values) == {"walkthrough", *drawn}
    assert values["walkthrough"].selected == step  # the stepper, with the view
    assert all(values[name] is not None for name in drawn if not name.endswith("note"))
    figures = [value for value in values.values() if isinstance(value, go.Figure)]
    assert all(figure.data for figure in figures)


def test_the_first_steps_view_is_the_texts_own_tokens(context, backend):
    values = explainer.show_step(context, "Hello there", "1", 1.0, OPTIONS["mode"], 3, 0.0, _quiet)
    tokenizer = backend.model(backend.checkpoint_for("attention")).tokenizer
    assert [int(token_id) for _piece, token_id in values["tokens"]] == tokenizer("Hello there")["input_ids"]


@pytest.mark.parametrize("step", ["7", "8", "9"])
def test_the_training_steps_wait_for_their_buttons(context, step):
    shown = explainer.show_step(context, "Any text.", step, 1.0, OPTIONS["mode"], 3, 0.0, _quiet)
    assert set(shown) == {"walkthrough"} and shown["walkthrough"].selected == int(step)


def test_fill_mask_hides_the_last_word_unless_the_text_has_its_own_mask():
    assert explainer.masked_for_filling("The cat sat on the mat.") == "The cat sat on the <mask>."
    assert explainer.masked_for_filling("The <mask> sat down.") == "The <mask> sat down."
    with pytest.raises(InputError, match="no word to hide"):
        explainer.masked_for_filling("… !!")


def test_an_empty_text_is_answered_with_a_message_on_every_step(context):
    for step in explainer.VIEWS:
        with pytest.raises(InputError):
            explainer.show_step(context, "   ", str(step), 1.0, OPTIONS["mode"], 3, 0.0, _quiet)


def test_the_steps_notes_and_messages_are_in_the_pages_language(context):
    token = LANGUAGE.set("zh")
    try:
        note = explainer.show_step(context, "Hello there", "1", 1.0, OPTIONS["mode"], 3, 0.0, _quiet)["tokens_note"]
        with pytest.raises(InputError) as refused:
            explainer.masked_for_filling("… !!")
        message = said(refused.value)
    finally:
        LANGUAGE.reset(token)
    assert CJK.search(note) and "vocabulary" not in note
    assert CJK.search(message) and "hide" not in message
