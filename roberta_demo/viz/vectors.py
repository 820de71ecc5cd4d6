"""RoBERTa's vectors drawn: the texts' points in one projection, and their cosine similarities, at every layer.

A slider under each chart moves through the layers in the browser (the figure holds every layer; no request).
Gradio's plot hands plotly only the figure's data and layout, not its frames, so each step of the slider restyles
the traces with that layer's values rather than animating between frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from roberta_demo.results import Embedding
from roberta_demo.viz.charts import GRID, plain_figure, plotly_text, unique_labels

__all__ = ["MAX_SIMILARITY_TEXTS", "layer_names", "projection_chart", "short_label", "similarity_chart"]

# A similarity matrix past this many texts is a texture, not something to read (and 13 layers of 500² numbers).
MAX_SIMILARITY_TEXTS = 40
LABEL_CHARS = 28
# Distinct on a projector and for the common colour-vision deficiencies (Okabe & Ito), then repeated.
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]


def layer_names(layers: int) -> list[str]:
    """The name of each of `layers` + 1 states: the embeddings, then each layer by number."""
    return ["embeddings", *(f"layer {number}" for number in range(1, layers + 1))]


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """A text cut to a label's length, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _slider(names: list[str], steps_args: list[list[Any]], start: int) -> dict[str, Any]:
    steps = [{"label": name, "method": "restyle", "args": args} for name, args in zip(names, steps_args, strict=True)]
    return {
        "active": start,
        "steps": steps,
        "currentvalue": {"prefix": "", "font": {"size": 16}},
        "pad": {"t": 30},
        "len": 1.0,
    }


def _groups(embedding: Embedding, colours: list[str] | None) -> list[tuple[str, list[int]]]:
    """Points by colour: the given labels' groups, or with none, each text its own colour."""
    if colours is None:
        return [("", list(range(len(embedding.texts))))]
    order = list(dict.fromkeys(colours))
    return [(group, [i for i, colour in enumerate(colours) if colour == group]) for group in order]


def _range(values: np.ndarray) -> list[float]:
    low, high = float(values.min()), float(values.max())
    margin = max(high - low, 1e-6) * 0.12
    return [low - margin, high + margin]


def projection_chart(embedding: Embedding, colours: list[str] | None = None, title: str | None = None) -> go.Figure:
    """The texts' vectors as points in the projection's first two directions, one layer at a time (the last shown
    first), labelled by their text; the axes hold every layer's points, so a point's move is a move among the
    others. `colours`: a group for each text (a label of the upload, a prediction), drawn in a colour each."""
    points, layers = embedding.projection.astype(np.float64), embedding.num_layers
    groups = _groups(embedding, colours)
    by_text = colours is None
    traces = []
    for number, (group, members) in enumerate(groups):
        labels = [plotly_text(short_label(embedding.texts[i])) for i in members]
        hover = [plotly_text(embedding.texts[i]) for i in members]
        colour = [PALETTE[i % len(PALETTE)] for i in members] if by_text else PALETTE[number % len(PALETTE)]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text" if len(embedding.texts) <= 24 else "markers",
                "name": plotly_text(group) if group else "texts",
                "x": points[layers, members, 0].round(4).tolist(),
                "y": points[layers, members, 1].round(4).tolist(),
                "text": labels,
                "textposition": "top center",
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
                "marker": {"size": 14, "color": colour, "line": {"width": 1, "color": "#ffffff"}},
            }
        )
    steps = [
        [
            {
                "x": [points[layer, members, 0].round(4).tolist() for _, members in groups],
                "y": [points[layer, members, 1].round(4).tolist() for _, members in groups],
            }
        ]
        for layer in range(layers + 1)
    ]
    shares = embedding.explained
    axes = {
        "xaxis": {"range": _range(points[..., 0]), "title": {"text": f"PC1 ({shares[0]:.0%})"}, "gridcolor": GRID},
        "yaxis": {"range": _range(points[..., 1]), "title": {"text": f"PC2 ({shares[1]:.0%})"}, "gridcolor": GRID},
        "showlegend": not by_text,
        "sliders": [_slider(layer_names(layers), steps, layers)],
    }
    shown = title or ("Where each text's vector lies, layer by layer")
    return plain_figure(traces, axes, shown, 560)


def similarity_chart(embedding: Embedding, title: str | None = None) -> go.Figure:
    """The cosine similarity of every two texts' vectors at each layer (a slider), at most `MAX_SIMILARITY_TEXTS`
    texts; the colour scale is the same at every layer, from the least similar pair anywhere to 1."""
    count = min(len(embedding.texts), MAX_SIMILARITY_TEXTS)
    layers = embedding.num_layers
    matrices = [embedding.similarities(layer)[:count, :count] for layer in range(layers + 1)]
    labels = unique_labels([short_label(text, 20) for text in embedding.texts[:count]])
    low = float(min(matrix.min() for matrix in matrices))
    trace = {
        "type": "heatmap",
        "z": matrices[layers].round(3).tolist(),
        "x": labels,
        "y": labels,
        "zmin": min(low, 0.999),
        "zmax": 1.0,
        "colorscale": [[0.0, "#f8fafc"], [0.5, "#60a5fa"], [1.0, "#1e3a8a"]],
        "colorbar": {"title": {"text": "cosine"}},
        "hovertemplate": "%{y} · %{x}: %{z:.3f}<extra></extra>",
    }
    steps = [[{"z": [matrix.round(3).tolist()]}] for matrix in matrices]
    axes = {
        "xaxis": {"tickangle": -40, "automargin": True},
        "yaxis": {"autorange": "reversed", "automargin": True},
        "sliders": [_slider(layer_names(layers), steps, layers)],
    }
    return plain_figure([trace], axes, title or "How alike the vectors are (cosine), layer by layer", 600)
