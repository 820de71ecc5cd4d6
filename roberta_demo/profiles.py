"""The model registry: which checkpoint serves which task.

A *profile* maps every task to the checkpoints that may serve it. `default` uses real Hub checkpoints;
`tiny` uses small untrained RoBERTa checkpoints that `roberta_demo.tiny` builds locally. A TOML file can
start from either profile and replace or add checkpoints per task, and so can environment variables
(Hugging Face Spaces has no command line). How the app is started is `config`'s.
"""

from __future__ import annotations

import os
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from roberta_demo import tiny
from roberta_demo.errors import ConfigError, InputError, shown
from roberta_demo.heads import Head
from roberta_demo.messages import Message, say

__all__ = [
    "ESSENTIAL_TASKS",
    "PROFILE_NAMES",
    "TASKS",
    "Profile",
    "TaskModels",
    "TaskSpec",
    "UnknownCheckpoint",
    "is_folder",
    "load_profile",
]


@dataclass(frozen=True)
class TaskSpec:
    """A task as the configuration knows it: its title and the model head its checkpoints need.

    inspects_any_checkpoint: the task looks inside a model rather than using its head (attention views), so it
    may run on any checkpoint of the profile, not only its own.
    """

    title: Message
    head: Head
    inspects_any_checkpoint: bool = False


# The task registry. A new task is one entry here, one module in `tasks/` and one tab in `ui/`.
TASKS: Mapping[str, TaskSpec] = {
    "sentiment": TaskSpec(say("Sentiment"), "sequence-classification"),
    "emotion": TaskSpec(say("Emotion"), "sequence-classification"),
    "zero_shot": TaskSpec(say("Zero-shot classification"), "sequence-classification"),
    "topic": TaskSpec(say("Topic"), "sequence-classification"),
    "ner": TaskSpec(say("Named entities"), "token-classification"),
    "fill_mask": TaskSpec(say("Fill-mask"), "masked-lm"),
    # Fine-tuning copies a base checkpoint's encoder under a new head: any head of the checkpoint will do.
    "fine_tune": TaskSpec(say("Fine-tuning"), "base"),
    "attention": TaskSpec(say("Attention"), "base", inspects_any_checkpoint=True),
}


class UnknownCheckpoint(InputError):
    """A client asked for a checkpoint the server's configuration does not list for that task."""


