"""Hugging Face Spaces: front matter, start-up with no arguments, ZeroGPU, lazily cached examples."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import gradio as gr
import pytest
import yaml

from roberta_demo.catalog import Catalog
from roberta_demo.cli import create_app
from roberta_demo.config import settings_from_env
from roberta_demo.profiles import load_profile
from roberta_demo.ui import common
from roberta_demo.ui.api import ENDPOINTS
from roberta_demo.ui.app import build_app
from tests.conftest import REPO
from tests.waiting import HANG


def _front_matter() -> dict:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_readme_front_matter_is_a_gradio_space():
    meta = _front_matter()
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["python_version"] == "3.12"  # the default 3.10 cannot install current transformers
    assert meta["sdk_version"].split(".")[0] == gr.__version__.split(".")[0]
    assert set(meta["models"]) == set(load_profile("default", env={}).checkpoints())


def test_app_module_builds_demo_from_the_environment_alone():
    env = {**os.environ, "ROBERTA_DEMO_MODELS": "tiny", "ROBERTA_DEMO_DEVICE": "cpu"}
    probe = (
        "import app, gradio; print(isinstance(app.demo, gradio.Blocks), app.backend.profile.name, "
        "len(app.backend.load_counts))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=HANG
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "tiny", "0"]  # built, configured by env, nothing loaded


@pytest.fixture
def fake_zero_gpu(monkeypatch):
    """A stand-in for the `spaces` package, which exists only on Spaces: it records what it decorates, and for how
    long each handler asks for a GPU."""
    decorated: dict[str, object] = {}

    def gpu(function, *, duration=60):
        decorated[getattr(function, "__name__", "")] = duration
        return function

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    return decorated


def test_model_handlers_go_through_spaces_gpu_when_present(fake_zero_gpu, backend, context):
    build_app(Catalog(backend.profile, backend.device), context)
    page = {
        "classify",
        "score_one",
        "score_many",
        "tag",
        "attend",
        "predict",
        "explain_one",
        "train_view",
        "show_vectors",
    }
    data = set(ENDPOINTS)  # every data endpoint, fine-tuning's included
    assert page | data <= set(fake_zero_gpu)


def test_each_gpu_handler_declares_a_duration_fitting_its_work(fake_zero_gpu, backend, context):
    build_app(Catalog(backend.profile, backend.device), context)
    assert fake_zero_gpu["sentiment"] == fake_zero_gpu["ner"] == fake_zero_gpu["attend"] == 20  # one forward pass
    assert fake_zero_gpu["explain"] == fake_zero_gpu["explain_one"] == 60  # up to 64 forward and backward passes
    # Fine-tuning: a minute, and half a second per step, read from the call's own arguments.
    assert fake_zero_gpu["fine_tune"]({"data": []}, None, None, 400) == 260
    assert fake_zero_gpu["train_view"](context, {"data": []}, None, 400, "", 1e-3, 8, 64, 0, True) == 260


def test_on_zero_gpu_every_model_loads_at_start_up(fake_zero_gpu, monkeypatch):
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    _, backend = create_app(settings_from_env({"ROBERTA_DEMO_MODELS": "tiny", "ROBERTA_DEMO_DEVICE": "cpu"}))
    assert set(backend.load_counts) == set(backend.profile.checkpoints())  # before any request
    assert set(backend.load_counts.values()) == {1}


def test_without_spaces_handlers_are_unchanged(monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # `import spaces` fails as where it is not installed

    def handler() -> str:
        return "ran"

    assert common.on_gpu(handler) is handler


@pytest.mark.parametrize(("space", "cached"), [("user/roberta-demo", True), ("", False)])
def test_examples_are_cached_lazily_on_spaces(monkeypatch, space, cached):
    monkeypatch.setenv("SPACE_ID", space)
    with gr.Blocks():
        text, out = gr.Textbox(), gr.Textbox()
        examples = common.examples([["hello"]], [text], lambda t: t, [out])
    assert examples.cache_examples == ("lazy" if cached else False)  # gradio's mark for lazy caching
