"""Attention views: plotly heatmaps, a head overview, and bertviz's head and model views that draw offline.

bertviz's own HTML loads require.js, d3 and jQuery from a CDN and embeds every weight as full-precision JSON.
Here its JavaScript runs unchanged, but on d3 and jQuery shipped in `assets/vendor/` (with their licences) and
on weights quantised to one byte each, so the page needs no network and stays small.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from roberta_demo import ASSETS_DIR
from roberta_demo.messages import render, say, speak
from roberta_demo.results import AttentionView, pack_weights
from roberta_demo.viz.charts import LIGHT_TO_DARK, plain_figure, plotly_text, unique_labels

__all__ = [
    "HEAD_STATISTICS",
    "VENDOR_DIR",
    "AttentionFigures",
    "attention_figures",
    "attention_heatmap",
    "bertviz_iframe",
    "frame_height",
    "head_overview_chart",
    "head_view_document",
    "model_view_bytes",
    "model_view_document",
    "selected_head_data",
    "standalone_document",
    "token_axis",
]

VENDOR_DIR = ASSETS_DIR / "vendor"
VENDOR_SCRIPTS = ("d3.min.js", "jquery.min.js")
HEAD_STATISTICS = {
    "entropy": say("Entropy (bits): low = focused head, high = broad"),
    "special": say("Share of attention on <s> / </s>"),
    "previous": say("Share of attention on the previous token"),
}
View = Literal["head", "model"]
PRESENT_ZOOM = 1.5  # how much bigger a frame's content is drawn in presentation mode (assets/app.js grows the frame)
MODEL_VIEW_SCRIPT = ASSETS_DIR / "model_view.js"
_THUMB = 64  # pixels per head in the model view's grid

# bertviz's scripts call require.config(...) and requirejs([...], callback); this stands in for require.js
# and hands the callback the d3 and jQuery loaded just before.
_REQUIRE_SHIM = """
var require = {config: function () {}};
function requirejs(names, callback) {
  var modules = {d3: window.d3, jquery: window.jQuery};
  callback.apply(null, names.map(function (name) { return modules[name]; }));
}
"""
# Weights arrive as one byte each (base64); this rebuilds the nested lists bertviz expects, including the
# sentence-pair filters bertviz would otherwise embed as four more copies of the data.
_DECODER = """
function robertaDemoParams(p) {
  var bytes = Uint8Array.from(atob(p.weights), function (c) { return c.charCodeAt(0); });
  var L = p.shape[0], H = p.shape[1], N = p.shape[2], attn = [], at = 0;
  for (var l = 0; l < L; l++) { var layer = []; for (var h = 0; h < H; h++) { var head = [];
    for (var i = 0; i < N; i++) { var row = new Array(N);
      for (var j = 0; j < N; j++) { row[j] = bytes[at++] / 255; } head.push(row); }
    layer.push(head); } attn.push(layer); }
  function slice(rows, cols) { return attn.map(function (layer) { return layer.map(function (head) {
    return head.slice(rows[0], rows[1]).map(function (row) { return row.slice(cols[0], cols[1]); }); }); }); }
  var t = p.tokens, data = [{name: p.pair_start === null ? null : "All", attn: attn, left_text: t, right_text: t}];
  if (p.pair_start !== null) {
    var a = [0, p.pair_start], b = [p.pair_start, N];
    [["Sentence A -> Sentence A", a, a], ["Sentence B -> Sentence B", b, b],
     ["Sentence A -> Sentence B", a, b], ["Sentence B -> Sentence A", b, a]].forEach(function (f) {
      data.push({name: f[0], attn: slice(f[1], f[2]), left_text: t.slice(f[1][0], f[1][1]),
                 right_text: t.slice(f[2][0], f[2][1])}); });
  }
  var heads = []; for (var k = 0; k < H; k++) { heads.push(k); }
  return {attention: data, default_filter: "0", root_div_id: "bertviz", layer: p.layers[0], heads: p.heads,
          include_layers: p.layers, display_mode: p.mode, include_heads: heads, total_heads: H};
}
"""
# The frame is sandboxed (an opaque origin), so it cannot read the page's theme or presentation mode: it asks the
# page, which answers with a message (assets/app.js), and follows later changes the same way. In presentation mode
# the frame's content grows with the page around it; the frame reports its height, and the page sizes it to fit.
# A click the browser gave the page instead of the frame (Chromium runs a sandboxed frame in its own process, and
# routes a click made just after the frame was drawn or resized to the page until the frame's new layout reaches
# the compositor) is sent on by the page with its point, and clicked here, where the reader aimed it.
_THEME_LISTENER = """
window.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.robertaDemoTheme) { document.documentElement.setAttribute("data-theme", data.robertaDemoTheme); }
  if (data.robertaDemoClick && event.source === window.parent) {
    var point = data.robertaDemoClick, target = document.elementFromPoint(point.x, point.y);
    if (target) {
      target.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true, view: window,
                                                    clientX: point.x, clientY: point.y}));
    }
  }
  if (data.robertaDemoPresent !== undefined) {
    document.documentElement.style.zoom = data.robertaDemoPresent ? String(PRESENT_ZOOM) : "";
  }
});
if (window.parent !== window) {
  window.parent.postMessage({robertaDemoAsk: "theme"}, "*");
  // The content's own height (the document's is never less than the frame's), in the page's pixels.
  new ResizeObserver(function () {
    var zoom = parseFloat(document.documentElement.style.zoom) || 1;
    window.parent.postMessage({robertaDemoHeight: document.body.getBoundingClientRect().bottom * zoom + 16}, "*");
  }).observe(document.body);
}
""".replace("PRESENT_ZOOM", str(PRESENT_ZOOM))
_FRAME_CSS = (
    "body{margin:8px;font-family:'Helvetica Neue',Helvetica,Arial,sans-serif;background:#fff;color:#111827}"
    "select{font-size:14px}"
    "html[data-theme=dark] body{background:#0b0f19;color:#e5e7eb}"
    "html[data-theme=dark] svg text{fill:#e5e7eb}"
    "html[data-theme=dark] select{background:#1f2937;color:#e5e7eb}"
)
_REQUIRE_CONFIG = re.compile(r"require\.config\(\{.*?\}\);", re.DOTALL)
_FILTERS = [
    "All",
    "Sentence A -> Sentence A",
    "Sentence B -> Sentence B",
    "Sentence A -> Sentence B",
    "Sentence B -> Sentence A",
]


def _square_side(size: int) -> int:
    return int(min(1000, max(420, 130 + 17 * size)))


def _boundary(pair_start: int, size: int) -> list[dict]:
    """Dotted lines between the two sentences of a pair, across both axes."""
    line = {"type": "line", "line": {"color": "#f59e0b", "width": 2, "dash": "dot"}}
    edge = pair_start - 0.5
    return [
        {**line, "x0": edge, "x1": edge, "y0": -0.5, "y1": size - 0.5},
        {**line, "y0": edge, "y1": edge, "x0": -0.5, "x1": size - 0.5},
    ]


# Near-uniform attention spans a few thousandths: stretched to fill the colour scale, noise looks like structure.
# So the maps open on the whole 0–1 scale, and a button in the chart stretches it to the map's own range, saying so.
FIXED_SCALE, FITTED_SCALE = say("weight, on the 0–1 scale"), say("weight, stretched to this map's range")
ALL_LABELS_UP_TO = 80  # tokens: up to here every token is labelled on both axes; past it plotly picks


def _scale_buttons() -> dict[str, Any]:
    """Plotly buttons under the map: the fixed 0–1 colour scale, or the map's own range (drawn in the browser)."""
    fixed = {"zauto": False, "zmin": 0, "zmax": 1, "colorbar.title.text": render(FIXED_SCALE)}
    fitted = {"zauto": True, "colorbar.title.text": render(FITTED_SCALE)}
    return {
        "type": "buttons",
        "direction": "right",
        "showactive": True,
        "active": 0,
        "x": 1,
        "xanchor": "right",
        "y": 0,
        "yanchor": "top",
        "pad": {"t": 30},
        "buttons": [
            {"label": speak("0–1 scale"), "method": "restyle", "args": [fixed]},
            {"label": speak("Stretch the scale"), "method": "restyle", "args": [fitted]},
        ],
    }


