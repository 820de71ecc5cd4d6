"""bertviz pages that draw offline, stay small and keep user text as text; attention heatmaps."""

from __future__ import annotations

import json
import re

import numpy as np

from roberta_demo.results import AttentionView, RunInfo
from roberta_demo.tasks.attention import attention_rollout
from roberta_demo.viz.attention import (
    AttentionFigures,
    attention_figures,
    attention_heatmap,
    head_view_document,
    model_view_bytes,
    model_view_document,
    standalone_document,
)
from roberta_demo.viz.charts import unique_labels

SCRIPT_BASE = "gradio_api/file=/srv/app/assets/vendor/"

ATTACK = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


def random_view(layers: int, heads: int, tokens: int, seed: int = 0) -> AttentionView:
    """Row-stochastic random attention with the shapes of a real model."""
    logits = np.random.default_rng(seed).normal(size=(layers, heads, tokens, tokens)) * 3
    weights = np.exp(logits)
    weights /= weights.sum(-1, keepdims=True)
    words = ["<s>", *(f"w{i}" for i in range(tokens - 2)), "</s>"]
    special = [w in ("<s>", "</s>") for w in words]
    rollout = attention_rollout(weights)
    return AttentionView(words, special, weights.astype(np.float32), rollout, None, RunInfo("random", "cpu", 0.0))


def _script_sources(document: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", document)


def test_in_app_page_loads_its_libraries_from_the_app_only():
    document = head_view_document(random_view(2, 2, 6), 0, script_base=SCRIPT_BASE)
    sources = _script_sources(document)
    assert sources and all(src.startswith("gradio_api/file=") for src in sources)
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", document)
    assert "cdnjs" not in document and "require.min.js" not in document


def test_standalone_page_inlines_its_libraries():
    document = standalone_document(random_view(2, 2, 6), "head", 1)
    assert _script_sources(document) == []
    assert "d3.min.js" not in document and "https://d3js.org" in document  # d3's own licence banner, inlined
    assert "jQuery v2.2.4" in document


def test_user_text_cannot_close_the_script():
    view = random_view(1, 1, 3)
    view = AttentionView(["<s>", ATTACK, "</s>"], [True, False, True], view.weights, view.rollout, None, view.run)
    document = head_view_document(view, 0, script_base=None)
    assert ATTACK not in document
    assert "<script>alert" not in document and "<img src=x" not in document
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in document


def test_heatmap_labels_are_escaped_and_distinct():
    labels = unique_labels(["<s>", "the", "the", "<b>x</b>", "</s>"])
    assert labels[0] == "&lt;s&gt;" and labels[3] == "&lt;b&gt;x&lt;/b&gt;"
    assert len(set(labels)) == 5 and labels[1].strip("\u200b") == labels[2].strip("\u200b") == "the"
    figure = attention_heatmap(np.eye(5), ["<s>", "the", "the", "<b>x</b>", "</s>"], "t", pair_start=2)
    assert len(figure.layout.shapes) == 2  # the pair boundary, on both axes


def _payload_bytes(figures: AttentionFigures) -> int:
    charts = (figures.head, figures.mean, figures.rollout, figures.overview)
    frame, data = figures.frame.encode(), json.dumps(figures.data).encode()
    return len(frame) + sum(len(chart.to_json().encode()) for chart in charts) + len(data)


def test_payload_for_64_tokens_on_a_roberta_base_sized_model_stays_under_1_mb(capsys):
    view = random_view(12, 12, 64)  # roberta-base: 12 layers × 12 heads
    head = _payload_bytes(attention_figures(view, 5, 3, "head", "entropy", SCRIPT_BASE))
    model = _payload_bytes(attention_figures(view, 5, 3, "model", "entropy", SCRIPT_BASE))
    with capsys.disabled():
        print(f"\n[payload] 64 tokens, 12×12 heads: head view {head / 1e3:.0f} kB, model view {model / 1e3:.0f} kB")
    assert head < 1_000_000 and model < 1_000_000


def test_the_heavy_model_view_is_flagged_past_64_tokens():
    # The tab's note warns once the model view passes 1 MB: beyond 64 tokens on a 12 × 12 model.
    assert model_view_bytes(random_view(12, 12, 64)) < 1_000_000 < model_view_bytes(random_view(12, 12, 96))


def test_the_model_view_needs_no_library_and_keeps_user_text_as_text():
    view = random_view(2, 3, 5)
    view = AttentionView(
        ["<s>", ATTACK, "a", "b", "</s>"], [True, False, False, False, True], view.weights, view.rollout, None, view.run
    )
    document = model_view_document(view)
    assert _script_sources(document) == []
    assert not re.search(r"(https?:)?//[a-z]", document.replace("http://www.w3.org/2000/svg", ""))
    assert ATTACK not in document and "<img src=x" not in document
    assert "window.robertaDemoModelView" in document and '"shape": [2, 3, 5, 5]' in document
    assert standalone_document(view, "model", 0) == document


def test_heatmaps_open_on_the_whole_scale_and_label_every_token():
    """Near-uniform attention (weights of 1/25 ± noise) must not fill the colour scale: the map opens on 0–1, says so,
    and its button stretches the scale to the map's own range, saying that instead. Every one of 25 tokens is named."""
    matrix = np.full((25, 25), 0.04) + np.random.default_rng(0).normal(scale=0.002, size=(25, 25))
    figure = attention_heatmap(matrix, [f"w{i}" for i in range(25)], "uniform")
    heatmap = figure.data[0]
    assert (heatmap.zmin, heatmap.zmax, heatmap.zauto) == (0, 1, False)
    assert "0–1" in heatmap.colorbar.title.text
    fixed, fitted = figure.layout.updatemenus[0].buttons
    assert fixed.args[0]["zmax"] == 1 and fitted.args[0]["zauto"] is True
    assert "stretched" in fitted.args[0]["colorbar.title.text"]
    for axis in (figure.layout.xaxis, figure.layout.yaxis):
        assert (axis.tickmode, axis.dtick) == ("linear", 1)


def test_the_selected_head_is_boxed_in_white_and_black():
    """One hue vanishes on some colour of a scale for some readers (green on Magma, for deuteranopes); a black line
    on a white one is seen on any cell."""
    figure = attention_figures(random_view(2, 3, 5), 1, 2, "head", "entropy", SCRIPT_BASE).overview
    assert [shape.line.color for shape in figure.layout.shapes] == ["#ffffff", "#000000"]
    assert {(shape.x0, shape.y0) for shape in figure.layout.shapes} == {(1.5, 0.5)}


def test_frames_are_named_documents_in_the_language_of_their_tokens():
    english = random_view(2, 2, 4)
    chinese = AttentionView(["[CLS]", "你", "好", "[SEP]"], [True, False, False, True], *_arrays(english))
    for view, lang in ((english, "en"), (chinese, "zh-CN")):
        for document in (head_view_document(view, 0, SCRIPT_BASE), model_view_document(view)):
            assert f'<html lang="{lang}"' in document
            assert re.search(r"<title>[^<]+</title>", document)
    assert "<label>Layer: <select" in head_view_document(english, 0, SCRIPT_BASE)


def _arrays(view: AttentionView) -> tuple:
    return view.weights, view.rollout, None, view.run
