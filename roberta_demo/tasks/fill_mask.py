"""Fill-mask: RoBERTa's pre-training task. Hide a word, and the model predicts it from both sides.

The masked-LM head turns the final hidden state at each mask into a probability for every token of the
vocabulary. The same head can read the hidden state after any layer ("logit lens"), which shows where in the
network the answer forms; the intermediate layers were never trained to be read that way, so early ones are noisy.

Each mask is predicted on its own, from a text in which the other masks are still masks. Words a person asks about
are scored where they would really go: in byte-level BPE a word after a space is a different token (`Ġhe`) from
the same word at the start of the text (`he`); a word of several tokens is scored by the chain rule, each piece
given the pieces before it with the rest still masked.

The distribution can be reshaped by a temperature, softmax(logits / T), as text generators do (T < 1 sharpens it
towards the first choice, T > 1 flattens it), and the masks can be filled by sampling from it rather than by taking
the most likely word: only the `top_k` likeliest tokens, then the fewest whose probabilities add up to `top_p`
(nucleus sampling), drawn with a seed, so the same settings give the same draws.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from roberta_demo.backend import LoadedModel
from roberta_demo.errors import InputError, shown
from roberta_demo.messages import Message, say
from roberta_demo.results import (
    CandidateScore,
    Filler,
    FillMaskResult,
    LayerLens,
    MaskPrediction,
    RunInfo,
    SampledFill,
    Truncation,
)
from roberta_demo.tasks.common import TaskContext, check_text, too_long
from roberta_demo.tasks.encoding import MASK_MARKERS, Encoded, encode

__all__ = ["EXAMPLE", "MAX_SAMPLES", "MAX_SEED", "MAX_TOP_K", "TEMPERATURES", "Sampling", "parse_candidates", "predict"]

EXAMPLE = "The capital of France is <mask>."
MAX_TOP_K = 20
MAX_CANDIDATES = 10
MAX_CANDIDATE_CHARS = 50
MAX_PIECES = 5  # a word of more tokens than this is refused: its chain-rule score would mean little
CHAIN_BATCH = 16  # chain-rule sequences per forward pass
MAX_SAMPLES = 10
MAX_SEED = 2**32 - 1  # what a random generator's seed takes
TEMPERATURES = (0.05, 10.0)  # below, a softmax is the first choice alone; above, it is flat to the eye


@dataclass(frozen=True)
class Sampling:
    """How the distribution is reshaped, and how many fills are drawn from it.

    temperature: softmax(logits / temperature) at every mask (1: the model's own). samples: how many fills to draw
    (0: none). top_k: draw among the k likeliest tokens only (0: all); top_p: then among the fewest whose
    probabilities add up to p (1: all). seed: the draws' random seed.
    """

    temperature: float = 1.0
    samples: int = 0
    top_k: int = 50
    top_p: float = 1.0
    seed: int = 0

    def checked(self) -> Sampling:
        low, high = TEMPERATURES
        if not low <= self.temperature <= high:
            raise InputError(
                say(
                    "Choose a temperature from {low} to {high}, not {given}.",
                    low=low,
                    high=f"{high:g}",
                    given=self.temperature,
                )
            )
        if not 0 <= self.samples <= MAX_SAMPLES:
            raise InputError(say("Draw from 0 to {most} samples, not {given}.", most=MAX_SAMPLES, given=self.samples))
        if self.top_k < 0 or not 0 < self.top_p <= 1 or not 0 <= self.seed <= MAX_SEED:
            raise InputError(
                say(
                    "Sample with top_k 0 (all) or more, top_p above 0 and at most 1, and a seed from 0 to {most}.",
                    most=MAX_SEED,
                )
            )
        return self


def parse_candidates(candidates: str | list[str] | None) -> list[str]:
    """Comma-separated (or listed) words to compare, stripped, without duplicates, in the order given."""
    items = candidates.split(",") if isinstance(candidates, str) else list(candidates or [])
    words = list(dict.fromkeys(item.replace("\x00", "").strip() for item in items))
    words = [word for word in words if word]
    if len(words) > MAX_CANDIDATES:
        raise InputError(
            say(
                "Compare at most {most} words at a time; this request has {asked}.",
                most=MAX_CANDIDATES,
                asked=len(words),
            )
        )
    if too_long_word := next((word for word in words if len(word) > MAX_CANDIDATE_CHARS), None):
        raise InputError(
            say(
                "The word {word}… has {size} characters; compare words of at most {most}.",
                word=shown(too_long_word[:30]),
                size=len(too_long_word),
                most=MAX_CANDIDATE_CHARS,
            )
        )
    return words


def _check_masks(text: str, max_masks: int) -> None:
    count = len(MASK_MARKERS.findall(text))
    if count == 0:
        raise InputError(
            say(
                "Put <mask> where a word should be predicted, e.g. “{example}” ([MASK] and ___ work too), or click a "
                "word to mask it.",
                example=EXAMPLE,
            )
        )
    if count > max_masks:
        raise too_long(say("The text"), count, say("masks"), max_masks, "max_masks")


def _check_top_k(top_k: float) -> int:
    if not 1 <= int(top_k) <= MAX_TOP_K:
        raise InputError(
            say("Ask for between 1 and {most} predictions per mask (top_k), not {asked}.", most=MAX_TOP_K, asked=top_k)
        )
    return int(top_k)


# -- on the model ----------------------------------------------------------------------------------------------------


Lens = LayerLens | None  # a mask's layer-by-layer reading, when asked for


@dataclass(frozen=True)
class _Raw:
    """What the model function returns: plain data, no tensors."""

    text: str
    mask_token: str
    absorbs_space: bool  # the mask token takes the whitespace before it (lstrip)
    spans: list[tuple[int, int]]  # the predicted masks' spans in `text`
    lost: int  # masks beyond the tokens the model reads
    converted: list[str]
    fillers: list[list[Filler]]
    candidates: list[list[CandidateScore]]
    lenses: list[LayerLens | None]
    drawn: list[list[Filler]]  # each sample's filler of each mask
    run: RunInfo


def _lm_head(model: Any) -> Any:
    """The masked-LM head: the one top-level module besides the encoder (`lm_head` in RoBERTa, `cls` in BERT)."""
    return next(module for name, module in model.named_children() if name != model.base_model_prefix)


def _filler_text(tokenizer: Any, token: str) -> str:
    """What a token adds to the sentence: `Ġcat` → " cat"; a WordPiece continuation `##s` → "s"."""
    return token[2:] if token.startswith("##") else str(tokenizer.convert_tokens_to_string([token]))


def _batch(tokenizer: Any, sequences: list[list[int]]) -> dict[str, list[list[int]]]:
    """Right-padded inputs for several id sequences of one text."""
    width = max(len(ids) for ids in sequences)
    pad = tokenizer.pad_token_id
    inputs = {
        "input_ids": [seq + [pad] * (width - len(seq)) for seq in sequences],
        "attention_mask": [[1] * len(seq) + [0] * (width - len(seq)) for seq in sequences],
    }
    if "token_type_ids" in tokenizer.model_input_names:
        inputs["token_type_ids"] = [[0] * width for _ in sequences]
    return inputs


def _log_probs_at(
    model: LoadedModel, sequences: list[list[int]], positions: list[int], temperature: float
) -> torch.Tensor:
    """log P(token) at one position of each sequence, for every token: <float32>[len(sequences), vocab]."""
    rows = []
    for start in range(0, len(sequences), CHAIN_BATCH):
        chunk = sequences[start : start + CHAIN_BATCH]
        hidden = model.model.base_model(**model.placed(_batch(model.tokenizer, chunk))).last_hidden_state
        picked = hidden[torch.arange(len(chunk)), torch.tensor(positions[start : start + CHAIN_BATCH])]
        rows.append(torch.log(_probabilities(model, picked, temperature)))
    return torch.cat(rows)


def _candidate_form(word: str, text: str, start: int, lstrip: bool) -> str:
    """The word as it would be typed at this mask: after a space its BPE token carries the space (`Ġhe`)."""
    return " " + word if lstrip and start > 0 and text[start - 1].isspace() else word


def _candidate_pieces(model: LoadedModel, word: str, form: str) -> list[int]:
    tokenizer = model.tokenizer
    pieces: list[int] = tokenizer(form, add_special_tokens=False)["input_ids"]
    if tokenizer.unk_token_id is not None and tokenizer.unk_token_id in pieces:
        raise InputError(
            say(
                "{word} has characters that {checkpoint}'s vocabulary does not have.",
                word=shown(word),
                checkpoint=model.checkpoint,
            )
        )
    if len(pieces) > MAX_PIECES:
        raise InputError(
            say(
                "{word} is {count} tokens for this model; compare words of at most {most}.",
                word=shown(word),
                count=len(pieces),
                most=MAX_PIECES,
            )
        )
    return pieces


def _chain_scores(
    model: LoadedModel, ids: list[int], position: int, pieces: list[list[int]], temperature: float
) -> list[float]:
    """P(word) = Π P(piece_j | pieces before j, the rest masked), for each multi-piece word at `position`.

    Every step of every word is known in advance (each conditions on the word's own earlier pieces), so all the
    steps run as one batch.
    """
    mask, sequences, targets, owners = model.tokenizer.mask_token_id, [], [], []
    for owner, word_pieces in enumerate(pieces):
        for step in range(len(word_pieces)):
            filled = word_pieces[:step] + [mask] * (len(word_pieces) - step)
            sequences.append(ids[:position] + filled + ids[position + 1 :])
            targets.append((position + step, word_pieces[step]))
            owners.append(owner)
    if any(len(sequence) > model.max_tokens for sequence in sequences):
        raise InputError(say("The text is too long to compare words of several tokens in it; shorten the text."))
    log_probs = _log_probs_at(model, sequences, [at for at, _ in targets], temperature)
    totals = [0.0] * len(pieces)
    for row, (owner, (_, token)) in enumerate(zip(owners, targets, strict=True)):
        totals[owner] += float(log_probs[row, token])
    return [float(np.exp(total)) for total in totals]


def _candidates(
    model: LoadedModel,
    encoded: Encoded,
    text: str,
    mask: int,
    span: tuple[int, int],
    probs: torch.Tensor,
    words: list[str],
    temperature: float,
) -> list[CandidateScore]:
    """Each asked-about word's probability at mask number `mask` (`probs`: <float32>[vocab] there)."""
    tokenizer = model.tokenizer
    lstrip = bool(tokenizer.added_tokens_decoder[tokenizer.mask_token_id].lstrip)
    pieces = [_candidate_pieces(model, word, _candidate_form(word, text, span[0], lstrip)) for word in words]
    several = [index for index, ids in enumerate(pieces) if len(ids) > 1]
    chosen = [pieces[i] for i in several]
    chained = _chain_scores(model, encoded.ids, encoded.masks[mask], chosen, temperature) if several else []
    chain_score = dict(zip(several, chained, strict=True))
    scores = []
    for index, (word, ids) in enumerate(zip(words, pieces, strict=True)):
        tokens = tokenizer.convert_ids_to_tokens(ids)
        if len(ids) > 1:
            scores.append(CandidateScore(word, tokens, chain_score[index], None))
            continue
        probability = probs[ids[0]]
        scores.append(CandidateScore(word, tokens, float(probability), int((probs > probability).sum()) + 1))
    return scores


def _shown(tokenizer: Any, token: str) -> str:
    """A token as a word on a chart: its text without the leading space; a bare space as ␣."""
    return _filler_text(tokenizer, token).strip() or "␣"


def _lens(tokenizer: Any, layered: torch.Tensor, top_ids: list[int]) -> LayerLens:
    """The lens at one mask from `layered`: <float32>[num_layers + 1, vocab] probabilities."""
    best_scores, best_ids = layered.max(dim=-1)
    layers = ["embeddings", *(f"layer {number}" for number in range(1, layered.shape[0]))]
    return LayerLens(
        layers=layers,
        words=[_shown(tokenizer, token) for token in tokenizer.convert_ids_to_tokens(top_ids)],
        probabilities=layered[:, top_ids].cpu().numpy().astype(np.float32),
        top_words=[_shown(tokenizer, token) for token in tokenizer.convert_ids_to_tokens(best_ids.tolist())],
        top_scores=[float(score) for score in best_scores],
    )


def _probabilities(model: LoadedModel, hidden: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """The head's probabilities for hidden states <[…, hidden]>, softmax(logits / temperature), over the tokens the
    tokenizer has: some checkpoints pad their output layer past the vocabulary, with rows no text can produce."""
    logits = _lm_head(model.model)(hidden)[..., : len(model.tokenizer)]
    return torch.softmax(logits.float() / temperature, dim=-1)


def _forward(
    model: LoadedModel, encoded: Encoded, lens: bool, temperature: float, inputs: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Probabilities at the masks, <float32>[num_masks, vocab], and with `lens` the same read from every layer,
    <float32>[num_layers + 1, num_masks, vocab].

    The head runs on the mask positions only, and with the lens in one call for every layer: the call's cost is
    mostly reading the head's vocabulary-sized matrix, which one call reads once however many rows it has.
    """
    output = model.model.base_model(**inputs, output_hidden_states=lens)
    at = encoded.masks
    if not lens:
        return _probabilities(model, output.last_hidden_state[0, at], temperature), None
    layered = _probabilities(model, torch.stack([hidden[0, at] for hidden in output.hidden_states]), temperature)
    return layered[-1], layered


def _kept(probs: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    """<[num_masks, vocab]> probabilities with all but the `top_k` likeliest (0: all), then all but the fewest adding
    up to `top_p`, set to 0 (the first choice always stays), each row summing to 1 again."""
    kept = probs.clone()
    if 0 < top_k < kept.shape[-1]:
        threshold = kept.topk(top_k, dim=-1).values[..., -1:]
        kept[kept < threshold] = 0
    if top_p < 1:
        ordered, order = kept.sort(dim=-1, descending=True)
        before = ordered.cumsum(dim=-1) - ordered  # the mass of the likelier tokens
        ordered[before >= top_p * kept.sum(dim=-1, keepdim=True)] = 0
        kept = torch.zeros_like(kept).scatter(-1, order, ordered)
    return kept / kept.sum(dim=-1, keepdim=True)


def _draw(tokenizer: Any, probs: torch.Tensor, sampling: Sampling) -> list[list[Filler]]:
    """`sampling.samples` fills, each mask drawn on its own from its kept distribution, seeded."""
    if not sampling.samples:
        return []
    kept = _kept(probs.float().cpu(), sampling.top_k, sampling.top_p)
    generator = torch.Generator().manual_seed(sampling.seed)
    draws = torch.multinomial(kept, sampling.samples, replacement=True, generator=generator)  # [masks, samples]
    fills = []
    for sample in draws.T.tolist():
        tokens = tokenizer.convert_ids_to_tokens(sample)
        scores = [float(probs[mask, token]) for mask, token in enumerate(sample)]
        fills.append(
            [Filler(token, _filler_text(tokenizer, token), score) for token, score in zip(tokens, scores, strict=True)]
        )
    return fills


def _predict(model: LoadedModel, text: str, top_k: int, words: list[str], lens: bool, sampling: Sampling) -> _Raw:
    """Every mask of `text` on the loaded masked-LM: top fillers, asked-about words, optionally the lens, and the
    draws `sampling` asks for."""
    tokenizer = model.tokenizer
    encoded, (masked,) = encode(tokenizer, text, None, model.max_tokens, read_masks=True)
    if not encoded.masks:
        raise InputError(
            say(
                "Every mask lies beyond the first {tokens} tokens the model reads: move a mask earlier or shorten the "
                "text before it.",
                tokens=model.max_tokens,
            )
        )
    spans = masked.spans[: len(encoded.masks)]

    def read(inputs: dict[str, torch.Tensor]) -> tuple[list[list[Filler]], list[list[CandidateScore]], list[Lens], Any]:
        probs, layered = _forward(model, encoded, lens, sampling.temperature, inputs)
        top_scores, top_ids = probs.topk(top_k, dim=-1)
        fillers = [
            [
                Filler(token, _filler_text(tokenizer, token), float(score))
                for token, score in zip(tokenizer.convert_ids_to_tokens(ids.tolist()), scores, strict=True)
            ]
            for ids, scores in zip(top_ids, top_scores, strict=True)
        ]
        candidates = [
            _candidates(model, encoded, masked.text, i, span, probs[i], words, sampling.temperature)
            for i, span in enumerate(spans)
        ]
        lenses = [
            None if layered is None else _lens(tokenizer, layered[:, i], top_ids[i].tolist()) for i in range(len(spans))
        ]
        return fillers, candidates, lenses, _draw(tokenizer, probs, sampling)

    truncation = Truncation(encoded.total, len(encoded.ids)) if encoded.truncated else None
    (fillers, candidates, lenses, drawn), run = model.run(encoded.model_inputs(tokenizer), read, truncation=truncation)
    lost = len(masked.spans) - len(spans)
    lstrip = bool(tokenizer.added_tokens_decoder[tokenizer.mask_token_id].lstrip)
    found = (fillers, candidates, lenses, drawn)
    return _Raw(masked.text, tokenizer.mask_token, lstrip, spans, lost, masked.converted, *found, run)


# -- the task --------------------------------------------------------------------------------------------------------


def _filled(
    text: str, spans: list[tuple[int, int]], fills: list[str], absorbs_space: bool = True
) -> tuple[str, list[tuple[int, int]]]:
    """`text` with each mask replaced by its filler, and where each filler's word ended up.

    absorbs_space: the mask token takes the whitespace before it (roberta-base declares <mask> with lstrip), so the
    model read the text without it: a filler replaces that whitespace too, and brings its own space if its token
    starts with one (`Ġcat` → " cat"; "," stays glued to the word before, as the model read it).
    """
    parts, where, cursor, length = [], [], 0, 0
    for (start, end), fill in zip(spans, fills, strict=True):
        if absorbs_space:
            start = len(text[:start].rstrip())
        parts.append(text[cursor:start])
        length += start - cursor
        word_start = length + len(fill) - len(fill.lstrip())
        parts.append(fill)
        length += len(fill)
        where.append((word_start, length))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts), where


def _in_sequence(raw: _Raw, span: tuple[int, int], fillers: list[Filler]) -> list[Filler]:
    """The fillers of one mask, each with the text it makes (what a fill-mask pipeline calls its `sequence`)."""
    return [replace(f, sequence=_filled(raw.text, [span], [f.text], raw.absorbs_space)[0]) for f in fillers]


def _notes(raw: _Raw) -> list[Message]:
    notes = []
    if raw.converted:
        typed = ", ".join(f"`{marker}`" for marker in dict.fromkeys(raw.converted))
        notes.append(say("Read {typed} as `{mask}`, this model's mask token.", typed=typed, mask=raw.mask_token))
    if raw.lost:
        notes.append(
            say(
                "{count} mask(s) lie beyond the tokens the model reads and were not predicted; shorten the text "
                "before them.",
                count=raw.lost,
            )
        )
    if len(raw.spans) > 1:
        notes.append(
            say(
                "Each mask is predicted on its own: the model sees the other masks as `{mask}`, not as their best "
                "fillers.",
                mask=raw.mask_token,
            )
        )
    return notes


def _sampled(raw: _Raw, fill: list[Filler]) -> SampledFill:
    text, spans = _filled(raw.text, raw.spans, [filler.text for filler in fill], raw.absorbs_space)
    return SampledFill(text, spans, fill)


def predict(
    context: TaskContext,
    text: str,
    top_k: float = 5,
    candidates: str | list[str] | None = None,
    checkpoint: str | None = None,
    layers: bool = True,
    sampling: Sampling = Sampling(),
) -> FillMaskResult:
    """The most likely fillers of every mask in `text`, the probability of each word in `candidates` there, and
    (with `layers`) what each layer would predict; all at `sampling`'s temperature, with the fills it draws."""
    text = check_text(text, context.limits)
    _check_masks(text, context.limits.max_masks)
    top, words, how = _check_top_k(top_k), parse_candidates(candidates), sampling.checked()
    chosen = context.checkpoint_for("fill_mask", checkpoint)
    reading = functools.partial(_predict, text=text, top_k=top, words=words, lens=layers, sampling=how)
    raw = context.apply(chosen, reading)
    masks = [
        MaskPrediction(start, end, _in_sequence(raw, (start, end), fillers), scored, lens)
        for (start, end), fillers, scored, lens in zip(raw.spans, raw.fillers, raw.candidates, raw.lenses, strict=True)
    ]
    filled, filled_spans = _filled(raw.text, raw.spans, [mask.fillers[0].text for mask in masks], raw.absorbs_space)
    samples = [_sampled(raw, fill) for fill in raw.drawn]
    return FillMaskResult(
        raw.text, raw.mask_token, masks, filled, filled_spans, _notes(raw), raw.run, how.temperature, samples
    )
