"""Text to model input: the same ids and offsets as the tokenizer's own, and masks only where a task reads them."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from roberta_demo.tasks.encoding import encode, find_masks, mask_word, maskable_words

TEXTS = [
    ("The cat sat.", None),
    ("Zoë  met <s> José 😍", "second </s></s> one"),
    ("word " * 50, "pair " * 30),
    ("a " * 10, "b " * 70),
]


@pytest.fixture(scope="module")
def tokenizer(backend):
    """The tiny RoBERTa tokenizer as the backend loads it: typed special tokens stay characters."""
    return backend.model(backend.checkpoint_for("fill_mask")).tokenizer


@pytest.mark.parametrize(("text", "pair"), TEXTS)
@pytest.mark.parametrize("limit", [512, 40, 17])
def test_without_masks_it_is_the_tokenizers_own_encoding(tokenizer, text, pair, limit):
    ours, _ = encode(tokenizer, text, pair, limit)
    theirs = tokenizer(text, pair, truncation=True, max_length=limit, return_offsets_mapping=True)
    assert ours.ids == theirs["input_ids"]
    assert ours.segments == theirs.sequence_ids(0)
    assert ours.offsets == [tuple(span) for span in theirs["offset_mapping"]]
    assert ours.total == len(tokenizer(text, pair)["input_ids"]) and ours.masks == []


def test_masks_read_as_roberta_base_reads_them(tokenizer, tiny_profile):
    # A tokenizer that recognises <mask> as a special token, declared with lstrip as in roberta-base.
    reference = AutoTokenizer.from_pretrained(tiny_profile.location(tiny_profile.models("fill_mask").checkpoints[0]))
    assert reference.added_tokens_decoder[reference.mask_token_id].lstrip
    ids = reference("The <mask> sat", add_special_tokens=False)["input_ids"]
    assert reference.convert_ids_to_tokens(ids)[:3] == ["The", "<mask>", "Ġs"]  # the space is absorbed
    for text in ["The <mask> sat on the <mask>.", "app<mask> pie", "<mask> first", "end <mask>"]:
        ours, _ = encode(tokenizer, text, None, 512, read_masks=True)
        assert ours.ids == reference(text)["input_ids"], text
        assert [ours.tokens[i] for i in ours.masks] == ["<mask>"] * text.count("<mask>")


def test_only_masks_become_special_tokens(tokenizer):
    encoded, (masked,) = encode(tokenizer, "<s> a [MASK] b </s>", None, 512, read_masks=True)
    assert encoded.tokens.count("<s>") == 1 and encoded.tokens.count("</s>") == 1  # the typed ones stay text
    assert masked.text == "<s> a <mask> b </s>" and masked.converted == ["[MASK]"]
    assert [masked.text[slice(*encoded.offsets[i])] for i in encoded.masks] == ["<mask>"]


def test_masks_past_the_limit_are_dropped_and_the_cut_is_counted(tokenizer):
    text = "<mask> " + "word " * 100 + "<mask>"
    encoded, (masked,) = encode(tokenizer, text, None, 32, read_masks=True)
    assert len(encoded.ids) == 32 and encoded.total > 100 and encoded.truncated
    assert len(encoded.masks) == 1 and len(masked.spans) == 2


def test_finding_words_and_masks():
    found = find_masks("A ___ and a [MASK] and a <mask>.", "<mask>")
    assert found.text == "A <mask> and a <mask> and a <mask>." and found.converted == ["___", "[MASK]"]
    assert [found.text[a:b] for a, b in found.spans] == ["<mask>"] * 3
    text = "It's a <mask>, isn't it?"
    assert [text[a:b] for a, b in maskable_words(text)] == ["It's", "a", "isn't", "it"]
    assert mask_word(text, maskable_words(text)[3]) == "It's a <mask>, isn't <mask>?"
