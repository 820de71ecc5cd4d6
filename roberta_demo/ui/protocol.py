"""How the app's Gradio server treats requests: refusals that name the problem, and sessions that do not grow.

Gradio's own checks raise plain exceptions, which it hides from the client (`{"error": null}`) unless the server shows
every error, tracebacks' messages included. Here too few values (plain HTTP does not fill in defaults as gradio_client
does) get their defaults, and the ones a caller can fix become `gr.Error` messages: a required value missing, a file
path the server did not hand out; an unknown endpoint name is a 404 rather than a 500.

Gradio lets a caller run any event by its name (`POST /gradio_api/call/<name>`), `api_visibility="private"` ones too:
that only hides them from the API page and the client libraries. Here the events that exist only for the page (a CSV
loaded into a table, a toggle, Gradio's own examples and share button) are private, and a call by name to one is
answered as a call to an endpoint that does not exist. The page itself runs them by their index, over the queue.

This is the one module that reaches into Gradio past its public API (checked on gradio 6.31, the range
requirements.txt pins; tests/ui/test_gradio_surface.py fails, naming the use, when an upgrade removes one). Each use,
and why there is no public way (none has an upstream issue of its own that we found):

- `DemoBlocks` overrides `validate_inputs`, `preprocess_data`, `postprocess_data` and `process_api`: Gradio's own
  value checks raise plain exceptions, shown as `{"error": null}`; its queue offers no hook between a request and its
  handler where the request's language can be set; and a `gr.update` re-adds its component to the session under a new
  id (`block._id` in `state.blocks_config`) on every request, growing the session without bound.
- `lighten_new_sessions` gives component constructors their `__signature__` and marks `bokeh` absent in
  `sys.modules`: Gradio builds each new session's description with `inspect.signature` and a failed `import bokeh`
  per plot, half the server's CPU under load.
- `with_signature` sets a handler's `__signature__` (PEP 362, which `inspect.signature` honours): Gradio maps an
  event's inputs to a handler's parameters, finds its `gr.Request`, `gr.Progress` or `gr.SelectData` parameter, and
  builds a `gr.api` endpoint's types and MCP schema from `inspect.signature` and the hints, with no argument to say
  them otherwise. A tab's handler with its task context bound (`ui.common.wire`) and a data endpoint declared from
  its parameters (`ui.api.declared`) need it; `__wrapped__` cannot say it, since `typing.get_type_hints` follows it
  into a `functools.partial`, which has no module to resolve the hints in.
- `keep_page_events_private` sets `api_visibility` on `demo.fns`: `gr.DeepLinkButton` registers a callable event with
  no such argument.
- `refuse_new_work`, `work_under_way` and `answers_pending` read `demo._queue` (its `max_size`, active workers,
  pending events): Gradio has no graceful stop (`demo.close()` drops the runs under way), so `cli.drain` needs them.
"""

from __future__ import annotations

import html
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import gradio as gr
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from gradio.components.api_component import Api
from gradio.exceptions import InvalidPathError
from gradio.route_utils import FnIndexInferError
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.gzip import GZipMiddleware

from roberta_demo.errors import InputError, said, shown
from roberta_demo.messages import render, say
from roberta_demo.ui import params
from roberta_demo.ui.i18n import LANGUAGE, request_language

CANNOT_RUN = say("Cannot run this")  # the title over a message a person can act on

__all__ = [
    "CANNOT_RUN",
    "EXCEPTION_HANDLERS",
    "MIDDLEWARE",
    "DemoBlocks",
    "PageLanguage",
    "PageOnlyEvents",
    "answers_pending",
    "keep_page_events_private",
    "lighten_new_sessions",
    "refuse_new_work",
    "work_under_way",
]

# Parameters Gradio fills in itself, never sent by a caller.
_INJECTED = ("Request", "Progress", "SelectData", "EventData")


