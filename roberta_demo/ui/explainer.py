"""The "How RoBERTa works" tab: a short explainer for a class or a talk, whose figures are the app's own live views
(each section links into one) and whose numbers are read from the loaded model, not written down here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.errors import ModelLoadError
from roberta_demo.hub import display_name
from roberta_demo.results import ModelFacts
from roberta_demo.tasks import facts
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.common import LATEX, TabParts, wire

__all__ = ["SECTIONS", "TASKS", "build", "facts_markdown", "try_it"]

TASKS = ["attention"]


def try_it(tab: str, text: str = "", view: str = "") -> str:
    """A deep link into a live view (the page keeps presentation mode and the theme when it follows it)."""
    query = {"tab": tab, **({"view": view} if view else {}), **({"text": text} if text else {})}
    return f"?{urlencode(query)}"


@dataclass(frozen=True)
class Section:
    title: str
    body: str  # Markdown; {layers}, {heads}, {hidden}, {d_k}, {vocabulary} and {total_heads} are the model's own
    link: str
    link_text: str


SECTIONS = [
    Section(
        "1 · Text becomes tokens",
        "RoBERTa never sees letters or words: a byte-level BPE tokenizer cuts any text into pieces from a vocabulary "
        "of **{vocabulary:,}**. Common words are one piece; rare words, names and emoji are several. `Ġ` marks a "
        "piece that starts after a space, and `<s>` … `</s>` mark where the text begins and ends.",
        try_it("attention", "Unbelievably, RoBERTa reads tokens, not words.", "head"),
        "See the pieces of a sentence",
    ),
    Section(
        "2 · Self-attention: every token looks at every other",
        "In each layer, every token asks a question (its query q), every token offers an answer key k and a value v, "
        "and each token takes a weighted average of the values:\n\n"
        "$$\\text{{Attention}}(Q, K, V) = \\text{{softmax}}\\left(\\frac{{QK^\\top}}{{\\sqrt{{d_k}}}}\\right) V$$\n\n"
        "Dividing by $\\sqrt{{d_k}}$ (here $d_k = {hidden} / {heads} = {d_k}$) keeps the scores in a range where the "
        "softmax does not saturate. The step-by-step view computes this from the q and k the model really produced.",
        try_it("attention", "The animal didn't cross the street because it was too tired.", "formula"),
        "Compute the formula on a real sentence",
    ),
    Section(
        "3 · Many heads, many layers",
        "Each layer runs **{heads} heads** side by side, each with its own q, k and v, and the model stacks **{layers} "
        "layers**: **{total_heads} heads** in all. Heads specialise: some look at the previous token, some at `</s>` "
        "(a way of looking at nothing), some link a pronoun to its noun. Each layer's output is the next one's input.",
        try_it("attention", "The animal didn't cross the street because it was too tired.", "model"),
        "See every head of every layer",
    ),
    Section(
        "4 · Pre-training: guess the hidden word",
        "RoBERTa learned all this without labels, by masked language modelling: 15% of the tokens of each text are "
        "chosen (80% of those replaced by `<mask>`, 10% by a random token, 10% left as they are) and the model "
        "predicts the originals from both sides. RoBERTa draws new masks every time it sees a text (*dynamic "
        "masking*). The layer-by-layer view shows where in the {layers} layers the answer forms.",
        try_it("fill-mask", "The capital of France is <mask>."),
        "Hide a word and watch the model guess it",
    ),
    Section(
        "5 · Fine-tuning: a small head for one task",
        "To classify, a small head reads the final vector of `<s>` and is trained, with the whole network, on "
        "labelled examples: a few thousand tweets for sentiment, sentences with tagged names for NER. Pre-training "
        "taught the language; fine-tuning teaches the task. The training step is a few lines of PyTorch: the loss of "
        "the model's answers, its gradients, a small step of every weight against them.",
        try_it("fine-tune"),
        "Fine-tune one yourself and watch it learn",
    ),
]

BERT_VERSUS_ROBERTA = """\
| | BERT (2018) | RoBERTa (2019) |
|---|---|---|
| masking | static: masks drawn once, the data copied 10 times | dynamic: new masks each time a text is seen |
| next-sentence prediction | yes | removed: inputs are full sentences, up to 512 tokens |
| batch | 256 sequences | 8,000 sequences |
| training data | 16 GB (books, Wikipedia) | 160 GB (adds news, web text, stories) |
| vocabulary | 30,000 WordPiece pieces | byte-level BPE: {vocabulary:,} here, no unknown characters |
"""


def _figures(described: ModelFacts | None) -> dict[str, Any]:
    if described is None:
        return {"layers": "…", "heads": "…", "hidden": "…", "d_k": "…", "vocabulary": 50_265, "total_heads": "…"}
    return {
        "layers": described.layers,
        "heads": described.heads,
        "hidden": described.hidden_size,
        "d_k": described.head_size,
        "vocabulary": described.vocabulary,
        "total_heads": described.layers * described.heads,
    }


def facts_markdown(described: ModelFacts | None, display_name: str) -> str:
    """The whole explainer, with the model's own figures (placeholders until it has loaded)."""
    figures = _figures(described)
    lines = ["## How RoBERTa works", ""]
    if described is not None:
        lines += [
            f"The model behind these pages is **{display_name}**: {described.layers} layers, {described.heads} heads "
            f"per layer, vectors of {described.hidden_size} numbers, {described.parameters / 1e6:,.1f} million "
            f"parameters, up to {described.max_tokens} tokens at a time.",
            "",
        ]
    for section in SECTIONS:
        lines += [f"### {section.title}", "", section.body.format(**figures), ""]
        lines += [f"**[Try it: {section.link_text} →]({section.link})**", ""]
    lines += ["### 6 · What RoBERTa changed from BERT", "", BERT_VERSUS_ROBERTA.format(**figures)]
    lines += ["Same architecture, trained longer, on more data, in bigger batches: the paper's point is that BERT was "]
    lines[-1] += "undertrained (Liu et al., 2019, *RoBERTa: A Robustly Optimized BERT Pretraining Approach*)."
    return "\n".join(lines)


def page_figures(context: TaskContext) -> dict[str, Any]:
    """The explainer with the real figures of the model the attention views inspect. Runs as the page loads, so a
    model that cannot load leaves the placeholders (the tab's notice says why) rather than an error."""
    try:
        described = facts.describe(context)
    except ModelLoadError:
        return {}
    return {"page": facts_markdown(described, display_name(described.checkpoint))}


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab: the explainer, filled in with the model's figures when the tab is opened."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    placeholder = facts_markdown(None, catalog.display_name(catalog.default("attention")))
    page = gr.Markdown(placeholder, elem_id="explainer", latex_delimiters=LATEX)
    hidden_text = gr.Textbox(visible=False)  # deep links fill a text box; this tab has none of its own
    handler = wire(page_figures, context, {"page": page})
    return TabParts(notice, TASKS, hidden_text, handler, [], [page], on_page_load=handler)
