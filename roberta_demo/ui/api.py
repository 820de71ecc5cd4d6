"""Endpoints for programs (and, over MCP, for agents): plain JSON in and out, each a typed function whose docstring
documents it. The tabs' own events serve the page."""

from __future__ import annotations

from typing import Any

import gradio as gr

from roberta_demo.tasks import explain as explain_task
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.common import friendly_errors

__all__ = ["data_endpoints"]


def data_endpoints(context: TaskContext) -> None:
    """Register the data endpoints on the Blocks being built."""

    def explain(
        text: str,
        task: str = "sentiment",
        target: str | None = None,
        method: str = "grad_x_input",
        steps: int = 32,
        labels: str | None = None,
        checkpoint: str | None = None,
    ) -> dict[str, Any]:
        """Which words of a text made a model give an answer: captum attributions on the input embeddings.

        Args:
            text: the text to explain.
            task: sentiment, emotion, topic, zero_shot or ner.
            target: the class (sentiment, emotion, topic) or candidate label (zero_shot) to explain, or for ner the
                entity's text or start offset; empty for the model's own answer (ner: the first entity).
            method: grad_x_input (one backward pass) or integrated_gradients.
            steps: Integrated Gradients steps, 8 to 64.
            labels: zero_shot's candidate labels, comma-separated.
            checkpoint: one of the checkpoints configured for the task; empty for the default.

        Returns:
            {"words": [{"word", "start", "end", "attribution"}], "target", "method", "delta"}: each word of the text
            (`text[start:end] == word`) with its attribution (for the target if positive), what was explained, the
            method, and Integrated Gradients' convergence delta (null for grad_x_input).
        """
        result = explain_task.explain(context, text, task, target, method, steps, labels, checkpoint or None)
        words = [{"word": w.word, "start": w.start, "end": w.end, "attribution": w.attribution} for w in result.words]
        return {"words": words, "target": result.target, "method": result.method, "delta": result.delta}

    gr.api(friendly_errors(explain), api_name="explain")
