"""The NER tab: entities highlighted in the text, a confidence threshold, and a table of spans."""

from __future__ import annotations

import functools

import gradio as gr

from roberta_demo.backend import Backend
from roberta_demo.config import Limits, Settings
from roberta_demo.tasks import ner
from roberta_demo.ui.common import (
    TabParts,
    announce_loading,
    examples,
    friendly_errors,
    missing_notice,
    on_gpu,
    run_note,
)
from roberta_demo.viz.entities import ENTITY_NAMES, entity_colours, entity_rows, highlighted

__all__ = ["TASKS", "build", "tag"]

TASKS = ["ner"]
HEADERS = ["entity", "type", "score", "start", "end"]
EXAMPLES = [
    "Angela Merkel met Emmanuel Macron in Berlin to discuss the future of the European Union.",
    "Apple was founded by Steve Jobs and Steve Wozniak in Cupertino, California.",
    "josé garcía flew from são paulo to new york to meet the team at the united nations.",
    "Zoë Müller studied physics at the Technische Universität München before joining CERN in Geneva.",
    "Lionel Messi won the World Cup with Argentina in Qatar, and the BBC called it the greatest final ever.",
]


def _legend(entity_types: list[str]) -> str:
    return " · ".join(f"**{t}** {ENTITY_NAMES.get(t, '')}".strip() for t in entity_types)


def _view(result: ner.NerResult, threshold: float) -> tuple[dict, list[list]]:
    entities = result.above(threshold)
    return highlighted(result, entities), entity_rows(entities)


def tag(
    backend: Backend, text: str, threshold: float = 0.5, checkpoint: str = "",
    progress: gr.Progress = gr.Progress(track_tqdm=True), *, limits: Limits = Limits(),
) -> tuple[dict, list[list], str, ner.NerResult]:  # fmt: skip
    announce_loading(backend, "ner", checkpoint, progress)
    result = ner.tag(backend, text, checkpoint or None, limits)
    shown, rows = _view(result, threshold)
    hidden = len(result.entities) - len(rows)
    note = run_note(result.run) + f" {len(rows)} entities shown" + (f", {hidden} below the threshold." if hidden else ".")
    return shown, rows, note, result


def build(backend: Backend, settings: Settings) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(missing_notice(backend, TASKS))
    checkpoints = list(backend.profile.models("ner").checkpoints)
    default_threshold = 0.0 if backend.profile.untrained else 0.5  # untrained models score every class ~equally
    entity_types = ["PER", "ORG", "LOC", "MISC"]
    with gr.Row():
        with gr.Column(scale=5):
            text = gr.Textbox(label="Text", lines=6, placeholder="Paste text with people, places, organisations…",
                              elem_id="ner-text")
            threshold = gr.Slider(0, 1, value=default_threshold, step=0.05, label="Hide entities scored below")
            checkpoint = gr.Dropdown(checkpoints, value=checkpoints[0], label="NER model", visible=len(checkpoints) > 1)
            run = gr.Button("Find entities", variant="primary", elem_id="ner-run")
        with gr.Column(scale=6):
            spans = gr.HighlightedText(label="Entities", elem_id="ner-spans", color_map=entity_colours(entity_types),
                                       show_legend=True, combine_adjacent=False)
            gr.Markdown(_legend(entity_types))
            table = gr.Dataframe(headers=HEADERS, label="Spans", wrap=True, max_height=360)
            info = gr.Markdown(label="details")
    result = gr.State()
    handler = friendly_errors(on_gpu(functools.partial(tag, backend, limits=settings.limits)))
    inputs, outputs = [text, threshold, checkpoint], [spans, table, info, result]
    examples([[e] for e in EXAMPLES], [text], handler, outputs)
    gr.on([run.click, text.submit], handler, inputs, outputs, api_name="ner")
    threshold.release(
        lambda r, t: _view(r, t) if r else (gr.skip(), gr.skip()), [result, threshold], [spans, table],
        api_visibility="private",
    )
    return TabParts(notice, TASKS, text, handler, inputs, outputs)
