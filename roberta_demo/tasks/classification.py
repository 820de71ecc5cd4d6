"""Zero-shot classification into labels the user types, and the fine-tuned multi-label topic model."""

from __future__ import annotations

from dataclasses import replace

from roberta_demo.backend import PipelineCall
from roberta_demo.errors import InputError, ModelLoadError, shown
from roberta_demo.messages import say
from roberta_demo.results import ClassScores
from roberta_demo.tasks.common import TaskContext, check_text, run_info, too_long

__all__ = [
    "DEFAULT_LABELS",
    "DEFAULT_TEMPLATE",
    "MODES",
    "classify",
    "parse_labels",
    "top_labels",
    "topic",
    "zero_shot",
]

DEFAULT_LABELS = "politics, sports, technology, business, entertainment"
DEFAULT_TEMPLATE = "This example is {}."
MODES = ("zero-shot", "topic")  # into the visitor's labels, or into the topic model's own topics
# The topic model was trained as multi-label: each topic gets its own sigmoid score.
# A topic model scores each topic on its own (tweet-topic-21-multi: several topics at once) unless its config says it
# was trained to pick one (a news classifier such as chinanews: a softmax over the topics).
TOPIC_CALL = PipelineCall(
    "text-classification", {"top_k": None, "function_to_apply": "sigmoid", "truncation": True}, batchable=True
)
SINGLE_TOPIC_CALL = replace(TOPIC_CALL, arguments={**TOPIC_CALL.arguments, "function_to_apply": "softmax"})


def parse_labels(labels: str | list[str] | None, context: TaskContext) -> list[str]:
    """Comma-separated (or listed) labels, stripped, without duplicates, in the order given."""
    items = labels.split(",") if isinstance(labels, str) else list(labels or [])
    unique = list(dict.fromkeys(item.replace("\x00", "").strip() for item in items if item and item.strip()))
    unique = [label for label in unique if label]
    limits = context.limits
    if not unique:
        raise InputError(say("Give at least one candidate label, e.g. `sports, politics, technology`."))
    if len(unique) > limits.max_labels:  # each label costs one pass of the model
        raise too_long(say("The label list"), len(unique), say("labels"), limits.max_labels, "max_labels")
    longest = max(unique, key=len)
    if len(longest) > limits.max_label_chars:
        subject = say("The label {label}…", label=shown(longest[:30]))
        raise too_long(subject, len(longest), say("characters"), limits.max_label_chars, "max_label_chars")
    return unique


def check_template(template: str | None) -> str:
    template = (template or "").strip() or DEFAULT_TEMPLATE
    if template.count("{}") != 1:
        raise InputError(
            say('The hypothesis template needs exactly one "{}" where the label goes, e.g. "This example is {}."')
        )
    return template


def check_nli_labels(checkpoint: str, labels: list[str]) -> None:
    """Zero-shot classification asks an NLI model whether each label is *entailed*: it needs that label."""
    if not any(label.lower().startswith("entail") for label in labels):
        raise ModelLoadError(
            checkpoint,
            say(
                "Model {checkpoint} cannot do zero-shot classification: its labels ({labels}) have no 'entailment'. "
                "Configure an NLI checkpoint such as cross-encoder/nli-distilroberta-base.",
                checkpoint=checkpoint,
                labels=", ".join(labels),
            ),
        )


def _hypothesis_tokens(context: TaskContext, checkpoint: str, template: str, labels: list[str]) -> int:
    """Tokens the longest hypothesis takes from the model's limit: the premise is cut, never the hypothesis."""
    return max(context.count_tokens(checkpoint, template.format(label)) for label in labels)


def zero_shot(
    context: TaskContext,
    text: str,
    labels: str | list[str] = DEFAULT_LABELS,
    template: str = DEFAULT_TEMPLATE,
    multi_label: bool = False,
    checkpoint: str | None = None,
) -> ClassScores:
    """Score each label by how strongly an NLI model finds `template.format(label)` entailed by `text`.

    Single-label: a softmax over the labels' entailment logits. Multi-label: each label's entailment vs.
    contradiction on its own.
    """
    text, template = check_text(text, context.limits), check_template(template)
    candidates = parse_labels(labels, context)
    chosen = context.checkpoint_for("zero_shot", checkpoint)
    check_nli_labels(chosen, context.labels(chosen))
    arguments = {"candidate_labels": candidates, "hypothesis_template": template, "multi_label": multi_label}
    reserved = _hypothesis_tokens(context, chosen, template, candidates)
    inference = context.run(PipelineCall("zero-shot-classification", arguments, reserved), [text], chosen)
    output = inference.outputs[0]
    pairs = list(zip(output["labels"], output["scores"], strict=True))
    return ClassScores.from_pairs(pairs, not multi_label, run_info(inference))


def topic(context: TaskContext, text: str, checkpoint: str | None = None) -> ClassScores:
    """The topic model's score for each of its topics: each on its own (sigmoid), or for a model trained to pick
    one topic, a softmax over them."""
    text = check_text(text, context.limits)
    chosen = context.checkpoint_for("topic", checkpoint)
    exclusive = context.config(chosen).problem_type == "single_label_classification"
    inference = context.run(SINGLE_TOPIC_CALL if exclusive else TOPIC_CALL, [text], chosen)
    pairs = [(item["label"], item["score"]) for item in inference.outputs[0]]
    return ClassScores.from_pairs(pairs, exclusive=exclusive, run=run_info(inference))


def top_labels(context: TaskContext, texts: list[str], mode: str = "topic") -> list[str]:
    """Each text's most likely topic (the topic model's) or zero-shot label (into `DEFAULT_LABELS`), the texts in
    batched passes: what colours a map of many texts."""
    if mode == "topic":
        chosen = context.checkpoint_for("topic")
        exclusive = context.config(chosen).problem_type == "single_label_classification"
        outputs = context.run(SINGLE_TOPIC_CALL if exclusive else TOPIC_CALL, texts, chosen).outputs
        return [str(max(output, key=lambda item: item["score"])["label"]) for output in outputs]
    chosen = context.checkpoint_for("zero_shot")
    check_nli_labels(chosen, context.labels(chosen))
    candidates = parse_labels(DEFAULT_LABELS, context)
    arguments = {"candidate_labels": candidates, "hypothesis_template": DEFAULT_TEMPLATE, "multi_label": False}
    reserved = _hypothesis_tokens(context, chosen, DEFAULT_TEMPLATE, candidates)
    inference = context.run(PipelineCall("zero-shot-classification", arguments, reserved), texts, chosen)
    return [str(output["labels"][0]) for output in inference.outputs]


def classify(
    context: TaskContext,
    text: str,
    mode: str = "zero-shot",
    labels: str | list[str] | None = None,
    template: str | None = None,
    multi_label: bool = False,
    checkpoint: str | None = None,
) -> ClassScores:
    """The classification a tab or a program asks for, by `mode` (one of `MODES`): zero-shot into `labels` (the
    default topics when empty) with `template`, or the topic model's topics (labels, template and multi_label do not
    apply); `checkpoint` is the mode's model. None takes the default; an empty text box is refused as empty."""
    if mode == "topic":
        return topic(context, text, checkpoint)
    labels = DEFAULT_LABELS if labels is None else labels
    return zero_shot(context, text, labels, DEFAULT_TEMPLATE if template is None else template, multi_label, checkpoint)
