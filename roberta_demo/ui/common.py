"""What every tab shares: handlers wired to named outputs, failures turned into messages, the line that says who
answered, and loading progress."""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import gradio as gr
from gradio.blocks import Block
from gradio.components import Component
from gradio.helpers import Examples

from roberta_demo.catalog import Catalog
from roberta_demo.errors import ConfigError, EngineError, InputError, ModelLoadError, said
from roberta_demo.messages import Message, render, say, speak
from roberta_demo.results import RunInfo
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.i18n import _
from roberta_demo.ui.protocol import CANNOT_RUN, with_signature

__all__ = [
    "EXPLAIN_GPU_SECONDS",
    "FINE_TUNE_WORK",
    "LATEX",
    "MODEL_WORK",
    "UNEXPECTED",
    "GpuSeconds",
    "Handler",
    "TabParts",
    "data_table",
    "examples",
    "fine_tune_seconds",
    "friendly_errors",
    "highlight_css",
    "model_work",
    "on_gpu",
    "on_spaces",
    "reporting",
    "run_note",
    "runs_model",
    "table",
    "table_headers",
    "unchanged",
    "wire",
]

log = logging.getLogger(__name__)
# Failures no check foresaw, by handler: each is a bug (its traceback is in the log); tests assert none happen.
UNEXPECTED: Counter[str] = Counter()
# Markdown that typesets formulas: $$…$$ on a line of its own, $…$ inline. User text goes in as code spans.
LATEX: list[dict[str, str | bool]] = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]
F = TypeVar("F", bound=Callable[..., Any])
Handler = Callable[..., dict[Block, Any]]  # what Gradio calls: values keyed by the components they fill
GpuSeconds = int | Callable[..., int]  # a ZeroGPU duration: fixed, or computed from the call's arguments
EXPLAIN_GPU_SECONDS = 60  # attributions: up to 64 forward and backward passes, where a prediction takes one forward
# The concurrency group of every event that runs a model: the page's and the API's share the device's slots.
MODEL_WORK = "model"
FINE_TUNE_WORK = "fine-tune"  # one run at a time on the server, the page's and the API's together


@dataclass
class TabParts:
    """What the app needs from a tab: its notice and tasks, and its main text box and run event (deep links
    fill the one and trigger the other).

    views: what a deep link's `view=` opens in the tab, by name: the updates to make (a sub-tab, an option).
    on_page_load: run, with no inputs, each time the page loads, into `outputs` (the explainer's live figures).
    on_unload: run with the page's request when the page closes (to free what its session holds).
    fields: what a deep link may fill besides the text, by query parameter (`?tab=vectors&word=bank&text=…`).
    view_parameter: the query parameter that names a view (`?tab=how-it-works&step=4` for the tour's steps).
    runs_on_open: whether a deep link into the tab runs it without a text (on the text the tab shows), and the page
        runs it when it opens on this tab with no link (the tour draws its first step's view).
    """

    notice: gr.Markdown
    tasks: list[str]
    text: gr.Textbox
    run: Handler
    inputs: Sequence[Component]
    outputs: Sequence[Component]
    views: Mapping[str, Mapping[Block, Any]] = field(default_factory=dict)
    on_page_load: Handler | None = None
    on_unload: Callable[[gr.Request], None] | None = None
    fields: Mapping[str, Component] = field(default_factory=dict)
    view_parameter: str = "view"
    runs_on_open: bool = False


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
        rows,
        inputs=list(inputs),
        outputs=list(outputs),
        fn=handler,
        cache_examples=cached,
        cache_mode=mode,
        label=_("Examples"),
        api_visibility="private",
        **options,
    )
    return created


