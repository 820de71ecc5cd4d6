"""Files the app hands out (CSV tables, standalone HTML views, fine-tuned models), kept where they cannot fill a disk.

Each is written straight into Gradio's cache folder, which Gradio serves from without a second copy, under one folder
per session: the folder goes when the page closes, and Gradio's `delete_cache` (and a sweep here, for API clients,
which never close a page) removes whatever is older than the configured age.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import shutil
import threading
import time
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from roberta_demo.tasks.uploads import Upload

__all__ = ["FILES", "SessionFiles", "forget_session", "uploaded"]

log = logging.getLogger(__name__)


class SessionFiles:
    """Per-session folders of generated files under `root` (by default Gradio's cache), none older than `max_age_s`."""

    def __init__(self, max_age_s: float, root: Path | None = None):
        self.root = (root or Path(get_upload_folder())) / "roberta-demo"
        self.max_age_s = max_age_s
        self._swept = time.time()
        self._lock = threading.Lock()

    def folder(self, request: gr.Request | None) -> Path:
        """A new, empty folder for one file of `request`'s session (a file keeps its own name for the download)."""
        self.sweep()
        folder = self._session(request) / secrets.token_hex(8)
        folder.mkdir(parents=True)
        return folder

    def forget(self, request: gr.Request) -> None:
        """Remove every file `request`'s session was handed (its page closed)."""
        shutil.rmtree(self._session(request), ignore_errors=True)

    def sweep(self, now: float | None = None) -> None:
        """Remove session folders older than the maximum age, at most once a minute."""
        now = time.time() if now is None else now
        with self._lock:
            if now - self._swept < 60 and now >= self._swept:
                return
            self._swept = now
        for session in self.root.glob("*") if self.root.is_dir() else ():
            try:
                if now - session.stat().st_mtime > self.max_age_s:
                    shutil.rmtree(session, ignore_errors=True)
            except FileNotFoundError:
                continue

    def _session(self, request: gr.Request | None) -> Path:
        # The session hash comes from the client: hashed, it can name nothing outside the root.
        session = request.session_hash if request is not None else None
        name = hashlib.sha256(session.encode()).hexdigest()[:24] if session else "no-session"
        return self.root / name


# Gradio's cache folder is one per process, and so is this: `launch` sets its age from the settings.
FILES = SessionFiles(max_age_s=3600)


def forget_session(request: gr.Request) -> None:
    """What runs when a page closes: the files its session was handed go."""
    FILES.forget(request)


def uploaded(path: str | None) -> Upload | None:
    """A file the page uploaded, by the path Gradio hands the handler (one in its upload folder, which it checked
    came from this page and under the upload limit), read with the name it was uploaded as."""
    if not path:
        return None
    return Upload(Path(path).name, Path(path).read_bytes())
