"""The vectors' charts: every layer in the figure, the same axes throughout, typed text kept as text."""

from __future__ import annotations

import numpy as np

from roberta_demo.results import Embedding, RunInfo
from roberta_demo.tasks.projection import project
from roberta_demo.viz.vectors import MAX_SIMILARITY_TEXTS, projection_chart, short_label, similarity_chart


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
