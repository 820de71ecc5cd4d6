"""Masking as RoBERTa's pre-training does it, on the presenter's own paragraph.

Pre-training hides about 15 % of the tokens of a sequence and trains the model to restore them from both sides. Of
the chosen tokens, 80 % become the mask token, 10 % a random token and 10 % stay as they are, so that the model
cannot learn that only masked positions matter. BERT drew each sequence's masking once, while preparing its data,
and showed the model that same copy every epoch (static masking); RoBERTa draws it anew each time the sequence goes
into a batch (dynamic masking), so a sentence seen for 40 epochs is seen with 40 different maskings.

transformers' `DataCollatorForLanguageModeling` does the drawing, as in a training script; its seed is made of the
run's seed and the epoch, so that a draw can be repeated and each epoch's is its own. Chinese RoBERTa-wwm (hfl's,
BERT by architecture) was pre-trained with whole-word masking: the collator chooses words, not tokens, and a
Chinese word is several characters (tokens) with no space between them, so the words come from jieba's segmenter.
The collator then masks every token of a chosen word (it does not replace words by random tokens).
"""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import replace
from typing import Any

import torch
import transformers

from roberta_demo.backend import LoadedModel
from roberta_demo.errors import InputError
from roberta_demo.messages import say
from roberta_demo.results import MaskedToken, Masking, MaskingDraw, MaskKind, Truncation
from roberta_demo.tasks.common import TaskContext, check_text
from roberta_demo.tasks.encoding import Encoded, encode

__all__ = [
    "EXAMPLE",
    "MAX_EPOCHS",
    "MAX_MASKING_TOKENS",
    "MAX_SEED",
    "MIN_TOKENS",
    "PROBABILITY",
    "collator",
    "mask",
    "masked",
    "token_text",
    "uses_whole_words",
    "word_offsets",
]

EXAMPLE = (
    "RoBERTa learns language by filling in blanks. During pre-training, a few words of every sentence are hidden, "
    "and the model guesses each one from the words on both sides of it."
)
PROBABILITY = 0.15  # of a token (or, with whole words, a word) being chosen
MIN_TOKENS = 4  # below this, a draw chooses nothing most of the time
MAX_EPOCHS = 10
MAX_MASKING_TOKENS = 256  # a paragraph; each epoch is one more sequence in the pass
MAX_SEED = 2**32 - 1


def uses_whole_words(model: LoadedModel) -> bool:
    """Whether the checkpoint was pre-trained with whole-word masking: the profiles' BERT-architecture checkpoints
    are Chinese RoBERTa-wwm (and their tiny stand-ins); RoBERTa itself masks tokens."""
    return bool(model.model.config.model_type == "bert")


def collator(tokenizer: Any, seed: int, whole_words: bool = False) -> transformers.DataCollatorForLanguageModeling:
    """The pre-training collator: 15 % chosen, 80 % / 10 % / 10 %, drawn with `seed`."""
    with warnings.catch_warnings():
        # With whole words it says it masks every chosen token (no random replacement): the docstring says so.
        warnings.simplefilter("ignore", UserWarning)
        return transformers.DataCollatorForLanguageModeling(
            tokenizer, mlm_probability=PROBABILITY, whole_word_mask=whole_words, seed=seed, return_tensors="pt"
        )


@functools.cache
def _segmenter() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces building its dictionary on first use
    return jieba


def word_offsets(text: str, offsets: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Offsets that tell the collator where words are: it takes a token as a word's continuation when it starts
    where the one before ended. Chinese is written without spaces, so each token's offsets are moved right by the
    number of the jieba word it is in: tokens of one word stay touching, the next word starts one further on."""
    word_of = [0] * (len(text) + 1)
    for number, (_, start, end) in enumerate(_segmenter().tokenize(text)):
        word_of[start:end] = [number] * (end - start)
    return [(a + word_of[a], b + word_of[a]) for a, b in offsets]


def masked(
    model: LoadedModel, encoded: Encoded, text: str, seed: int, whole_words: bool
) -> tuple[list[int], list[int]]:
    """One draw of the collator over the encoded text: the ids the model is given, and the labels (the original id
    where a token was chosen, −100 elsewhere)."""
    example: dict[str, Any] = {"input_ids": encoded.ids, "special_tokens_mask": [int(s) for s in encoded.special]}
    if whole_words:
        example["offset_mapping"] = word_offsets(text, encoded.offsets)
    batch = collator(model.tokenizer, seed, whole_words)([example])
    return batch["input_ids"][0].tolist(), batch["labels"][0].tolist()


def _kind(original: int, given: int, mask_id: int) -> MaskKind:
    if given == mask_id:
        return "mask"
    return "kept" if given == original else "random"


def _scored(
    model: LoadedModel, inputs: dict[str, torch.Tensor], draws: list[tuple[list[int], list[int]]]
) -> tuple[torch.Tensor, torch.Tensor]:
    """For every draw at once (`inputs`, on the model's device): −log P(original token) at each position, and the
    model's first choice there."""
    logits = model.model(**inputs).logits.float().cpu()
    labels = torch.tensor([labels for _, labels in draws])
    # The model's own loss is this cross-entropy over every logit, averaged over the chosen positions.
    losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0), reduction="none")
    guesses = logits[..., : len(model.tokenizer)].argmax(-1)
    return losses, guesses


