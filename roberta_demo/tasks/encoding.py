"""How text becomes model input for the tasks that run the model themselves (attention, fill-mask).

User text is data: a typed `<s>` or `</s>` stays characters (the backend loads every tokenizer that way). Only
where a task asks for masks do the mask markers a person types — `<mask>`, BERT's `[MASK]`, or `___` — become the
model's mask token. The text between them is tokenised on its own, which is exactly how a tokenizer treats text
around an added token; the special tokens around the text (`<s> … </s></s> … </s>` for RoBERTa, `[CLS] … [SEP]`
for BERT) are read off the tokenizer itself, so one path serves every vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MASK_MARKERS",
    "Encoded",
    "MaskedText",
    "encode",
    "find_masks",
    "mask_word",
    "maskable_words",
    "reading_words",
    "word_spans",
]

MASK_MARKERS = re.compile(r"<mask>|\[MASK\]|_{3,}")
# Chinese (and Japanese kanji) is written without spaces, and each character is a word to a reader and a token to
# a Chinese model's WordPiece: ideographs, and the CJK and full-width punctuation around them (，。《》（）…).
_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK = _IDEOGRAPHS + "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_WORD = re.compile(rf"[{_IDEOGRAPHS}]|[^\W{_CJK}]+(?:['’][^\W{_CJK}]+)*")
_READ = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


@dataclass(frozen=True)
class MaskedText:
    """A text with its masks found.

    text: the input, every mask marker spelled as the model's own mask token.
    spans: <int>[num_masks, 2] where each mask token is in `text`.
    converted: the markers that were spelled otherwise (`[MASK]`, `___`), in order, for a note to the reader.
    """

    text: str
    spans: list[tuple[int, int]]
    converted: list[str]


def find_masks(text: str, mask_token: str) -> MaskedText:
    """Every mask marker in `text`, rewritten as `mask_token`."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    converted: list[str] = []
    cursor = length = 0
    for match in MASK_MARKERS.finditer(text):
        before = text[cursor : match.start()]
        parts += [before, mask_token]
        length += len(before)
        spans.append((length, length + len(mask_token)))
        length += len(mask_token)
        if match.group() != mask_token:
            converted.append(match.group())
        cursor = match.end()
    parts.append(text[cursor:])
    return MaskedText("".join(parts), spans, converted)


def word_spans(text: str) -> list[tuple[int, int]]:
    """The words of a text (letters and digits, with inner apostrophes; each Chinese character), for a person to pick
    one to mask."""
    return [match.span() for match in _WORD.finditer(text)]


def reading_words(text: str) -> list[tuple[int, int]]:
    """The text as words to show tokens merged into: whitespace-separated, punctuation attached ("Paris."), except
    that each Chinese character and CJK punctuation mark is a word of its own."""
    return [match.span() for match in _READ.finditer(text)]


def maskable_words(text: str) -> list[tuple[int, int]]:
    """The words a person may mask: every word outside the mask markers already in the text."""
    markers = [match.span() for match in MASK_MARKERS.finditer(text)]
    return [(s, e) for s, e in word_spans(text) if not any(a < e and s < b for a, b in markers)]


def mask_word(text: str, span: tuple[int, int], mask: str = "<mask>") -> str:
    """`text` with the word at `span` replaced by a mask."""
    return text[: span[0]] + mask + text[span[1] :]


@dataclass(frozen=True)
class Encoded:
    """One input as the model reads it.

    ids / tokens: the token ids and their spellings (`Ġ` marks a word start in byte-level BPE).
    offsets: <int>[num_tokens, 2] character spans in the text each token came from; (0, 0) for special tokens.
    segments: for each position, 0 (first text), 1 (second text) or None (a special token).
    masks: the positions of mask tokens.
    total: tokens the whole input would take; more than `len(ids)` when it was cut to the model's limit.
    """

    ids: list[int]
    tokens: list[str]
    offsets: list[tuple[int, int]]
    segments: list[int | None]
    masks: list[int]
    total: int

    @property
    def special(self) -> list[bool]:
        return [segment is None for segment in self.segments]

    @property
    def pair_start(self) -> int | None:
        """Where the second text begins, from the tokenizer's own sequence ids."""
        return next((index for index, segment in enumerate(self.segments) if segment == 1), None)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.ids)

    def model_inputs(self, tokenizer: Any) -> dict[str, list[list[int]]]:
        """Inputs for a batch of one: ids, attention mask and, for models that have them, token types."""
        inputs = {"input_ids": [self.ids], "attention_mask": [[1] * len(self.ids)]}
        if "token_type_ids" in tokenizer.model_input_names:
            start = self.pair_start if self.pair_start is not None else len(self.ids)
            inputs["token_type_ids"] = [[int(index >= start) for index in range(len(self.ids))]]
        return inputs


