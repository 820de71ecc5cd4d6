"""What leaves the server: checkpoints by name, never by the path they lie at; only the endpoints meant to be
called; tables a spreadsheet opens without running a formula."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest

from roberta_demo.results import safe_csv
from roberta_demo.ui.app import CALLABLE
from tests.conftest import REPO
from tests.ui.test_parameters import VALID, _message

MODE = "Sentiment (negative / neutral / positive)"
# The formulas OWASP lists for CSV injection, and the cells that only look like numbers or sums.
FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    '=HYPERLINK("http://example.com","click")',
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]


def _places() -> list[str]:
    """Where the tiny checkpoints lie, and the folders above: none may appear in a reply."""
    root = Path(os.environ["ROBERTA_DEMO_TINY_DIR"])
    return [str(root), str(root.resolve())]


def assert_no_server_path(reply: str) -> None:
    for place in _places():
        assert place not in reply, reply[max(0, reply.find(place) - 200) : reply.find(place) + 200]


def test_checkpoints_are_named_not_placed(tiny_profile):
    assert tiny_profile.models("sentiment").checkpoints == ("tiny/tiny-sentiment",)
    assert Path(tiny_profile.location("tiny/tiny-sentiment"), "config.json").is_file()


def test_the_page_config_and_the_api_description_carry_no_server_path(http, app_url):
    # Nor where the app and its packages are installed (an icon of Gradio's once came by its path in site-packages).
    installed = [str(REPO), str(REPO.resolve()), sys.prefix, os.path.realpath(sys.prefix)]
    for address in ("", "config", "gradio_api/info?all_endpoints=true", "gradio_api/openapi.json"):
        reply = http.get(app_url + address)
        assert reply.status_code == 200
        assert_no_server_path(reply.text)
        assert not [place for place in installed if place in reply.text], address
    assert "tiny/tiny-sentiment" in http.get(app_url + "config").text  # the choices, by name


@pytest.mark.parametrize("endpoint", sorted(VALID))
def test_no_answer_carries_a_server_path(client, endpoint):
    result = client.predict(*VALID[endpoint].values(), api_name=f"/{endpoint}")
    assert_no_server_path(json.dumps(result))
    if "checkpoint" in result:
        assert result["checkpoint"].startswith("tiny/")


def test_a_checkpoint_is_accepted_by_its_name_and_refusals_list_names(http, app_url, client):
    result = client.predict("Lovely.", "sentiment", "tiny/tiny-sentiment", api_name="/sentiment")
    assert result["checkpoint"] == "tiny/tiny-sentiment"
    for place in _places():
        refusal = _message(http, app_url, "sentiment", {"text": "Lovely.", "mode": "sentiment", "checkpoint": place})
        assert refusal is not None and "choose one of: tiny/tiny-sentiment." in refusal
        assert_no_server_path(refusal.replace(json.dumps(place)[:40], ""))  # the refused value is quoted back


def test_only_the_intended_endpoints_are_callable(http, app_url):
    info = http.get(app_url + "gradio_api/info?all_endpoints=true").json()
    assert sorted(name.strip("/") for name in info["named_endpoints"]) == sorted(CALLABLE)
    assert not info["unnamed_endpoints"]
    config = http.get(app_url + "config").json()
    private = {d["api_name"] for d in config["dependencies"] if d.get("api_name") and d["api_name"] not in CALLABLE}
    assert {"load_csv", "lambda", "load_example"} <= private  # the page's own events, Gradio's among them
    for name in private:
        for route in ("gradio_api/call", "gradio_api/call/v2", "gradio_api/run", "gradio_api/api"):
            reply = http.post(f"{app_url}{route}/{name}", json={"data": [None]})
            assert reply.status_code == 404 and f"There is no endpoint /{name}." in reply.text, (route, name)


def test_no_table_on_the_page_copies_its_cells_raw(http, app_url):
    config = http.get(app_url + "config").json()
    tables = [c for c in config["components"] if c["type"] == "dataframe"]
    assert len(tables) == 10  # every data_table: the pre-training tab's chosen tokens and held-out fills the last
    assert all(table["props"]["buttons"] == ["fullscreen"] for table in tables)


def test_a_safe_csv_neutralises_every_formula_and_keeps_numbers():
    written = safe_csv(["text", "=score"], [[formula, -0.5] for formula in FORMULAS] + [["plain", 1]])
    header, *rows = list(csv.reader(io.StringIO(written)))
    assert header == ["text", "'=score"]
    assert [row[0] for row in rows] == [f"'{formula}" for formula in FORMULAS] + ["plain"]
    assert [float(row[1]) for row in rows] == [-0.5] * len(FORMULAS) + [1.0]


def test_the_batch_sentiment_download_opens_without_a_live_formula(client):
    # The box keeps the lines as typed; a tab or carriage return at a line's start is taken as blank space there.
    rows, _, download, _ = client.predict(
        "\n".join(FORMULAS[:5] + FORMULAS[7:]), MODE, None, api_name="/sentiment_batch_page"
    )
    assert len(rows["data"]) == 6
    with open(download, encoding="utf-8", newline="") as saved:
        header, *lines = list(csv.reader(saved))
    assert header[:3] == ["text", "label", "score"]
    assert [line[0] for line in lines] == [f"'{formula}" for formula in FORMULAS[:5] + FORMULAS[7:]]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for line in lines for cell in line)
    assert all(0 <= float(cell) <= 1 for line in lines for cell in line[2:])
