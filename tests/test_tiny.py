"""The tiny checkpoints are real RoBERTa models with a real byte-level BPE tokenizer, built offline."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoConfig, AutoTokenizer

from roberta_demo import tiny


def test_tokenizer_splits_words_into_bpe_pieces(tiny_profile):
    tokenizer = AutoTokenizer.from_pretrained(tiny_profile.location(tiny_profile.models("sentiment").checkpoints[0]))
    text = "Unbelievably, José met Zoë in Zürich 😍"
    pieces = tokenizer.tokenize(text)
    assert len(pieces) > len(text.split())  # words really are split, not mapped to <unk> or dropped
    assert any(piece.startswith("Ġ") for piece in pieces)  # RoBERTa's word-start marker
    assert "<unk>" not in pieces
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id == 0 and ids[-1] == tokenizer.eos_token_id == 2
    assert len(ids) > 2  # a wrong build returns only <s> </s>
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_special_tokens_keep_roberta_ids(tiny_profile):
    tokenizer = AutoTokenizer.from_pretrained(tiny_profile.location(tiny_profile.models("ner").checkpoints[0]))
    assert tokenizer.convert_ids_to_tokens(range(5)) == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert tokenizer.model_max_length == tiny.MAX_TOKENS


def test_label_sets_mirror_the_default_checkpoints(tiny_profile):
    def labels(task: str) -> list[str]:
        config = AutoConfig.from_pretrained(tiny_profile.location(tiny_profile.models(task).checkpoints[0]))
        return [config.id2label[i] for i in sorted(config.id2label)]

    assert labels("sentiment") == ["negative", "neutral", "positive"]
    assert labels("emotion") == ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
    assert labels("ner") == ["O", "LOC", "MISC", "ORG", "PER"]
    assert "entailment" in labels("zero_shot")
    assert len(labels("topic")) == 19
    assert AutoConfig.from_pretrained(
        tiny_profile.location(tiny_profile.models("topic").checkpoints[0])
    ).problem_type == ("multi_label_classification")


def test_build_is_deterministic_and_cached(tmp_path: Path):
    first = tiny.ensure_built(tmp_path / "a")
    second = tiny.ensure_built(tmp_path / "b")
    for name in tiny.CHECKPOINTS:
        assert (first[name] / "model.safetensors").read_bytes() == (second[name] / "model.safetensors").read_bytes()
        assert (first[name] / "tokenizer.json").read_bytes() == (second[name] / "tokenizer.json").read_bytes()
    stamp = (first["tiny-ner"] / "model.safetensors").stat().st_mtime_ns
    assert tiny.ensure_built(tmp_path / "a") == first  # second call reuses the cache, builds nothing
    assert (first["tiny-ner"] / "model.safetensors").stat().st_mtime_ns == stamp
