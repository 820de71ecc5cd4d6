"""What every tab shares: handlers wired to named outputs, failures turned into messages, the line that says who
answered, and loading progress."""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import gradio as gr
from gradio.blocks import Block
from gradio.components import Component
from gradio.helpers import Examples

from roberta_demo.config import ConfigError
from roberta_demo.errors import InputError, ModelLoadError
from roberta_demo.hub import display_name
from roberta_demo.results import RunInfo
from roberta_demo.tasks.common import TaskContext

__all__ = [
    "LATEX",
    "Handler",
    "TabParts",
    "examples",
    "friendly_errors",
    "on_gpu",
    "on_spaces",
    "reporting",
    "run_note",
    "unchanged",
    "wire",
]

log = logging.getLogger(__name__)
# Markdown that typesets formulas: $$…$$ on a line of its own, $…$ inline. User text goes in as code spans.
LATEX: list[dict[str, str | bool]] = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]
F = TypeVar("F", bound=Callable[..., Any])
Handler = Callable[..., dict[Block, Any]]  # what Gradio calls: values keyed by the components they fill


@dataclass
class TabParts:
    """What the app needs from a tab: its notice and tasks, and its main text box and run event (deep links
    fill the one and trigger the other).

    views: what a deep link's `view=` opens in the tab, by name: the updates to make (a sub-tab, an option).
    on_page_load: run, with no inputs, each time the page loads, into `outputs` (the explainer's live figures).
    """

    notice: gr.Markdown
    tasks: list[str]
    text: gr.Textbox
    run: Handler
    inputs: Sequence[Component]
    outputs: Sequence[Component]
    views: Mapping[str, Mapping[Block, Any]] = field(default_factory=dict)
    on_page_load: Handler | None = None


def on_spaces() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def examples(
    rows: list[list[Any]],
    inputs: Sequence[Component],
    handler: Handler,
    outputs: Sequence[Component],
    **options: Any,
) -> Examples:
    """Examples that fill the inputs. On a Space their outputs are cached lazily: each is computed once, on its
    first click, so the first visitor does not wait for all of them at start-up."""
    cached = on_spaces()
    mode: Literal["lazy"] | None = "lazy" if cached else None
    created: Examples = gr.Examples(  # gradio leaves `Examples`'s constructor function unannotated
        rows, inputs=list(inputs), outputs=list(outputs), fn=handler, cache_examples=cached, cache_mode=mode, **options
    )
    return created


def on_gpu(handler: F) -> F:
    """On a ZeroGPU Space, run `handler` with a GPU attached (`spaces.GPU`); elsewhere, unchanged."""
    try:
        import spaces  # present on Hugging Face Spaces only
    except ImportError:
        return handler
    return spaces.GPU(handler)  # type: ignore[no-any-return]


def friendly_errors(handler: F) -> F:
    """Show a clear message in the UI (and a clear error through the API) instead of a stack trace."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except (InputError, ModelLoadError, ConfigError) as exc:
            raise gr.Error(str(exc), title="Cannot run this", print_exception=False) from None
        except Exception:
            log.exception("Unexpected failure in %s", getattr(handler, "__name__", handler))
            raise gr.Error(
                "Something went wrong while running the model; the error is in the server log. Try again, "
                "or try a shorter text.",
                print_exception=False,
            ) from None

    return wrapped  # type: ignore[return-value]


def wire(
    fn: Callable[..., Mapping[str, Any]], context: TaskContext | None, outputs: Mapping[str, Component]
) -> Handler:
    """The handler Gradio calls: `fn` (given `context` first, when there is one) returns its values by name; they
    go to the components of the same name. Model work runs on a ZeroGPU GPU where there is one; failures become
    messages.

    Gradio reads a handler's signature (how many inputs, which parameter takes a `gr.SelectData`, a `gr.Progress`),
    so the handler shows `fn`'s own signature, less the context it is given here.
    """
    run = on_gpu(fn) if context is not None else fn

    @functools.wraps(fn)
    def named(*args: Any, **kwargs: Any) -> dict[Block, Any]:
        values = run(context, *args, **kwargs) if context is not None else run(*args, **kwargs)
        return {outputs[name]: value for name, value in values.items()} or unchanged(outputs.values())

    if context is not None:
        signature = inspect.signature(fn)
        named.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])  # type: ignore[attr-defined]
    return friendly_errors(named)


def unchanged(components: Iterable[Block]) -> dict[Block, Any]:
    """Leave every one of these components as it is (Gradio reads an empty dict as one value, not as none)."""
    return {component: gr.skip() for component in components}


def reporting(context: TaskContext, progress: Any) -> TaskContext:
    """The context, telling the page while a checkpoint loads for the first time (and downloads, tracked from its
    tqdm bars), rather than showing a silent spinner."""

    def announce(checkpoint: str) -> None:
        progress(0, desc=f"Loading {display_name(checkpoint)} (first use; downloading it if it is not cached)…")

    return context.reporting(announce)


def run_note(run: RunInfo) -> str:
    """Markdown: which checkpoint answered, on which device, how fast; and any truncation."""
    note = f"Answered by `{display_name(run.checkpoint)}` on **{run.device}** in **{run.seconds * 1000:.0f} ms**."
    if run.truncation:
        note += f"\n\n⚠️ {run.truncation.notice}"
    return note