def token_axis(count: int, **axis: Any) -> dict[str, Any]:
    """An axis of tokens: every one labelled while they fit, in a size that fits them."""
    if count > ALL_LABELS_UP_TO:
        return {"automargin": True, **axis}
    size = 12 if count <= 24 else 10 if count <= 48 else 8
    return {"automargin": True, "tickmode": "linear", "dtick": 1, "tickfont": {"size": size}, **axis}


def attention_heatmap(matrix: np.ndarray, tokens: list[str], title: str, pair_start: int | None = None) -> go.Figure:
    """A query × key heatmap; row i is where token i looks. matrix: <float>[num_tokens, num_tokens]."""
    labels = unique_labels(tokens)
    heatmap = {
        "type": "heatmap",
        "z": np.round(matrix, 3).astype(np.float32),
        "x": labels,
        "y": labels,
        "colorscale": LIGHT_TO_DARK,
        "zauto": False,
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"title": {"text": render(FIXED_SCALE), "side": "right"}, "thickness": 12},
        "hovertemplate": "query %{y} → key %{x}<br>weight %{z:.3f}<extra></extra>",
    }
    # The keys' labels run along the top, next to the title: their axis is named underneath, so nothing collides.
    key_axis = {
        "text": speak("columns: key (attended to)"),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "xanchor": "left",
        "y": 0,
        "yanchor": "top",
        "yshift": -8,
        "showarrow": False,
    }
    # Room on top for the title and, under it, the keys' labels, slanted (about 6 px of height a character).
    top = 50 + min(150, 6 * max((len(token) for token in tokens), default=1))
    layout = {
        "margin": {"l": 10, "r": 10, "t": top, "b": 80},
        "xaxis": token_axis(len(tokens), side="top", tickangle=-60),
        "yaxis": token_axis(len(tokens), autorange="reversed", title={"text": speak("query (attending)")}),
        "annotations": [key_axis],
        "updatemenus": [_scale_buttons()],
        "shapes": _boundary(pair_start, len(tokens)) if pair_start is not None else [],
    }
    return plain_figure([heatmap], layout, title, _square_side(len(tokens)) + 40)


