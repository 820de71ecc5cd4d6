"""The one inference backend: device choice, lazily loaded and cached models and pipelines, load errors.

Every tab goes through `Backend`. It loads each checkpoint once (even when two tasks use it), on first use,
under a per-checkpoint lock so that concurrent first requests cause a single load. A failed load is not
cached: the next request tries again. Inputs longer than the model's positions are truncated and reported.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from huggingface_hub import try_to_load_from_cache

from roberta_demo.batching import MicroBatcher
from roberta_demo.config import TASKS, Profile

__all__ = [
    "AttentionWeights",
    "Backend",
    "Inference",
    "ModelLoadError",
    "Truncation",
    "choose_device",
    "choose_dtype",
    "is_local_checkpoint",
    "quantize_int8",
]

log = logging.getLogger(__name__)
# RoBERTa's tokenizer marks word starts but has no word ids, so the NER pipeline groups pieces into words by
# whitespace and warns on every call; that heuristic is what we want, the warning is noise in the server log.
warnings.filterwarnings("ignore", message="Tokenizer does not support real words")

_MODEL_CLASSES = {
    "sequence-classification": transformers.AutoModelForSequenceClassification,
    "token-classification": transformers.AutoModelForTokenClassification,
    "base": transformers.AutoModel,
}
NER_STRIDE = 64  # tokens shared by neighbouring windows, so an entity cut by one window is whole in the next


def choose_device(requested: str, *, cuda_available: bool, mps_available: bool) -> str:
    """The device to run on: `requested` if usable, else the best available (CUDA, then Apple MPS, then CPU)."""
    requested = (requested or "auto").strip().lower()
    usable = {"cuda": cuda_available, "mps": mps_available, "cpu": True}
    kind = requested.split(":")[0]
    if kind in usable and usable[kind]:
        return requested
    if requested != "auto":
        log.warning("Device %r is not available here; choosing the best available device instead.", requested)
    return next(device for device in ("cuda", "mps", "cpu") if usable[device])


def detect_device(requested: str = "auto") -> str:
    return choose_device(
        requested, cuda_available=torch.cuda.is_available(), mps_available=torch.backends.mps.is_available()
    )


def choose_dtype(device: str) -> torch.dtype:
    """Half precision on CUDA; full precision elsewhere (CPU lacks fast fp16, MPS fp16 is unreliable)."""
    return torch.float16 if device.startswith("cuda") else torch.float32


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of every Linear layer (CPU only): faster on most CPUs, probabilities move a
    little (the benchmark reports both). torch marks the API deprecated but it still works; its warning is
    noise here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def is_local_checkpoint(checkpoint: str) -> bool:
    """A folder path rather than a Hub id (`namespace/name`)."""
    return checkpoint.startswith((os.sep, ".", "~")) or Path(checkpoint).expanduser().is_dir()


def is_cached(checkpoint: str) -> bool:
    """Whether `from_pretrained` can find the checkpoint without the network."""
    if is_local_checkpoint(checkpoint):
        return (Path(checkpoint).expanduser() / "config.json").is_file()
    return isinstance(try_to_load_from_cache(checkpoint, "config.json"), str)


class ModelLoadError(RuntimeError):
    """A checkpoint could not be loaded. The message names it and says what to do."""

    def __init__(self, checkpoint: str, message: str):
        super().__init__(message)
        self.checkpoint = checkpoint


def missing_message(checkpoint: str) -> str:
    if is_local_checkpoint(checkpoint):
        return f"Model folder {checkpoint} does not exist or holds no config.json: check the path in your model config."
    return (
        f"Model {checkpoint} is not in the local cache and the Hub cannot be reached: run "
        f"`python -m roberta_demo download` while online, or start with `--models tiny`."
    )


def _load_error(checkpoint: str, exc: Exception) -> ModelLoadError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not is_cached(checkpoint):
        return ModelLoadError(checkpoint, f"{missing_message(checkpoint)} ({detail})")
    return ModelLoadError(
        checkpoint,
        f"Model {checkpoint} is cached but could not be loaded ({detail}). Its files may be corrupt or "
        f"incomplete: delete it (`hf cache delete`) and run `python -m roberta_demo download` again.",
    )


def check_nli_labels(checkpoint: str, labels: list[str]) -> None:
    """Zero-shot classification asks an NLI model whether each label is *entailed*: it needs that label."""
    if not any(label.lower().startswith("entail") for label in labels):
        raise ModelLoadError(
            checkpoint,
            f"Model {checkpoint} cannot do zero-shot classification: its labels ({', '.join(labels)}) have no "
            f"'entailment'. Configure an NLI checkpoint such as cross-encoder/nli-distilroberta-base.",
        )


@dataclass(frozen=True)
class Truncation:
    """An input cut to the model's limit: only the first `tokens_kept` of `tokens_total` tokens were read."""

    tokens_total: int
    tokens_kept: int

    @property
    def notice(self) -> str:
        return (
            f"The input is {self.tokens_total:,} tokens long; the model reads at most {self.tokens_kept:,}, "
            f"so only the first {self.tokens_kept:,} tokens were used."
        )


