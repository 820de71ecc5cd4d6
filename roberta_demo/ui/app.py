"""The Blocks assembly: a header, then one tab per task, all on one task context."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import gradio as gr
from gradio.blocks import Block
from gradio.components import Component

from roberta_demo import ASSETS_DIR, __version__
from roberta_demo.catalog import Catalog
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import (
    attention,
    classification,
    explainer,
    fill_mask,
    finetune,
    ner,
    pretrain,
    sentiment,
    vectors,
)
from roberta_demo.ui.api import ENDPOINTS, data_endpoints
from roberta_demo.ui.common import Handler, TabParts, highlight_css, model_work, runs_model, unchanged
from roberta_demo.ui.files import forget_session
from roberta_demo.ui.i18n import _, translation_table
from roberta_demo.ui.protocol import DemoBlocks, keep_page_events_private, lighten_new_sessions
from roberta_demo.viz.entities import ENTITY_TYPES, entity_colours

__all__ = ["CSS_PATHS", "THEME", "build_app", "page_css", "page_script"]

# The Soft theme, one shade darker wherever it writes text on colour or coloured text: its own choices fail WCAG AA
# contrast (white on indigo-500 is 4.46, its subdued text 2.53, its emerald links 3.6); axe checks every tab in CI.
# The system's own fonts: Soft's Montserrat and IBM Plex Mono are 196 kB of a first load, a quarter of it, and have no
# Chinese, which a system font has wherever the Chinese profile is read.
THEME = gr.themes.Soft(
    primary_hue="indigo",
    secondary_hue="emerald",
    font=("ui-sans-serif", "system-ui", "sans-serif"),
    font_mono=("ui-monospace", "Consolas", "monospace"),
).set(
    color_accent="*primary_600",
    button_primary_background_fill="*primary_600",
    button_primary_background_fill_hover="*primary_700",
    button_primary_background_fill_hover_dark="*primary_700",
    checkbox_label_background_fill_selected="*primary_600",
    body_text_color_subdued="*neutral_600",
    block_label_text_color="*primary_700",
    block_title_text_color="*primary_700",
    link_text_color="*secondary_800",
    link_text_color_hover="*secondary_900",
    link_text_color_visited="*secondary_800",
    link_text_color_dark="*secondary_300",
    link_text_color_hover_dark="*secondary_200",
    link_text_color_visited_dark="*secondary_300",
)
CSS_PATHS = [ASSETS_DIR / "theme.css"]
TABS: Mapping[str, tuple[str, ModuleType]] = {
    "how-it-works": ("How RoBERTa works", explainer),
    "fill-mask": ("Fill-mask", fill_mask),
    "classification": ("Classification", classification),
    "sentiment": ("Sentiment", sentiment),
    "ner": ("NER", ner),
    "attention": ("Attention", attention),
    "vectors": ("Vectors", vectors),
    "pre-train": ("Pre-train", pretrain),
    "fine-tune": ("Fine-tune", finetune),
}
# The page in the other language: `?lang=` (assets/app.js applies it), the room's other settings kept.
# What a caller may run by name: the data endpoints, and the tabs' own runs (undocumented: gradio_client and gr.load
# call them as the page does). Every other event is the page's alone (`protocol.keep_page_events_private`).
PAGE_RUNS = [
    "classify_page",
    "sentiment_page",
    "sentiment_batch_page",
    "ner_page",
    "attention_page",
    "fill_mask_page",
    "vectors_page",
    "masking_page",
]
CALLABLE = [*ENDPOINTS, *PAGE_RUNS]
SWITCH_LANGUAGE_JS = """() => {
    const link = new URL(window.location.pathname, window.location.origin);
    const settings = window.robertaDemoRoom.settings();
    settings.set("lang", document.documentElement.lang.startsWith("zh") ? "en" : "zh");
    link.search = settings.toString();
    window.location.href = link.toString();
}"""
PRESENT_JS = "() => { window.robertaDemoRoom.togglePresent(); }"
UNTRAINED = (
    "**Test models.** This app runs the `{profile}` profile: small models with random weights, built on this machine. "
    "Their predictions are meaningless; start with `--models default` (or `--models zh`) for the real checkpoints."
)


def page_css() -> str:
    """Styles made from the app's palettes (assets/theme.css holds the rest): highlights drawn in their own colours."""
    palettes = [*entity_colours([t for types in ENTITY_TYPES.values() for t in types]).values()]
    return highlight_css([*palettes, fill_mask.MASK_COLOUR, fill_mask.WORD_COLOUR, *pretrain.KIND_HIGHLIGHTS.values()])


