"""Fill-mask drawings: bars per mask, asked-about words beside them, the lens, the filled sentence, clickable words."""

from __future__ import annotations

import numpy as np

from roberta_demo.results import CandidateScore, Filler, FillMaskResult, LayerLens, MaskPrediction, RunInfo
from roberta_demo.viz.fill_mask import ASKED, clickable_words, filled_sentence, fillers_chart, lens_chart

LENS = LayerLens(
    layers=["embeddings", "layer 1", "layer 2"],
    words=["cat", "dog"],
    probabilities=np.array([[0.01, 0.02], [0.2, 0.1], [0.6, 0.3]], dtype=np.float32),
    top_words=["the", "cat", "cat"],
    top_scores=[0.05, 0.2, 0.6],
)


def _result() -> FillMaskResult:
    first = MaskPrediction(
        4,
        10,
        [Filler("Ġcat", " cat", 0.6), Filler("Ġdog", " dog", 0.3)],
        [CandidateScore("dog", ["Ġdog"], 0.3, 2), CandidateScore("<b>x</b>", ["Ġ<", "b"], 0.001, None)],
        LENS,
    )
    second = MaskPrediction(22, 28, [Filler("Ġmat", " mat", 0.5), Filler(",", ",", 0.1)], [], None)
    return FillMaskResult(
        "The <mask> sat on the <mask>.",
        "<mask>",
        [first, second],
        "The cat sat on the mat.",
        [(4, 7), (19, 22)],
        [],
        RunInfo("c", "cpu", 0.0),
    )


def test_one_bar_chart_per_mask_best_on_top_and_asked_words_in_green():
    figure = fillers_chart(_result())
    first, second = figure.data
    assert (first.xaxis, first.yaxis, second.xaxis, second.yaxis) == ("x", "y", "x2", "y2")
    assert list(first.y)[::-1][:2] == ["cat", "dog"] and list(first.x)[::-1][:2] == [0.6, 0.3]
    assert first.y[0] == "&lt;b&gt;x&lt;/b&gt; (asked)"  # asked about, not chosen: escaped, in green, last
    assert first.marker.color[0] == ASKED
    assert len(second.y) == 2  # no words asked about there
    top, bottom = figure.layout.yaxis.domain, figure.layout.yaxis2.domain
    assert top[0] >= bottom[1]  # stacked, the first mask on top


def test_the_lens_is_layers_by_words_plus_each_layers_own_choice():
    heatmap = lens_chart(LENS, 1).data[0]
    assert list(heatmap.y) == ["embeddings", "layer 1", "layer 2"]
    assert list(heatmap.x) == ["cat", "dog", "top here"]
    np.testing.assert_allclose(np.asarray(heatmap.z)[:, 2], [0.05, 0.2, 0.6], rtol=1e-3)
    assert heatmap.text[0][2] == "the 5%" and heatmap.text[2][0] == "60%"


def test_filled_sentence_marks_each_filler():
    value = filled_sentence(_result())
    assert value["text"] == "The cat sat on the mat."
    assert [(e["entity"], value["text"][e["start"] : e["end"]]) for e in value["entities"]] == [
        ("mask 1", "cat"),
        ("mask 2", "mat"),
    ]


def test_clickable_words_spell_the_text_and_mark_masks():
    text = "It's a <mask>, isn't it?"
    pieces = clickable_words(text, [(0, 4), (5, 6), (15, 20), (21, 23)], [(7, 13)])
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, label in pieces if label == "word"] == ["It's", "a", "isn't", "it"]
    assert [piece for piece, label in pieces if label == "mask"] == ["<mask>"]


def test_each_sample_is_a_line_with_its_drawn_words_marked_by_their_probability():
    from dataclasses import replace

    from roberta_demo.results import SampledFill
    from roberta_demo.viz.fill_mask import DRAWN_LABELS, sampled_sentences

    spans = [(2, 5), (12, 15)]
    samples = [
        SampledFill("A cat and a dog.", spans, [Filler("Ġcat", " cat", 0.5), Filler("Ġdog", " dog", 0.004)]),
        SampledFill("A <b> and a fox.", spans, [Filler("Ġ<b>", " <b>", 1.0), Filler("Ġfox", " fox", 0.1)]),
    ]
    shown = sampled_sentences(replace(_result(), samples=samples))
    assert shown["text"] == "A cat and a dog.\nA <b> and a fox."
    assert [shown["text"][e["start"] : e["end"]] for e in shown["entities"]] == ["cat", "dog", "<b>", "fox"]
    assert [e["entity"] for e in shown["entities"]] == ["50%", "<1%", "100%", "10%"]
    assert {e["entity"] for e in shown["entities"]} <= set(DRAWN_LABELS)  # each drawn in the page's one colour