def highlight_css(colours: Iterable[str]) -> str:
    """Page styles that draw these highlight colours whole. Gradio's `HighlightedText` paints a span with its colour at
    half opacity, so on a dark page the colour darkens under dark type, and the palette's tested distances shrink by
    half; it writes the colour into each span's inline style, which is what these rules find."""
    rules = []
    for code in dict.fromkeys(colour.lower() for colour in colours):
        red, green, blue = (int(code[index : index + 2], 16) for index in (1, 3, 5))
        rules.append(
            f'.token[style*="rgba({red}, {green}, {blue}, 0.5)"]'
            f"{{background-color:rgb({red}, {green}, {blue}) !important}}"
        )
    return "\n".join(rules)


def code_view(source: str) -> gr.Markdown:
    """A few lines of Python to read beside a run (each training step), under its heading: Markdown's fenced block,
    highlighted by the Prism the page loads for Markdown anyway, with Markdown's copy button on the block. Not
    `gr.Code`: an editor (CodeMirror) is 125 kB of script on the first load for lines nobody edits, and its syntax
    colours fail WCAG contrast."""
    fenced = f"```python\n{source.rstrip()}\n```"
    return gr.Markdown(_("#### Each step, in PyTorch\n\n{code}", code=fenced), container=True, elem_classes="code-view")


def data_table(value: Any = None, **options: Any) -> gr.Dataframe:
    """A table on the page, without Gradio's copy button: it copies cells as they are, and a text that begins with
    `=` pasted into a spreadsheet is a live formula. The app's own downloads are made safe (`results.safe_csv`)."""
    return gr.Dataframe(value, buttons=["fullscreen"], **options)


def table_headers(names: Sequence[str]) -> list[str]:
    """An empty table's column names, for the page to show in its language (Gradio does not translate a table's
    headers: the page script does, assets/app.js)."""
    return [str(_(name)) for name in names]


def table(names: Sequence[str], rows: list[list[Any]]) -> dict[str, Any]:
    """A table's value: its rows, under column names in the language of the request (for the page and the API).
    The names are the catalogue's (the page's `table_headers` asks for each when it is built)."""
    return {"headers": [render(say(name)) for name in names], "data": rows}


def on_gpu(handler: F, duration: GpuSeconds = 20) -> F:
    """On a ZeroGPU Space, run `handler` with a GPU attached (`spaces.GPU`) for at most `duration` seconds (or what
    `duration(*args)` says for the call); elsewhere, unchanged. ZeroGPU schedules short declared durations first, so
    each handler declares what its work needs rather than the default minute."""
    try:
        import spaces  # present on Hugging Face Spaces only
    except ImportError:
        return handler
    return spaces.GPU(handler, duration=duration)  # type: ignore[no-any-return]


def fine_tune_seconds(steps: Any) -> int:
    """A fine-tuning run's GPU time: a minute to copy the model and evaluate it twice, then half a second a step."""
    return 60 + int(0.5 * (steps if isinstance(steps, (int, float)) else 30))


def _message(exc: Exception, handler: str) -> gr.Error:
    """The error a person sees: the failure's own message when it is one a person can act on, else a pointer to the
    server log (which has the traceback)."""
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, (InputError, ModelLoadError, EngineError, ConfigError)):
        return gr.Error(said(exc), title=render(CANNOT_RUN), print_exception=False)
    UNEXPECTED[handler] += 1
    log.exception("Unexpected failure in %s", handler, exc_info=exc)
    unexpected = say(
        "Something went wrong while running the model; the error is in the server log. Try again, or try a shorter "
        "text."
    )
    return gr.Error(render(unexpected), print_exception=False)