def page_script() -> str:
    """assets/app.js, with the page's translation table (every string the built app asked for, both languages) for
    the text Gradio leaves untranslated. Made after the app is built, when the table is complete."""
    table = json.dumps(translation_table(), ensure_ascii=False).replace("</", "<\\/")
    script = (ASSETS_DIR / "app.js").read_text(encoding="utf-8")
    return script.replace("ROBERTA_DEMO_TABS", json.dumps(list(TABS)), 1).replace("ROBERTA_DEMO_TRANSLATIONS", table, 1)


def header_html(catalog: Catalog) -> str:
    return f'<div id="header"><h1>RoBERTa, live</h1><div class="meta">{header_meta(catalog)}</div></div>'


def header_meta(catalog: Catalog) -> Any:
    """The header's line on what answers: the profile and the device, in the page's language."""
    profile, device = html.escape(catalog.profile_name), html.escape(catalog.device)
    return _(
        "profile <b>{profile}</b> · device <b>{device}</b> · v{version}",
        profile=profile,
        device=device,
        version=__version__,
    )


def readable_link_js(keys: list[str]) -> str:
    """Page script for "Copy a link to this text": `?tab=KEY&text=TEXT` from the tab on show and its text box, with
    the room's settings (view, presentation mode, theme, language), shown in a box and copied to the clipboard. It
    runs in the browser, with no request to the server: the tab is the one the page shows, not one the server was
    told of (a click's answer may still be on its way)."""
    return f"""(...texts) => {{
        const keys = {json.dumps(keys)};
        const tab = window.robertaDemoRoom.shownTab();
        const text = texts[keys.indexOf(tab)] || "";
        const link = new URL(window.location.pathname, window.location.origin);
        const settings = window.robertaDemoRoom.settings();
        settings.set("tab", tab);
        if (text.trim()) settings.set("text", text);
        link.search = settings.toString();
        navigator.clipboard && navigator.clipboard.writeText(link.toString()).catch(() => {{}});
        return {{ value: link.toString(), visible: true, __type__: "update" }};
    }}"""


def view_names_js(views: Mapping[str, Mapping[Block, Any]], blocks: list[Block], parameter: str = "view") -> str:
    """Page script, on a change of any of `blocks`: the name of the tab's view they now show (the view whose every
    value they hold, the most specific first) into the page's address as `parameter`, so that links keep it."""
    table = [
        [name, [[blocks.index(block), value] for block, value in updates.items()]]
        for name, updates in sorted(views.items(), key=lambda item: -len(item[1]))
    ]
    return f"""(...values) => {{
        const views = {json.dumps(table)};
        const shown = views.find(([, wanted]) => wanted.every(([index, value]) => values[index] === value));
        window.robertaDemoRoom.set({json.dumps(parameter)}, shown ? shown[0] : null);
    }}"""


def keep_the_views(parts: Mapping[str, TabParts]) -> None:
    """Keep each tab's view in the page's address (the page script keeps the tab there as it is clicked: assets/app.js
    `robertaDemoRoom`)."""
    for part in parts.values():
        blocks = list(dict.fromkeys(block for updates in part.views.values() for block in updates))
        for block in blocks:
            if hasattr(block, "change"):
                block.change(None, blocks, None, js=view_names_js(part.views, blocks, part.view_parameter))


def link_targets(tabs: gr.Tabs, parts: Mapping[str, TabParts]) -> list[Block]:
    """Every component a deep link may set: the tabs, each tab's text box, and what its views change."""
    views = (block for part in parts.values() for updates in part.views.values() for block in updates)
    fields = (component for part in parts.values() for component in part.fields.values())
    return list(dict.fromkeys([tabs, *(part.text for part in parts.values()), *fields, *views]))


def link_reader(tabs: gr.Tabs, parts: Mapping[str, TabParts]) -> Handler:
    """Reads a deep link, `?tab=ner&text=…` (and `&view=formula` where a tab has views, `&word=…` where it has
    fields): selects the tab, puts the text in its box (and the fields in theirs) and opens the view (a slide can
    link to a live example). A page shared with "Share this result" (`?deep_link=…`) comes back with its values and
    results, and the tab it showed in its address (the page script keeps it there)."""

    def read_link(request: gr.Request) -> dict[Block, Any]:
        query = request.query_params
        tab, text = query.get("tab", "").lower(), query.get("text", "")
        if tab not in parts:
            return unchanged(link_targets(tabs, parts))
        view = query.get(parts[tab].view_parameter, "").lower()
        updates: dict[Block, Any] = {tabs: gr.Tabs(selected=tab), **parts[tab].views.get(view, {})}
        filled = {component: query[name] for name, component in parts[tab].fields.items() if query.get(name)}
        return updates | filled | ({parts[tab].text: text} if text else {})

    return read_link