def head_overview_chart(statistics: np.ndarray, metric: str, selected: tuple[int, int] | None = None) -> go.Figure:
    """One cell per head: layers down, heads across. statistics: <float>[num_layers, num_heads]."""
    layers, heads = statistics.shape
    heatmap: dict[str, Any] = {
        "type": "heatmap",
        "z": np.round(statistics, 3).astype(np.float32),
        "x": list(range(heads)),
        "y": list(range(layers)),
        "colorscale": "Magma" if metric == "entropy" else "Teal",
        "hovertemplate": "layer %{y}, head %{x}<br>%{z:.3f}<extra></extra>",
        "colorbar": {"thickness": 12},
    }
    if layers * heads <= 400:
        heatmap["texttemplate"] = "%{z:.2f}"
    shapes = []
    if selected is not None:
        layer, head = selected
        cell = {"x0": head - 0.5, "x1": head + 0.5, "y0": layer - 0.5, "y1": layer + 0.5}
        # White under black: seen on every colour of any scale, in any colour vision (a single hue vanishes on one).
        shapes.append({"type": "rect", **cell, "line": {"color": "#ffffff", "width": 6}})
        shapes.append({"type": "rect", **cell, "line": {"color": "#000000", "width": 2.5}})
    layout = {
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "xaxis": {"title": {"text": speak("head")}, "dtick": 1, "automargin": True},
        "yaxis": {"title": {"text": speak("layer")}, "dtick": 1, "autorange": "reversed", "automargin": True},
        "shapes": shapes,
    }
    title = plotly_text(render(HEAD_STATISTICS.get(metric, metric)))
    return plain_figure([heatmap], layout, title, int(min(700, 160 + 34 * layers)))


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: user text can never close the element or open another."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _payload(view: AttentionView, layers: list[int]) -> dict[str, Any]:
    """The weights of `layers`, one byte each (base64), with the tokens: what a frame's script draws from."""
    packed = pack_weights(view.weights[layers], "uint8")
    # What the view shows, in a few characters: a frame drawn again with the same key is the same view.
    key = hashlib.sha256((packed["base64"] + json.dumps(view.tokens)).encode()).hexdigest()[:16]
    return {
        "key": key,
        "weights": packed["base64"],
        "shape": packed["shape"],
        "tokens": view.tokens,
        "pair_start": view.pair_start,
        "layers": layers,
        "mode": "light",  # the frame's own stylesheet follows the page's theme (see _THEME_LISTENER)
    }


