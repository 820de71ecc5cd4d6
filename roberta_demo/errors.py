"""The failures a person can act on. Every layer raises these with a `Message` (`roberta_demo.messages.say`) as their
one argument, which the edge writes in the request's language (`said`); `str()` of one is its English."""

from __future__ import annotations

import json
import re
from typing import Any

from roberta_demo.messages import Message, render

__all__ = ["SURROGATE", "ConfigError", "EngineError", "InputError", "ModelLoadError", "ModelNotHeld", "said", "shown"]

SHOWN_CHARS = 60  # of a value a caller sent, where a message repeats it
SURROGATE = re.compile("[\ud800-\udfff]")  # a lone UTF-16 surrogate: JSON can carry one, no text encoder takes it


class InputError(ValueError):
    """Input that a task cannot use; the message tells the person what to change."""

    def __init__(self, message: Message):
        super().__init__(message)


class ConfigError(ValueError):
    """A profile, config file or setting that cannot be used as given. Said to whoever starts the server, on the
    command line, in English (the page never shows one: a server does not start with one)."""


class ModelLoadError(RuntimeError):
    """A checkpoint could not be loaded, or cannot do what a task needs. The message names it and says what to do."""

    def __init__(self, checkpoint: str, message: Message):
        super().__init__(message)
        self.checkpoint = checkpoint

    def __reduce__(self) -> tuple[type[ModelLoadError], tuple[str, Message]]:
        # Pickled as it is made (it comes back from a Ray replica); the default would call it with the message only.
        return type(self), (self.checkpoint, self.args[0])


class ModelNotHeld(LookupError):
    """No model is held under this key (never trained, or let go to make room)."""


class EngineError(RuntimeError):
    """The engine that runs model work failed this request (a Ray replica died under it); the message says what to
    do. Later requests are not affected."""

    def __init__(self, message: Message):
        super().__init__(message)


def shown(value: Any) -> str:
    """A value as a message shows it: JSON (so a string is quoted and `NaN` is not), at most `SHOWN_CHARS` characters,
    with `<`, `>` and `&` escaped the JSON way, so that what a caller sent never becomes markup where it is shown."""
    try:
        written = json.dumps(value, ensure_ascii=False, default=lambda other: type(other).__name__)
    except ValueError:  # an integer too long to write out
        written = "a number too long to show"
    written = SURROGATE.sub(lambda found: f"\\u{ord(found[0]):04x}", written)
    if len(written) > SHOWN_CHARS:
        written = written[: SHOWN_CHARS - 1] + "…"
    return written.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def said(exc: BaseException) -> str:
    """An exception's message in the request's language: its `Message` where it was raised with one."""
    message = exc.args[0] if len(exc.args) == 1 else None
    return render(message) if isinstance(message, Message) else str(exc)
