"""The read-only view of the configuration that the tabs get: which checkpoints serve what, how to name them,
what is missing, and how many requests to let through at once. No model is loaded or touched here."""

from __future__ import annotations

from dataclasses import dataclass

from roberta_demo.hub import cached_config, is_cached, missing_message
from roberta_demo.messages import Message, render
from roberta_demo.profiles import Profile

__all__ = ["Catalog"]


@dataclass(frozen=True)
class Catalog:
    """The configuration as the page shows it.

    concurrency: model requests the page and the API let through at once, as the engine asks (`Engine.concurrency`):
    a batch's worth with dynamic batching, one without; on Ray, a batch for every replica a checkpoint may have.
    """

    profile: Profile
    device: str
    concurrency: int = 1

    @property
    def profile_name(self) -> str:
        return self.profile.name

    @property
    def untrained(self) -> bool:
        return self.profile.untrained

    @property
    def language(self) -> str:
        """The language of the profile's models: the tabs offer examples in it."""
        return self.profile.language

    def layers_and_heads(self, checkpoint: str) -> tuple[int, int] | None:
        """How many layers and heads the checkpoint has, read from its config on disk; None where it is missing."""
        config = cached_config(self.profile.location(checkpoint)) or {}
        layers, heads = config.get("num_hidden_layers"), config.get("num_attention_heads")
        return (int(layers), int(heads)) if isinstance(layers, int) and isinstance(heads, int) else None

    def checkpoints(self, task: str) -> list[str]:
        """The checkpoints a task may run on."""
        return self.profile.allowed(task)

    def default(self, task: str) -> str:
        return self.profile.checkpoint_for(task, None, self.device)

    def tasks_of(self, checkpoint: str) -> list[str]:
        return self.profile.tasks_of(checkpoint)

    def missing(self, tasks: list[str]) -> dict[str, Message]:
        """Checkpoints these tasks need that are not on disk, with what to do about each. Read afresh on each call,
        so a model downloaded meanwhile disappears from the list."""
        needed = dict.fromkeys(c for task in tasks for c in self.profile.models(task).checkpoints)
        where = self.profile.location
        return {c: missing_message(c, where(c)) for c in needed if not is_cached(where(c))}

    def missing_notice(self, tasks: list[str]) -> str:
        """Markdown naming each missing checkpoint these tasks need, and how to get it, in the request's language."""
        return "\n".join(f"⚠️ {render(message)}" for message in self.missing(tasks).values())