def model_view_bytes(view: AttentionView) -> int:
    """The attention data the model view sends (see `_payload`): one byte per weight, base64-encoded."""
    return int(view.weights.size * 4 / 3)


def _vendor_tags(script_base: str | None) -> str:
    if script_base is None:  # a standalone file: inline the libraries
        sources = (VENDOR_DIR / name for name in VENDOR_SCRIPTS)
        return "".join(f"<script>{path.read_text(encoding='utf-8')}</script>" for path in sources)
    return "".join(f'<script src="{html.escape(script_base + name)}"></script>' for name in VENDOR_SCRIPTS)


def _bertviz_script() -> str:
    """bertviz's own head-view JavaScript, read from its package without importing it (importing bertviz imports
    torch, and this module stays free of it)."""
    spec = importlib.util.find_spec("bertviz")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("bertviz is not installed: pip install bertviz")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return (folder / "head_view.js").read_text(encoding="utf-8")


_MODEL_VIEW_CSS = (
    "body{margin:8px;font-family:'Helvetica Neue',Helvetica,Arial,sans-serif;background:#fff;color:#111827}"
    "table{border-collapse:collapse}th{font-size:12px;font-weight:500;padding:2px 6px;white-space:nowrap}"
    f"td{{padding:2px}}canvas.thumb{{width:{_THUMB}px;height:{_THUMB}px;cursor:pointer;border:1px solid #e5e7eb}}"
    "canvas.thumb:hover{outline:2px solid #4f46e5}"
    "#back{font-size:14px;margin:4px 0;cursor:pointer}h3{font-size:15px;font-weight:500;margin:6px 0}"
    "line.line{stroke:#4f46e5}text.token{font-size:13px;cursor:default;fill:#111827}"
    "html[data-theme=dark] body{background:#0b0f19;color:#e5e7eb}"
    "html[data-theme=dark] text.token{fill:#e5e7eb}html[data-theme=dark] line.line{stroke:#a5b4fc}"
    "html[data-theme=dark] canvas.thumb{border-color:#374151}"
)


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# The frame's own title and language: it is a document of its own, read out by a screen reader in the voice of
# its tokens' language.
_TITLES = {
    "head": {"en": "Attention: bertviz head view", "zh": "注意力：bertviz 头视图"},
    "model": {"en": "Attention: every layer and head", "zh": "注意力：所有层和注意力头"},
}


def _text_language(tokens: list[str]) -> str:
    """ "zh" when the tokens hold Chinese characters, else "en": the `lang` of a document that shows them."""
    return "zh" if any(_CJK.search(token) for token in tokens) else "en"


def _document_head(view: AttentionView, kind: View, css: str) -> str:
    language = _text_language(view.tokens)
    title = html.escape(_TITLES[kind][language])
    return (
        f'<!doctype html><html lang="{"zh-CN" if language == "zh" else "en"}" data-theme="light"><head>'
        f'<meta charset="utf-8"><title>{title}</title><style>{css}</style></head>'
    )


def model_view_document(view: AttentionView) -> str:
    """A complete HTML page with every head of every layer as a small heatmap (one canvas each, drawn in one pass,
    so it stays fast at the token cap); clicking a head shows it in full as lines between the tokens.

    Needs no library and no network: the script is inlined, the weights are one byte each.
    """
    params = _script_json(_payload(view, list(range(view.num_layers))))
    script = MODEL_VIEW_SCRIPT.read_text(encoding="utf-8")
    return (
        f"{_document_head(view, 'model', _MODEL_VIEW_CSS)}"
        '<body><div id="grid"></div><div id="detail" hidden></div>'
        f"<script>{_THEME_LISTENER}window.robertaDemoModelView = {params};</script><script>{script}</script>"
        "</body></html>"
    )


