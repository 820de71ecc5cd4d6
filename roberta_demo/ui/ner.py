"""The NER tab: entities highlighted in the text, a confidence threshold, and a table of spans."""

from __future__ import annotations

from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.messages import speak
from roberta_demo.results import NerResult
from roberta_demo.tasks import ner
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import explain as explain_ui
from roberta_demo.ui.common import (
    EXPLAIN_GPU_SECONDS,
    TabParts,
    data_table,
    examples,
    model_work,
    reporting,
    run_note,
    table,
    table_headers,
    wire,
)
from roberta_demo.ui.i18n import _, bilingual
from roberta_demo.viz.entities import (
    ENTITY_NAMES,
    ENTITY_TYPES,
    entity_colours,
    entity_rows,
    highlighted,
)

__all__ = ["TASKS", "build", "tag"]

TASKS = ["ner"]
HEADERS = ["entity", "type", "score", "start", "end"]
EXAMPLES = {
    "en": [
        "Angela Merkel met Emmanuel Macron in Berlin to discuss the future of the European Union.",
        "Apple was founded by Steve Jobs and Steve Wozniak in Cupertino, California.",
        "josé garcía flew from são paulo to new york to meet the team at the united nations.",
        "Zoë Müller studied physics at the Technische Universität München before joining CERN in Geneva.",
        "Lionel Messi won the World Cup with Argentina in Qatar, and the BBC called it the greatest final ever.",
    ],
    # People, places and organisations, as the tutorial's Chinese NER (CLUENER adds books, games, films, positions…).
    "zh": [
        "李明在清华大学读书，他的老师是王教授。",
        "华为公司今天在深圳发布了新款手机。",
        "国务院总理在人民大会堂会见了来访的法国总统马克龙。",
        "他最喜欢的书是《红楼梦》，最喜欢的游戏是《王者荣耀》。",
        "刘德华在香港举办了演唱会，吸引了数万名歌迷。",
    ],
}


def _legend(entity_types: list[str]) -> Any:
    english, chinese = (
        " · ".join(f"**{t}** {ENTITY_NAMES[language].get(t, '')}".strip() for t in entity_types)
        for language in ("en", "zh")
    )
    return bilingual(english, chinese)


def shown(result: NerResult | None, threshold: float) -> dict[str, Any]:
    """The spans and table rows above the threshold; no model call, so moving the slider is instant."""
    if result is None:
        return {}
    entities = result.above(threshold)
    return {"spans": highlighted(result, entities), "table": table(HEADERS, entity_rows(entities))}


def tag(
    context: TaskContext,
    text: str,
    threshold: float = 0.5,
    checkpoint: str = "",
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    result = ner.tag(reporting(context, progress), text, checkpoint or None)
    visible = len(result.above(threshold))
    hidden = len(result.entities) - visible
    shown_note = speak("{shown} entities shown.", shown=visible)
    if hidden:
        shown_note = speak("{shown} entities shown, {hidden} below the threshold.", shown=visible, hidden=hidden)
    note = f"{run_note(result.run)} {shown_note}"
    return {**shown(result, threshold), "info": note, "result": result}


def explain_entity(
    context: TaskContext,
    text: str,
    checkpoint: str = "",
    target: str = "",
    method: str = explain_ui.DEFAULT_METHOD,
    steps: float = 32,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """Which words made the model tag this entity (its first token's label)."""
    entity = explain_ui.entity_target(target)
    return explain_ui.explained(
        context, text, "ner", entity, method, steps, checkpoint=checkpoint or None, progress=progress
    )


def explain_clicked(
    context: TaskContext,
    pieces: list[dict[str, Any]] | None,
    text: str,
    checkpoint: str,
    method: str,
    steps: float,
    event: gr.SelectData,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """A click on an entity in the highlighted text explains that entity; a click elsewhere does nothing."""
    chosen = explain_ui.clicked_entity(pieces, event)
    return explain_entity(context, text, checkpoint, chosen, method, steps, progress) if chosen else {}


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    checkpoints = catalog.checkpoints("ner")
    default_threshold = 0.0 if catalog.untrained else 0.5  # untrained models score every class ~equally
    with gr.Row():
        with gr.Column(scale=5):
            text = gr.Textbox(
                label=_("Text"),
                lines=6,
                placeholder=_("Paste text with people, places, organisations…"),
                elem_id="ner-text",
            )
            threshold = gr.Slider(
                0, 1, value=default_threshold, step=0.05, label=_("Hide entities scored below"), elem_id="ner-threshold"
            )
            choices = list(checkpoints)
            checkpoint = gr.Dropdown(choices, value=checkpoints[0], label=_("NER model"), visible=len(checkpoints) > 1)
            run = gr.Button(_("Find entities"), variant="primary", elem_id="ner-run")
        with gr.Column(scale=6):
            spans = gr.HighlightedText(
                label=_("Entities"),
                elem_id="ner-spans",
                color_map=entity_colours(ENTITY_TYPES[catalog.language]),
                # Each span's type written beside it (Gradio writes it only without its legend): colour is never the
                # only cue. The legend below names what each type means.
                show_legend=False,
                show_inline_category=True,
                combine_adjacent=False,
            )
            gr.Markdown(_legend(ENTITY_TYPES[catalog.language]), elem_id="ner-legend")
            spans_table = data_table(
                headers=table_headers(HEADERS),
                label=_("Spans"),
                wrap=True,
                max_height=360,
                column_widths=["34%", "18%", "18%", "15%", "15%"],
                elem_id="ner-table",
            )
            info = gr.Markdown(label=_("details"), elem_id="ner-info")
    outputs = {"spans": spans, "table": spans_table, "info": info, "result": gr.State()}
    inputs = [text, threshold, checkpoint]
    handler = wire(tag, context, outputs)
    why = explain_ui.controls("ner", "Entity to explain (or click one)")
    why_outputs = {name: why[name] for name in ("words", "chart", "note", "target")}
    why_inputs = [text, checkpoint, why["target"], why["method"], why["steps"]]
    explain_handler = wire(explain_entity, context, why_outputs, EXPLAIN_GPU_SECONDS)
    why["button"].click(
        explain_handler, why_inputs, list(why_outputs.values()), api_visibility="private", **model_work(catalog)
    )
    explain_ui.forget_on([run.click, text.submit, checkpoint.change], why)
    click_inputs = [spans, text, checkpoint, why["method"], why["steps"]]
    why_clicked = wire(explain_clicked, context, why_outputs, EXPLAIN_GPU_SECONDS)
    spans.select(why_clicked, click_inputs, list(why_outputs.values()), api_visibility="private", **model_work(catalog))
    examples([[e] for e in EXAMPLES[catalog.language]], [text], handler, list(outputs.values()))
    gr.on(
        [run.click, text.submit],
        handler,
        inputs,
        list(outputs.values()),
        api_name="ner_page",
        api_visibility="undocumented",
        **model_work(catalog),
    )
    # Only what the slider changes: before the first run there is nothing to redraw, and nothing may fail.
    redraw = wire(shown, None, {"spans": spans, "table": spans_table})
    threshold.release(redraw, [outputs["result"], threshold], [spans, spans_table], api_visibility="private")
    return TabParts(notice, TASKS, text, handler, inputs, list(outputs.values()))
