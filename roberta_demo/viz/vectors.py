"""RoBERTa's vectors drawn: the texts' points in one projection, and their cosine similarities, at every layer;
a word's nearest neighbours; one head's queries and keys in one plane.

A slider under each chart moves through the layers in the browser (the figure holds every layer; no request).
Gradio's plot hands plotly only the figure's data and layout, not its frames, so each step of the slider restyles
the traces with that layer's values rather than animating between frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from roberta_demo.messages import speak
from roberta_demo.results import Embedding, Neighbours, QueryKeyMap, TokenVectors
from roberta_demo.viz.attention import token_axis
from roberta_demo.viz.charts import GRID, plain_figure, plotly_text, unique_labels

__all__ = [
    "MAX_SIMILARITY_TEXTS",
    "drift_chart",
    "layer_names",
    "marked",
    "neighbour_rows",
    "picked_word",
    "projection_chart",
    "query_key_chart",
    "short_label",
    "similarity_chart",
    "word_picker",
]

# A similarity matrix past this many texts is a texture, not something to read (and 13 layers of 500² numbers).
MAX_SIMILARITY_TEXTS = 40
LABEL_CHARS = 28
# Distinct on a projector and for the common colour-vision deficiencies (Okabe & Ito), then repeated.
_AXIS = {"gridcolor": GRID, "automargin": True, "zeroline": False}
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]


def layer_names(layers: int) -> list[str]:
    """The name of each of `layers` + 1 states: the embeddings, then each layer by number."""
    return [speak("embeddings"), *(speak("layer {number}", number=number) for number in range(1, layers + 1))]


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """A text cut to a label's length, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _slider(names: list[str], steps_args: list[list[Any]], start: int) -> dict[str, Any]:
    steps = [{"label": name, "method": "restyle", "args": args} for name, args in zip(names, steps_args, strict=True)]
    # Under the axis title, and inset so that the first and last labels ("embeddings") are not cut at the edges.
    return {
        "active": start,
        "steps": steps,
        "currentvalue": {"prefix": "", "font": {"size": 16}},
        "pad": {"t": 50},
        "x": 0.06,
        "len": 0.88,
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


def _axis_titles(embedding: Embedding) -> list[str]:
    if embedding.projected_by == "umap":
        return [f"UMAP {number}" for number in range(1, 4)]
    return [_pc(number, share) for number, share in enumerate(embedding.explained, start=1)]


def _pc(number: int, share: float) -> str:
    """A principal axis's name and the share of the variance along it."""
    if number == 1:
        return speak("PC1 ({share})", share=f"{share:.0%}")
    if number == 2:
        return speak("PC2 ({share})", share=f"{share:.0%}")
    return f"PC{number} ({share:.0%})"


def projection_chart(embedding: Embedding, colours: list[str] | None = None, title: str | None = None) -> go.Figure:
    """The texts' vectors as points in the projection (2-D or 3-D, as it was made), one layer at a time (the last
    shown first), labelled by their text; the axes hold every layer's points, so a point's move is a move among the
    others. `colours`: a group for each text (a label of the upload, a prediction), drawn in a colour each."""
    points, layers = embedding.projection.astype(np.float64), embedding.num_layers
    axes_names = ("x", "y", "z")[: points.shape[-1]]
    groups = _groups(embedding, colours)
    by_text = colours is None
    traces = []
    for number, (group, members) in enumerate(groups):
        colour = [PALETTE[i % len(PALETTE)] for i in members] if by_text else PALETTE[number % len(PALETTE)]
        traces.append(
            {
                "type": "scatter3d" if len(axes_names) == 3 else "scatter",
                "mode": "markers+text" if len(embedding.texts) <= 24 else "markers",
                "name": plotly_text(group) if group else "texts",
                **{name: points[layers, members, axis].round(4).tolist() for axis, name in enumerate(axes_names)},
                "text": [plotly_text(short_label(embedding.texts[i])) for i in members],
                "textposition": "top center",
                "hovertext": [plotly_text(embedding.texts[i]) for i in members],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "marker": {"size": 14 if len(axes_names) == 2 else 6, "color": colour},
                **({"cliponaxis": False} if len(axes_names) == 2 else {}),  # a label at the edge is drawn whole
            }
        )
    steps = [
        [
            {
                name: [points[layer, members, axis].round(4).tolist() for _, members in groups]
                for axis, name in enumerate(axes_names)
            }
        ]
        for layer in range(layers + 1)
    ]
    titles = _axis_titles(embedding)
    axes = {
        f"{name}axis": {"range": _range(points[..., axis]), "title": {"text": titles[axis]}, **_AXIS}
        for axis, name in enumerate(axes_names)
    }
    layout = {
        **({"scene": axes} if len(axes_names) == 3 else axes),
        "margin": {"l": 10, "r": 30, "t": 50, "b": 150},
        "showlegend": not by_text,
        "sliders": [_slider(layer_names(layers), steps, layers)],
    }
    shown = title or speak("Where each text's vector lies, layer by layer")
    return plain_figure(traces, layout, shown, 620)


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
        "colorbar": {"title": {"text": speak("cosine")}},
        "hovertemplate": "%{y} · %{x}: %{z:.3f}<extra></extra>",
    }
    steps = [[{"z": [matrix.round(3).tolist()]}] for matrix in matrices]
    axes = {
        "xaxis": {"tickangle": -40, "automargin": True, "side": "top"},  # the slider has the bottom
        "yaxis": {"autorange": "reversed", "automargin": True},
        "margin": {"l": 10, "r": 30, "t": 60, "b": 110},
        "sliders": [_slider(layer_names(layers), steps, layers)],
    }
    return plain_figure([trace], axes, title or speak("How alike the vectors are (cosine), layer by layer"), 680)


