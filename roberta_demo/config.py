"""Model registry and settings: which checkpoint serves which task, and how the app is started.

A *profile* maps every task to the checkpoints that may serve it. `default` uses real Hub checkpoints;
`tiny` uses small untrained RoBERTa checkpoints that `roberta_demo.tiny` builds locally. A TOML file can
start from either profile and replace or add checkpoints per task, and so can environment variables
(Hugging Face Spaces has no command line).

Every setting is declared once, as a dataclass field with an `Option`: its environment variable, its
command-line flag and its help text. The command line, the environment reader and the README's table all
come from those declarations.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tomllib
import typing
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from roberta_demo import tiny
from roberta_demo.errors import InputError, shown
from roberta_demo.heads import Head

__all__ = [
    "TASKS",
    "ConfigError",
    "Limits",
    "Option",
    "Profile",
    "Settings",
    "TaskModels",
    "TaskSpec",
    "is_folder",
    "limit_variable",
    "load_profile",
    "settings_from_env",
    "settings_parser",
    "settings_table",
]


class ConfigError(ValueError):
    """A profile, config file or setting that cannot be used as given."""


@dataclass(frozen=True)
class TaskSpec:
    """A task as the configuration knows it: its title and the model head its checkpoints need.

    inspects_any_checkpoint: the task looks inside a model rather than using its head (attention views), so it
    may run on any checkpoint of the profile, not only its own.
    """

    title: str
    head: Head
    inspects_any_checkpoint: bool = False


# The task registry. A new task is one entry here, one module in `tasks/` and one tab in `ui/`.
TASKS: Mapping[str, TaskSpec] = {
    "sentiment": TaskSpec("Sentiment", "sequence-classification"),
    "emotion": TaskSpec("Emotion", "sequence-classification"),
    "zero_shot": TaskSpec("Zero-shot classification", "sequence-classification"),
    "topic": TaskSpec("Topic", "sequence-classification"),
    "ner": TaskSpec("Named entities", "token-classification"),
    "fill_mask": TaskSpec("Fill-mask", "masked-lm"),
    # Fine-tuning copies a base checkpoint's encoder under a new head: any head of the checkpoint will do.
    "fine_tune": TaskSpec("Fine-tuning", "base"),
    "attention": TaskSpec("Attention", "base", inspects_any_checkpoint=True),
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
            raise UnknownCheckpoint(f"{TASKS[self.task].title} has no model in this profile.")
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
                f"Checkpoint {shown(requested)} is not configured for {TASKS[task].title.lower()}; "
                f"choose one of: {', '.join(allowed)}."
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


# -- settings ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """How a setting is given: its environment variable, its command-line flag (if any) and what it means.

    metavar: the values shown in the README's table and `--help`, e.g. `auto|cpu|cuda`.
    """

    env: str
    help: str
    flag: str | None = None
    metavar: str | None = None
    choices: tuple[str, ...] | None = None


def option(default: Any, env: str, help: str, **how: Any) -> Any:
    """A dataclass field that is a setting (see `Option`)."""
    return field(default=default, metadata={"option": Option(env, help, **how)})


@dataclass(frozen=True)
class Limits:
    """Input limits; each is named, with its variable, in the message a person sees when it applies."""

    max_chars: int = option(
        100_000, "ROBERTA_DEMO_MAX_CHARS", "longest text accepted by classification, sentiment and attention"
    )
    max_ner_chars: int = option(
        20_000, "ROBERTA_DEMO_MAX_NER_CHARS", "longest text for NER, which tags all of it in overlapping windows"
    )
    max_labels: int = option(50, "ROBERTA_DEMO_MAX_LABELS", "zero-shot labels per request (each costs a pass)")
    max_label_chars: int = option(100, "ROBERTA_DEMO_MAX_LABEL_CHARS", "characters per zero-shot label")
    max_texts: int = option(500, "ROBERTA_DEMO_MAX_TEXTS", "texts per batch-sentiment request")
    max_masks: int = option(5, "ROBERTA_DEMO_MAX_MASKS", "masks per fill-mask request (each is predicted on its own)")
    max_train_examples: int = option(200, "ROBERTA_DEMO_MAX_TRAIN_EXAMPLES", "examples per fine-tuning run")
    max_train_labels: int = option(20, "ROBERTA_DEMO_MAX_TRAIN_LABELS", "labels a fine-tuned classifier may have")
    max_train_steps: int = option(500, "ROBERTA_DEMO_MAX_TRAIN_STEPS", "optimizer steps per fine-tuning run")
    max_train_tokens: int = option(128, "ROBERTA_DEMO_MAX_TRAIN_TOKENS", "tokens per text when fine-tuning")
    max_train_seconds: int = option(
        180,
        "ROBERTA_DEMO_MAX_TRAIN_SECONDS",
        "wall time of a fine-tuning run; past it, training stops and keeps its model",
    )
    max_attention_tokens: int = option(
        128,
        "ROBERTA_DEMO_MAX_ATTENTION_TOKENS",
        "attention views cut longer inputs (they grow with the square of the tokens)",
        flag="--max-attention-tokens",
        metavar="N",
    )


@dataclass(frozen=True)
class Settings:
    """How the app is started: every field is an `Option` with its variable, and flag where it has one."""

    models: str = option(
        "default",
        "ROBERTA_DEMO_MODELS",
        "which checkpoints serve which task: a profile (distilled: smaller real ones for a free CPU Space; zh: the "
        "Chinese ones; tiny: untrained test models) or a TOML config file",
        flag="--models",
        metavar="default|distilled|zh|tiny|tiny-zh|FILE.toml",
    )
    device: str = option(
        "auto",
        "ROBERTA_DEMO_DEVICE",
        "`auto` picks CUDA, then Apple MPS, then CPU; half precision on CUDA",
        flag="--device",
        metavar="auto|cpu|cuda|cuda:N|mps",
    )
    host: str | None = option(
        None, "ROBERTA_DEMO_HOST", "address to listen on (Gradio's default otherwise)", flag="--host", metavar="ADDRESS"
    )
    port: int | None = option(
        None, "ROBERTA_DEMO_PORT", "port to listen on (Gradio's default otherwise)", flag="--port", metavar="N"
    )
    share: bool = option(False, "ROBERTA_DEMO_SHARE", "also serve on a public gradio.live link", flag="--share")
    preload: bool = option(
        False, "ROBERTA_DEMO_PRELOAD", "load every checkpoint before serving, logging progress", flag="--preload"
    )
    warm_up: bool = option(
        False,
        "ROBERTA_DEMO_WARM_UP",
        "load every checkpoint in the background right after start, most used first, while the page already serves "
        "(a request for a checkpoint still loading waits for that one only; on by default on Hugging Face Spaces)",
        flag="--warm-up",
    )
    long_share: float = option(
        0.25,
        "ROBERTA_DEMO_LONG_SHARE",
        "share of the device that long model work (explanations, fine-tuning, batches, long texts) keeps while quick "
        "requests wait, and they the rest; between 0 and 1",
        flag="--long-share",
        metavar="SHARE",
    )
    slice_ms: int = option(
        100,
        "ROBERTA_DEMO_SLICE_MS",
        "longest stretch long model work holds the device while quick requests wait, in ms (it gives the device up "
        "between layers)",
        flag="--slice-ms",
        metavar="MS",
    )
    batching: bool = option(
        True,
        "ROBERTA_DEMO_BATCHING",
        "dynamic batching: concurrent single-text requests share forward passes",
        flag="--no-batching",
    )
    quantize: str = option(
        "none",
        "ROBERTA_DEMO_QUANTIZE",
        "`int8`: dynamic int8 quantisation on CPU: faster, scores move slightly (see Performance)",
        flag="--quantize",
        metavar="none|int8",
        choices=("none", "int8"),
    )
    held_models: int = option(
        3,
        "ROBERTA_DEMO_HELD_MODELS",
        "fine-tuned models kept in memory at once, one per visitor session; the oldest goes first",
    )
    queue_size: int = option(
        64,
        "ROBERTA_DEMO_QUEUE_SIZE",
        'requests waiting at once; past it a client is told "Queue is full! Please try again."',
    )
    sessions: int = option(
        500,
        "ROBERTA_DEMO_SESSIONS",
        "visitor sessions whose page state the server keeps (Gradio keeps about 0.4 MB each); the least recently "
        "active goes first",
    )
    run_history: bool = option(
        False,
        "ROBERTA_DEMO_RUN_HISTORY",
        "Gradio's run history: each visitor's past runs kept in their browser (off: classrooms paste private text)",
        flag="--run-history",
    )
    mcp: bool = option(
        False,
        "ROBERTA_DEMO_MCP",
        "serve the data endpoints as MCP tools for AI agents, at /gradio_api/mcp/ (on by default on Hugging Face "
        "Spaces)",
        flag="--mcp",
    )
    malloc_arenas: int = option(
        2,
        "ROBERTA_DEMO_MALLOC_ARENAS",
        "glibc malloc arenas (as `MALLOC_ARENA_MAX`, which wins when set): few keep a long-running server flat",
    )
    max_file_mb: int = option(
        5,
        "ROBERTA_DEMO_MAX_FILE_MB",
        "largest upload accepted, in MB (500 texts as CSV take well under 1 MB)",
        flag="--max-file-mb",
        metavar="N",
    )
    file_minutes: int = option(
        60,
        "ROBERTA_DEMO_FILE_MINUTES",
        "uploaded and generated files are deleted this long after they were written, and when their page closes",
    )
    engine: str = option(
        "local",
        "ROBERTA_DEMO_ENGINE",
        "where model work runs: in this process, or on Ray Serve replicas (requirements-ray.txt; see Scaling out)",
        flag="--engine",
        metavar="local|ray",
        choices=("local", "ray"),
    )
    ray_address: str | None = option(
        None,
        "ROBERTA_DEMO_RAY_ADDRESS",
        "the Ray cluster to use with `--engine ray` (`auto` on a machine that joined it with `ray start`); without "
        "it a local Ray instance starts",
        flag="--ray-address",
        metavar="ADDRESS",
    )
    ray_replicas: str = option(
        "1-2",
        "ROBERTA_DEMO_RAY_REPLICAS",
        "Ray Serve replicas per checkpoint: a number, or a range that Serve autoscales in by requests waiting",
        flag="--ray-replicas",
        metavar="N|MIN-MAX",
    )
    ray_cpus: float = option(
        1.0, "ROBERTA_DEMO_RAY_CPUS", "CPUs Ray reserves for each replica and each fine-tuning run", metavar="N"
    )
    ray_gpus: float = option(
        0.0,
        "ROBERTA_DEMO_RAY_GPUS",
        "GPUs (or a share of one, e.g. 0.25) Ray reserves for each replica and each fine-tuning run",
        metavar="N",
    )
    drain_seconds: int = option(
        30,
        "ROBERTA_DEMO_DRAIN_SECONDS",
        "on SIGTERM the app takes no new requests and waits this long at most for those under way, then exits",
    )
    limits: Limits = field(default_factory=Limits)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _options(cls: type) -> Iterator[tuple[dataclasses.Field[Any], Option, Any]]:
    """Each setting of `cls`: its field, its option and its type."""
    hints = typing.get_type_hints(cls)
    for item in dataclasses.fields(cls):
        if "option" in item.metadata:
            yield item, item.metadata["option"], hints[item.name]


def _parse_value(kind: Any, option_: Option, text: str) -> Any:
    text = text.strip()
    if kind is bool:
        if text.lower() not in _TRUE | _FALSE:
            raise ValueError(f"{option_.env}={text!r}: use 1 or 0")
        return text.lower() in _TRUE
    if option_.choices and text not in option_.choices:
        raise ValueError(f"{option_.env}={text!r}: use one of {', '.join(option_.choices)}")
    if int in typing.get_args(kind) or kind is int:
        value = int(text)
        if value < 1:
            raise ValueError(f"{option_.env}={text!r}: must be a positive number")
        return value
    if kind is float:
        share = float(text)
        if not share >= 0:
            raise ValueError(f"{option_.env}={text!r}: must be a number, 0 or more")
        return share
    return text


def _from_env(cls: type, env: Mapping[str, str]) -> dict[str, Any]:
    return {
        item.name: _parse_value(kind, opt, env[opt.env])
        for item, opt, kind in _options(cls)
        if env.get(opt.env, "").strip()
    }


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `ROBERTA_DEMO_*` variables; the defaults where a variable is unset."""
    env = os.environ if env is None else env
    # A Space is a tool agents can call, and a link a class opens at once: its models load before they are asked for.
    on_spaces = {"mcp": True, "warm_up": True} if env.get("SPACE_ID", "").strip() else {}
    try:
        return Settings(**(on_spaces | _from_env(Settings, env)), limits=Limits(**_from_env(Limits, env)))
    except ValueError as exc:
        raise ConfigError(f"Invalid ROBERTA_DEMO_* setting: {exc}") from exc


