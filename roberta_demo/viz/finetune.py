"""Fine-tuning drawn: the loss falling step by step, accuracy along the way, every example before and after, and
where the model's `<s>` looks before and after."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from roberta_demo.messages import Message, speak
from roberta_demo.results import FineTuned, TrainingUpdate
from roberta_demo.viz.charts import ACCENT, GRID, MUTED, plain_figure, plotly_text, unique_labels

__all__ = ["attention_comparison", "loss_chart", "progress_note", "stopped_note", "verdict_rows"]

HELD_OUT = "#10b981"


def loss_chart(update: TrainingUpdate | None) -> go.Figure:
    """The training loss of every step (left axis) and the accuracy checks (right axis, training and held-out)."""
    losses = update.losses if update else []
    steps = update.steps if update else 1
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": list(range(1, len(losses) + 1)),
            "y": losses,
            "name": "loss",
            "line": {"color": ACCENT, "width": 3},
            "marker": {"size": 5},
        },
    ]
    checks = update.accuracy if update else []
    traces.append(_accuracy_trace([(c[0], c[1]) for c in checks], "accuracy, training", MUTED))
    held = [(c[0], c[2]) for c in checks if c[2] is not None]
    if held:
        traces.append(_accuracy_trace(held, "accuracy, held out", HELD_OUT))
    layout = {
        "xaxis": {"title": {"text": "step"}, "range": [0, steps + 0.5], "gridcolor": GRID, "automargin": True},
        "yaxis": {"title": {"text": "training loss"}, "rangemode": "tozero", "gridcolor": GRID, "automargin": True},
        "yaxis2": {
            "title": {"text": "accuracy"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.05],
            "tickformat": ".0%",
            "showgrid": False,
            "automargin": True,
        },
        "legend": {"orientation": "h", "y": -0.25},
    }
    return plain_figure(traces, layout, speak("The loss, step by step"), 420)


def _accuracy_trace(points: list[tuple[int, float]], name: str, color: str) -> dict[str, Any]:
    """A dotted line of (step, accuracy) points on the right-hand axis."""
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [step for step, _ in points],
        "y": [accuracy for _, accuracy in points],
        "name": name,
        "yaxis": "y2",
        "line": {"color": color, "dash": "dot"},
    }


def progress_note(update: TrainingUpdate) -> str:
    """Markdown: where the run is, how fast, and the latest accuracy."""
    step, held = update.accuracy[-1], update.accuracy[-1][2]
    values = {
        "step": update.step,
        "steps": update.steps,
        "loss": f"{update.losses[-1]:.3f}",
        "seconds": f"{update.seconds:.1f}",
        "rate": f"{update.steps_per_second:.3g}",
        "at": step[0],
        "train": f"{step[1]:.0%}",
    }
    note = speak(
        "Step **{step} / {steps}** · loss **{loss}** · {seconds} s · {rate} steps/s · accuracy at step {at}: "
        "training **{train}**",
        **values,
    )
    if held is not None:
        note = speak(
            "Step **{step} / {steps}** · loss **{loss}** · {seconds} s · {rate} steps/s · accuracy at step {at}: "
            "training **{train}**, held out **{held}**",
            **values,
            held=f"{held:.0%}",
        )
    return note + stopped_note(update.stopped)


def stopped_note(stopped: Message | None) -> str:
    """Markdown: why a training run ended early (nothing if it did not)."""
    if stopped is None:
        return ""
    return "\n\n⏹ " + speak("Training ended early: {why}. The model trained so far is kept.", why=stopped)


def verdict_rows(result: FineTuned) -> list[list[Any]]:
    """Table rows: text, set, label, before (confidence), after (confidence), changed."""
    return [
        [
            v.text,
            speak("held out") if v.held_out else speak("training"),
            v.label,
            f"{v.before} ({v.before_confidence:.0%})",
            f"{v.after} ({v.after_confidence:.0%})" if v.after is not None else "",
            (speak("✔ now right") if v.after == v.label else speak("✘ now wrong")) if v.changed else "",
        ]
        for v in result.verdicts
    ]


def attention_comparison(tokens: list[str], before: np.ndarray, after: np.ndarray) -> go.Figure:
    """Where `<s>` (whose final vector the classifier reads) looks after the last layer: base model and fine-tuned."""
    labels = unique_labels([token.replace("Ġ", " ").strip() or "␣" for token in tokens])
    traces = [
        {"type": "bar", "name": "base model", "x": labels, "y": np.round(before, 4), "marker": {"color": MUTED}},
        {"type": "bar", "name": "fine-tuned", "x": labels, "y": np.round(after, 4), "marker": {"color": ACCENT}},
    ]
    # The title on its own line, the legend under it, the axis title clear of its ticks: readable in a narrow column.
    layout = {
        "barmode": "group",
        "margin": {"l": 10, "r": 10, "t": 90, "b": 40},
        "yaxis": {
            "title": {"text": plotly_text(speak("attention rollout from <s>")), "standoff": 12},
            "tickformat": ".0%",
            "gridcolor": GRID,
            "automargin": True,
        },
        "xaxis": {"tickangle": -45, "automargin": True},
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
    }
    return plain_figure(traces, layout, plotly_text(speak("Where <s> looks, before and after")), 420)