def friendly_errors(handler: F) -> F:
    """Show a clear message in the UI (and a clear error through the API) instead of a stack trace; streaming
    handlers (generators) too."""
    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def streamed(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from handler(*args, **kwargs)
            except Exception as exc:
                raise _message(exc, handler.__name__) from None

        return streamed  # type: ignore[return-value]

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except Exception as exc:
            raise _message(exc, handler.__name__) from None

    return wrapped  # type: ignore[return-value]


def wire(
    fn: Callable[..., Any], context: TaskContext | None, outputs: Mapping[str, Component], gpu_seconds: GpuSeconds = 20
) -> Handler:
    """The handler Gradio calls: `fn` (given `context` first, when there is one) returns its values by name, or
    yields them if it streams; they go to the components of the same name. Model work runs on a ZeroGPU GPU where
    there is one (for `gpu_seconds`); failures become messages.

    Gradio reads a handler's signature (how many inputs, which parameter takes a `gr.SelectData`, a `gr.Progress`),
    so the handler shows `fn`'s own signature, less the context it is given here.
    """
    run = on_gpu(fn, gpu_seconds) if context is not None else fn
    bound: Callable[..., Any] = functools.partial(run, context) if context is not None else run

    def named(values: Mapping[str, Any]) -> dict[Block, Any]:
        shown: dict[Block, Any] = {outputs[name]: render_if_said(value) for name, value in values.items()}
        return shown or unchanged(outputs.values())

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def handler(*args: Any, **kwargs: Any) -> Any:
            for values in bound(*args, **kwargs):
                yield named(values)

    else:

        @functools.wraps(fn)
        def handler(*args: Any, **kwargs: Any) -> Any:
            return named(bound(*args, **kwargs))

    if context is not None:
        # Python's own protocol (PEP 362), not Gradio's. `__wrapped__` cannot say it: `typing.get_type_hints`, which
        # Gradio uses to find a `gr.Request` parameter, follows it for the names' module, and a partial has none.
        signature = inspect.signature(fn)
        with_signature(handler, signature.replace(parameters=list(signature.parameters.values())[1:]))
    return runs_model(friendly_errors(handler)) if context is not None else friendly_errors(handler)


def render_if_said(value: Any) -> Any:
    """A handler's value as the component takes it: a `Message` written in the request's language, else as it is."""
    return render(value) if isinstance(value, Message) else value


def runs_model(handler: F) -> F:
    """Mark `handler` as model work: its events are in the `MODEL_WORK` concurrency group (`model_work`), which
    tests/ui/test_app.py checks."""
    handler.runs_model = True  # type: ignore[attr-defined]
    return handler


def model_work(catalog: Catalog) -> dict[str, Any]:
    """The listener arguments of an event whose handler runs a model (`runs_model`): the one concurrency group,
    `MODEL_WORK`, whose `catalog.concurrency` slots the page's and the API's model events share, so that together
    they never run more model work at once than the device takes (each event alone would get slots of its own).
    Every event of the group carries the limit: Gradio sizes a group by the smallest limit among its events, and an
    event that names none brings the default of one. Fine-tuning has its own group of one (`FINE_TUNE_WORK`)."""
    return {"concurrency_id": MODEL_WORK, "concurrency_limit": catalog.concurrency}


def unchanged(components: Iterable[Block]) -> dict[Block, Any]:
    """Leave every one of these components as it is (Gradio reads an empty dict as one value, not as none)."""
    return {component: gr.skip() for component in components}


def reporting(context: TaskContext, progress: Any) -> TaskContext:
    """The context, telling the page while a checkpoint loads for the first time (and downloads, tracked from its
    tqdm bars), rather than showing a silent spinner."""

    def announce(checkpoint: str) -> None:
        progress(
            0,
            desc=speak("Loading {checkpoint} (first use; downloading it if it is not cached)…", checkpoint=checkpoint),
        )

    return context.reporting(announce)


def run_note(run: RunInfo) -> str:
    """Markdown: which checkpoint answered, on which device, how fast; and any truncation."""
    milliseconds = f"{run.seconds * 1000:.0f}"
    note = speak(
        "Answered by `{checkpoint}` on **{device}** in **{ms} ms**.",
        checkpoint=run.checkpoint,
        device=run.device,
        ms=milliseconds,
    )
    if run.truncation:
        note += f"\n\n⚠️ {render(run.truncation.notice)}"
    return note
