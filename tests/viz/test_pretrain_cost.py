"""What training costs, drawn: the paper's figures beside one measured step, and the paper's run at this pace."""

from __future__ import annotations

import numpy as np
import pytest

from roberta_demo.results import RunInfo, StepCost, TokenVectors
from roberta_demo.viz.pretrain import PAPER, PAPER_TOKENS_PER_SECOND, cost_markdown, duration
from roberta_demo.viz.vectors import drift_chart

STEP = StepCost("tiny/tiny-roberta", "cpu", 8, 128, 200_000, 0.5, {"forward": 0.2, "backward": 0.2, "optimizer": 0.1})


@pytest.mark.parametrize(
    ("seconds", "english", "chinese"),
    [
        (42, "42.0 seconds", "42.0 秒"),
        (7_200, "2.0 hours", "2.0 小时"),
        (86_400 * 41, "41.0 days", "41.0 天"),
        (365.25 * 86_400 * 12_000, "12,000 years", "12,000 年"),
    ],
)
def test_a_duration_is_said_in_its_largest_unit(seconds, english, chinese):
    assert duration(seconds) == english and duration(seconds, "zh") == chinese


def test_the_paper_is_timed_at_the_measured_pace():
    rate = 8 * 128 / 0.5  # tokens a second, measured
    years = PAPER["released_steps"] * PAPER["batch"] * PAPER["tokens"] / rate / (365.25 * 86_400)
    shown = cost_markdown(STEP)
    assert f"about **{duration(years * 365.25 * 86_400)}**" in shown
    assert f"{PAPER_TOKENS_PER_SECOND / rate:,.0f} times fewer tokens a second" in shown
    assert "1,024 NVIDIA V100" in shown and "**0.50 s** (forward 0.20, backward 0.20, AdamW 0.10)" in shown
    assert pytest.approx(100_000 * 8_000 * 512 / 86_400) == PAPER_TOKENS_PER_SECOND  # "about a day" for 100K steps
    chinese = cost_markdown(STEP, "zh")
    assert "1,024 块 NVIDIA V100" in chinese and "年" in chinese and "years" not in chinese


def test_the_drift_chart_escapes_tokens_and_spans_every_layer():
    drift = np.array([[1.0, 1.0, 1.0], [0.9, 0.5, 0.8]], dtype=np.float32)
    found = TokenVectors(["<s>", "<b>x</b>", "</s>"], drift * 10, drift, 64, RunInfo("m", "cpu", 0.1))
    figure = drift_chart(found)
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["embeddings", "layer 1"]
    assert list(heatmap.x) == ["&lt;s&gt;", "&lt;b&gt;x&lt;/b&gt;", "&lt;/s&gt;"]  # shown as typed, never markup
    assert heatmap.zmax == 1.0 and heatmap.zmin == pytest.approx(0.5)
    assert np.allclose(np.array(heatmap.customdata), drift * 10)
