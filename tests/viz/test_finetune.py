"""Fine-tuning drawn: the loss chart, the progress line, the before/after table, the attention comparison."""

from __future__ import annotations

import numpy as np

from roberta_demo.results import FineTuned, TrainingUpdate, Verdict
from roberta_demo.viz.finetune import attention_comparison, loss_chart, progress_note, verdict_rows

UPDATE = TrainingUpdate(4, 10, [0.7, 0.6, 0.5, 0.4], [(0, 0.5, 0.25), (4, 0.75, 0.5)], 2.0)


def test_the_loss_chart_draws_every_step_and_both_accuracies_on_their_own_axis():
    loss, training, held_out = loss_chart(UPDATE).data
    assert list(loss.x) == [1, 2, 3, 4] and list(loss.y) == [0.7, 0.6, 0.5, 0.4]
    assert list(training.y) == [0.5, 0.75] and list(held_out.y) == [0.25, 0.5]
    assert training.yaxis == held_out.yaxis == "y2"
    assert list(loss_chart(UPDATE).layout.xaxis.range) == [0, 10.5]  # room for the whole run from the first step


def test_without_held_out_examples_there_is_no_held_out_line():
    update = TrainingUpdate(1, 2, [0.7], [(0, 0.5, None)], 0.5)
    assert [trace.name for trace in loss_chart(update).data] == ["loss", "accuracy, training"]
    assert len(loss_chart(None).data[0].x) == 0  # the empty chart before a run


def test_the_progress_line_gives_the_step_speed_and_accuracy_and_says_why_a_run_stopped():
    note = progress_note(UPDATE)
    assert note == (
        "Step **4 / 10** · loss **0.400** · 2.0 s · 2 steps/s · accuracy at step 4: training **75%**, held out **50%**"
    )
    stopped = TrainingUpdate(4, 10, [0.4], [(4, 0.75, None)], 2.0, finished=True, stopped="stopped by you")
    assert "held out" not in progress_note(stopped)
    assert "Training ended early: stopped by you. The model trained so far is kept." in progress_note(stopped)


def test_the_table_marks_what_changed_and_whether_for_the_better():
    verdicts = [
        Verdict("<b>good</b>", "positive", False, "negative", 0.51, "positive", 0.8),
        Verdict("bad", "negative", True, "negative", 0.52, "positive", 0.6),
        Verdict("meh", "negative", False, "negative", 0.5, "negative", 0.7),
    ]
    rows = verdict_rows(FineTuned("k", "c", ["negative", "positive"], verdicts, UPDATE, []))
    assert rows[0] == ["<b>good</b>", "training", "positive", "negative (51%)", "positive (80%)", "✔ now right"]
    assert rows[1][1] == "held out" and rows[1][5] == "✘ now wrong"
    assert rows[2][5] == ""


def test_the_attention_comparison_puts_base_and_fine_tuned_side_by_side():
    figure = attention_comparison(["<s>", "Ġgood", "Ġgood", "</s>"], np.full(4, 0.25), np.array([0.1, 0.6, 0.2, 0.1]))
    base, tuned = figure.data
    assert base.name == "base model" and tuned.name == "fine-tuned"
    assert len(set(base.x)) == 4 and "&lt;s&gt;" in base.x  # repeated words kept apart; markup escaped for plotly
    assert list(tuned.y) == [0.1, 0.6, 0.2, 0.1]
