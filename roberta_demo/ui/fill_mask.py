"""The fill-mask tab: RoBERTa's own pre-training task, with the answer forming layer by layer, and words to click."""

from __future__ import annotations

from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.messages import render, speak
from roberta_demo.results import FillMaskResult
from roberta_demo.tasks import fill_mask
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.encoding import MASK_MARKERS, maskable_words
from roberta_demo.ui.common import (
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
from roberta_demo.ui.i18n import _
from roberta_demo.viz.fill_mask import (
    DRAWN_LABELS,
    candidate_rows,
    clickable_words,
    filled_sentence,
    filler_rows,
    fillers_chart,
    lens_chart,
    mask_label,
    sampled_sentences,
)

__all__ = ["TASKS", "build", "mask_clicked", "mask_colours", "predict", "temperature_slider"]

TASKS = ["fill_mask"]
EXAMPLES = {
    "en": [
        [fill_mask.EXAMPLE, ""],
        ["The doctor said that <mask> would be back in an hour.", "he, she, they"],
        ["This movie was absolutely <mask>!", "great, terrible, boring"],
        ["Paris is the <mask> of <mask>.", ""],
    ],
    "zh": [
        ["北京是中国的[MASK]都。", ""],
        ["这部电影真是太[MASK]了！", "好, 差, 棒"],
        ["[MASK][MASK]是中国最大的经济城市。", ""],
        ["我喜欢吃[MASK]果。", "苹, 芒, 水"],
    ],
}
EXPLAINER = (
    "RoBERTa learned language by filling in hidden words: during pre-training 15% of the tokens were masked and it "
    "predicted them from both sides. Type `<mask>` (or `[MASK]`, or `___`) where a word should go, or **click a "
    "word** below to hide it. Several masks are predicted **each on its own**: the model sees the other masks as "
    "masks, not jointly. *Layer by layer* reads each layer's output through the final masked-LM head, which those "
    "layers were not trained for: early layers are noisy, and the answer forms towards the top."
)
CANDIDATES_INFO = (
    "Each word is scored where it would go (after a space it is a different token); rare words piece by piece."
)


FILLER_COLUMNS = ["mask", "rank", "word", "token", "probability"]
CANDIDATE_COLUMNS = ["mask", "word", "tokens scored", "probability", "rank"]
MASK_COLOUR, WORD_COLOUR = "#f59e0b", "#e0e7ff"  # drawn whole, under dark type (ui/common.highlight_css)


def mask_colours(count: int) -> dict[str, str]:
    """Each mask's colour, under its name in either language (each page names them in its own)."""
    names = [(mask_label(number, "en"), mask_label(number, "zh")) for number in range(1, count + 1)]
    return {name: MASK_COLOUR for pair in names for name in pair}


def words_of(text: str) -> dict[str, Any]:
    """The typed text's words to click on; its masks marked. No model call."""
    markers = [match.span() for match in MASK_MARKERS.finditer(text or "")]
    return {"words": clickable_words(text or "", maskable_words(text or ""), markers)}


def _lens_choice(result: FillMaskResult) -> Any:
    choices = [(mask_label(number), mask_label(number, "en")) for number in range(1, len(result.masks) + 1)]
    return gr.update(choices=choices, value=choices[0][1], visible=len(choices) > 1)


def _note(result: FillMaskResult) -> str:
    lines = [run_note(result.run), *(f"ℹ️ {render(note)}" for note in result.notes)]
    if result.temperature != 1:
        t = f"{result.temperature:g}"
        lines.append("ℹ️ " + speak("At temperature {t}: every probability is softmax(logits / {t2}).", t=t, t2=t))
    return "\n\n".join(lines)


def predict(
    context: TaskContext,
    text: str,
    top_k: float = 5,
    candidates: str = "",
    checkpoint: str = "",
    temperature: float = 1.0,
    samples: float = 0,
    sample_top_k: float = 50,
    top_p: float = 1.0,
    seed: float = 0,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """Every mask predicted at the temperature, with the fills the sampling options draw."""
    sampling = fill_mask.Sampling(float(temperature), int(samples), int(sample_top_k), float(top_p), int(seed))
    result = fill_mask.predict(
        reporting(context, progress), text, top_k, candidates, checkpoint or None, sampling=sampling
    )
    first = result.masks[0].lens
    return {
        "filled": filled_sentence(result),
        "sampled": sampled_sentences(result),
        "chart": fillers_chart(result),
        "table": table(FILLER_COLUMNS, filler_rows(result)),
        "compared": table(CANDIDATE_COLUMNS, candidate_rows(result)),
        "lens": lens_chart(first) if first else None,
        "info": _note(result),
        "result": result,
        "lens_mask": _lens_choice(result),
    }


def redraw_lens(result: FillMaskResult | None, choice: str) -> dict[str, Any]:
    """The lens of another mask; no model call."""
    if result is None or not choice:
        return {}
    number = int(choice.split()[-1])
    lens = result.masks[number - 1].lens
    return {"lens": lens_chart(lens, number)} if lens else {}


def mask_clicked(
    context: TaskContext,
    pieces: list[dict[str, Any]] | None,
    top_k: float,
    candidates: str,
    checkpoint: str,
    temperature: float,
    samples: float,
    sample_top_k: float,
    top_p: float,
    seed: float,
    event: gr.SelectData,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """A click on a word of the sentence: that word becomes a mask too, and the model fills the masks.

    pieces: the clicked sentence as Gradio hands a HighlightedText's value over, `{"token", "class_or_confidence"}`.
    """
    clicked = event.index if isinstance(event.index, int) else -1
    if not pieces or not 0 <= clicked < len(pieces) or not pieces[clicked]["class_or_confidence"]:
        return {}  # a space or a mark between words: nothing to mask
    text = "".join("<mask>" if index == clicked else str(piece["token"]) for index, piece in enumerate(pieces))
    sampling = (temperature, samples, sample_top_k, top_p, seed)
    return {"text": text, **predict(context, text, top_k, candidates, checkpoint, *sampling, progress)}


def temperature_slider(elem_id: str) -> gr.Slider:
    """The T of softmax(logits / T), from sharp to flat: this tab's and the tour's."""
    return gr.Slider(
        0.1,
        3.0,
        value=1.0,
        step=0.05,
        label=_("Temperature"),
        info=_("softmax(logits / T): below 1 sharper, above 1 flatter"),
        elem_id=elem_id,
    )


def _sampling_options() -> dict[str, Any]:
    """The temperature, in sight (a talk turns it), and how to sample, a click away."""
    options: dict[str, gr.Slider | gr.Number] = {"temperature": temperature_slider("fill-mask-temperature")}
    with gr.Accordion(_("Fill by sampling"), open=False):
        with gr.Row():
            options["samples"] = gr.Slider(
                0, fill_mask.MAX_SAMPLES, value=3, step=1, label=_("Samples"), elem_id="fill-mask-samples"
            )
            options["sample_top_k"] = gr.Slider(0, 200, value=50, step=1, label=_("Top-k (0: every token)"))
            options["top_p"] = gr.Slider(0.05, 1.0, value=0.9, step=0.05, label=_("Top-p"))
        options["seed"] = gr.Number(
            0, precision=0, minimum=0, maximum=fill_mask.MAX_SEED, label=_("Seed"), elem_id="fill-mask-seed"
        )
    return options


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    # What the tab shows, a click away: the form and the answer come first, above the fold on a projector.
    with gr.Accordion(_("What this shows"), open=False):
        gr.Markdown(_(EXPLAINER))
    with gr.Row():
        with gr.Column(scale=5):
            text = gr.Textbox(
                label=_("Text with <mask>"), lines=2, value="", placeholder=fill_mask.EXAMPLE, elem_id="fill-mask-text"
            )
            words = gr.HighlightedText(
                label=_("Click a word to mask it"),
                elem_id="fill-mask-words",
                color_map={"word": WORD_COLOUR, "mask": MASK_COLOUR},
                show_legend=False,
                show_inline_category=False,
                combine_adjacent=False,
                interactive=False,
            )
            # The button right under the sentence, above the fold; the options after it.
            run = gr.Button(_("Predict the masked words"), variant="primary", elem_id="fill-mask-run")
            with gr.Row():
                top_k = gr.Slider(1, fill_mask.MAX_TOP_K, value=5, step=1, label=_("Predictions per mask"))
                candidates = gr.Textbox(
                    label=_("Compare words (comma-separated)"),
                    value="",
                    placeholder=_("he, she"),
                    info=_(CANDIDATES_INFO),
                )
            choices = catalog.checkpoints("fill_mask")
            checkpoint = gr.Dropdown(choices, value=catalog.default("fill_mask"), label=_("Model"))
            sampling = _sampling_options()
        with gr.Column(scale=6):
            filled = gr.HighlightedText(
                label=_("Best fillers put in"),
                elem_id="fill-mask-filled",
                color_map=mask_colours(context.limits.max_masks),
                show_legend=False,
            )
            sampled = gr.HighlightedText(
                label=_("Filled by sampling (each drawn word's probability)"),
                elem_id="fill-mask-sampled",
                color_map=dict.fromkeys(DRAWN_LABELS, MASK_COLOUR),  # one colour, whatever the probability
                show_legend=False,
                combine_adjacent=False,
            )
            chart = gr.Plot(label=_("Most likely words"), show_label=False)
            info = gr.Markdown(label=_("details"), elem_id="fill-mask-info")
    with gr.Row():
        with gr.Column(scale=6):
            lens_mask = gr.Radio([], label=_("Layer by layer for"), visible=False)
            lens = gr.Plot(label=_("Layer by layer"), show_label=False)
        with gr.Column(scale=5):
            table = data_table(headers=table_headers(FILLER_COLUMNS), label=_("Predictions"), max_height=360)
            compared = data_table(
                headers=table_headers(CANDIDATE_COLUMNS),
                label=_("Compared words (green in the chart)"),
                max_height=240,
            )
    state = gr.State()
    outputs = {
        "filled": filled,
        "sampled": sampled,
        "chart": chart,
        "table": table,
        "compared": compared,
        "lens": lens,
        "info": info,
        "result": state,
        "lens_mask": lens_mask,
    }
    inputs = [text, top_k, candidates, checkpoint, *sampling.values()]
    handler = wire(predict, context, outputs)
    examples(EXAMPLES[catalog.language], [text, candidates], handler, list(outputs.values()))
    gr.on(
        [run.click, text.submit],
        handler,
        inputs,
        list(outputs.values()),
        api_name="fill_mask_page",
        api_visibility="undocumented",
        **model_work(catalog),
    )
    # A new temperature or sampling option fills the masks again, by mouse or by keyboard; of the values a drag
    # passes through, only the one it ends on waits its turn.
    gr.on(
        [option.input for option in sampling.values()],
        handler,
        inputs,
        list(outputs.values()),
        trigger_mode="always_last",
        api_name="fill_mask_reshaped",  # not the handler's name, "predict", which the page reads as a legacy route
        api_visibility="private",
        **model_work(catalog),
    )
    # Whatever changes the text (typing, a link, an example, a click) redraws its words; clicks add masks.
    text.change(wire(words_of, None, {"words": words}), text, words, api_visibility="private", show_progress="hidden")
    clicked = {"text": text, **outputs}
    words.select(
        wire(mask_clicked, context, clicked),
        [words, top_k, candidates, checkpoint, *sampling.values()],
        list(clicked.values()),
        api_visibility="private",
        **model_work(catalog),
    )
    lens_mask.change(wire(redraw_lens, None, {"lens": lens}), [state, lens_mask], lens, api_visibility="private")
    return TabParts(notice, TASKS, text, handler, inputs, list(outputs.values()))
