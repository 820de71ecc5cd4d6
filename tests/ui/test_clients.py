"""Clients no one here wrote: the same call through gradio_client (Python), @gradio/client (JavaScript, under
Node) and plain HTTP (the documented two steps: POST /gradio_api/call/<name>, then GET its event stream) gets the
same answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client

from roberta_demo.config import Settings
from roberta_demo.perf.server import client_for
from roberta_demo.tasks.common import TaskContext
from tests.conftest import serve_app
from tests.waiting import HANG

JS = Path(__file__).resolve().parents[1] / "js"
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("ner", {"text": "Zoë said Obama flew to Paris."}),
    ("fill_mask", {"text": "It was a <mask> day.", "top_k": 3, "candidates": ["he"]}),
    ("sentiment", {"text": "The weather was great today.", "mode": "sentiment"}),
    ("classify", {"text": "The match ended late", "labels": ["business", "sports"]}),
    ("sentiment_batch", {"texts": ["a great film", "the soup was cold"]}),
    ("attention", {"text": "a great day", "layer": 1, "head": 0}),
    ("embed", {"texts": ["a river bank", "the bank rates"], "word": "bank"}),
    ("neighbours", {"texts": ["a river bank"], "word": "bank", "k": 3}),
    ("explain", {"text": "what a great day", "task": "sentiment"}),
]


@pytest.fixture(scope="module")
def app(planted: TaskContext) -> Iterator[str]:
    demo, url = serve_app(planted.backend, Settings())
    yield url
    demo.close()


@pytest.fixture(scope="module")
def node() -> str:
    """Node with @gradio/client installed from tests/js's lock file (`npm ci --prefix tests/js`, which `.ci/run`
    runs): the tests install nothing. Without them these tests skip, saying why; CI, which sets
    `ROBERTA_DEMO_TEST_JS=required`, fails instead."""
    executable = shutil.which("node")
    installed = (JS / "node_modules" / "@gradio" / "client").is_dir()
    if executable is not None and installed:
        return executable
    reason = "Node is not installed" if executable is None else "@gradio/client is not installed"
    reason += ": run `npm ci --prefix tests/js` for the JavaScript client's tests"
    if os.environ.get("ROBERTA_DEMO_TEST_JS") == "required":
        pytest.fail(reason)
    pytest.skip(reason)


def _without_timing(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ms"}


@pytest.fixture(scope="module")
def python(app: str) -> Iterator[Client]:
    client = client_for(app)
    yield client
    client.close()


def _in_order(python: Client, endpoint: str, arguments: dict[str, Any]) -> list[Any]:
    """The values of a call as plain HTTP sends them: in order, up to the last one given (the server fills in the
    rest), the ones between at their documented defaults."""
    listed = python.view_api(print_info=False, return_format="dict")["named_endpoints"][f"/{endpoint}"]["parameters"]
    defaults = {p["parameter_name"]: p["parameter_default"] for p in listed}
    names = list(defaults)
    last = max(names.index(name) for name in arguments)
    return [arguments.get(name, defaults[name]) for name in names[: last + 1]]


def _javascript(node: str, url: str, endpoint: str, arguments: dict[str, Any]) -> dict[str, Any]:
    ran = subprocess.run(
        [node, "call.mjs", url, f"/{endpoint}", json.dumps(arguments)],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    reply = json.loads(ran.stdout.strip().splitlines()[-1])
    assert ran.returncode == 0, reply
    (answer,) = reply["data"]
    return answer


def _plain_http(url: str, endpoint: str, values: list[Any]) -> dict[str, Any]:
    posted = httpx.post(f"{url}gradio_api/call/{endpoint}", json={"data": values}, timeout=HANG)
    event_id = posted.json()["event_id"]
    stream = httpx.get(f"{url}gradio_api/call/{endpoint}/{event_id}", timeout=HANG).text
    assert stream.startswith("event: complete"), stream[:300]
    (answer,) = json.loads(stream.split("data: ", 1)[1])
    return answer


@pytest.mark.parametrize(("endpoint", "arguments"), CALLS, ids=[endpoint for endpoint, _ in CALLS])
def test_javascript_and_plain_http_get_what_python_gets(app, python, node, endpoint, arguments):
    expected = _without_timing(python.predict(**arguments, api_name=f"/{endpoint}"))
    assert _without_timing(_javascript(node, app, endpoint, arguments)) == expected
    assert _without_timing(_plain_http(app, endpoint, _in_order(python, endpoint, arguments))) == expected


def test_javascript_gets_the_message_of_a_refusal(app, node):
    ran = subprocess.run(
        [node, "call.mjs", app, "/ner", json.dumps({"text": "  "})],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert ran.returncode == 1 and "Type or paste some text first" in json.loads(ran.stdout)["error"]
