"""Command line: `python app.py [options]` serves the demo; `python -m roberta_demo download` caches models;
`python -m roberta_demo settings` prints the table of settings.

Each option has an environment variable (`ROBERTA_DEMO_*`), for Hugging Face Spaces, which has no command line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

import gradio as gr

from roberta_demo.backend import Backend
from roberta_demo.catalog import Catalog
from roberta_demo.config import ConfigError, Settings, load_profile, parse_settings, settings_from_env, settings_table
from roberta_demo.tasks.common import TaskContext

__all__ = ["configure_logging", "create_app", "launch", "main", "settings_from_argv"]

log = logging.getLogger("roberta_demo")


def settings_from_argv(argv: Sequence[str]) -> Settings:
    """Settings from the environment, overridden by command-line options."""
    return parse_settings(list(argv), settings_from_env())


def create_app(settings: Settings) -> tuple[gr.Blocks, Backend]:
    """The app and its backend, wired: the tabs get a read-only catalog and a task context, never the backend.
    Loads no model unless `settings.preload`."""
    from roberta_demo.ui.app import build_app

    backend = Backend(
        load_profile(settings.models),
        settings.device,
        batching=settings.batching,
        quantize=settings.quantize == "int8",
        max_held_models=settings.held_models,
    )
    catalog = Catalog(backend.profile, backend.device, backend.max_batch_size if settings.batching else 1)
    log.info("Profile %s on %s", catalog.profile_name, catalog.device)
    for message in catalog.missing(list(backend.profile.tasks)).values():
        log.warning(message)
    if settings.preload:
        backend.preload()
    return build_app(catalog, TaskContext(backend, settings.limits)), backend


def launch(demo: gr.Blocks, settings: Settings, **kwargs: Any) -> Any:
    """Serve `demo` as configured; extra keyword arguments go to `Blocks.launch` (tests pass prevent_thread_lock)."""
    from roberta_demo.ui.app import APP_JS, CSS_PATHS, THEME

    # A bounded queue: past it, a client is told the server is busy instead of waiting without end.
    return demo.queue(max_size=settings.queue_size).launch(
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share,
        theme=THEME,
        css_paths=CSS_PATHS,
        js=APP_JS,
        **kwargs,
    )


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
    launch(demo, settings)
    return 0
