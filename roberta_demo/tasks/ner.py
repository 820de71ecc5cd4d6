"""Named entities: word-level spans from the token-classification pipeline, over the whole text."""

from __future__ import annotations

import warnings
from typing import Any

from roberta_demo.backend import PipelineCall
from roberta_demo.results import EntitySpan, NerResult
from roberta_demo.tasks.common import TaskContext, check_text, run_info

__all__ = ["CALL", "STRIDE", "tag"]

STRIDE = 64  # tokens shared by neighbouring windows, so an entity cut by one window is whole in the next
# `first`: a word takes the label of its first piece. Long texts are read whole, in overlapping windows.
CALL = PipelineCall("token-classification", {"aggregation_strategy": "first", "stride": STRIDE}, windowed=True)
LEADING_MARKS = "\"'([{“‘«¿¡" + "（［｛《〈「『【〔"  # and their Chinese (full-width) counterparts
TRAILING_MARKS = "\"').,;:!?]}”’»…" + "）］｝》〉」』】〕，。、；：！？"

# RoBERTa's tokenizer marks word starts but has no word ids of its own, so the pipeline groups pieces into words by
# whitespace and warns on every call; that heuristic is what we want, the warning is noise in the server log.
warnings.filterwarnings("ignore", message="Tokenizer does not support real words")


def _entity_types(labels: list[str]) -> list[str]:
    """Entity types without BIO prefixes and without the outside class `O`."""
    types = (label.split("-", 1)[-1] for label in labels if label != "O")
    return list(dict.fromkeys(types))


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


def _span(text: str, item: dict[str, Any]) -> EntitySpan:
    start, end = _trimmed(text, int(item["start"]), int(item["end"]))
    return EntitySpan(text[start:end], str(item["entity_group"]), float(item["score"]), start, end)


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


def tag(context: TaskContext, text: str, checkpoint: str | None = None) -> NerResult:
    """Every entity in `text`, grouped into whole words by the pipeline (`first` sub-word's label wins).

    Texts longer than the model are read in overlapping windows; an entity in an overlap is reported once.
    """
    text = check_text(text, context.limits, "max_ner_chars")
    inference = context.run(CALL, [text], context.checkpoint_for("ner", checkpoint))
    spans = [span for span in (_span(text, item) for item in inference.outputs[0]) if span.start < span.end]
    entity_types = _entity_types(context.labels(inference.checkpoint))
    return NerResult(text, _without_overlaps(spans), entity_types, run_info(inference))
