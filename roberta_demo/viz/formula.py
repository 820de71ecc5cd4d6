"""The attention formula drawn step by step: the vectors as heat strips, q·k → ÷√d_k → softmax as three aligned bar
charts, and what each token adds to the output."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from roberta_demo.messages import render, say, speak
from roberta_demo.results import FormulaCapture, FormulaStep
from roberta_demo.viz.charts import ACCENT, GRID, MUTED, markdown_code, plain_figure, plotly_text, unique_labels

__all__ = ["formula_markdown", "output_chart", "score_bars", "vector_strips"]

DIVERGING = "RdBu"  # vector entries are signed: red below zero, blue above
_ROW = 18  # pixels per token row


def _labels(tokens: list[str], query: int) -> list[str]:
    """Token labels, the query marked, kept distinct for plotly (which merges equal labels)."""
    return unique_labels([f"▶ {token}" if index == query else token for index, token in enumerate(tokens)])


def _strip(z: np.ndarray, y: list[str], axis: str, scale: float, colorbar: bool) -> dict[str, Any]:
    return {
        "type": "heatmap",
        "z": np.round(z, 3).astype(np.float32),
        "y": y,
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "colorscale": DIVERGING,
        "zmid": 0,
        "zmin": -scale,
        "zmax": scale,
        "showscale": colorbar,
        "colorbar": {"thickness": 10, "len": 0.5},
        "hovertemplate": "%{y}, dimension %{x}: %{z:.3f}<extra></extra>",
    }


def vector_strips(step: FormulaStep, tokens: list[str]) -> go.Figure:
    """The query vector q of the chosen token on top, and every token's key vector k below: d_k numbers each."""
    scale = float(max(np.abs(step.keys).max(), np.abs(step.q).max(), 1e-6))
    query = f"q of “{plotly_text(tokens[step.query])}”"
    traces = [
        _strip(step.q[None, :], [query], "", scale, colorbar=False),
        _strip(step.keys, [f"k {label}" for label in _labels(tokens, step.query)], "2", scale, colorbar=True),
    ]
    share = 1 / (len(tokens) + 3)
    layout = {
        "xaxis": {"anchor": "y", "showticklabels": False},
        "xaxis2": {"anchor": "y2", "title": {"text": speak("dimension (d_k = {dk})", dk=step.d_k)}},
        "yaxis": {"domain": [1 - 1.5 * share, 1], "automargin": True},
        "yaxis2": {"domain": [0, 1 - 2.5 * share], "autorange": "reversed", "automargin": True, "dtick": 1},
        "margin": {"l": 10, "r": 10, "t": 50, "b": 40},
    }
    title = speak("The query and the keys, head {head}", head=step.head)
    return plain_figure(traces, layout, title, 160 + _ROW * len(tokens))


def _bars(values: np.ndarray, labels: list[str], axis: str, highlight: int, fmt: str) -> dict[str, Any]:
    colours = [ACCENT if index == highlight else MUTED for index in range(len(values))]
    return {
        "type": "bar",
        "orientation": "h",
        "x": np.round(values, 4).astype(np.float32),
        "y": labels,
        "xaxis": f"x{axis}",
        "yaxis": "y",
        "marker": {"color": colours},
        "hovertemplate": f"%{{y}}: %{{x:{fmt}}}<extra></extra>",
    }


