"""The vectors' charts: every layer in the figure, the same axes throughout, typed text kept as text."""

from __future__ import annotations

import numpy as np

from roberta_demo.results import Embedding, Neighbour, Neighbours, QueryKeyMap, RunInfo
from roberta_demo.tasks.encoding import word_spans
from roberta_demo.tasks.projection import project
from roberta_demo.viz.vectors import (
    MAX_SIMILARITY_TEXTS,
    marked,
    neighbour_rows,
    picked_word,
    projection_chart,
    query_key_chart,
    short_label,
    similarity_chart,
    word_picker,
)


def _embedding(texts: list[str], layers: int = 3, hidden: int = 8, dimensions: int = 3) -> Embedding:
    vectors = np.random.default_rng(1).normal(size=(layers + 1, len(texts), hidden)).astype(np.float32)
    projection, explained = project(vectors, dimensions)
    return Embedding(
        texts=texts,
        positions=list(range(len(texts))),
        missing=[],
        word=None,
        pooling="mean",
        pieces=[[] for _ in texts],
        vectors=vectors,
        projection=projection,
        explained=explained,
        run=RunInfo("ckpt", "cpu", 0.01),
    )


def test_the_slider_holds_every_layer_and_the_axes_hold_every_point():
    embedding = _embedding(["one", "two", "<b>three</b>"], dimensions=2)
    figure = projection_chart(embedding)
    steps = figure.layout.sliders[0].steps
    assert [step.label for step in steps] == ["embeddings", "layer 1", "layer 2", "layer 3"]
    assert figure.layout.sliders[0].active == 3  # the last layer shown first
    for layer, step in enumerate(steps):
        np.testing.assert_allclose(step.args[0]["x"][0], embedding.projection[layer, :, 0], atol=1e-4)
    low, high = figure.layout.xaxis.range
    assert low <= embedding.projection[..., 0].min() and high >= embedding.projection[..., 0].max()
    assert figure.data[0].text[2] == "&lt;b&gt;three&lt;/b&gt;"  # plotly would read the tags as markup


def test_groups_get_a_colour_and_a_legend_each():
    embedding = _embedding(["a", "b", "c", "d"], dimensions=2)
    figure = projection_chart(embedding, colours=["sport", "money", "sport", "money"])
    assert [trace.name for trace in figure.data] == ["sport", "money"] and figure.layout.showlegend
    assert figure.data[0].marker.color != figure.data[1].marker.color


def test_the_similarity_map_keeps_one_colour_scale_and_a_readable_size():
    embedding = _embedding([f"text {i}" for i in range(MAX_SIMILARITY_TEXTS + 5)])
    figure = similarity_chart(embedding)
    heat = figure.data[0]
    assert len(heat.z) == MAX_SIMILARITY_TEXTS and heat.zmax == 1.0
    lowest = min(embedding.similarities(layer).min() for layer in range(4))
    assert heat.zmin <= lowest + 1e-3
    assert len(figure.layout.sliders[0].steps) == 4


def test_labels_are_short_and_on_one_line():
    assert short_label("a\nb   c") == "a b c"
    assert len(short_label("x" * 100)) == 28 and short_label("x" * 100).endswith("…")


def test_a_three_dimensional_projection_is_drawn_in_3d_with_every_layer():
    embedding = _embedding(["one", "two", "three"])
    figure = projection_chart(embedding)  # PCA made three directions
    assert figure.data[0].type == "scatter3d"
    step = figure.layout.sliders[0].steps[1]
    np.testing.assert_allclose(step.args[0]["z"][0], embedding.projection[1, :, 2], atol=1e-4)
    assert figure.layout.scene.zaxis.title.text.startswith("PC3")


def test_a_click_on_any_word_of_any_text_picks_that_word():
    texts = ["The <b>bank</b>, by the river.", "苹果公司"]
    words = [(number, *span) for number, text in enumerate(texts) for span in word_spans(text)]
    pieces = word_picker(texts, words, chosen=2)
    assert "".join(text for text, _ in pieces) == "\n".join(texts)  # nothing lost or added
    assert [text for text, label in pieces if label == "chosen"] == ["bank"]
    for clicked, (text, label) in enumerate(pieces):
        picked = picked_word(pieces, clicked)
        if label is None:
            assert picked is None  # a space, a mark, the line between texts
        else:
            number, start, end = words[picked]
            assert texts[number][start:end] == text
    assert picked_word(pieces, len(pieces)) is None


def test_a_neighbour_is_shown_in_its_sentence_as_plain_text():
    assert marked("We sat on the bank.", 14, 18) == "We sat on the [bank]."
    assert marked("我吃苹果", 2, 3) == "我吃【苹】果"
    found = Neighbours(
        texts=["a"],
        words=[(0, 0, 1)],
        chosen=0,
        layer=2,
        num_layers=4,
        reference="en",
        searched=10,
        rows=[Neighbour("=SUM(A1) <i>bank</i>", 12, 16, 0.91)],
        run=RunInfo("ckpt", "cpu", 0.01),
    )
    assert neighbour_rows(found) == [[1, 0.91, "bank", "=SUM(A1) <i>[bank]</i>"]]


def test_queries_and_keys_are_drawn_apart_with_lines_to_the_keys_attended_to():
    tokens = ["<s>", "bank", "<b>", "</s>"]
    weights = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.2, 0.6, 0.1], [0.25] * 4, [0.4, 0.3, 0.2, 0.1]], np.float32)
    points = np.random.default_rng(2).normal(size=(8, 2)).astype(np.float32)
    drawn = QueryKeyMap(
        texts=["bank <b>"],
        tokens=tokens,
        owners=[0] * 4,
        special=[True, False, False, True],
        layer=1,
        head=2,
        num_layers=4,
        num_heads=4,
        queries=np.zeros((4, 2), np.float32),
        keys=np.zeros((4, 2), np.float32),
        weights=[weights],
        points=points,
        explained=[0.5, 0.2],
        run=RunInfo("ckpt", "cpu", 0.01),
    )
    figure = query_key_chart(drawn, query=1)
    lines = [trace for trace in figure.data if trace.mode == "lines"]
    assert len(lines) == 3 and [line.x[1] for line in lines] == [points[4 + key, 0] for key in (2, 1, 0)]
    assert lines[0].line.width > lines[1].line.width  # the largest weight, the thickest line
    queries, keys = (next(trace for trace in figure.data if trace.name == name) for name in ("queries", "keys"))
    assert list(queries.x) == list(points[:4, 0].round(4)) and list(keys.x) == list(points[4:, 0].round(4))
    assert queries.marker.symbol == "circle" and keys.marker.symbol == "diamond"
    assert "&lt;b&gt;" in queries.text and figure.layout.yaxis.scaleanchor == "x"
    assert figure.layout.title.text == "Layer 1, head 2: queries and keys (4 tokens)"
