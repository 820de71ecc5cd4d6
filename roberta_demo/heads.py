"""The model heads a task can need: what the registry (config), the loader and the tiny build share, in a module of
its own so that none of them imports another for it."""

from __future__ import annotations

from typing import Literal

__all__ = ["Head"]

Head = Literal["sequence-classification", "token-classification", "masked-lm", "base"]
