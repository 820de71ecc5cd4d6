"""Plotly charts of class probabilities, readable on a projector."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from roberta_demo.tasks.common import ClassScores

__all__ = ["class_distribution_chart", "class_scores_chart", "display_label", "plotly_text"]

ACCENT = "#4f46e5"
MUTED = "#a5b4fc"
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=15)


def plotly_text(text: str) -> str:
    """Text that plotly shows as typed: it reads <b>, <i>, <s>, <a>… in labels as markup, and decodes entities."""
    return html.escape(text, quote=False)


def display_label(label: str) -> str:
    """A model's (or user's) label as a person reads it, safe for plotly: `arts_&_culture` → `arts & culture`."""
    return plotly_text(label.replace("_", " ").strip())


def _layout(figure: go.Figure, title: str, rows: int) -> go.Figure:
    figure.update_layout(
        template="none",  # plotly's default template adds ~8 kB of JSON to every chart sent to the browser
        title=dict(text=title, x=0, xanchor="left"),
        font=FONT,
        height=max(220, 70 + 34 * rows),
        margin=dict(l=10, r=30, t=50, b=40),
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        bargap=0.25,
    )
    return figure


def class_scores_chart(result: ClassScores, title: str | None = None) -> go.Figure:
    """Every class's probability as a horizontal bar, highest on top; the top class highlighted."""
    labels = [display_label(label) for label in reversed(result.labels)]
    scores = list(reversed(result.scores))
    colours = [ACCENT if label == result.top else MUTED for label in reversed(result.labels)]
    figure = go.Figure(
        go.Bar(
            x=scores,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[f"{score:.1%}" for score in scores],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.2%}<extra></extra>",
        )
    )
    kind = "probability" if result.exclusive else "independent score (multi-label)"
    figure.update_xaxes(range=[0, 1.08], tickformat=".0%", title=kind, showgrid=True, gridcolor="rgba(128,128,128,0.25)")
    figure.update_yaxes(automargin=True)
    return _layout(figure, title or "Class probabilities", len(labels))


def class_distribution_chart(counts: dict[str, int], title: str = "Top class across texts") -> go.Figure:
    """How many texts got each class as their top class."""
    labels = [display_label(label) for label in counts]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=list(counts.values()),
            marker_color=ACCENT,
            text=list(counts.values()),
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y} texts<extra></extra>",
        )
    )
    figure.update_yaxes(title="texts", rangemode="tozero", gridcolor="rgba(128,128,128,0.25)", automargin=True)
    figure = _layout(figure, title, 8)
    figure.update_layout(height=360)
    return figure
