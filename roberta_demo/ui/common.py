"""What every tab shares: turning failures into messages, and the line that says who answered."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from roberta_demo.backend import Backend, ModelLoadError, is_local_checkpoint
from roberta_demo.tasks.common import InputError, RunInfo

__all__ = ["TabParts", "announce_loading", "concurrency", "examples", "friendly_errors", "missing_notice", "on_gpu",
           "on_spaces", "run_note", "short_name"]

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class TabParts:
    """What the app needs from a tab: its notice, its tasks, and its main text box and run event (deep links
    fill the one and trigger the other)."""

    notice: gr.Markdown
    tasks: list[str]
    text: gr.Textbox
    run: Callable[..., Any]
    inputs: list[Any]
    outputs: list[Any]


def on_spaces() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def examples(rows: list[list], inputs: list[Any], handler: Callable[..., Any], outputs: list[Any],
             **options: Any) -> gr.Examples:  # fmt: skip
    """Examples that fill the inputs. On a Space their outputs are cached lazily: each is computed once, on its
    first click, so the first visitor does not wait for all of them at start-up."""
    cached = on_spaces()
    return gr.Examples(rows, inputs=inputs, outputs=outputs, fn=handler, cache_examples=cached,
                       cache_mode="lazy" if cached else None, **options)  # fmt: skip


def on_gpu(handler: F) -> F:
    """On a ZeroGPU Space, run `handler` with a GPU attached (`spaces.GPU`); elsewhere, unchanged."""
    try:
        import spaces  # present on Hugging Face Spaces only
    except ImportError:
        return handler
    return spaces.GPU(handler)


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


def short_name(checkpoint: str) -> str:
    return f"{Path(checkpoint).name} (local)" if is_local_checkpoint(checkpoint) else checkpoint


def announce_loading(backend: Backend, task: str, checkpoint: str | None, progress: Any) -> None:
    """Say so in the tab while a checkpoint loads for the first time (and downloads, tracked from its tqdm bars),
    rather than showing a silent spinner."""
    chosen = backend.checkpoint_for(task, checkpoint or None)
    if not backend.is_loaded(chosen):
        progress(0, desc=f"Loading {short_name(chosen)} (first use; downloading it if it is not cached)…")


def run_note(run: RunInfo) -> str:
    """Markdown: which checkpoint answered, on which device, how fast; and any truncation."""
    note = f"Answered by `{short_name(run.checkpoint)}` on **{run.device}** in **{run.seconds * 1000:.0f} ms**."
    if run.truncation:
        note += f"\n\n⚠️ {run.truncation.notice}"
    return note


def missing_notice(backend: Backend, tasks: list[str]) -> str:
    """Markdown naming each checkpoint this tab needs that is not available offline, and how to get it."""
    needed = {c for task in tasks for c in backend.profile.models(task).checkpoints}
    messages = [message for checkpoint, message in backend.missing().items() if checkpoint in needed]
    return "\n".join(f"⚠️ {message}" for message in messages)
