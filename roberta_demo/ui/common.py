"""What every tab shares: turning failures into messages, and the line that says who answered."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from roberta_demo.backend import Backend, ModelLoadError, is_local_checkpoint
from roberta_demo.tasks.common import InputError, RunInfo

__all__ = ["concurrency", "friendly_errors", "missing_notice", "run_note"]

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(handler: F) -> F:
    """Show a clear message in the UI (and a clear error through the API) instead of a stack trace."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except (InputError, ModelLoadError, ValueError) as exc:
            raise gr.Error(str(exc), title="Cannot run this", print_exception=False) from None
        except Exception:
            log.exception("Unexpected failure in %s", getattr(handler, "__name__", handler))
            raise gr.Error(
                "Something went wrong while running the model; the error is in the server log. Try again, "
                "or try a shorter text.",
                print_exception=False,
            ) from None

    return wrapped  # type: ignore[return-value]


def concurrency(backend: Backend) -> int:
    """Requests an endpoint lets through at once: with dynamic batching, enough to fill a batch (the backend
    merges them into one forward pass); without it, one at a time."""
    return backend.max_batch_size if backend.batching else 1


def run_note(run: RunInfo) -> str:
    """Markdown: which checkpoint answered, on which device, how fast; and any truncation."""
    name = f"{Path(run.checkpoint).name} (local)" if is_local_checkpoint(run.checkpoint) else run.checkpoint
    note = f"Answered by `{name}` on **{run.device}** in **{run.seconds * 1000:.0f} ms**."
    if run.truncation:
        note += f"\n\n⚠️ {run.truncation.notice}"
    return note


def missing_notice(backend: Backend, tasks: list[str]) -> str:
    """Markdown naming each checkpoint this tab needs that is not available offline, and how to get it."""
    needed = {c for task in tasks for c in backend.profile.models(task).checkpoints}
    messages = [message for checkpoint, message in backend.missing().items() if checkpoint in needed]
    return "\n".join(f"⚠️ {message}" for message in messages)
