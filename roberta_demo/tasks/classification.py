"""Zero-shot classification into labels the user types, and the fine-tuned multi-label topic model."""

from __future__ import annotations

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.tasks.common import ClassScores, InputError, RunInfo, check_text, too_long

__all__ = ["DEFAULT_LABELS", "DEFAULT_TEMPLATE", "parse_labels", "topic", "zero_shot"]

DEFAULT_LABELS = "politics, sports, technology, business, entertainment"
DEFAULT_TEMPLATE = "This example is {}."


def parse_labels(labels: str | list[str] | None, limits: Limits = Limits()) -> list[str]:
    """Comma-separated (or listed) labels, stripped, without duplicates, in the order given."""
    items = labels.split(",") if isinstance(labels, str) else list(labels or [])
    unique = list(dict.fromkeys(item.replace("\x00", "").strip() for item in items if item and item.strip()))
    unique = [label for label in unique if label]
    if not unique:
        raise InputError("Give at least one candidate label, e.g. `sports, politics, technology`.")
    if len(unique) > limits.max_labels:  # each label costs one pass of the model
        raise too_long("The label list", len(unique), "labels", limits.max_labels, "max_labels")
    longest = max(unique, key=len)
    if len(longest) > limits.max_label_chars:
        raise too_long(f"The label {longest[:30]!r}…", len(longest), "characters", limits.max_label_chars,
                       "max_label_chars")  # fmt: skip
    return unique


def check_template(template: str | None) -> str:
    template = (template or "").strip() or DEFAULT_TEMPLATE
    if template.count("{}") != 1:
        raise InputError('The hypothesis template needs exactly one "{}" where the label goes, e.g. "This example is {}."')
    return template


def zero_shot(
    backend: Backend,
    text: str,
    labels: str | list[str] = DEFAULT_LABELS,
    template: str = DEFAULT_TEMPLATE,
    multi_label: bool = False,
    checkpoint: str | None = None,
    limits: Limits = Limits(),
) -> ClassScores:
    """Score each label by how strongly an NLI model finds `template.format(label)` entailed by `text`.

    Single-label: a softmax over the labels' entailment logits. Multi-label: each label's entailment vs.
    contradiction on its own.
    """
    text, template = check_text(text, limits.max_chars), check_template(template)
    candidates = parse_labels(labels, limits)
    inference = backend.run(
        "zero_shot", [text], checkpoint, candidate_labels=candidates, hypothesis_template=template, multi_label=multi_label
    )
    output = inference.outputs[0]
    return ClassScores.from_pairs(list(zip(output["labels"], output["scores"])), not multi_label, RunInfo.of(inference))


def topic(backend: Backend, text: str, checkpoint: str | None = None, limits: Limits = Limits()) -> ClassScores:
    """The fine-tuned topic model's independent (sigmoid) score for each of its topics."""
    text = check_text(text, limits.max_chars)
    inference = backend.run("topic", [text], checkpoint, top_k=None, function_to_apply="sigmoid")
    pairs = [(item["label"], item["score"]) for item in inference.outputs[0]]
    return ClassScores.from_pairs(pairs, exclusive=False, run=RunInfo.of(inference))