def token_text(tokenizer: Any, token_id: int) -> str:
    """A token as a word in a table: `Ġcat` → "cat", a bare space ␣; special tokens as they are spelled."""
    token = tokenizer.convert_ids_to_tokens(token_id)
    if token in tokenizer.all_special_tokens:
        return str(token)
    return str(tokenizer.convert_tokens_to_string([token])).strip() or "␣"


def _draw(
    model: LoadedModel,
    pieces: list[str],
    epoch: int,
    draw: tuple[list[int], list[int]],
    losses: torch.Tensor,
    guesses: torch.Tensor,
) -> MaskingDraw:
    given, labels = draw
    chosen = [position for position, label in enumerate(labels) if label != -100]
    tokenizer, mask_id = model.tokenizer, model.tokenizer.mask_token_id
    tokens = [
        MaskedToken(
            position,
            pieces[position].strip() or "␣",
            token_text(tokenizer, given[position]),
            _kind(labels[position], given[position], mask_id),
            float(losses[position]),
            token_text(tokenizer, int(guesses[position])),
            float(torch.exp(-losses[position])),
        )
        for position in chosen
    ]
    loss = float(losses[chosen].mean()) if chosen else None
    return MaskingDraw(epoch, given, tokens, loss)


def _mask(model: LoadedModel, text: str, epochs: int, dynamic: bool, seed: int) -> Masking:
    encoded, _ = encode(model.tokenizer, text, None, min(model.max_tokens, MAX_MASKING_TOKENS))
    words = sum(not special for special in encoded.special)
    if words < MIN_TOKENS:
        raise InputError(
            say(
                "The text has {count} token(s): too few to mask (about one in seven is chosen). Write a sentence or "
                "two.",
                count=words,
            )
        )
    whole_words = uses_whole_words(model)
    # Static masking is the first epoch's draw, every epoch; dynamic, a draw of its own each epoch.
    seeds = [seed * MAX_EPOCHS + (epoch if dynamic else 0) for epoch in range(epochs)]
    draws = [masked(model, encoded, text, s, whole_words) for s in seeds]
    ids = [given for given, _ in draws]
    inputs = {"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids]}
    (losses, guesses), run = model.run(inputs, lambda placed: _scored(model, placed, draws))
    pieces = _pieces(text, encoded)
    truncation = Truncation(encoded.total, len(encoded.ids)) if encoded.truncated else None
    made = [_draw(model, pieces, epoch + 1, draw, losses[epoch], guesses[epoch]) for epoch, draw in enumerate(draws)]
    run = replace(run, truncation=truncation)
    return Masking(pieces, encoded.special, dynamic, whole_words, PROBABILITY, made, run)


def _pieces(text: str, encoded: Encoded) -> list[str]:
    """The text of each position with the space before it (the tokenizer's offsets leave spaces out), so that the
    pieces put together give the text back; "" for special tokens."""
    pieces, end = [], 0
    for (_, stop), special in zip(encoded.offsets, encoded.special, strict=True):
        pieces.append("" if special else text[end:stop])
        end = end if special else stop
    return pieces


def check_masking(epochs: int, seed: int) -> tuple[int, int]:
    if not 1 <= int(epochs) <= MAX_EPOCHS:
        raise InputError(say("Draw 1 to {most} epochs, not {given}.", most=MAX_EPOCHS, given=epochs))
    if not 0 <= int(seed) <= MAX_SEED:
        raise InputError(say("Choose a seed from 0 to {most}, not {seed}.", most=f"{MAX_SEED:,}", seed=seed))
    return int(epochs), int(seed)


def mask(
    context: TaskContext,
    text: str,
    epochs: int = 4,
    dynamic: bool = True,
    seed: int = 0,
    checkpoint: str | None = None,
) -> Masking:
    """`text` masked for `epochs` epochs as pre-training masks it (anew each epoch when `dynamic`, else the first
    draw every time), with the masked-LM loss of the fill-mask checkpoint on each draw, token by token."""
    text = check_text(text, context.limits)
    epochs, seed = check_masking(epochs, seed)
    chosen = context.checkpoint_for("fill_mask", checkpoint)
    return context.apply(chosen, functools.partial(_mask, text=text, epochs=epochs, dynamic=bool(dynamic), seed=seed))
