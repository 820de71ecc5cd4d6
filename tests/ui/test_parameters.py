"""Every parameter of every data endpoint, sent wrong types and extreme values: each call gets a result or a message
that names the parameter, and none reaches the generic "something went wrong" (a bug, counted by `ui.common`).

The sweep goes over plain HTTP, the one protocol that can send anything JSON can write (NaN, a lone surrogate);
gradio_client and MCP call the same functions, and the names are checked through gradio_client too."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from gradio_client.exceptions import AppError

from roberta_demo.ui import common

GENERIC = "Something went wrong"
TABLE = {"headers": ["text", "label"], "data": [["good film", "pos"], ["bad film", "neg"]]}
# A call each endpoint answers, by parameter; the sweep replaces one value at a time.
VALID: dict[str, dict[str, Any]] = {
    "classify": {
        "text": "A match report.",
        "labels": "sports, politics",
        "mode": "zero-shot",
        "template": "This is {}.",
        "multi_label": False,
        "checkpoint": None,
    },
    "sentiment": {"text": "Lovely.", "mode": "sentiment", "checkpoint": None},
    "sentiment_batch": {"texts": ["one", "two"], "mode": "sentiment"},
    "ner": {"text": "Angela Merkel in Berlin.", "threshold": 0.0, "checkpoint": None},
    "fill_mask": {
        "text": "Paris is <mask>.",
        "top_k": 3,
        "candidates": None,
        "checkpoint": None,
        "temperature": 1.5,
        "samples": 2,
        "sample_top_k": 10,
        "top_p": 0.9,
        "seed": 1,
    },
    "attention": {
        "text": "Paris is nice.",
        "text_pair": None,
        "checkpoint": None,
        "layer": 0,
        "head": 0,
        "encoding": "auto",
    },
    "embed": {
        "texts": ["a river bank", "the bank rates"],
        "word": "bank",
        "pooling": "mean",
        "layer": 1,
        "checkpoint": None,
        "projection": "pca",
        "dimensions": 2,
        "encoding": "auto",
    },
    "neighbours": {
        "texts": ["a river bank", "the bank rates"],
        "word": "bank",
        "word_index": None,
        "layer": 1,
        "k": 5,
        "reference": "texts",
        "checkpoint": None,
    },
    "explain": {
        "text": "Lovely film.",
        "task": "sentiment",
        "target": None,
        "method": "grad_x_input",
        "steps": 8,
        "labels": None,
        "checkpoint": None,
    },
    "fine_tune": {
        "examples": TABLE,
        "held_out": None,
        "checkpoint": None,
        "steps": 1,
        "learning_rate": 1e-3,
        "batch_size": 2,
        "max_tokens": 16,
        "seed": 0,
        "top_layers_only": True,
    },
    "masking": {
        "text": "A river bank in the quiet morning light.",
        "epochs": 2,
        "dynamic": True,
        "seed": 3,
        "checkpoint": None,
    },
    "pretrain": {
        "text": "A river bank in the quiet morning light, and a heron in the shallow water by the bridge.",
        "checkpoint": None,
        "steps": 1,
        "learning_rate": 1e-3,
        "batch_size": 2,
        "max_tokens": 16,
        "seed": 0,
        "top_layers_only": True,
    },
}
# Wrong types and extreme values, for any parameter.
WRONG: dict[str, Any] = {
    "true": True,
    "minus-one": -1,
    "zero": 0,
    "2**64": 2**64,
    "-2**64": -(2**64),
    "fraction": 0.5,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "NaN-string": "NaN",
    "1e309-string": "1e309",
    "empty-string": "",
    "markup": "<img src=x onerror=alert(1)>",
    "lone-surrogate": "\ud800",
    "empty-list": [],
    "list-of-numbers": [1, 2],
    "nested-list": [[None, {"a": 1}]],
    "object": {"a": 1},
}
CASES = [(endpoint, name) for endpoint, values in VALID.items() for name in values]


def _sent(http: httpx.Client, app_url: str, endpoint: str, body: str) -> str:
    """POST the body to /gradio_api/call/ENDPOINT and read the event stream to its end."""
    headers = {"content-type": "application/json"}
    posted = http.post(f"{app_url}gradio_api/call/{endpoint}", content=body.encode(), headers=headers)
    assert posted.status_code == 200, posted.text
    return http.get(f"{app_url}gradio_api/call/{endpoint}/{posted.json()['event_id']}").text


def _message(
    http: httpx.Client, app_url: str, endpoint: str, values: dict[Any, Any], session: str | None = None
) -> str | None:
    """The refusal's message, or None for a result; sent in `session` (a `session_hash` of the caller's choosing,
    as a script sends it to keep its state), or in a new session of the server's making."""
    body = {"data": list(values.values())} | ({"session_hash": session} if session else {})
    stream = _sent(http, app_url, endpoint, json.dumps(body))
    last = stream.strip().rsplit("event: ", 1)[-1]
    if last.startswith("complete"):
        return None
    assert last.startswith("error"), stream[-300:]
    return str(json.loads(last.split("data: ", 1)[1])["error"])


