"""Command line: `python app.py [options]` serves the demo; `python -m roberta_demo download` caches models;
`python -m roberta_demo settings` prints the table of settings.

Each option has an environment variable (`ROBERTA_DEMO_*`), for Hugging Face Spaces, which has no command line.

The settings and the profile are read and checked before torch, transformers or gradio is imported (ten seconds of
CPU on a small machine): `--help`, a wrong flag or a wrong profile answers at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from roberta_demo.allocator import tune_malloc
from roberta_demo.config import ConfigError, Settings, parse_settings, settings_from_env, settings_table
from roberta_demo.profiles import Profile, load_profile

if TYPE_CHECKING:
    import gradio as gr

    from roberta_demo.backend import Engine

__all__ = [
    "checked_profile",
    "configure_logging",
    "create_app",
    "drain",
    "launch",
    "main",
    "make_engine",
    "on_zero_gpu",
    "serve",
    "settings_from_argv",
]

log = logging.getLogger("roberta_demo")
DELIVERY_S = 10.0  # the most a drain waits for finished runs' answers to reach their clients


def settings_from_argv(argv: Sequence[str]) -> Settings:
    """Settings from the environment, overridden by command-line options."""
    return parse_settings(list(argv), settings_from_env())


def checked_profile(settings: Settings) -> Profile:
    """The settings' profile, once the settings that parsing alone cannot check are checked: a `ConfigError` names
    the one that is wrong. Imports nothing heavy, except to build the tiny checkpoints a tiny profile asks for."""
    if not 0 < settings.long_share < 1:
        raise ConfigError(
            f"ROBERTA_DEMO_LONG_SHARE (--long-share) is {settings.long_share}: give long work a share of the device "
            "between 0 and 1, e.g. 0.25."
        )
    return load_profile(settings.models)


def make_engine(settings: Settings, profile: Profile | None = None) -> Engine:
    """The engine that runs model work: this process's `Backend`, or Ray Serve (`--engine ray`)."""
    profile = checked_profile(settings) if profile is None else profile
    from roberta_demo.backend import Backend

    if settings.engine == "ray":
        try:
            from roberta_demo.ray_engine import RayEngine, RayOptions
        except ImportError as exc:
            raise ConfigError(f"--engine ray needs Ray Serve: `pip install -r requirements-ray.txt` ({exc}).") from exc
        return RayEngine(profile, RayOptions.from_settings(settings))
    return Backend(
        profile,
        settings.device,
        batching=settings.batching,
        quantize=settings.quantize == "int8",
        max_held_models=settings.held_models,
        long_share=settings.long_share,
        slice_seconds=settings.slice_ms / 1000,
    )


def create_app(settings: Settings) -> tuple[gr.Blocks, Engine]:
    """The app and its backend, wired: the tabs get a read-only catalog and a task context, never the backend.
    Loads no model unless `settings.preload`."""
    profile = checked_profile(settings)  # a wrong setting is told before the heavy imports below
    tune_malloc(settings.malloc_arenas)  # before any request thread exists
    if on_zero_gpu():
        # ZeroGPU's way: `spaces` first (it makes CUDA look available in this GPU-less process), then every model
        # loaded and moved to CUDA at start-up, where ZeroGPU packs them for the GPU workers; a model loaded lazily
        # inside a GPU handler would be loaded again by each worker.
        import spaces  # noqa: F401

        settings = replace(settings, preload=True)
    from roberta_demo.catalog import Catalog
    from roberta_demo.tasks.common import TaskContext
    from roberta_demo.ui.app import build_app

    backend = make_engine(settings, profile)
    catalog = Catalog(backend.profile, backend.device, backend.concurrency)
    log.info("Profile %s on %s", catalog.profile_name, catalog.device)
    for message in catalog.missing(list(backend.profile.tasks)).values():
        log.warning(message)
    if settings.preload:
        backend.preload()
    elif settings.warm_up:
        backend.warm_up()
    demo = build_app(catalog, TaskContext(backend, settings.limits))
    keep_files_for(demo, 60 * settings.file_minutes)
    return demo, backend


def on_zero_gpu() -> bool:
    """Running on a Hugging Face Space with ZeroGPU hardware (which sets this variable)."""
    return os.environ.get("SPACES_ZERO_GPU", "").strip().lower() in {"1", "true"}


