"""Continued pre-training, live: a few masked-LM steps on the visitor's own text (domain adaptation).

The text is cut into sequences of a few dozen tokens, as a pre-training corpus is; its last fifth is held out. Each
step takes a batch of the other sequences, masks it anew (`masking.collator`: dynamic masking, 15 % chosen,
80/10/10), and trains a copy of the base masked-LM checkpoint on restoring the chosen tokens, with AdamW and linear
warm-up and decay as fine-tuning does. The loss is also measured at intervals on both parts with one fixed masking
(every seventh token masked), so that the checks compare, and as perplexity (exp of the loss). A few words of the
held-out part are masked before and after, to show what the model now expects there.

The copy belongs to the visitor's session like a fine-tuned model (the same held-model limit, the same one run at a
time on the server, the same step and time limits, Stop); the shared base checkpoint is never touched.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import transformers

from roberta_demo.backend import LoadedModel, StopSignal
from roberta_demo.config import Limits
from roberta_demo.errors import EngineError, InputError
from roberta_demo.loading import building
from roberta_demo.messages import say
from roberta_demo.results import HeldOutFill, Pretrained, PretrainUpdate, StepCost
from roberta_demo.tasks import masking
from roberta_demo.tasks.common import TaskContext, check_text, too_long
from roberta_demo.tasks.encoding import reading_words
from roberta_demo.tasks.finetune import CHECKS, Recipe, _Laps, _stop_reason, check_recipe, finished, optimizer_for

__all__ = [
    "CODE",
    "EXAMPLE",
    "MIN_TOKENS",
    "Corpus",
    "held_key",
    "mlm_copy",
    "pretrain",
    "pretraining_step",
    "read_corpus",
    "step_cost",
]

log = logging.getLogger(__name__)

CODE = """\
# sequences: the text cut into pieces of max_tokens; the last fifth held out
collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
batch = collator([sequences[i] for i in batch_indices])  # masked anew each step
# RobertaForMaskedLM: labels are -100 except at the chosen tokens
outputs = model(**batch)
outputs.loss.backward()
optimizer.step()         # AdamW
scheduler.step()         # linear warm-up, then linear decay
optimizer.zero_grad()
"""
EXAMPLE = (
    "The patient presented with acute dyspnoea and bilateral crackles on auscultation. A chest radiograph showed "
    "pulmonary oedema, and the echocardiogram revealed a reduced ejection fraction. Treatment with intravenous "
    "diuretics was started, and the dyspnoea improved within hours. Troponin levels were mildly elevated, and a "
    "coronary angiogram was scheduled. On the third day the patient was breathing comfortably at rest, the crackles "
    "had resolved, and oral diuretics replaced the intravenous ones. Heart failure with reduced ejection fraction "
    "was diagnosed, and the patient was discharged on a beta blocker, an ACE inhibitor and a diuretic, with a "
    "follow-up echocardiogram in three months. The radiograph at discharge showed no remaining oedema."
)
MIN_TOKENS = 16  # enough for a training part and a held-out part of a few tokens each
MIN_SEQUENCES = 5  # a short text is cut finer, so that a fifth of it can be held out
MIN_SEQUENCE_TOKENS = 8
EVAL_EVERY = 7  # the checks' fixed masking: every seventh token of each sequence
FILLS = 6  # held-out words masked before and after
BATCH_TOKENS = 16  # sequences per forward pass when measuring
COST_BATCH, COST_TOKENS = 8, 128  # the measured step's shape: the benchmark's (`perf.benchmark.bench_pretrain`)


Example = dict[str, list[Any]]  # a sequence as the collator takes it: input_ids, special_tokens_mask, offset_mapping


@dataclass(frozen=True)
class Corpus:
    """The text as pre-training sequences, to train on and held out: token ids with the special tokens, and (for
    whole-word masking) where the words are (`masking.word_offsets`)."""

    train: list[Example]
    held_out: list[Example]
    tokens: int  # per sequence, the special tokens included (the last of each part may be shorter)

    @property
    def train_ids(self) -> list[list[int]]:
        return [example["input_ids"] for example in self.train]

    @property
    def held_out_ids(self) -> list[list[int]]:
        return [example["input_ids"] for example in self.held_out]


def held_key(owner: str | None) -> str | None:
    """The key a session's continued pre-trained model is held under: its own, beside the session's fine-tuned one."""
    return f"{owner}/pretrain" if owner else None


def check_corpus_text(text: str, limits: Limits) -> str:
    text = check_text(text, limits)
    words = len(reading_words(text))
    if words > limits.max_pretrain_words:
        raise too_long(say("The text"), words, say("words"), limits.max_pretrain_words, "max_pretrain_words")
    return text


def read_corpus(tokenizer: Any, text: str, max_tokens: int, whole_words: bool = False) -> Corpus:
    """Cut `text` into sequences of `max_tokens` (fewer when that gives under five), the last fifth held out."""
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = encoded["input_ids"], masking.word_offsets(text, encoded["offset_mapping"])
    if len(ids) < MIN_TOKENS:
        raise InputError(
            say(
                "The text has {count} token(s); continued pre-training needs at least {least}, to train on part of it "
                "and hold out the rest. Paste a paragraph or more.",
                count=len(ids),
                least=MIN_TOKENS,
            )
        )
    length = max(MIN_SEQUENCE_TOKENS, min(max_tokens - 2, math.ceil(len(ids) / MIN_SEQUENCES)))
    sequences = []
    for start in range(0, len(ids), length):
        piece = ids[start : start + length]
        example: Example = {
            "input_ids": [tokenizer.cls_token_id, *piece, tokenizer.sep_token_id],
            "special_tokens_mask": [1] + [0] * len(piece) + [1],
        }
        example["spans"] = [(0, 0), *encoded["offset_mapping"][start : start + length], (0, 0)]
        if whole_words:
            example["offset_mapping"] = [(0, 0), *offsets[start : start + length], (0, 0)]
        sequences.append(example)
    held = max(1, round(len(sequences) / 5))
    return Corpus(sequences[:-held], sequences[-held:], length + 2)


def mlm_copy(model: LoadedModel) -> LoadedModel:
    """A trainable float32 copy of a loaded masked-LM checkpoint (the shared one stays as it is)."""
    with building():
        trained = transformers.AutoModelForMaskedLM.from_config(copy.deepcopy(model.model.config))
    trained.load_state_dict(model.model.state_dict())
    return model.trainable(trained)


def _padded(tokenizer: Any, sequences: list[list[int]]) -> dict[str, list[list[int]]]:
    width = max(len(ids) for ids in sequences)
    return {
        "input_ids": [ids + [tokenizer.pad_token_id] * (width - len(ids)) for ids in sequences],
        "attention_mask": [[1] * len(ids) + [0] * (width - len(ids)) for ids in sequences],
    }


def _padded_examples(tokenizer: Any, examples: list[Example]) -> list[Example]:
    """Examples of one length, padding counted special (never chosen): the collator's own padding leaves the word
    offsets unpadded."""
    width = max(len(example["input_ids"]) for example in examples)
    padded = []
    for example in examples:
        extra = width - len(example["input_ids"])
        filled: Example = {
            "input_ids": example["input_ids"] + [tokenizer.pad_token_id] * extra,
            "special_tokens_mask": example["special_tokens_mask"] + [1] * extra,
            "attention_mask": [1] * len(example["input_ids"]) + [0] * extra,
        }
        if "offset_mapping" in example:
            filled["offset_mapping"] = example["offset_mapping"] + [(0, 0)] * extra
        padded.append(filled)
    return padded


def _fixed_masking(tokenizer: Any, sequences: list[list[int]]) -> dict[str, list[list[int]]]:
    """Every seventh token of each sequence masked (the first and last, special, never): the checks' masking."""
    batch = _padded(tokenizer, sequences)
    labels = [[-100] * len(row) for row in batch["input_ids"]]
    for row, ids in enumerate(sequences):
        for position in range(1 + row % EVAL_EVERY, len(ids) - 1, EVAL_EVERY):
            labels[row][position] = batch["input_ids"][row][position]
            batch["input_ids"][row][position] = tokenizer.mask_token_id
    return batch | {"labels": labels}


