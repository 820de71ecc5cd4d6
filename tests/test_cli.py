"""Starting the app: the command line, environment settings, no model loaded at start, offline start."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import replace

import httpx
import pytest
from gradio_client.exceptions import AppError
from gradio_client.utils import QueueError, Status

from roberta_demo.backend import Backend
from roberta_demo.cli import create_app, launch, make_engine, settings_from_argv
from roberta_demo.config import ConfigError, Settings
from roberta_demo.hub import weight_patterns
from roberta_demo.perf.server import client_for, free_port, start_app
from roberta_demo.ui.files import FILES
from tests.conftest import REPO
from tests.waiting import HANG, wait_until


def test_offline_start_names_missing_checkpoints_and_tabs_answer_clearly(caplog):
    """The default profile on a machine that has none of its checkpoints and no Hub: it starts, says what is
    missing and how to get it, and each tab answers with that message. In process: `python app.py` itself is
    started by the SIGTERM test below."""
    settings = replace(
        settings_from_argv(["--models", "default", "--host", "127.0.0.1", "--port", str(free_port())]), device="cpu"
    )
    with caplog.at_level("WARNING", logger="roberta_demo"):
        demo, _ = create_app(settings)
    _, url, _ = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        client = client_for(url)
        with pytest.raises(AppError, match="twitter-roberta-base-sentiment-latest is not in the local cache"):
            client.predict("offline", api_name="/sentiment_page")
        with pytest.raises(AppError, match=r"roberta-large-ner-english.*python -m roberta_demo download"):
            client.predict("offline", api_name="/ner_page")
        page = httpx.get(url + "config", timeout=HANG).text
        assert "nli-distilroberta-base is not in the local cache" in page  # the tab's notice
    finally:
        demo.close()
    assert "FacebookAI/roberta-base is not in the local cache" in caplog.text
    assert "--models tiny" in caplog.text


def test_start_up_loads_no_model_unless_preload(tiny_profile):
    _, backend = create_app(Settings(models="tiny", device="cpu"))
    assert not backend.load_counts
    _, preloaded = create_app(Settings(models="tiny", device="cpu", preload=True))
    assert set(preloaded.load_counts) == set(tiny_profile.checkpoints())


def test_the_warm_up_loads_every_model_in_the_background_most_used_first(tiny_profile):
    _, backend = create_app(Settings(models="tiny", device="cpu", warm_up=True))
    assert isinstance(backend, Backend)
    for warming in [thread for thread in threading.enumerate() if thread.name == "warm-up"]:
        warming.join(120)
    assert backend.loaded_checkpoints == tiny_profile.by_use("cpu")
    assert backend.scheduler.slots == 1 and backend.scheduler.long_share == 0.25


@pytest.mark.parametrize("share", ["0", "1", "1.5", "nan"])
def test_a_share_of_the_device_outside_0_to_1_is_refused_by_name(share):
    with pytest.raises(ConfigError, match=r"ROBERTA_DEMO_LONG_SHARE \(--long-share\).*between 0 and 1"):
        make_engine(settings_from_argv(["--models", "tiny", "--long-share", share]))


def test_command_line_overrides_environment(monkeypatch):
    monkeypatch.setenv("ROBERTA_DEMO_MODELS", "tiny")
    monkeypatch.setenv("ROBERTA_DEMO_PORT", "7000")
    assert settings_from_argv([]).models == "tiny" and settings_from_argv([]).port == 7000
    argv = ["--models", "default", "--device", "cpu", "--preload", "--port", "8000", "--max-attention-tokens", "64"]
    settings = settings_from_argv(argv)
    assert (settings.models, settings.device, settings.preload, settings.port) == ("default", "cpu", True, 8000)
    assert settings.limits.max_attention_tokens == 64
    assert settings_from_argv(["--no-batching", "--quantize", "int8"]).batching is False
    assert settings_from_argv(["--quantize", "int8"]).quantize == "int8"


@pytest.mark.parametrize(
    ("arguments", "code", "said"),
    [
        (["--help"], 0, "usage: python app.py"),
        (["--models", "nope"], 1, "error: Unknown profile 'nope'"),
        (["--bogus"], 2, "unrecognized arguments: --bogus"),
        (["--long-share", "2"], 1, "ROBERTA_DEMO_LONG_SHARE (--long-share) is 2.0"),
    ],
)
def test_help_and_wrong_settings_answer_before_the_heavy_imports(arguments, code, said):
    """Told at once (a second or so, not the ten of CPU that importing torch, transformers and gradio takes): the
    settings are read and checked first. `-X importtime` lists every module the process imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "app.py", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert result.returncode == code and said in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")
    }
    assert not imported & {"torch", "transformers", "gradio", "numpy"}, imported & {"torch", "transformers", "gradio"}


