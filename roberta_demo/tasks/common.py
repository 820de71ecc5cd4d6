"""Types and input checks shared by every task."""

from __future__ import annotations

from dataclasses import dataclass

from roberta_demo.backend import Inference, Truncation

__all__ = ["MAX_INPUT_CHARS", "ClassScores", "InputError", "RunInfo", "check_text"]

MAX_INPUT_CHARS = 200_000  # classifiers read only the first 512 tokens anyway; the rest is cut with a notice


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


def check_text(text: str | None, limit: int = MAX_INPUT_CHARS) -> str:
    """The text to run on, or an `InputError` that says why it cannot be used."""
    text = (text or "").replace("\x00", "")
    if not text.strip():
        raise InputError("Type or paste some text first.")
    if len(text) > limit:
        raise InputError(
            f"The text is {len(text):,} characters long; this demo accepts at most {limit:,}. "
            f"Shorten it, or raise the limit in the server's settings."
        )
    return text