def limit_variable(name: str) -> str:
    """The environment variable of the limit called `name`."""
    return next(opt.env for item, opt, _ in _options(Limits) if item.name == name)


def _add_flag(
    parser: argparse.ArgumentParser, flag: str, item: dataclasses.Field[Any], opt: Option, kind: Any, default: Any
) -> None:
    help_text = f"{opt.help} [env {opt.env}]"
    if kind is bool:
        action = "store_false" if flag.startswith("--no-") else "store_true"
        parser.add_argument(flag, dest=item.name, action=action, default=default, help=help_text)
        return
    number = int in typing.get_args(kind) or kind is int
    parser.add_argument(
        flag,
        dest=item.name,
        type=int if number else float if kind is float else str,
        default=default,
        choices=opt.choices,
        metavar=opt.metavar,
        help=help_text,
    )


def settings_parser(defaults: Settings) -> argparse.ArgumentParser:
    """The command line of `python app.py`: one flag per setting that has one, defaulting to `defaults`."""
    parser = argparse.ArgumentParser(prog="python app.py", description="Serve the RoBERTa demo.")
    for owner in (defaults, defaults.limits):
        for item, opt, kind in _options(type(owner)):
            if opt.flag:
                _add_flag(parser, opt.flag, item, opt, kind, getattr(owner, item.name))
    return parser


def parse_settings(argv: list[str], defaults: Settings) -> Settings:
    """`defaults` (usually from the environment), overridden by the command-line flags in `argv`."""
    values = vars(settings_parser(defaults).parse_args(argv))
    limit_names = {item.name for item in dataclasses.fields(Limits)}
    limits = replace(defaults.limits, **{k: v for k, v in values.items() if k in limit_names})
    return replace(defaults, **{k: v for k, v in values.items() if k not in limit_names}, limits=limits)


def _cell(text: str) -> str:
    """Code in a Markdown table cell: a `|` would end the cell."""
    return f"`{text}`".replace("|", "\\|")


def _table_row(opt: Option, default: Any) -> str:
    flag = _cell(f"{opt.flag} {opt.metavar}" if opt.metavar else opt.flag) if opt.flag else ""
    env = _cell(f"{opt.env}={0 if default else 1}" if isinstance(default, bool) else opt.env)
    meaning = opt.help
    if isinstance(default, int) and not isinstance(default, bool):
        meaning += f" (default {default:,})"
    elif isinstance(default, float):
        meaning += f" (default {default:g})"
    elif isinstance(default, str):
        meaning += f" (default `{default}`)"
    return _row(flag, env, meaning)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def settings_table() -> str:
    """The README's configuration table, made from the declarations above."""
    rows = ["| option | environment variable | meaning |", "|---|---|---|"]
    for owner in (Settings(), Limits()):
        rows += [_table_row(opt, getattr(owner, item.name)) for item, opt, _ in _options(type(owner))]
    tasks = ", ".join(f"`{task.upper()}`" for task in TASKS)
    rows += [
        _row("", "`ROBERTA_DEMO_<TASK>_MODELS=a,b`", f"replace a task's checkpoints (tasks: {tasks})"),
        _row("", "`ROBERTA_DEMO_<TASK>_ADD=c`", "add checkpoints to a task"),
        _row(
            "",
            f"`{tiny.TINY_DIR_VARIABLE}`",
            "where the tiny checkpoints are built (default `~/.cache/roberta_demo/tiny`)",
        ),
    ]
    return "\n".join(rows)
