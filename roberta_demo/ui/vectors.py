"""The vectors tab: what pre-training gives, a vector for every word in its context, seen three ways. The map: a
word's vector in several sentences, or many texts' vectors, projected and compared at every layer, from the
embeddings up (LIT's projector). Nearest neighbours: the words of other sentences nearest a clicked word (exBERT).
Queries and keys: one head's q and k in one plane, where attention is nearness (AttentionViz)."""

from __future__ import annotations

import inspect
from typing import Any

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.errors import InputError
from roberta_demo.messages import say, speak
from roberta_demo.results import Embedding, Neighbours, QueryKeyMap
from roberta_demo.tasks import classification, neighbours, query_key, sentiment, vectors
from roberta_demo.tasks.common import TaskContext
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
from roberta_demo.ui.files import uploaded
from roberta_demo.ui.i18n import _
from roberta_demo.ui.protocol import with_signature
from roberta_demo.viz.charts import markdown_code
from roberta_demo.viz.vectors import (
    MAX_SIMILARITY_TEXTS,
    neighbour_rows,
    picked_word,
    projection_chart,
    query_key_chart,
    similarity_chart,
    word_picker,
)

__all__ = ["PANELS", "TASKS", "build", "draw_queries", "find_neighbours", "show_vectors", "show_view"]

TASKS = ["attention"]  # the checkpoints the attention views inspect
POOLING_NAMES = {"mean": "the mean of its tokens", "first": "its <s> token"}
PREDICTED: dict[str, sentiment.Mode] = {"sentiment": "sentiment", "emotion": "emotion"}
COLOURINGS = {
    "none": "its text (each its own colour)",
    "label": "the upload's label column",
    "sentiment": "predicted sentiment",
    "emotion": "predicted emotion",
    "topic": "predicted topic",
    "zero-shot": "zero-shot into the Classification tab's labels",
}
PANELS = {"map": "The map and similarities", "neighbours": "Nearest neighbours", "queries": "Queries and keys"}
NEIGHBOUR_COLUMNS = ["rank", "cosine", "word", "in its sentence"]
REFERENCE_NAMES = {"en": "the shipped English sentences", "zh": "the shipped Chinese sentences", "texts": "my texts"}
# Each language's sentences: a word of several senses in each (its senses part layer by layer), and texts of a few
# topics (each forms its own cluster).
SENSES = {
    "en": (
        "bank",
        [
            "We had a picnic on the bank of the river.",
            "The river bank was muddy after the rain.",
            "She opened an account at the bank.",
            "The bank raised its interest rates again.",
            "You can bank on her to finish the job.",
        ],
    ),
    "zh": (
        "苹果",
        ["我每天早上吃一个苹果。", "这个苹果又红又甜。", "苹果公司发布了新款手机。", "他在苹果公司做工程师。"],
    ),
}
TOPICAL = {
    "en": [
        "The striker scored twice in the second half.",
        "The goalkeeper saved a penalty in the final minute.",
        "The central bank cut interest rates to support growth.",
        "Shares fell sharply after the quarterly earnings report.",
        "The new phone has a faster chip and a brighter screen.",
        "The update fixes a bug that drained the battery.",
    ],
    "zh": [
        "这场比赛主队两球获胜。",
        "守门员扑出了点球。",
        "央行宣布下调利率。",
        "股市今天大幅下跌。",
        "新手机的电池更耐用。",
    ],
}
EXAMPLES = {
    language: [[word, "\n".join(sentences)], ["", "\n".join(TOPICAL[language])]]
    for language, (word, sentences) in SENSES.items()
}


def _pieces_note(embedding: Embedding) -> str:
    """How the word was read: its pieces in each text, when it is more than one token anywhere."""
    split = {" · ".join(pieces) for pieces in embedding.pieces if len(pieces) > 1}
    if not split:
        return ""
    shown = ", ".join(markdown_code(pieces) for pieces in sorted(split))
    return "ℹ️ " + speak("The word is several tokens here ({pieces}): its vector is the mean of theirs.", pieces=shown)


