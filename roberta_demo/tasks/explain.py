"""Why did it answer that: which input words pushed one output of a model up or down, by captum's gradient
attributions on the input embeddings, summed over each word's pieces; beside them, where the same model looked
(attention rollout from the explained position), which is not the same thing.

Methods: Gradient × Input (one forward and one backward pass) and Integrated Gradients (the path from a baseline of
padding tokens, which keeps `<s>` and `</s>`, to the input, in 8 to 64 batched steps; its convergence delta says how
far the attributions are from adding up to f(input) − f(baseline)).

captum's layer methods would hook the embedding layer of the model, which every request on that checkpoint shares; a
concurrent request passing through it would get the hook's substituted embeddings. So the attributions here are
taken on `inputs_embeds` (the same quantity, the embedding layer's output), in this request's autograd graph alone.
No parameter receives a gradient, and the weights are never changed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from roberta_demo import scheduling
from roberta_demo.backend import LoadedModel
from roberta_demo.errors import InputError, shown
from roberta_demo.messages import say
from roberta_demo.results import Explanation, RunInfo, Truncation, WordAttribution
from roberta_demo.tasks import classification, ner
from roberta_demo.tasks.attention import attention_rollout, word_of
from roberta_demo.tasks.common import TaskContext, check_text
from roberta_demo.tasks.encoding import Encoded, encode, reading_words

__all__ = ["METHODS", "TASKS", "explain"]

METHODS = ("grad_x_input", "integrated_gradients")
TASKS = ("sentiment", "emotion", "topic", "zero_shot", "ner")
MIN_STEPS, MAX_STEPS = 8, 64
STEP_TOKENS = 4096  # tokens per batch of Integrated Gradients steps: a long text takes its steps a few at a time


@dataclass(frozen=True)
class Output:
    """The model output to explain: logit `index` of the sequence (`position` None) or of the token at `position`;
    for a token, `index` may be None to take that token's most likely label of type `entity_type`."""

    index: int | None
    position: int | None = None
    entity_type: str | None = None


@dataclass(frozen=True)
class _Raw:
    encoded: Encoded
    texts: tuple[str, ...]
    index: int
    position: int | None
    attributions: np.ndarray  # <float32>[num_tokens]
    attention: np.ndarray  # <float32>[num_tokens]: rollout from the explained position, last layer
    delta: float | None
    difference: float  # f(input) - f(baseline), for the relative delta
    run: RunInfo


def _check_options(task: str, method: str, steps: float) -> int:
    if task not in TASKS:
        raise InputError(
            say("Explanations exist for {tasks}; not for {task}.", tasks=", ".join(TASKS), task=shown(task))
        )
    if method not in METHODS:
        raise InputError(
            say("Choose the method grad_x_input or integrated_gradients, not {method}.", method=shown(method))
        )
    if not MIN_STEPS <= int(steps) <= MAX_STEPS:
        raise InputError(
            say(
                "Integrated Gradients takes {low} to {high} steps, not {steps}.",
                low=MIN_STEPS,
                high=MAX_STEPS,
                steps=steps,
            )
        )
    return int(steps)


def _logit(model: LoadedModel, inputs: dict[str, torch.Tensor], output: Output) -> Any:
    """The forward function captum differentiates: embeddings <[batch, tokens, hidden]> → the output's logit."""
    extra = {name: value for name, value in inputs.items() if name != "input_ids"}

    def forward(embeddings: torch.Tensor) -> torch.Tensor:
        batch = {name: value.expand(embeddings.shape[0], -1) for name, value in extra.items()}
        logits: torch.Tensor = model.model(inputs_embeds=embeddings, **batch).logits
        return logits[:, output.index] if output.position is None else logits[:, output.position, output.index]

    return forward


def _resolve(model: LoadedModel, logits: torch.Tensor, output: Output) -> Output:
    """The output with its label chosen where the caller left it open, from the model's own logits (<[classes]> or
    <[tokens, labels]>): the predicted class, or the entity type's most likely label at the entity's token."""
    if output.index is not None:
        return output
    if output.position is None:
        return Output(int(logits.argmax()), None)
    names = model.model.config.id2label
    candidates = [i for i, name in names.items() if name.split("-", 1)[-1] == output.entity_type] or list(names)
    return Output(max(candidates, key=lambda i: float(logits[output.position, i])), output.position)


def _baseline(model: LoadedModel, encoded: Encoded) -> torch.Tensor:
    """Padding tokens in place of the text, special tokens kept: the 'nothing said' the path starts from."""
    pad = model.tokenizer.pad_token_id
    ids = [token if segment is None else pad for token, segment in zip(encoded.ids, encoded.segments, strict=True)]
    embeddings: torch.Tensor = model.model.get_input_embeddings()(model.placed({"input_ids": [ids]})["input_ids"])
    return embeddings


