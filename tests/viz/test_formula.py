"""The attention formula written out with a tiny checkpoint's own numbers, in both languages."""

from __future__ import annotations

import re

import pytest

from roberta_demo.tasks import formula
from roberta_demo.viz.charts import markdown_code
from roberta_demo.viz.formula import ATTENTION_FORMULA, formula_markdown

TEXT = "The <b>river</b> bank."


@pytest.fixture(scope="module")
def step(context):
    captured = formula.capture(context, TEXT, layer=1)
    query = captured.tokens.index("<")  # markup for its query token
    return captured, formula.step(captured, head=1, query=query)


@pytest.mark.parametrize(
    ("language", "numbers", "agreed"),
    [
        ("en", "Layer 1, head 1 (of {heads}): each head works on $d_k = {hidden} / {heads} = {d_k}$", "equal"),
        (
            "zh",
            "第 1 层，第 1 个注意力头（共 {heads} 个）：每个头对每个词元处理 $d_k = {hidden} / {heads} = {d_k}$",
            "一致",
        ),
    ],
)
def test_the_formula_carries_this_models_numbers_and_its_check(step, language, numbers, agreed):
    captured, chosen = step
    written = formula_markdown(captured, chosen, language)
    figures = {"heads": captured.num_heads, "hidden": captured.hidden_size, "d_k": chosen.d_k}
    assert written.startswith(ATTENTION_FORMULA + "\n\n")  # the formula, the same in every language
    assert numbers.format(**figures) in written
    # d_k's value in the weight's square root; the header's \sqrt{d_k} is LaTeX, not a value to fill
    assert f"\\sqrt{{{chosen.d_k}}}" in written and "\\sqrt{d_k}" in written
    assert agreed in written and f"{chosen.max_difference:.1e}" in written
    assert markdown_code("<") in written  # the query token as typed, in a code span: never markup
    assert not re.search(r"\{(layer|head|heads|hidden|per_head|token|query|agreement|difference)\}", written)