def _parameters(fn: Any) -> list[inspect.Parameter]:
    """The parameters a caller sends values for, in order (what the API page lists): Gradio injects the rest."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p
        for p in parameters
        if not any(kind in str(p.annotation) for kind in _INJECTED) and p.name not in ("progress", "request")
    ]


_NONE = object()  # no default: the caller must send a value


def _default(block: Any, parameter: inspect.Parameter | None) -> Any:
    """What a missing value becomes: a data endpoint's (`gr.api`) parameter default, a page component's value."""
    if isinstance(block, Api):
        return _NONE if parameter is None or parameter.default is parameter.empty else parameter.default
    return block.value


F = TypeVar("F", bound=Callable[..., Any])


def with_signature(fn: F, signature: inspect.Signature) -> F:
    """`fn`, which Gradio will read as taking `signature`'s parameters (see the module's docstring)."""
    fn.__signature__ = signature  # type: ignore[attr-defined]
    return fn


def lighten_new_sessions(demo: gr.Blocks) -> None:
    """Make the description of the app that Gradio builds for each new session (each page load, each plain HTTP call
    without a session) cheaper, leaving what it describes unchanged. Measured under load, these were half the
    server's CPU:

    - every component's constructor signature, which `inspect.signature` computes afresh unless the function carries
      `__signature__`: given once here;
    - `gr.Plot` tries `import bokeh` for each plot; absent, the failed import searches the disk every time: marked as
      absent in `sys.modules`, where Python's import looks first.
    """
    classes = {cls for block in demo.blocks.values() for cls in type(block).__mro__}
    for cls in classes:
        constructor = cls.__dict__.get("__init__")
        if inspect.isfunction(constructor) and "__signature__" not in constructor.__dict__:
            constructor.__signature__ = inspect.signature(constructor)  # type: ignore[attr-defined]
    if "bokeh" not in sys.modules and importlib.util.find_spec("bokeh") is None:
        sys.modules["bokeh"] = None  # type: ignore[assignment]  # Python's own mark for "no such module"


class DemoBlocks(gr.Blocks):
    """`gr.Blocks` whose checks of a request's values answer in words a caller can act on."""

    def validate_inputs(self, block_fn: Any, inputs: list[Any]) -> None:
        """Too few values (plain HTTP sends what the caller wrote, and gradio_client only fills in the defaults of
        the endpoints the API page lists): each missing value gets its default, as gradio_client would fill it in:
        a data endpoint's parameter default, a page component's initial value. If one without a default is
        missing, the message names it and the order of them all."""
        wanted = len(block_fn.inputs)
        if len(inputs) >= wanted:
            return
        parameters = _parameters(block_fn.fn)
        parameters = parameters if len(parameters) == wanted else []
        defaults = [_default(block, parameters[i] if parameters else None) for i, block in enumerate(block_fn.inputs)]
        missing = range(len(inputs), wanted)
        required = [parameters[i].name if parameters else f"value {i + 1}" for i in missing if defaults[i] is _NONE]
        if not required:
            inputs.extend(defaults[i] for i in missing)
            return
        names = [p.name for p in parameters] or [f"value {i + 1}" for i in range(wanted)]
        endpoint = f"/{block_fn.api_name}" if block_fn.api_name else render(say("This event"))
        message = say(
            "{endpoint} takes {wanted} values, in this order: {names}; the request sent {sent}, without {required}. "
            "Send at least the values without a default (the API page lists them).",
            endpoint=endpoint,
            wanted=wanted,
            names=", ".join(names),
            sent=len(inputs),
            required=", ".join(required),
        )
        raise gr.Error(render(message), title=render(say("Missing values")), print_exception=False)

    async def process_api(self, *args: Any, **kwargs: Any) -> Any:
        """Gradio's own, in the language of the request (`ui.i18n.LANGUAGE`, for the messages and notes the server
        writes): the handler's thread inherits it.

        The page shows a refusal as HTML (Gradio's toast renders `gr.Error` messages as markup), where `<mask>` in
        "Put <mask> where a word should be predicted" would be a tag, and the rest of the message would vanish with
        it: a page event's message goes out HTML-escaped, so the page shows it as written. A data endpoint's message
        is for a program, and stays plain text."""
        request = kwargs.get("request", args[3] if len(args) > 3 else None)
        block_fn = kwargs.get("block_fn", args[0] if args else None)
        first = request[0] if isinstance(request, list) and request else request
        token = LANGUAGE.set(request_language(first))
        try:
            return await super().process_api(*args, **kwargs)
        except gr.Error as refusal:
            if getattr(block_fn, "preprocess", False):  # a page event (data endpoints take their values as sent)
                refusal.message = html.escape(str(refusal.message), quote=False)
            raise
        finally:
            LANGUAGE.reset(token)

    async def postprocess_data(self, block_fn: Any, predictions: Any, state: Any) -> Any:
        """Gradio's own postprocessing, then the session's updated components given their original ids.

        A `gr.update` (a slider's new maximum, a dropdown's new choices) replaces the component in the session's
        state by a new instance, with a new id; the next request that reads it adds it again under that new id. So
        every update grew the session by a component and its config, for as long as the session lived (measured:
        +2 entries per attention request). Under its original id the replacement is found again, not added again.
        """
        output = await super().postprocess_data(block_fn, predictions, state)
        if state is not None:
            for block in block_fn.outputs:
                replacement = state.blocks_config.blocks.get(block._id)
                if replacement is not None and replacement is not block:
                    replacement._id = block._id
        return output

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], state: Any, *args: Any, **kwargs: Any) -> Any:
        """Gradio's own, after the page's values are checked as the data endpoints' are (`page_values_checked`)."""
        if block_fn.preprocess:
            self.validate_inputs(block_fn, inputs)
            try:
                page_values_checked(block_fn, inputs, state)
            except InputError as wrong:
                raise gr.Error(said(wrong), title=render(CANNOT_RUN), print_exception=False) from None
        try:
            return await super().preprocess_data(block_fn, inputs, state, *args, **kwargs)
        except InvalidPathError as exc:
            unknown = say(
                "{gradio} Upload it first (POST /gradio_api/upload) and send the path that returns.", gradio=exc
            )
            raise gr.Error(render(unknown), title=render(say("Unknown file")), print_exception=False) from None