@dataclass(frozen=True)
class TaskModels:
    """The checkpoints that may serve one task; the first is the default unless a GPU default applies."""

    task: str
    checkpoints: tuple[str, ...]
    gpu_default: str | None = None

    def default_for(self, device: str) -> str:
        if not self.checkpoints:
            raise UnknownCheckpoint(say("{task} has no model in this profile.", task=TASKS[self.task].title))
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
    language: Literal["en", "zh"] = "en"  # of its models, and so of the examples the tabs offer
    # Where the checkpoints kept in folders lie, by the name the app shows and accepts (`tiny/tiny-sentiment`): a
    # folder's path is the server's business, never in a reply. A checkpoint not listed here is a Hub id.
    places: Mapping[str, str] = field(default_factory=dict)

    def models(self, task: str) -> TaskModels:
        return self.tasks[task]

    def location(self, checkpoint: str) -> str:
        """What `from_pretrained` loads for a checkpoint's name: its folder, or the Hub id it is."""
        return self.places.get(checkpoint, checkpoint)

    def checkpoints(self) -> list[str]:
        """Every checkpoint of the profile, each once, in task order."""
        seen: dict[str, None] = {}
        for task_models in self.tasks.values():
            seen.update(dict.fromkeys(task_models.checkpoints))
        return list(seen)

    def by_use(self, device: str) -> list[str]:
        """Every checkpoint, most used first: those that more tabs open by default on `device` first (the base model
        behind fill-mask, attention and the explainer), then in task order, a task's alternatives last."""
        defaults = Counter(models.default_for(device) for models in self.tasks.values() if models.checkpoints)
        listed = self.checkpoints()
        return sorted(listed, key=lambda checkpoint: (-defaults[checkpoint], listed.index(checkpoint)))

    def tasks_of(self, checkpoint: str) -> list[str]:
        """The tasks that list `checkpoint`."""
        return [task for task, models in self.tasks.items() if checkpoint in models.checkpoints]

    def allowed(self, task: str) -> list[str]:
        """The checkpoints `task` may run on."""
        if TASKS[task].inspects_any_checkpoint:
            return self.checkpoints()
        return list(self.tasks[task].checkpoints)

    def checkpoint_for(self, task: str, requested: str | None, device: str) -> str:
        """The checkpoint to use for `task`: the requested one if the profile allows it, else the default."""
        if not requested:
            return self.tasks[task].default_for(device)
        allowed = self.allowed(task)
        if requested not in allowed:
            raise UnknownCheckpoint(
                say(
                    "Checkpoint {requested} is not configured for {task}; choose one of: {allowed}.",
                    requested=shown(requested),
                    task=TASKS[task].title,
                    allowed=", ".join(allowed),
                )
            )
        return requested

    def head_of(self, checkpoint: str) -> Head:
        """The head a checkpoint loads with: the richest that any task listing it needs.

        A checkpoint listed for a task with a head and for one that only inspects the model (attention) loads once,
        with the head; the inspection reuses its encoder.
        """
        heads = {TASKS[task].head for task in self.tasks_of(checkpoint)}
        if not heads:
            raise ConfigError(f"{checkpoint!r} is not configured for any task in profile {self.name!r}.")
        return next(iter(sorted(heads - {"base"})), "base")

    def validate(self) -> None:
        """Every task is listed (a task may have no checkpoint in a profile: no Chinese emotion model, say), every
        task the others need has one, and no checkpoint is asked to carry two different heads."""
        for task in TASKS:
            if task not in self.tasks:
                raise ConfigError(f"Profile {self.name!r} does not list task {task!r}.")
        for task in ESSENTIAL_TASKS:
            if not self.tasks[task].checkpoints:
                raise ConfigError(f"Profile {self.name!r} lists no checkpoint for task {task!r}.")
        for checkpoint in self.checkpoints():
            heads = {TASKS[task].head for task in self.tasks_of(checkpoint)} - {"base"}
            if len(heads) > 1:
                raise ConfigError(
                    f"{checkpoint} is listed for tasks that need different heads ({', '.join(sorted(heads))}); "
                    "a checkpoint has one head: list it for tasks of one kind."
                )


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
        # RoBERTa's own pre-training task; the same checkpoints, loaded once with their masked-LM head, serve attention.
        "fill_mask": TaskModels("fill_mask", ("FacebookAI/roberta-base", "distilbert/distilroberta-base")),
        "fine_tune": TaskModels("fine_tune", ("distilbert/distilroberta-base", "FacebookAI/roberta-base")),
        "attention": TaskModels("attention", ("FacebookAI/roberta-base", "distilbert/distilroberta-base")),
    },
)
# For a free CPU Space (2 vCPU, 16 GB): the distilled checkpoint wherever a task has one, the rest as the default.
# It leaves out roberta-base and roberta-large-mnli (about 3.4 GB to download instead of 5.3), and fill-mask,
# attention and fine-tuning run 6 layers instead of 12.
DISTILLED_PROFILE = Profile(
    name="distilled",
    tasks={
        **DEFAULT_PROFILE.tasks,
        "zero_shot": TaskModels("zero_shot", ("cross-encoder/nli-distilroberta-base",)),
        "fill_mask": TaskModels("fill_mask", ("distilbert/distilroberta-base",)),
        "fine_tune": TaskModels("fine_tune", ("distilbert/distilroberta-base",)),
        "attention": TaskModels("attention", ("distilbert/distilroberta-base",)),
    },
)
# The tutorial's own language. These are RoBERTa by their training recipe (whole-word masking, no next-sentence
# task) but BERT by architecture and vocabulary (`model_type: bert`, WordPiece, one token per Chinese character);
# the Auto classes load them as such. Several ship only `pytorch_model.bin`. No Chinese emotion model: that mode
# says so.
ZH_PROFILE = Profile(
    name="zh",
    language="zh",
    tasks={
        "sentiment": TaskModels(
            "sentiment",
            ("uer/roberta-base-finetuned-jd-binary-chinese", "uer/roberta-base-finetuned-dianping-chinese"),
        ),
        "emotion": TaskModels("emotion", ()),
        "zero_shot": TaskModels("zero_shot", ("joeddav/xlm-roberta-large-xnli",)),
        "topic": TaskModels("topic", ("uer/roberta-base-finetuned-chinanews-chinese",)),
        "ner": TaskModels("ner", ("uer/roberta-base-finetuned-cluener2020-chinese",)),
        "fill_mask": TaskModels("fill_mask", ("hfl/chinese-roberta-wwm-ext",)),
        "fine_tune": TaskModels("fine_tune", ("hfl/chinese-roberta-wwm-ext",)),
        "attention": TaskModels("attention", ("hfl/chinese-roberta-wwm-ext",)),
    },
)
PROFILE_NAMES = ("default", "distilled", "tiny", "zh", "tiny-zh")
_PROFILE_CHOICES = ", ".join(f"'{name}'" for name in PROFILE_NAMES)
# Tasks every profile serves: the others (emotion) may have no model in a language.
ESSENTIAL_TASKS = ("sentiment", "ner", "fill_mask", "attention", "fine_tune")


