"""Starting the app: the command line, environment settings, no model loaded at start, offline start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from roberta_demo.cli import create_app, parse_settings
from roberta_demo.config import Settings
from roberta_demo.download import weight_patterns
from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(args: list[str], env_extra: dict[str, str] | None = None, timeout: float = 60.0):
    """Run `python app.py ARGS` until it answers HTTP; returns the process, its URL and the seconds it took."""
    port = _free_port()
    env = {**os.environ, "ROBERTA_DEMO_HOST": "127.0.0.1", **(env_extra or {})}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "app.py", *args, "--port", str(port)], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            pytest.fail(f"app exited early:\n{process.stdout.read()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process, url, time.monotonic() - started
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    pytest.fail(f"app did not answer within {timeout} s:\n{process.stdout.read()}")


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_app_serves_the_tiny_profile_and_loads_models_on_demand():
    process, url, seconds = _serve(["--models", "tiny"])
    try:
        assert seconds < 60
        top, _, _ = Client(url, verbose=False).predict("served", api_name="/sentiment")
        assert top["label"] in {"negative", "neutral", "positive"}
    finally:
        log = _stop(process)
    assert "Profile tiny on cpu" in log
    assert log.count("roberta_demo.backend: Loading ") == 1, log  # only the checkpoint the request needed


def test_offline_start_names_missing_checkpoints_and_tabs_answer_clearly():
    process, url, _ = _serve(["--models", "default"])
    try:
        client = Client(url, verbose=False)
        with pytest.raises(AppError, match="twitter-roberta-base-sentiment-latest is not in the local cache"):
            client.predict("offline", api_name="/sentiment")
        with pytest.raises(AppError, match="roberta-large-ner-english.*python -m roberta_demo download"):
            client.predict("offline", api_name="/ner")
        page = httpx.get(url + "config", timeout=10).text
        assert "nli-distilroberta-base is not in the local cache" in page  # the tab's notice
    finally:
        log = _stop(process)
    assert "FacebookAI/roberta-base is not in the local cache" in log
    assert "--models tiny" in log


def test_start_up_loads_no_model_unless_preload(tiny_profile):
    _, backend = create_app(Settings(models="tiny", device="cpu"))
    assert not backend.load_counts
    _, preloaded = create_app(Settings(models="tiny", device="cpu", preload=True))
    assert set(preloaded.load_counts) == set(tiny_profile.checkpoints())


def test_command_line_overrides_environment(monkeypatch):
    monkeypatch.setenv("ROBERTA_DEMO_MODELS", "tiny")
    monkeypatch.setenv("ROBERTA_DEMO_PORT", "7000")
    assert parse_settings([]).models == "tiny" and parse_settings([]).port == 7000
    settings = parse_settings(["--models", "default", "--device", "cpu", "--preload", "--port", "8000",
                               "--max-attention-tokens", "64"])  # fmt: skip
    assert (settings.models, settings.device, settings.preload, settings.port) == ("default", "cpu", True, 8000)
    assert settings.limits.max_attention_tokens == 64


def test_bad_profile_exits_with_a_message_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "app.py", "--models", "nope"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "error: Unknown profile 'nope'" in result.stderr and "Traceback" not in result.stderr


def test_download_skips_local_checkpoints_and_reports_offline_failures():
    tiny = subprocess.run(
        [sys.executable, "-m", "roberta_demo", "download", "--models", "tiny"], cwd=REPO,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert tiny.returncode == 0, tiny.stderr
    default = subprocess.run(
        [sys.executable, "-m", "roberta_demo", "download", "--models", "default"], cwd=REPO,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert default.returncode == 1
    assert "[1/8] cardiffnlp/twitter-roberta-base-sentiment-latest" in default.stdout
    assert "could not be downloaded" in default.stderr


def test_download_fetches_safetensors_or_else_pytorch_weights_only():
    with_safetensors = weight_patterns(["config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5"])
    assert "*.safetensors" in with_safetensors and "pytorch_model*.bin" not in with_safetensors
    assert "pytorch_model*.bin" in weight_patterns(["config.json", "pytorch_model.bin", "flax_model.msgpack"])
    assert not any(pattern.endswith((".h5", ".msgpack", ".onnx")) for pattern in with_safetensors)
