"""Settings: how the app is started, and the limits it keeps.

Every setting is declared once, as a dataclass field with an `Option`: its environment variable, its
command-line flag and its help text. The command line, the environment reader and the README's table all
come from those declarations. Which checkpoint serves which task is `profiles`'.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from roberta_demo import tiny
from roberta_demo.errors import ConfigError
from roberta_demo.profiles import TASKS

__all__ = [
    "ConfigError",
    "Limits",
    "Option",
    "Settings",
    "limit_variable",
    "settings_from_env",
    "settings_parser",
    "settings_table",
]


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
    max_pretrain_words: int = option(
        5_000, "ROBERTA_DEMO_MAX_PRETRAIN_WORDS", "words of text per continued pre-training run"
    )
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
        _row(
            "",
            "`ROBERTA_DEMO_VECTOR_CACHE`",
            "where the reference sentences' word vectors are kept, once per checkpoint (default "
            "`~/.cache/roberta_demo/vectors`)",
        ),
    ]
    return "\n".join(rows)
