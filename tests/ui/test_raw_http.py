"""Plain HTTP, as a script without gradio_client would call: every malformed request gets a message that names the
problem, nothing of the server leaks, and the server keeps serving."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import httpx
import pytest
from gradio.utils import get_upload_folder

from tests.waiting import HANG, wait_until

MODE = "Sentiment (negative / neutral / positive)"
TABLE = {"headers": ["text", "label"], "data": [["great", "pos"], ["awful", "neg"]] * 2}


def _call(http: httpx.Client, app_url: str, endpoint: str, body: bytes | dict) -> tuple[int, str]:
    """POST /gradio_api/call/ENDPOINT, then read its event stream to the end: (status, what the client got)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    posted = http.post(f"{app_url}gradio_api/call/{endpoint}", content=content, headers=headers)
    if posted.status_code != 200:
        return posted.status_code, posted.text
    event_id = posted.json()["event_id"]
    streamed = http.get(f"{app_url}gradio_api/call/{endpoint}/{event_id}")
    return streamed.status_code, streamed.text


def _error(reply: str) -> str:
    """The message of an `event: error` reply."""
    assert reply.startswith("event: error"), reply[:300]
    return json.loads(reply.split("data: ", 1)[1])["error"]


def _leaks(reply: str) -> bool:
    return any(mark in reply for mark in ("Traceback", "/work/", "site-packages", "/tmp/", " object at 0x"))


@pytest.mark.parametrize(
    ("endpoint", "data", "message"),
    [
        (
            "sentiment",
            [],
            "/sentiment takes 3 values, in this order: text, mode, checkpoint; the request sent 0, without text",
        ),
        (
            "fill_mask",
            [],
            "/fill_mask takes 9 values, in this order: text, top_k, candidates, checkpoint, temperature, samples, "
            "sample_top_k, top_p, seed",
        ),
        ("explain", [5, "sentiment", None, "grad_x_input", 8, None, None], "text must be a string; it was 5."),
        ("sentiment_page", ["ok", 5], 'mode must be one of "Sentiment (negative / neutral / positive)", '),
        ("sentiment", ["ok", 5], 'mode must be one of "sentiment", "emotion"; it was 5.'),
        ("ner", ["Paris", "high"], 'threshold must be a number from 0 to 1; it was "high".'),
        ("attention", ["Paris", None, None, 99], "The model has 4 layers, numbered 0 to 3; layer 99 is not one"),
        (
            "sentiment_batch",
            [[1, 2]],
            "texts must be a list of strings or one string with a text per line; it was [1, 2].",
        ),
        ("sentiment", ["x" * 10_000_000], "The text has 10,000,000 characters; this server accepts at most"),
        (
            "fine_tune",
            ["not a table", None, None, 3, 1e-3, 8, 64, 0, True],
            'examples must be a table {"headers": ["text", "label"]',
        ),
        (
            "sentiment_batch_page",
            ["", MODE, {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}],
            "Cannot move /etc/passwd to the gradio cache dir because it was not uploaded by a user",
        ),
    ],
    ids=[
        "no-text",
        "no-values",
        "number-for-text",
        "number-for-choice",
        "number-for-mode",
        "word-for-threshold",
        "layer-out-of-range",
        "numbers-for-texts",
        "10-MB-string",
        "string-for-table",
        "file-not-handed-out",
    ],
)
def test_a_malformed_call_gets_a_message_naming_the_problem(http, app_url, endpoint, data, message):
    status, reply = _call(http, app_url, endpoint, {"data": data})
    assert status == 200 and message in _error(reply) and not _leaks(reply)
    status, reply = _call(http, app_url, "sentiment", {"data": ["still serving"]})
    assert status == 200 and reply.startswith("event: complete")


@pytest.mark.parametrize("endpoint", ["sentiment", "sentiment_page", "ner", "fill_mask", "attention", "classify"])
def test_only_the_text_gets_the_result_with_the_other_values_defaulted(http, app_url, endpoint):
    status, reply = _call(http, app_url, endpoint, {"data": ["Paris is <mask>, Zoë said."]})
    assert status == 200 and reply.startswith("event: complete"), reply[:300]


def test_a_list_for_text_is_read_as_its_text(http, app_url):
    status, reply = _call(
        http, app_url, "sentiment_page", {"data": [["a", "b"], MODE]}
    )  # the Textbox makes it a string
    assert status == 200 and reply.startswith("event: complete")


