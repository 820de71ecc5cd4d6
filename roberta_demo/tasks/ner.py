"""Named entities: word-level spans from the token-classification pipeline, over the whole text."""

from __future__ import annotations

from dataclasses import dataclass

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.tasks.common import RunInfo, check_text

__all__ = ["EntitySpan", "NerResult", "tag"]


@dataclass(frozen=True)
class EntitySpan:
    """One entity: `text[start:end] == word`, its type (PER, ORG, LOC, MISC, …) and the model's confidence."""

    word: str
    label: str
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class NerResult:
    text: str
    entities: list[EntitySpan]
    labels: list[str]  # every entity type the model knows, for a stable legend
    run: RunInfo

    def above(self, threshold: float) -> list[EntitySpan]:
        return [entity for entity in self.entities if entity.score >= threshold]


def _entity_types(labels: list[str]) -> list[str]:
    """Entity types without BIO prefixes and without the outside class `O`."""
    types = (label.split("-", 1)[-1] for label in labels if label != "O")
    return list(dict.fromkeys(types))


LEADING_MARKS = "\"'([{“‘«¿¡"
TRAILING_MARKS = "\"').,;:!?]}”’»…"


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding spaces and punctuation.

    Byte-level BPE pieces carry their leading space, and RoBERTa has no word boundaries of its own, so the
    pipeline's word grouping glues punctuation to the word before it ("Paris."). An abbreviation keeps its
    final period ("U.S.").
    """
    while start < end and (text[start].isspace() or text[start] in LEADING_MARKS):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in TRAILING_MARKS):
        if text[end - 1] == "." and "." in text[start : end - 1]:
            break
        end -= 1
    return start, end


def _span(text: str, item: dict) -> EntitySpan:
    start, end = _trimmed(text, int(item["start"]), int(item["end"]))
    return EntitySpan(text[start:end], str(item["entity_group"]), float(item["score"]), start, end)


def tag(backend: Backend, text: str, checkpoint: str | None = None, limits: Limits = Limits()) -> NerResult:
    """Every entity in `text`, grouped into whole words by the pipeline (`first` sub-word's label wins).

    Texts longer than the model are read in overlapping windows; an entity in an overlap is reported once.
    """
    text = check_text(text, limits.max_ner_chars, "max_ner_chars")
    inference = backend.run("ner", [text], checkpoint, aggregation_strategy="first")
    spans = [span for span in (_span(text, item) for item in inference.outputs[0]) if span.start < span.end]
    entities = _without_overlaps(spans)
    return NerResult(text, entities, _entity_types(backend.labels(inference.checkpoint)), RunInfo.of(inference))


def _without_overlaps(spans: list[EntitySpan]) -> list[EntitySpan]:
    """Entities in text order, none overlapping another: where spans overlap, the longest (the whole word) wins.

    Overlaps come from windows that share tokens, and from byte-level pieces of one character (CJK, emoji) that
    share that character's offsets, which the pipeline's word grouping can report as separate words.
    """
    kept: list[EntitySpan] = []
    for span in sorted(spans, key=lambda span: (span.start, -(span.end - span.start))):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept
