"""The Ray engine (`--engine ray`): the same model work as `Backend`, run by Ray Serve replicas on a cluster.

The Gradio app stays a thin front end. Each checkpoint of the profile is a Ray Serve application of its own, deployed
on first use: replicas that each hold the checkpoint in an in-process `Backend`, which Serve starts, restarts when
they die, and scales between a minimum and a maximum by the requests waiting. Single texts are batched inside a
replica by the backend's own `MicroBatcher`, under the replica's device scheduler, as in process. A visitor's
fine-tuning runs as a Ray task with its resources declared; the model it makes is kept by an actor of this front end
(`Shelf`), where the visitor's later requests run on it. Tasks see none of this: `RayEngine` answers the `Engine`
interface.

Everything that crosses to Ray pickles: pipeline calls, the functions tasks apply (module-level functions and
partials), results, and models. Errors raised by the work come back as they were raised (an `InputError` stays an
`InputError`); a replica that dies under a request fails that request with an `EngineError`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import ray
from ray import serve
from ray.exceptions import RayError, RayTaskError

import roberta_demo
from roberta_demo.backend import (
    Backend,
    Inference,
    LoadedModel,
    LoadListener,
    PipelineCall,
    StopSignal,
    class_names,
    load_each,
    not_configured,
    start_warm_up,
)
from roberta_demo.config import ConfigError, Settings
from roberta_demo.errors import EngineError, InputError, ModelLoadError, ModelNotHeld
from roberta_demo.messages import Message, say
from roberta_demo.profiles import Profile

__all__ = ["CheckpointReplica", "RayEngine", "RayOptions", "Refused", "Shelf", "app_name"]

log = logging.getLogger(__name__)
R = TypeVar("R")
T = TypeVar("T")

NAMESPACE = "roberta_demo"
REQUEST_TIMEOUT_S = 300.0  # past it a request is failed with a message, not left waiting without end
SERVE_LOGGING = {"log_level": "WARNING", "enable_access_log": False}  # a line per request would drown the app's log


@dataclass(frozen=True)
class RayOptions:
    """How the engine uses Ray: which cluster, how many replicas per checkpoint, what each reserves.

    min_replicas == max_replicas: that many replicas, always; otherwise Serve autoscales between them.
    """

    address: str | None = None
    min_replicas: int = 1
    max_replicas: int = 2
    cpus: float = 1.0
    gpus: float = 0.0
    max_batch_size: int = 16
    quantize: bool = False
    held_models: int = 3
    long_share: float = 0.25  # the device scheduler's, in each replica (see `roberta_demo.scheduling`)
    slice_seconds: float = 0.1

    @classmethod
    def from_settings(cls, settings: Settings) -> RayOptions:
        low, high = _replica_range(settings.ray_replicas)
        return cls(
            settings.ray_address,
            low,
            high,
            settings.ray_cpus,
            settings.ray_gpus,
            quantize=settings.quantize == "int8",
            held_models=settings.held_models,
            long_share=settings.long_share,
            slice_seconds=settings.slice_ms / 1000,
        )

    def scaling(self) -> dict[str, Any]:
        """Serve's deployment options for the replica count."""
        if self.min_replicas == self.max_replicas:
            return {"num_replicas": self.min_replicas}
        # A replica keeps a batch's worth of requests going before Serve adds another.
        target = max(2, self.max_batch_size // 2)
        return {
            "autoscaling_config": {
                "min_replicas": self.min_replicas,
                "max_replicas": self.max_replicas,
                "target_ongoing_requests": target,
            }
        }


def _replica_range(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text or "")
    if not match:
        raise ConfigError(f"ROBERTA_DEMO_RAY_REPLICAS={text!r}: use a number (2) or a range (1-4)")
    low = int(match[1])
    high = int(match[2] or low)
    if not 1 <= low <= high:
        raise ConfigError(f"ROBERTA_DEMO_RAY_REPLICAS={text!r}: at least 1 replica, and the minimum first")
    return low, high


@dataclass(frozen=True)
class Refused:
    """An error meant for a person (bad input, a model that cannot load), returned rather than raised by the work on
    Ray: raised, Serve would log each one with its traceback as a failure of the replica. The front end raises it."""

    error: Exception


_REFUSALS = (InputError, ModelLoadError, ModelNotHeld)


def _refusing(work: Callable[..., R]) -> Callable[..., R | Refused]:
    """`work`, returning a person's error as a `Refused`."""

    @functools.wraps(work)
    def answer(*args: Any) -> R | Refused:
        try:
            return work(*args)
        except _REFUSALS as exc:
            return Refused(exc)

    return answer


def app_name(checkpoint: str) -> str:
    """The Serve application of a checkpoint: readable, and unique (a hash of the full name)."""
    readable = re.sub(r"[^A-Za-z0-9]+", "-", checkpoint).strip("-")[-40:]
    return f"roberta-demo-{readable}-{hashlib.sha256(checkpoint.encode()).hexdigest()[:8]}"


# -- what runs on Ray --------------------------------------------------------------------------------------------------


@serve.deployment(name="checkpoint", max_ongoing_requests=64, logging_config=SERVE_LOGGING)
class CheckpointReplica:
    """One checkpoint in one replica: an in-process `Backend` that holds only it, whose batcher and device scheduler
    share the replica's device among the requests it runs, as in process."""

    def __init__(self, profile: Profile, checkpoint: str, options: RayOptions) -> None:
        self.backend = Backend(
            profile,
            "auto",
            batching=True,
            quantize=options.quantize,
            max_batch_size=options.max_batch_size,
            long_share=options.long_share,
            slice_seconds=options.slice_seconds,
        )
        self.checkpoint = checkpoint
        # Single texts wait in the backend's batcher, a thread each (Serve's pool for sync methods has only
        # num_cpus + 4): a batch is taken when the device is free for it, so texts that arrive while long work holds
        # the device join it.
        self._batching = concurrent.futures.ThreadPoolExecutor(2 * options.max_batch_size, "batch")
        try:
            self.backend.model(checkpoint)
        except ModelLoadError as exc:  # the replica still starts: each request tries again and says why it fails
            log.warning("%s", exc)

    async def run_one(self, call: PipelineCall, text: str) -> Inference | Refused:
        """One text, in a pass with whatever else arrives with it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._batching, self.run, call, [text])

    @_refusing
    def run(self, call: PipelineCall, texts: list[str]) -> Inference:
        return self.backend.run(call, texts, self.checkpoint)

    @_refusing
    def apply(self, fn: Callable[[LoadedModel], R]) -> R:
        return self.backend.apply(self.checkpoint, fn)

    @_refusing
    def config(self) -> Any:
        return self.backend.config(self.checkpoint)

    @_refusing
    def count_tokens(self, text: str) -> int:
        return self.backend.count_tokens(self.checkpoint, text)

    def actor_name(self) -> str:
        """This replica's Ray actor (the fault test kills it through Ray's API)."""
        return str(ray.get_runtime_context().get_actor_name())


@ray.remote(num_cpus=0, max_restarts=-1)
class Shelf:
    """The visitors' fine-tuned models of one front end, and the stop switches of its training runs. A restarted
    shelf is empty: its visitors are told to train again."""

    def __init__(self, profile: Profile, max_held_models: int) -> None:
        self.backend = Backend(profile, "auto", batching=False, max_held_models=max_held_models)
        self.stopping: set[str] = set()

    def hold(self, model: LoadedModel, owner: str | None) -> str:
        return self.backend.hold(model, owner)

    @_refusing
    def apply(self, key: str | None, fn: Callable[[LoadedModel], R]) -> R:
        return self.backend.apply_held(key, fn)

    def release(self, key: str | None) -> None:
        self.backend.release(key)

    def count(self) -> int:
        return self.backend.held_count

    def stop(self, run: str) -> None:
        self.stopping.add(run)

    def is_stopping(self, run: str) -> bool:
        return run in self.stopping

    def forget(self, run: str) -> None:
        self.stopping.discard(run)


@dataclass(frozen=True)
class _RunStop:
    """A training run's stop switch, as the run sees it from its Ray task: set on the front end's shelf."""

    shelf: Any
    run: str

    def is_set(self) -> bool:
        return bool(ray.get(self.shelf.is_stopping.remote(self.run)))


class _TaskBackend(Backend):
    """A Ray task's backend: loads the checkpoints it starts from, and hands the models it makes to the shelf."""

    shelf: Any = None

    def hold(self, model: LoadedModel, owner: str | None = None) -> str:
        return str(ray.get(self.shelf.hold.remote(model, owner)))


_TASK_BACKENDS: dict[str, _TaskBackend] = {}  # per worker process: a worker's next run reuses the loaded base


@ray.remote
def _streamed(
    profile: Profile, shelf: Any, work: Callable[..., Iterator[T]], args: tuple[Any, ...], run: str
) -> Iterator[T]:
    backend = _TASK_BACKENDS.setdefault(profile.name, _TaskBackend(profile, "auto", batching=False))
    backend.shelf = shelf
    yield from backend.stream(work, args, stop=_RunStop(shelf, run))


# -- the front end's side ----------------------------------------------------------------------------------------------


def _connect(address: str | None, cpus_needed: float) -> None:
    """Join the cluster at `address`, or start a local Ray instance with enough CPUs for one replica of every
    checkpoint (Ray's CPUs are reservations: fewer would leave replicas waiting for ever)."""
    if ray.is_initialized():
        return
    # The package goes with the job, so the cluster's workers need only the requirements installed.
    runtime_env = {"py_modules": [roberta_demo]}
    if address:
        ray.init(address=address, namespace=NAMESPACE, runtime_env=runtime_env)
        return
    cpus = max(os.cpu_count() or 1, int(cpus_needed + 0.999))
    # Ray starts its workers at niceness 15, to yield to its driver; here the replicas are the model work visitors
    # wait for, and on a host with other busy processes they starved (a replica's start took minutes). The raylet
    # reads its settings from RAY_-prefixed variables: an operator's own value is kept.
    os.environ.setdefault("RAY_worker_niceness", "0")
    ray.init(num_cpus=cpus, include_dashboard=False, namespace=NAMESPACE, runtime_env=runtime_env)