def _loss(model: LoadedModel, sequences: list[list[int]]) -> float:
    """The masked-LM loss on `sequences` under the fixed masking: the mean over every masked token."""
    model.model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(sequences), BATCH_TOKENS):
            batch = model.placed(_fixed_masking(model.tokenizer, sequences[start : start + BATCH_TOKENS]))
            masked = int((batch["labels"] != -100).sum())
            total += float(model.model(**batch).loss) * masked
            count += masked
    return total / max(count, 1)


def _fill_positions(model: LoadedModel, sequences: list[list[int]]) -> list[tuple[int, int]]:
    """Up to `FILLS` (sequence, position) of whole, alphabetic words in the held-out part, spread along it."""
    tokenizer, wordpiece, found = model.tokenizer, masking.uses_whole_words(model), []
    for row, ids in enumerate(sequences):
        tokens = tokenizer.convert_ids_to_tokens(ids)
        for position in range(2, len(ids) - 1):
            word = masking.token_text(tokenizer, ids[position])
            whole = not _continues(tokens[position], wordpiece) and not _continues(tokens[position + 1], wordpiece)
            if whole and word.isalpha() and (len(word) >= 3 or not word.isascii()):
                found.append((row, position))
    step = max(1, len(found) // FILLS)
    return found[::step][:FILLS]


def _continues(token: str, wordpiece: bool) -> bool:
    """Whether a token continues the word before it: WordPiece's `##s`; in byte-level BPE, a token without the
    space marker `Ġ` that starts with a letter or digit."""
    if wordpiece:
        return token.startswith("##")
    return not token.startswith("Ġ") and token[:1].isalnum()


def _fills(model: LoadedModel, sequences: list[list[int]], where: list[tuple[int, int]]) -> list[tuple[str, float]]:
    """At each place, the model's first choice and the original token's probability, that token alone masked."""
    if not where:
        return []
    tokenizer, rows = model.tokenizer, []
    for row, position in where:
        ids = list(sequences[row])
        ids[position] = tokenizer.mask_token_id
        rows.append(ids)
    model.model.eval()
    with torch.inference_mode():
        logits = model.model(**model.placed(_padded(tokenizer, rows))).logits.float()
    answers = []
    for index, (row, position) in enumerate(where):
        probabilities = torch.softmax(logits[index, position, : len(tokenizer)], -1)
        best = int(probabilities.argmax())
        answers.append((masking.token_text(tokenizer, best), float(probabilities[sequences[row][position]])))
    return answers


def _context(text: str, example: Example, position: int) -> str:
    """The text around a masked place (eight tokens each side, within its sequence), the place shown as ____."""
    spans = example["spans"]
    first, last = spans[max(1, position - 8)][0], spans[min(len(spans) - 2, position + 8)][1]
    return f"…{text[first : spans[position][0]]}____{text[spans[position][1] : last]}…"


def pretraining_step(
    model: LoadedModel, optimizer: Any, scheduler: Any, batch: dict[str, Any], laps: dict[str, float] | None = None
) -> float:
    """One masked-LM step on a masked batch; returns its loss. `laps` as in `finetune.training_step`."""
    lap = _Laps(laps, model)
    model.model.train()
    outputs = model.model(**model.placed(batch))
    lap("forward")
    outputs.loss.backward()
    lap("backward")
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    lap("optimizer")
    return float(outputs.loss.detach())


def _batches(corpus: Corpus, model: LoadedModel, recipe: Recipe) -> Iterator[dict[str, Any]]:
    """Batches of training sequences, shuffled each epoch and masked anew each time (never a batch with nothing
    chosen: its loss would be undefined)."""
    draw = masking.collator(model.tokenizer, recipe.seed, masking.uses_whole_words(model))
    rng, count = random.Random(recipe.seed), len(corpus.train)
    while True:
        order = list(range(count))
        rng.shuffle(order)
        for start in range(0, count, recipe.batch_size):
            examples = _padded_examples(
                model.tokenizer, [corpus.train[i] for i in order[start : start + recipe.batch_size]]
            )
            batch = draw(examples)
            while not bool((batch["labels"] != -100).any()):
                batch = draw(examples)
            yield batch


def pretrain(
    context: TaskContext,
    text: str,
    recipe: Recipe,
    checkpoint: str | None = None,
    stop: StopSignal | None = None,
    owner: str | None = None,
) -> Iterator[PretrainUpdate | Pretrained]:
    """Continue pre-training a copy of the fill-mask `checkpoint` on `text`, yielding an update after every step
    and the finished run last, its model held for `owner` (see `held_key`). Stop and the time limit end it after
    the step under way, keeping what it learned."""
    text = check_corpus_text(text, context.limits)
    recipe = check_recipe(recipe, context.limits)
    chosen = context.checkpoint_for("fill_mask", checkpoint)
    return context.stream(_pretrain, text, recipe, chosen, owner, stop=stop)


def _pretrain(
    context: TaskContext, text: str, recipe: Recipe, chosen: str, owner: str | None, *, stop: StopSignal | None
) -> Iterator[PretrainUpdate | Pretrained]:
    model = context.apply(chosen, mlm_copy)
    corpus = read_corpus(model.tokenizer, text, recipe.max_tokens, masking.uses_whole_words(model))
    train, held_out = corpus.train_ids, corpus.held_out_ids
    torch.manual_seed(recipe.seed)
    optimizer, scheduler = optimizer_for(model, recipe)
    where = _fill_positions(model, held_out)
    before = _fills(model, held_out, where)
    checks = [(0, _loss(model, train), _loss(model, held_out))]
    losses: list[float] = []
    started, stopped = time.perf_counter(), None
    batches = _batches(corpus, model, recipe)
    for step in range(1, recipe.steps + 1):
        losses.append(pretraining_step(model, optimizer, scheduler, next(batches)))
        elapsed = time.perf_counter() - started
        stopped = _stop_reason(stop, elapsed, context.limits)
        last = step == recipe.steps or stopped is not None
        if last or step % max(1, recipe.steps // CHECKS) == 0:
            checks.append((step, _loss(model, train), _loss(model, held_out)))
        try:
            yield PretrainUpdate(step, recipe.steps, list(losses), list(checks), elapsed, last, stopped)
        except GeneratorExit:
            log.info("Continued pre-training abandoned after step %d of %d: its client went away", step, recipe.steps)
            raise
        if last:
            break
    finished(model)
    after = _fills(model, held_out, where)
    fills = [
        HeldOutFill(_context(text, corpus.held_out[row], position), text_of, b, bp, a, ap)
        for (row, position), (b, bp), (a, ap), text_of in zip(
            where,
            before,
            after,
            [masking.token_text(model.tokenizer, held_out[r][p]) for r, p in where],
            strict=True,
        )
    ]
    update = PretrainUpdate(len(losses), recipe.steps, losses, checks, time.perf_counter() - started, True, stopped)
    sequences = (len(corpus.train), len(corpus.held_out))
    key = context.hold(model, held_key(owner))
    yield Pretrained(key, chosen, update, fills, sequences, corpus.tokens, [])


def step_cost(
    context: TaskContext, text: str, checkpoint: str | None = None, batch: int = COST_BATCH, tokens: int = COST_TOKENS
) -> StepCost:
    """What one pre-training step costs on this server: `batch` sequences of `tokens` tokens of `text` (repeated
    to fill them), masked as pre-training masks them, through forward, backward and AdamW on a float32 copy of the
    fill-mask checkpoint, every weight training. A first step, unmeasured, allocates AdamW's state."""
    text = check_text(text, context.limits)
    chosen = context.checkpoint_for("fill_mask", checkpoint)
    *_, measured = context.stream(_step_cost, text, chosen, batch, tokens)
    if measured is None:  # the stream ends on the measured step; only a broken engine ends it earlier
        raise EngineError(say("The measured step did not finish."))
    return measured


def _step_cost(
    context: TaskContext, text: str, chosen: str, batch: int, tokens: int, *, stop: StopSignal | None
) -> Iterator[StepCost | None]:
    model = context.apply(chosen, mlm_copy)
    ids = model.tokenizer(text, add_special_tokens=False)["input_ids"] or [model.tokenizer.unk_token_id]
    repeated = (ids * (batch * tokens // len(ids) + 1))[: batch * (tokens - 2)]
    examples = [
        {"input_ids": [model.tokenizer.cls_token_id, *piece, model.tokenizer.sep_token_id]}
        for piece in (repeated[row * (tokens - 2) : (row + 1) * (tokens - 2)] for row in range(batch))
    ]
    masked_batch = masking.collator(model.tokenizer, 0)(examples)
    optimizer, scheduler = optimizer_for(model, Recipe(steps=2, batch_size=batch, top_layers_only=False))
    pretraining_step(model, optimizer, scheduler, masked_batch)
    yield None  # a turn between the two steps: quick requests are answered meanwhile
    laps: dict[str, float] = {}
    pretraining_step(model, optimizer, scheduler, masked_batch, laps)
    parameters = sum(parameter.numel() for parameter in model.model.parameters())
    yield StepCost(chosen, model.device, batch, tokens, parameters, sum(laps.values()), laps)
