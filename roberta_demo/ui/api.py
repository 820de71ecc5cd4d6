"""Endpoints for programs (and, over MCP, for agents): plain JSON in and out, one per task, each a typed function
whose docstring documents it (Gradio turns the hints into the API page's types and the MCP tools' schemas, the
docstring into their descriptions). The tabs' own events serve the page and stay out of these listings.

Each returns its result's own plain form (`results.*.plain()`): the shape is defined once, beside the result, and
the task dispatches its own modes, for its tab and its endpoint alike. Every endpoint that runs a model is in the
one concurrency group of model work (`ui.common.model_work`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

import gradio as gr

from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.messages import say
from roberta_demo.results import (
    ATTENTION_ENCODINGS,
    EMBED_ENCODINGS,
    EMBED_JSON_TEXTS,
    AttentionView,
    FineTuned,
    Pretrained,
)
from roberta_demo.tasks import attention as attention_task
from roberta_demo.tasks import classification, finetune, vectors
from roberta_demo.tasks import explain as explain_task
from roberta_demo.tasks import fill_mask as fill_mask_task
from roberta_demo.tasks import masking as masking_task
from roberta_demo.tasks import neighbours as neighbours_task
from roberta_demo.tasks import ner as ner_task
from roberta_demo.tasks import pretrain as pretrain_task
from roberta_demo.tasks import sentiment as sentiment_task
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import params
from roberta_demo.ui.common import (
    EXPLAIN_GPU_SECONDS,
    FINE_TUNE_WORK,
    fine_tune_seconds,
    friendly_errors,
    on_gpu,
    runs_model,
)
from roberta_demo.ui.params import Declaration, Param
from roberta_demo.ui.protocol import with_signature

__all__ = ["ENDPOINTS", "data_endpoints"]

F = TypeVar("F", bound=Callable[..., Any])
ENDPOINTS = [
    "classify",
    "sentiment",
    "sentiment_batch",
    "ner",
    "fill_mask",
    "attention",
    "embed",
    "neighbours",
    "explain",
    "masking",
    "fine_tune",
    "pretrain",
]
# ZeroGPU bills a handler for the seconds it declares: short for one forward pass, longer for gradients.
GPU_SECONDS = {"explain": EXPLAIN_GPU_SECONDS}


def _in_range(view: AttentionView, layer: int | None, head: int | None) -> AttentionView:
    for name, value, count in (("layer", layer, view.num_layers), ("head", head, view.num_heads)):
        if value is not None and not 0 <= value < count:
            raise InputError(
                say(
                    "The model has {count} {name}s, numbered 0 to {last}; {name} {value} is not one.",
                    count=count,
                    name=name,
                    last=count - 1,
                    value=value,
                )
            )
    return view


def declared(params: Sequence[Param], summary: str, returns: str, returned: Any = dict) -> Callable[[F], F]:
    """Make `fn` an endpoint of these parameters: its signature, hints and docstring come from them, and it is
    called with checked values only. `returned` is the return hint (an iterator of dicts for a streaming one)."""
    declaration = Declaration(tuple(params), summary, returns, returned)

    def make(fn: F) -> F:
        endpoint = f"/{fn.__name__}"
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def streamed(*args: Any, **kwargs: Any) -> Iterator[Any]:
                yield from fn(**declaration.values(endpoint, args, kwargs))

            endpoint_fn: Any = streamed
        else:

            @functools.wraps(fn)
            def checked(*args: Any, **kwargs: Any) -> Any:
                return fn(**declaration.values(endpoint, args, kwargs))

            endpoint_fn = checked
        del endpoint_fn.__wrapped__  # Gradio reads the declared signature, not `fn`'s
        with_signature(endpoint_fn, declaration.signature())
        endpoint_fn.__annotations__ = {param.name: param.hint for param in params} | {"return": returned}
        endpoint_fn.__doc__ = declaration.docstring()
        return endpoint_fn  # type: ignore[no-any-return]

    return make


def data_endpoints(context: TaskContext, work: Mapping[str, Any]) -> None:
    """Register the data endpoints on the Blocks being built, each named after its function, those that run a model
    with the listener arguments of model work (`work`, from `ui.common.model_work`); on a ZeroGPU Space, each runs
    with a GPU for the time its work needs."""
    makers = (
        _classify,
        _sentiment,
        _sentiment_batch,
        _ner,
        _fill_mask,
        _attention,
        _embed,
        _neighbours,
        _explain,
        _masking,
    )
    for make in makers:
        fn = make(context)
        handler = runs_model(friendly_errors(on_gpu(fn, duration=GPU_SECONDS.get(fn.__name__, 20))))
        gr.api(handler, api_name=fn.__name__, **work)
    trainer = friendly_errors(on_gpu(_fine_tune(context), duration=_fine_tune_seconds))
    gr.api(trainer, api_name="fine_tune", concurrency_limit=1, concurrency_id=FINE_TUNE_WORK)
    pretrainer = friendly_errors(on_gpu(_pretrain(context), duration=_pretrain_seconds))
    gr.api(pretrainer, api_name="pretrain", concurrency_limit=1, concurrency_id=FINE_TUNE_WORK)


def _fine_tune_seconds(_examples: Any, _held_out: Any = None, _checkpoint: Any = None, steps: Any = 30, *_: Any) -> int:
    return fine_tune_seconds(steps)


def _pretrain_seconds(_text: Any, _checkpoint: Any = None, steps: Any = 20, *_: Any) -> int:
    return fine_tune_seconds(steps)


def _text(meaning: str) -> Param:
    return Param("text", str, meaning, params.text())


def _checkpoint(which: str) -> Param:
    meaning = f"one of the checkpoints the server configures for {which}, by name; empty for the default."
    return Param("checkpoint", str | None, meaning, params.text(optional=True), None)


def _mode(*modes: str) -> Param:
    meaning = " or ".join(modes) + "."
    return Param("mode", Literal[modes], meaning, params.choice(modes), modes[0])


RUN = '"checkpoint", "device", "ms", "truncation"'
TRUNCATION = 'truncation is null, or {"tokens_total", "tokens_kept"} when the text was cut'


def _classify(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [
            _text("the text to classify."),
            Param(
                "labels",
                list[str] | str | None,
                "zero-shot's candidate labels, a list or comma-separated; empty for a default set of topics.",
                params.words(),
                None,
            ),
            Param(
                "mode",
                Literal[classification.MODES],
                "zero-shot (your labels) or topic (the fine-tuned topic model's own classes; labels are ignored).",
                params.choice(classification.MODES),
                "zero-shot",
            ),
            Param(
                "template",
                str | None,
                'zero-shot\'s hypothesis, with {} where a label goes; empty for "This example is {}.".',
                params.text(optional=True),
                None,
            ),
            Param(
                "multi_label",
                bool,
                "zero-shot only: score each label on its own (scores do not sum to 1).",
                params.switch(),
                False,
            ),
            _checkpoint("the mode"),
        ],
        "Classify a text into labels you choose (zero-shot, with an NLI model) or into the topic model's topics.",
        f'{{"labels", "scores", "multi_label", {RUN}}}: every label with its score, highest first; multi_label is '
        f"true when each score stands alone (the topic model, or multi_label); {TRUNCATION}.",
    )
    def classify(
        text: str,
        labels: str | list[str] | None,
        mode: str,
        template: str | None,
        multi_label: bool,
        checkpoint: str | None,
    ) -> dict[str, Any]:
        # An empty value is the default here, as the docstring says (a tab's empty box is refused instead).
        chosen = classification.classify(
            context, text, mode, labels or None, template or None, multi_label, checkpoint or None
        )
        return chosen.plain()

    return classify


def _sentiment(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [_text("the text to score."), _mode("sentiment", "emotion"), _checkpoint("the mode")],
        "The sentiment (negative, neutral, positive) or emotion (seven classes) of a text, with every class's "
        "probability.",
        f'{{"labels", "scores", "multi_label": false, {RUN}}}: every class with its probability (they sum to 1), '
        f"highest first; {TRUNCATION}.",
    )
    def sentiment(text: str, mode: sentiment_task.Mode, checkpoint: str | None) -> dict[str, Any]:
        return sentiment_task.classify(context, text, mode, checkpoint or None).plain()

    return sentiment


def _sentiment_batch(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [
            Param(
                "texts",
                list[str] | str,
                "a list of texts, or one string with a text per line (blank ones are skipped).",
                params.texts(),
            ),
            _mode("sentiment", "emotion"),
        ],
        "The sentiment or emotion of many texts at once, in batched forward passes.",
        '{"results": [{"text", "label", "score", "scores", "truncated"}], "classes", "counts", "checkpoint", '
        '"device", "ms"}: each text\'s top class, its probability and every class\'s, in input order; the classes in '
        "the model's order; how many texts got each class.",
    )
    def sentiment_batch(texts: str | list[str], mode: sentiment_task.Mode) -> dict[str, Any]:
        read = sentiment_task.parse_texts(texts, None, context)
        return sentiment_task.classify_many(context, read, mode).plain()

    return sentiment_batch


def _ner(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [
            _text("the text to read; long texts are read in overlapping windows, so nothing is cut."),
            Param(
                "threshold",
                float,
                "the least confidence an entity needs to be listed, 0 to 1.",
                params.number(0, 1),
                0.0,
            ),
            _checkpoint("NER"),
        ],
        "The named entities of a text (people, organisations, places, …) with their character offsets.",
        '{"entities": [{"word", "label", "score", "start", "end"}], "types", "checkpoint", "device", "ms", '
        '"truncation": null}: each entity in text order, `text[start:end] == word`; types lists every entity type '
        "the model knows.",
    )
    def ner(text: str, threshold: float, checkpoint: str | None) -> dict[str, Any]:
        return ner_task.tag(context, text, checkpoint or None).plain(threshold)

    return ner


def _fill_mask(context: TaskContext) -> Callable[..., dict[str, Any]]:
    most = fill_mask_task.MAX_TOP_K
    low, high = fill_mask_task.TEMPERATURES

    @declared(
        [
            _text("a text with one or more <mask> (or [MASK] or ___), each predicted on its own."),
            Param("top_k", int, f"how many fillers to return for each mask, 1 to {most}.", params.whole(1, most), 5),
            Param(
                "candidates",
                list[str] | str | None,
                "words to score at every mask, a list or comma-separated (a word of several tokens is scored by the "
                "chain rule).",
                params.words(),
                None,
            ),
            _checkpoint("fill-mask"),
            Param(
                "temperature",
                float,
                f"every probability is softmax(logits / temperature), {low:g} to {high:g}; 1 is the model's own.",
                params.number(low, high),
                1.0,
            ),
            Param(
                "samples",
                int,
                f"fills to draw from the distribution, 0 to {fill_mask_task.MAX_SAMPLES}.",
                params.whole(0, fill_mask_task.MAX_SAMPLES),
                0,
            ),
            Param("sample_top_k", int, "draw among the k likeliest tokens only; 0 for all.", params.whole(0), 50),
            Param("top_p", float, "then among the fewest adding up to p (0 < p ≤ 1).", params.number(0, 1, True), 1.0),
            Param(
                "seed",
                int,
                "the draws' random seed: the same seed, the same draws.",
                params.whole(0, fill_mask_task.MAX_SEED),
                0,
            ),
        ],
        "RoBERTa's pre-training task: the words most likely to fill each <mask> in a text, and how likely the words "
        "you name are there; at a temperature, with fills drawn by sampling.",
        '{"masks": [{"start", "end", "predictions": [{"token", "score", "sequence"}], "candidates": [{"word", '
        f'"tokens", "score", "rank"}}]}}], "text", "notes", "temperature", "samples": [{{"text", "fillers": '
        f'[{{"token", "score"}}]}}], {RUN}}}: for each mask (start and end in "text", the input as the model read '
        "it): its fillers, best first, each with the text it makes; the candidates' probabilities and rank among "
        "every token (null for several tokens); each sample's text and the token drawn at each mask.",
    )
    def fill_mask(
        text: str,
        top_k: int,
        candidates: str | list[str] | None,
        checkpoint: str | None,
        temperature: float,
        samples: int,
        sample_top_k: int,
        top_p: float,
        seed: int,
    ) -> dict[str, Any]:
        sampling = fill_mask_task.Sampling(temperature, samples, sample_top_k, top_p, seed)
        result = fill_mask_task.predict(context, text, top_k, candidates, checkpoint or None, False, sampling)
        return result.plain()

    return fill_mask


def _attention(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [
            _text("the text (the first sentence of a pair)."),
            Param(
                "text_pair",
                str | None,
                "an optional second sentence, read as the model reads sentence pairs.",
                params.text(optional=True),
                None,
            ),
            _checkpoint("attention"),
            Param("layer", int | None, "a layer, from 0; empty for every layer.", params.whole(0, optional=True), None),
            Param("head", int | None, "a head, from 0; empty for every head.", params.whole(0, optional=True), None),
            Param(
                "encoding",
                Literal[ATTENTION_ENCODINGS],
                "how the weights come: json (nested lists, 4 decimals), float16 or uint8 (packed, see the result), "
                "or auto: json for a layer or a head, float16 for every layer and head.",
                params.choice(ATTENTION_ENCODINGS),
                "auto",
            ),
        ],
        "The attention weights of a RoBERTa model on a text (or a pair of sentences), per layer and head.",
        f'{{"tokens", "special", "pair_start", "layers", "heads", "layer", "head", "weights", {RUN}}}: the tokens '
        '(special tokens included, marked in "special"); weights, each row summing to 1: [n][n] for a layer and a '
        "head, [heads][n][n] for a layer, [layers][n][n] for a head, [layers][heads][n][n] for neither (n = number "
        "of tokens, at most the server's attention limit). As json, nested lists rounded to 4 decimals; packed, "
        '{"packing", "dtype", "shape", "scale", "base64"}: the array\'s bytes in row-major order, base64-encoded, '
        "each value times scale: numpy.frombuffer(base64.b64decode(w['base64']), w['dtype']).reshape(w['shape']) "
        "* w['scale'] (float16: little-endian, scale 1; uint8: steps of 1/255).",
    )
    def attention(
        text: str,
        text_pair: str | None,
        checkpoint: str | None,
        layer: int | None,
        head: int | None,
        encoding: str = "auto",
    ) -> dict[str, Any]:
        view = attention_task.inspect(context, text, text_pair, checkpoint or None)
        return _in_range(view, layer, head).plain(layer, head, encoding)

    return attention


def _hidden_layer() -> Param:
    """Which hidden state: the embeddings' output or a layer's (the vectors' endpoints)."""
    return Param(
        "layer",
        int | None,
        "0 for the embeddings, 1 to the number of layers for a layer's output; empty for the last.",
        params.whole(0, optional=True),
        None,
    )


def _embed(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [
            Param(
                "texts",
                list[str] | str,
                f"a list of texts, or one string with a text per line (blank ones are skipped), at most "
                f"{context.limits.max_texts}; each is cut at {context.limits.max_attention_tokens} tokens.",
                params.texts(),
            ),
            Param(
                "word",
                str | None,
                "a word: each text's vector is then that word's (the mean of its tokens, at its first use), and texts "
                "without it are listed as missing; empty for each text's own vector.",
                params.text(optional=True),
                None,
            ),
            Param(
                "pooling",
                Literal[vectors.POOLINGS],
                "without a word, a text's vector: mean (of its tokens but <s> and </s>) or first (its <s>).",
                params.choice(vectors.POOLINGS),
                "mean",
            ),
            _hidden_layer(),
            _checkpoint("attention"),
            Param(
                "projection",
                Literal[vectors.PROJECTIONS],
                f"pca (exact; one PCA of every layer, each centred and scaled first) or umap (seeded, each layer's "
                f"map aligned with the next; {vectors.UMAP_MIN_TEXTS} to {vectors.UMAP_MAX_TEXTS} texts, else pca).",
                params.choice(vectors.PROJECTIONS),
                "pca",
            ),
            Param("dimensions", int, "of the projection, 2 or 3.", params.whole(2, 3), 3),
            Param(
                "encoding",
                Literal[EMBED_ENCODINGS],
                f"json (nested lists, 4 decimals), float16 (packed as /attention's weights), or auto: json up to "
                f"{EMBED_JSON_TEXTS} texts, float16 past them.",
                params.choice(EMBED_ENCODINGS),
                "auto",
            ),
        ],
        "RoBERTa's contextual vectors: one per text (or per use of a word) at a layer, with their cosine "
        "similarities and a projection that is the same at every layer.",
        f'{{"texts", "positions", "missing", "word", "pooling", "pieces", "layers", "layer", "hidden_size", '
        f'"vectors", "similarities", "projection", "projected_by", "explained", {RUN}}}: the texts that gave a vector '
        'and their positions in the input; missing: [{"position", "text"}] without the word; pieces: the word\'s '
        "tokens in each text; vectors [texts][hidden_size] and similarities [texts][texts] as json or packed; "
        "projection [texts][dimensions] by projected_by: pca (explained: each component's share of the spread) or "
        "umap.",
    )
    def embed(
        texts: str | list[str],
        word: str | None,
        pooling: vectors.Pooling,
        layer: int | None,
        checkpoint: str | None,
        projection: vectors.Projection,
        dimensions: int,
        encoding: str = "auto",
    ) -> dict[str, Any]:
        embedding = vectors.embed(context, texts, word or None, pooling, checkpoint or None, projection, dimensions)
        if layer is not None and layer > embedding.num_layers:
            count = embedding.num_layers
            raise InputError(
                say(
                    "The model has {count} layers: layer is 0 (the embeddings) to {last} (the last layer), not "
                    "{layer}.",
                    count=count,
                    last=count,
                    layer=layer,
                )
            )
        return embedding.plain(layer, encoding)

    return embed


def _neighbours(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [
            Param(
                "texts",
                list[str] | str,
                f"a list of texts, or one string with a text per line, at most {context.limits.max_texts}; their "
                "words are what may be picked (letters and digits; each Chinese character on its own).",
                params.texts(),
            ),
            Param(
                "word",
                str | None,
                "the word to look for, at its first use in the first text that has it; empty for word_index.",
                params.text(optional=True),
                None,
            ),
            Param(
                "word_index",
                int | None,
                "the picked word's number among all the texts' words, from 0 in reading order; empty: the word "
                "above, else the first word.",
                params.whole(0, optional=True),
                None,
            ),
            _hidden_layer(),
            Param(
                "k",
                int,
                f"how many neighbours, 1 to {neighbours_task.MAX_NEIGHBOURS}.",
                params.whole(1, neighbours_task.MAX_NEIGHBOURS),
                10,
            ),
            Param(
                "reference",
                Literal[neighbours_task.REFERENCES],
                "where to look: en or zh (the shipped reference sentences of that language), or texts (the texts "
                "themselves, the picked word left out).",
                params.choice(neighbours_task.REFERENCES),
                "en",
            ),
            _checkpoint("attention"),
        ],
        "The words nearest a word in context (exBERT's search): its vector at a layer compared with every word of "
        "reference sentences by cosine similarity, exactly.",
        f'{{"query": {{"word", "text", "start", "end"}}, "layer", "layers", "reference", "searched", '
        f'"neighbours": [{{"word", "text", "start", "end", "cosine"}}], {RUN}}}: the picked word and the nearest '
        "ones, nearest first, each with its sentence and its place in it; searched: the words compared.",
    )
    def neighbours(
        texts: str | list[str],
        word: str | None,
        word_index: int | None,
        layer: int | None,
        k: int,
        reference: neighbours_task.Reference,
        checkpoint: str | None,
    ) -> dict[str, Any]:
        found = neighbours_task.neighbours(context, texts, word or None, word_index, layer, k, reference, checkpoint)
        return found.plain()

    return neighbours


def _explain(context: TaskContext) -> Callable[..., dict[str, Any]]:
    low, high = explain_task.MIN_STEPS, explain_task.MAX_STEPS
    tasks = tuple(explain_task.TASKS)

    @declared(
        [
            _text("the text to explain."),
            Param("task", Literal[tasks], ", ".join(tasks) + ".", params.choice(tasks), "sentiment"),
            Param(
                "target",
                str | None,
                "the class (sentiment, emotion, topic) or candidate label (zero_shot) to explain, or for ner the "
                "entity's text or start offset; empty for the model's own answer (ner: the first entity).",
                params.text(optional=True),
                None,
            ),
            Param(
                "method",
                Literal["grad_x_input", "integrated_gradients"],
                "grad_x_input (one backward pass) or integrated_gradients.",
                params.choice(("grad_x_input", "integrated_gradients")),
                "grad_x_input",
            ),
            Param("steps", int, f"Integrated Gradients steps, {low} to {high}.", params.whole(low, high), 32),
            Param("labels", str | None, "zero_shot's candidate labels, comma-separated.", params.words(), None),
            _checkpoint("the task"),
        ],
        "Which words of a text made a model give an answer: captum attributions on the input embeddings.",
        '{"words": [{"word", "start", "end", "attribution"}], "target", "method", "delta"}: each word of the text '
        "(`text[start:end] == word`) with its attribution (for the target if positive), what was explained, the "
        "method, and Integrated Gradients' convergence delta (null for grad_x_input).",
    )
    def explain(
        text: str,
        task: str,
        target: str | None,
        method: str,
        steps: int,
        labels: str | list[str] | None,
        checkpoint: str | None,
    ) -> dict[str, Any]:
        return explain_task.explain(context, text, task, target, method, steps, labels, checkpoint or None).plain()

    return explain


def _recipe_params(limits: Limits, batch: str, tokens: str, steps: int) -> list[Param]:
    """A training run's steps, learning rate, batch and sequence size (`finetune.Recipe`), for fine-tuning and
    continued pre-training alike: `batch` and `tokens` say what a step's unit is."""
    low_batch, high_batch = finetune.BATCH_SIZES
    return [
        Param(
            "steps",
            int,
            f"optimizer steps, 1 to {limits.max_train_steps}.",
            params.whole(1, limits.max_train_steps),
            steps,
        ),
        Param(
            "learning_rate",
            float,
            f"AdamW's learning rate, above 0 and at most {finetune.MAX_LEARNING_RATE:g}.",
            params.number(0, finetune.MAX_LEARNING_RATE, above_low=True),
            5e-5,
        ),
        Param("batch_size", int, f"{batch}, {low_batch} to {high_batch}.", params.whole(low_batch, high_batch), 8),
        Param(
            "max_tokens",
            int,
            f"{tokens}, {finetune.MIN_TOKENS} to {limits.max_train_tokens}.",
            params.whole(finetune.MIN_TOKENS, limits.max_train_tokens),
            64,
        ),
    ]


def _seed(used_for: str) -> Param:
    return Param("seed", int, f"for {used_for}, 0 to {finetune.MAX_SEED:,}.", params.whole(0, finetune.MAX_SEED), 0)


def _top_layers_only() -> Param:
    return Param(
        "top_layers_only",
        bool,
        "train only the top two layers and the head (several times faster on a CPU).",
        params.switch(),
        True,
    )


def _fine_tune(context: TaskContext) -> Callable[..., Iterator[dict[str, Any]]]:
    limits = context.limits

    @declared(
        [
            Param(
                "examples",
                dict[str, Any],
                'a table {"headers": ["text", "label"], "data": [[text, label], ...]} (or a list of rows).',
                params.table(),
            ),
            Param(
                "held_out",
                dict[str, Any] | None,
                "examples kept out of training to measure generalisation, in the same form; empty: about a quarter "
                "of each label's training examples are held out.",
                params.table(optional=True),
                None,
            ),
            _checkpoint("fine-tuning (the base model)"),
            *_recipe_params(limits, "examples per step", "tokens kept of each text", 30),
            _seed("the shuffling, the held-out split and the new head"),
            _top_layers_only(),
        ],
        'Fine-tune a RoBERTa classifier on a few labelled examples and report how it learned.\n\nStreams {"step", '
        '"steps", "losses"} after every step, then the report as the final output (what `Client.predict` returns). A '
        "client that goes away ends the run after the step under way.",
        '{"losses": [one per step], "accuracy_before": {"train", "held_out"}, "accuracy_after": {"train", '
        '"held_out"}, "predictions": [{"text", "label", "held_out", "before", "after", "confidence"}], "stopped"}. '
        "The fine-tuned model itself is not kept for API calls.",
        returned=Iterator[dict[str, Any]],
    )
    def fine_tune(
        examples: dict[str, Any],
        held_out: dict[str, Any] | None,
        checkpoint: str | None,
        steps: int,
        learning_rate: float,
        batch_size: int,
        max_tokens: int,
        seed: int,
        top_layers_only: bool,
    ) -> Iterator[dict[str, Any]]:
        read = finetune.read_examples(examples, held_out, context.limits, seed)
        recipe = finetune.Recipe(steps, learning_rate, batch_size, max_tokens, seed, top_layers_only)
        for update in finetune.train(context, read, recipe, checkpoint or None):
            if isinstance(update, FineTuned):
                context.release(update.key)
            yield update.plain()

    return fine_tune


def _masking(context: TaskContext) -> Callable[..., dict[str, Any]]:
    @declared(
        [
            _text("a paragraph to mask as pre-training masks it."),
            Param(
                "epochs",
                int,
                f"how many epochs to mask it for, 1 to {masking_task.MAX_EPOCHS}.",
                params.whole(1, masking_task.MAX_EPOCHS),
                4,
            ),
            Param(
                "dynamic",
                bool,
                "a new masking every epoch, as RoBERTa (true), or the first epoch's every time, as BERT (false).",
                params.switch(),
                True,
            ),
            Param("seed", int, "the draws' random seed.", params.whole(0, masking_task.MAX_SEED), 0),
            _checkpoint("fill-mask"),
        ],
        "Mask a text as RoBERTa's pre-training does (15 % of tokens chosen; of those 80 % <mask>, 10 % a random "
        "token, 10 % unchanged; whole words for Chinese RoBERTa-wwm), epoch by epoch, with the masked-LM loss the "
        "model gets on each chosen token.",
        '{"tokens": [the text each position covers, "" for special tokens], "dynamic", "whole_words", '
        '"probability", "draws": [{"epoch", "loss", "chosen": [{"position", "token", "given", "kind", "loss"}]}], '
        f"{RUN}}}: kind is mask, random or kept; loss is the model's masked-LM loss on the draw (the mean over its "
        "chosen tokens; null when it chose none).",
    )
    def masking(text: str, epochs: int, dynamic: bool, seed: int, checkpoint: str | None) -> dict[str, Any]:
        return masking_task.mask(context, text, epochs, dynamic, seed, checkpoint or None).plain()

    return masking


def _pretrain(context: TaskContext) -> Callable[..., Iterator[dict[str, Any]]]:
    limits = context.limits

    @declared(
        [
            _text(f"the text to continue pre-training on, up to {limits.max_pretrain_words:,} words."),
            _checkpoint("fill-mask (the base model)"),
            *_recipe_params(limits, "sequences per step", "tokens per sequence", 20),
            _seed("the masking and the shuffling"),
            _top_layers_only(),
        ],
        "Continue pre-training RoBERTa on a text (masked-LM steps with dynamic masking: domain adaptation) and report "
        'how its loss fell there and on a held-out part.\n\nStreams {"step", "steps", "losses"} after every step, '
        "then the report as the final output. A client that goes away ends the run after the step under way.",
        '{"losses": [one per step], "before": {"train_loss", "held_out_loss", "held_out_perplexity"}, "after": '
        '{…}, "fills": [{"context", "word", "before", "before_probability", "after", "after_probability"}], '
        '"sequences": {"train", "held_out", "tokens"}, "stopped"}. The model itself is not kept for API calls.',
        returned=Iterator[dict[str, Any]],
    )
    def pretrain(
        text: str,
        checkpoint: str | None,
        steps: int,
        learning_rate: float,
        batch_size: int,
        max_tokens: int,
        seed: int,
        top_layers_only: bool,
    ) -> Iterator[dict[str, Any]]:
        recipe = finetune.Recipe(steps, learning_rate, batch_size, max_tokens, seed, top_layers_only)
        for update in pretrain_task.pretrain(context, text, recipe, checkpoint or None):
            if isinstance(update, Pretrained):
                context.release(update.key)
            yield update.plain()

    return pretrain