def _missing_note(embedding: Embedding) -> str:
    if not embedding.missing:
        return ""
    lines = ", ".join(str(position + 1) for position, _ in embedding.missing)
    return "⚠️ " + speak("Not in every text, so left out: line {lines}.", lines=lines)


def _few_note(embedding: Embedding) -> str:
    if len(embedding.texts) == 1:
        return "ℹ️ " + speak("One vector: a projection and a comparison need at least two texts.")
    if len(embedding.texts) > MAX_SIMILARITY_TEXTS:
        return "ℹ️ " + speak("The similarities are drawn for the first {count} texts.", count=MAX_SIMILARITY_TEXTS)
    return ""


def _colours(context: TaskContext, embedding: Embedding, colour_by: str, groups: list[str] | None) -> list[str] | None:
    """A group for each point: the upload's labels, or each text's predicted sentiment or emotion."""
    if colour_by == "label":
        if groups is None:
            raise InputError(say("To colour by label, upload a .csv with a text column and a label column."))
        return [groups[position] for position in embedding.positions]
    if colour_by in PREDICTED:
        predicted = sentiment.classify_many(context, embedding.texts, PREDICTED[colour_by])
        return [row.label for row in predicted.rows]
    if colour_by in classification.MODES:
        return classification.top_labels(context, embedding.texts, colour_by)
    return None


def _projection_note(embedding: Embedding, asked: str) -> str:
    if asked == "umap" and embedding.projected_by != "umap":
        umap = speak(
            "UMAP needs {low} to {high} texts: PCA drew this map.",
            low=vectors.UMAP_MIN_TEXTS,
            high=vectors.UMAP_MAX_TEXTS,
        )
        return f"ℹ️ {umap}"
    return ""


