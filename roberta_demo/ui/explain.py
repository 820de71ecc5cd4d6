"""The Explain controls the classification, sentiment and NER tabs share: which words made the model answer as it did,
by captum's attributions, beside where the same model looked."""

from __future__ import annotations

import re
from typing import Any

import gradio as gr

from roberta_demo.results import Explanation
from roberta_demo.tasks import explain
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.common import reporting
from roberta_demo.ui.i18n import _
from roberta_demo.viz.explain import attribution_note, coloured_words, explanation_chart

__all__ = ["METHODS", "clicked_entity", "controls", "explained", "forget_on"]

METHODS = {
    "Gradient × Input (one backward pass)": "grad_x_input",
    "Integrated Gradients (more faithful, slower)": "integrated_gradients",
}
DEFAULT_METHOD = next(iter(METHODS))


def controls(prefix: str, target_label: str) -> dict[str, Any]:
    """The Explain row and its outputs; `prefix` names their elements (`sentiment-explain`, …)."""
    gr.Markdown(_("#### Why did it answer that?"))
    with gr.Row(equal_height=True):
        method = gr.Radio([(_(m), m) for m in METHODS], value=DEFAULT_METHOD, label=_("Method"), scale=3)
        steps = gr.Slider(explain.MIN_STEPS, explain.MAX_STEPS, value=32, step=8, label=_("Integrated Gradients steps"))
        target = gr.Dropdown(
            [], label=_(target_label), allow_custom_value=True, info=_("Empty: the model's own answer.")
        )
        button = gr.Button(_("Explain"), elem_id=f"{prefix}-explain", scale=1)
    words = gr.HighlightedText(
        label=_("Each word for (purple) or against (red) the answer"),
        elem_id=f"{prefix}-explained",
        show_legend=False,
        combine_adjacent=False,
        show_inline_category=False,
    )
    with gr.Row():
        chart = gr.Plot(label=_("The strongest words"), show_label=False, elem_id=f"{prefix}-explain-chart")
        note = gr.Markdown()
    return {
        "method": method,
        "steps": steps,
        "target": target,
        "button": button,
        "words": words,
        "chart": chart,
        "note": note,
    }


def forget_on(triggers: list[Any], why: dict[str, Any]) -> None:
    """Clear the explanation when the answer it explained changes (a new run, another mode or model): an
    explanation of the last answer must not stand under the next one."""
    outputs = [why[name] for name in ("words", "chart", "note", "target")]

    def forget() -> list[Any]:
        return [None, None, "", gr.update(choices=[], value=None)]

    gr.on(triggers, forget, None, outputs, queue=False, api_visibility="private", show_progress="hidden")


def _target_choice(result: Explanation) -> str:
    """What the dropdown shows for the explained output (for NER, the entity as its choices spell it)."""
    return next((choice for choice in result.targets if result.target.startswith(choice)), result.target)


def explained(
    context: TaskContext,
    text: str,
    task: str,
    target: str | None,
    method_label: str,
    steps: float,
    labels: str | None = None,
    template: str | None = None,
    checkpoint: str | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Every output of the Explain controls for one request."""
    context = reporting(context, progress) if progress is not None else context
    method = METHODS.get(method_label, "grad_x_input")
    result = explain.explain(context, text, task, target or None, method, steps, labels, checkpoint, template)
    return {
        "words": coloured_words(result),
        "chart": explanation_chart(result),
        "note": attribution_note(result),
        "target": gr.update(choices=result.targets, value=_target_choice(result)),
    }


_ENTITY = re.compile(r"^(?P<word>.*) \((?P<start>\d+)\)$")


def clicked_entity(pieces: list[dict[str, Any]] | None, event: gr.SelectData) -> str | None:
    """The entity a person clicked in NER's highlighted text, as `word (start)`: Gradio hands the text over in
    pieces, so the start is the length of the pieces before it."""
    index = event.index if isinstance(event.index, int) else -1
    if not pieces or not 0 <= index < len(pieces) or not pieces[index]["class_or_confidence"]:
        return None
    start = sum(len(str(piece["token"])) for piece in pieces[:index])
    return f"{pieces[index]['token']} ({start})"


def entity_target(target: str | None) -> str | None:
    """`word (start)` → the start offset, which names an entity unambiguously; anything else as it is."""
    match = _ENTITY.match(target or "")
    return match.group("start") if match else target
