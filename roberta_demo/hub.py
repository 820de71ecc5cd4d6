"""What the app knows about the Hugging Face Hub and its cache: where a checkpoint is, how to name it, how to
fetch every checkpoint of a profile so the demo can run offline later."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, snapshot_download, try_to_load_from_cache

from roberta_demo.messages import Message, say
from roberta_demo.profiles import Profile, is_folder

__all__ = [
    "cached_config",
    "download_profile",
    "is_cached",
    "missing_message",
    "weight_patterns",
]

_COMMON = ["*.json", "*.txt", "*.model"]


def is_cached(location: str) -> bool:
    """Whether `from_pretrained` can find the checkpoint at `location` (`Profile.location`) without the network."""
    if is_folder(location):
        return (Path(location).expanduser() / "config.json").is_file()
    return isinstance(try_to_load_from_cache(location, "config.json"), str)


def cached_config(location: str) -> dict[str, Any] | None:
    """The checkpoint's config.json as it lies on disk (no model loaded, no network), or None where it is not there."""
    if is_folder(location):
        found: Any = Path(location).expanduser() / "config.json"
    else:
        found = try_to_load_from_cache(location, "config.json")
    if not isinstance(found, (str, Path)) or not Path(found).is_file():
        return None
    try:
        config = json.loads(Path(found).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) else None


def missing_message(checkpoint: str, location: str) -> Message:
    """What to do about a checkpoint that is not available offline. A folder is named by its checkpoint's name: its
    path is for the server's log, not for a reply."""
    if is_folder(location):
        return say(
            "The folder of model {checkpoint} does not exist or holds no config.json: check its path in the model "
            "config (the server log names it).",
            checkpoint=checkpoint,
        )
    return say(
        "Model {checkpoint} is not in the local cache and the Hub cannot be reached: run `python -m roberta_demo "
        "download` while online, or start with `--models tiny`.",
        checkpoint=checkpoint,
    )


def weight_patterns(repo_files: list[str]) -> list[str]:
    """Files to fetch: configs and tokenizer files, plus safetensors weights, or PyTorch ones where a repo has
    no safetensors (never TF, Flax, ONNX or Rust weights)."""
    if any(name.endswith(".safetensors") for name in repo_files):
        return [*_COMMON, "*.safetensors"]
    return [*_COMMON, "pytorch_model*.bin"]


def download_profile(profile: Profile, progress: Callable[[str], None] = print) -> dict[str, str]:
    """Download each Hub checkpoint of `profile` (with huggingface_hub's own progress bars).

    Returns the failures, checkpoint → reason; local folders are skipped.
    """
    api, failures = HfApi(), {}
    hub_checkpoints = [c for c in profile.checkpoints() if c not in profile.places and not is_folder(c)]
    for number, checkpoint in enumerate(hub_checkpoints, start=1):
        progress(f"[{number}/{len(hub_checkpoints)}] {checkpoint}")
        try:
            patterns = weight_patterns(api.list_repo_files(checkpoint))
            path = snapshot_download(checkpoint, allow_patterns=patterns)
            progress(f"    cached in {path}")
        except Exception as exc:  # report every failure, then carry on with the next checkpoint
            failures[checkpoint] = f"{type(exc).__name__}: {exc}".splitlines()[0]
            progress(f"    failed: {failures[checkpoint]}")
    return failures
