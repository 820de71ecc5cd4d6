"""Command line: `python app.py [options]` serves the demo; `python -m roberta_demo download` caches models.

Each option has an environment variable (`ROBERTA_DEMO_*`), for Hugging Face Spaces, which has no command line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from collections.abc import Sequence

import gradio as gr

from roberta_demo.backend import Backend
from roberta_demo.config import ConfigError, Settings, load_profile, settings_from_env

__all__ = ["configure_logging", "create_app", "launch", "main", "parse_settings"]

log = logging.getLogger("roberta_demo")


def _serve_parser(defaults: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="Serve the RoBERTa demo.")
    parser.add_argument("--models", default=defaults.models,
                        help="profile: 'default' (Hub checkpoints), 'tiny' (local test models) or a TOML config file "
                             "[env ROBERTA_DEMO_MODELS]")
    parser.add_argument("--device", default=defaults.device,
                        help="auto, cpu, cuda, cuda:N or mps [env ROBERTA_DEMO_DEVICE]")
    parser.add_argument("--host", default=defaults.host, help="address to listen on [env ROBERTA_DEMO_HOST]")
    parser.add_argument("--port", type=int, default=defaults.port, help="port [env ROBERTA_DEMO_PORT]")
    parser.add_argument("--share", action="store_true", default=defaults.share,
                        help="also serve on a public gradio.live link [env ROBERTA_DEMO_SHARE]")
    parser.add_argument("--preload", action="store_true", default=defaults.preload,
                        help="load every model before serving [env ROBERTA_DEMO_PRELOAD]")
    parser.add_argument("--max-attention-tokens", type=int, default=defaults.limits.max_attention_tokens,
                        help="attention views cut longer inputs [env ROBERTA_DEMO_MAX_ATTENTION_TOKENS]")
    parser.add_argument("--no-batching", dest="batching", action="store_false", default=defaults.batching,
                        help="run every request on its own [env ROBERTA_DEMO_BATCHING=0]")
    parser.add_argument("--quantize", choices=["none", "int8"], default="int8" if defaults.quantize else "none",
                        help="int8: dynamic int8 quantisation on CPU, faster, slightly different scores "
                             "[env ROBERTA_DEMO_QUANTIZE]")
    return parser


def parse_settings(argv: Sequence[str]) -> Settings:
    """Settings from the environment, overridden by command-line options."""
    defaults = settings_from_env()
    args = _serve_parser(defaults).parse_args(list(argv))
    limits = replace(defaults.limits, max_attention_tokens=args.max_attention_tokens)
    return replace(
        defaults, models=args.models, device=args.device, host=args.host, port=args.port, share=args.share,
        preload=args.preload, batching=args.batching, quantize=args.quantize == "int8", limits=limits,
    )  # fmt: skip


def create_app(settings: Settings) -> tuple[gr.Blocks, Backend]:
    """The app and its backend. Loads no model unless `settings.preload`."""
    from roberta_demo.ui.app import build_app

    backend = Backend(
        load_profile(settings.models), settings.device, batching=settings.batching, quantize=settings.quantize
    )
    log.info("Profile %s on %s", backend.profile.name, backend.device)
    for message in backend.missing().values():
        log.warning(message)
    if settings.preload:
        backend.preload()
    return build_app(backend, settings), backend


def launch(demo: gr.Blocks, settings: Settings, **kwargs) -> tuple:
    """Serve `demo` as configured; extra keyword arguments go to `Blocks.launch` (tests pass prevent_thread_lock)."""
    from roberta_demo.ui.app import APP_JS, CSS_PATHS, THEME

    # A bounded queue: past it, a client is told the server is busy instead of waiting without end.
    return demo.queue(max_size=settings.queue_size).launch(
        server_name=settings.host, server_port=settings.port, share=settings.share, theme=THEME,
        css_paths=CSS_PATHS, js=APP_JS, **kwargs,
    )  # fmt: skip


def download_main(argv: Sequence[str]) -> int:
    from roberta_demo.download import download_profile

    parser = argparse.ArgumentParser(prog="python -m roberta_demo download",
                                     description="Cache every checkpoint of a profile for offline use.")
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
        settings = parse_settings(argv[1:] if argv[:1] == ["serve"] else argv)
        demo, _ = create_app(settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    launch(demo, settings)
    return 0
