"""Light clients of the app's plain HTTP API, for load generators that share the machine with the server."""

from __future__ import annotations

import time
from typing import Any

import httpx

__all__ = ["rest_predict", "rest_stream"]


def _events(
    http: httpx.Client, url: str, endpoint: str, inputs: list[Any], session: str | None
) -> tuple[list[str], list[float]]:
    """POST the call, then read its event stream: every line, and when each streamed update arrived."""
    body = {"data": inputs} | ({"session_hash": session} if session else {})
    event = http.post(f"{url}gradio_api/call{endpoint}", json=body).json()["event_id"]
    lines, updates = [], []
    with http.stream("GET", f"{url}gradio_api/call{endpoint}/{event}") as stream:
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith("event: generating"):
                updates.append(time.perf_counter())
    if not any(line.startswith("event: complete") for line in lines):
        raise RuntimeError(f"{endpoint} failed: {lines[-3:]}")
    return lines, updates


def rest_predict(http: httpx.Client, url: str, endpoint: str, inputs: list[Any], session: str | None = None) -> str:
    """One call through Gradio's plain HTTP API (POST, then read the event stream): a light client, so that the
    benchmark's own CPU use does not cap the server's throughput on a shared 2-core machine. With `session`, in that
    session (as gradio_client and @gradio/client call, one session per client); without, in a new one (as curl).
    Returns the answer's data line."""
    lines, _ = _events(http, url, endpoint, inputs, session)
    return next(line for line in reversed(lines) if line.startswith("data:"))  # the stream ends with a blank line


def rest_stream(
    http: httpx.Client, url: str, endpoint: str, inputs: list[Any], session: str | None = None
) -> list[float]:
    """One call of a streaming endpoint (fine-tuning): the `time.perf_counter()` at which each update arrived."""
    return _events(http, url, endpoint, inputs, session)[1]