def score_bars(step: FormulaStep, tokens: list[str]) -> go.Figure:
    """q·k for every token, then divided by √d_k, then the softmax: three bar charts on one token axis, so a large
    score visibly becomes most of the weight."""
    labels, best = _labels(tokens, step.query), int(np.argmax(step.weights))
    root = np.sqrt(step.d_k)
    traces = [
        _bars(step.scores, labels, "", best, ".2f"),
        _bars(step.scaled, labels, "2", best, ".2f"),
        _bars(step.weights, labels, "3", best, ".1%"),
    ]
    titles = ["q · k", f"÷ √{step.d_k} = ÷ {root:.3g}", speak("softmax: the weights")]
    layout: dict[str, Any] = {
        "yaxis": {"autorange": "reversed", "automargin": True, "dtick": 1},
        "showlegend": False,
        "margin": {"l": 10, "r": 20, "t": 125, "b": 30},  # the title, then the three charts' titles and ticks
    }
    for index, title in enumerate(titles):
        axis = "" if index == 0 else str(index + 1)
        layout[f"xaxis{axis}"] = {
            "domain": [index / 3 + 0.02, (index + 1) / 3 - 0.02],
            "anchor": "y",
            "side": "top",
            "title": {"text": title},
            "gridcolor": GRID,
            "zeroline": True,
            **({"range": [0, 1], "tickformat": ".0%"} if index == 2 else {}),
        }
    query = plotly_text(tokens[step.query])
    title = speak("Where “{query}” looks, step by step", query=query)
    return plain_figure(traces, layout, title, 185 + _ROW * len(tokens))


def output_chart(step: FormulaStep, tokens: list[str]) -> go.Figure:
    """What each token adds to the output (weight × ‖v‖), and the output itself: Σ weight · v, beside the vector the
    model's attention module returned."""
    labels, top = _labels(tokens, step.query), step.top_contributor
    scale = float(max(np.abs(step.model_output).max(), 1e-6))
    strips = np.stack([step.output, step.model_output])
    traces = [
        {**_bars(step.contributions, labels, "", top, ".3f"), "yaxis": "y"},
        _strip(
            strips, [speak("Σ weight · v (computed here)"), speak("the model's output")], "2", scale, colorbar=False
        ),
    ]
    share = 1 / (len(tokens) + 6)
    layout = {
        "xaxis": {"anchor": "y", "title": {"text": speak("weight × ‖v‖")}, "gridcolor": GRID},
        "yaxis": {"domain": [0, 1 - 5 * share], "autorange": "reversed", "automargin": True, "dtick": 1},
        "xaxis2": {"anchor": "y2", "showticklabels": False},
        "yaxis2": {"domain": [1 - 3 * share, 1], "automargin": True, "autorange": "reversed"},
        "showlegend": False,
        "margin": {"l": 10, "r": 20, "t": 50, "b": 40},
    }
    title = speak("The output: mostly “{token}”", token=plotly_text(tokens[top]))
    return plain_figure(traces, layout, title, 200 + _ROW * len(tokens))


# The formula itself is the same in every language; the sentences around it are the catalogue's.
ATTENTION_FORMULA = "$$\\text{Attention}(Q, K, V) = \\text{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right) V$$"


def formula_markdown(captured: FormulaCapture, step: FormulaStep, language: str | None = None) -> str:
    """The formula typeset (LaTeX in Markdown) with this model's numbers, and the check against the model, in
    `language` (default: the request's). In the templates `{per_head}` is d_k's value: `\\sqrt{d_k}` is LaTeX."""
    heads = captured.num_heads
    numbers = say(
        "Layer {layer}, head {head} (of {heads}): each head works on $d_k = {hidden} / {heads} = {per_head}$ "
        "numbers per token. For the query token {token} (position {query}), its weight on token $j$ is "
        "$a_j = \\text{softmax}_j\\left(\\frac{q \\cdot k_j}{\\sqrt{{per_head}}}\\right)$, and its output is "
        "$\\sum_j a_j v_j$.",
        layer=captured.layer,
        head=step.head,
        heads=heads,
        hidden=captured.hidden_size,
        per_head=step.d_k,
        token=markdown_code(captured.tokens[step.query]),
        query=step.query,
    )
    check = say(
        "**Check:** the softmax computed here from the captured q and k and the attention weights the model "
        "returned {agreement} each other: largest difference {difference}.",
        agreement=say("equal") if step.max_difference <= 1e-5 else say("differ from"),
        difference=f"{step.max_difference:.1e}",
    )
    return "\n\n".join([ATTENTION_FORMULA, render(numbers, language), render(check, language)])
