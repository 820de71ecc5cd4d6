"""Zero-shot classification into labels the user types, and the fine-tuned multi-label topic model."""

from __future__ import annotations

from roberta_demo.backend import Backend
from roberta_demo.tasks.common import ClassScores, InputError, RunInfo, check_text

__all__ = ["DEFAULT_LABELS", "DEFAULT_TEMPLATE", "MAX_LABELS", "parse_labels", "topic", "zero_shot"]

DEFAULT_LABELS = "politics, sports, technology, business, entertainment"
DEFAULT_TEMPLATE = "This example is {}."
MAX_LABELS = 50
MAX_LABEL_CHARS = 100


def parse_labels(labels: str | list[str] | None) -> list[str]:
    """Comma-separated (or listed) labels, stripped, without duplicates, in the order given."""
    items = labels.split(",") if isinstance(labels, str) else list(labels or [])
    unique = list(dict.fromkeys(item.strip() for item in items if item and item.strip()))
    if not unique:
        raise InputError("Give at least one candidate label, e.g. `sports, politics, technology`.")
    if len(unique) > MAX_LABELS:
        raise InputError(f"{len(unique)} labels given; use at most {MAX_LABELS} (each costs one model pass).")
    if too_long := [label for label in unique if len(label) > MAX_LABEL_CHARS]:
        raise InputError(f"Labels must be at most {MAX_LABEL_CHARS} characters; {too_long[0][:40]!r}… is longer.")
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
) -> ClassScores:
    """Score each label by how strongly an NLI model finds `template.format(label)` entailed by `text`.

    Single-label: a softmax over the labels' entailment logits. Multi-label: each label's entailment vs.
    contradiction on its own.
    """
    text, candidates, template = check_text(text), parse_labels(labels), check_template(template)
    inference = backend.run(
        "zero_shot", [text], checkpoint, candidate_labels=candidates, hypothesis_template=template, multi_label=multi_label
    )
    output = inference.outputs[0]
    return ClassScores.from_pairs(list(zip(output["labels"], output["scores"])), not multi_label, RunInfo.of(inference))


def topic(backend: Backend, text: str, checkpoint: str | None = None) -> ClassScores:
    """The fine-tuned topic model's independent (sigmoid) score for each of its topics."""
    inference = backend.run("topic", [check_text(text)], checkpoint, top_k=None, function_to_apply="sigmoid")
    pairs = [(item["label"], item["score"]) for item in inference.outputs[0]]
    return ClassScores.from_pairs(pairs, exclusive=False, run=RunInfo.of(inference))
