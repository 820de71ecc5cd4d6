"""What every task shares: the context it runs in, and input checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from roberta_demo.backend import Engine, Inference, LoadedModel, LoadListener, PipelineCall, StopSignal
from roberta_demo.config import Limits, limit_variable
from roberta_demo.errors import InputError, ModelNotHeld
from roberta_demo.messages import Message, say
from roberta_demo.results import RunInfo

__all__ = ["TaskContext", "check_text", "run_info", "too_long"]

R = TypeVar("R")
T = TypeVar("T")

NOT_HELD = say(
    "There is no fine-tuned model for this page: train one first. (The server keeps a few at a time, one per "
    "visitor, and lets the oldest go; yours may have been one of them.)"
)


@dataclass(frozen=True)
class TaskContext:
    """What a task runs with: the engine that holds the models (in this process or on Ray), the server's input
    limits, and whom to tell when a checkpoint loads for the first time (the page shows it as progress).

    Tasks reach the engine only through these methods, which pass the listener along.
    """

    backend: Engine
    limits: Limits
    on_load: LoadListener | None = None

    def reporting(self, on_load: LoadListener | None) -> TaskContext:
        """The same context, telling `on_load` about first loads."""
        return replace(self, on_load=on_load)

    @property
    def device(self) -> str:
        return self.backend.device

    def checkpoint_for(self, task: str, requested: str | None = None) -> str:
        return self.backend.checkpoint_for(task, requested)

    def run(self, call: PipelineCall, texts: Sequence[str], checkpoint: str) -> Inference:
        return self.backend.run(call, texts, checkpoint, self.on_load)

    def apply(self, checkpoint: str, fn: Callable[[LoadedModel], R]) -> R:
        return self.backend.apply(checkpoint, fn, self.on_load)

    def config(self, checkpoint: str) -> Any:
        return self.backend.config(checkpoint, self.on_load)

    def labels(self, checkpoint: str) -> list[str]:
        return self.backend.labels(checkpoint, self.on_load)

    def count_tokens(self, checkpoint: str, text: str) -> int:
        return self.backend.count_tokens(checkpoint, text, self.on_load)

    def hold(self, model: LoadedModel, owner: str | None = None) -> str:
        return self.backend.hold(model, owner)

    def apply_held(self, key: str | None, fn: Callable[[LoadedModel], R]) -> R:
        """`fn(model)` on the visitor's model held under `key`, or an `InputError` saying to train one first."""
        try:
            return self.backend.apply_held(key, fn)
        except ModelNotHeld:
            raise InputError(NOT_HELD) from None

    def release(self, key: str | None) -> None:
        self.backend.release(key)

    def stream(self, work: Callable[..., Iterator[T]], *args: Any, stop: StopSignal | None = None) -> Iterator[T]:
        """`work(context, *args, stop=stop)`'s updates, computed where the engine runs model work (a Ray task on
        the Ray engine: `work` and `args` must pickle, and the load listener stays here)."""
        return self.backend.stream(_in_context, (self.limits, work, *args), stop, self.on_load)


def _in_context(
    engine: Engine,
    limits: Limits,
    work: Callable[..., Iterator[T]],
    *args: Any,
    stop: StopSignal | None,
    on_load: LoadListener | None,
) -> Iterator[T]:
    return work(TaskContext(engine, limits, on_load), *args, stop=stop)


def run_info(inference: Inference, index: int = 0) -> RunInfo:
    """Which checkpoint answered input `index` of a pipeline run, where, how fast, and whether it was cut."""
    truncation = inference.truncations[index] if inference.truncations else None
    return RunInfo(inference.checkpoint, inference.device, inference.seconds, truncation)


def too_long(subject: Message, size: int, unit: Message, limit: int, limit_name: str) -> InputError:
    """The message for input over a configured limit: what, how much, the limit, and the setting behind it."""
    return InputError(
        say(
            "{subject} has {size} {unit}; this server accepts at most {limit}. Shorten it (whoever runs the server can "
            "raise the limit with {variable}).",
            subject=subject,
            size=f"{size:,}",
            unit=unit,
            limit=f"{limit:,}",
            variable=limit_variable(limit_name),
        )
    )


def check_text(text: str | None, limits: Limits, limit_name: str = "max_chars") -> str:
    """The text to run on, or an `InputError` that says why it cannot be used. NUL bytes are dropped."""
    if text is not None and not isinstance(text, str):  # an API caller's number, list or object
        raise InputError(say("The text must be a string, not {kind}.", kind=type(text).__name__))
    text = (text or "").replace("\x00", "")
    if not text.strip():
        raise InputError(say("Type or paste some text first."))
    limit = getattr(limits, limit_name)
    if len(text) > limit:
        raise too_long(say("The text"), len(text), say("characters"), limit, limit_name)
    return text
