"""The Blocks assembly: a header, then one tab per task, all on one backend."""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from roberta_demo import __version__
from roberta_demo.backend import Backend
from roberta_demo.config import Settings
from roberta_demo.ui import attention, classification, ner, sentiment
from roberta_demo.ui.common import missing_notice

__all__ = ["CSS_PATHS", "THEME", "build_app"]

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="emerald")
CSS_PATHS = [Path(__file__).resolve().parents[2] / "assets" / "theme.css"]
TABS = [("Classification", classification), ("Sentiment", sentiment), ("NER", ner), ("Attention", attention)]


def header_html(backend: Backend) -> str:
    profile = html.escape(backend.profile.name)
    return (
        '<div id="header"><h1>RoBERTa, live</h1>'
        f'<div class="meta">profile <b>{profile}</b> · device <b>{html.escape(backend.device)}</b> · '
        f"v{__version__}</div></div>"
    )


UNTRAINED = (
    "**Test models.** This app runs the `tiny` profile: small RoBERTa models with random weights, built on this "
    "machine. Their predictions are meaningless; start with `--models default` for the real checkpoints."
)


def build_app(backend: Backend, settings: Settings | None = None) -> gr.Blocks:
    """The whole app. Loads no model: each checkpoint loads on its first request."""
    settings = settings or Settings()
    with gr.Blocks(title="RoBERTa demo") as demo:
        gr.HTML(header_html(backend))
        if backend.profile.untrained:
            gr.Markdown(UNTRAINED, elem_id="untrained")
        notices = []
        for title, tab in TABS:
            with gr.Tab(title, id=title.lower()):
                notices.append((tab.build(backend, settings), tab.TASKS))
        for notice, tasks in notices:
            # Re-checked on each page load, so a model downloaded meanwhile clears its notice.
            demo.load(lambda tasks=tasks: missing_notice(backend, tasks), None, notice, api_visibility="private")
    return demo
