"""Checkpoints of a chosen size with random weights, for the benchmark and the soak: one per task with the task's head,
the tiny BPE tokenizer, saved and loaded through `from_pretrained` like any other; and a models config naming them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from roberta_demo import tiny
from roberta_demo.loading import MODEL_CLASSES, building
from roberta_demo.profiles import TASKS

__all__ = ["SIZES", "Sizes", "build_checkpoint", "build_checkpoints", "write_profile"]


@dataclass(frozen=True)
class Sizes:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int | None  # None: the tokenizer's own size


SIZES = {
    "base": Sizes(hidden=768, layers=12, heads=12, intermediate=3072, vocab=50_265),
    "tiny": Sizes(hidden=64, layers=4, heads=4, intermediate=128, vocab=None),
}
TASK_LABELS = {
    "sentiment": tiny.SENTIMENT_LABELS,
    "emotion": tiny.EMOTION_LABELS,
    "zero_shot": tiny.NLI_LABELS,
    "topic": tiny.TOPIC_LABELS,
    "ner": tiny.NER_LABELS,
    "fill_mask": (),
}
DISTIL_LAYERS = 6  # distilroberta-base, the fine-tune tab's default base: roberta-base with half its layers
SHARED = {"attention": "fill_mask"}  # as in the default profile: roberta-base's masked LM also serves attention


def build_checkpoints(root: Path, sizes: Sizes) -> dict[str, Path]:
    """One checkpoint per task at `sizes` with the task's head, random weights, the tiny BPE tokenizer; returns
    task → folder. The fine-tuning base has distilroberta-base's depth."""
    tokenizer = tiny.build_tokenizer(root / "tokenizer")
    return {task: build_checkpoint(root, task, sizes, tokenizer, seed) for seed, task in enumerate(TASK_LABELS)} | {
        "fine_tune": build_checkpoint(root, "fine_tune", sizes, tokenizer, len(TASK_LABELS))
    }


def build_checkpoint(root: Path, task: str, sizes: Sizes, tokenizer: Any | None = None, seed: int = 0) -> Path:
    """`root/task`: a checkpoint for `task` at `sizes` (the fine-tuning base at most distilroberta-base's depth)."""
    tokenizer = tokenizer or tiny.build_tokenizer(root / "tokenizer")
    labels = TASK_LABELS.get(task, ())
    layers = min(sizes.layers, DISTIL_LAYERS) if task == "fine_tune" else sizes.layers
    config = tiny.roberta_config(
        sizes.vocab or len(tokenizer),
        sizes.hidden,
        layers,
        sizes.heads,
        sizes.intermediate,
        labels,
        multi_label=task == "topic",
    )
    torch.manual_seed(seed)
    with building():
        model = MODEL_CLASSES[TASKS[task].head].from_config(config)
    model.save_pretrained(root / task)
    tokenizer.save_pretrained(root / task)
    return root / task


def write_profile(root: Path, paths: dict[str, Path]) -> Path:
    lines = ['profile = "default"']
    for task, path in {**paths, **{task: paths[source] for task, source in SHARED.items()}}.items():
        lines += [f"[tasks.{task}]", f"checkpoints = [{json.dumps(str(path))}]"]
    config = root / "benchmark-models.toml"
    config.write_text("\n".join(lines) + "\n")
    return config
