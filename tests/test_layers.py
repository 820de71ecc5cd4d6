"""The layers never reach past each other: (scheduling, loading) → backend → tasks → results → viz → ui, one way.

ui and viz hold no torch or transformers and never import the backend; tasks hold no Gradio or plotly; results
import nothing of the model side. The message catalogue (`messages.py`) is below every layer: each may say things, and
it imports nothing of the package. A subprocess with torch and transformers blocked imports every torch-free module.
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
    "messages.py": MODEL_SIDE | {"gradio", "plotly", "roberta_demo"},
    "backend.py": {"gradio", "plotly", "roberta_demo.tasks", "roberta_demo.viz", "roberta_demo.ui"},
    "catalog.py": MODEL_SIDE | {"gradio"},
    "config.py": MODEL_SIDE | {"gradio"},
    "profiles.py": MODEL_SIDE | {"gradio", "roberta_demo.config"},  # the registry knows nothing of the settings
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
BELOW_EVERY_LAYER = "roberta_demo.messages"
TORCH_FREE = [
    "roberta_demo.messages",
    "roberta_demo.results",
    "roberta_demo.viz.charts",
    "roberta_demo.viz.entities",
    "roberta_demo.viz.attention",
    "roberta_demo.catalog",
    "roberta_demo.config",
    "roberta_demo.profiles",
    "roberta_demo.scheduling",
]


def _imports(path: Path) -> set[str]:
    """Every module `path` imports anywhere in its body (in a function too), with each of its parent packages
    (`a.b.c` → a, a.b, a.b.c); `from a import b` also counts as `a.b`, which is a module when b is one."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == BELOW_EVERY_LAYER:
            continue
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
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


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


TENSOR_MAKERS = {"tensor", "as_tensor", "zeros", "ones", "arange", "full", "empty"}


def test_no_task_places_its_inputs_or_times_its_answer():
    """Tasks hand encoded inputs to `LoadedModel.run`, which puts them on the device, runs the work and times it;
    training alone (fine-tuning, continued pre-training) reads the clock, for its time limit and its progress."""
    found = []
    for path in sorted((PACKAGE / "tasks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            placed = name in TENSOR_MAKERS and any(keyword.arg == "device" for keyword in node.keywords)
            moved = name == "to" and (bool(node.args) or any(k.arg == "device" for k in node.keywords))  # `.to(device)`
            timed = name == "perf_counter" and path.name not in ("finetune.py", "pretrain.py")
            func = node.func
            synced = isinstance(func, ast.Attribute) and ast.unparse(func.value).endswith("cuda")  # torch.cuda.…
            if placed or moved or timed or synced:
                found.append(f"{path.name}:{node.lineno} {name}")
    assert found == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports anywhere in its body (in a function too: a lazy import is an edge)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: {module for module in _imports(path) if module in modules and module != name}
        for name, path in modules.items()
    }


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    path, on_path, done = [start], {start}, set()

    def visit(module: str) -> list[str] | None:
        for imported in sorted(graph[module]):
            if imported in on_path:
                return [*path[path.index(imported) :], imported]
            if imported not in done:
                path.append(imported), on_path.add(imported)
                if found := visit(imported):
                    return found
                path.pop(), on_path.discard(imported)
        done.add(module)
        return None

    return visit(start)


def test_no_module_imports_itself_round_a_cycle_lazily_or_not():
    """A cycle held apart only by an import inside a function breaks as soon as someone moves that import up."""
    graph = _package_graph()
    cycles = [" → ".join(cycle) for module in graph if (cycle := _cycle_from(module, graph))]
    assert cycles == []
