"""The "How RoBERTa works" tab: a guided tour for the front of the room. Ten steps (Gradio's `gr.Walkthrough`), each
a few lines and a live view of the model on the presenter's own text, in place: tokens → vectors → the attention
formula → every head → fill-mask at a temperature → dynamic masking → continued pre-training → fine-tuning → what
training costs → the three applications.

The step shown is kept in one hidden box (`step`), the tour's single source of truth: Next, Back, the ← → keys
(assets/app.js presses Next and Back) and a click on a step's number write it; its change moves the stepper and the
page's address (`?tab=how-it-works&step=4`, so a slide can open step 4). Entering a step draws its view; the views
that train (continued pre-training, the measured step) wait for their button, in the training queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.errors import EngineError, InputError, ModelLoadError, said
from roberta_demo.messages import say, written
from roberta_demo.results import ModelFacts
from roberta_demo.tasks import facts, finetune, pretrain
from roberta_demo.tasks import vectors as vector_task
from roberta_demo.tasks.common import TaskContext, check_text
from roberta_demo.tasks.encoding import MASK_MARKERS, mask_word, maskable_words
from roberta_demo.tasks.finetune import UNTRAINED_LEARNING_RATE, Recipe
from roberta_demo.ui import attention, classification, fill_mask, ner, sentiment
from roberta_demo.ui import pretrain as pretrain_ui
from roberta_demo.ui.common import (
    FINE_TUNE_WORK,
    LATEX,
    Handler,
    TabParts,
    code_view,
    fine_tune_seconds,
    model_work,
    reporting,
    run_note,
    wire,
)
from roberta_demo.ui.finetune import stop_view
from roberta_demo.ui.i18n import LANGUAGE, _, bilingual
from roberta_demo.ui.tour_text import BERT_VERSUS_ROBERTA, MODEL_LINE, STEPS, UNLOADED, TourStep
from roberta_demo.viz.entities import ENTITY_TYPES, entity_colours
from roberta_demo.viz.pretrain import cost_markdown
from roberta_demo.viz.vectors import drift_chart

__all__ = ["STEP_COUNT", "TASKS", "build", "lead_markdown", "page_figures", "show_step", "step_number"]

TASKS = ["attention", "fill_mask"]
STEP_COUNT = len(STEPS["en"])
TEXT = {
    "en": "The animal didn't cross the street because it was too tired. It lay down in the shade and slept until "
    "the evening, when its owner came to find it.",
    "zh": "那只动物没有过马路，因为它太累了。它在树荫下躺下，一直睡到傍晚，主人来找它。",
}
TOUR_STEPS = 20  # continued pre-training on the presenter's text: enough for the loss to move, in seconds

# roberta-base's own figures (Liu et al., 2019): what the page says until a model has loaded, or where none can.
ROBERTA_BASE = {"layers": 12, "heads": 12, "hidden": 768, "d_k": 64, "vocabulary": 50_265, "total_heads": 144}


def _figures(described: ModelFacts | None) -> dict[str, Any]:
    if described is None:
        return ROBERTA_BASE
    return {
        "layers": described.layers,
        "heads": described.heads,
        "hidden": described.hidden_size,
        "d_k": described.head_size,
        "vocabulary": described.vocabulary,
        "total_heads": described.layers * described.heads,
    }


def step_number(step: Any) -> int:
    """The step a box or a link names, 1 to `STEP_COUNT`; anything else (`?step=abc`, `?step=99`) is the nearest."""
    try:
        number = int(float(str(step).strip()))
    except ValueError:
        return 1
    return min(max(number, 1), STEP_COUNT)


def lead_markdown(number: int, described: ModelFacts | None, language: str = "en") -> str:
    """Step `number`'s few lines, with the model's figures."""
    step = STEPS.get(language, STEPS["en"])[number - 1]
    return f"### {number} · {step.title}\n\n{step.lead.format(**_figures(described))}"


def _links(step: TourStep) -> str:
    return "  ·  ".join(f"[{text} →]({link})" for link, text in step.links)


def more_markdown(number: int, described: ModelFacts | None, language: str = "en") -> str:
    """Step `number`'s detail (behind "More") and its links into the full tabs."""
    step = STEPS.get(language, STEPS["en"])[number - 1]
    table = BERT_VERSUS_ROBERTA.get(language, BERT_VERSUS_ROBERTA["en"])
    figures = _figures(described)
    more = step.more.format(**figures, bert_versus_roberta=table.format(**figures))
    return f"{more}\n\n{_links(step)}" if step.links else more


