"""Charts are built from task results, sorted, labelled and light enough to send."""

from __future__ import annotations

from roberta_demo.results import ClassScores, RunInfo
from roberta_demo.viz.charts import class_distribution_chart, class_scores_chart, display_label

RUN = RunInfo("ckpt", "cpu", 0.01)


def test_bars_are_sorted_with_the_top_class_on_top():
    result = ClassScores.from_pairs([("neutral", 0.2), ("positive", 0.7), ("negative", 0.1)], True, RUN)
    bar = class_scores_chart(result).data[0]
    assert list(bar.y) == ["negative", "neutral", "positive"]  # plotly draws the last bar at the top
    assert list(bar.x) == [0.1, 0.2, 0.7]
    assert list(bar.text) == ["10.0%", "20.0%", "70.0%"]
    assert bar.marker.color[-1] != bar.marker.color[0]  # the winner stands out


def test_multi_label_axis_says_scores_are_independent():
    result = ClassScores.from_pairs([("a", 0.9), ("b", 0.8)], False, RUN)
    assert "multi-label" in class_scores_chart(result).layout.xaxis.title.text


def test_labels_are_readable_and_stay_text():
    # plotly decodes entities when it draws, so the first shows as "arts & culture", the second as typed.
    assert display_label("arts_&_culture") == "arts &amp; culture"
    assert display_label("<b>bold</b>") == "&lt;b&gt;bold&lt;/b&gt;"


def test_charts_stay_small():
    result = ClassScores.from_pairs([(f"label {i}", i / 20) for i in range(19)], False, RUN)
    assert len(class_scores_chart(result).to_json()) < 4_000
    assert len(class_distribution_chart({"negative": 3, "neutral": 0, "positive": 5}).to_json()) < 4_000
