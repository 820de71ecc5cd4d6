"""Types and input checks shared by every task."""

from __future__ import annotations

from dataclasses import dataclass

from roberta_demo.backend import Inference, Truncation
from roberta_demo.config import LIMIT_VARIABLES

__all__ = ["ClassScores", "InputError", "RunInfo", "check_text", "too_long"]


class InputError(ValueError):
    """Input that a task cannot use; the message tells the person what to change."""


@dataclass(frozen=True)
class RunInfo:
    """Which checkpoint answered, where, how fast, and whether the input was cut."""

    checkpoint: str
    device: str
    seconds: float
    truncation: Truncation | None = None

    @classmethod
    def of(cls, inference: Inference, index: int = 0) -> RunInfo:
        truncation = inference.truncations[index] if inference.truncations else None
        return cls(inference.checkpoint, inference.device, inference.seconds, truncation)

    @property
    def summary(self) -> str:
        return f"{self.checkpoint} · {self.device} · {self.seconds * 1000:.0f} ms"


@dataclass(frozen=True)
class ClassScores:
    """A score for every class, highest first.

    exclusive: the scores are one softmax over the classes (they sum to 1); otherwise each class is scored
    on its own (multi-label), between 0 and 1.
    """

    labels: list[str]
    scores: list[float]
    exclusive: bool
    run: RunInfo

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, float]], exclusive: bool, run: RunInfo) -> ClassScores:
        ranked = sorted(pairs, key=lambda pair: pair[1], reverse=True)
        return cls([label for label, _ in ranked], [float(score) for _, score in ranked], exclusive, run)

    @property
    def top(self) -> str:
        return self.labels[0]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.labels, self.scores))


def too_long(subject: str, size: int, unit: str, limit: int, limit_name: str) -> InputError:
    """The message for input over a configured limit: what, how much, the limit, and the setting behind it."""
    return InputError(
        f"{subject} has {size:,} {unit}; this server accepts at most {limit:,}. Shorten it "
        f"(whoever runs the server can raise the limit with {LIMIT_VARIABLES[limit_name]})."
    )


def check_text(text: str | None, limit: int, limit_name: str = "max_chars") -> str:
    """The text to run on, or an `InputError` that says why it cannot be used. NUL bytes are dropped."""
    text = (text or "").replace("\x00", "")
    if not text.strip():
        raise InputError("Type or paste some text first.")
    if len(text) > limit:
        raise too_long("The text", len(text), "characters", limit, limit_name)
    return text
