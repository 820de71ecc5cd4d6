"""Word attributions drawn: the coloured text, the chart of the strongest words, the note."""

from __future__ import annotations

from roberta_demo.results import Explanation, RunInfo, WordAttribution
from roberta_demo.viz.explain import AGAINST, CAUTION, FOR, attribution_note, coloured_words, explanation_chart


def _explanation(
    method: str = "grad_x_input", delta: float | None = None, hypothesis: str | None = None
) -> Explanation:
    text = "Not <b>great</b>, loved it"
    words = [
        WordAttribution("Not", 0, 3, -0.5, 0.1),
        WordAttribution("<b>great</b>", 4, 16, 0.25, 0.3),
        WordAttribution("loved", 18, 23, 1.0, 0.4),
        WordAttribution("it", 24, 26, 0.0, 0.2),
    ]
    relative = None if delta is None else 0.02
    return Explanation(
        text,
        words,
        "sentiment",
        "positive",
        method,
        delta,
        relative,
        hypothesis,
        ["negative"],
        RunInfo("c", "cpu", 0.0),
    )


def test_words_for_the_answer_take_gradios_purple_and_words_against_its_red():
    # Gradio draws a negative score purple and a positive one red, so the scaled attribution is negated.
    pieces = coloured_words(_explanation())
    assert pieces == [
        ("Not", 0.5),
        (" ", None),
        ("<b>great</b>", -0.25),
        (", ", None),
        ("loved", -1.0),
        (" ", None),
        ("it", 0.0),
    ]
    assert "".join(piece for piece, _ in pieces) == _explanation().text  # markup stays text, nothing dropped


def test_the_zero_shot_hypothesis_follows_the_text_unscored():
    pieces = coloured_words(_explanation(hypothesis="This example is sport."))
    assert pieces[-1] == ("   ⟶ read with: This example is sport.", None)


def test_the_chart_ranks_words_by_size_and_colours_them_as_the_text_does():
    bars, attention = explanation_chart(_explanation(), top=3).data
    # strongest at the top of a horizontal bar chart; plotly would read the markup as its own, so it is escaped
    assert list(bars.y) == ["&lt;b&gt;great&lt;/b&gt;", "Not", "loved"]
    assert list(bars.marker.color) == [FOR, AGAINST, FOR]
    assert [round(value, 2) for value in attention.x] == [0.3, 0.1, 0.4]
    assert FOR == "#805ad5" and AGAINST == "#ef443c"  # rgb(128, 90, 213) and rgb(239, 68, 60), Gradio's own


def test_the_note_names_the_method_reports_completeness_and_cautions():
    quick = attribution_note(_explanation())
    assert quick.startswith("**Gradient × Input** attributions for **positive**") and str(CAUTION) in quick
    assert "convergence" not in quick
    faithful = attribution_note(_explanation("integrated_gradients", delta=-0.0123))
    assert "within 2.0%" in faithful and "convergence delta -0.0123" in faithful
