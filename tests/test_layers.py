"""The layers never reach past each other: (scheduling, loading) → backend → tasks → results → viz → ui, one way.

ui and viz hold no torch or transformers and never import the backend; tasks hold no Gradio or plotly; results
import nothing of the model side. A subprocess with torch and transformers blocked imports every torch-free module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.waiting import HANG

PACKAGE = REPO / "roberta_demo"
MODEL_SIDE = {"torch", "transformers", "tokenizers", "captum", "roberta_demo.backend"}
FORBIDDEN = {
    "ui": MODEL_SIDE,
    "viz": MODEL_SIDE | {"gradio", "roberta_demo.tasks", "roberta_demo.ui"},
    "tasks": {"gradio", "plotly", "roberta_demo.viz", "roberta_demo.ui"},
    "results.py": MODEL_SIDE | {"gradio", "plotly", "roberta_demo"},  # plain data: nothing of the package
    "backend.py": {"gradio", "plotly", "roberta_demo.tasks", "roberta_demo.viz", "roberta_demo.ui"},
    "catalog.py": MODEL_SIDE | {"gradio"},
    "config.py": MODEL_SIDE | {"gradio"},
    # How model work shares the device: machinery that knows no model library and nothing of the package.
    "scheduling.py": MODEL_SIDE | {"gradio", "plotly", "roberta_demo"},
    "loading.py": {
        "gradio",
        "plotly",
        "roberta_demo.backend",
        "roberta_demo.tasks",
        "roberta_demo.viz",
        "roberta_demo.ui",
    },
}
TORCH_FREE = [
    "roberta_demo.results",
    "roberta_demo.viz.charts",
    "roberta_demo.viz.entities",
    "roberta_demo.viz.attention",
    "roberta_demo.catalog",
    "roberta_demo.config",
    "roberta_demo.scheduling",
]


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, with each of its parent packages (`a.b.c` → a, a.b, a.b.c)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {".".join(name.split(".")[: i + 1]) for name in names for i in range(name.count(".") + 1)}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    target = PACKAGE / layer
    modules = sorted(target.glob("*.py")) if target.is_dir() else [target]
    assert modules
    for module in modules:
        reached = _imports(module) & FORBIDDEN[layer]
        assert not reached, f"{module.relative_to(REPO)} imports {sorted(reached)}"


def test_results_and_views_import_without_torch():
    blocked = "import sys\nfor name in ('torch', 'transformers', 'tokenizers'):\n    sys.modules[name] = None\n"
    probe = blocked + "".join(f"import {module}\n" for module in TORCH_FREE) + "print('ok')"
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=HANG)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
