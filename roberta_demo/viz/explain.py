"""Word attributions drawn: the text with each word coloured for (purple) or against (red) the answer, and the strongest
words beside where the same model looked."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from roberta_demo.messages import render, say, speak
from roberta_demo.results import Explanation
from roberta_demo.viz.charts import GRID, MUTED, plain_figure, unique_labels

__all__ = ["CAUTION", "attribution_note", "coloured_words", "explanation_chart"]

# Gradio's HighlightedText draws negative scores purple and positive ones red; the chart uses the same two colours.
FOR, AGAINST = "#805ad5", "#ef443c"
CAUTION = say(
    "Attention shows where the model looks; attributions, which words changed its answer. They often disagree: "
    "attention is not an explanation."
)
METHOD_NAMES = {"grad_x_input": "Gradient × Input", "integrated_gradients": "Integrated Gradients"}


def coloured_words(explanation: Explanation) -> list[tuple[str, float | None]]:
    """The text as `gr.HighlightedText` pieces: each word with its attribution scaled to [-1, 1] and negated, so that
    words for the answer take Gradio's purple and words against it its red; what lies between words unscored, and a
    zero-shot hypothesis after it, unscored."""
    strongest = max((abs(word.attribution) for word in explanation.words), default=0.0) or 1.0
    pieces: list[tuple[str, float | None]] = []
    cursor = 0
    for word in explanation.words:
        if word.start > cursor:
            pieces.append((explanation.text[cursor : word.start], None))
        pieces.append((word.word, round(-word.attribution / strongest, 4) + 0.0))  # + 0.0: no -0.0
        cursor = word.end
    if cursor < len(explanation.text):
        pieces.append((explanation.text[cursor:], None))
    if explanation.hypothesis:
        pieces.append((f"   ⟶ read with: {explanation.hypothesis}", None))
    return pieces


def explanation_chart(explanation: Explanation, top: int = 15) -> go.Figure:
    """The `top` words by the size of their attribution (for in purple, against in red), and beside them the share of
    attention rollout each gets from the explained position."""
    words = sorted(explanation.words, key=lambda word: abs(word.attribution), reverse=True)[:top][::-1]
    labels = unique_labels([word.word for word in words])
    attributions = np.array([word.attribution for word in words], dtype=np.float32)
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "x": attributions,
            "y": labels,
            "marker": {"color": [FOR if value >= 0 else AGAINST for value in attributions]},
            "hovertemplate": "%{y}: %{x:.4f}<extra>attribution</extra>",
        },
        {
            "type": "bar",
            "orientation": "h",
            "x": np.array([word.attention for word in words], dtype=np.float32),
            "y": labels,
            "xaxis": "x2",
            "marker": {"color": MUTED},
            "hovertemplate": "%{y}: %{x:.1%}<extra>" + speak("attention rollout") + "</extra>",
        },
    ]
    layout = {
        "xaxis": {
            "domain": [0, 0.58],
            "title": {"text": speak("attribution: for (+) or against (−)")},
            "gridcolor": GRID,
        },
        "xaxis2": {
            "domain": [0.68, 1],
            "anchor": "y",
            "tickformat": ".0%",
            "title": {"text": speak("attention rollout")},
        },
        "yaxis": {"automargin": True},
        "showlegend": False,
    }
    title = speak("Why “{target}”: the strongest words", target=explanation.target)
    return plain_figure(traces, layout, title, 120 + 28 * len(words))


def attribution_note(explanation: Explanation) -> str:
    """Markdown: the method, how far Integrated Gradients is from adding up, and the caution about attention."""
    name = METHOD_NAMES.get(explanation.method, explanation.method)
    note = speak(
        "**{method}** attributions for **{target}**, summed over each word's pieces.",
        method=name,
        target=explanation.target,
    )
    if explanation.delta is not None and explanation.relative_delta is not None:
        note = speak(
            "**{method}** attributions for **{target}**, summed over each word's pieces. They add up to the change in "
            "the output from a baseline of padding tokens within {share} (convergence delta {delta}); more steps "
            "bring it closer.",
            method=name,
            target=explanation.target,
            share=f"{explanation.relative_delta:.1%}",
            delta=f"{explanation.delta:+.4f}",
        )
    if explanation.run.truncation:
        note += f"\n\n⚠️ {render(explanation.run.truncation.notice)}"
    return f"{note}\n\n{render(CAUTION)}"
