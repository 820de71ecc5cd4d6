"""The MCP server (`--mcp`): an agent's view of the data endpoints, through the official `mcp` client over streamable
HTTP, as Claude Desktop, Cursor or any MCP host would connect."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from roberta_demo.config import Settings
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.api import ENDPOINTS
from tests.conftest import serve_app


@pytest.fixture(scope="module")
def mcp_url(planted: TaskContext) -> Iterator[str]:
    demo, url = serve_app(planted.backend, replace(Settings(), mcp=True))
    yield f"{url}gradio_api/mcp/"
    demo.close()


async def _session(url: str, work: Any) -> Any:
    async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        return await work(session)


def _run(url: str, work: Any) -> Any:
    """One MCP session doing `work`, on a thread of its own: the browser tests' Playwright keeps an event loop
    running on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, _session(url, work)).result()


def test_the_tools_are_the_data_endpoints_with_their_docstrings(mcp_url):
    tools = {tool.name: tool for tool in _run(mcp_url, lambda s: s.list_tools()).tools}
    assert set(tools) == set(ENDPOINTS)  # the page's events are not tools
    ner = tools["ner"]
    assert ner.description.startswith("The named entities of a text")
    assert "text[start:end] == word" in ner.description
    assert list(ner.inputSchema["properties"]) == ["text", "threshold", "checkpoint"]
    assert ner.inputSchema["required"] == ["text"]
    assert tools["fill_mask"].description.startswith("RoBERTa's pre-training task")


def _payload(result: Any) -> dict:
    """The tool's answer: Gradio's MCP server writes the endpoint's dict as text in Python's notation."""
    assert not result.isError, result.content
    return ast.literal_eval(result.content[0].text)


def test_an_agent_gets_ner_spans(mcp_url):
    text = "Zoë said Obama flew to Paris."
    answer = _payload(_run(mcp_url, lambda s: s.call_tool("ner", {"text": text})))
    assert [(e["word"], e["label"], e["start"], e["end"]) for e in answer["entities"]] == [
        ("Obama", "PER", 9, 14),
        ("Paris", "LOC", 23, 28),
    ]


def test_an_agent_gets_fill_mask_predictions(mcp_url):
    arguments = {"text": "It was a <mask> day.", "top_k": 2}
    answer = _payload(_run(mcp_url, lambda s: s.call_tool("fill_mask", arguments)))
    (mask,) = answer["masks"]
    assert [p["token"] for p in mask["predictions"]] == ["Ġgood", "Ġthe"]
    assert mask["predictions"][0]["sequence"] == "It was a good day."


def test_a_bad_call_is_an_error_result_with_the_message(mcp_url):
    result = _run(mcp_url, lambda s: s.call_tool("ner", {"text": "   "}))
    assert result.isError and "Type or paste some text first" in result.content[0].text


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        (
            "fill_mask",
            {"text": "a <mask>", "top_k": 50},
            "top_k must be a whole number from 1 to 20; it was 50.",
        ),
        ("ner", {"text": "Paris", "threshold": 2}, "threshold must be a number from 0 to 1; it was 2."),
        ("attention", {"text": "Paris", "layer": -1}, "layer must be a whole number from 0 up, or null; it was -1."),
        ("fine_tune", {"examples": {"data": []}, "seed": 2**40}, "seed must be a whole number from 0 to 4,294,967,295"),
        # The declared types and choices are the tools' schema, which the MCP server checks first.
        ("fill_mask", {"text": "a <mask>", "top_k": "many"}, "'many' is not of type 'integer'"),
        ("explain", {"text": "Nice", "task": "summary"}, "'summary' is not one of ['sentiment', 'emotion'"),
    ],
)
def test_an_agent_is_told_which_value_is_wrong(mcp_url, tool, arguments, message):
    result = _run(mcp_url, lambda s: s.call_tool(tool, arguments))
    assert result.isError and message in result.content[0].text, result.content
