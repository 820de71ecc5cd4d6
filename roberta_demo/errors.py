"""The failures a person can act on. Every layer raises these; the UI shows their messages as they are."""

from __future__ import annotations

__all__ = ["EngineError", "InputError", "ModelLoadError", "ModelNotHeld"]


class InputError(ValueError):
    """Input that a task cannot use; the message tells the person what to change."""


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