def keep_files_for(demo: gr.Blocks, age: int) -> None:
    """Uploaded and generated files go `age` seconds after they were written: Gradio checks this often (and deletes
    them all when it stops), and the files the app hands out follow the same age."""
    from roberta_demo.ui import files

    demo.delete_cache = (min(600, max(60, age // 4)), age)
    files.FILES.max_age_s = age


def launch(demo: gr.Blocks, settings: Settings, **kwargs: Any) -> Any:
    """Serve `demo` as configured, uploads capped at `max_file_mb`; extra keyword arguments go to `Blocks.launch`
    (tests pass prevent_thread_lock)."""
    import gradio as gr

    from roberta_demo.ui.app import CSS_PATHS, THEME, page_css, page_script
    from roberta_demo.ui.i18n import translations
    from roberta_demo.ui.protocol import EXCEPTION_HANDLERS, MIDDLEWARE

    # Gradio keeps a record of its last N requests for its monitoring page (10,000 by default, a lot of memory for
    # a server that runs all term) and, by default, summarises all of them in pandas after every single request:
    # 7 % of the server's CPU in a sweep of plain HTTP calls with 1,000 kept, growing with the record. Here it keeps
    # 1,000 and summarises every 100th request. Gradio reads both when the queue is made, just below; the
    # environment's own values win.
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
    # A bounded queue: past it, a client is told the server is busy instead of waiting without end.
    return demo.queue(max_size=settings.queue_size).launch(
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share,
        theme=THEME,
        css=page_css(),
        css_paths=CSS_PATHS,
        js=page_script(),
        i18n=translations(),
        max_file_size=settings.max_file_mb * gr.FileSize.MB,
        state_session_capacity=settings.sessions,
        run_history=settings.run_history,
        mcp_server=settings.mcp,
        app_kwargs={"exception_handlers": EXCEPTION_HANDLERS, "middleware": MIDDLEWARE},
        **kwargs,
    )


def serve(demo: gr.Blocks, settings: Settings) -> None:
    """Serve until SIGTERM (what a Space or a container sends to stop) or Ctrl-C, then drain and return. A second
    signal stops the process at once."""
    stopping = threading.Event()

    def stop(signum: int, _: object) -> None:
        signal.signal(signum, signal.SIG_DFL)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    launch(demo, settings, prevent_thread_lock=True)
    stopping.wait()
    log.info("Stopping: no new requests; waiting up to %d s for those under way", settings.drain_seconds)
    finished = drain(demo, settings.drain_seconds)
    log.info("All requests finished" if finished else "Stopped with requests still running (drain time over)")
    demo.close()


def drain(demo: gr.Blocks, seconds: float) -> bool:
    """Refuse new requests (the queue reports itself full) and wait up to `seconds` for the ones queued or running
    to finish and for their answers to reach their clients; True if they all did."""
    from roberta_demo.ui.protocol import answers_pending, refuse_new_work, work_under_way

    refuse_new_work(demo)
    deadline = time.monotonic() + seconds
    if not _wait(lambda: not work_under_way(demo), deadline):
        return False
    # A finished run's answer is still on its way while its event is pending: closing now would make Gradio's
    # stream send "Server stopped unexpectedly" in its place. A run nobody listens to (a plain HTTP call never
    # read) stays pending for good, so this wait has a short bound of its own.
    _wait(lambda: not answers_pending(demo), min(deadline, time.monotonic() + DELIVERY_S))
    return True


def _wait(done: Callable[[], bool], deadline: float) -> bool:
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def download_main(argv: Sequence[str]) -> int:
    from roberta_demo.hub import download_profile

    parser = argparse.ArgumentParser(
        prog="python -m roberta_demo download", description="Cache every checkpoint of a profile for offline use."
    )
    parser.add_argument("--models", default=settings_from_env().models, help="profile or TOML config file")
    args = parser.parse_args(list(argv))
    failures = download_profile(load_profile(args.models))
    if failures:
        print(f"{len(failures)} checkpoint(s) could not be downloaded; see above.", file=sys.stderr)
    return 1 if failures else 0


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["download"]:
            return download_main(argv[1:])
        if argv[:1] == ["settings"]:
            print(settings_table())
            return 0
        settings = settings_from_argv(argv[1:] if argv[:1] == ["serve"] else argv)
        demo, _ = create_app(settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    serve(demo, settings)
    return 0