def test_malformed_json_and_a_body_without_data_are_422_with_the_reason(http, app_url):
    status, reply = _call(http, app_url, "sentiment", b"{not json")
    assert status == 422 and "JSON decode error" in reply and not _leaks(reply)
    status, reply = _call(http, app_url, "sentiment", {"text": "no data field"})
    assert status == 422 and '"loc":["body","data"]' in reply and "Field required" in reply


def test_an_unknown_endpoint_is_a_404_that_says_where_to_look(http, app_url):
    status, reply = _call(http, app_url, "nope", {"data": ["a"]})
    assert status == 404
    assert json.loads(reply) == {
        "error": "There is no endpoint /nope. The API page (?view=api) lists the endpoints and their values."
    }


def test_a_server_file_that_was_not_handed_out_is_not_served(app_url):
    reply = httpx.get(f"{app_url}gradio_api/file=/etc/passwd", timeout=HANG)
    assert reply.status_code == 403 and "root:" not in reply.text


def test_a_client_that_goes_away_mid_run_stops_the_training(http, app_url, caplog):
    caplog.set_level(logging.INFO, logger="roberta_demo.tasks.finetune")
    body = {"data": [TABLE, None, None, 500, 1e-3, 8, 64, 0, True]}
    event_id = httpx.post(f"{app_url}gradio_api/call/fine_tune", json=body, timeout=HANG).json()["event_id"]
    with httpx.stream("GET", f"{app_url}gradio_api/call/fine_tune/{event_id}", timeout=HANG) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: generating"):
                break  # one step reported: hang up
    wait_until(lambda: "Fine-tuning abandoned" in caplog.text, "the run to be abandoned")
    abandoned = [r.getMessage() for r in caplog.records if "Fine-tuning abandoned" in r.getMessage()]
    assert abandoned and "of 500" in abandoned[0] and "after step 500" not in abandoned[0]
    status, reply = _call(http, app_url, "sentiment", {"data": ["still serving"]})
    assert status == 200 and reply.startswith("event: complete")


def _big_files() -> set[Path]:
    """Files of 4 MB and more where an upload could land: Gradio's upload folder, and the top of the temp folder."""
    upload = Path(get_upload_folder())
    candidates = [*(upload.rglob("*") if upload.is_dir() else []), *Path(tempfile.gettempdir()).glob("*")]
    return {path for path in candidates if path.is_file() and path.stat().st_size >= 4 << 20}


def test_an_upload_over_the_limit_is_refused_naming_it_and_leaves_nothing_on_disk(app_url):
    before = _big_files()
    reply = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("big.csv", b"x" * (6 << 20))}, timeout=HANG)
    assert reply.status_code == 413
    assert reply.text == "File size exceeded maximum allowed size of 5242880 bytes."  # 5 MB, ROBERTA_DEMO_MAX_FILE_MB
    assert _big_files() - before == set()  # not even the part received before the limit
    small = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("small.csv", b"text\nhello\n")}, timeout=HANG)
    assert small.status_code == 200  # under the limit, uploads work


def test_a_chinese_browser_gets_chinese_messages(app_url):
    headers = {"content-type": "application/json", "accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}
    posted = httpx.post(f"{app_url}gradio_api/call/ner", json={"data": ["  "]}, headers=headers, timeout=HANG)
    reply = httpx.get(f"{app_url}gradio_api/call/ner/{posted.json()['event_id']}", headers=headers, timeout=HANG).text
    assert _error(reply) == "请先输入或粘贴文本。"


def test_the_page_comes_compressed_and_answers_stream_as_they_are(http, app_url):
    """The page and its configuration gzipped for a browser that accepts it; an answer's event stream never
    (a compressed stream is held back until a block fills, and a client would see its progress late)."""
    page = http.get(app_url, headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and "<html" in page.text
    assert page.num_bytes_downloaded < len(page.content) / 3
    posted = http.post(f"{app_url}gradio_api/call/sentiment", json={"data": ["A lovely film."]})
    with http.stream(
        "GET", f"{app_url}gradio_api/call/sentiment/{posted.json()['event_id']}", headers={"Accept-Encoding": "gzip"}
    ) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in answer.headers
        assert "event: complete" in answer.read().decode()
