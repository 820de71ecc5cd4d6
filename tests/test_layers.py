"""The layers never reach past each other: ui and viz hold no torch or transformers, tasks no Gradio."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "roberta_demo"
FORBIDDEN = {
    "ui": {"torch", "transformers", "tokenizers"},
    "viz": {"torch", "transformers", "tokenizers", "gradio"},
    "tasks": {"torch", "transformers", "tokenizers", "gradio", "plotly"},
}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    modules = sorted((PACKAGE / layer).glob("*.py"))
    assert modules
    for module in modules:
        assert not _imported_roots(module) & FORBIDDEN[layer], f"{module.name} imports {FORBIDDEN[layer]}"
