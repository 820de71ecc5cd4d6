"""Fetch every checkpoint of a profile into the Hugging Face cache, so the demo can run offline later."""

from __future__ import annotations

from collections.abc import Callable

from huggingface_hub import HfApi, snapshot_download

from roberta_demo.backend import is_local_checkpoint
from roberta_demo.config import Profile

__all__ = ["download_profile", "weight_patterns"]

_COMMON = ["*.json", "*.txt", "*.model"]


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