def keep_page_events_private(demo: gr.Blocks, callable_names: Collection[str]) -> None:
    """Make every event of `demo` but those named in `callable_names` private. Gradio's `Examples` take an
    `api_visibility`, but its `DeepLinkButton` registers a callable event of its own (`/lambda`) with no way to say
    otherwise: its visibility is set here, on Gradio's `BlockFunction`, after the build."""
    for block_fn in demo.fns.values():
        if block_fn.api_name not in callable_names:
            block_fn.api_visibility = "private"


def refuse_new_work(demo: gr.Blocks) -> None:
    """From now on the queue reports itself full: no new request is taken, the ones in it still run."""
    demo._queue.max_size = 0


def work_under_way(demo: gr.Blocks) -> bool:
    """Whether a request is running or waiting in the queue."""
    queue = demo._queue
    return bool(queue.get_active_worker_count() or len(queue))


def answers_pending(demo: gr.Blocks) -> bool:
    """Whether a finished run's answer is still on its way to its client (its event still pending delivery)."""
    return any(list(demo._queue.pending_event_ids_session.values()))


def _no_endpoint(name: str) -> JSONResponse:
    return JSONResponse(
        {"error": f"There is no endpoint /{name}. The API page (?view=api) lists the endpoints and their values."},
        status_code=404,
    )


def page_values_checked(block_fn: Any, inputs: list[Any], state: Any) -> None:
    """Check the values sent for an event's components (the page's own, or a caller's by the page's endpoints) as the
    data endpoints' parameters are checked, so that a wrong one is named in the request's language: a slider's number
    within its range (Gradio lets NaN through), one of a choice's values (Gradio's message repeats the value as
    markup), a checkbox's true or false, text without a lone surrogate. The components are the session's, whose
    choices a previous event may have changed."""
    parameters = _parameters(block_fn.fn)
    names = [p.name for p in parameters] if len(parameters) == len(block_fn.inputs) else []
    for index, (block, value) in enumerate(zip(block_fn.inputs, inputs, strict=False)):
        if state is not None and not block.stateful and block._id in state:
            block = state[block._id]
        name = names[index] if names else f"value {index + 1}"
        _check_component_value(block, name, value)