def word_picker(texts: list[str], words: list[tuple[int, int, int]], chosen: int) -> list[tuple[str, str | None]]:
    """The texts as `gr.HighlightedText` pieces, one line each: every word its own piece ("word", to click), the
    chosen one marked ("chosen"), what lies between unlabelled."""
    pieces: list[tuple[str, str | None]] = []
    for number, text in enumerate(texts):
        if number:
            pieces.append(("\n", None))
        cursor = 0
        for index, (owner, start, end) in enumerate(words):
            if owner != number:
                continue
            if start > cursor:
                pieces.append((text[cursor:start], None))
            pieces.append((text[start:end], "chosen" if index == chosen else "word"))
            cursor = end
        if cursor < len(text):
            pieces.append((text[cursor:], None))
    return pieces


def picked_word(pieces: list[tuple[str, str | None]], clicked: int) -> int | None:
    """Which word a click on piece `clicked` of `word_picker`'s pieces picked: its index among the words."""
    if not 0 <= clicked < len(pieces) or pieces[clicked][1] is None:
        return None
    return sum(1 for _, label in pieces[:clicked] if label is not None)


def marked(text: str, start: int, end: int) -> str:
    """A sentence with one word in brackets, for a table cell (plain text: the page shows it as typed)."""
    left, right = ("【", "】") if any("\u4e00" <= char <= "\u9fff" for char in text[start:end]) else ("[", "]")
    return f"{text[:start]}{left}{text[start:end]}{right}{text[end:]}"


def neighbour_rows(found: Neighbours) -> list[list[Any]]:
    """The neighbours as table rows: rank, cosine, word, and the word in its sentence."""
    return [
        [rank, row.cosine, row.word, marked(row.text, row.start, row.end)]
        for rank, row in enumerate(found.rows, start=1)
    ]


def _segment(drawn: QueryKeyMap, query: int, key: int, weight: float) -> dict[str, Any]:
    count = len(drawn.tokens)
    (x0, y0), (x1, y1) = drawn.points[query].tolist(), drawn.points[count + key].tolist()
    return {
        "type": "scatter",
        "mode": "lines",
        "x": [x0, x1],
        "y": [y0, y1],
        "line": {"width": 1.5 + 8 * weight, "color": "#374151"},
        "opacity": 0.75,
        "name": f"weight {weight:.2f}",
        "hovertemplate": plotly_text(f"{drawn.tokens[query]} → {drawn.tokens[key]}: {weight:.3f}") + "<extra></extra>",
        "showlegend": False,
    }