def page_opener(catalog: Catalog, tabs: gr.Tabs, parts: Mapping[str, TabParts]) -> Handler:
    """What a page load asks the server, in one request (a class opening the link at once sends one each, not one
    per tab): every tab's notice of missing checkpoints, re-checked so that a model downloaded meanwhile clears it,
    and the deep link read (`link_reader`)."""
    read_link = link_reader(tabs, parts)

    def open_page(request: gr.Request) -> dict[Block, Any]:
        notices = {part.notice: catalog.missing_notice(part.tasks) for part in parts.values()}
        return notices | read_link(request)

    return open_page


def linked_inputs(parts: Mapping[str, TabParts]) -> list[Component]:
    return list(dict.fromkeys(component for part in parts.values() for component in part.inputs))


def linked_outputs(parts: Mapping[str, TabParts]) -> list[Component]:
    return list(dict.fromkeys(component for part in parts.values() for component in part.outputs))


def linked_runner(parts: Mapping[str, TabParts]) -> Handler:
    """Runs the tab a deep link opened, once the page has read the link, if the link carries a text (or the tab
    `runs_on_open`, as does the first tab when the page opens with no link); otherwise changes nothing. One event for
    every tab (its inputs are `linked_inputs`, its outputs `linked_outputs`): a page load sends one request for it,
    linked or not."""
    inputs, outputs = linked_inputs(parts), linked_outputs(parts)
    first = next(iter(parts))

    def run_if_linked(request: gr.Request, *values: Any) -> dict[Block, Any]:
        query = request.query_params
        named = query.get("tab", "").lower() or ("" if query.get("deep_link") else first)
        part = parts.get(named)
        if part is None or not (query.get("text", "").strip() or part.runs_on_open):
            return unchanged(outputs)
        given = dict(zip(inputs, values, strict=True))
        return part.run(*(given[component] for component in part.inputs))

    return runs_model(run_if_linked)


def build_app(catalog: Catalog, context: TaskContext) -> gr.Blocks:
    """The whole app. Loads no model: each checkpoint loads on its first request."""
    demo = DemoBlocks(title="RoBERTa demo")
    with demo:
        with gr.Row(elem_id="header-row"):
            gr.HTML(header_html(catalog))
            readable = gr.Button(_("Copy a link to this text"), size="sm", variant="secondary", elem_id="readable-link")
            # Gradio's own: a link that reopens this page with everything on it, results included (stored on
            # the server as a file, so it lasts as long as the server keeps files).
            # Gradio writes the "copied" text into its page script inside double quotes: escaped, so that a
            # translation marker (JSON) stays a string there.
            copied = json.dumps(str(_("Link copied")))[1:-1]
            # Its icon is drawn by the page's styles (assets/theme.css): Gradio's own is served by its path in the
            # installed package, which the page's configuration would then carry.
            gr.DeepLinkButton(str(_("Share this result")), copied, size="sm", icon=None, elem_id="share-result")
            present = gr.Button(_("Presentation mode"), size="sm", variant="secondary", elem_id="present-toggle")
            language = gr.Button(_("中文 / English"), size="sm", variant="secondary", elem_id="language-switch")
        link_box = gr.Textbox(
            label=_("Link to this tab and text (copied)"), visible=False, elem_id="readable-link-box", buttons=["copy"]
        )
        present.click(None, js=PRESENT_JS)
        language.click(None, js=SWITCH_LANGUAGE_JS)
        if catalog.untrained:
            gr.Markdown(_(UNTRAINED, profile=catalog.profile_name), elem_id="untrained")
        parts: dict[str, TabParts] = {}
        work = model_work(catalog)
        # Every tab in sight, on a second line where they do not fit (presentation mode, a narrow window): a tab in
        # Gradio's "⋯" menu is out of the room's sight.
        with gr.Tabs(overflow_behavior="wrap") as tabs:
            for key, (title, tab) in TABS.items():
                with gr.Tab(_(title), id=key):
                    parts[key] = tab.build(catalog, context)
        for part in parts.values():
            if part.on_page_load is not None:
                demo.load(part.on_page_load, None, list(part.outputs), api_visibility="private", **work)
            if part.on_unload is not None:
                demo.unload(part.on_unload)
        demo.unload(forget_session)
        texts = [part.text for part in parts.values()]
        readable.click(None, texts, link_box, js=readable_link_js(list(parts)))
        keep_the_views(parts)
        notices = [part.notice for part in parts.values()]
        targets = list(dict.fromkeys([*notices, *link_targets(tabs, parts)]))
        opened = demo.load(page_opener(catalog, tabs, parts), None, targets, api_visibility="private")
        data_endpoints(context, work)
        run_linked = linked_runner(parts)
        opened.then(run_linked, linked_inputs(parts), linked_outputs(parts), api_visibility="private", **work)
    keep_page_events_private(demo, CALLABLE)
    lighten_new_sessions(demo)
    return demo
