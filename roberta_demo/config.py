"""Model registry and settings: which checkpoint serves which task, and how the app is started.

A *profile* maps every task to the checkpoints that may serve it. `default` uses real Hub checkpoints;
`tiny` uses small untrained RoBERTa checkpoints that `roberta_demo.tiny` builds locally. A TOML file can
start from either profile and replace or add checkpoints per task, and so can environment variables
(Hugging Face Spaces has no command line).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

__all__ = [
    "TASKS",
    "ConfigError",
    "Head",
    "Limits",
    "Profile",
    "Settings",
    "TaskInfo",
    "TaskModels",
    "load_profile",
    "settings_from_env",
]

Head = Literal["sequence-classification", "token-classification", "base"]


class ConfigError(ValueError):
    """A profile, config file or setting that cannot be used as given."""


@dataclass(frozen=True)
class TaskInfo:
    """What a task needs from a checkpoint: the transformers pipeline it runs and the head it loads."""

    title: str
    pipeline_task: str
    head: Head


TASKS: Mapping[str, TaskInfo] = {
    "sentiment": TaskInfo("Sentiment", "text-classification", "sequence-classification"),
    "emotion": TaskInfo("Emotion", "text-classification", "sequence-classification"),
    "zero_shot": TaskInfo("Zero-shot classification", "zero-shot-classification", "sequence-classification"),
    "topic": TaskInfo("Topic", "text-classification", "sequence-classification"),
    "ner": TaskInfo("Named entities", "token-classification", "token-classification"),
    "attention": TaskInfo("Attention", "feature-extraction", "base"),
}


@dataclass(frozen=True)
class TaskModels:
    """The checkpoints that may serve one task; the first is the default unless a GPU default applies."""

    task: str
    checkpoints: tuple[str, ...]
    gpu_default: str | None = None

    def default_for(self, device: str) -> str:
        if self.gpu_default and device.startswith("cuda"):
            return self.gpu_default
        return self.checkpoints[0]


@dataclass(frozen=True)
class Profile:
    """A named set of checkpoints for every task.

    `untrained` marks profiles whose weights are random (the tiny test models), so the UI can say so.
    """

    name: str
    tasks: Mapping[str, TaskModels]
    untrained: bool = False

    def models(self, task: str) -> TaskModels:
        return self.tasks[task]

    def checkpoints(self) -> list[str]:
        """Every checkpoint of the profile, each once, in task order."""
        seen: dict[str, None] = {}
        for task_models in self.tasks.values():
            seen.update(dict.fromkeys(task_models.checkpoints))
        return list(seen)

    def serves(self, task: str, checkpoint: str) -> bool:
        return checkpoint in self.tasks[task].checkpoints

    def head_of(self, checkpoint: str) -> Head:
        """The head a checkpoint is loaded with: that of the first task (other than attention) listing it.

        Attention views work on any head, so a checkpoint listed for attention and for a task loads once,
        with the task's head, and the attention view reuses those weights.
        """
        heads = [TASKS[t].head for t, m in self.tasks.items() if checkpoint in m.checkpoints]
        if not heads:
            raise ConfigError(f"{checkpoint!r} is not configured for any task in profile {self.name!r}.")
        return next((h for h in heads if h != "base"), "base")


DEFAULT_PROFILE = Profile(
    name="default",
    tasks={
        "sentiment": TaskModels("sentiment", ("cardiffnlp/twitter-roberta-base-sentiment-latest",)),
        "emotion": TaskModels("emotion", ("j-hartmann/emotion-english-distilroberta-base",)),
        "zero_shot": TaskModels(
            "zero_shot",
            ("cross-encoder/nli-distilroberta-base", "FacebookAI/roberta-large-mnli"),
            gpu_default="FacebookAI/roberta-large-mnli",
        ),
        "topic": TaskModels("topic", ("cardiffnlp/tweet-topic-21-multi",)),
        "ner": TaskModels("ner", ("Jean-Baptiste/roberta-large-ner-english",)),
        "attention": TaskModels("attention", ("FacebookAI/roberta-base", "distilbert/distilroberta-base")),
    },
)


def _tiny_profile() -> Profile:
    from roberta_demo import tiny  # builds on first use only; imported lazily to keep start-up light

    paths = tiny.ensure_built()
    tasks = {
        task: TaskModels(task, tuple(str(paths[name]) for name in names), gpu_default=None)
        for task, names in tiny.TASK_CHECKPOINTS.items()
    }
    return Profile(name="tiny", tasks=tasks, untrained=True)


def _task_env_name(task: str, suffix: str) -> str:
    return f"ROBERTA_DEMO_{task.upper()}_{suffix}"


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _override(models: TaskModels, replace_with: tuple[str, ...], add: tuple[str, ...], gpu_default: str | None) -> TaskModels:
    checkpoints = replace_with or models.checkpoints
    checkpoints = checkpoints + tuple(c for c in add if c not in checkpoints)
    if replace_with and models.gpu_default not in checkpoints:
        models = replace(models, gpu_default=None)
    return TaskModels(models.task, checkpoints, gpu_default or models.gpu_default)


def _apply_file(profile: Profile, path: Path) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read model config {path}: {exc}") from exc
    tasks = dict(profile.tasks)
    for task, entry in data.get("tasks", {}).items():
        if task not in TASKS:
            raise ConfigError(f"{path}: unknown task {task!r}; known tasks: {', '.join(TASKS)}.")
        tasks[task] = _override(
            tasks[task],
            tuple(entry.get("checkpoints", ())),
            tuple(entry.get("add", ())),
            entry.get("gpu_default"),
        )
    return replace(profile, name=f"{profile.name}+{path.name}", tasks=tasks)


def _apply_env(profile: Profile, env: Mapping[str, str]) -> Profile:
    tasks = dict(profile.tasks)
    for task in TASKS:
        replace_with = _split_list(env.get(_task_env_name(task, "MODELS"), ""))
        add = _split_list(env.get(_task_env_name(task, "ADD"), ""))
        if replace_with or add:
            tasks[task] = _override(tasks[task], replace_with, add, None)
    return replace(profile, tasks=tasks)


def _base_profile(name: str) -> Profile:
    if name == "default":
        return DEFAULT_PROFILE
    if name == "tiny":
        return _tiny_profile()
    raise ConfigError(f"Unknown profile {name!r}: use 'default', 'tiny' or the path of a TOML config file.")


def load_profile(spec: str = "default", env: Mapping[str, str] | None = None) -> Profile:
    """Resolve `default`, `tiny` or a TOML file (which names its base `profile`), then apply env overrides.

    Env: `ROBERTA_DEMO_<TASK>_MODELS=a,b` replaces a task's checkpoints, `ROBERTA_DEMO_<TASK>_ADD=c` adds.
    """
    env = os.environ if env is None else env
    if spec in ("default", "tiny"):
        profile = _base_profile(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise ConfigError(f"Unknown profile {spec!r}: use 'default', 'tiny' or the path of a TOML config file.")
        base = tomllib.loads(path.read_text(encoding="utf-8")).get("profile", "default")
        profile = _apply_file(_base_profile(base), path)
    profile = _apply_env(profile, env)
    for task in TASKS:
        if not profile.tasks[task].checkpoints:
            raise ConfigError(f"Profile {profile.name!r} lists no checkpoint for task {task!r}.")
    return profile


@dataclass(frozen=True)
class Limits:
    """Input limits; each is a `ROBERTA_DEMO_*` variable, named in the message a person sees when it applies."""

    max_chars: int = 100_000  # classification and sentiment read the first 512 tokens and say they cut the rest
    max_ner_chars: int = 20_000  # NER tags every window of the text, so its cost grows with the length
    max_labels: int = 50  # zero-shot runs the model once per label
    max_label_chars: int = 100
    max_texts: int = 500  # texts per request in the batch sentiment tab
    max_attention_tokens: int = 128  # attention views grow with the square of the tokens


LIMIT_VARIABLES = {
    "max_chars": "ROBERTA_DEMO_MAX_CHARS",
    "max_ner_chars": "ROBERTA_DEMO_MAX_NER_CHARS",
    "max_labels": "ROBERTA_DEMO_MAX_LABELS",
    "max_label_chars": "ROBERTA_DEMO_MAX_LABEL_CHARS",
    "max_texts": "ROBERTA_DEMO_MAX_TEXTS",
    "max_attention_tokens": "ROBERTA_DEMO_MAX_ATTENTION_TOKENS",
}


@dataclass(frozen=True)
class Settings:
    """How the app is started. Every field has an environment variable (see `settings_from_env`)."""

    models: str = "default"
    device: str = "auto"
    host: str | None = None
    port: int | None = None
    share: bool = False
    preload: bool = False
    batching: bool = True
    quantize: bool = False
    queue_size: int = 64
    limits: Limits = Limits()


_TRUE = {"1", "true", "yes", "on"}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    return default if value is None or not value.strip() else value.strip().lower() in _TRUE


def _limits_from_env(env: Mapping[str, str]) -> Limits:
    values = {field: int(env[name]) for field, name in LIMIT_VARIABLES.items() if env.get(name, "").strip()}
    if any(value < 1 for value in values.values()):
        raise ValueError("limits must be positive")
    return Limits(**values)


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `ROBERTA_DEMO_*` variables; the defaults where a variable is unset."""
    env = os.environ if env is None else env
    port = env.get("ROBERTA_DEMO_PORT")
    try:
        return Settings(
            models=env.get("ROBERTA_DEMO_MODELS", "default"),
            device=env.get("ROBERTA_DEMO_DEVICE", "auto"),
            host=env.get("ROBERTA_DEMO_HOST") or None,
            port=int(port) if port else None,
            share=_flag(env, "ROBERTA_DEMO_SHARE", False),
            preload=_flag(env, "ROBERTA_DEMO_PRELOAD", False),
            batching=_flag(env, "ROBERTA_DEMO_BATCHING", True),
            quantize=env.get("ROBERTA_DEMO_QUANTIZE", "").strip().lower() == "int8",
            queue_size=int(env.get("ROBERTA_DEMO_QUEUE_SIZE", "64")),
            limits=_limits_from_env(env),
        )
    except ValueError as exc:
        raise ConfigError(f"Invalid ROBERTA_DEMO_* setting: {exc}") from exc