def _check_component_value(block: Any, name: str, value: Any) -> None:
    if isinstance(block, gr.Textbox) and isinstance(value, str):
        params.text()(name, value)
    elif isinstance(block, gr.Slider):
        params.number(block.minimum, block.maximum)(name, value)
    elif isinstance(block, gr.Checkbox) and value is not None:
        params.switch()(name, value)
    elif isinstance(block, (gr.Radio, gr.Dropdown)) and not getattr(block, "multiselect", False):
        if value is None or getattr(block, "allow_custom_value", False):
            return
        options = [choice[1] for choice in block.choices]
        if not any(type(value) is type(option) and value == option for option in options):
            listed = ", ".join(shown(option) for option in options)
            refusal = say(
                "{name} must be one of {options}; it was {given}.", name=name, options=listed, given=shown(value)
            )
            raise InputError(refusal)


async def unknown_endpoint(request: Request, exc: Exception) -> JSONResponse:
    """404 for an endpoint name the app does not have (Gradio answers 500)."""
    return _no_endpoint(request.path_params.get("api_name", ""))


# Gradio's routes that run an event by its name.
_BY_NAME = re.compile(r"^(?:/gradio_api)?/(?:call/v2|call|run|api)/(?P<name>[^/]+)/?$")


class PageOnlyEvents(BaseHTTPMiddleware):
    """A call by name to a private event (one that exists only for the page) gets the 404 of an unknown endpoint."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        found = _BY_NAME.match(request.url.path) if request.method == "POST" else None
        if found and found["name"] in _private_names(request):
            return _no_endpoint(found["name"])
        return await call_next(request)


def _private_names(request: Request) -> set[str]:
    blocks = request.app.get_blocks()
    return {fn.api_name for fn in blocks.fns.values() if fn.api_visibility == "private" and fn.api_name}


# Passed to `launch(app_kwargs=...)`: Gradio's FastAPI app takes them when it is made.
EXCEPTION_HANDLERS = {FnIndexInferError: unknown_endpoint}
# `?lang=` → the browser language the page is given: Gradio knows Chinese as zh-CN (its table falls back to zh).
LANGUAGES = {"en": "en", "zh": "zh-CN"}


class PageLanguage(BaseHTTPMiddleware):
    """`?lang=zh` or `?lang=en` on the page's address chooses the interface's language over the browser's.

    Gradio's page takes its language from `navigator.language` as it starts, and has no parameter for it; its own
    head scripts run later. So the page is served with one script first in its head that gives `navigator` the
    language asked for (one of `LANGUAGES`, never the text of the query itself).
    """

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        lang = request.query_params.get("lang", "")
        if request.method != "GET" or request.url.path != "/" or lang not in LANGUAGES:
            return response
        if not response.headers.get("content-type", "").startswith("text/html"):
            return response
        page = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        chosen = json.dumps(LANGUAGES[lang])
        script = (
            f"<script>for (const [name, value] of [['language', {chosen}], ['languages', [{chosen}]]]) "
            "Object.defineProperty(Navigator.prototype, name, {get: () => value, configurable: true});</script>"
        )
        page = page.replace(b"<head>", b"<head>" + script.encode(), 1)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(page, status_code=response.status_code, headers=headers)


# Gradio serves its page uncompressed: the document with the page's configuration is most of a first load's bytes
# (about 640 kB as JSON, 6 × less gzipped), and a room of visitors shares one network. Starlette's gzip leaves
# streams (`text/event-stream`: the queue's answers), fonts and images as they are; outermost, so it compresses
# what the others write.
COMPRESSED = Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
MIDDLEWARE = [COMPRESSED, Middleware(PageLanguage), Middleware(PageOnlyEvents)]
