"""Entity highlighting values and colours."""

from __future__ import annotations

from roberta_demo.results import EntitySpan, NerResult, RunInfo
from roberta_demo.viz.entities import entity_colours, entity_rows, highlighted


def test_highlighted_value_uses_character_offsets():
    text = "Zoë met <b>Paris</b>"
    entity = EntitySpan("Paris", "LOC", 0.9, 11, 16)
    result = NerResult(text, [entity], ["LOC"], RunInfo("c", "cpu", 0.0))
    assert highlighted(result, [entity]) == {"text": text, "entities": [{"entity": "LOC", "start": 11, "end": 16}]}
    assert entity_rows([entity]) == [["Paris", "LOC", 0.9, 11, 16]]


def test_colours_are_stable_and_distinct():
    first = entity_colours(["PER", "ORG", "LOC", "MISC", "DATE"])
    assert first == entity_colours(["DATE", "MISC", "LOC", "ORG", "PER"])
    assert len(set(first.values())) == 5
