"""Endpoints for programs (and, over MCP, for agents): plain JSON in and out, each a typed function whose docstring
documents it. The tabs' own events serve the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from roberta_demo.results import FineTuned
from roberta_demo.tasks import explain as explain_task
from roberta_demo.tasks import finetune
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

    def fine_tune(
        examples: dict[str, Any],
        held_out: dict[str, Any] | None = None,
        checkpoint: str | None = None,
        steps: int = 30,
        learning_rate: float = 5e-5,
        batch_size: int = 8,
        max_tokens: int = 64,
        seed: int = 0,
        top_layers_only: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Fine-tune a RoBERTa classifier on a few labelled examples and report how it learned.

        Streams {"step", "steps", "losses"} after every step, then the report as the final output (what
        `Client.predict` returns). A client that goes away ends the run after the step under way.

        Args:
            examples: a table {"headers": ["text", "label"], "data": [[text, label], ...]}.
            held_out: examples kept out of training to measure generalisation, in the same form; empty: about a
                quarter of each label's training examples are held out.
            checkpoint: the base model, one of those configured for fine-tuning; empty for the default.
            steps: optimizer steps (1 to the server's limit, 500 by default).
            learning_rate: AdamW's learning rate, above 0 and at most 0.01.
            batch_size: examples per step.
            max_tokens: tokens kept of each text.
            seed: for the shuffling, the held-out split and the new head.
            top_layers_only: train only the top two layers and the head (several times faster on a CPU).

        Returns:
            {"losses": [one per step], "accuracy_before": {"train", "held_out"}, "accuracy_after": {"train",
            "held_out"}, "predictions": [{"text", "label", "held_out", "before", "after", "confidence"}]}. The
            fine-tuned model itself is not kept for API calls.
        """
        read = finetune.read_examples(examples, held_out, context.limits, seed)
        recipe = finetune.Recipe(steps, learning_rate, batch_size, max_tokens, seed, top_layers_only)
        for update in finetune.train(context, read, recipe, checkpoint or None):
            if isinstance(update, FineTuned):
                context.release(update.key)
                yield _training_report(update)
            else:
                yield {"step": update.step, "steps": update.steps, "losses": update.losses}

    # One run at a time on this server, shared with the page's Train button.
    gr.api(friendly_errors(fine_tune), api_name="fine_tune", concurrency_limit=1, concurrency_id="fine-tune")


def _training_report(result: FineTuned) -> dict[str, Any]:
    first, last = result.update.accuracy[0], result.update.accuracy[-1]
    predictions = [
        {
            "text": v.text,
            "label": v.label,
            "held_out": v.held_out,
            "before": v.before,
            "after": v.after,
            "confidence": v.after_confidence,
        }
        for v in result.verdicts
    ]
    return {
        "losses": result.update.losses,
        "accuracy_before": {"train": first[1], "held_out": first[2]},
        "accuracy_after": {"train": last[1], "held_out": last[2]},
        "predictions": predictions,
        "stopped": result.update.stopped,
    }
