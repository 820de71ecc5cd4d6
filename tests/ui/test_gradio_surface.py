"""What the app relies on in Gradio beyond its documented API, checked by name: a Gradio upgrade that moves one of
them fails here, with what it is used for and where, rather than in a classroom. requirements.txt pins the Gradio
range these were checked on; raise it only with this file passing."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import gradio as gr
import pytest
from gradio.state_holder import SessionState
from packaging.requirements import Requirement

from tests.conftest import REPO

# (module, name, what the app uses it for, where)
IMPORTED = [
    ("gradio.blocks", "Block", "typing the components a builder returns", "ui/app.py, ui/common.py, ui/attention.py"),
    ("gradio.components.api_component", "Api", "telling a data endpoint's values from a tab's", "ui/protocol.py"),
    ("gradio.exceptions", "InvalidPathError", "a path the server did not hand out, named", "ui/protocol.py"),
    ("gradio.route_utils", "FnIndexInferError", "an unknown endpoint answered 404", "ui/protocol.py"),
    ("gradio.helpers", "Examples", "examples kept off the API", "ui/common.py"),
    ("gradio.i18n", "I18nData", "translation markers for the page", "ui/i18n.py"),
    ("gradio.utils", "get_upload_folder", "where the app's own files go", "ui/files.py"),
]
# Blocks methods `ui/protocol.DemoBlocks` overrides, with the parameters it reads by position.
OVERRIDDEN = {
    "validate_inputs": ["self", "block_fn", "inputs"],
    "process_api": ["self", "block_fn", "inputs", "state", "request"],  # the request is read as args[3]
    "postprocess_data": ["self", "block_fn", "predictions", "state"],
    "preprocess_data": ["self", "block_fn", "inputs", "state"],
}
# The queue's attributes `ui/protocol` reads for `cli.drain`: to refuse new work and wait for the work under way.
QUEUE = ["max_size", "get_active_worker_count", "pending_event_ids_session", "__len__"]
# What each event's function carries, read by tests/ui/test_app.py and edited by `ui/protocol`.
BLOCK_FUNCTION = ["fn", "api_name", "api_visibility", "concurrency_id", "concurrency_limit"]


def _where(what: str, why: str, where: str) -> str:
    return (
        f"Gradio {gr.__version__} has no {what}: roberta_demo uses it for {why} ({where}). Check the new version's "
        "behaviour there before raising the Gradio pin in requirements.txt."
    )


@pytest.mark.parametrize(("module", "name", "why", "where"), IMPORTED, ids=[f"{m}.{n}" for m, n, _, _ in IMPORTED])
def test_every_non_public_import_is_still_there(module, name, why, where):
    assert hasattr(importlib.import_module(module), name), _where(f"{module}.{name}", why, where)


@pytest.mark.parametrize("method", sorted(OVERRIDDEN))
def test_the_overridden_blocks_methods_take_what_they_took(method):
    found = getattr(gr.Blocks, method, None)
    assert found is not None, _where(f"Blocks.{method}", "checking and shaping values", "ui/protocol.py")
    parameters = list(inspect.signature(found).parameters)[: len(OVERRIDDEN[method])]
    assert parameters == OVERRIDDEN[method], _where(
        f"Blocks.{method}{tuple(OVERRIDDEN[method])} (it takes {parameters})",
        "checking and shaping values",
        "ui/protocol.py",
    )


def _small_app() -> gr.Blocks:
    with gr.Blocks() as demo:
        text = gr.Textbox()
        gr.Button().click(lambda value: value, text, text, concurrency_id="work", concurrency_limit=1)
    return demo.queue(max_size=4)


def test_the_queue_and_the_event_functions_have_what_the_app_reads():
    demo = _small_app()
    queue: Any = getattr(demo, "_queue", None)
    assert queue is not None, _where("Blocks._queue", "draining on SIGTERM", "ui/protocol.py")
    for name in QUEUE:
        assert hasattr(queue, name), _where(f"Queue.{name}", "draining on SIGTERM", "ui/protocol.py")
    for block_fn in demo.fns.values():
        for name in BLOCK_FUNCTION:
            assert hasattr(block_fn, name), _where(f"BlockFunction.{name}", "private events", "ui/protocol.py")
    state = SessionState(demo)
    assert hasattr(state, "blocks_config") and hasattr(state.blocks_config, "blocks"), _where(
        "SessionState.blocks_config.blocks", "updated components that do not pile up", "ui/protocol.py"
    )
    assert all(hasattr(block, "_id") for block in demo.blocks.values()), _where(
        "Block._id", "sessions", "ui/protocol.py"
    )


def test_the_pinned_range_is_the_one_checked_here():
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pinned = Requirement(next(line for line in lines if line.startswith("gradio")).split("#")[0])
    assert gr.__version__ in pinned.specifier, f"Gradio {gr.__version__} is outside the pinned {pinned.specifier}"
    assert "6.32.0" not in pinned.specifier  # a new minor comes in by a change to the pin, with this file passing


def test_what_bends_python_or_gradio_is_done_in_protocol_alone():
    """A handler's signature set by hand, an entry of `sys.modules`, a subclass of `gr.Blocks`: each is listed, with
    why, in `ui/protocol`'s docstring, and made nowhere else in the package."""
    found = []
    for path in sorted((REPO / "roberta_demo").rglob("*.py")):
        if path.name == "protocol.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "__signature__ =" in line or "sys.modules[" in line or "(gr.Blocks)" in line:
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []
