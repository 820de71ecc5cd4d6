"""Plotly charts of class probabilities, readable on a projector."""

from __future__ import annotations

import html
import re

import plotly.graph_objects as go

from roberta_demo.messages import speak
from roberta_demo.results import ClassScores

__all__ = [
    "class_distribution_chart",
    "class_scores_chart",
    "display_label",
    "markdown_code",
    "plain_figure",
    "plotly_text",
    "readable_label",
    "unique_labels",
]

ACCENT = "#4f46e5"
MUTED = "#a5b4fc"
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 15}


def plotly_text(text: str) -> str:
    """Text that plotly shows as typed: it reads <b>, <i>, <s>, <a>… in labels as markup, and decodes entities."""
    return html.escape(text, quote=False)


def markdown_code(text: str) -> str:
    """User text inside Markdown as an inline code span: shown as typed, never read as Markdown, HTML or LaTeX."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def readable_label(label: str) -> str:
    """A model's (or user's) label as a person reads it: `arts_&_culture` → `arts & culture`."""
    return label.replace("_", " ").strip()


def display_label(label: str) -> str:
    """`readable_label`, safe for plotly."""
    return plotly_text(readable_label(label))


def unique_labels(tokens: list[str]) -> list[str]:
    """Axis labels that look like the tokens but stay distinct (plotly merges equal category labels), escaped so
    that `<s>` or typed markup shows as text (plotly reads tags such as <s> and <b> in labels)."""
    seen: dict[str, int] = {}
    labels = []
    for token in tokens:
        count = seen.get(token, 0)
        seen[token] = count + 1
        labels.append(plotly_text(token) + "\u200b" * count)  # zero-width spaces: invisible, but distinct
    return labels


GRID = "rgba(128,128,128,0.25)"
# Probabilities and weights from nothing (white) to all (dark blue); plotly's own "Blues" runs the other way.
LIGHT_TO_DARK = [[0.0, "#f8fafc"], [0.5, "#60a5fa"], [1.0, "#1e3a8a"]]


def plain_figure(traces: list[dict], layout: dict, title: str, height: int) -> go.Figure:
    """A plotly figure from plain dicts, built without plotly's per-property validation.

    Charts are drawn on every request; validation costs ~10 ms a chart (a sixth of a roberta-base forward pass,
    and most of the attention tab's time), and the dicts here are fixed and tested.
    """
    base = {
        "template": {"layout": {}},  # no plotly template: the default one adds ~8 kB of JSON to every chart
        # Measured from the container and pushing the margins: never over axis titles on top (heatmaps' keys).
        "title": {"text": title, "x": 0, "xanchor": "left", "yref": "container", "y": 0.98, "automargin": True},
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 30, "t": 50, "b": 40},
        "plot_bgcolor": "rgba(0,0,0,0)",
        "paper_bgcolor": "rgba(0,0,0,0)",
    }
    return go.Figure({"data": traces, "layout": {**base, **layout}}, _validate=False)


def _bar_figure(bar: dict, layout: dict, title: str, height: int) -> go.Figure:
    trace = {"type": "bar", "cliponaxis": False, "textposition": "outside", **bar}
    return plain_figure([trace], {"bargap": 0.25, **layout}, title, height)


def class_scores_chart(result: ClassScores, title: str | None = None) -> go.Figure:
    """Every class's probability as a horizontal bar, highest on top; the top class highlighted."""
    labels = [display_label(label) for label in reversed(result.labels)]
    scores = list(reversed(result.scores))
    colours = [ACCENT if label == result.top else MUTED for label in reversed(result.labels)]
    kind = speak("probability") if result.exclusive else speak("independent score (multi-label)")
    bar = {
        "x": scores,
        "y": labels,
        "orientation": "h",
        "marker": {"color": colours},
        "text": [f"{score:.1%}" for score in scores],
        "hovertemplate": "%{y}: %{x:.2%}<extra></extra>",
    }
    axes = {
        "xaxis": {
            "range": [0, 1.08],
            "tickformat": ".0%",
            "title": {"text": kind},
            "showgrid": True,
            "gridcolor": GRID,
        },
        "yaxis": {"automargin": True},
    }
    return _bar_figure(bar, axes, title or speak("Class probabilities"), max(220, 70 + 34 * len(labels)))


def class_distribution_chart(counts: dict[str, int], title: str | None = None) -> go.Figure:
    """How many texts got each class as their top class."""
    bar = {
        "x": [display_label(label) for label in counts],
        "y": list(counts.values()),
        "marker": {"color": ACCENT},
        "text": list(counts.values()),
        "hovertemplate": "%{x}: %{y} texts<extra></extra>",
    }
    axes = {
        "yaxis": {
            "title": {"text": speak("number of texts")},
            "rangemode": "tozero",
            "gridcolor": GRID,
            "automargin": True,
        }
    }
    return _bar_figure(bar, axes, title or speak("Top class across texts"), 360)
