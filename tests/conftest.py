"""Shared fixtures: tiny RoBERTa checkpoints built once per run, a backend and a task context on them, and the
launched app.

Nothing here reaches the network: the Hub is switched off before transformers is imported, and the Hugging
Face cache points at an empty folder, so a default-profile checkpoint is "not cached" as on a fresh laptop.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

_RUN_DIR = Path(tempfile.mkdtemp(prefix="roberta-demo-tests-"))  # one per process: each xdist worker has its own
atexit.register(shutil.rmtree, _RUN_DIR, ignore_errors=True)  # the run's folder goes with the run
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HOME"] = str(_RUN_DIR / "hf-home")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("ROBERTA_DEMO_TINY_DIR", str(Path(tempfile.gettempdir()) / "roberta-demo-tiny-cache"))
os.environ["ROBERTA_DEMO_VECTOR_CACHE"] = str(_RUN_DIR / "vectors")  # each run builds the reference index anew

import gradio as gr  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
from gradio_client import Client  # noqa: E402

from roberta_demo.backend import Backend, Engine  # noqa: E402
from roberta_demo.catalog import Catalog  # noqa: E402
from roberta_demo.cli import launch  # noqa: E402
from roberta_demo.config import Limits, Settings  # noqa: E402
from roberta_demo.perf.server import client_for, free_port  # noqa: E402
from roberta_demo.profiles import Profile, load_profile  # noqa: E402
from roberta_demo.tasks.common import TaskContext  # noqa: E402
from roberta_demo.ui.app import build_app  # noqa: E402
from tests.planted import planted_backend  # noqa: E402
from tests.waiting import HANG  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def serve_app(backend: Backend, settings: Settings) -> tuple[gr.Blocks, str]:
    """The real app on `backend`, wired as `create_app` wires it, served on a free local port.

    The port comes from the system, not from Gradio's scan up from 7860: the test workers launch apps at the same
    time, and two scans can both find a port free before either binds it; the loser's retry on the next port then
    fails for good where the MCP server is on (its session manager runs once per app)."""
    catalog = Catalog(backend.profile, backend.device, backend.concurrency)
    demo = build_app(catalog, TaskContext(backend, settings.limits))
    local = replace(settings, host="127.0.0.1", port=free_port())
    _, url, _ = launch(demo, local, prevent_thread_lock=True, quiet=True)
    return demo, url


@pytest.fixture(scope="session")
def tiny_profile() -> Profile:
    return load_profile("tiny", env={})


@pytest.fixture(scope="session")
def backend(tiny_profile: Profile) -> Backend:
    return Backend(tiny_profile, "cpu")


def require_ray() -> None:
    """Skip the calling test where Ray is not installed (it is optional: requirements-ray.txt), except when
    `ROBERTA_DEMO_TEST_RAY=required`, as in CI, where a missing Ray fails it."""
    if os.environ.get("ROBERTA_DEMO_TEST_RAY") == "required":
        import ray  # noqa: F401
    else:
        pytest.importorskip("ray", reason="Ray is optional: pip install -r requirements-ray.txt")


@pytest.fixture(scope="session")
def ray_engine(tiny_profile: Profile) -> Iterator[Engine]:
    """The Ray engine on the tiny profile, on a local Ray instance started for the run: one replica per checkpoint,
    each reserving a tenth of a CPU (Ray counts reservations, and this machine has two cores for eight replicas).
    Skipped without Ray (`require_ray`)."""
    require_ray()
    from roberta_demo.ray_engine import RayEngine, RayOptions

    engine = RayEngine(tiny_profile, RayOptions(min_replicas=1, max_replicas=1, cpus=0.1, held_models=3))
    yield engine
    engine.close()
    import ray
    from ray import serve

    serve.shutdown()
    ray.shutdown()


@pytest.fixture(scope="session")
def context(backend: Backend) -> TaskContext:
    """Tasks on the tiny checkpoints, with the server's default limits."""
    return TaskContext(backend, Limits())


@pytest.fixture(scope="session")
def planted(tiny_profile: Profile, tmp_path_factory: pytest.TempPathFactory) -> TaskContext:
    """Tasks on planted checkpoints whose right answers are known in advance (see tests/planted.py)."""
    return TaskContext(planted_backend(tiny_profile, tmp_path_factory.mktemp("planted")), Limits())


@pytest.fixture(scope="session")
def app_url(backend: Backend) -> Iterator[str]:
    """The real app on the tiny profile, served on a free local port for the whole run."""
    demo, url = serve_app(backend, Settings())
    yield url
    demo.close()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One HTTP client for the run's raw requests: its connections are kept open, and the CA bundle is loaded once
    (`httpx.get` builds a client, and loads it, for every request: a third of a small call's time here)."""
    with httpx.Client(timeout=HANG) as session:
        yield session


@pytest.fixture(scope="session")
def client(app_url: str) -> Iterator[Client]:
    api = client_for(app_url)
    yield api
    api.close()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject.toml): a worker per core, at most four. Each worker builds its own fixtures (a served app,
    a Chromium), so beyond four a laptop pays more in start-ups and memory than it wins."""
    return max(1, min(4, os.cpu_count() or 1))


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups to send each test to its worker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on the Ray engine runs in one worker (`--dist loadgroup`), so one Ray instance serves them all: its
    start is the costliest fixture here, and two instances with eight replicas each would starve two cores."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_ray = callspec is not None and callspec.params.get("context") == "ray"
        if on_ray or "ray_engine" in getattr(item, "fixturenames", ()) or item.path.name == "test_ray_engine.py":
            item.add_marker(pytest.mark.xdist_group("ray"))


@pytest.hookimpl(specname="pytest_collection_modifyitems", trylast=True)  # after xdist's, which writes the groups
def check_the_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a worker, each grouped test's id must end in its group, or xdist spreads the group over the workers (as
    with pytest 9.2, pytest-dev/pytest-xdist#1386): an error then, not a run that starts Ray twice."""
    if not (os.environ.get("PYTEST_XDIST_WORKER") and config.getvalue("loadgroup")):
        return
    lost = [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(f"xdist's --dist loadgroup did not group {lost[0]} (pytest-dev/pytest-xdist#1386)")


def pytest_configure(config: pytest.Config) -> None:
    # The same filter the NER task installs for the server log; pytest resets filters around each test.
    config.addinivalue_line("filterwarnings", "ignore:Tokenizer does not support real words")
    config.addinivalue_line("filterwarnings", "ignore::pandas.errors.Pandas4Warning")  # inside gradio's queue