def test_download_skips_local_checkpoints_and_reports_offline_failures():
    command = [sys.executable, "-m", "roberta_demo", "download", "--models"]
    tiny = subprocess.run([*command, "tiny"], cwd=REPO, capture_output=True, text=True, timeout=HANG)
    assert tiny.returncode == 0, tiny.stderr
    default = subprocess.run([*command, "default"], cwd=REPO, capture_output=True, text=True, timeout=HANG)
    assert default.returncode == 1
    assert "[1/8] cardiffnlp/twitter-roberta-base-sentiment-latest" in default.stdout
    assert "could not be downloaded" in default.stderr


def test_download_fetches_safetensors_or_else_pytorch_weights_only():
    with_safetensors = weight_patterns(["config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5"])
    assert "*.safetensors" in with_safetensors and "pytorch_model*.bin" not in with_safetensors
    assert "pytorch_model*.bin" in weight_patterns(["config.json", "pytorch_model.bin", "flax_model.msgpack"])
    assert not any(pattern.endswith((".h5", ".msgpack", ".onnx")) for pattern in with_safetensors)


def test_the_app_serves_loads_on_demand_and_on_sigterm_finishes_the_run_under_way_then_exits():
    """`python app.py --models tiny` in its own process: a request loads only the checkpoint it needs; SIGTERM
    (what a Space or a container sends) lets the training under way finish, refuses new requests, and exits 0."""
    app = start_app("tiny", timeout=HANG)
    try:
        client = client_for(app.url)
        top, _, _ = client.predict("served", api_name="/sentiment_page")
        assert top["label"] in {"negative", "neutral", "positive"}
        assert app.output().count("roberta_demo.backend: Loading ") == 1  # only the checkpoint the request needed
        examples = {"headers": ["text", "label"], "data": [["great", "pos"], ["awful", "neg"]] * 4}
        job = client.submit(examples, None, None, 150, api_name="/fine_tune")  # a few seconds of training
        wait_until(lambda: job.status().code in (Status.PROCESSING, Status.ITERATING), "the training to start")
        app.process.send_signal(signal.SIGTERM)
        wait_until(lambda: "Stopping: no new requests" in app.output(), "the server to start draining")
        with pytest.raises(QueueError, match=r"Queue is full! Please try again\."):  # draining: nothing new is taken
            client.predict("too late", api_name="/sentiment_page")
        assert len(job.result(timeout=HANG)["losses"]) == 150  # the run under way finished
        assert app.process.wait(timeout=HANG) == 0
    finally:
        log = app.stop()
    assert "Profile tiny on cpu" in log
    assert "Stopping: no new requests" in log and "All requests finished" in log
    assert "Traceback" not in log


def test_sessions_uploads_and_files_are_bounded_as_configured(monkeypatch):
    monkeypatch.setattr(FILES, "max_age_s", FILES.max_age_s)  # restored after the test
    settings = settings_from_argv(
        ["--models", "tiny", "--host", "127.0.0.1", "--port", str(free_port()), "--max-file-mb", "1"]
    )
    settings = replace(settings, sessions=7, file_minutes=2)
    demo, _ = create_app(settings)
    launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        assert demo.state_session_capacity == 7  # Gradio keeps at most this many sessions' page state
        assert demo.max_file_size == 1024 * 1024
        assert demo.delete_cache == (60, 120) and FILES.max_age_s == 120  # checked every minute, gone after two
        assert demo.run_history is False and "runs" not in demo.footer_links  # off unless --run-history
    finally:
        demo.close()