def _look(model: LoadedModel, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, np.ndarray]:
    """One plain forward pass: the logits of the input (<[classes]> or <[tokens, labels]>), and every layer's
    attention rolled out, <float32>[num_layers, num_tokens, num_tokens]."""
    with model.eager_attention(), torch.inference_mode():
        output = model.model(**inputs, output_attentions=True)
    weights = torch.stack(output.attentions)[:, 0].float().cpu().numpy()
    return output.logits[0].float(), attention_rollout(weights)


def _attribute(
    model: LoadedModel,
    text: str,
    pair: str | None,
    output: Output,
    method: str,
    steps: int,
    entity: tuple[int, int] | None,
) -> _Raw:
    """Attributions of one output to every input token, on the loaded model."""
    if any(type(module).__module__.startswith("torch.ao.nn.quantized") for module in model.model.modules()):
        raise InputError(
            say("Explanations need gradients, which int8-quantised models do not have: start without --quantize.")
        )
    encoded, texts = encode(model.tokenizer, text, pair, model.max_tokens)
    if entity is not None:
        output = Output(output.index, _entity_token(encoded, *entity), output.entity_type)
    truncation = Truncation(encoded.total, len(encoded.ids)) if encoded.truncated else None
    found, run = model.run(
        encoded.model_inputs(model.tokenizer),
        functools.partial(_attributions, model, encoded, output, method, steps),
        gradients=True,
        truncation=truncation,
    )
    output, per_token, attention, delta, difference = found
    assert output.index is not None  # resolved by _attributions
    texts_read = tuple(t.text for t in texts)
    return _Raw(encoded, texts_read, output.index, output.position, per_token, attention, delta, difference, run)


@functools.cache
def _captum_attr() -> Any:
    """captum's attribution methods. Its import costs half a second of start-up CPU that no other tab needs, so the
    first explanation pays it, with the device given up meanwhile (an import is no device work); later ones find
    it imported and keep their turn."""
    with scheduling.set_aside():
        import captum.attr
    return captum.attr