def show_vectors(
    context: TaskContext,
    word: str,
    texts: str,
    pooling: vectors.Pooling = "mean",
    checkpoint: str = "",
    upload: str | None = None,
    colour_by: str = "none",
    projection: vectors.Projection = "pca",
    dimensions: int = 2,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """The vectors of the texts (or of the word in each), drawn at every layer."""
    context = reporting(context, progress)
    read, groups = vectors.labelled_texts(texts, uploaded(upload), context)
    embedding = vectors.embed(context, read, word or None, pooling, checkpoint or None, projection, int(dimensions))
    colours = _colours(context, embedding, colour_by, groups)
    notes = [run_note(embedding.run), _pieces_note(embedding), _missing_note(embedding), _few_note(embedding)]
    notes.append(_projection_note(embedding, projection))
    return {
        "projection": projection_chart(embedding, colours),
        "similarity": similarity_chart(embedding),
        "info": "\n\n".join(note for note in notes if note),
    }


def _neighbours_note(found: Neighbours) -> str:
    text, start, end = found.query
    layer = say("the embeddings") if found.layer == 0 else say("layer {number}", number=found.layer)
    nearest = speak(
        "The {count} words nearest {word} at {layer}, among {searched} words of {where}.",
        count=len(found.rows),
        word=markdown_code(text[start:end]),
        layer=layer,
        searched=f"{found.searched:,}",
        where=say(REFERENCE_NAMES[found.reference]),
    )
    return f"ℹ️ {nearest}"


def _neighbours_outputs(found: Neighbours) -> dict[str, Any]:
    return {
        "picker": word_picker(found.texts, found.words, found.chosen),
        "neighbours": table(NEIGHBOUR_COLUMNS, neighbour_rows(found)),
        "neighbours_info": "\n\n".join([run_note(found.run), _neighbours_note(found)]),
        "found": found,
        "neighbour_layer": gr.update(maximum=found.num_layers, value=found.layer),
    }


def find_neighbours(
    context: TaskContext,
    word: str,
    texts: str,
    checkpoint: str = "",
    upload: str | None = None,
    layer: float | None = None,
    k: float = 10,
    reference: neighbours.Reference = "en",
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """The words nearest the typed word (where first used; else the first word) in the shipped sentences or the
    texts themselves."""
    context = reporting(context, progress)
    read, _groups = vectors.labelled_texts(texts, uploaded(upload), context)
    shown_layer = None if layer is None else int(layer)
    found = neighbours.neighbours(context, read, word or None, None, shown_layer, int(k), reference, checkpoint or None)
    return _neighbours_outputs(found)


def neighbour_clicked(
    context: TaskContext,
    found: Neighbours | None,
    pieces: list[dict[str, Any]] | None,
    layer: float,
    k: float,
    reference: neighbours.Reference,
    checkpoint: str,
    event: gr.SelectData,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """A click on a word of the texts: its neighbours."""
    chosen = picked_word([(str(p["token"]), p["class_or_confidence"]) for p in pieces or []], int(event.index))
    return {} if found is None or chosen is None else _again(context, found, chosen, layer, k, reference, checkpoint)


def neighbours_again(
    context: TaskContext,
    found: Neighbours | None,
    layer: float,
    k: float,
    reference: neighbours.Reference,
    checkpoint: str,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """Another layer, count or reference for the word already picked."""
    return {} if found is None else _again(context, found, found.chosen, layer, k, reference, checkpoint)


def _again(
    context: TaskContext,
    found: Neighbours,
    chosen: int,
    layer: float,
    k: float,
    reference: neighbours.Reference,
    checkpoint: str,
) -> dict[str, Any]:
    again = neighbours.neighbours(context, found.texts, None, chosen, int(layer), int(k), reference, checkpoint or None)
    return _neighbours_outputs(again)


def _query_choices(drawn: QueryKeyMap) -> list[tuple[str, int]]:
    several = len(drawn.texts) > 1
    return [
        (f"{owner + 1} · {token}" if several else token, index)
        for index, (token, owner) in enumerate(zip(drawn.tokens, drawn.owners, strict=True))
    ]


def _first_word(drawn: QueryKeyMap, word: str | None) -> int:
    """The query shown first: the first token that starts the typed word (its pieces spell it), else the first
    token that is not special."""
    plain = [i for i, special in enumerate(drawn.special) if not special]
    wanted = (word or "").strip().lower()
    for i in plain if wanted else []:
        spelled = "".join(token.strip() for token in drawn.tokens[i : i + len(wanted)]).lower()
        if drawn.tokens[i].strip() and spelled.startswith(wanted):
            return i
    return plain[0] if plain else 0


def _queries_note(drawn: QueryKeyMap, query: int) -> str:
    top = ", ".join(f"{markdown_code(drawn.tokens[key])} {weight:.2f}" for key, weight in drawn.attended(query))
    said = speak(
        "The query of {token} gives most weight to: {top}. Keys were moved and scaled without changing any weight, "
        "so that a query lies near the keys it attends to.",
        token=markdown_code(drawn.tokens[query]),
        top=top,
    )
    return f"ℹ️ {said}"


def _queries_outputs(drawn: QueryKeyMap, query: int, note: str = "") -> dict[str, Any]:
    return {
        "queries_chart": query_key_chart(drawn, query),
        "queries_info": "\n\n".join(line for line in [run_note(drawn.run), note, _queries_note(drawn, query)] if line),
        "query_token": gr.update(choices=_query_choices(drawn), value=query),
        "drawn": drawn,
        "queries_layer": gr.update(maximum=drawn.num_layers - 1),
        "queries_head": gr.update(maximum=drawn.num_heads - 1),
    }


def draw_queries(
    context: TaskContext,
    word: str,
    texts: str,
    checkpoint: str = "",
    layer: float = 0,
    head: float = 0,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """One head's queries and keys for the first texts, the typed word's query (else the first word's) picked."""
    context = reporting(context, progress)
    read, _groups = vectors.labelled_texts(texts, None, context)
    kept = read[: query_key.MAX_TEXTS]
    first = "ℹ️ " + speak("The first {count} texts are drawn.", count=query_key.MAX_TEXTS)
    note = first if len(read) > len(kept) else ""
    drawn = query_key.query_key_map(context, kept, int(layer), int(head), checkpoint or None)
    return _queries_outputs(drawn, _first_word(drawn, word), note)


def query_picked(drawn: QueryKeyMap | None, query: int | None) -> dict[str, Any]:
    """Another query token: redrawn from what was computed, no model call."""
    if drawn is None or query is None or not 0 <= int(query) < len(drawn.tokens):
        return {}
    outputs = _queries_outputs(drawn, int(query))
    return {name: outputs[name] for name in ("queries_chart", "queries_info")}


def show_view(
    context: TaskContext,
    view: str,
    word: str,
    texts: str,
    pooling: vectors.Pooling = "mean",
    checkpoint: str = "",
    upload: str | None = None,
    colour_by: str = "none",
    projection: vectors.Projection = "pca",
    dimensions: int = 2,
    neighbour_layer: float | None = None,
    k: float = 10,
    reference: neighbours.Reference = "en",
    queries_layer: float = 0,
    queries_head: float = 0,
    progress: gr.Progress = gr.Progress(track_tqdm=True),
) -> dict[str, Any]:
    """The view shown, on the texts: the map, the neighbours of the word, or the queries and keys."""
    if view == "neighbours":
        return find_neighbours(context, word, texts, checkpoint, upload, neighbour_layer, k, reference, progress)
    if view == "queries":
        return draw_queries(context, word, texts, checkpoint, queries_layer, queries_head, progress)
    return show_vectors(context, word, texts, pooling, checkpoint, upload, colour_by, projection, dimensions, progress)


def view_chosen(context: TaskContext, *values: Any, **options: Any) -> dict[str, Any]:
    """`show_view`, once there are texts to show (choosing a view before typing anything changes only the panel)."""
    given = inspect.signature(show_view).bind(context, *values, **options).arguments
    return show_view(context, *values, **options) if (given["texts"] or "").strip() or given.get("upload") else {}


def show_panel(view: str) -> dict[str, Any]:
    """The chosen view's panel, the others hidden."""
    return {name: gr.update(visible=name == view) for name in PANELS}


def _inputs(catalog: Catalog) -> dict[str, Any]:
    """What every view reads: the word, the texts, the model, and the map's options."""
    parts: dict[str, Any] = {}
    parts["word"] = gr.Textbox(label=_("Word (optional)"), max_lines=1, elem_id="vectors-word")
    parts["texts"] = gr.Textbox(label=_("Texts, one per line"), lines=8, elem_id="vectors-text")
    parts["pooling"] = gr.Radio(
        [(_(name), key) for key, name in POOLING_NAMES.items()],
        value="mean",
        label=_("Without a word, a text's vector is"),
        elem_id="vectors-pooling",
    )
    checkpoints = catalog.checkpoints("attention")
    parts["checkpoint"] = gr.Dropdown(
        list(checkpoints), value=catalog.default("attention"), label=_("Model to inspect")
    )
    with gr.Row():
        parts["projection_kind"] = gr.Radio(
            [("PCA", "pca"), ("UMAP", "umap")], value="pca", label=_("Projection"), elem_id="vectors-method"
        )
        parts["dimensions"] = gr.Radio([("2-D", 2), ("3-D", 3)], value=2, label=_("Dimensions"))
    with gr.Accordion(_("A map of many texts"), open=False):
        parts["upload"] = gr.File(
            label=_("…or upload a .txt (one per line) or .csv (a `text` column)"),
            file_types=[".txt", ".csv"],
            type="filepath",
            elem_id="vectors-upload",
        )
        parts["colour_by"] = gr.Dropdown(
            [(_(name), key) for key, name in COLOURINGS.items()],
            value="none",
            label=_("Colour the points by"),
            elem_id="vectors-colour",
        )
    parts["run"] = gr.Button(_("Show the vectors"), variant="primary", elem_id="vectors-run")
    return parts


def _map_panel() -> dict[str, Any]:
    with gr.Column(visible=True) as panel:
        projection = gr.Plot(label=_("Projection"), show_label=False, elem_id="vectors-map")
        info = gr.Markdown(elem_id="vectors-info")
        similarity = gr.Plot(label=_("Cosine similarity"), show_label=False, elem_id="vectors-similarity")
        gr.Markdown(
            _(
                "The points are the vectors projected on two directions: the principal components of every layer's "
                "vectors at once, each layer centred and scaled first, so a point that moves between layers moved "
                "among the others. A word of several tokens is the mean of its tokens, at its first use in a text."
            )
        )
    return {"map": panel, "projection": projection, "info": info, "similarity": similarity}


def _neighbours_panel(catalog: Catalog, layers: int) -> dict[str, Any]:
    own = catalog.language if catalog.language in neighbours.REFERENCES else "en"
    with gr.Column(visible=False) as panel:
        picker = gr.HighlightedText(
            label=_("Click a word to see the words nearest it"),
            elem_id="vectors-picker",
            color_map={"word": "#dbeafe", "chosen": "#f59e0b"},
            show_legend=False,
            show_inline_category=False,
            combine_adjacent=False,
            interactive=False,
        )
        with gr.Row():
            layer = gr.Slider(
                0, layers, value=layers, step=1, label=_("Layer (0: the embeddings)"), elem_id="vectors-nb-layer"
            )
            k = gr.Slider(1, neighbours.MAX_NEIGHBOURS, value=10, step=1, label=_("Neighbours"))
            reference = gr.Radio(
                [(_(REFERENCE_NAMES[own]), own), (_(REFERENCE_NAMES["texts"]), "texts")],
                value=own,
                label=_("Look among"),
                elem_id="vectors-reference",
            )
        found = data_table(
            headers=table_headers(NEIGHBOUR_COLUMNS), label=_("Nearest words"), elem_id="vectors-neighbours"
        )
        info = gr.Markdown(elem_id="vectors-nb-info")
        gr.Markdown(
            _(
                "Each word's vector is compared with every word of the reference sentences at the same layer "
                "(cosine similarity; a word of several tokens is the mean of its tokens). Low layers find the same "
                "word wherever it is; higher layers find words used in the same sense (exBERT's search)."
            )
        )
    return {
        "neighbours_panel": panel,
        "picker": picker,
        "neighbour_layer": layer,
        "k": k,
        "reference": reference,
        "neighbours": found,
        "neighbours_info": info,
        "found": gr.State(),
    }


def _queries_panel(layers: int, heads: int) -> dict[str, Any]:
    with gr.Column(visible=False) as panel:
        with gr.Row():
            layer = gr.Slider(0, layers - 1, value=0, step=1, label=_("Layer"), elem_id="vectors-qk-layer")
            head = gr.Slider(0, heads - 1, value=0, step=1, label=_("Head"), elem_id="vectors-qk-head")
            query = gr.Dropdown([], label=_("Query token"), elem_id="vectors-qk-query")
        chart = gr.Plot(label=_("Queries and keys"), show_label=False, elem_id="vectors-qk-chart")
        info = gr.Markdown(elem_id="vectors-qk-info")
        gr.Markdown(
            _(
                "Every token has a query (circle) and a key (diamond) in each head. A head's weight for a query "
                "and a key is softmax(q·k/√d): the keys are moved and scaled first in a way that changes no weight "
                "(AttentionViz), so that the keys a query attends to lie near it. Lines: its three largest weights."
            )
        )
    return {
        "queries_panel": panel,
        "queries_layer": layer,
        "queries_head": head,
        "query_token": query,
        "queries_chart": chart,
        "queries_info": info,
        "drawn": gr.State(),
    }


VIEW_INPUTS = ["word", "texts", "pooling", "checkpoint", "upload", "colour_by", "projection_kind", "dimensions"]
VIEW_INPUTS += ["neighbour_layer", "k", "reference", "queries_layer", "queries_head"]
OUTPUTS = ["projection", "info", "similarity", "picker", "neighbours", "neighbours_info", "found", "neighbour_layer"]
OUTPUTS += ["queries_chart", "queries_info", "query_token", "drawn", "queries_layer", "queries_head"]


def _wire_neighbours(parts: dict[str, Any], context: TaskContext, work: dict[str, Any]) -> None:
    """A click on a word, another layer, count or reference: the neighbours again for the word picked."""
    names = ["picker", "neighbours", "neighbours_info", "found", "neighbour_layer"]
    outputs = {name: parts[name] for name in names}
    options = [parts[name] for name in ("neighbour_layer", "k", "reference", "checkpoint")]
    parts["picker"].select(
        wire(neighbour_clicked, context, outputs),
        [parts["found"], parts["picker"], *options],
        list(outputs.values()),
        api_visibility="private",
        **work,
    )
    # `.input`, not `.release`: a slider's release is the mouse's only, and the arrow keys must work too; of the
    # values a drag passes through, the last runs.
    gr.on(
        [parts["neighbour_layer"].input, parts["k"].input, parts["reference"].input],
        wire(neighbours_again, context, outputs),
        [parts["found"], *options],
        list(outputs.values()),
        trigger_mode="always_last",
        api_visibility="private",
        **work,
    )


def _wire_queries(parts: dict[str, Any], context: TaskContext, work: dict[str, Any]) -> None:
    """Another layer or head runs the model again; another query token only redraws."""
    names = ["queries_chart", "queries_info", "query_token", "drawn", "queries_layer", "queries_head"]
    outputs = {name: parts[name] for name in names}
    inputs = [parts[name] for name in ("word", "texts", "checkpoint", "queries_layer", "queries_head")]
    gr.on(
        [parts["queries_layer"].input, parts["queries_head"].input],
        wire(draw_queries, context, outputs),
        inputs,
        list(outputs.values()),
        trigger_mode="always_last",
        api_visibility="private",
        **work,
    )
    redrawn = {name: parts[name] for name in ("queries_chart", "queries_info")}
    parts["query_token"].input(
        wire(query_picked, None, redrawn),
        [parts["drawn"], parts["query_token"]],
        list(redrawn.values()),
        api_visibility="private",
    )


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab's components and events."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    gr.Markdown(
        _(
            "Pre-training gives every token a vector that depends on its context. Type a word and sentences that "
            "use it in different senses, and see its vectors part as the layers go up; or leave the word empty and "
            "see where whole texts lie."
        )
    )
    layers, heads = catalog.layers_and_heads(catalog.default("attention")) or (12, 12)
    with gr.Row():
        with gr.Column(scale=4):
            parts = _inputs(catalog)
        with gr.Column(scale=7):
            parts["view"] = gr.Radio(
                [(_(name), key) for key, name in PANELS.items()],
                value="map",
                show_label=False,
                elem_id="vectors-view",
            )
            parts |= _map_panel() | _neighbours_panel(catalog, layers) | _queries_panel(layers, heads)
    panels = {"map": parts["map"], "neighbours": parts["neighbours_panel"], "queries": parts["queries_panel"]}
    parts["view"].change(wire(show_panel, None, panels), parts["view"], list(panels.values()), api_visibility="private")
    outputs = {name: parts[name] for name in OUTPUTS}
    inputs = [parts["view"], *(parts[name] for name in VIEW_INPUTS)]
    handler, work = wire(show_view, context, outputs), model_work(catalog)
    map_outputs = {name: parts[name] for name in ("projection", "similarity", "info")}
    examples(
        EXAMPLES[catalog.language],
        [parts["word"], parts["texts"]],
        wire(show_vectors, context, map_outputs),
        list(map_outputs.values()),
    )
    gr.on(
        [parts["run"].click, parts["texts"].submit, parts["word"].submit],
        handler,
        inputs,
        list(outputs.values()),
        api_name="vectors_page",
        api_visibility="undocumented",
        **work,
    )
    # A person choosing another view sees it drawn for the texts there (a deep link's view runs with the link).
    chosen = with_signature(view_chosen, inspect.signature(show_view))  # the inputs Gradio hands it
    view_handler = wire(chosen, context, outputs)
    parts["view"].input(view_handler, inputs, list(outputs.values()), api_visibility="private", **work)
    _wire_neighbours(parts, context, work)
    _wire_queries(parts, context, work)
    views = {name: {parts["view"]: name} for name in PANELS}
    fields = {"word": parts["word"]}
    return TabParts(notice, TASKS, parts["texts"], handler, inputs, list(outputs.values()), views, fields=fields)
