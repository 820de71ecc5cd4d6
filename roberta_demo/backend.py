"""The one inference backend: device choice, lazily loaded and cached models and pipelines, load errors.

Every task goes through `Backend`, which knows models, not tasks. It loads each checkpoint once (with the richest
head any configured task needs), on first use, under a per-checkpoint lock so that concurrent first requests cause
a single load, and one build at a time in the process (`roberta_demo.loading`: transformers' loading is not
thread-safe). A failed load is not cached: the next request tries again. `warm_up` loads the profile in the
background, most used first. All model work shares the device through one `DeviceScheduler`
(`roberta_demo.scheduling`): quick passes first, long work in slices, a share of the device kept for long work. A
task asks for work in one of two ways:

- `run(call, texts, checkpoint)`: a transformers pipeline, described by the task as a `PipelineCall` (which
  pipeline, its call arguments, the tokens the task reserves, whether long input is read in windows). The backend
  truncates and reports, and merges concurrent single-text calls into batches where the call allows it.
- `apply(checkpoint, fn)`: `fn(loaded_model)` for work no pipeline does (attention weights, hidden states).

`Engine` is that interface as the tasks see it. `Backend` is the in-process engine; `roberta_demo.ray_engine` runs
the same work on Ray Serve replicas, so that no task knows which engine runs it.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import time
import warnings
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import torch
import transformers

from roberta_demo import loading, scheduling
from roberta_demo.batching import BatchObserver, MicroBatcher
from roberta_demo.errors import ModelLoadError, ModelNotHeld, shown
from roberta_demo.hub import is_cached, missing_message
from roberta_demo.loading import MODEL_CLASSES, HalfBuilt
from roberta_demo.messages import say
from roberta_demo.profiles import Profile, UnknownCheckpoint
from roberta_demo.results import RunInfo, Truncation
from roberta_demo.scheduling import DeviceScheduler

__all__ = [
    "MODEL_CLASSES",
    "Backend",
    "Engine",
    "Inference",
    "LoadListener",
    "LoadedModel",
    "PipelineCall",
    "StopSignal",
    "as_bio_tags",
    "choose_device",
    "choose_dtype",
    "class_names",
    "default_compute_slots",
    "load_each",
    "not_configured",
    "quantize_int8",
    "start_warm_up",
]

log = logging.getLogger(__name__)
R = TypeVar("R")
T = TypeVar("T")
LoadListener = Callable[[str], None]  # told a checkpoint's name just before its first load

# transformers types `pipeline` by its literal task names; the backend builds whichever pipeline a task names.
_make_pipeline: Callable[..., Any] = transformers.pipeline


def choose_device(requested: str, *, cuda_available: bool, mps_available: bool) -> str:
    """The device to run on: `requested` if usable, else the best available (CUDA, then Apple MPS, then CPU)."""
    requested = (requested or "auto").strip().lower()
    usable = {"cuda": cuda_available, "mps": mps_available, "cpu": True}
    kind = requested.split(":")[0]
    if usable.get(kind):
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


def default_compute_slots(device: str) -> int:
    """Model work at once on `device`: one on a CPU or Apple GPU (a pass already uses every core); two on CUDA, so
    that one request's tokenising and decoding on the CPU overlaps another's pass on the GPU."""
    return 2 if device.startswith("cuda") else 1


def as_bio_tags(config: Any) -> None:
    """Rename a token classifier's BIOES tags to the BIO tags transformers' entity grouping knows: `S-x` (an
    entity of one token, as CLUENER's models tag a one-character name) begins an entity, `B-x`; `E-x` ends one,
    `I-x`. Left as they are, transformers reads an unknown prefix as a continuation: two one-character places side
    by side ("杭京") would come back as one entity."""
    renamed = {"S": "B", "E": "I"}
    labels = {
        index: f"{renamed[label[0]]}{label[1:]}" if label[:2] in ("S-", "E-") else label
        for index, label in config.id2label.items()
    }
    config.id2label, config.label2id = labels, {label: index for index, label in labels.items()}


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of every Linear layer (CPU only): faster on most CPUs, probabilities move a
    little (the benchmark reports both). torch marks the API deprecated but it still works; its warning is
    noise here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _load_error(checkpoint: str, location: str, exc: Exception) -> ModelLoadError:
    """The refusal for a failed load, naming the checkpoint; its folder's path (in transformers' own message too) is
    replaced by the checkpoint's name."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    detail = detail.replace(location, checkpoint) if location != checkpoint else detail
    if isinstance(exc, HalfBuilt):
        return ModelLoadError(
            checkpoint,
            say(
                "Model {checkpoint} did not load completely ({detail}); try again.",
                checkpoint=checkpoint,
                detail=detail,
            ),
        )
    if not is_cached(location):
        missing = missing_message(checkpoint, location)
        return ModelLoadError(checkpoint, say("{missing} ({detail})", missing=missing, detail=detail))
    return ModelLoadError(
        checkpoint,
        say(
            "Model {checkpoint} is cached but could not be loaded ({detail}). Its files may be corrupt or incomplete: "
            "delete it (`hf cache delete`) and run `python -m roberta_demo download` again.",
            checkpoint=checkpoint,
            detail=detail,
        ),
    )