def _attributions(
    model: LoadedModel, encoded: Encoded, output: Output, method: str, steps: int, inputs: dict[str, torch.Tensor]
) -> tuple[Output, np.ndarray, np.ndarray, float | None, float]:
    """The output resolved, each token's attribution to it, the last layer's rollout from its position, Integrated
    Gradients' convergence delta (None for grad × input) and f(input) - f(baseline)."""
    attr = _captum_attr()
    logits, rollout = _look(model, inputs)
    output = _resolve(model, logits, output)
    value = float(logits[output.index] if output.position is None else logits[output.position, output.index])
    embeddings = model.model.get_input_embeddings()(inputs["input_ids"]).detach()
    forward = _logit(model, inputs, output)
    delta: float | None = None
    difference = value
    if method == "integrated_gradients":
        baseline = _baseline(model, encoded).detach()
        batch = max(1, STEP_TOKENS // len(encoded.ids))
        attributions, deltas = attr.IntegratedGradients(forward).attribute(
            embeddings, baselines=baseline, n_steps=steps, internal_batch_size=batch, return_convergence_delta=True
        )
        delta = float(deltas[0])
        with torch.no_grad():
            difference = value - float(forward(baseline)[0])
    else:
        attributions = attr.InputXGradient(forward).attribute(embeddings.requires_grad_())
    per_token = attributions[0].sum(dim=-1).detach().float().cpu().numpy()
    attention = np.asarray(rollout[-1, 0 if output.position is None else output.position], dtype=np.float32)
    return output, per_token, attention, delta, difference


def _entity_token(encoded: Encoded, start: int, end: int) -> int:
    """The first token of the entity at characters [start, end) of the first text."""
    for index, ((token_start, token_end), segment) in enumerate(zip(encoded.offsets, encoded.segments, strict=True)):
        if segment == 0 and token_end > start and token_start < end:
            return index
    raise InputError(say("That entity lies beyond the tokens the model reads at once; explain one nearer the start."))


# -- words -----------------------------------------------------------------------------------------------------------


def _words(raw: _Raw) -> list[WordAttribution]:
    """The first text's words (whitespace-separated; each Chinese character), each with its pieces' attributions and
    attention summed."""
    text = raw.texts[0]
    spans = reading_words(text)
    attribution, attention = np.zeros(len(spans)), np.zeros(len(spans))
    for (start, end), segment, value, share in zip(
        raw.encoded.offsets, raw.encoded.segments, raw.attributions, raw.attention, strict=True
    ):
        if segment != 0 or end <= start:
            continue
        word = word_of(spans, start)
        attribution[word] += value
        attention[word] += share
    return [
        WordAttribution(text[start:end], start, end, float(a), float(b))
        for (start, end), a, b in zip(spans, attribution, attention, strict=True)
    ]


def _explanation(
    context: TaskContext,
    raw: _Raw,
    task: str,
    method: str,
    target: str,
    targets: list[str],
    hypothesis: str | None = None,
) -> Explanation:
    relative = abs(raw.delta) / abs(raw.difference) if raw.delta is not None and raw.difference else None
    return Explanation(
        text=raw.texts[0],
        words=_words(raw),
        task=task,
        target=target,
        method=method,
        delta=raw.delta,
        relative_delta=relative,
        hypothesis=hypothesis,
        targets=targets,
        run=raw.run,
    )


# -- per task --------------------------------------------------------------------------------------------------------


def _class_index(labels: list[str], target: str | None) -> int | None:
    if target is None or not str(target).strip():
        return None
    if target not in labels:
        raise InputError(
            say(
                "{target} is not one of this model's classes: {labels}.", target=shown(target), labels=", ".join(labels)
            )
        )
    return labels.index(target)


def _explain_classes(
    context: TaskContext, text: str, task: str, target: str | None, method: str, steps: int, checkpoint: str | None
) -> Explanation:
    chosen = context.checkpoint_for(task, checkpoint)
    labels = context.labels(chosen)
    output = Output(_class_index(labels, target))
    run = functools.partial(_attribute, text=text, pair=None, output=output, method=method, steps=steps, entity=None)
    raw = context.apply(chosen, run)
    return _explanation(context, raw, task, method, labels[raw.index], labels)


def _explain_zero_shot(
    context: TaskContext,
    text: str,
    target: str | None,
    method: str,
    steps: int,
    labels: str | list[str] | None,
    template: str | None,
    checkpoint: str | None,
) -> Explanation:
    template = classification.check_template(template)
    candidates = classification.parse_labels(labels if labels else classification.DEFAULT_LABELS, context)
    if target is None or not str(target).strip():
        target = classification.zero_shot(context, text, candidates, template, False, checkpoint).top
    elif target not in candidates:
        raise InputError(
            say(
                "{target} is not one of the candidate labels: {labels}.",
                target=shown(target),
                labels=", ".join(candidates),
            )
        )
    chosen = context.checkpoint_for("zero_shot", checkpoint)
    names = context.labels(chosen)
    classification.check_nli_labels(chosen, names)
    entailment = next(i for i, name in enumerate(names) if name.lower().startswith("entail"))
    hypothesis = template.format(target)
    run = functools.partial(
        _attribute, text=text, pair=hypothesis, output=Output(entailment), method=method, steps=steps, entity=None
    )
    raw = context.apply(chosen, run)
    return _explanation(context, raw, "zero_shot", method, target, candidates, hypothesis)


def _entity(found: list[Any], target: str | None) -> Any:
    if not found:
        raise InputError(say("The model found no entity in this text, so there is none to explain."))
    if target is None or not str(target).strip():
        return found[0]
    wanted = str(target).strip()
    for entity in found:
        if entity.word == wanted or (wanted.isdigit() and entity.start == int(wanted)):
            return entity
    names = ", ".join(f"{e.word} ({e.start})" for e in found)
    raise InputError(
        say(
            "{target} is not an entity the model found here; choose one of: {names}.", target=shown(wanted), names=names
        )
    )


def _explain_entity(
    context: TaskContext, text: str, target: str | None, method: str, steps: int, checkpoint: str | None
) -> Explanation:
    found = ner.tag(context, text, checkpoint).entities
    entity = _entity(found, target)
    chosen = context.checkpoint_for("ner", checkpoint)
    output = Output(None, None, entity.label)
    run = functools.partial(
        _attribute, text=text, pair=None, output=output, method=method, steps=steps, entity=(entity.start, entity.end)
    )
    raw = context.apply(chosen, run)
    targets = [f"{e.word} ({e.start})" for e in found]
    return _explanation(context, raw, "ner", method, f"{entity.word} ({entity.start}): {entity.label}", targets)


def explain(
    context: TaskContext,
    text: str,
    task: str = "sentiment",
    target: str | None = None,
    method: str = "grad_x_input",
    steps: float = 32,
    labels: str | list[str] | None = None,
    checkpoint: str | None = None,
    template: str | None = None,
) -> Explanation:
    """Attribute one output of a task's model to the words of `text`.

    target: the class to explain (sentiment, emotion, topic), the candidate label (zero-shot), or the entity by its
    text or start offset (NER); by default what the model predicted (the first entity, for NER).
    """
    count = _check_options(task, method, steps)
    text = check_text(text, context.limits, "max_ner_chars" if task == "ner" else "max_chars")
    if task == "zero_shot":
        return _explain_zero_shot(context, text, target, method, count, labels, template, checkpoint)
    if task == "ner":
        return _explain_entity(context, text, target, method, count, checkpoint)
    return _explain_classes(context, text, task, target, method, count, checkpoint)
