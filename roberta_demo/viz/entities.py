"""Entity spans as `gr.HighlightedText` values and table rows, with one stable colour per entity type."""

from __future__ import annotations

import hashlib
from typing import Any

from roberta_demo.results import EntitySpan, NerResult

__all__ = ["ENTITY_NAMES", "ENTITY_TYPES", "entity_colours", "entity_rows", "highlighted"]

# The entity types of the default profile's NER model (CoNLL) and of the zh profile's (CLUENER), with what they mean.
ENTITY_TYPES = {
    "en": ["PER", "ORG", "LOC", "MISC"],
    "zh": ["name", "company", "organization", "government", "address", "scene", "position", "book", "movie", "game"],
}
# What each type means, by language (the legend under the highlighted text).
ENTITY_NAMES = {
    "en": {"PER": "person", "ORG": "organisation", "LOC": "location", "MISC": "other", "name": "person"}
    | {"company": "company", "organization": "organisation", "government": "government body"}
    | {"address": "place", "scene": "sight", "position": "job title", "book": "book", "movie": "film", "game": "game"},
    "zh": {"PER": "人名", "ORG": "机构", "LOC": "地名", "MISC": "其他", "name": "人名", "company": "公司"}
    | {"organization": "组织机构", "government": "政府机构", "address": "地址", "scene": "景点"}
    | {"position": "职位", "book": "书名", "movie": "电影", "game": "游戏"},
}
# Chosen to stay apart for everyone: every pair, and each against a white page, is at least 11 ΔE2000 apart in normal
# vision and under protanopia and deuteranopia (Machado 2009); tests/viz/test_entities.py measures it. The first four
# are Okabe and Ito's colour-blind-safe colours; each is light enough for dark text (contrast ≥ 4.5, theme.css).
_KNOWN_COLOURS = {"PER": "#e69f00", "ORG": "#56b4e9", "LOC": "#f0e442", "MISC": "#cc79a7"}
_KNOWN_COLOURS |= {"name": "#e69f00", "organization": "#56b4e9", "address": "#f0e442", "company": "#cc79a7"}
_KNOWN_COLOURS |= {"government": "#6978ff", "scene": "#b4d2a5", "position": "#b47869", "book": "#78e1f0"}
_KNOWN_COLOURS |= {"movie": "#b4780f", "game": "#ffffb4"}
_SPARE_COLOURS = tuple(dict.fromkeys(_KNOWN_COLOURS.values()))


def _colour(entity_type: str) -> str:
    if entity_type in _KNOWN_COLOURS:
        return _KNOWN_COLOURS[entity_type]
    # A hash, not the order of appearance, so a type keeps its colour from one text to the next.
    index = int(hashlib.sha1(entity_type.encode()).hexdigest(), 16) % len(_SPARE_COLOURS)
    return _SPARE_COLOURS[index]


def entity_colours(entity_types: list[str]) -> dict[str, str]:
    return {entity_type: _colour(entity_type) for entity_type in entity_types}


def highlighted(result: NerResult, entities: list[EntitySpan]) -> dict[str, Any]:
    """The whole text with `entities` marked, in the form `gr.HighlightedText` takes from a pipeline."""
    return {
        "text": result.text,
        "entities": [{"entity": e.label, "start": e.start, "end": e.end} for e in entities],
    }


def entity_rows(entities: list[EntitySpan]) -> list[list[Any]]:
    """Table rows: entity text, type, score, start, end."""
    return [[e.word, e.label, round(e.score, 4), e.start, e.end] for e in entities]