def head_view_document(
    view: AttentionView, layer: int = 0, script_base: str | None = None, heads: list[int] | None = None
) -> str:
    """A complete HTML page with bertviz's head view of one layer: each head's lines between the tokens.

    heads: the heads drawn at first (the others are a click away on their colour); all of them by default. Each head
    drawn is one line per pair of tokens, so at the token cap one head draws in a fraction of the time of twelve.

    script_base: URL prefix the page loads d3 and jQuery from (the app serves `assets/vendor/`); None inlines
    them, for a file that works anywhere with no network.
    """
    # bertviz's CDN paths go: d3 and jQuery are already on the page.
    script = _REQUIRE_CONFIG.sub("", _bertviz_script(), count=1)
    # Only the first marker: bertviz's own comment repeats it, and replacing both would send the data twice.
    payload = _payload(view, [layer]) | {"heads": heads}
    params = f"robertaDemoParams({_script_json(payload)})"
    script = script.replace("PYTHON_PARAMS", params, 1)
    filters = "".join(f'<option value="{i}">{name}</option>' for i, name in enumerate(_FILTERS))
    select_filter = (
        f'<label>Attention: <select id="filter">{filters}</select></label>' if view.pair_start is not None else ""
    )
    select_layer = '<label>Layer: <select id="layer"></select></label>'
    return (
        f"{_document_head(view, 'head', _FRAME_CSS)}"
        f'<body><div id="bertviz"><span style="user-select:none">{select_layer} {select_filter}</span>'
        "<div id='vis'></div></div>"
        f"{_vendor_tags(script_base)}<script>{_REQUIRE_SHIM}{_DECODER}{_THEME_LISTENER}</script>"
        f"<script>{script}</script></body></html>"
    )


def standalone_document(view: AttentionView, kind: View, layer: int) -> str:
    """A view as a file that works anywhere, offline: for slides, or to send to someone."""
    return model_view_document(view) if kind == "model" else head_view_document(view, layer, script_base=None)


def bertviz_iframe(document: str, height: int) -> str:
    """The page in a sandboxed frame: its scripts run, but in an opaque origin, cut off from the app's page."""
    return (
        f'<iframe class="bertviz-frame" title="bertviz attention view" sandbox="allow-scripts" '
        f'style="width:100%;height:{height}px;border:0" srcdoc="{html.escape(document, quote=True)}"></iframe>'
    )


def frame_height(view: AttentionView, kind: View) -> int:
    """Pixels a view's frame starts with: the model view's grid grows with the layers, the head view with the tokens.
    The frame then reports its content's height and the page fits it (a head opened in full, presentation mode)."""
    if kind == "model":
        return int(72 + (_THUMB + 10) * view.num_layers)  # the grid, its header and the line on the keys
    return int(min(2600, 140 + 23 * len(view.tokens)))


def selected_head_data(view: AttentionView, layer: int, head: int) -> dict[str, Any]:
    """One head's attention as plain data, for API users."""
    return {
        "checkpoint": view.run.checkpoint,
        "tokens": view.tokens,
        "pair_start": view.pair_start,
        "num_layers": view.num_layers,
        "num_heads": view.num_heads,
        "layer": layer,
        "head": head,
        "matrix": np.round(view.weights[layer, head], 3).tolist(),
        "truncated": view.run.truncation is not None,
    }


@dataclass(frozen=True)
class AttentionFigures:
    """Everything the attention views draw for one layer and head.

    frame: the bertviz view as a sandboxed iframe; data: the selected head as plain data.
    """

    frame: str
    head: go.Figure
    mean: go.Figure
    rollout: go.Figure
    overview: go.Figure
    data: dict[str, Any]


def attention_figures(
    view: AttentionView, layer: int, head: int, kind: View, metric: str, script_base: str | None
) -> AttentionFigures:
    """Every attention figure for the selected layer and head (clamped to the model's), no model call needed."""
    layer, head = min(int(layer), view.num_layers - 1), min(int(head), view.num_heads - 1)
    tokens, start = view.tokens, view.pair_start
    # The head view opens on the selected head (the slider), so a long text draws fast and the two views agree.
    document = model_view_document(view) if kind == "model" else head_view_document(view, layer, script_base, [head])
    return AttentionFigures(
        frame=bertviz_iframe(document, frame_height(view, kind)),
        head=attention_heatmap(
            view.weights[layer, head], tokens, speak("Layer {layer}, head {head}", layer=layer, head=head), start
        ),
        mean=attention_heatmap(
            view.head_mean()[layer],
            tokens,
            speak("Layer {layer}, mean over {heads} heads", layer=layer, heads=view.num_heads),
            start,
        ),
        rollout=attention_heatmap(
            view.rollout[layer], tokens, speak("Attention rollout, layers 0–{layer}", layer=layer), start
        ),
        overview=head_overview_chart(view.head_statistics()[metric], metric, (layer, head)),
        data=selected_head_data(view, layer, head),
    )