def _position_limit(config: Any) -> int:
    """Tokens the model's position embeddings cover. RoBERTa-family models number positions from after the padding
    index, so two of their 514 positions are never used by tokens."""
    offset = config.pad_token_id + 1 if "roberta" in config.model_type else 0
    return int(config.max_position_embeddings - offset)


@dataclass(frozen=True)
class PipelineCall:
    """How a task calls a transformers pipeline, split as `Pipeline._sanitize_parameters` splits it.

    pipeline: the transformers pipeline task, e.g. "text-classification".
    arguments: passed to every call of the pipeline.
    reserved_tokens: tokens of the model's limit the task keeps for text it adds to the input, so the input is
        cut — and reported as cut — that much earlier.
    windowed: the pipeline reads long input in overlapping windows itself; nothing is cut.
    batchable: concurrent single-text calls may share a forward pass.
    """

    pipeline: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    reserved_tokens: int = 0
    windowed: bool = False
    batchable: bool = False

    def key(self) -> str:
        """Equal for calls that may share a batch: the same pipeline, arguments and truncation."""
        return repr((self.pipeline, sorted(self.arguments.items()), self.reserved_tokens, self.windowed))


@dataclass(frozen=True)
class Inference:
    """Raw pipeline outputs (one per input) and how they were produced."""

    outputs: list[Any]
    checkpoint: str
    device: str
    seconds: float
    truncations: tuple[Truncation | None, ...]


