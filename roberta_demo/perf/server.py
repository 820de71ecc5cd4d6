"""Start the app (or any server command) as its own process on a free local port, and wait until it answers.

The benchmark, the load test, the screenshot script and the tests all start servers this one way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from gradio_client import Client

__all__ = ["REPO", "ServedApp", "client_for", "free_port", "serve", "start_app"]

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client_for(url: str) -> Client:
    """gradio_client on an app. Over plain HTTP there is no certificate to check, yet httpx builds an SSL context
    and loads the CA bundle again for each request gradio_client makes (it opens a new httpx client per call):
    two thirds of a call's CPU on the client's side, measured here. So verification is off where there is no TLS."""
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=not url.startswith("http://"))


@dataclass
class ServedApp:
    """A server process, its URL, how long it took to answer its first request, and its log."""

    process: subprocess.Popen[bytes]
    url: str
    seconds: float
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15) -> str:
        """Terminate the server (kill it if it lingers) and return everything it printed."""
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        output = self.output()
        self.log.unlink(missing_ok=True)
        return output


# Starting an app imports torch, transformers and gradio (about ten seconds of CPU, a minute or more on a loaded
# machine): a limit only for a process that hangs.
START_LIMIT_S = 600.0


def serve(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = START_LIMIT_S
) -> ServedApp:
    """Run `command` (its `{port}` filled with a free local port) until it answers HTTP (its readiness).

    Its output goes to a temporary file (a pipe nobody reads would block it once full), removed by `stop`.
    Raises RuntimeError with that output if the process exits or does not answer within `timeout` seconds.
    """
    port = free_port()
    log_fd, log_path = tempfile.mkstemp(prefix="roberta-demo-server-", suffix=".log")
    full_env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"), **(env or {})}
    started = time.monotonic()
    process = subprocess.Popen(
        [part.format(port=port) for part in command], cwd=cwd, env=full_env, stdout=log_fd, stderr=subprocess.STDOUT
    )
    os.close(log_fd)  # the server writes through its own copy
    app = ServedApp(process, f"http://127.0.0.1:{port}/", 0.0, Path(log_path))
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(command)} exited early:\n{app.output()}")
        try:
            if httpx.get(app.url, timeout=1).status_code == 200:
                app.seconds = time.monotonic() - started
                return app
        except httpx.HTTPError:
            time.sleep(0.25)
    raise RuntimeError(f"{' '.join(command)} did not answer within {timeout:.0f} s:\n{app.stop()}")


def start_app(
    models: str, extra: list[str] | None = None, env: dict[str, str] | None = None, timeout: float = START_LIMIT_S
) -> ServedApp:
    """`python app.py --models MODELS` on a free local port, once it answers HTTP."""
    command = [sys.executable, "app.py", "--models", models, "--host", "127.0.0.1", "--port", "{port}", *(extra or [])]
    return serve(command, cwd=REPO, env=env, timeout=timeout)
