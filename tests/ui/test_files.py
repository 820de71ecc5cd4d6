"""Files the app hands out: one folder per session, gone when the page closes or once they are too old."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from roberta_demo.ui.files import SessionFiles


def _request(session: str | None) -> SimpleNamespace:
    return SimpleNamespace(session_hash=session)  # the one field of gr.Request the files read


def test_each_file_gets_its_own_folder_under_its_session_and_keeps_its_name(tmp_path):
    files = SessionFiles(3600, tmp_path)
    first, second = files.folder(_request("a")), files.folder(_request("a"))
    other = files.folder(_request("b"))
    assert first != second and first.parent == second.parent != other.parent
    assert first.parent.parent == tmp_path / "roberta-demo"
    (first / "sentiment.csv").write_text("x")  # the name a person downloads


def test_a_session_hash_cannot_name_a_folder_outside_the_root(tmp_path):
    files = SessionFiles(3600, tmp_path)
    folder = files.folder(_request("../../etc"))
    assert folder.resolve().is_relative_to((tmp_path / "roberta-demo").resolve())


def test_a_closed_page_takes_its_files_and_only_its_files(tmp_path):
    files = SessionFiles(3600, tmp_path)
    mine, theirs = files.folder(_request("mine")), files.folder(_request("theirs"))
    (mine / "a.csv").write_text("a")
    (theirs / "b.csv").write_text("b")
    files.forget(_request("mine"))
    assert not mine.exists() and (theirs / "b.csv").exists()


def test_old_sessions_are_swept_at_most_once_a_minute(tmp_path):
    files = SessionFiles(600, tmp_path)
    old = files.folder(_request("old"))
    (old / "a.html").write_text("a")
    hour_ago = time.time() - 3600
    os.utime(old.parent, (hour_ago, hour_ago))
    files.sweep(now=time.time())  # within a minute of the last sweep (its creation): nothing happens
    assert old.exists()
    files.sweep(now=time.time() + 61)
    assert not old.parent.exists()
    fresh = files.folder(_request("fresh"))
    files.sweep(now=time.time() + 200)
    assert fresh.exists()  # younger than the age