def _tiny_profile(chinese: bool = False) -> Profile:
    paths = tiny.ensure_built()
    names = tiny.ZH_TASK_CHECKPOINTS if chinese else tiny.TASK_CHECKPOINTS
    tasks = {task: TaskModels(task, tuple(f"tiny/{name}" for name in listed)) for task, listed in names.items()}
    places = {f"tiny/{name}": str(path) for name, path in paths.items()}
    return Profile(
        name="tiny-zh" if chinese else "tiny",
        tasks=tasks,
        untrained=True,
        language="zh" if chinese else "en",
        places=places,
    )


def is_folder(checkpoint: str) -> bool:
    """A folder path rather than a Hub id (`namespace/name`)."""
    return checkpoint.startswith((os.sep, ".", "~")) or Path(checkpoint).expanduser().is_dir()


def _named(profile: Profile) -> Profile:
    """The profile with each checkpoint that a config gives as a folder path named `local/<folder>` (`-2`, `-3`… where
    two folders share a name), its path kept in `places`."""
    places, names = dict(profile.places), {}
    for checkpoint in profile.checkpoints():
        if checkpoint in places or not is_folder(checkpoint):
            continue
        base = f"local/{Path(checkpoint).expanduser().name or 'model'}"
        name, count = base, 1
        while name in places or name in profile.checkpoints():
            count += 1
            name = f"{base}-{count}"
        places[name], names[checkpoint] = str(Path(checkpoint).expanduser()), name
    if not names:
        return profile
    tasks = {
        task: TaskModels(
            task,
            tuple(names.get(c, c) for c in models.checkpoints),
            names.get(models.gpu_default, models.gpu_default) if models.gpu_default else None,
        )
        for task, models in profile.tasks.items()
    }
    return replace(profile, tasks=tasks, places=places)


def _task_env_name(task: str, suffix: str) -> str:
    return f"ROBERTA_DEMO_{task.upper()}_{suffix}"


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _override(
    models: TaskModels, replace_with: tuple[str, ...], add: tuple[str, ...], gpu_default: str | None
) -> TaskModels:
    checkpoints = replace_with or models.checkpoints
    checkpoints = checkpoints + tuple(c for c in add if c not in checkpoints)
    kept_gpu_default = models.gpu_default if models.gpu_default in checkpoints else None
    return TaskModels(models.task, checkpoints, gpu_default or kept_gpu_default)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read model config {path}: {exc}") from exc


def _apply_file(profile: Profile, path: Path, data: Mapping[str, Any]) -> Profile:
    tasks = dict(profile.tasks)
    for task, entry in data.get("tasks", {}).items():
        if task not in TASKS:
            raise ConfigError(f"{path}: unknown task {task!r}; known tasks: {', '.join(TASKS)}.")
        add, checkpoints = tuple(entry.get("add", ())), tuple(entry.get("checkpoints", ()))
        tasks[task] = _override(tasks[task], checkpoints, add, entry.get("gpu_default"))
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
    if name == "distilled":
        return DISTILLED_PROFILE
    if name == "tiny":
        return _tiny_profile()
    if name == "zh":
        return ZH_PROFILE
    if name == "tiny-zh":
        return _tiny_profile(chinese=True)
    raise ConfigError(f"Unknown profile {name!r}: use {_PROFILE_CHOICES} or the path of a TOML config file.")


def load_profile(spec: str = "default", env: Mapping[str, str] | None = None) -> Profile:
    """Resolve `default`, `tiny` or a TOML file (which names its base `profile`), then apply env overrides.

    Env: `ROBERTA_DEMO_<TASK>_MODELS=a,b` replaces a task's checkpoints, `ROBERTA_DEMO_<TASK>_ADD=c` adds.
    """
    env = os.environ if env is None else env
    if spec in PROFILE_NAMES:
        profile = _base_profile(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise ConfigError(f"Unknown profile {spec!r}: use {_PROFILE_CHOICES} or the path of a TOML config file.")
        data = _read_toml(path)
        profile = _apply_file(_base_profile(data.get("profile", "default")), path, data)
    profile = _named(_apply_env(profile, env))
    profile.validate()
    return profile
