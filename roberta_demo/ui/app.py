"""The Blocks assembly: a header, then one tab per task, all on one backend."""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from roberta_demo import __version__
from roberta_demo.backend import Backend
from roberta_demo.config import Settings
from roberta_demo.ui import attention, classification, ner, sentiment
from roberta_demo.ui.common import TabParts, missing_notice

__all__ = ["APP_JS", "CSS_PATHS", "THEME", "build_app"]

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="emerald")
ASSETS = Path(__file__).resolve().parents[2] / "assets"
CSS_PATHS = [ASSETS / "theme.css"]
APP_JS = (ASSETS / "app.js").read_text(encoding="utf-8")
TABS = [("Classification", classification), ("Sentiment", sentiment), ("NER", ner), ("Attention", attention)]
TAB_IDS = [title.lower() for title, _ in TABS]


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


def read_link(request: gr.Request) -> tuple:
    """A deep link, `?tab=ner&text=…`: select the tab and put the text in its box (a slide can link to a live
    example). Returns the tab selection and one value per tab's text box."""
    tab, text = request.query_params.get("tab", "").lower(), request.query_params.get("text", "")
    if tab not in TAB_IDS:
        return (gr.skip(),) * (1 + len(TABS))
    return (gr.Tabs(selected=tab), *(text if key == tab and text else gr.skip() for key in TAB_IDS))


def linked_runner(key: str, parts: TabParts):
    """Runs `parts` once the page opened with a deep link to this tab that carries a text; otherwise does nothing."""

    def run_if_linked(request: gr.Request, *values: object) -> object:
        query = request.query_params
        if query.get("tab", "").lower() == key and query.get("text", "").strip():
            return parts.run(*values)
        return tuple(gr.skip() for _ in parts.outputs)

    return run_if_linked


def build_app(backend: Backend, settings: Settings | None = None) -> gr.Blocks:
    """The whole app. Loads no model: each checkpoint loads on its first request."""
    settings = settings or Settings()
    with gr.Blocks(title="RoBERTa demo") as demo:
        with gr.Row(elem_id="header-row"):
            gr.HTML(header_html(backend))
            present = gr.Button("Presentation mode", size="sm", variant="secondary", elem_id="present-toggle")
        present.click(None, js="() => { document.body.classList.toggle('present'); }")
        if backend.profile.untrained:
            gr.Markdown(UNTRAINED, elem_id="untrained")
        parts: dict[str, TabParts] = {}
        with gr.Tabs() as tabs:
            for (title, tab), key in zip(TABS, TAB_IDS):
                with gr.Tab(title, id=key):
                    parts[key] = tab.build(backend, settings)
        for part in parts.values():
            # Re-checked on each page load, so a model downloaded meanwhile clears its notice.
            demo.load(lambda tasks=part.tasks: missing_notice(backend, tasks), None, part.notice,
                      api_visibility="private")  # fmt: skip
        link = demo.load(read_link, None, [tabs, *(part.text for part in parts.values())], api_visibility="private")
        for key, part in parts.items():
            link.then(linked_runner(key, part), part.inputs, part.outputs, api_visibility="private")
    return demo
