"""The failures a person can act on. Every layer raises these; the UI shows their messages as they are."""

from __future__ import annotations

__all__ = ["InputError", "ModelLoadError"]


class InputError(ValueError):
    """Input that a task cannot use; the message tells the person what to change."""


class ModelLoadError(RuntimeError):
    """A checkpoint could not be loaded, or cannot do what a task needs. The message names it and says what to do."""

    def __init__(self, checkpoint: str, message: str):
        super().__init__(message)
        self.checkpoint = checkpoint