@dataclass
class LoadedModel:
    """A checkpoint in memory: its model (with its head), its tokenizer, and where it runs."""

    checkpoint: str
    model: Any
    tokenizer: Any
    device: str
    max_tokens: int
    default_attention: str = "sdpa"
    lock: threading.Lock = field(default_factory=threading.Lock)
    eager_users: int = 0
    sliced: bool = True  # its passes have slice boundaries, where long work gives the device up to waiting work

    def __post_init__(self) -> None:
        if self.sliced:
            scheduling.mark_slice_boundaries(self.model)

    def __getstate__(self) -> dict[str, Any]:
        # A model crosses processes on the Ray engine (a fine-tuned copy goes from its training task to the actor
        # that keeps it). It goes as its class, configuration and weights: a module that has returned attention
        # weights carries transformers' recording hooks, which do not survive pickling. Its lock and attention
        # users belong to the process it leaves.
        model = self.model
        weights = {name: tensor.cpu() for name, tensor in model.state_dict().items()}
        return {
            **self.__dict__,
            "model": (type(model), model.config, weights, model.dtype),
            "lock": None,
            "eager_users": 0,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        model_class, config, weights, dtype = state["model"]
        with loading.building():
            model = model_class(config)
        model.load_state_dict(weights)
        model.to(device=state["device"], dtype=dtype).eval()
        self.__dict__.update(state, model=model, lock=threading.Lock())
        self.__post_init__()

    def placed(self, values: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """Model inputs (token id lists, masks, tensors) as tensors on the model's device."""
        return {name: torch.as_tensor(value, device=self.device) for name, value in values.items()}

    def run(
        self,
        inputs: Mapping[str, Any],
        work: Callable[[dict[str, torch.Tensor]], R],
        *,
        attentions: bool = False,
        gradients: bool = False,
        truncation: Truncation | None = None,
    ) -> tuple[R, RunInfo]:
        """`work` on the inputs placed on the model's device, and how that went: in inference mode unless it needs
        `gradients` (attributions), with eager attention while it reads `attentions`; timed until the device's
        work is done. Tasks call it inside `Engine.apply`, which runs under the device scheduler."""
        tensors = self.placed(inputs)
        started = time.perf_counter()
        with self.eager_attention() if attentions else nullcontext(), torch.inference_mode(not gradients):
            result = work(tensors)
            self.synchronize()
        return result, RunInfo(self.checkpoint, self.device, time.perf_counter() - started, truncation)

    def trainable(self, module: Any) -> LoadedModel:
        """A new model to train (a copy under another head, or of the same one), placed on this model's device in
        float32 (half precision does not train well), with this model's tokenizer and limits. The shared model
        stays as it is."""
        module.to(device=self.device, dtype=torch.float32)
        return LoadedModel(self.checkpoint, module, self.tokenizer, self.device, self.max_tokens, sliced=self.sliced)

    def synchronize(self) -> None:
        """Wait for the device's queued work: CUDA runs ahead of Python, so a clock read before this is early."""
        if self.device.startswith("cuda"):
            torch.cuda.synchronize(self.device)

    def count_tokens(self, text: str, text_pair: str | None = None) -> int:
        """Tokens of the input with the special tokens the model adds."""
        return len(self.tokenizer(text, text_pair, verbose=False)["input_ids"])

    def truncation(self, text: str, reserved: int = 0) -> Truncation | None:
        """How `text` would be cut to fit the model, `reserved` tokens kept free."""
        limit = self.max_tokens - reserved
        # Every token covers at least one byte of the text, so a text of few bytes cannot be cut: no need to
        # tokenise it twice on the hot path.
        if len(text.encode("utf-8")) + 2 <= limit:
            return None
        total = self.count_tokens(text)
        return Truncation(total, limit) if total > limit else None

    @contextmanager
    def eager_attention(self) -> Iterator[None]:
        """Eager attention while any caller needs attention weights (sdpa computes the same values, returns none).

        Concurrent calls on the same model keep working: eager and sdpa compute the same outputs.
        """
        with self.lock:
            if self.eager_users == 0 and self.default_attention != "eager":
                self.model.set_attn_implementation("eager")
            self.eager_users += 1
        try:
            yield
        finally:
            with self.lock:
                self.eager_users -= 1
                if self.eager_users == 0 and self.default_attention != "eager":
                    self.model.set_attn_implementation(self.default_attention)


def not_configured(checkpoint: str) -> UnknownCheckpoint:
    """The refusal for a checkpoint the profile does not list: whatever a client sends, only those load."""
    return UnknownCheckpoint(
        say("Checkpoint {checkpoint} is not configured on this server.", checkpoint=shown(checkpoint))
    )


def class_names(config: Any) -> list[str]:
    """A classifier's class names in id order."""
    return [config.id2label[i] for i in sorted(config.id2label)]


def load_each(
    checkpoints: Sequence[str], load: Callable[[str], Any], doing: str, progress: Callable[[str], None]
) -> dict[str, ModelLoadError]:
    """`load` every checkpoint, telling `progress` ("[2/8] loading …") as it goes; returns the failures."""
    failures: dict[str, ModelLoadError] = {}
    for number, checkpoint in enumerate(checkpoints, start=1):
        progress(f"[{number}/{len(checkpoints)}] {doing} {checkpoint}")
        try:
            load(checkpoint)
        except ModelLoadError as exc:
            failures[checkpoint] = exc
            progress(f"[{number}/{len(checkpoints)}] failed: {exc}")
    return failures


def start_warm_up(
    checkpoints: Sequence[str], load: Callable[[str], Any], doing: str, progress: Callable[[str], None] = log.info
) -> threading.Thread:
    """A daemon thread that `load`s the checkpoints one after another, telling `progress` as it goes."""

    def warm() -> None:
        started = time.perf_counter()
        failures = load_each(checkpoints, load, f"warm-up: {doing}", progress)
        ready, seconds = len(checkpoints) - len(failures), time.perf_counter() - started
        progress(f"warm-up: {ready} of {len(checkpoints)} checkpoint(s) ready in {seconds:.1f} s")

    thread = threading.Thread(target=warm, name="warm-up", daemon=True)
    thread.start()
    return thread


class StopSignal(Protocol):
    """Asks long work to stop after the step under way (a `threading.Event` is one)."""

    def is_set(self) -> bool: ...


class Engine(Protocol):
    """What tasks ask of the engine that runs their model work, in this process (`Backend`) or on a Ray cluster
    (`roberta_demo.ray_engine.RayEngine`). Every method may raise `ModelLoadError` with a message for a person."""

    profile: Profile
    device: str

    @property
    def concurrency(self) -> int:
        """Requests worth sending at once: what the engine can batch or spread over its replicas."""
        ...

    def checkpoint_for(self, task: str, requested: str | None = None) -> str: ...

    def run(
        self, call: PipelineCall, texts: Sequence[str], checkpoint: str, on_load: LoadListener | None = None
    ) -> Inference: ...

    def apply(self, checkpoint: str, fn: Callable[[LoadedModel], R], on_load: LoadListener | None = None) -> R: ...

    def config(self, checkpoint: str, on_load: LoadListener | None = None) -> Any: ...

    def labels(self, checkpoint: str, on_load: LoadListener | None = None) -> list[str]: ...

    def count_tokens(self, checkpoint: str, text: str, on_load: LoadListener | None = None) -> int: ...

    def hold(self, model: LoadedModel, owner: str | None = None) -> str: ...

    def apply_held(self, key: str | None, fn: Callable[[LoadedModel], R]) -> R: ...

    def release(self, key: str | None) -> None: ...

    @property
    def held_count(self) -> int: ...

    def stream(
        self,
        work: Callable[..., Iterator[T]],
        args: tuple[Any, ...],
        stop: StopSignal | None = None,
        on_load: LoadListener | None = None,
    ) -> Iterator[T]:
        """Long model work that reports as it goes (fine-tuning): `work(engine, *args, stop=…, on_load=…)`'s updates,
        where the engine runs model work; `on_load` reaches it where the work runs in this process."""
        ...

    def preload(self, progress: Callable[[str], None] = log.info) -> dict[str, ModelLoadError]: ...

    def warm_up(self) -> threading.Thread:
        """Load every checkpoint in a background thread, most used first, while requests are served (a request for a
        checkpoint waits only for that one); returns the thread."""
        ...

    def close(self) -> None: ...


class Backend:
    """Loads checkpoints of one profile on one device, lazily, once each; runs pipelines and functions on them."""

    def __init__(
        self,
        profile: Profile,
        device: str = "auto",
        *,
        batching: bool = True,
        max_batch_size: int = 16,
        quantize: bool = False,
        batch_observer: BatchObserver | None = None,
        max_held_models: int = 3,
        compute_slots: int | None = None,
        long_share: float = 0.25,
        slice_seconds: float = 0.1,
        slice_boundaries: bool = True,
    ):
        self.profile = profile
        self.quantize = quantize
        self.batching = batching
        self.max_batch_size = max_batch_size
        self.device = detect_device(device)
        self.dtype = choose_dtype(self.device)
        self.load_counts: Counter[str] = Counter()
        self._batch_observer = batch_observer
        self._models: dict[str, LoadedModel] = {}
        self._pipelines: dict[tuple[str, str], Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._batchers: dict[tuple[str, str], MicroBatcher[str, Inference]] = {}
        self._registry = threading.Lock()
        self.max_held_models = max_held_models
        self._held: OrderedDict[str, LoadedModel] = OrderedDict()
        self.compute_slots = compute_slots or default_compute_slots(self.device)
        self.scheduler = DeviceScheduler(self.compute_slots, long_share, slice_seconds)
        self.slice_boundaries = slice_boundaries  # off only to measure what slicing costs (the benchmark)

    def checkpoint_for(self, task: str, requested: str | None = None) -> str:
        """The checkpoint to use for `task`; only checkpoints the profile allows for it."""
        return self.profile.checkpoint_for(task, requested, self.device)

    @property
    def concurrency(self) -> int:
        """A batch's worth with dynamic batching (the batcher merges them into one pass); else one at a time."""
        return self.max_batch_size if self.batching else 1

    # -- loading -------------------------------------------------------------------------------------------------

    @property
    def loaded_checkpoints(self) -> list[str]:
        """The checkpoints in memory, in the order their loads finished."""
        return list(self._models)

    def _lock_for(self, checkpoint: str) -> threading.Lock:
        with self._registry:
            return self._locks.setdefault(checkpoint, threading.Lock())

    def model(self, checkpoint: str, on_load: LoadListener | None = None, background: bool = False) -> LoadedModel:
        """The loaded checkpoint, loading it on first use (`on_load` is told first); `background`: for the warm-up,
        whose loads let every load a visitor waits for go first.

        A visitor of a loaded checkpoint never waits for a load. Raises `ModelLoadError`, which is not cached: the
        next call tries again.
        """
        if (loaded := self._models.get(checkpoint)) is not None:
            return loaded
        if checkpoint not in self.profile.checkpoints():  # whatever a client sends, only listed checkpoints load
            raise not_configured(checkpoint)
        if on_load is not None:
            on_load(checkpoint)
        with scheduling.set_aside(), self._lock_for(checkpoint):  # waiting for a load is no work on the device
            if checkpoint not in self._models:
                self._models[checkpoint] = self._load(checkpoint, background)
            return self._models[checkpoint]

    def _load(self, checkpoint: str, background: bool = False) -> LoadedModel:
        head = self.profile.head_of(checkpoint)
        # Checkpoints only inspected for attention load with eager attention: sdpa returns no attention weights.
        attention = "eager" if head == "base" else "sdpa"
        location = self.profile.location(checkpoint)
        with loading.building(background):
            log.info("Loading %s (%s, from %s) on %s", checkpoint, head, location, self.device)
            self.load_counts[checkpoint] += 1
            started = time.perf_counter()
            try:
                # Never run code shipped with a checkpoint; only configured checkpoints load at all.
                tokenizer = transformers.AutoTokenizer.from_pretrained(location, trust_remote_code=False)
                model = MODEL_CLASSES[head].from_pretrained(
                    location, dtype=self.dtype, attn_implementation=attention, trust_remote_code=False
                )
                loading.check_materialised(model, checkpoint)
            except Exception as exc:  # any failure (network, missing files, bad weights) becomes one clear error
                raise _load_error(checkpoint, location, exc) from exc
            model.to(self.device).eval()
            if head == "token-classification":
                as_bio_tags(model.config)
            if self.quantize and self.device == "cpu":
                model = quantize_int8(model)
        tokenizer.model_max_length = min(tokenizer.model_max_length, _position_limit(model.config))
        # User text is data: a typed "<mask>" or "</s></s>" is read as characters, not as special tokens.
        tokenizer.split_special_tokens = True
        log.info("Loaded %s in %.1f s", checkpoint, time.perf_counter() - started)
        limit = tokenizer.model_max_length
        return LoadedModel(checkpoint, model, tokenizer, self.device, limit, attention, sliced=self.slice_boundaries)

    def config(self, checkpoint: str, on_load: LoadListener | None = None) -> Any:
        """The checkpoint's configuration (read without waiting for a compute slot)."""
        return self.model(checkpoint, on_load).model.config

    def labels(self, checkpoint: str, on_load: LoadListener | None = None) -> list[str]:
        """The checkpoint's class names in id order."""
        return class_names(self.config(checkpoint, on_load))

    def count_tokens(self, checkpoint: str, text: str, on_load: LoadListener | None = None) -> int:
        """Tokens of `text` with the special tokens the model adds."""
        return self.model(checkpoint, on_load).count_tokens(text)

    # -- models that belong to a visitor's session -------------------------------------------------------------------

    def hold(self, model: LoadedModel, owner: str | None = None) -> str:
        """Keep a model made for one visitor (a fine-tuned copy) in memory and return its key: `owner` (a session,
        whose earlier model this one replaces) or a new random key. The oldest held model goes when more than
        `max_held_models` are held. The configured checkpoints are not touched."""
        key = owner or secrets.token_urlsafe(16)
        with self._registry:
            self._held.pop(key, None)  # a replaced model counts as new: it is the last to go
            self._held[key] = model
            while len(self._held) > self.max_held_models:
                self._held.popitem(last=False)
                log.info("Released a session model to make room (%d held at most)", self.max_held_models)
        return key

    def held(self, key: str | None) -> LoadedModel | None:
        """The model held under `key`, or None if it was released or never existed."""
        with self._registry:
            return self._held.get(key or "")

    def apply_held(self, key: str | None, fn: Callable[[LoadedModel], R]) -> R:
        """`fn(model)` on the model held under `key`; `ModelNotHeld` if there is none."""
        if (model := self.held(key)) is None:
            raise ModelNotHeld(key)
        with self.scheduler.work():
            return fn(model)

    def release(self, key: str | None) -> None:
        """Free a held model (its session ended)."""
        with self._registry:
            self._held.pop(key or "", None)

    @property
    def held_count(self) -> int:
        """How many visitors' models are in memory now."""
        with self._registry:
            return len(self._held)

    def preload(self, progress: Callable[[str], None] = log.info) -> dict[str, ModelLoadError]:
        """Load every checkpoint of the profile now; returns the failures (the app still starts)."""
        return load_each(self.profile.checkpoints(), self.model, "loading", progress)

    def warm_up(self) -> threading.Thread:
        """Load every checkpoint in a background thread, most used first (`Profile.by_use`), one after another; a
        visitor's load goes before the warm-up's next one. Failures are logged and retried on the next request."""
        order = self.profile.by_use(self.device)
        return start_warm_up(order, functools.partial(self.model, background=True), "loading")

    def stream(
        self,
        work: Callable[..., Iterator[T]],
        args: tuple[Any, ...],
        stop: StopSignal | None = None,
        on_load: LoadListener | None = None,
    ) -> Iterator[T]:
        """`work`'s updates, computed in the caller's thread as one long job on the device, a turn per update (a
        fine-tuning run: a step a turn), so that quick requests go on being answered between them."""
        return self.scheduler.sliced(work(self, *args, stop=stop, on_load=on_load))

    def close(self) -> None:
        """Nothing to let go of but memory; for the `Engine` interface."""

    # -- running -------------------------------------------------------------------------------------------------

    def apply(self, checkpoint: str, fn: Callable[[LoadedModel], R], on_load: LoadListener | None = None) -> R:
        """`fn(model)` on the loaded checkpoint, for work that no pipeline does."""
        loaded = self.model(checkpoint, on_load)
        with self.scheduler.work():
            return fn(loaded)

    def run(
        self, call: PipelineCall, texts: Sequence[str], checkpoint: str, on_load: LoadListener | None = None
    ) -> Inference:
        """Run `call`'s pipeline on `texts` as one batched call; inputs longer than the model are truncated
        (unless the call reads them in windows). With dynamic batching on, single-text calls that allow it share
        forward passes with concurrent requests."""
        self.model(checkpoint, on_load)
        if self.batching and call.batchable and len(texts) == 1:
            return self._batcher(call, checkpoint).submit(texts[0])
        return self._run_pipeline(call, checkpoint, list(texts))

    def _pipeline(self, pipeline: str, checkpoint: str) -> Any:
        """The cached transformers pipeline on the shared loaded model."""
        key = (pipeline, checkpoint)
        if (cached := self._pipelines.get(key)) is not None:
            return cached
        loaded = self.model(checkpoint)
        # The device first, then the checkpoint's lock: holding the lock while waiting for the device again (after
        # the build) would deadlock with work that holds the device and waits for the lock.
        with scheduling.set_aside(), self._lock_for(checkpoint), loading.building():
            if key not in self._pipelines:
                self._pipelines[key] = _make_pipeline(
                    pipeline, model=loaded.model, tokenizer=loaded.tokenizer, device=self.device
                )
            return self._pipelines[key]

    def _run_pipeline(self, call: PipelineCall, checkpoint: str, texts: list[str]) -> Inference:
        pipe, loaded = self._pipeline(call.pipeline, checkpoint), self.model(checkpoint)
        if call.windowed:
            truncations: tuple[Truncation | None, ...] = (None,) * len(texts)
        else:
            truncations = tuple(loaded.truncation(text, call.reserved_tokens) for text in texts)
        with self.scheduler.work() as job:  # the time reported is the model's, not the waits for the device
            started, waited = time.perf_counter(), job.waited_seconds
            # One text goes in alone: a list makes the pipeline build a DataLoader, a few ms for nothing.
            outputs = [pipe(texts[0], **call.arguments)] if len(texts) == 1 else pipe(texts, **call.arguments)
            seconds = time.perf_counter() - started - (job.waited_seconds - waited)
        return Inference(outputs, checkpoint, self.device, seconds, truncations)

    def _batcher(self, call: PipelineCall, checkpoint: str) -> MicroBatcher[str, Inference]:
        """The batcher that merges concurrent single-text calls alike in every respect, on one checkpoint."""
        key = (checkpoint, call.key())
        with self._registry:
            if key not in self._batchers:
                run_batch = functools.partial(self.run_together, call, checkpoint)
                self._batchers[key] = MicroBatcher(
                    run_batch, self.max_batch_size, self._batch_observer, turn=self.scheduler.work
                )
            return self._batchers[key]

    def run_together(self, call: PipelineCall, checkpoint: str, texts: list[str]) -> list[Inference]:
        """The texts in one pass (one batch), each with its own `Inference`."""
        batch_call = replace(call, arguments={**call.arguments, "batch_size": len(texts)})
        together = self._run_pipeline(batch_call, checkpoint, texts)
        return [
            replace(together, outputs=[output], truncations=(truncation,))
            for output, truncation in zip(together.outputs, together.truncations, strict=True)
        ]