def _blocking(wait: Callable[[], R]) -> R:
    """`wait()`, which blocks on a Serve response: in a thread of its own when this thread runs an event loop (an
    async caller, Playwright's sync API), where Serve refuses to block."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return wait()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(wait).result()


def _user_error(exc: RayError | TimeoutError, what: Message) -> Exception:
    """What a person should see for a failure on Ray: the work's own error as it was raised, or an `EngineError`."""
    if isinstance(exc, RayTaskError) and isinstance(exc.cause, Exception):
        return exc.cause
    if isinstance(exc, TimeoutError):  # Ray's GetTimeoutError is one too
        return EngineError(
            say(
                "{what} took longer than {seconds} s on the Ray cluster; try again.",
                what=what,
                seconds=f"{REQUEST_TIMEOUT_S:.0f}",
            )
        )
    log.warning("Ray failed %s: %s", what, exc)
    return EngineError(
        say(
            "{what} failed: the Ray worker running it stopped ({kind}). Ray restarts it; try again in a moment.",
            what=what,
            kind=type(exc).__name__,
        )
    )


class RayEngine:
    """The `Engine` on Ray Serve: one application per checkpoint, deployed on first use."""

    def __init__(self, profile: Profile, options: RayOptions) -> None:
        started = time.perf_counter()
        self.profile, self.options = profile, options
        self.device = "cuda" if options.gpus > 0 else "cpu"
        replicas = options.min_replicas * len(profile.checkpoints())
        _connect(options.address, replicas * options.cpus + options.cpus)
        serve.start(proxy_location="Disabled", logging_config=SERVE_LOGGING)  # the front end calls by handle only
        self._handles: dict[str, Any] = {}
        self._configs: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._registry = threading.Lock()
        # Threaded (max_concurrency): a visitor's long request does not hold up another's.
        self._shelf = Shelf.options(num_gpus=options.gpus, max_concurrency=4).remote(profile, options.held_models)  # type: ignore[attr-defined]
        self._runs: dict[str, Any] = {}  # each streamed task's "completed" reference, until it is ready
        self.startup_seconds = time.perf_counter() - started
        log.info("Ray engine ready in %.1f s (%s)", self.startup_seconds, ray.get_runtime_context().gcs_address)

    def checkpoint_for(self, task: str, requested: str | None = None) -> str:
        return self.profile.checkpoint_for(task, requested, self.device)

    @property
    def concurrency(self) -> int:
        """A full batch for every replica a checkpoint may scale to: the front end must send that many at once for
        Serve to see the load that makes it add replicas."""
        return self.options.max_batch_size * self.options.max_replicas

    # -- deployments -----------------------------------------------------------------------------------------------

    def _handle(self, checkpoint: str, on_load: LoadListener | None = None) -> Any:
        """The checkpoint's application, deployed (and its model loaded) on first use, or found running (another front
        end deployed it)."""
        if (handle := self._handles.get(checkpoint)) is not None:
            return handle
        if checkpoint not in self.profile.checkpoints():
            raise not_configured(checkpoint)
        with self._registry:
            lock = self._locks.setdefault(checkpoint, threading.Lock())
        with lock:
            if checkpoint not in self._handles:
                if on_load is not None:
                    on_load(checkpoint)
                self._handles[checkpoint] = self._running(checkpoint) or self._deploy(checkpoint)
            return self._handles[checkpoint]

    def _running(self, checkpoint: str) -> Any:
        try:
            return serve.get_app_handle(app_name(checkpoint))
        except Exception:  # not deployed yet: Serve says so with an exception of its own
            return None

    def _deploy(self, checkpoint: str) -> Any:
        started = time.perf_counter()
        replica = CheckpointReplica.options(  # type: ignore[attr-defined]
            ray_actor_options={"num_cpus": self.options.cpus, "num_gpus": self.options.gpus},
            **self.options.scaling(),
        )
        bound = replica.bind(self.profile, checkpoint, self.options)
        handle = serve.run(bound, name=app_name(checkpoint), route_prefix=None, logging_config=SERVE_LOGGING)
        log.info("Deployed %s on Ray Serve in %.1f s", checkpoint, time.perf_counter() - started)
        return handle

    def _call(self, checkpoint: str, method: str, *args: Any, on_load: LoadListener | None = None) -> Any:
        handle = self._handle(checkpoint, on_load)
        try:
            answer = _blocking(lambda: getattr(handle, method).remote(*args).result(timeout_s=REQUEST_TIMEOUT_S))
        except (RayError, TimeoutError) as exc:
            raise _user_error(exc, say("The request to {checkpoint}", checkpoint=checkpoint)) from None
        if isinstance(answer, Refused):
            raise answer.error
        return answer

    def preload(self, progress: Callable[[str], None] = log.info) -> dict[str, ModelLoadError]:
        """Deploy every checkpoint now; returns those whose model failed to load (their replicas still run)."""
        return load_each(self.profile.checkpoints(), self.config, "deploying on Ray Serve:", progress)

    def warm_up(self) -> threading.Thread:
        """Deploy every checkpoint in a background thread, most used first; a request for one not yet deployed
        deploys it itself (each deployment once)."""
        return start_warm_up(self.profile.by_use(self.device), self.config, "deploying on Ray Serve:")

    # -- the Engine interface ------------------------------------------------------------------------------------------

    def run(
        self, call: PipelineCall, texts: Sequence[str], checkpoint: str, on_load: LoadListener | None = None
    ) -> Inference:
        if call.batchable and len(texts) == 1:
            return self._call(checkpoint, "run_one", call, texts[0], on_load=on_load)  # type: ignore[no-any-return]
        return self._call(checkpoint, "run", call, list(texts), on_load=on_load)  # type: ignore[no-any-return]

    def apply(self, checkpoint: str, fn: Callable[[LoadedModel], R], on_load: LoadListener | None = None) -> R:
        return self._call(checkpoint, "apply", fn, on_load=on_load)  # type: ignore[no-any-return]

    def config(self, checkpoint: str, on_load: LoadListener | None = None) -> Any:
        """The checkpoint's configuration, asked once (it does not change while the replicas run)."""
        if (config := self._configs.get(checkpoint)) is None:
            config = self._configs[checkpoint] = self._call(checkpoint, "config", on_load=on_load)
        return config

    def labels(self, checkpoint: str, on_load: LoadListener | None = None) -> list[str]:
        return class_names(self.config(checkpoint, on_load))

    def count_tokens(self, checkpoint: str, text: str, on_load: LoadListener | None = None) -> int:
        return int(self._call(checkpoint, "count_tokens", text, on_load=on_load))

    def hold(self, model: LoadedModel, owner: str | None = None) -> str:
        return str(self._on_shelf("hold", model, owner))

    def apply_held(self, key: str | None, fn: Callable[[LoadedModel], R]) -> R:
        return self._on_shelf("apply", key, fn)  # type: ignore[no-any-return]

    def release(self, key: str | None) -> None:
        # Waited for, as in process: the shelf is threaded, so a request sent after an unwaited release could run
        # before it (seen in CI: a released model still answered).
        self._on_shelf("release", key)

    @property
    def held_count(self) -> int:
        return int(self._on_shelf("count"))

    def _on_shelf(self, method: str, *args: Any) -> Any:
        try:
            answer = ray.get(getattr(self._shelf, method).remote(*args), timeout=REQUEST_TIMEOUT_S)
        except (RayError, TimeoutError) as exc:
            raise _user_error(exc, say("Your fine-tuned model's request")) from None
        if isinstance(answer, Refused):
            raise answer.error
        return answer

    def stream(
        self,
        work: Callable[..., Iterator[T]],
        args: tuple[Any, ...],
        stop: StopSignal | None = None,
        on_load: LoadListener | None = None,
    ) -> Iterator[T]:
        """`work` as a Ray task with its resources declared, its updates as they come. Setting `stop` reaches the task
        at its next update; a caller who stops reading cancels the task. (`on_load` stays here: the first update
        comes once the task has loaded what it needs.)"""
        run = secrets.token_urlsafe(8)
        task: Any = _streamed.options(num_cpus=self.options.cpus, num_gpus=self.options.gpus)
        updates = task.remote(self.profile, self._shelf, work, args, run)
        self._runs[run] = updates.completed()
        stop_sent = finished = False
        try:
            for reference in updates:
                try:
                    update = ray.get(reference, timeout=REQUEST_TIMEOUT_S)
                except (RayError, TimeoutError) as exc:
                    raise _user_error(exc, say("The fine-tuning run")) from None
                if stop is not None and stop.is_set() and not stop_sent:
                    self._shelf.stop.remote(run)
                    stop_sent = True
                yield update
            finished = True
        finally:
            if not finished:
                ray.cancel(updates)
            self._shelf.forget.remote(run)

    def runs_under_way(self) -> int:
        """Streamed tasks (fine-tuning runs) whose Ray task has not ended, a cancelled one until Ray has stopped it."""
        runs = dict(self._runs)
        if not runs:
            return 0
        ended, _ = ray.wait(list(runs.values()), num_returns=len(runs), timeout=0)
        for run, completed in runs.items():
            if completed in ended:
                self._runs.pop(run, None)
        return len(runs) - len(ended)

    def close(self) -> None:
        """Let the shelf go; the Serve applications stay (other front ends may use them) until Ray stops."""
        ray.kill(self._shelf)