def _token_trace(drawn: QueryKeyMap, kind: str, colour: str, symbol: str) -> dict[str, Any]:
    count = len(drawn.tokens)
    points = drawn.points[:count] if kind == "queries" else drawn.points[count:]
    role = "query" if kind == "queries" else "key"
    hover = [
        plotly_text(f"{role} · {token} · text {owner + 1}")
        for token, owner in zip(drawn.tokens, drawn.owners, strict=True)
    ]
    return {
        "type": "scatter",
        "mode": "markers+text" if count <= 60 else "markers",
        "name": speak("queries") if kind == "queries" else speak("keys"),
        "x": points[:, 0].round(4).tolist(),
        "y": points[:, 1].round(4).tolist(),
        "text": [plotly_text(token) for token in drawn.tokens],
        "textposition": "top center",
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": {"size": 12, "color": colour, "symbol": symbol, "line": {"width": 1, "color": "#ffffff"}},
        "cliponaxis": False,
    }


def query_key_chart(drawn: QueryKeyMap, query: int, top: int = 3, title: str | None = None) -> go.Figure:
    """One head's queries (circles) and keys (diamonds) in one plane, with a line from query token `query` to each
    of the `top` keys it gives most weight, thicker for more."""
    count = len(drawn.tokens)
    chosen = drawn.points[query]
    ring = {
        "type": "scatter",
        "mode": "markers",
        "name": speak("chosen query"),
        "x": [float(chosen[0])],
        "y": [float(chosen[1])],
        "marker": {"size": 24, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": PALETTE[6]}},
        "hoverinfo": "skip",
    }
    lines = [_segment(drawn, query, key, weight) for key, weight in drawn.attended(query, top)]
    traces = [
        *lines,
        _token_trace(drawn, "queries", PALETTE[0], "circle"),
        _token_trace(drawn, "keys", PALETTE[1], "diamond"),
        ring,
    ]
    titles = [_pc(number, share) for number, share in enumerate(drawn.explained, start=1)]
    layout = {
        "xaxis": {"title": {"text": titles[0]}, **_AXIS},
        "yaxis": {"title": {"text": titles[1]}, "scaleanchor": "x", **_AXIS},  # distances read the same both ways
        "margin": {"l": 10, "r": 30, "t": 50, "b": 40},
        "legend": {"orientation": "h", "y": -0.12},
    }
    shown = title or speak(
        "Layer {layer}, head {head}: queries and keys ({count} tokens)", layer=drawn.layer, head=drawn.head, count=count
    )
    return plain_figure(traces, layout, shown, 620)


def drift_chart(found: TokenVectors) -> go.Figure:
    """Tokens across, layers down (the embeddings on top): each cell the cosine of the token's vector there with
    its vector at layer 0, from 1 (unchanged) to the least kept anywhere; the vector's length on hover."""
    tokens = unique_labels(found.tokens)
    layers = layer_names(found.num_layers)
    trace = {
        "type": "heatmap",
        "z": found.drift.round(3).tolist(),
        "x": tokens,
        "y": layers,
        "customdata": found.norms.round(1).tolist(),
        "zmin": float(min(found.drift.min(), 0.999)),
        "zmax": 1.0,
        "colorscale": [[0.0, "#1e3a8a"], [0.5, "#60a5fa"], [1.0, "#f8fafc"]],  # the most moved, darkest
        "colorbar": {"title": {"text": speak("cosine with layer 0")}},
        "hovertemplate": "%{x} · %{y}: cosine %{z:.3f}, length %{customdata}<extra></extra>",
    }
    layout = {
        "xaxis": token_axis(len(tokens), tickangle=-40, side="top", type="category"),
        "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
        "margin": {"l": 10, "r": 30, "t": 80, "b": 20},
    }
    height = 160 + 28 * (found.num_layers + 1)
    return plain_figure([trace], layout, "How much of each token's first vector is left, layer by layer", height)
