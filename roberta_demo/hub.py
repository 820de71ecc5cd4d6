"""What the app knows about the Hugging Face Hub and its cache: where a checkpoint is, how to name it, how to
fetch every checkpoint of a profile so the demo can run offline later."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, snapshot_download, try_to_load_from_cache

from roberta_demo.config import Profile

__all__ = [
    "cached_config",
    "display_name",
    "download_profile",
    "is_cached",
    "is_local_checkpoint",
    "missing_message",
    "weight_patterns",
]

_COMMON = ["*.json", "*.txt", "*.model"]


def is_local_checkpoint(checkpoint: str) -> bool:
    """A folder path rather than a Hub id (`namespace/name`)."""
    return checkpoint.startswith((os.sep, ".", "~")) or Path(checkpoint).expanduser().is_dir()


def is_cached(checkpoint: str) -> bool:
    """Whether `from_pretrained` can find the checkpoint without the network."""
    if is_local_checkpoint(checkpoint):
        return (Path(checkpoint).expanduser() / "config.json").is_file()
    return isinstance(try_to_load_from_cache(checkpoint, "config.json"), str)


def cached_config(checkpoint: str) -> dict[str, Any] | None:
    """The checkpoint's config.json as it lies on disk (no model loaded, no network), or None where it is not there."""
    if is_local_checkpoint(checkpoint):
        found: Any = Path(checkpoint).expanduser() / "config.json"
    else:
        found = try_to_load_from_cache(checkpoint, "config.json")
    if not isinstance(found, (str, Path)) or not Path(found).is_file():
        return None
    try:
        config = json.loads(Path(found).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) else None


def display_name(checkpoint: str) -> str:
    """How a checkpoint is named on the page: its Hub id, or a local folder's name marked as local."""
    return f"{Path(checkpoint).name} (local)" if is_local_checkpoint(checkpoint) else checkpoint


def missing_message(checkpoint: str) -> str:
    """What to do about a checkpoint that is not available offline."""
    if is_local_checkpoint(checkpoint):
        return f"Model folder {checkpoint} does not exist or holds no config.json: check the path in your model config."
    return (
        f"Model {checkpoint} is not in the local cache and the Hub cannot be reached: run "
        f"`python -m roberta_demo download` while online, or start with `--models tiny`."
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
    hub_checkpoints = [c for c in profile.checkpoints() if not is_local_checkpoint(c)]
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
