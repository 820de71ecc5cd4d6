"""The failures a person can act on. Every layer raises these; the UI shows their messages as they are."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["SURROGATE", "ConfigError", "EngineError", "InputError", "ModelLoadError", "ModelNotHeld", "shown"]

SHOWN_CHARS = 60  # of a value a caller sent, where a message repeats it
SURROGATE = re.compile("[\ud800-\udfff]")  # a lone UTF-16 surrogate: JSON can carry one, no text encoder takes it


class InputError(ValueError):
    """Input that a task cannot use; the message tells the person what to change."""


class ConfigError(ValueError):
    """A profile, config file or setting that cannot be used as given."""


class ModelLoadError(RuntimeError):
    """A checkpoint could not be loaded, or cannot do what a task needs. The message names it and says what to do."""

    def __init__(self, checkpoint: str, message: str):
        super().__init__(message)
        self.checkpoint = checkpoint

    def __reduce__(self) -> tuple[type[ModelLoadError], tuple[str, str]]:
        # Pickled as it is made (it comes back from a Ray replica); the default would call it with the message only.
        return type(self), (self.checkpoint, str(self))


class ModelNotHeld(LookupError):
    """No model is held under this key (never trained, or let go to make room)."""


class EngineError(RuntimeError):
    """The engine that runs model work failed this request (a Ray replica died under it); the message says what to
    do. Later requests are not affected."""


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
