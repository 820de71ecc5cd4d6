"""Fill-mask drawings: the likely fillers of each mask, the layer-by-layer lens, the filled sentence, and the
words of a sentence to click on."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from roberta_demo.messages import render, say, speak
from roberta_demo.results import FillMaskResult, LayerLens, MaskPrediction
from roberta_demo.viz.charts import ACCENT, GRID, LIGHT_TO_DARK, MUTED, plain_figure, plotly_text, unique_labels

__all__ = [
    "ASKED",
    "DRAWN_LABELS",
    "candidate_rows",
    "clickable_words",
    "filled_sentence",
    "filler_rows",
    "fillers_chart",
    "lens_chart",
    "mask_label",
    "sampled_sentences",
]

ASKED = "#10b981"  # the words a person asked about, beside the model's own choices
_GAP = 0.1  # of each mask's share of the chart's height, left blank between masks


def mask_label(number: int, language: str | None = None) -> str:
    """A mask's name (its number, from 1) in `language`, by default the request's."""
    return render(say("mask {number}", number=number), language)


def _bars(mask: MaskPrediction) -> tuple[list[str], list[float], list[str]]:
    """Bars of one mask, best first: the model's top fillers, then asked-about words it did not choose."""
    chosen = {filler.text.strip() for filler in mask.fillers}
    asked = [candidate for candidate in mask.candidates if candidate.word not in chosen]
    labels = [filler.text.strip() or "␣" for filler in mask.fillers] + [f"{c.word} (asked)" for c in asked]
    scores = [filler.score for filler in mask.fillers] + [candidate.score for candidate in asked]
    colours = [ACCENT] + [MUTED] * (len(mask.fillers) - 1) + [ASKED] * len(asked)
    return labels, scores, colours


def _mask_bars(mask: MaskPrediction, number: int) -> dict[str, Any]:
    labels, scores, colours = _bars(mask)
    axis = "" if number == 1 else str(number)
    return {
        "type": "bar",
        "orientation": "h",
        "x": scores[::-1],  # plotly draws the first bar at the bottom
        "y": unique_labels(labels)[::-1],
        "marker": {"color": colours[::-1]},
        "text": [f"{score:.1%}" for score in scores[::-1]],
        "textposition": "outside",
        "cliponaxis": False,
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "hovertemplate": f"%{{y}}: %{{x:.2%}}<extra>{mask_label(number)}</extra>",
    }


def _mask_axes(mask: MaskPrediction, number: int, count: int) -> dict[str, Any]:
    axis, share = "" if number == 1 else str(number), 1.0 / count
    top = 1 - (number - 1) * share
    best = max(_bars(mask)[1])
    return {
        f"yaxis{axis}": {"domain": [top - share + _GAP * share, top], "automargin": True},
        f"xaxis{axis}": {
            "anchor": f"y{axis}",
            "range": [0, min(1.0, 1.15 * best + 0.02)],
            "tickformat": ".0%" if best >= 0.1 else ".1%",
            "showgrid": True,
            "gridcolor": GRID,
        },
    }


def _mask_name(number: int, count: int) -> dict[str, Any]:
    """The mask's name over its bars, written across (an axis title would stand Chinese characters on their side)."""
    top = 1 - (number - 1) / count
    return {
        "text": mask_label(number),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "xanchor": "right",
        "y": top,
        "yanchor": "bottom",
        "showarrow": False,
    }


def fillers_chart(result: FillMaskResult) -> go.Figure:
    """One horizontal bar chart per mask, stacked: each filler's probability; asked-about words in green."""
    count = len(result.masks)
    traces = [_mask_bars(mask, number) for number, mask in enumerate(result.masks, start=1)]
    layout: dict[str, Any] = {"showlegend": False, "annotations": []}
    for number, mask in enumerate(result.masks, start=1):
        layout.update(_mask_axes(mask, number, count))
        layout["annotations"].append(_mask_name(number, count))
    bars = sum(len(_bars(mask)[0]) for mask in result.masks)
    return plain_figure(traces, layout, speak("Most likely words at each mask"), 90 + 40 * count + 30 * bars)


