"""What a person sees when a run cannot happen, in Chromium: a message where the problem is, never a bare "Error"
badge on the outputs, and nothing stale left from an earlier answer."""

from __future__ import annotations

BARE_ERRORS = """() => [...document.querySelectorAll("[data-testid=status-tracker] .error")]
    .filter((badge) => badge.offsetParent).length"""


def test_moving_the_threshold_before_the_first_run_changes_nothing(app_page):
    app_page.get_by_role("tab", name="NER", exact=True).click()
    # The spans' status tracker tells when the slider's event has ended: shown while it runs, hidden after.
    app_page.evaluate(
        """() => { const tracker = document.querySelector('#ner-spans [data-testid=status-tracker]');
            window.trackerStates = [];
            new MutationObserver(() => window.trackerStates.push(tracker.className))
                .observe(tracker, {attributes: true, subtree: true, childList: true}); }"""
    )
    app_page.locator("#ner-threshold input[type=range]").click()  # releasing the slider redraws the spans
    app_page.wait_for_function(
        "window.trackerStates.length > 1 && / hide$/.test(window.trackerStates[window.trackerStates.length - 1])"
    )
    assert app_page.evaluate(BARE_ERRORS) == 0
    assert not any("error" in state for state in app_page.evaluate("window.trackerStates"))
    assert app_page.log.errors == []


def test_an_empty_text_gets_its_message_and_the_views_stay(app_page):
    app_page.get_by_role("tab", name="Attention", exact=True).click()
    app_page.locator("#attention-run").click()
    app_page.get_by_test_id("toast-body").get_by_text("Type or paste some text first.").wait_for()
    assert app_page.evaluate(BARE_ERRORS) == 0
    assert app_page.locator("#attention-layer input[type=range]").is_visible()  # the sliders are still there


def test_an_explanation_goes_when_the_answer_it_explained_does(app_page):
    app_page.get_by_role("tab", name="Classification", exact=True).click()
    app_page.locator("#classification-text textarea").fill("I was charged twice this month, please refund me.")
    app_page.locator("#classify-run").click()
    app_page.locator("#classify-top .output-class").wait_for()
    app_page.locator("#classify-explain").click()
    explained = app_page.locator("#classify-explained .token")
    explained.first.wait_for()
    app_page.get_by_label("Topic model").check()
    app_page.locator("#classify-run").click()
    # The explanation of the zero-shot answer is gone with it.
    app_page.wait_for_function("!document.querySelector('#classify-explained .token')")
    app_page.locator("#classify-top .output-class").wait_for()


def test_a_message_with_markup_in_it_is_shown_as_written(open_page):
    """Gradio's toast renders a message as HTML: "<mask>" in it would be a tag, and the rest of the message with it."""
    page = open_page("?tab=fill-mask&text=no%20mask%20here")
    toast = page.get_by_test_id("toast-body").get_by_text("Put <mask> where a word should be predicted", exact=False)
    toast.wait_for()
    assert "or click a word to mask it." in toast.inner_text()