@dataclass(frozen=True)
class Inference:
    """Raw pipeline outputs (one per input) and how they were produced."""

    outputs: list[Any]
    checkpoint: str
    device: str
    seconds: float
    truncations: tuple[Truncation | None, ...]


@dataclass(frozen=True)
class AttentionWeights:
    """Attention of one forward pass.

    weights: <float32>[num_layers, num_heads, num_tokens, num_tokens], rows (queries) sum to 1.
    tokens: the BPE tokens as the tokenizer spells them (`Ġ` marks a word start).
    offsets: <int>[num_tokens, 2] character spans in the input; (0, 0) for special tokens.
    """

    tokens: list[str]
    offsets: list[tuple[int, int]]
    weights: np.ndarray
    checkpoint: str
    device: str
    seconds: float
    truncation: Truncation | None


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    max_tokens: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    eager_users: int = 0
    default_attention: str = "sdpa"


class Backend:
    """Loads checkpoints of one profile on one device, lazily, once each; runs pipelines on them."""

    def __init__(self, profile: Profile, device: str = "auto", batching: bool = True, max_batch_size: int = 16,
                 quantize: bool = False):  # fmt: skip
        self.profile = profile
        self.quantize = quantize
        self.batching = batching
        self.max_batch_size = max_batch_size
        self.device = detect_device(device)
        self.dtype = choose_dtype(self.device)
        self.load_counts: Counter[str] = Counter()
        self._models: dict[str, LoadedModel] = {}
        self._pipelines: dict[tuple[str, str], Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._batchers: dict[tuple, MicroBatcher[str, Inference]] = {}
        self._registry = threading.Lock()

    # -- which checkpoint --------------------------------------------------------------------------------------

    def checkpoint_for(self, task: str, checkpoint: str | None = None) -> str:
        """The checkpoint to use for `task`; only checkpoints the profile lists are ever loaded."""
        models = self.profile.models(task)
        if not checkpoint:
            return models.default_for(self.device)
        # Attention views can inspect any configured checkpoint, e.g. what the sentiment model attends to.
        allowed = self.profile.checkpoints() if task == "attention" else models.checkpoints
        if checkpoint not in allowed:
            raise ValueError(
                f"Checkpoint {checkpoint!r} is not configured for {TASKS[task].title.lower()}; "
                f"choose one of: {', '.join(allowed)}."
            )
        return checkpoint

    def is_loaded(self, checkpoint: str) -> bool:
        return checkpoint in self._models

    def missing(self) -> dict[str, str]:
        """Checkpoints that are neither loaded nor on disk, with what to do about each."""
        return {
            c: missing_message(c) for c in self.profile.checkpoints() if c not in self._models and not is_cached(c)
        }

    # -- loading -------------------------------------------------------------------------------------------------

    def _lock_for(self, checkpoint: str) -> threading.Lock:
        with self._registry:
            return self._locks.setdefault(checkpoint, threading.Lock())

    def model(self, checkpoint: str) -> LoadedModel:
        """The loaded checkpoint, loading it on first use. Raises `ModelLoadError` (not cached: retried next time)."""
        if (loaded := self._models.get(checkpoint)) is not None:
            return loaded
        with self._lock_for(checkpoint):
            if checkpoint not in self._models:
                self._models[checkpoint] = self._load(checkpoint)
            return self._models[checkpoint]

    def _load(self, checkpoint: str) -> LoadedModel:
        head = self.profile.head_of(checkpoint)
        log.info("Loading %s (%s) on %s", checkpoint, head, self.device)
        self.load_counts[checkpoint] += 1
        started = time.perf_counter()
        # Attention-only checkpoints load with eager attention: sdpa returns no attention weights.
        attention = "eager" if head == "base" else "sdpa"
        try:
            # Never run code shipped with a checkpoint; only configured checkpoints load at all.
            tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, trust_remote_code=False)
            model = _MODEL_CLASSES[head].from_pretrained(
                checkpoint, dtype=self.dtype, attn_implementation=attention, trust_remote_code=False
            )
        except Exception as exc:  # any failure (network, missing files, bad weights) becomes one clear error
            raise _load_error(checkpoint, exc) from exc
        model.to(self.device).eval()
        if self.quantize and self.device == "cpu":
            model = quantize_int8(model)
        max_tokens = model.config.max_position_embeddings - 2  # RoBERTa's positions start after the padding index
        tokenizer.model_max_length = min(tokenizer.model_max_length, max_tokens)
        # User text is data: a typed "<mask>" or "</s></s>" is read as characters, not as RoBERTa's special tokens.
        tokenizer.split_special_tokens = True
        log.info("Loaded %s in %.1f s", checkpoint, time.perf_counter() - started)
        return LoadedModel(model, tokenizer, tokenizer.model_max_length, default_attention=attention)

    def labels(self, checkpoint: str) -> list[str]:
        """The checkpoint's class names in id order."""
        config = self.model(checkpoint).model.config
        return [config.id2label[i] for i in sorted(config.id2label)]

    def pipeline(self, task: str, checkpoint: str | None = None) -> Any:
        """The cached transformers pipeline for (task, checkpoint), built on the shared loaded model."""
        checkpoint = self.checkpoint_for(task, checkpoint)
        key = (task, checkpoint)
        if (cached := self._pipelines.get(key)) is not None:
            return cached
        loaded = self.model(checkpoint)
        if TASKS[task].pipeline_task == "zero-shot-classification":
            check_nli_labels(checkpoint, self.labels(checkpoint))
        with self._registry:
            if key not in self._pipelines:
                self._pipelines[key] = transformers.pipeline(
                    TASKS[task].pipeline_task, model=loaded.model, tokenizer=loaded.tokenizer, device=self.device
                )
            return self._pipelines[key]

    def preload(self, progress: Callable[[str], None] = log.info) -> dict[str, ModelLoadError]:
        """Load every checkpoint of the profile now; returns the failures (the app still starts)."""
        failures: dict[str, ModelLoadError] = {}
        checkpoints = self.profile.checkpoints()
        for number, checkpoint in enumerate(checkpoints, start=1):
            progress(f"[{number}/{len(checkpoints)}] loading {checkpoint}")
            try:
                self.model(checkpoint)
            except ModelLoadError as exc:
                failures[checkpoint] = exc
                progress(f"[{number}/{len(checkpoints)}] failed: {exc}")
        return failures

    # -- running -------------------------------------------------------------------------------------------------

    def count_tokens(self, checkpoint: str, text: str) -> int:
        """Tokens of `text` with the special tokens the model adds; loads the checkpoint if needed."""
        return len(self.model(checkpoint).tokenizer(text, verbose=False)["input_ids"])

    def truncation(self, checkpoint: str, text: str, reserved: int = 0) -> Truncation | None:
        """How `text` would be cut to fit the model, `reserved` tokens kept free (e.g. for a zero-shot hypothesis)."""
        limit = self.model(checkpoint).max_tokens - reserved
        # A byte-level BPE token covers at least one byte, so a text of few bytes cannot be cut: no need to
        # tokenise it twice on the hot path.
        if len(text.encode("utf-8")) + 2 <= limit:
            return None
        total = self.count_tokens(checkpoint, text)
        return Truncation(total, limit) if total > limit else None

    def _hypothesis_tokens(self, checkpoint: str, call_args: dict[str, Any]) -> int:
        """Tokens the longest zero-shot hypothesis takes from the model's limit (the premise is cut, not it)."""
        template = call_args.get("hypothesis_template", "This example is {}.")
        labels = call_args.get("candidate_labels") or [""]
        labels = [labels] if isinstance(labels, str) else labels
        return max(self.count_tokens(checkpoint, template.format(label)) for label in labels)

    def run(self, task: str, texts: Sequence[str], checkpoint: str | None = None, **call_args: Any) -> Inference:
        """Run `task`'s pipeline on `texts` as one batched call; inputs longer than the model are truncated.

        NER reads long texts in overlapping windows (nothing is cut); other tasks keep each text's first tokens.
        With dynamic batching on, single-text classifications from concurrent requests share forward passes.
        """
        checkpoint = self.checkpoint_for(task, checkpoint)
        if self.batching and TASKS[task].pipeline_task == "text-classification" and len(texts) == 1:
            return self._batcher(task, checkpoint, call_args).submit(texts[0])
        return self._run_pipeline(task, checkpoint, list(texts), call_args)

    def _run_pipeline(self, task: str, checkpoint: str, texts: list[str], call_args: dict[str, Any]) -> Inference:
        pipe = self.pipeline(task, checkpoint)
        pipeline_task = TASKS[task].pipeline_task
        call_args = dict(call_args)
        if pipeline_task == "token-classification":
            truncations: tuple[Truncation | None, ...] = (None,) * len(texts)
            call_args.setdefault("stride", NER_STRIDE)
        else:
            zero_shot = pipeline_task == "zero-shot-classification"
            reserved = self._hypothesis_tokens(checkpoint, call_args) if zero_shot else 0
            truncations = tuple(self.truncation(checkpoint, t, reserved) for t in texts)
            if pipeline_task == "text-classification":
                call_args.setdefault("truncation", True)
        started = time.perf_counter()
        # One text goes in alone: a list makes the pipeline build a DataLoader, a few ms for nothing.
        outputs = [pipe(texts[0], **call_args)] if len(texts) == 1 else pipe(texts, **call_args)
        return Inference(outputs, checkpoint, self.device, time.perf_counter() - started, truncations)

    def _batcher(self, task: str, checkpoint: str, call_args: dict[str, Any]) -> MicroBatcher[str, Inference]:
        """The batcher that merges concurrent single-text requests with the same task, checkpoint and options."""
        key = (task, checkpoint, tuple(sorted(call_args.items())))
        with self._registry:
            if key not in self._batchers:
                run_batch = functools.partial(self._run_as_one, task, checkpoint, call_args)
                self._batchers[key] = MicroBatcher(run_batch, self.max_batch_size)
            return self._batchers[key]

    def _run_as_one(self, task: str, checkpoint: str, call_args: dict[str, Any], texts: list[str]) -> list[Inference]:
        together = self._run_pipeline(task, checkpoint, texts, {**call_args, "batch_size": len(texts)})
        return [replace(together, outputs=[output], truncations=(truncation,))
                for output, truncation in zip(together.outputs, together.truncations)]  # fmt: skip

    @contextmanager
    def _eager_attention(self, loaded: LoadedModel) -> Iterator[None]:
        """Switch a model to eager attention while any attention request uses it (sdpa gives no weights).

        Concurrent task requests on the same model keep working: eager and sdpa compute the same values.
        """
        with loaded.lock:
            if loaded.eager_users == 0 and loaded.default_attention != "eager":
                loaded.model.set_attn_implementation("eager")
            loaded.eager_users += 1
        try:
            yield
        finally:
            with loaded.lock:
                loaded.eager_users -= 1
                if loaded.eager_users == 0 and loaded.default_attention != "eager":
                    loaded.model.set_attn_implementation(loaded.default_attention)

    def attention(
        self, text: str, text_pair: str | None = None, checkpoint: str | None = None, max_tokens: int | None = None
    ) -> AttentionWeights:
        """Attention weights of `checkpoint` on `text` (and optional `text_pair`), cut to `max_tokens`."""
        checkpoint = self.checkpoint_for("attention", checkpoint)
        loaded = self.model(checkpoint)
        limit = min(max_tokens or loaded.max_tokens, loaded.max_tokens)
        encode = dict(text=text, text_pair=text_pair or None, return_offsets_mapping=True)
        total = len(loaded.tokenizer(**encode, verbose=False)["input_ids"])
        encoded = loaded.tokenizer(**encode, truncation=True, max_length=limit, return_tensors="pt")
        offsets = [tuple(map(int, span)) for span in encoded.pop("offset_mapping")[0]]
        started = time.perf_counter()
        with self._eager_attention(loaded), torch.inference_mode():
            output = loaded.model(**encoded.to(self.device), output_attentions=True)
        weights = torch.stack(output.attentions)[:, 0].float().cpu().numpy()
        return AttentionWeights(
            tokens=loaded.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist()),
            offsets=offsets,
            weights=weights,
            checkpoint=checkpoint,
            device=self.device,
            seconds=time.perf_counter() - started,
            truncation=Truncation(total, limit) if total > limit else None,
        )