def lens_chart(lens: LayerLens, number: int = 1) -> go.Figure:
    """Layers (embeddings at the bottom, the last layer on top) × the final top words: the probability the head
    gives each word when it reads that layer; the right-hand column ("top here") is each layer's own first choice."""
    columns = [*lens.words, speak("top here")]
    z = np.column_stack([lens.probabilities, np.asarray(lens.top_scores, dtype=np.float32)])
    text = [
        [f"{p:.0%}" for p in row] + [f"{plotly_text(word)} {score:.0%}"]
        for row, word, score in zip(lens.probabilities, lens.top_words, lens.top_scores, strict=True)
    ]
    heatmap = {
        "type": "heatmap",
        "z": np.round(z, 4).astype(np.float32),
        "x": unique_labels(columns),
        "y": [speak("embeddings")] + [speak("layer {number}", number=n) for n in range(1, len(lens.layers))],
        "text": text,
        "texttemplate": "%{text}",
        "colorscale": LIGHT_TO_DARK,
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"title": {"text": speak("probability")}, "thickness": 12, "tickformat": ".0%"},
        "hovertemplate": "%{y} → %{x}: %{z:.2%}<extra></extra>",
    }
    layout = {
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "xaxis": {"side": "top", "automargin": True, "tickangle": 0},
        "yaxis": {"automargin": True},
    }
    title = speak("Layer by layer, mask {number}", number=number)  # short enough for half a projector's width
    return plain_figure([heatmap], layout, title, 140 + 34 * len(lens.layers))


def filled_sentence(result: FillMaskResult) -> dict[str, Any]:
    """The text with each mask's best filler put in and marked, in `gr.HighlightedText`'s form."""
    entities = [
        {"entity": mask_label(number), "start": start, "end": end}
        for number, (start, end) in enumerate(result.filled_spans, start=1)
    ]
    return {"text": result.filled, "entities": entities}


DRAWN_LABELS = ["<1%", *(f"{percent}%" for percent in range(1, 101))]  # what `sampled_sentences` marks words with


def _drawn_label(probability: float) -> str:
    return f"{probability:.0%}" if probability >= 0.01 else "<1%"


def sampled_sentences(result: FillMaskResult) -> dict[str, Any]:
    """Each sampled fill on a line of its own, its drawn words marked with their probability, in
    `gr.HighlightedText`'s form."""
    text, entities, cursor = "", [], 0
    for number, sample in enumerate(result.samples):
        if number:
            text += "\n"
        cursor = len(text)
        text += sample.text
        entities += [
            {"entity": _drawn_label(filler.score), "start": cursor + a, "end": cursor + b}
            for (a, b), filler in zip(sample.spans, sample.fillers, strict=True)
        ]
    return {"text": text, "entities": entities}


def filler_rows(result: FillMaskResult) -> list[list[Any]]:
    """Table rows: mask, rank, word, the vocabulary token, probability."""
    return [
        [mask_label(number), rank, filler.text.strip() or "␣", filler.token, round(filler.score, 4)]
        for number, mask in enumerate(result.masks, start=1)
        for rank, filler in enumerate(mask.fillers, start=1)
    ]


def candidate_rows(result: FillMaskResult) -> list[list[Any]]:
    """Table rows: mask, asked-about word, the tokens scored for it, probability, rank in the vocabulary."""
    return [
        [mask_label(number), c.word, " ".join(c.pieces), float(f"{c.score:.3g}"), c.rank or speak("several tokens")]
        for number, mask in enumerate(result.masks, start=1)
        for c in mask.candidates
    ]


def clickable_words(
    text: str, words: list[tuple[int, int]], marked: list[tuple[int, int]], label: str = "mask"
) -> list[tuple[str, str | None]]:
    """The text as `gr.HighlightedText` pieces: each word its own piece (labelled "word", so it can be clicked),
    the `marked` spans labelled `label`, everything between them unlabelled."""
    spans = sorted([(start, end, "word") for start, end in words] + [(start, end, label) for start, end in marked])
    pieces: list[tuple[str, str | None]] = []
    cursor = 0
    for start, end, kind in spans:
        if start < cursor:
            continue
        if start > cursor:
            pieces.append((text[cursor:start], None))
        pieces.append((text[start:end], kind))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], None))
    return pieces