def _answers(
    http: httpx.Client, app_url: str, endpoint: str, calls: dict[str, dict[Any, Any]]
) -> dict[str, str | None]:
    """Each call's message (None for a result), the calls sent together as many visitors would. Each kind of wrong
    value is sent in a session of its own, the same for the whole run: a new session costs Gradio a description of
    the whole page, the sweep's main cost when every call made one (new sessions are every other test's case)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = pool.map(
            lambda kind: _message(http, app_url, endpoint, calls[kind], session=f"sweep-{kind}"), list(calls)
        )
        return dict(zip(calls, answers, strict=True))


def test_every_endpoint_and_parameter_is_in_the_sweep(client):
    listed = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert sorted(listed) == sorted(f"/{endpoint}" for endpoint in VALID)
    for endpoint, values in VALID.items():
        assert [value["parameter_name"] for value in listed[f"/{endpoint}"]["parameters"]] == list(values), endpoint


@pytest.mark.parametrize(("endpoint", "parameter"), CASES, ids=[f"{e}.{p}" for e, p in CASES])
def test_a_wrong_value_is_named_never_a_bug(http, app_url, endpoint, parameter):
    before = sum(common.UNEXPECTED.values())
    sent = {kind: {**VALID[endpoint], parameter: value} for kind, value in WRONG.items()}
    for kind, message in _answers(http, app_url, endpoint, sent).items():
        if message is None:
            continue  # a value this parameter can take (0 for a layer, "" for an optional text)
        assert GENERIC not in message and "Traceback" not in message, (kind, message)
        assert message.strip(), kind
        assert "<img" not in message, (kind, message)  # a value sent is shown as data
    assert sum(common.UNEXPECTED.values()) == before


def test_the_message_names_the_parameter_the_value_and_what_is_accepted(http, app_url):
    message = _message(http, app_url, "fill_mask", {**VALID["fill_mask"], "top_k": math.nan})
    assert message == "top_k must be a whole number from 1 to 20; it was NaN."
    message = _message(http, app_url, "sentiment", {**VALID["sentiment"], "text": "fine \ud83d"})
    assert message is not None and message.startswith("text has a lone surrogate (U+D83D) at character 6")


def test_gradio_client_gets_the_same_names(client):
    with pytest.raises(AppError, match=r'learning_rate must be a number above 0 and at most 0.01; it was "5e-5"\.'):
        client.predict(*{**VALID["fine_tune"], "learning_rate": "5e-5"}.values(), api_name="/fine_tune")
    with pytest.raises(AppError, match=r'text_pair must be a string; it was \["a"\]\.'):
        client.predict(*{**VALID["attention"], "text_pair": ["a"]}.values(), api_name="/attention")


def test_a_message_is_in_the_language_of_the_request(http, app_url):
    body = json.dumps({"data": ["a <mask>", -1]}).encode()
    headers = {"content-type": "application/json", "accept-language": "zh-CN,zh;q=0.9"}
    posted = http.post(f"{app_url}gradio_api/call/fill_mask", content=body, headers=headers)
    stream = http.get(f"{app_url}gradio_api/call/fill_mask/{posted.json()['event_id']}", headers=headers).text
    assert json.loads(stream.split("data: ", 1)[1])["error"] == "top_k 必须是 1 到 20 之间的整数；收到的是 -1。"


def test_an_integral_float_is_a_whole_number(client):
    assert client.predict("Paris is <mask>.", 3.0, api_name="/fill_mask")["masks"][0]["predictions"][2]


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("fill_mask", '{"data": ["a <mask>", 1e309]}'),
        ("fill_mask", '{"data": ["a <mask>", NaN]}'),
        ("fill_mask", '{"data": ["a <mask>", null]}'),
        ("attention", '{"data": ["Paris", null, null, -Infinity]}'),
        ("sentiment", '{"data": ["\\ud800"]}'),
        ("fine_tune", '{"data": [{"data": [["a", "x"]]}, null, null, 18446744073709551616]}'),
    ],
)
def test_raw_json_values_over_plain_http(http, app_url, endpoint, body):
    """Values as a script writes them by hand (a number past a float's range, NaN, an escaped lone surrogate)."""
    stream = _sent(http, app_url, endpoint, body)
    assert GENERIC not in stream and "Traceback" not in stream
    assert "event: complete" in stream or "must be" in stream or "surrogate" in stream, stream[-300:]


# The tabs' own runs, which gradio_client and plain HTTP can call as the page does: a text each answers.
PAGE_TEXTS = {
    "classify_page": "A match report.",
    "sentiment_page": "Lovely.",
    "sentiment_batch_page": "one\ntwo",
    "ner_page": "Angela Merkel in Berlin.",
    "attention_page": "Paris is nice.",
    "fill_mask_page": "Paris is <mask>.",
    "masking_page": "A river bank in the quiet morning light.",
}


def _page_calls(http: httpx.Client, app_url: str) -> list[tuple[str, int, str, list[Any]]]:
    """(endpoint, index, parameter, the page's default values) for every value of every tab's run."""
    info = http.get(f"{app_url}gradio_api/info?all_endpoints=true").json()["named_endpoints"]
    calls = []
    for endpoint, text in PAGE_TEXTS.items():
        parameters = info[f"/{endpoint}"]["parameters"]
        defaults = [text, *(p.get("parameter_default") for p in parameters[1:])]
        calls += [(endpoint, index, p["parameter_name"], defaults) for index, p in enumerate(parameters)]
    return calls


def test_a_wrong_value_for_a_tab_is_named_never_a_bug(http, app_url):
    before = sum(common.UNEXPECTED.values())
    calls = _page_calls(http, app_url)
    assert len(calls) == 37  # fill-mask's temperature and sampling, the pre-training tab's masking among them
    for endpoint, index, parameter, defaults in calls:
        if parameter == "upload":
            continue  # a file: tests/ui/test_raw_http.py sends paths the server did not hand out
        sent = {kind: dict(enumerate(defaults)) | {index: value} for kind, value in WRONG.items()}
        for kind, message in _answers(http, app_url, endpoint, sent).items():
            if message is None:
                continue
            assert GENERIC not in message and "Traceback" not in message, (endpoint, parameter, kind, message)
            assert "<img" not in message, (endpoint, parameter, kind, message)
    assert sum(common.UNEXPECTED.values()) == before


def test_a_tab_names_its_values_as_the_endpoints_do(http, app_url):
    defaults = {p: d for e, _, p, d in _page_calls(http, app_url) if e == "fill_mask_page"}["top_k"]
    message = _message(http, app_url, "fill_mask_page", dict(enumerate([defaults[0], math.nan, *defaults[2:]])))
    assert message == "top_k must be a number from 1 to 20; it was NaN."
    message = _message(http, app_url, "fill_mask_page", dict(enumerate([*defaults[:3], "<b>x</b>"])))
    accepted = 'one of "tiny/tiny-roberta", "tiny/tiny-distilroberta"'
    assert message == f'checkpoint must be {accepted}; it was "\\u003cb\\u003ex\\u003c/b\\u003e".'