def model_markdown(described: ModelFacts | None, language: str = "en") -> str:
    if described is None:
        return UNLOADED.get(language, UNLOADED["en"])
    return MODEL_LINE.get(language, MODEL_LINE["en"]).format(
        name=described.checkpoint,
        layers=described.layers,
        heads=described.heads,
        hidden=described.hidden_size,
        millions=described.parameters / 1e6,
        max_tokens=described.max_tokens,
    )


def page_figures(context: TaskContext) -> dict[str, Any]:
    """The tour's words with the real figures of the model the attention views inspect. Runs as the page loads, so
    a model that cannot load leaves the placeholders (the tab's notice says why) rather than an error."""
    try:
        described = facts.describe(context)
    except (ModelLoadError, EngineError):
        return {}
    language = LANGUAGE.get()
    numbers = range(1, STEP_COUNT + 1)
    return {
        "model": model_markdown(described, language),
        **{f"lead_{n}": lead_markdown(n, described, language) for n in numbers},
        **{f"more_{n}": more_markdown(n, described, language) for n in numbers},
    }


# -- each step's live view -------------------------------------------------------------------------------------------

Options = Mapping[str, Any]  # the tour's own controls: temperature, masking mode and epochs, the NER threshold


def tokens_view(context: TaskContext, text: str, options: Options) -> dict[str, Any]:
    found = facts.tokenize(context, text)
    notes = [
        say("{tokens} tokens, ids from a vocabulary of {size}.", tokens=len(found.ids), size=f"{found.vocabulary:,}")
    ]
    if cut := found.run.truncation:
        kept, total = cut.tokens_kept, cut.tokens_total
        notes.append(say("The text was cut to its first {kept} of {total} tokens.", kept=kept, total=total))
    shown = list(zip(found.pieces, map(str, found.ids), strict=True))
    return {"tokens": shown, "tokens_note": written(notes)}


def vectors_view(context: TaskContext, text: str, options: Options) -> dict[str, Any]:
    found = vector_task.token_vectors(context, text)
    return {"drift": drift_chart(found), "drift_note": run_note(found.run)}


def formula_view(context: TaskContext, text: str, options: Options) -> dict[str, Any]:
    shown = attention.formula_capture(context, text)
    return {"formula": shown["formula_text"], "scores": shown["bars"]}


def heads_view(context: TaskContext, text: str, options: Options) -> dict[str, Any]:
    model_view = next(label for label, kind in attention.VIEWS.items() if kind == "model")
    shown = attention.attend(context, text, kind_label=model_view)
    return {"heads": shown["frame"], "heads_note": shown["info"]}


def masked_for_filling(text: str) -> str:
    """The text with its own masks, or else with its last word masked."""
    if MASK_MARKERS.search(text):
        return text
    words = maskable_words(text)
    if not words:
        raise InputError(say("The text has no word to hide: type a sentence."))
    return mask_word(text, words[-1])


def fill_view(context: TaskContext, text: str, options: Options) -> dict[str, Any]:
    shown = fill_mask.predict(context, masked_for_filling(text or ""), temperature=options["temperature"], samples=3)
    return {key: shown[key] for key in ("filled", "sampled")} | {
        "fill_chart": shown["chart"],
        "fill_note": shown["info"],
    }


def masking_view(context: TaskContext, text: str, options: Options) -> dict[str, Any]:
    shown = pretrain_ui.mask_view(context, text, options["mode"], options["epochs"], 0)
    return {"given": shown["given"], "grid": shown["grid"], "mask_note": shown["mask_status"]}


def applications_view(context: TaskContext, text: str, options: Options) -> dict[str, Any]:
    """Sentiment, topic and entities, each on its own: a model that cannot load leaves its part empty, with why."""
    parts: dict[str, Callable[[], Any]] = {
        "sentiment": lambda: sentiment.score_one(context, text)["top"],
        "topic": lambda: classification.classify(context, text, classification.TOPIC)["top"],
        "entities": lambda: ner.tag(context, text, options["threshold"])["spans"],
    }
    shown: dict[str, Any] = {}
    failures = []
    for name, part in parts.items():
        try:
            shown[name] = part()
        except (ModelLoadError, EngineError) as exc:
            shown[name] = None
            failures.append(f"⚠️ {said(exc)}")
    return shown | {"applications_note": "\n\n".join(failures)}


VIEWS: dict[int, Callable[[TaskContext, str, Options], dict[str, Any]]] = {
    1: tokens_view,
    2: vectors_view,
    3: formula_view,
    4: heads_view,
    5: fill_view,
    6: masking_view,
    10: applications_view,
}


