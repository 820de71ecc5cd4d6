"""A checkpoint's figures and a text's tokens, read from the tiny checkpoints themselves."""

from __future__ import annotations

import pytest

from roberta_demo.errors import InputError
from roberta_demo.tasks import facts


def test_the_figures_are_the_loaded_models_own(context, backend):
    described = facts.describe(context)
    model = backend.model(backend.checkpoint_for("attention"))
    config = model.model.config
    assert (described.layers, described.heads, described.hidden_size) == (
        config.num_hidden_layers,
        config.num_attention_heads,
        config.hidden_size,
    )
    assert described.parameters == sum(p.numel() for p in model.model.parameters())
    assert described.vocabulary == len(model.tokenizer)


@pytest.mark.parametrize("text", ["Unbelievably, RoBERTa reads tokens.", "naïve café 🙂 <b>bold</b>"])
def test_a_text_is_tokenized_as_the_model_reads_it(context, backend, text):
    found = facts.tokenize(context, text)
    tokenizer = backend.model(backend.checkpoint_for("attention")).tokenizer
    assert found.ids == tokenizer(text)["input_ids"]
    assert found.spellings == tokenizer.convert_ids_to_tokens(found.ids)
    assert found.special == [True, *([False] * (len(found.ids) - 2)), True]
    assert found.vocabulary == len(tokenizer) and found.run.truncation is None
    # Each piece is the characters it covers (byte-level pieces of one character share it): the text, in order.
    pieces = [piece for piece in found.pieces[1:-1] if piece not in ("␣", "⏎")]  # a bare space, shown
    assert all(piece in text for piece in pieces)
    rest = iter("".join(pieces))
    assert all(character in rest for character in text.replace(" ", ""))


def test_tokenize_refuses_what_is_not_a_text(context):
    with pytest.raises(InputError, match="Type or paste some text"):
        facts.tokenize(context, "")
    with pytest.raises(InputError, match="must be a string"):
        facts.tokenize(context, 42)  # type: ignore[arg-type]