def _special_layout(tokenizer: Any, pair: bool) -> tuple[list[int], list[int], list[int]]:
    """The special tokens the tokenizer puts before, between and after the texts, read off a tiny example."""
    example = tokenizer("a", "b" if pair else None)
    ids, segments = example["input_ids"], example.sequence_ids(0)
    first = [i for i, segment in enumerate(segments) if segment == 0]
    second = [i for i, segment in enumerate(segments) if segment == 1]
    prefix, suffix_start = ids[: first[0]], (second or first)[-1] + 1
    middle = ids[first[-1] + 1 : second[0]] if second else []
    return prefix, middle, ids[suffix_start:]


def _tokens_of(
    tokenizer: Any, text: str, masks: list[tuple[int, int]], mask_id: int, lstrip: bool
) -> tuple[list[int], list[tuple[int, int]], list[bool]]:
    """Token ids and offsets of `text` with a mask token at each span; which of them are masks."""
    ids: list[int] = []
    offsets: list[tuple[int, int]] = []
    is_mask: list[bool] = []
    cursor = 0
    for start, end in [*masks, (len(text), len(text))]:
        piece = text[cursor:start]
        if lstrip and end > start:  # the mask takes the whitespace before it, as roberta-base declares <mask>
            piece = piece.rstrip()
        if piece:
            encoded = tokenizer(piece, add_special_tokens=False, return_offsets_mapping=True)
            ids += encoded["input_ids"]
            offsets += [(cursor + a, cursor + b) for a, b in encoded["offset_mapping"]]
            is_mask += [False] * len(encoded["input_ids"])
        if end > start:
            ids.append(mask_id)
            offsets.append((start, end))
            is_mask.append(True)
        cursor = end
    return ids, offsets, is_mask


def _fit(first: int, second: int, available: int) -> tuple[int, int]:
    """How many tokens of each text to keep: the longer one is cut first, as transformers' `longest_first`."""
    if first + second <= available:
        return first, second
    if min(first, second) * 2 <= available:
        return (first, available - first) if first <= second else (available - second, second)
    half = available // 2
    return (available - half, half) if first >= second else (half, available - half)


def encode(
    tokenizer: Any, text: str, text_pair: str | None, max_tokens: int, read_masks: bool = False
) -> tuple[Encoded, list[MaskedText]]:
    """Tokenise `text` (and `text_pair`), cut to `max_tokens`; with `read_masks`, mask markers become mask tokens.

    Returns the encoding and each text with its masks (rewritten with the model's own mask spelling); offsets
    point into those texts.
    """
    texts = [text] if text_pair is None else [text, text_pair]
    found = [find_masks(t, tokenizer.mask_token) if read_masks else MaskedText(t, [], []) for t in texts]
    lstrip = bool(read_masks and tokenizer.added_tokens_decoder[tokenizer.mask_token_id].lstrip)
    parts = [_tokens_of(tokenizer, f.text, f.spans, tokenizer.mask_token_id, lstrip) for f in found]
    prefix, middle, suffix = _special_layout(tokenizer, pair=len(parts) == 2)
    specials = len(prefix) + len(middle) + len(suffix)
    lengths = [len(ids) for ids, _, _ in parts]
    keep = _fit(lengths[0], lengths[1] if len(parts) == 2 else 0, max_tokens - specials)
    ids, offsets, masks = list(prefix), [(0, 0)] * len(prefix), []
    segments: list[int | None] = [None] * len(prefix)
    for segment, ((piece_ids, piece_offsets, is_mask), kept) in enumerate(zip(parts, keep, strict=False)):
        if segment == 1:
            ids += middle
            offsets += [(0, 0)] * len(middle)
            segments += [None] * len(middle)
        masks += [len(ids) + i for i, masked in enumerate(is_mask[:kept]) if masked]
        ids += piece_ids[:kept]
        offsets += piece_offsets[:kept]
        segments += [segment] * kept
    ids += suffix
    offsets += [(0, 0)] * len(suffix)
    segments += [None] * len(suffix)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    return Encoded(ids, tokens, offsets, segments, masks, specials + sum(lengths)), found
