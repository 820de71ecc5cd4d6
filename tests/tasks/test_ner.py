"""NER on a planted checkpoint: exact spans, word grouping, long texts in overlapping windows."""

from __future__ import annotations

from roberta_demo.results import NerResult
from roberta_demo.tasks import ner


def _found(result: NerResult) -> list[tuple[str, str, int, int]]:
    return [(e.word, e.label, e.start, e.end) for e in result.entities]


def test_known_entities_with_exact_offsets(planted):
    text = "Zoë said Obama flew to Paris to meet the United team."
    result = ner.tag(planted, text)
    assert _found(result) == [
        ("Obama", "PER", 9, 14),
        ("Paris", "LOC", 23, 28),
        ("United", "ORG", 41, 47),
    ]
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.word
        assert entity.score > 0.99


def test_a_multi_piece_word_is_one_entity(planted):
    tokenizer = planted.backend.model(planted.checkpoint_for("ner")).tokenizer
    assert len(tokenizer.tokenize(" Paris")) > 1  # ĠP ar is: three pieces, one entity
    assert [e.word for e in ner.tag(planted, "to Paris").entities] == ["Paris"]


def test_entity_at_the_end_of_a_3000_word_text_is_found_once(planted):
    filler = " ".join(["and then the team had food"] * 500)  # 3,000 words, far past 512 tokens
    text = f"First Obama spoke. {filler} Finally Paris."
    result = ner.tag(planted, text)
    assert planted.count_tokens(planted.checkpoint_for("ner"), text) > 4 * 512
    assert _found(result) == [("Obama", "PER", 6, 11), ("Paris", "LOC", len(text) - 6, len(text) - 1)]
    assert result.run.truncation is None


def test_punctuation_glued_to_a_word_is_not_part_of_the_entity(planted):
    text = "He saw Paris, Obama! and Paris."
    found = [(e.word, text[e.start : e.end]) for e in ner.tag(planted, text).entities]
    assert found == [("Paris", "Paris"), ("Obama", "Obama"), ("Paris", "Paris")]


def test_threshold_and_entity_types(planted):
    result = ner.tag(planted, "Then Obama in Paris")
    assert result.labels == ["LOC", "MISC", "ORG", "PER"]
    assert len(result.above(0.5)) == 2 and result.above(1.01) == []
