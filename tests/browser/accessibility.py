"""axe-core in the app's pages: the WCAG 2.1 A/AA rules, what of them is Gradio's own, and when a page has settled
enough to be measured."""

from __future__ import annotations

from typing import Any

from tests.conftest import REPO

AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Violations in Gradio's own components and theme (gradio 6.31), each as (rule, a part of the element's selector
# or markup): not the app's to fix; README "Accessibility" lists them with the component named.
GRADIO_OWNED: list[tuple[str, str]] = [
    ("aria-prohibited-attr", 'aria-label="Empty value"'),  # the empty state of Plot, Label, HighlightedText
    ("aria-command-name", "token"),  # a selectable HighlightedText: its whitespace pieces are unnamed buttons
    ("label-content-name-mismatch", "upload-container"),  # File: the button's name is not its visible text
]


def settled(page: Any) -> None:
    """Every event of the run finished (no status tracker still pending, no output still drawn as pending: Gradio
    shows one at a fifth of its opacity, which a busy machine leaves on screen long enough for axe to measure), and
    no transition still running (a button turning enabled fades in its colour). The tour's stepper marks the steps
    ahead `pending` too: those are steps, not outputs."""
    page.wait_for_function(
        "![...document.querySelectorAll("
        "'[data-testid=status-tracker] .progress-text, .eta-bar, .pending:not(.step-button)')]"
        ".some((e) => e.offsetParent)"
    )
    done = "(a) => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity"
    page.wait_for_function(f"document.getAnimations().every({done})")


def axe_violations(target: Any, script: str) -> list[dict[str, Any]]:
    if not target.evaluate("typeof axe !== 'undefined'"):  # once per document: axe is half a megabyte of script
        target.add_script_tag(content=script)
    found: list[dict[str, Any]] = target.evaluate(
        """async (tags) => {
            const within = (target) => {  // the classes of the element's ancestors: which component it is in
                let element = document.querySelector(target[target.length - 1]);
                const classes = [];
                for (let depth = 0; element && depth < 12; depth++, element = element.parentElement) {
                    classes.push(String(element.className || ""));
                }
                return classes.join(" ");
            };
            const result = await axe.run(document, {iframes: false, runOnly: {type: "tag", values: tags}});
            return result.violations.map((v) => ({id: v.id, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                            why: n.failureSummary, within: within(n.target)}))}));
        }""",
        WCAG,
    )
    return found


def gradios_own(rule: str, node: dict[str, Any]) -> bool:
    where = f"{node['target']} {node['html']} {node['within']}"
    return any(rule == owned and part in where for owned, part in GRADIO_OWNED)


def apps_own(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{violation['id']}: {node['target']} — {node['why']}"
        for violation in violations
        for node in violation["nodes"]
        if not gradios_own(violation["id"], node)
    ]
