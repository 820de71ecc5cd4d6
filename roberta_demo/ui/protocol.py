"""How the app's Gradio server treats requests: refusals that name the problem, and sessions that do not grow.

Gradio's own checks raise plain exceptions, which it hides from the client (`{"error": null}`) unless the server shows
every error, tracebacks' messages included. Here too few values (plain HTTP does not fill in defaults as gradio_client
does) get their defaults, and the ones a caller can fix become `gr.Error` messages: a required value missing, a file
path the server did not hand out; an unknown endpoint name is a 404 rather than a 500.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from typing import Any

import gradio as gr
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from gradio.components.api_component import Api
from gradio.exceptions import InvalidPathError
from gradio.route_utils import FnIndexInferError
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from roberta_demo.ui.i18n import LANGUAGE, request_language

__all__ = ["EXCEPTION_HANDLERS", "MIDDLEWARE", "DemoBlocks", "PageLanguage", "lighten_new_sessions"]

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
        endpoint = f"/{block_fn.api_name}" if block_fn.api_name else "This event"
        raise gr.Error(
            f"{endpoint} takes {wanted} values, in this order: {', '.join(names)}; the request sent {len(inputs)}, "
            f"without {', '.join(required)}. Send at least the values without a default (the API page lists them).",
            title="Missing values",
            print_exception=False,
        )

    async def process_api(self, *args: Any, **kwargs: Any) -> Any:
        """Gradio's own, in the language of the request (`ui.i18n.LANGUAGE`, for the messages and notes the server
        writes): the handler's thread inherits it."""
        request = kwargs.get("request", args[3] if len(args) > 3 else None)
        first = request[0] if isinstance(request, list) and request else request
        token = LANGUAGE.set(request_language(first))
        try:
            return await super().process_api(*args, **kwargs)
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

    async def preprocess_data(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().preprocess_data(*args, **kwargs)
        except InvalidPathError as exc:
            raise gr.Error(
                f"{exc} Upload it first (POST /gradio_api/upload) and send the path that returns.",
                title="Unknown file",
                print_exception=False,
            ) from None


async def unknown_endpoint(request: Request, exc: Exception) -> JSONResponse:
    """404 for an endpoint name the app does not have (Gradio answers 500)."""
    name = request.path_params.get("api_name", "")
    return JSONResponse(
        {"error": f"There is no endpoint /{name}. The API page (?view=api) lists the endpoints and their values."},
        status_code=404,
    )


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


MIDDLEWARE = [Middleware(PageLanguage)]
