"""Building models in this process: one at a time, a visitor's before the warm-up's, and never half built.

transformers' `from_pretrained` and `from_config` are not thread-safe. While a model is built they patch state that
the whole process shares (torch's weight initialisers, `PreTrainedModel.init_weights` and `tie_weights`, the default
dtype, `torch.linspace`) and put it back afterwards. Two builds that overlap put each other's patches back in the
wrong order and can leave one in place: from then on every model is built on the meta device ("Cannot copy out of
meta tensor; no data!") or with its output embeddings untied and random, until the process restarts (transformers
issue #41782, PR #44940). A cold server that sixteen clients open at once did exactly that here.

So everything that builds a model or a tokenizer (a checkpoint's load, a pipeline around it, the fine-tuning copy,
a model that crosses from another process, the tiny checkpoints) does it inside `building()`, and a loaded model is
checked by `check_materialised` before anyone may use it. A build never holds the device: the model work of the
thread that builds gives its slot up for the build (`scheduling.set_aside`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import transformers

from roberta_demo import scheduling
from roberta_demo.heads import Head

__all__ = ["MODEL_CLASSES", "HalfBuilt", "building", "check_materialised", "wait_for_builds"]

MODEL_CLASSES: Mapping[Head, Any] = {
    "sequence-classification": transformers.AutoModelForSequenceClassification,
    "token-classification": transformers.AutoModelForTokenClassification,
    "masked-lm": transformers.AutoModelForMaskedLM,
    "base": transformers.AutoModel,
}


class HalfBuilt(RuntimeError):
    """A model came out of a build with weights that are not there (meta tensors) or not tied as configured."""


class _Builds:
    """One build at a time in the process; re-entrant in the thread that builds. Builds a visitor waits for go
    before builds in the background (the warm-up), which wait while any other build is wanted."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._wanted = 0  # visitors' builds waiting for their turn
        self._background = 0  # background builds waiting for theirs

    @contextmanager
    def turn(self, background: bool) -> Iterator[None]:
        me = threading.get_ident()
        with self._changed:
            if self._owner != me:
                self._wait_for_turn(me, background)
            self._depth += 1
        try:
            yield
        finally:
            with self._changed:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._changed.notify_all()

    def _wait_for_turn(self, me: int, background: bool) -> None:
        self._count(background, +1)
        try:
            self._changed.wait_for(lambda: self._owner is None and not (background and self._wanted))
        finally:
            self._count(background, -1)
        self._owner = me

    def _count(self, background: bool, change: int) -> None:
        if background:
            self._background += change
        else:
            self._wanted += change
        self._changed.notify_all()

    def wait_until(self, condition: Callable[[int, int], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: condition(self._wanted, self._background), timeout)


# transformers' patches are process-wide, so this is too: one for every backend of the process.
_BUILDS = _Builds()


@contextmanager
def building(background: bool = False) -> Iterator[None]:
    """Build models or tokenizers in the block, alone in the process (see the module's docstring). `background`: a
    build nobody waits for, which lets every build a visitor waits for go first."""
    with scheduling.set_aside(), _BUILDS.turn(background):
        yield


def wait_for_builds(condition: Callable[[int, int], bool], timeout: float) -> bool:
    """Wait until `condition(visitors' builds waiting, background builds waiting)` holds, at most `timeout` s;
    whether it held. For tests and monitoring: "a visitor's load is waiting for its turn"."""
    return _BUILDS.wait_until(condition, timeout)


def check_materialised(model: Any, name: str) -> None:
    """Raise `HalfBuilt` unless every parameter and buffer of `model` holds data and its output embeddings are tied
    to its input embeddings where its configuration says so: what an overlapping build leaves wrong."""
    empty = [key for key, tensor in [*model.named_parameters(), *model.named_buffers()] if tensor.is_meta]
    if empty:
        raise HalfBuilt(f"{name} came out of loading without data in {len(empty)} tensor(s), e.g. {empty[0]}")
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if output is None or not getattr(model.config, "tie_word_embeddings", False):
        return
    if output.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        raise HalfBuilt(f"{name} came out of loading with its output embeddings not tied to its input embeddings")