def show_step(
    context: TaskContext,
    text: str,
    step: str,
    temperature: float,
    mode: str,
    epochs: float,
    threshold: float,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """The step shown, and its live view on the presenter's text (none for the steps whose view waits for a
    button). The stepper comes back with the view: the view is drawn in a step in sight, never in a hidden one (a
    bertviz frame drawn hidden measures its height as nothing)."""
    number = step_number(step)
    shown = {"walkthrough": gr.Walkthrough(selected=number)}
    view = VIEWS.get(number)
    if view is None:
        return shown
    options = {"temperature": float(temperature), "mode": mode, "epochs": epochs, "threshold": float(threshold)}
    return shown | view(reporting(context, progress), check_text(text, context.limits), options)


def pretrain_on_text(
    context: TaskContext,
    text: str,
    steps: float,
    learning_rate: float,
    request: gr.Request,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> Iterator[dict[str, Any]]:
    """Continued pre-training on the presenter's text with the Pre-train tab's settings; the model is held for this
    page's session, as that tab's is."""
    defaults = Recipe()
    recipe = (steps, "", learning_rate, defaults.batch_size, 64, defaults.seed, True)
    for shown in pretrain_ui.pretrain_view(context, text, *recipe, request, progress):
        yield {name: value for name, value in shown.items() if name in ("chart", "status", "stop_switch")}


def measure_step(
    context: TaskContext, text: str, progress: gr.Progress = gr.Progress(track_tqdm=True)
) -> dict[str, Any]:
    """One pre-training step timed on this server, beside the paper's figures."""
    cost = pretrain.step_cost(reporting(context, progress), text)
    return {"cost": cost_markdown(cost, LANGUAGE.get())}


# -- the tab ---------------------------------------------------------------------------------------------------------


def _step_views(number: int, catalog: Catalog, context: TaskContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """Step `number`'s live view: its controls and its outputs, by name."""
    if number == 1:
        tokens = gr.HighlightedText(
            label=_("Your text, token by token (each with its id)"),
            elem_id="tour-tokens",
            show_legend=False,
            show_inline_category=True,
            combine_adjacent=False,
        )
        return {}, {"tokens": tokens, "tokens_note": gr.Markdown(elem_id="tour-tokens-note")}
    if number == 2:
        drift = gr.Plot(label=_("Vectors, layer by layer"), show_label=False, elem_id="tour-drift")
        return {}, {"drift": drift, "drift_note": gr.Markdown(elem_id="tour-drift-note")}
    if number == 3:
        formula = gr.Markdown(elem_id="tour-formula", latex_delimiters=LATEX)
        return {}, {"formula": formula, "scores": gr.Plot(show_label=False, elem_id="tour-scores")}
    if number == 4:
        return {}, {"heads": gr.HTML(elem_id="tour-heads"), "heads_note": gr.Markdown(elem_id="tour-heads-note")}
    if number == 5:
        return _fill_step(catalog, context)
    if number == 6:
        return _masking_step()
    if number == 7:
        return _pretrain_step(catalog, context)
    if number == 8:
        code_view(finetune.CODE)
        return {}, {}
    if number == 9:
        measure = gr.Button(_("Measure one step on this server"), variant="primary", elem_id="tour-cost-run")
        return {"measure": measure}, {"cost": gr.Markdown(elem_id="tour-cost")}
    return _applications_step(catalog)


def _fill_step(catalog: Catalog, context: TaskContext) -> tuple[dict[str, Any], dict[str, Any]]:
    temperature = fill_mask.temperature_slider("tour-temperature")
    with gr.Row():
        filled = gr.HighlightedText(
            label=_("Best fillers put in"),
            color_map=fill_mask.mask_colours(context.limits.max_masks),
            show_legend=False,
            elem_id="tour-filled",
        )
        sampled = gr.HighlightedText(
            label=_("Filled by sampling (each drawn word's probability)"),
            color_map=dict.fromkeys(fill_mask.DRAWN_LABELS, fill_mask.MASK_COLOUR),
            show_legend=False,
            combine_adjacent=False,
            elem_id="tour-sampled",
        )
    chart = gr.Plot(label=_("Most likely words"), show_label=False, elem_id="tour-fill-chart")
    outputs = {
        "filled": filled,
        "sampled": sampled,
        "fill_chart": chart,
        "fill_note": gr.Markdown(elem_id="tour-fill-note"),
    }
    return {"temperature": temperature}, outputs


def _masking_step() -> tuple[dict[str, Any], dict[str, Any]]:
    with gr.Row(equal_height=True):
        choices = [(_(pretrain_ui.DYNAMIC), pretrain_ui.DYNAMIC), (_(pretrain_ui.STATIC), pretrain_ui.STATIC)]
        mode = gr.Radio(choices, value=pretrain_ui.DYNAMIC, label=_("Masking"), scale=3, elem_id="tour-mask-mode")
        epochs = gr.Slider(1, 10, value=4, step=1, label=_("Epochs"), scale=2, elem_id="tour-mask-epochs")
    given = gr.HighlightedText(
        label=_("What the model is given in the last epoch"),
        color_map=pretrain_ui.KIND_HIGHLIGHTS,
        combine_adjacent=False,
        elem_id="tour-mask-given",
    )
    grid = gr.Plot(label=_("Epochs"), show_label=False, elem_id="tour-mask-grid")
    return {"mode": mode, "epochs": epochs}, {
        "given": given,
        "grid": grid,
        "mask_note": gr.Markdown(elem_id="tour-mask-note"),
    }


def _pretrain_step(catalog: Catalog, context: TaskContext) -> tuple[dict[str, Any], dict[str, Any]]:
    with gr.Row(equal_height=True):
        steps = gr.Slider(1, context.limits.max_train_steps, value=TOUR_STEPS, step=1, label=_("Steps"), scale=3)
        train = gr.Button(_("Train"), variant="primary", elem_id="tour-pretrain-run", scale=1)
        stop = gr.Button(_("Stop"), variant="stop", elem_id="tour-pretrain-stop", scale=1)
    with gr.Row():
        chart = gr.Plot(label=_("Loss"), show_label=False, elem_id="tour-pretrain-chart")
        with gr.Column():
            code_view(pretrain.CODE)
            status = gr.Markdown(elem_id="tour-pretrain-status")
    rate = UNTRAINED_LEARNING_RATE if catalog.untrained else Recipe().learning_rate
    controls = {"steps": steps, "train": train, "stop": stop, "learning_rate": gr.State(rate)}
    return controls, {"chart": chart, "status": status, "stop_switch": gr.State(None)}


def _applications_step(catalog: Catalog) -> tuple[dict[str, Any], dict[str, Any]]:
    with gr.Row():
        top = gr.Label(label=_("Sentiment"), elem_id="tour-sentiment", num_top_classes=3)
        topic = gr.Label(label=_("Topic"), elem_id="tour-topic", num_top_classes=3)
    entities = gr.HighlightedText(
        label=_("Entities"),
        color_map=entity_colours(ENTITY_TYPES[catalog.language]),
        show_legend=False,
        show_inline_category=True,
        combine_adjacent=False,
        elem_id="tour-entities",
    )
    threshold = gr.State(0.0 if catalog.untrained else 0.5)  # untrained models score every class ~equally
    outputs = {
        "sentiment": top,
        "topic": topic,
        "entities": entities,
        "applications_note": gr.Markdown(elem_id="tour-applications-note"),
    }
    return {"threshold": threshold}, outputs


def _navigation(number: int) -> tuple[gr.Button | None, gr.Button | None]:
    """Back and Next under step `number` (none before the first or after the last)."""
    with gr.Row():
        back = gr.Button(_("← Back"), elem_id=f"tour-back-{number}", elem_classes=["tour-back"]) if number > 1 else None
        ahead = number < STEP_COUNT
        forward = (
            gr.Button(_("Next →"), variant="primary", elem_id=f"tour-next-{number}", elem_classes=["tour-next"])
            if ahead
            else None
        )
    return back, forward


def _bilingual_step(number: int) -> tuple[Any, Any, Any]:
    """A step's title, lead and detail, in both languages with roberta-base's figures until the model loads."""
    english, chinese = STEPS["en"][number - 1], STEPS["zh"][number - 1]
    return (
        bilingual(english.title, chinese.title),
        bilingual(lead_markdown(number, None), lead_markdown(number, None, "zh")),
        bilingual(more_markdown(number, None), more_markdown(number, None, "zh")),
    )


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab: the presenter's text, the stepper, each step's view; the words filled with the model's figures when
    the page loads."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    model = gr.Markdown(bilingual(model_markdown(None), model_markdown(None, "zh")), elem_id="tour-model")
    text = gr.Textbox(TEXT[catalog.language], lines=2, label=_("The text the tour runs on"), elem_id="tour-text")
    show = gr.Button(_("Show this step on the text"), size="sm", elem_id="tour-show")
    step = gr.Textbox("1", visible=False, elem_id="tour-step")
    words: dict[str, Any] = {"model": model}
    controls: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    moves: list[tuple[gr.Button, int]] = []
    with gr.Walkthrough(selected=1, elem_id="tour") as walkthrough:
        for number in range(1, STEP_COUNT + 1):
            title, lead, more = _bilingual_step(number)
            with gr.Step(title, id=number, elem_id=f"tour-step-{number}"):
                words[f"lead_{number}"] = gr.Markdown(lead, latex_delimiters=LATEX, elem_classes=["tour-lead"])
                shown, drawn = _step_views(number, catalog, context)
                controls |= shown
                outputs |= drawn
                with gr.Accordion(_("More"), open=False):
                    words[f"more_{number}"] = gr.Markdown(more, latex_delimiters=LATEX)
                back, forward = _navigation(number)
                moves += [(button, to) for button, to in ((back, number - 1), (forward, number + 1)) if button]
    work = model_work(catalog)
    view_inputs = [text, step, controls["temperature"], controls["mode"], controls["epochs"], controls["threshold"]]
    views = {"walkthrough": walkthrough, **{name: outputs[name] for name in _view_names()}}
    handler = wire(show_step, context, views)
    _wire_moves(moves, walkthrough, step, handler, view_inputs, list(views.values()), work)
    gr.on(
        [show.click, text.submit, *(controls[name].input for name in ("temperature", "mode", "epochs"))],
        handler,
        view_inputs,
        list(views.values()),
        trigger_mode="always_last",
        api_name="tour_step",
        api_visibility="private",
        **work,
    )
    _wire_training(controls, outputs, text, context)
    figures = wire(page_figures, context, words)
    return TabParts(
        notice,
        TASKS,
        text,
        handler,
        view_inputs,
        [*views.values(), *words.values()],
        views={str(number): {step: str(number)} for number in range(1, STEP_COUNT + 1)},
        view_parameter="step",
        runs_on_open=True,
        on_page_load=figures,
    )


def _view_names() -> list[str]:
    """The outputs of the views drawn on entering a step (the training steps' come from their buttons)."""
    names = ["tokens", "tokens_note", "drift", "drift_note", "formula", "scores", "heads", "heads_note"]
    names += ["filled", "sampled", "fill_chart", "fill_note", "given", "grid", "mask_note"]
    return [*names, "sentiment", "topic", "entities", "applications_note"]


def _wire_moves(
    moves: list[tuple[gr.Button, int]],
    walkthrough: gr.Walkthrough,
    step: gr.Textbox,
    handler: Handler,
    inputs: list[Any],
    outputs: list[Any],
    work: dict[str, Any],
) -> None:
    """Next, Back and a click on a step's number write the step (a link's step comes in the box: its change moves
    the stepper); the step's view is drawn after each move."""
    step.change(
        lambda value: gr.Walkthrough(selected=step_number(value)),
        step,
        walkthrough,
        queue=False,
        api_name="tour_move",
        api_visibility="private",
    )
    for button, to in moves:  # the step moves at once; its view follows, in the model queue
        button.click(
            lambda to=to: (str(to), gr.Walkthrough(selected=to)),
            None,
            [step, walkthrough],
            queue=False,
            api_name="tour_to",
            api_visibility="private",
        ).then(handler, inputs, outputs, api_name="tour_drawn", api_visibility="private", **work)

    def chosen(event: gr.SelectData) -> str:
        return str(step_number(int(event.index) + 1))

    walkthrough.select(chosen, None, step, queue=False, api_name="tour_chosen", api_visibility="private").then(
        handler, inputs, outputs, api_name="tour_chosen_drawn", api_visibility="private", **work
    )


def _wire_training(controls: dict[str, Any], outputs: dict[str, Any], text: gr.Textbox, context: TaskContext) -> None:
    """The two steps that train: continued pre-training, and the measured step; one at a time on the server."""
    training = {"concurrency_limit": 1, "concurrency_id": FINE_TUNE_WORK, "api_visibility": "private"}
    trained = {name: outputs[name] for name in ("chart", "status", "stop_switch")}
    controls["train"].click(
        wire(pretrain_on_text, context, trained, fine_tune_seconds(TOUR_STEPS)),
        [text, controls["steps"], controls["learning_rate"]],
        list(trained.values()),
        api_name="tour_pretrain",
        **training,
    )
    controls["stop"].click(
        wire(stop_view, None, {}),
        outputs["stop_switch"],
        None,
        queue=False,
        api_name="tour_stop",
        api_visibility="private",
    )
    controls["measure"].click(
        wire(measure_step, context, {"cost": outputs["cost"]}, 60),
        text,
        outputs["cost"],
        api_name="tour_cost",
        **training,
    )
