"""The task tests run on both engines: every test that takes `context` runs once in process and once on Ray Serve,
with the same tiny checkpoints and the same expectations."""

from __future__ import annotations

import pytest

from roberta_demo.config import Limits
from roberta_demo.tasks.common import TaskContext


@pytest.fixture(scope="session", params=["local", "ray"])
def context(request: pytest.FixtureRequest) -> TaskContext:
    """Tasks on the tiny checkpoints with the server's default limits, on the engine the test is parametrised by."""
    engine = request.getfixturevalue("backend" if request.param == "local" else "ray_engine")
    return TaskContext(engine, Limits())
