"""Faults and abuse: a broken checkpoint, a full queue, paths and code from clients."""

from __future__ import annotations

import re
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from gradio_client.exceptions import AppError

from roberta_demo.backend import Backend
from roberta_demo.config import Limits, Settings
from roberta_demo.perf.server import client_for
from roberta_demo.profiles import TaskModels
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import attention as attention_tab
from roberta_demo.ui import classification as classification_tab
from roberta_demo.ui import fill_mask as fill_mask_tab
from roberta_demo.ui import ner as ner_tab
from roberta_demo.ui import sentiment as sentiment_tab
from tests.conftest import serve_app as _serve
from tests.waiting import HANG, wait_until

PACKAGE = Path(__file__).resolve().parents[2] / "roberta_demo"


def test_a_broken_checkpoint_breaks_only_its_tabs_and_is_retried(tiny_profile, tmp_path: Path):
    missing = tmp_path / "sentiment-model"
    tasks = dict(tiny_profile.tasks)
    tasks["sentiment"] = TaskModels("sentiment", (str(missing),))
    demo, url = _serve(Backend(replace(tiny_profile, tasks=tasks), "cpu"), Settings())
    try:
        client = client_for(url)
        with pytest.raises(AppError, match="sentiment-model does not exist"):
            client.predict("hello", api_name="/sentiment_page")
        assert client.predict("Angela in Berlin", api_name="/ner_page")[0]  # other tabs keep answering
        assert client.predict("hello", "Emotion (7 classes)", api_name="/sentiment_page")[0]["label"]
        shutil.copytree(
            tiny_profile.location(tiny_profile.models("sentiment").checkpoints[0]), missing
        )  # the model arrives
        top, _, _ = client.predict("hello", api_name="/sentiment_page")  # …and the next request loads it
        assert top["label"] in {"negative", "neutral", "positive"}
    finally:
        demo.close()


def test_a_full_queue_answers_busy_try_again(tiny_profile):
    # Without batching the model work runs one request at a time, so of ten sent at once one runs, two wait and the
    # rest find the queue full whatever the machine's speed. (With batching, sixteen run at once: whether ten ever
    # wait depended on how fast the queue moved them in, and the test failed on a busy machine.)
    demo, url = _serve(Backend(tiny_profile, "cpu", batching=False), Settings(queue_size=2))
    texts = "\n".join(f"a fairly long text number {i} to keep the model busy for a while" for i in range(500))
    client = client_for(url)

    def call(_: int) -> str:
        try:
            client.predict(texts, api_name="/sentiment_batch_page")
            return "answered"
        except Exception as exc:  # the kind of failure is what the test checks
            return f"{type(exc).__name__}: {exc}"

    try:
        with ThreadPoolExecutor(10) as pool:
            outcomes = list(pool.map(call, range(10)))
        busy = [o for o in outcomes if o != "answered"]
        assert busy and all("Queue is full" in o and "try again" in o for o in busy), outcomes
        assert "answered" in outcomes
        assert client.predict("after the rush", api_name="/sentiment_page")[0]["label"]
    finally:
        demo.close()


def test_a_server_file_path_sent_as_an_upload_is_not_read(app_url):
    config = httpx.get(app_url + "config", timeout=HANG).json()
    fn_index = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "sentiment_batch")
    session = uuid.uuid4().hex
    upload = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}
    mode = "Sentiment (negative / neutral / positive)"
    body = {"data": ["", mode, upload], "fn_index": fn_index, "session_hash": session}
    assert httpx.post(app_url + "gradio_api/queue/join", json=body, timeout=HANG).status_code == 200
    events = []
    with httpx.stream("GET", app_url + f"gradio_api/queue/data?session_hash={session}", timeout=HANG) as stream:
        for line in stream.iter_lines():
            events.append(line)
            if "process_completed" in line:
                break
    reply = "\n".join(events)
    assert '"success":false' in reply and "root:" not in reply


def test_no_code_from_a_checkpoint_is_ever_run():
    sources = "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py"))
    assert "trust_remote_code=True" not in sources
    assert sources.count("trust_remote_code=False") >= 2  # tokenizer and model loads say so explicitly


@pytest.mark.parametrize("endpoint", ["classify", "sentiment", "ner", "fill_mask", "attention", "explain"])
def test_unlisted_checkpoints_are_refused_on_every_data_endpoint(client, endpoint):
    for checkpoint in ("FacebookAI/roberta-base", "../../etc"):
        with pytest.raises(
            AppError, match=f'Checkpoint "{re.escape(checkpoint)}" is not configured for .*choose one of'
        ):
            client.predict("hi <mask>", checkpoint=checkpoint, api_name=f"/{endpoint}")


def test_unlisted_checkpoints_are_refused_on_the_page(client):
    with pytest.raises(
        AppError, match=r'checkpoint must be one of "tiny/tiny-ner"; it was "FacebookAI/roberta-base"\.'
    ):
        client.predict("hi", 0.5, "FacebookAI/roberta-base", api_name="/ner_page")
    with pytest.raises(AppError, match=r'checkpoint must be one of .*; it was "\.\./\.\./etc"\.'):
        client.predict("hi", "", "../../etc", api_name="/attention_page")


class RecordedProgress:
    """Records what a handler reports through the `gr.Progress` that Gradio passes it."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, fraction: float, desc: str | None = None, **_: object) -> None:
        self.messages.append(desc or "")


@pytest.mark.parametrize(
    ("handler", "args", "checkpoint"),
    [
        (sentiment_tab.score_one, ("hello",), "tiny/tiny-sentiment"),
        (classification_tab.classify, ("hello",), "tiny/tiny-nli"),
        (ner_tab.tag, ("Paris",), "tiny/tiny-ner"),
        (attention_tab.attend, ("hello",), "tiny/tiny-roberta"),
        (fill_mask_tab.predict, ("hello <mask>",), "tiny/tiny-roberta"),
    ],
)
def test_first_use_of_a_checkpoint_reports_loading_progress(tiny_profile, handler, args, checkpoint):
    fresh = TaskContext(Backend(tiny_profile, "cpu"), Limits())
    first, again = RecordedProgress(), RecordedProgress()
    handler(fresh, *args, progress=first)
    handler(fresh, *args, progress=again)
    assert len(first.messages) == 1 and first.messages[0].startswith(f"Loading {checkpoint}")
    assert "first use" in first.messages[0]
    assert again.messages == []  # loaded now: nothing to announce


def test_a_second_training_waits_for_the_first(client):
    """One fine-tuning run at a time per server: a second request queues until the first is done."""
    from gradio_client.utils import Status

    examples = {"headers": ["text", "label"], "data": [["good", "p"], ["fine", "p"], ["bad", "n"], ["poor", "n"]]}
    first = client.submit(examples, steps=300, api_name="/fine_tune")
    wait_until(lambda: first.status().code in (Status.PROCESSING, Status.ITERATING), "the first training to start")
    second = client.submit(examples, steps=2, api_name="/fine_tune")
    wait_until(lambda: second.status().code == Status.IN_QUEUE or second.done(), "the second to be queued")
    assert not second.done() and not first.done()  # queued behind the first, which still trains
    first.result(timeout=HANG)
    assert len(second.result(timeout=HANG)["losses"]) == 2
